"""GCS resumable upload sessions: the status query against a stub that answers as GCS
does (tests/gcs_stub.py), the engine's resume from the committed offset, and
fake-gcs-server's weaker sessions (a resumed upload there starts again, verified)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core import operations
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.gcs.backend import GcsBackend
from cloudbrowser.core.backends.gcs.features import CHUNK_GRANULE
from cloudbrowser.core.backends.memory import forget_store, store_for
from cloudbrowser.core.backends.memory.backend import MemoryStorage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import ConfigError, UploadNotFound
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.storage import MiB, Storage
from cloudbrowser.core.transfers import Transfer, TransferOptions, TransferQueue, TransferRequest
from tests.conftest import GcsServer
from tests.contract.test_transfers import make_file, wait_until
from tests.gcs_stub import GcsStub

PART = 1 * MiB
SLOW = TransferOptions(part_size=PART, concurrency=1, part_concurrency=1, bandwidth_limit=2 * MiB)
FAST = TransferOptions(part_size=PART, concurrency=1, part_concurrency=4)


@pytest.fixture
def stub() -> Iterator[GcsStub]:
    with GcsStub() as running:
        yield running


def stub_settings(stub: GcsStub) -> ConnectionSettings:
    return ConnectionSettings(
        name="stub", kind="gcs", endpoint_url=stub.url, auth="anonymous", max_attempts=1
    )


class Counting(GcsBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def begin_upload(self, *args: Any, **kwargs: Any) -> str:
        self._count("begin_upload")
        return super().begin_upload(*args, **kwargs)

    def upload_chunk(self, *args: Any, **kwargs: Any) -> str:
        self._count("upload_chunk")
        return super().upload_chunk(*args, **kwargs)


def queue_on(backend: Storage, journal: Journal, options: TransferOptions) -> TransferQueue:
    def lookup(name: str) -> Storage:
        if name != backend.settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    return TransferQueue(lookup, journal, options)  # type: ignore[arg-type]


def upload_request(
    settings: ConnectionSettings, bucket: str, key: str, path: Path
) -> TransferRequest:
    st = path.stat()
    return TransferRequest(
        Direction.UPLOAD, settings.name, bucket, key, path, st.st_size, st.st_mtime
    )


# ── the protocol, against the stub ──────────────────────────────────────────────────────


def test_a_new_process_asks_the_session_where_it_stands(stub: GcsStub) -> None:
    first = open_storage(stub_settings(stub))
    data = hashlib.shake_256(b"resumable").digest(2 * CHUNK_GRANULE + 1000)
    session = first.begin_upload("b", "k.bin")  # type: ignore[attr-defined]
    first.upload_chunk("b", "k.bin", session, 1, data[:CHUNK_GRANULE], content_md5="")  # type: ignore[attr-defined]

    later = open_storage(stub_settings(stub))  # knows nothing of the session
    assert later.list_chunks("b", "k.bin", session)[0].size == CHUNK_GRANULE  # type: ignore[attr-defined]
    assert stub.status_queries == 1
    later.upload_chunk(
        "b", "k.bin", session, 2, data[CHUNK_GRANULE : 2 * CHUNK_GRANULE], content_md5=""
    )  # type: ignore[attr-defined]
    later.upload_chunk("b", "k.bin", session, 3, data[2 * CHUNK_GRANULE :], content_md5="")  # type: ignore[attr-defined]
    etag = later.commit_upload("b", "k.bin", session, [(1, ""), (2, ""), (3, "")])  # type: ignore[attr-defined]
    assert stub.objects[("b", "k.bin")] == data
    assert etag == hashlib.md5(data).hexdigest()
    assert stub.received == len(data), "no byte sent twice"


def test_a_chunk_the_server_kept_in_part_is_sent_on_from_where_it_stands(stub: GcsStub) -> None:
    storage = open_storage(stub_settings(stub))
    data = hashlib.shake_256(b"partial").digest(2 * CHUNK_GRANULE)
    session = storage.begin_upload("b", "p.bin")  # type: ignore[attr-defined]
    stub.keep_next = 1000  # GCS may commit fewer bytes than a request carried
    storage.upload_chunk("b", "p.bin", session, 1, data[:CHUNK_GRANULE], content_md5="")  # type: ignore[attr-defined]
    storage.upload_chunk("b", "p.bin", session, 2, data[CHUNK_GRANULE:], content_md5="")  # type: ignore[attr-defined]
    storage.commit_upload("b", "p.bin", session, [(1, ""), (2, "")])  # type: ignore[attr-defined]
    assert stub.objects[("b", "p.bin")] == data


def test_a_finished_or_cancelled_session_is_upload_not_found(stub: GcsStub) -> None:
    storage = open_storage(stub_settings(stub))
    session = storage.begin_upload("b", "c.bin")  # type: ignore[attr-defined]
    storage.abort_upload("b", "c.bin", session)  # type: ignore[attr-defined]
    with pytest.raises(UploadNotFound):
        open_storage(stub_settings(stub)).list_chunks("b", "c.bin", session)  # type: ignore[attr-defined]


# ── the engine ──────────────────────────────────────────────────────────────────────────


def resumed_in_a_new_process(
    settings: ConnectionSettings, journal_path: Path
) -> tuple[Transfer, Counting]:
    """The journal's one paused upload, restored and resumed by a new backend that knows
    nothing of its session (a new process), run to its end: done and verified."""
    later = Counting(settings, None, page_size=1000)
    queue = queue_on(later, Journal(journal_path), FAST)
    try:
        [t] = queue.restore()
        queue.resume([t.id])
        assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    return t, later


def test_an_interrupted_upload_resumes_from_the_committed_offset(
    stub: GcsStub, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    data = make_file(source, 5 * PART + 12345)
    settings = stub_settings(stub)
    journal_path = tmp_path / "journal.sqlite3"
    first = Counting(settings, None, page_size=1000)
    queue = queue_on(first, Journal(journal_path), SLOW)
    try:
        [t] = queue.add([upload_request(settings, "b", "big.bin", source)])
        wait_until(lambda: len(queue.journal.parts(t.id)) >= 2)
        queue.pause([t.id])
        assert queue.wait([t], timeout=30)
        assert t.state is State.PAUSED
    finally:
        queue.shutdown()
    sent_before = stub.received
    assert 2 * PART <= sent_before < len(data)

    # A new process: a new backend that knows nothing of the session, the same journal.
    t, later = resumed_in_a_new_process(settings, journal_path)
    assert stub.objects[("b", "big.bin")] == data
    assert stub.begun == 1, "the journalled session was continued"
    assert stub.status_queries == 1
    assert stub.received == len(data), "only the bytes the server did not hold were sent"
    assert later.calls["upload_chunk"] == 6 - sent_before // PART


def test_on_fake_gcs_server_a_resumed_upload_starts_again_and_is_verified(
    gcs_server: GcsServer, tmp_path: Path
) -> None:
    """fake-gcs-server closes a session on a status query (it saves what it has): the
    session proves unusable, the upload begins again and the result is checked."""
    bucket = gcs_server.bucket()
    source = tmp_path / "big.bin"
    data = make_file(source, 3 * PART + 7)
    settings = gcs_server.settings()
    journal_path = tmp_path / "journal.sqlite3"
    first = Counting(settings, None, page_size=1000)
    queue = queue_on(first, Journal(journal_path), SLOW)
    try:
        [t] = queue.add([upload_request(settings, bucket, "big.bin", source)])
        wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
        queue.pause([t.id])
        assert queue.wait([t], timeout=30)
    finally:
        queue.shutdown()

    t, later = resumed_in_a_new_process(settings, journal_path)
    assert later.calls["begin_upload"] == 1, "a new session"
    assert later.calls["upload_chunk"] == 4
    with later.get_object(bucket, "big.bin") as reader:
        assert reader.read(-1) == data


def test_a_bandwidth_limit_is_heard_by_a_file_smaller_than_gcs_chunk(
    stub: GcsStub, tmp_path: Path
) -> None:
    """The limiter lets a chunk go, then waits for it: GCS's 64 MiB chunk carried most
    files whole, so put --limit-rate (and the window's limit) went at full speed. Under a
    limit an upload's chunks are the default part size (8 MiB), as S3's are."""
    source = tmp_path / "limited.bin"
    data = make_file(source, 20 * MiB)
    settings = stub_settings(stub)
    backend = Counting(settings, None, page_size=1000)
    limited = TransferOptions(concurrency=1, part_concurrency=1, bandwidth_limit=256 * MiB)
    queue = queue_on(backend, Journal(tmp_path / "journal.sqlite3"), limited)
    try:
        [t] = queue.add([upload_request(settings, "b", "limited.bin", source)])
        assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    assert (t.state, t.error) == (State.DONE, None)
    assert stub.objects[("b", "limited.bin")] == data
    assert t.part_size == 8 * MiB
    assert backend.calls["upload_chunk"] == 3


# ── a last chunk shorter than the others but a multiple of 256 KiB ──────────────────────

#: Two whole chunks and a last one of 512 KiB: a multiple of GCS's granule, so it is sent
#: as a chunk (not held for the commit), and shorter than the others.
SHORT_LAST = 2 * PART + 2 * CHUNK_GRANULE


def test_a_short_last_chunk_goes_where_the_chunks_before_it_end(
    stub: GcsStub, tmp_path: Path
) -> None:
    """Its offset was its number times its own length (here 1 MiB, not 2): it was sent
    over bytes the server held, or not at all, and the object was finished short. A file
    of 100 MiB (64 + 36) never uploaded; a copy to GCS was left short without a word."""
    source = tmp_path / "short-last.bin"
    data = make_file(source, SHORT_LAST)
    settings = stub_settings(stub)
    queue = queue_on(Counting(settings, None, page_size=1000), Journal(tmp_path / "j"), FAST)
    try:
        [t] = queue.add([upload_request(settings, "b", "short-last.bin", source)])
        assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert stub.objects[("b", "short-last.bin")] == data
    assert stub.received == len(data)


def test_a_session_resumed_before_its_short_last_chunk_sends_only_that_chunk(
    stub: GcsStub, tmp_path: Path
) -> None:
    """A new process knows nothing of the chunks before: the engine says where the last
    one starts."""
    source = tmp_path / "resume-last.bin"
    data = make_file(source, SHORT_LAST)
    settings = stub_settings(stub)
    journal_path = tmp_path / "journal.sqlite3"
    queue = queue_on(Counting(settings, None, page_size=1000), Journal(journal_path), SLOW)
    try:
        [t] = queue.add([upload_request(settings, "b", "resume-last.bin", source)])
        wait_until(lambda: len(queue.journal.parts(t.id)) >= 2)
        queue.pause([t.id])
        assert queue.wait([t], timeout=30)
    finally:
        queue.shutdown()
    assert t.state is State.PAUSED
    assert stub.received == 2 * PART

    t, later = resumed_in_a_new_process(settings, journal_path)
    assert stub.objects[("b", "resume-last.bin")] == data
    assert later.calls["upload_chunk"] == 1
    assert stub.received == len(data), "no byte sent twice"


def test_a_copy_streamed_into_gcs_with_a_short_last_chunk_is_whole(
    gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy from another cloud writes GCS chunk by chunk too: it was finished short
    (fake-gcs-server: the last chunk's bytes never sent) and reported done."""
    monkeypatch.setattr(operations, "STREAM_PART_SIZE", PART)
    settings = ConnectionSettings(name="gcs-src", kind="memory", endpoint_url="memory://gcs-src")
    source = MemoryStorage(settings, store_for(settings), page_size=1000)
    try:
        source.create_bucket("src")
        data = hashlib.shake_256(b"streamed").digest(SHORT_LAST)
        source.put_object("src", "d/big.bin", data, content_md5="")
        dest, bucket = gcs_server.backend(), gcs_server.bucket()
        op = Operation(
            source, OpKind.COPY, "src", [OpItem("d/", "d/")], dest_backend=dest, dest_bucket=bucket
        )
        assert op.streams
        result = op.run()
        assert result.ok and result.done == 1, result.failed
        with dest.get_object(bucket, "d/big.bin") as reader:
            assert reader.read(-1) == data
    finally:
        forget_store(settings)
