"""A Copy Blob Azure does not finish at once (across accounts, or a large blob) is
pending: the backend polls its status, and a stop (``core/interrupt.stoppable``, where
the operations run their copies) aborts it between polls (Abort Copy Blob) and removes
the empty blob Azure leaves where the copy made one; a copy that completed before the
abort came is done (a move then deletes its source); a copy that gets no further is
given up. Azurite finishes every copy in its account at once, so these copies go through
``tests/azure_copy_stub.py``'s front, which keeps them pending."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from cloudbrowser.core.backends.azure import pending
from cloudbrowser.core.errors import Cancelled, CloudBrowserError, StorageError
from cloudbrowser.core.interrupt import stoppable
from cloudbrowser.core.journal import State
from cloudbrowser.core.operations import (
    Operation,
    OperationResult,
    OpItem,
    OpKind,
    SourceObject,
)
from cloudbrowser.core.storage import Storage, server_copy_of
from tests.azure_copy_stub import CopyStub
from tests.conftest import AzuriteServer

pytestmark = pytest.mark.server

DATA = b"a large blob, copied by the service on its own " * 100


@pytest.fixture
def stub(azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[CopyStub]:
    monkeypatch.setattr(pending, "FIRST_POLL", 0.02)  # the rules, not the clock, are tested
    front = CopyStub(azurite_server.endpoint_url, pending_copies=True)
    yield front
    front.close()


@pytest.fixture
def storage(azurite_server: AzuriteServer, stub: CopyStub) -> Storage:
    return azurite_server.backend(endpoint_url=stub.url)


@pytest.fixture
def bucket(azurite_server: AzuriteServer) -> str:
    name = azurite_server.bucket("pending")
    azurite_server.put(name, {"big.bin": DATA})
    return name


def keys(storage: Storage, bucket: str) -> list[str]:
    return [e.key for e in storage.list_page(bucket).objects]


def content(storage: Storage, bucket: str, key: str) -> bytes:
    reader = storage.get_object(bucket, key)
    try:
        return reader.read(-1)
    finally:
        reader.close()


class Copying:
    """``copy_object`` on a thread of its own, inside ``stoppable(None, stop)`` as an
    operation runs it."""

    def __init__(self, storage: Storage, bucket: str, target: str, **kwargs: bool) -> None:
        self.stop = threading.Event()
        self.outcome: list[object] = []

        def run() -> None:
            try:
                with stoppable(None, self.stop):
                    copy = server_copy_of(storage).copy_object
                    self.outcome.append(copy(bucket, "big.bin", bucket, target, **kwargs))
            except Exception as error:
                self.outcome.append(error)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stopped(self) -> object:
        self.stop.set()
        self.thread.join(20)
        assert not self.thread.is_alive(), "the stop never ended the copy's poll"
        [outcome] = self.outcome
        return outcome


def test_a_stop_aborts_a_pending_copy_and_removes_the_blob_it_made(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    copying = Copying(storage, bucket, "copy.bin")
    assert stub.polled.wait(20), "the copy was never polled"
    assert storage.head_object(bucket, "copy.bin").size == 0  # Azure's, while it copies

    assert isinstance(copying.stopped(), Cancelled)
    assert stub.aborts == [f"{bucket}/copy.bin"]
    assert keys(storage, bucket) == ["big.bin"]


def test_a_stopped_create_only_copy_removes_what_it_made(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    copying = Copying(storage, bucket, "new.bin", create_only=True)
    assert stub.polled.wait(20)
    assert isinstance(copying.stopped(), Cancelled)
    assert keys(storage, bucket) == ["big.bin"]


def test_a_stopped_copy_over_a_blob_says_its_old_content_is_gone(
    azurite_server: AzuriteServer, bucket: str, stub: CopyStub, storage: Storage
) -> None:
    """Azure empties the destination of an aborted copy: a blob the copy wrote over has
    lost its content, which is said (and the empty blob is not deleted: it was the
    user's, and may have versions)."""
    azurite_server.put(bucket, {"old.bin": b"the old content"})
    copying = Copying(storage, bucket, "old.bin")
    assert stub.polled.wait(20)

    error = copying.stopped()
    assert isinstance(error, StorageError) and not isinstance(error, Cancelled)
    assert "old content is gone" in error.message
    assert keys(storage, bucket) == ["big.bin", "old.bin"]
    assert storage.head_object(bucket, "old.bin").size == 0


def test_a_copy_complete_when_its_abort_came_is_done(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    stub.complete_on_abort = True
    copying = Copying(storage, bucket, "copy.bin")
    assert stub.polled.wait(20)

    etag = copying.stopped()
    assert etag == storage.head_object(bucket, "copy.bin").etag
    assert stub.aborts == [f"{bucket}/copy.bin"]
    assert content(storage, bucket, "copy.bin") == DATA


def test_a_pending_copy_that_completes_is_polled_to_its_end(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    stub.complete_after = 3
    etag = server_copy_of(storage).copy_object(bucket, "big.bin", bucket, "copy.bin")
    assert etag == storage.head_object(bucket, "copy.bin").etag
    assert content(storage, bucket, "copy.bin") == DATA
    assert stub.aborts == []


def test_a_pending_copy_that_gets_no_further_is_given_up_with_a_clear_error(
    bucket: str, stub: CopyStub, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that says "pending, 0 bytes copied" forever: the poll ends after
    ``STALLED_SECONDS`` (lowered here) without progress, the copy is aborted, and the
    empty blob it made removed."""
    monkeypatch.setattr(pending, "STALLED_SECONDS", 0.3)
    copying = Copying(storage, bucket, "copy.bin")
    copying.thread.join(20)
    assert not copying.thread.is_alive(), "the poll never gave the copy up"
    [error] = copying.outcome
    assert isinstance(error, StorageError)
    assert error.code == "CopyStopped"
    assert "got no further" in error.message
    assert f"0/{len(DATA)}" in error.detail
    assert stub.aborts == [f"{bucket}/copy.bin"]
    assert keys(storage, bucket) == ["big.bin"]


def test_cancelling_a_move_aborts_its_pending_copy_and_keeps_the_source(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    operation = Operation(storage, OpKind.MOVE, bucket, [OpItem("big.bin", "moved.bin")])
    result: list[OperationResult] = []
    thread = threading.Thread(target=lambda: result.append(operation.run()), daemon=True)
    thread.start()
    assert stub.polled.wait(20)
    operation.cancel()
    thread.join(20)
    assert not thread.is_alive(), "the cancel never ended the move"

    [outcome] = result
    assert operation.state is State.CANCELLED
    assert (outcome.cancelled, outcome.done, outcome.failed) == (True, 0, [])
    assert stub.aborts == [f"{bucket}/moved.bin"]
    assert keys(storage, bucket) == ["big.bin"]
    assert content(storage, bucket, "big.bin") == DATA


def test_a_move_whose_copy_completed_before_the_abort_deletes_its_source(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    """The abort came too late: the copy is made, so the move ends as a move (the
    object is never in both places)."""
    stub.complete_on_abort = True
    operation = Operation(storage, OpKind.MOVE, bucket, [OpItem("big.bin", "moved.bin")])
    result: list[OperationResult] = []
    thread = threading.Thread(target=lambda: result.append(operation.run()), daemon=True)
    thread.start()
    assert stub.polled.wait(20)
    operation.cancel()
    thread.join(20)
    assert not thread.is_alive()

    assert keys(storage, bucket) == ["moved.bin"]
    assert content(storage, bucket, "moved.bin") == DATA


class CancelledCopy:
    """A plain copy (not a move) of big.bin run on a thread of its own and cancelled once
    its Copy Blob is pending, while the stub holds the abort's answer: what the operation
    returned, and what it told afterwards (``on_late``, ``on_copied``)."""

    def __init__(self, storage: Storage, bucket: str, target: str, stub: CopyStub) -> None:
        self.told: list[tuple[str, CloudBrowserError | None]] = []
        self.copied: list[str] = []
        self.operation = Operation(
            storage,
            OpKind.COPY,
            bucket,
            [OpItem("big.bin", target)],
            on_late=self._late,
            on_copied=lambda source: self.copied.append(source.key),
        )
        stub.abort_after = threading.Event()
        result: list[OperationResult] = []
        thread = threading.Thread(target=lambda: result.append(self.operation.run()), daemon=True)
        thread.start()
        assert stub.polled.wait(20), "the copy was never polled"
        self.operation.cancel()
        # The cancel stops waiting at once: the abort it sent is still unanswered.
        thread.join(20)
        assert not thread.is_alive(), "the cancel waited for the abort"
        [self.result] = result
        assert self.operation.left_running == 1
        stub.abort_after.set()
        assert self.operation.wait_settled(20), "the copy left running never ended"

    def _late(self, source: SourceObject, error: CloudBrowserError | None) -> None:
        self.told.append((source.key, error))


def test_a_cancelled_copy_over_a_blob_says_its_old_content_is_gone_when_its_abort_ends(
    azurite_server: AzuriteServer, bucket: str, stub: CopyStub, storage: Storage
) -> None:
    """A plain copy's cancel stops waiting at once, but its thread goes on and aborts
    the pending Copy Blob, which had already emptied the blob it wrote over: that is
    told (once: not also in the result returned before), never lost on that thread."""
    azurite_server.put(bucket, {"old.bin": b"the old content"})
    cancelled = CancelledCopy(storage, bucket, "old.bin", stub)

    assert cancelled.result.cancelled
    assert (cancelled.result.done, cancelled.result.failed) == (0, [])
    [(key, error)] = cancelled.told
    assert key == "big.bin" and isinstance(error, StorageError)
    assert not isinstance(error, Cancelled) and "old content is gone" in error.message
    assert cancelled.copied == []
    assert stub.aborts == [f"{bucket}/old.bin"]


def test_a_cancelled_copy_complete_when_its_abort_came_is_reported_copied(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    """The abort came too late: Azure made the copy, which is told as copied."""
    stub.complete_on_abort = True
    cancelled = CancelledCopy(storage, bucket, "copy.bin", stub)

    assert (cancelled.result.done, cancelled.result.failed) == (0, [])
    assert cancelled.told == [("big.bin", None)]
    assert cancelled.copied == ["big.bin"]
    assert content(storage, bucket, "copy.bin") == DATA
    assert cancelled.operation.progress().done == 1


def test_a_cancelled_copy_stopped_cleanly_tells_nothing_more(
    bucket: str, stub: CopyStub, storage: Storage
) -> None:
    """The abort stopped the copy and removed the empty blob it made: nothing was
    written, as the cancel said; nothing more is told."""
    cancelled = CancelledCopy(storage, bucket, "copy.bin", stub)

    assert cancelled.result.cancelled and cancelled.told == [] and cancelled.copied == []
    assert keys(storage, bucket) == ["big.bin"]
