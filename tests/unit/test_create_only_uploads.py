"""Create-only uploads in the engine: which planned uploads may only create their object
(``PlannedTransfer.resolve``), and a retry after a write whose answer was lost finding
its own bytes there (done, not refused forever)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.errors import (
    CreatedMeanwhile,
    RequestTimeout,
    created_meanwhile,
)
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import MiB, Storage, chunked_uploads_of
from cloudbrowser.core.transfer_plan import ConflictPolicy, plan_uploads
from cloudbrowser.core.transfers import Transfer, TransferOptions, TransferQueue, TransferRequest
from tests.conftest import MemoryServer

BUCKET = "uploads"


@pytest.fixture
def storage(memory_server: MemoryServer) -> Storage:
    storage = memory_server.backend()
    storage.create_bucket(BUCKET)
    return storage


def test_uploads_to_a_free_name_are_create_only_unless_the_policy_overwrites(
    storage: Storage, tmp_path: Path
) -> None:
    storage.put_object(BUCKET, "in/taken.txt", b"theirs", content_md5="")
    for name in ("free.txt", "taken.txt"):
        (tmp_path / name).write_bytes(b"mine")
    plan = plan_uploads(
        storage, "c", [tmp_path / "free.txt", tmp_path / "taken.txt"], BUCKET, "in/"
    )
    free, taken = sorted(plan.items, key=lambda i: i.request.key)
    assert free.existing is None and taken.existing is not None
    assert not free.request.create_only and not taken.request.create_only

    def create_only(policy: ConflictPolicy, item: Any) -> bool | None:
        request = item.resolve(policy)
        return None if request is None else request.create_only

    # Nothing was there: whatever the user chose relied on that, but for "overwrite".
    for policy in (ConflictPolicy.ASK, ConflictPolicy.SKIP, ConflictPolicy.NEWER):
        assert create_only(policy, free) is True, policy
    assert create_only(ConflictPolicy.RENAME, free) is True
    assert create_only(ConflictPolicy.OVERWRITE, free) is False
    # Something was: "keep both" creates its free name; overwrite and newer replace it.
    renamed = taken.resolve(ConflictPolicy.RENAME)
    assert renamed is not None and renamed.key == "in/taken (1).txt" and renamed.create_only
    assert create_only(ConflictPolicy.OVERWRITE, taken) is False
    assert create_only(ConflictPolicy.SKIP, taken) is None


def test_a_free_name_is_guarded_only_where_the_server_checks_it_but_keep_both_always(
    storage: Storage, tmp_path: Path
) -> None:
    """Where the server ignores the condition the engine would look by a HEAD before each
    write: not for every file of a drop (the window's small uploads ran at less than half
    their speed), only for a "keep both" name."""
    storage.put_object(BUCKET, "in/taken.txt", b"theirs", content_md5="")
    for name in ("free.txt", "taken.txt"):
        (tmp_path / name).write_bytes(b"mine")
    unchecked = storage.features._replace(conditional_puts=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(storage), "features", property(lambda _self: unchecked))
        plan = plan_uploads(
            storage, "c", [tmp_path / "free.txt", tmp_path / "taken.txt"], BUCKET, "in/"
        )
    free, taken = sorted(plan.items, key=lambda i: i.request.key)
    assert not free.guard_free_name
    for policy in (ConflictPolicy.ASK, ConflictPolicy.SKIP, ConflictPolicy.NEWER):
        request = free.resolve(policy)
        assert request is not None and not request.create_only, policy
    renamed = taken.resolve(ConflictPolicy.RENAME)
    assert renamed is not None and renamed.create_only
    checked = plan_uploads(storage, "c", [tmp_path / "free.txt"], BUCKET, "in/")
    assert checked.items[0].guard_free_name


def test_an_edit_put_back_where_its_object_was_deleted_is_create_only(
    storage: Storage, tmp_path: Path
) -> None:
    (tmp_path / "doc.txt").write_bytes(b"mine")
    plan = plan_uploads(storage, "c", [tmp_path / "doc.txt"], BUCKET, "", create_only=True)
    [item] = plan.items
    request = item.resolve(ConflictPolicy.OVERWRITE)
    assert request is not None and request.create_only


def _queue(
    storage: Storage, tmp_path: Path, options: TransferOptions | None = None
) -> TransferQueue:
    journal = Journal(tmp_path / "j.sqlite3")
    return TransferQueue(lambda _name: storage, journal, options or TransferOptions())


def _send(queue: TransferQueue, storage: Storage, path: Path, key: str) -> Transfer:
    st = path.stat()
    request = TransferRequest(
        Direction.UPLOAD,
        storage.settings.name,
        BUCKET,
        key,
        path,
        st.st_size,
        st.st_mtime,
        create_only=True,
    )
    [t] = queue.add([request], batch="b")
    assert queue.wait([t], timeout=60)
    return t


@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_a_write_whose_answer_was_lost_is_done_when_its_retry_is_refused(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """The SDK sends a write again when its answer did not come: the first one made the
    object, so the second is refused as create-only. The object holds exactly this
    upload's bytes: the upload is done and verified, not failed."""
    path = tmp_path / "photo (1).jpg"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))
    target: Any = storage if size == 100 else chunked_uploads_of(storage)
    name = "put_object" if size == 100 else "commit_upload"
    write = getattr(target, name)

    def written_then_sent_again(*args: Any, **kwargs: Any) -> str:
        write(*args, **kwargs)  # stored; its answer is "lost"
        return str(write(*args, **kwargs))  # the SDK's retry, refused: the object exists

    monkeypatch.setattr(target, name, written_then_sent_again)
    queue = _queue(storage, tmp_path)
    try:
        t = _send(queue, storage, path, "photo (1).jpg")
    finally:
        queue.shutdown()
    assert t.state is State.DONE, t.error
    assert t.verified
    with storage.get_object(BUCKET, "photo (1).jpg") as reader:
        assert reader.read(-1) == path.read_bytes()


