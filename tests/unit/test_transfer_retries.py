"""A transfer that fails for a passing reason is tried again by itself
(``TransferOptions.retries``), on the in-memory backend made to fail as a network does.

Servers that really die and come back are in ``tests/contract/test_transfer_faults.py``;
here each rule is checked alone: which errors wait, how many times, and that pause,
cancel, the user's own retry and a shutdown all win over the wait."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import (
    AccessDenied,
    CloudBrowserError,
    EndpointUnreachable,
    KeyNotFound,
    Throttled,
)
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfers import Transfer, TransferOptions, TransferQueue, TransferRequest

#: Short waits: the rules, not the clock, are under test.
QUICK = TransferOptions(concurrency=2, retries=3, retry_waits=(0.05,))
#: A wait no test sits through: the test acts while the transfer waits.
LONG = TransferOptions(concurrency=2, retries=3, retry_waits=(600.0,))


class Failing:
    """The memory storage, whose PUTs and GETs fail while ``failures`` lasts."""

    def __init__(
        self, storage: Storage, failures: list[CloudBrowserError], *, together: int = 0
    ) -> None:
        self._storage = storage
        self.failures = failures
        self.calls = 0
        self._lock = threading.Lock()
        #: The first ``together`` calls fail only once all of them are running (a network
        #: that goes while several files are on their way).
        self._together = threading.Barrier(together, timeout=10) if together else None

    def _maybe_fail(self) -> None:
        if self._together is not None and self.calls < self._together.parties:
            self._together.wait()
        with self._lock:
            self.calls += 1
            if self.failures:
                raise self.failures.pop(0)

    def put_object(self, *args: Any, **kwargs: Any) -> Any:
        self._maybe_fail()
        return self._storage.put_object(*args, **kwargs)

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        self._maybe_fail()
        return self._storage.get_object(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


@pytest.fixture
def storage() -> Iterator[Storage]:
    settings = ConnectionSettings(kind="memory", endpoint_url="memory://retries")
    opened = open_storage(settings)
    forget_store(opened.settings)
    opened.create_bucket("bkt")
    yield opened
    forget_store(opened.settings)


def unreachable() -> EndpointUnreachable:
    return EndpointUnreachable("Nothing answered at the server's address.", hint="Check it.")


def queue_of(
    backend: Failing, tmp_path: Path, options: TransferOptions
) -> Callable[[list[TransferRequest]], tuple[TransferQueue, list[Transfer]]]:
    def start(requests: list[TransferRequest]) -> tuple[TransferQueue, list[Transfer]]:
        queue = TransferQueue(lambda _name: backend, Journal(tmp_path / "j.sqlite3"), options)  # type: ignore[arg-type,return-value]
        return queue, queue.add(requests, batch="b")

    return start


def upload(
    tmp_path: Path, name: str = "f.txt", body: bytes = b"hello " * 100, connection: str = "c"
) -> TransferRequest:
    path = tmp_path / name
    path.write_bytes(body)
    return TransferRequest(Direction.UPLOAD, connection, "bkt", name, path, len(body), 0)


def wait_for(condition: Callable[[], bool]) -> None:
    event = threading.Event()
    for _ in range(400):
        if condition():
            return
        event.wait(0.025)
    raise AssertionError("never happened")


def test_a_passing_failure_is_tried_again_until_it_succeeds(
    storage: Storage, tmp_path: Path
) -> None:
    backend = Failing(storage, [unreachable(), Throttled("The server is busy.")])
    queue, [t] = queue_of(backend, tmp_path, QUICK)([upload(tmp_path)])
    assert queue.wait([t], timeout=10)
    assert (t.state, t.error, t.verified) == (State.DONE, None, True)
    assert t.retries == 2
    assert backend.calls == 3
    assert storage.head_object("bkt", "f.txt").size == 600
    assert queue.summary("b").failed == []
    queue.shutdown()


def test_downloads_are_tried_again_too(storage: Storage, tmp_path: Path) -> None:
    etag = storage.put_object("bkt", "d.bin", b"x" * 5000, content_md5="")
    backend = Failing(storage, [unreachable()])
    target = tmp_path / "out" / "d.bin"
    request = TransferRequest(Direction.DOWNLOAD, "c", "bkt", "d.bin", target, 5000, 0, etag)
    queue, [t] = queue_of(backend, tmp_path, QUICK)([request])
    assert queue.wait([t], timeout=10)
    assert (t.state, t.retries) == (State.DONE, 1)
    assert target.read_bytes() == b"x" * 5000
    queue.shutdown()


def test_it_fails_after_the_last_retry_with_the_last_reason(
    storage: Storage, tmp_path: Path
) -> None:
    backend = Failing(storage, [unreachable() for _ in range(10)])
    queue, [t] = queue_of(backend, tmp_path, QUICK)([upload(tmp_path)])
    assert queue.wait([t], timeout=10)
    assert t.state is State.FAILED
    assert isinstance(t.error, EndpointUnreachable)
    assert backend.calls == 4  # the first try and three retries
    record = queue.journal.get(t.id)
    assert record is not None and record.state is State.FAILED
    queue.shutdown()


@pytest.mark.parametrize("retries", [0, 1])
def test_the_number_of_retries_is_the_users(storage: Storage, tmp_path: Path, retries: int) -> None:
    backend = Failing(storage, [unreachable() for _ in range(10)])
    options = TransferOptions(retries=retries, retry_waits=(0.05,))
    queue, [t] = queue_of(backend, tmp_path, options)([upload(tmp_path)])
    assert queue.wait([t], timeout=10)
    assert t.state is State.FAILED
    assert backend.calls == 1 + retries
    queue.shutdown()


def test_an_error_that_would_fail_again_is_not_retried(storage: Storage, tmp_path: Path) -> None:
    backend = Failing(storage, [AccessDenied("Access denied.")])
    queue, [t] = queue_of(backend, tmp_path, QUICK)([upload(tmp_path)])
    assert queue.wait([t], timeout=10)
    assert t.state is State.FAILED
    assert isinstance(t.error, AccessDenied)
    assert backend.calls == 1
    queue.shutdown()


def test_while_it_waits_it_says_why_and_counts_as_queued(storage: Storage, tmp_path: Path) -> None:
    backend = Failing(storage, [unreachable()])
    queue, [t] = queue_of(backend, tmp_path, LONG)([upload(tmp_path)])
    wait_for(lambda: t in queue.retrying())
    assert t.state is State.QUEUED
    assert isinstance(t.error, EndpointUnreachable)
    assert t.retry_at > 0 and t.retries == 1
    assert t in queue.changes()
    assert t not in queue.changes(), "said once: a row waiting is not repainted every poll"
    assert queue.activity().busy and queue.activity().queued == 1
    assert not queue.wait([t], timeout=0.05), "the batch has not ended"
    queue.shutdown()


def test_the_users_retry_does_not_wait(storage: Storage, tmp_path: Path) -> None:
    backend = Failing(storage, [unreachable()])
    queue, [t] = queue_of(backend, tmp_path, LONG)([upload(tmp_path)])
    wait_for(lambda: t in queue.retrying())
    queue.retry([t.id])
    assert queue.wait([t], timeout=10)
    assert (t.state, t.error) == (State.DONE, None)
    assert queue.retrying() == []
    queue.shutdown()


@pytest.mark.parametrize("stop", [State.PAUSED, State.CANCELLED])
def test_pause_or_cancel_ends_the_wait(storage: Storage, tmp_path: Path, stop: State) -> None:
    backend = Failing(storage, [unreachable()])
    options = TransferOptions(concurrency=2, retries=3, retry_waits=(0.3,))
    queue, [t] = queue_of(backend, tmp_path, options)([upload(tmp_path)])
    wait_for(lambda: t in queue.retrying())
    (queue.pause if stop is State.PAUSED else queue.cancel)([t.id])
    assert t.state is stop
    assert queue.retrying() == []
    assert queue.wait([t], timeout=1)
    # Its time to be tried again passes: it stays as the user left it.
    calls = backend.calls
    queue.shutdown(timeout=2)
    assert (t.state, backend.calls) == (stop, calls)
    with pytest.raises(KeyNotFound):
        storage.head_object("bkt", "f.txt")


def test_a_shutdown_while_it_waits_leaves_it_to_resume(storage: Storage, tmp_path: Path) -> None:
    backend = Failing(storage, [unreachable()])
    queue, [t] = queue_of(backend, tmp_path, LONG)([upload(tmp_path)])
    wait_for(lambda: t in queue.retrying())
    assert queue.shutdown(timeout=5), "a worker waiting for the retry ends at once"
    journal = Journal(tmp_path / "j.sqlite3")
    record = journal.get(t.id)
    assert record is not None and record.state is State.QUEUED
    restored = TransferQueue(lambda _name: backend, journal, QUICK)  # type: ignore[arg-type,return-value]
    [again] = restored.restore()
    assert (again.state, again.interrupted) == (State.PAUSED, True)
    restored.resume([again.id])
    assert restored.wait([again], timeout=10)
    assert again.state is State.DONE
    restored.shutdown()


def test_many_files_cut_off_at_once_all_come_back(storage: Storage, tmp_path: Path) -> None:
    """More files wait than there are workers; the network stays down for one retry
    more: none is lost, and only the file that is tried again meets the dead network."""
    backend = Failing(storage, [unreachable() for _ in range(3)])
    requests = [upload(tmp_path, f"f{i}.txt", bytes([i]) * 100) for i in range(12)]
    queue, transfers = queue_of(backend, tmp_path, QUICK)(requests)
    assert queue.wait(transfers, timeout=20)
    assert [t.state for t in transfers] == [State.DONE] * 12
    assert backend.calls == 12 + 3
    for i in range(12):
        assert storage.head_object("bkt", f"f{i}.txt").size == 100
    queue.shutdown()


def test_another_connections_files_do_not_wait_behind_a_failed_one(
    storage: Storage, tmp_path: Path
) -> None:
    """Every worker idles until a retry is due: a file of another connection added
    meanwhile starts at once; one of the failed connection waits for it to answer."""
    backend = Failing(storage, [unreachable(), unreachable()], together=2)
    options = TransferOptions(concurrency=2, retries=3, retry_waits=(600.0,))
    start = queue_of(backend, tmp_path, options)
    queue, waiting = start([upload(tmp_path, "a.txt"), upload(tmp_path, "b.txt")])
    wait_for(lambda: sum(bool(w.error) for w in waiting) == 2)
    [same] = queue.add([upload(tmp_path, "s.txt")])
    [other] = queue.add([upload(tmp_path, "o.txt", connection="d")])
    assert queue.wait([other], timeout=10)
    assert other.state is State.DONE
    assert backend.calls == 3, "the file of the failed connection was not tried"
    assert all(t.state is State.QUEUED for t in [*waiting, same])
    queue.shutdown()


# ── one connection that does not answer: its files wait for one of them ─────────────


def test_the_connections_other_files_wait_for_the_one_that_failed(
    storage: Storage, tmp_path: Path
) -> None:
    """After a passing failure only that file is tried again; the connection's other
    files are not sent against a server that does not answer, and spend no tries. When
    its retry gets through, they all go on."""
    backend = Failing(storage, [unreachable()])
    options = TransferOptions(concurrency=1, retries=3, retry_waits=(600.0,))
    requests = [upload(tmp_path, f"f{i}.txt", bytes([i]) * 100) for i in range(5)]
    queue, transfers = queue_of(backend, tmp_path, options)(requests)
    first, *rest = transfers
    wait_for(lambda: first in queue.retrying())
    assert backend.calls == 1
    assert [t.state for t in rest] == [State.QUEUED] * 4
    assert queue.retrying() == [first], "one waits to be tried again, not five"
    assert queue.activity().queued == 5, "the batch has not ended"
    assert queue.activity().waiting_for == {"c"}
    # The others are held (their rows say what they wait for), and a poll sees them.
    assert [t.held for t in transfers] == [False, True, True, True, True]
    assert set(rest) <= set(queue.changes())
    queue.retry([first.id])  # as its time comes
    assert queue.wait(transfers, timeout=10)
    assert [t.state for t in transfers] == [State.DONE] * 5
    assert [t.retries for t in rest] == [0, 0, 0, 0]
    assert not any(t.held for t in transfers)
    assert queue.activity().waiting_for == frozenset()
    assert backend.calls == 6
    queue.shutdown()


def test_a_file_failing_while_its_connection_is_out_waits_without_spending_a_try(
    storage: Storage, tmp_path: Path
) -> None:
    """Two files fail at once: one waits to be tried again, the other waits for it (its
    error shown, no time of its own); when the first gets through, both are done."""
    backend = Failing(storage, [unreachable(), unreachable()], together=2)
    options = TransferOptions(concurrency=2, retries=3, retry_waits=(600.0,))
    queue, transfers = queue_of(backend, tmp_path, options)(
        [upload(tmp_path, "a.txt"), upload(tmp_path, "b.txt")]
    )
    wait_for(lambda: all(t.error is not None for t in transfers))
    [probe] = queue.retrying()
    [held] = [t for t in transfers if t is not probe]
    assert (probe.retries, held.retries) == (1, 0)
    assert held.state is State.QUEUED and not held.retry_at
    assert isinstance(held.error, EndpointUnreachable)
    queue.retry([probe.id])
    assert queue.wait(transfers, timeout=10)
    assert [t.state for t in transfers] == [State.DONE, State.DONE]
    assert held.error is None
    queue.shutdown()


def test_when_the_waiting_file_runs_out_of_tries_the_next_one_tries_the_connection(
    storage: Storage, tmp_path: Path
) -> None:
    """The first file fails after all its tries; only then is the next one sent (it
    gets through): one failure, not one per file."""
    backend = Failing(storage, [unreachable() for _ in range(4)])
    options = TransferOptions(concurrency=1, retries=3, retry_waits=(0.05,))
    queue, [a, b] = queue_of(backend, tmp_path, options)(
        [upload(tmp_path, "a.txt"), upload(tmp_path, "b.txt")]
    )
    assert queue.wait([a, b], timeout=10)
    assert (a.state, b.state) == (State.FAILED, State.DONE)
    assert (a.retries, b.retries) == (3, 0)
    assert backend.calls == 5
    queue.shutdown()


def test_an_answer_on_the_connection_lets_its_files_go_on(storage: Storage, tmp_path: Path) -> None:
    """A refusal that is not passing is an answer: the server is there. The files that
    waited behind the connection go on at once, without waiting for the retry's time."""
    queue: TransferQueue | None = None
    second = threading.Event()

    class DeniedOnceTheFirstWaits(Failing):
        def put_object(self, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls += 1
                call = self.calls
            if call == 1:
                second.wait(10)  # both run before either fails
                raise unreachable()
            if call == 2:
                second.set()
                wait_for(lambda: queue is not None and bool(queue.retrying()))
                raise AccessDenied("Access denied.")
            return self._storage.put_object(*args, **kwargs)

    backend = DeniedOnceTheFirstWaits(storage, [])
    options = TransferOptions(concurrency=2, retries=3, retry_waits=(600.0,))
    queue, transfers = queue_of(backend, tmp_path, options)(
        [upload(tmp_path, f"f{i}.txt", bytes([i]) * 100) for i in range(4)]
    )
    # One failed and waits; the other running one was denied then: an answer.
    wait_for(lambda: sum(t.state is State.DONE for t in transfers) == 2)
    [probe] = queue.retrying()
    [denied] = [t for t in transfers if t.state is State.FAILED]
    assert isinstance(denied.error, AccessDenied)
    assert probe.state is State.QUEUED and probe.retries == 1
    queue.shutdown()


@pytest.mark.parametrize("stop", [State.PAUSED, State.CANCELLED])
def test_stopping_the_waiting_file_lets_the_others_try(
    storage: Storage, tmp_path: Path, stop: State
) -> None:
    backend = Failing(storage, [unreachable()])
    options = TransferOptions(concurrency=1, retries=3, retry_waits=(600.0,))
    queue, [a, b, c] = queue_of(backend, tmp_path, options)(
        [upload(tmp_path, f"{n}.txt") for n in "abc"]
    )
    wait_for(lambda: a in queue.retrying())
    assert backend.calls == 1
    (queue.pause if stop is State.PAUSED else queue.cancel)([a.id])
    assert queue.wait([b, c], timeout=10)
    assert (a.state, b.state, c.state) == (stop, State.DONE, State.DONE)
    queue.shutdown()


def test_a_failed_transfer_keeps_its_error_but_not_the_attempts_frames(
    storage: Storage, tmp_path: Path
) -> None:
    """The frames would hold the attempt's locals (a chunk, the transfer: a cycle) for as
    long as the row shows."""
    try:
        try:
            raise ConnectionResetError("reset")
        except ConnectionResetError as cause:
            raise AccessDenied("Access denied.") from cause
    except AccessDenied as error:
        denied = error
    assert denied.__traceback__ is not None and denied.__cause__ is not None
    backend = Failing(storage, [denied])
    queue, [t] = queue_of(backend, tmp_path, QUICK)([upload(tmp_path)])
    assert queue.wait([t], timeout=10)
    assert t.error is denied
    assert t.error.__traceback__ is None
    assert t.error.__cause__ is not None and t.error.__cause__.__traceback__ is None
    queue.shutdown()
