"""A whole small file's PUT stopped by a pause or cancel after it was sent: the in-memory
backend's PUT runs on a runner (it has no ``stoppable_puts``), which the stop leaves to
end in the background (``core/interrupt.interruptible``). Where it stores the file all
the same, the upload is done and verified, in the queue and in the journal; where it
stores nothing, the stop stands. The real servers' side (a stop that cuts the
connection after the server stored the object) is in
tests/contract/test_stoppable_reads.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core import uploads
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import EndpointUnreachable, KeyNotFound
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfers import (
    Stage,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from tests.unit.test_transfer_retries import wait_for

BODY = b"stored all the same " * 50


class Held:
    """The memory storage, whose PUT waits for ``release`` once it came (``arrived``),
    then stores the object (or fails, when ``refuse`` is set)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.refuse = False
        self.heads = 0

    def put_object(self, *args: Any, **kwargs: Any) -> Any:
        self.arrived.set()
        assert self.release.wait(30), "the test never released the PUT"
        if self.refuse:
            raise EndpointUnreachable("The connection broke.")
        return self._storage.put_object(*args, **kwargs)

    def head_object(self, *args: Any, **kwargs: Any) -> Any:
        self.heads += 1
        return self._storage.head_object(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


@pytest.fixture
def storage() -> Iterator[Storage]:
    settings = ConnectionSettings(kind="memory", endpoint_url="memory://stopped-puts")
    opened = open_storage(settings)
    forget_store(opened.settings)
    opened.create_bucket("bkt")
    yield opened
    forget_store(opened.settings)


@pytest.fixture
def held(storage: Storage) -> Iterator[Held]:
    backend = Held(storage)
    yield backend
    backend.release.set()  # whatever the test did, no runner waits on


@pytest.fixture
def queue(held: Held, tmp_path: Path) -> Iterator[TransferQueue]:
    q = TransferQueue(
        lambda _name: held,  # type: ignore[arg-type,return-value]
        Journal(tmp_path / "journal.sqlite3"),
        TransferOptions(concurrency=1, retries=0),
    )
    yield q
    q.shutdown()


def upload(tmp_path: Path) -> TransferRequest:
    path = tmp_path / "f.bin"
    path.write_bytes(BODY)
    return TransferRequest(Direction.UPLOAD, "c", "bkt", "f.bin", path, len(BODY), 0)


def stop_after_the_put_came(
    queue: TransferQueue, held: Held, tmp_path: Path, stop: Callable[[list[int]], None]
) -> Transfer:
    """Queue the upload, stop it once its PUT is on its way, and let the PUT go on only
    once the transfer has let go of it: it is then looking (VERIFYING) with the fix, or
    has ended as stopped without it."""
    [t] = queue.add([upload(tmp_path)])
    assert held.arrived.wait(10), "the PUT never came"
    stop([t.id])
    wait_for(lambda: t.stage is Stage.VERIFYING or t.state.finished or t.state is State.PAUSED)
    held.release.set()
    assert queue.wait([t], timeout=10)
    return t


def journalled(queue: TransferQueue, t: Transfer) -> State:
    queue.journal.flush()
    record = queue.journal.get(t.id)
    assert record is not None
    return record.state


@pytest.mark.parametrize("stop", ["cancel", "pause"])
def test_a_stopped_put_that_stored_the_file_ends_done_and_verified(
    storage: Storage, held: Held, queue: TransferQueue, tmp_path: Path, stop: str
) -> None:
    t = stop_after_the_put_came(queue, held, tmp_path, getattr(queue, stop))
    assert (t.state, t.verified, t.error) == (State.DONE, True, None)
    assert "before the stop" in t.note
    assert journalled(queue, t) is State.DONE
    reader = storage.get_object("bkt", "f.bin")
    try:
        assert reader.read(-1) == BODY
    finally:
        reader.close()
    assert t.etag == storage.head_object("bkt", "f.bin").etag


def test_a_stopped_put_that_stored_nothing_stays_cancelled(
    storage: Storage, held: Held, queue: TransferQueue, tmp_path: Path
) -> None:
    held.refuse = True
    t = stop_after_the_put_came(queue, held, tmp_path, queue.cancel)
    assert (t.state, t.error) == (State.CANCELLED, None)
    assert journalled(queue, t) is State.CANCELLED
    assert held.heads == 1, "the object was looked for once the PUT had ended"
    with pytest.raises(KeyNotFound):
        storage.head_object("bkt", "f.bin")


def test_other_bytes_under_the_name_are_not_taken_for_the_file(
    storage: Storage, held: Held, queue: TransferQueue, tmp_path: Path
) -> None:
    """The PUT failed, and what the name holds is someone else's: the cancel stands."""
    storage.put_object("bkt", "f.bin", b"another file", content_md5="")
    held.refuse = True
    t = stop_after_the_put_came(queue, held, tmp_path, queue.cancel)
    assert t.state is State.CANCELLED


def test_a_put_still_on_its_way_after_the_wait_leaves_the_cancel_standing(
    held: Held, queue: TransferQueue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait for the dropped PUT is bounded: a server that holds it keeps the cancel
    from ending only that long, and the row says the object may come yet."""
    monkeypatch.setattr(uploads, "STOPPED_PUT_WAIT", 0.1)
    [t] = queue.add([upload(tmp_path)])
    assert held.arrived.wait(10)
    queue.cancel([t.id])
    assert queue.wait([t], timeout=10), "the cancel ended while the PUT still hangs"
    assert (t.state, t.error) == (State.CANCELLED, None)
    assert "may store it yet" in t.note
    assert held.heads == 0


def test_a_stop_before_the_put_was_sent_looks_at_nothing(
    held: Held, queue: TransferQueue, tmp_path: Path
) -> None:
    """Cancelled while queued behind another file: no PUT was sent, nothing to look for."""
    first, second = upload(tmp_path), upload(tmp_path)
    second = TransferRequest(
        Direction.UPLOAD, "c", "bkt", "g.bin", second.local_path, second.size, 0
    )
    [a, b] = queue.add([first, second])
    assert held.arrived.wait(10)
    queue.cancel([b.id])
    held.release.set()
    assert queue.wait([a, b], timeout=10)
    assert (a.state, b.state) == (State.DONE, State.CANCELLED)
    assert held.heads == 0