@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_the_user_s_retry_of_a_write_whose_answer_was_lost_is_done(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """The write was stored but failed as a timeout; retried, the HEAD before the write
    finds an object: this upload's own bytes, so it is done."""
    path = tmp_path / "photo (1).jpg"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))
    target: Any = storage if size == 100 else chunked_uploads_of(storage)
    name = "put_object" if size == 100 else "commit_upload"
    write = getattr(target, name)

    def written_but_timed_out(*args: Any, **kwargs: Any) -> str:
        write(*args, **kwargs)
        raise RequestTimeout("The request timed out on the server.")

    monkeypatch.setattr(target, name, written_but_timed_out)
    # Failed at once (no retry by itself: tests/conformance/test_create_only_writes has it).
    queue = _queue(storage, tmp_path, TransferOptions(retries=0))
    try:
        t = _send(queue, storage, path, "photo (1).jpg")
        assert t.state is State.FAILED
        monkeypatch.setattr(target, name, write)
        queue.retry([t.id])
        assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    assert t.state is State.DONE, t.error
    assert t.verified


def test_someone_else_s_object_of_the_name_is_still_refused(
    storage: Storage, tmp_path: Path
) -> None:
    """The same check does not take another object for this upload's: other bytes of
    the same size stay, and the upload fails saying so."""
    path = tmp_path / "photo (1).jpg"
    path.write_bytes(b"mine")
    storage.put_object(BUCKET, "photo (1).jpg", b"your", content_md5="")
    queue = _queue(storage, tmp_path)
    try:
        t = _send(queue, storage, path, "photo (1).jpg")
    finally:
        queue.shutdown()
    assert t.state is State.FAILED and isinstance(t.error, CreatedMeanwhile), t.error
    assert "was not uploaded: someone created" in t.error.message
    with storage.get_object(BUCKET, "photo (1).jpg") as reader:
        assert reader.read(-1) == b"your"


@pytest.mark.parametrize("ours", [True, False], ids=["its-own", "someone-else-s"])
def test_a_session_refused_as_it_begins_is_done_only_over_its_own_bytes(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ours: bool
) -> None:
    """A provider may check a create-only session's condition when it begins (GCS's
    initiation): an earlier attempt whose commit answer was lost left this upload's
    bytes there (done), anything else is refused."""
    path = tmp_path / "big.bin"
    path.write_bytes(hashlib.shake_256(b"mine").digest(9 * MiB))
    there = path.read_bytes() if ours else hashlib.shake_256(b"theirs").digest(9 * MiB)
    storage.put_object(BUCKET, "big (1).bin", there, content_md5="")
    uploads = chunked_uploads_of(storage)

    def refused_at_once(bucket: str, key: str, **_kwargs: Any) -> str:
        raise created_meanwhile(bucket, key)

    monkeypatch.setattr(uploads, "begin_upload", refused_at_once)
    queue = _queue(storage, tmp_path)
    try:
        t = _send(queue, storage, path, "big (1).bin")
    finally:
        queue.shutdown()
    if ours:
        assert t.state is State.DONE and t.verified, t.error
    else:
        assert t.state is State.FAILED and isinstance(t.error, CreatedMeanwhile)
        assert "someone created" in t.error.message
