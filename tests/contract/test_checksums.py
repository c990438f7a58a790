"""Checksums are data of their own, not read out of a revision (an ETag): a blob that
cloudbrowser uploaded to Azure (whose ETag is opaque) carries its Content-MD5 and is
verified when downloaded, in one GET or in ranges; a blob without one is read in ranges of
at most 4 MiB, each checked against the MD5 Azure gives of it; bytes corrupted on the way
are caught by the MD5, whatever the ETag is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core import operations
from cloudbrowser.core.backends import features_of
from cloudbrowser.core.backends.azure import fast
from cloudbrowser.core.backends.azure.backend import AzureBackend
from cloudbrowser.core.backends.azure.features import RANGE_MD5_MAX
from cloudbrowser.core.backends.gcs.backend import GcsBackend
from cloudbrowser.core.backends.memory import forget_store, store_for
from cloudbrowser.core.backends.memory.backend import MemoryStorage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.downloads import RANGE_MD5_NOTE
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import IntegrityError, ObjectChanged, StorageError
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.storage import ObjectReader, Storage, chunked_uploads_of
from cloudbrowser.core.sync import file_matches_object
from cloudbrowser.core.transfers import (
    MiB,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from tests.conftest import AzuriteServer, GcsServer
from tests.contract.test_transfers import make_file, temporaries

PART = 5 * MiB
NO_MD5 = "Not verified: the server gives no MD5 checksum for this object."
OPTIONS = TransferOptions(part_size=PART, concurrency=2, part_concurrency=3)


class Corrupted:
    """A reply whose first byte was changed on the way; it says what the server said."""

    def __init__(self, inner: ObjectReader) -> None:
        self._inner = inner
        self.size, self.etag, self.modified = inner.size, inner.etag, inner.modified
        self.content_type, self.content_range = inner.content_type, inner.content_range
        self.md5, self.crc32c, self.range_md5 = inner.md5, inner.crc32c, inner.range_md5
        self._first = True

    def read(self, amount: int) -> bytes:
        data = self._inner.read(amount)
        if self._first and data:
            self._first = False
            return bytes([data[0] ^ 0xFF]) + data[1:]
        return data

    def abort(self) -> None:
        self._inner.abort()

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> Corrupted:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class CorruptingAzure(AzureBackend):
    """The real Azure backend, whose replies' bytes are corrupted on the way."""

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        return Corrupted(super().get_object(*args, **kwargs))


class CorruptingGcs(GcsBackend):
    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        return Corrupted(super().get_object(*args, **kwargs))


class CorruptingMemory(MemoryStorage):
    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        return Corrupted(super().get_object(*args, **kwargs))


@pytest.fixture
def queues() -> Iterator[list[TransferQueue]]:
    made: list[TransferQueue] = []
    yield made
    for queue in made:
        queue.shutdown()


def run(
    queues: list[TransferQueue], backend: Storage, journal: Path, requests: list[TransferRequest]
) -> list[Transfer]:
    queue = TransferQueue(lambda _name: backend, Journal(journal), OPTIONS)
    queues.append(queue)
    transfers = queue.add(requests, batch="b")
    assert queue.wait(transfers, timeout=120)
    return transfers


def upload_request(backend: Storage, bucket: str, key: str, path: Path) -> TransferRequest:
    st = path.stat()
    return TransferRequest(
        Direction.UPLOAD, backend.settings.name, bucket, key, path, st.st_size, st.st_mtime
    )


def download_request(backend: Storage, bucket: str, key: str, path: Path) -> TransferRequest:
    info = backend.head_object(bucket, key)
    return TransferRequest(
        Direction.DOWNLOAD,
        backend.settings.name,
        bucket,
        key,
        path,
        info.size,
        info.modified,
        info.etag,
    )


@pytest.mark.server
@pytest.mark.parametrize("size", [3 * PART + 7, 1000], ids=["in blocks", "in one put"])
def test_a_blob_uploaded_here_carries_its_md5_and_downloads_verified(
    azurite_server: AzuriteServer, queues: list[TransferQueue], tmp_path: Path, size: int
) -> None:
    backend = azurite_server.backend()
    bucket = azurite_server.bucket()
    data = make_file(tmp_path / "src.bin", size)
    md5 = hashlib.md5(data).hexdigest()
    [up] = run(
        queues,
        backend,
        tmp_path / "j.sqlite3",
        [upload_request(backend, bucket, "f.bin", tmp_path / "src.bin")],
    )
    assert (up.state, up.error, up.multipart) == (State.DONE, None, size > PART)
    assert up.verified, up.note

    info = backend.head_object(bucket, "f.bin")
    assert info.md5 == md5
    assert info.etag != md5, "the ETag is an opaque revision, not the checksum"
    [row] = backend.list_page(bucket).objects
    assert row.md5 == md5

    target = tmp_path / "out" / "f.bin"
    [down] = run(
        queues,
        backend,
        tmp_path / "j.sqlite3",
        [download_request(backend, bucket, "f.bin", target)],
    )
    assert (down.state, down.error, down.multipart) == (State.DONE, None, size > PART)
    assert (down.verified, down.note) == (True, ""), "by the blob's own MD5"
    assert down.part_size == (PART if size > PART else 0), "its ranges are not made smaller"
    assert target.read_bytes() == data


def put_without_md5(backend: Storage, bucket: str, key: str, data: bytes) -> None:
    """Blocks committed without a Content-MD5 (as AzCopy without --put-md5 and many SDK
    uploads leave a blob): Azure keeps none."""
    uploads = chunked_uploads_of(backend)
    session = uploads.begin_upload(bucket, key)
    chunks = [data[i : i + PART] for i in range(0, len(data), PART)]
    tokens = [
        (n + 1, uploads.upload_chunk(bucket, key, session, n + 1, chunk, content_md5=""))
        for n, chunk in enumerate(chunks)
    ]
    uploads.commit_upload(bucket, key, session, tokens)
    assert backend.head_object(bucket, key).md5 == ""


class CountingGets(AzureBackend):
    """The real Azure backend, counting its reads and the reads that asked for an MD5."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads: list[tuple[int, int | None, bool]] = []

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        start, end = kwargs.get("start", 0), kwargs.get("end")
        self.reads.append((start, end, bool(kwargs.get("range_md5"))))
        return super().get_object(*args, **kwargs)


#: In ranges (bigger than a part), in one read's size but too big for one range MD5, in
#: one GET.
NO_MD5_SIZES = [2 * PART + 3, RANGE_MD5_MAX + 100, 1000]
NO_MD5_IDS = ["in ranges", "above 4 MiB", "in one get"]


@pytest.mark.server
@pytest.mark.parametrize("path", ["fast", "sdk"])
@pytest.mark.parametrize("size", NO_MD5_SIZES, ids=NO_MD5_IDS)
def test_a_blob_without_md5_is_verified_by_the_md5_of_each_range(
    azurite_server: AzuriteServer,
    queues: list[TransferQueue],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
    path: str,
) -> None:
    """Azure gives the MD5 of a range of at most 4 MiB (x-ms-range-get-content-md5): a
    blob that has none of its own is read in such ranges, each checked."""
    monkeypatch.setattr(fast, "FAST_PATH_ON", path == "fast")
    bucket = azurite_server.bucket()
    data = make_file(tmp_path / "src.bin", size)
    backend = CountingGets(azurite_server.settings(), azurite_server.credentials, page_size=1000)
    assert (backend._fast is not None) == (path == "fast")
    put_without_md5(backend, bucket, "bare.bin", data)

    target = tmp_path / "out" / "bare.bin"
    [t] = run(
        queues,
        backend,
        tmp_path / "j.sqlite3",
        [download_request(backend, bucket, "bare.bin", target)],
    )
    assert (t.state, t.error) == (State.DONE, None)
    assert (t.verified, t.note) == (True, RANGE_MD5_NOTE)
    assert target.read_bytes() == data
    assert all(md5 for _start, _end, md5 in backend.reads), "every read asked for its MD5"
    assert all(end is not None and end - start < RANGE_MD5_MAX for start, end, _ in backend.reads)
    if size <= RANGE_MD5_MAX:
        assert not t.multipart
        assert backend.reads == [(0, size - 1, True)], "one GET"
    else:
        assert t.part_size == RANGE_MD5_MAX
        assert len(backend.reads) == -(-size // RANGE_MD5_MAX)


class NoRangeMd5(AzureBackend):
    """A server that gives no MD5 of a range (never asked for it)."""

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_object(*args, **{**kwargs, "range_md5": False})


@pytest.mark.server
@pytest.mark.parametrize("size", [2 * PART + 3, 1000], ids=["in ranges", "in one get"])
def test_a_blob_without_md5_whose_ranges_have_none_is_said_not_verified(
    azurite_server: AzuriteServer, queues: list[TransferQueue], tmp_path: Path, size: int
) -> None:
    bucket = azurite_server.bucket()
    backend = NoRangeMd5(azurite_server.settings(), azurite_server.credentials, page_size=1000)
    data = make_file(tmp_path / "src.bin", size)
    put_without_md5(backend, bucket, "bare.bin", data)
    target = tmp_path / "out" / "bare.bin"
    [t] = run(
        queues,
        backend,
        tmp_path / "j.sqlite3",
        [download_request(backend, bucket, "bare.bin", target)],
    )
    assert (t.state, t.error) == (State.DONE, None)
    assert (t.verified, t.note) == (False, NO_MD5)
    assert target.read_bytes() == data


class FailsOneRange(CountingGets):
    """The real Azure backend, whose read of the third range fails once."""

    failed = False

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("start") == 2 * RANGE_MD5_MAX and not self.failed:
            self.failed = True
            raise StorageError("The connection broke.")
        return super().get_object(*args, **kwargs)


@pytest.mark.server
def test_a_resumed_download_of_a_blob_without_md5_is_verified_by_its_journalled_ranges(
    azurite_server: AzuriteServer, queues: list[TransferQueue], tmp_path: Path
) -> None:
    """The ranges kept from the failed attempt were journalled with the MD5 they were
    checked against: the retry reads only the rest and the whole file counts as checked."""
    bucket = azurite_server.bucket()
    backend = FailsOneRange(azurite_server.settings(), azurite_server.credentials, page_size=1000)
    data = make_file(tmp_path / "src.bin", 4 * RANGE_MD5_MAX + 9)
    put_without_md5(backend, bucket, "bare.bin", data)
    target = tmp_path / "out" / "bare.bin"
    queue = TransferQueue(
        lambda _name: backend,
        Journal(tmp_path / "j.sqlite3"),
        TransferOptions(part_size=PART, concurrency=1, part_concurrency=1),
    )
    queues.append(queue)
    [t] = queue.add([download_request(backend, bucket, "bare.bin", target)])
    assert queue.wait([t], timeout=120)
    assert t.state is State.FAILED, t.error
    assert t.part_size == RANGE_MD5_MAX
    record = queue.journal.get(t.id)
    assert record is not None and record.part_size == RANGE_MD5_MAX, "a restart reads so too"
    kept = queue.journal.parts(t.id)
    assert [p.number for p in kept] == [1, 2] and all(p.md5 for p in kept)

    backend.reads.clear()
    queue.retry([t.id])
    assert queue.wait([t], timeout=120)
    assert (t.state, t.error) == (State.DONE, None)
    assert (t.verified, t.note) == (True, RANGE_MD5_NOTE)
    assert target.read_bytes() == data
    assert sorted(start for start, _end, _md5 in backend.reads) == [
        2 * RANGE_MD5_MAX,
        3 * RANGE_MD5_MAX,
        4 * RANGE_MD5_MAX,
    ], "only the ranges not kept"


@pytest.mark.server
@pytest.mark.parametrize("size", NO_MD5_SIZES, ids=NO_MD5_IDS)
def test_a_range_of_a_blob_without_md5_corrupted_on_the_way_is_refused(
    azurite_server: AzuriteServer, queues: list[TransferQueue], tmp_path: Path, size: int
) -> None:
    bucket = azurite_server.bucket()
    backend = CorruptingAzure(azurite_server.settings(), azurite_server.credentials, page_size=1000)
    put_without_md5(backend, bucket, "bare.bin", make_file(tmp_path / "src.bin", size))
    target = tmp_path / "out" / "bare.bin"
    [t] = run(
        queues,
        backend,
        tmp_path / "j.sqlite3",
        [download_request(backend, bucket, "bare.bin", target)],
    )
    assert t.state is State.FAILED
    assert isinstance(t.error, IntegrityError), t.error
    assert "server MD5" in t.error.detail and "bytes " in t.error.detail
    assert not target.exists()
    assert temporaries(target) == [], "wrong bytes are not kept for a resume"


@pytest.mark.server
@pytest.mark.parametrize("size", [2 * PART + 1, 1000], ids=["in ranges", "in one get"])
def test_a_blob_corrupted_on_the_way_is_caught_by_its_md5(
    azurite_server: AzuriteServer, queues: list[TransferQueue], tmp_path: Path, size: int
) -> None:
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"c.bin": make_file(tmp_path / "src.bin", size)})
    settings = azurite_server.settings()
    backend = CorruptingAzure(settings, azurite_server.credentials, page_size=1000)
    assert backend.head_object(bucket, "c.bin").md5  # Put Blob: the service computed it
    target = tmp_path / "out" / "c.bin"
    [t] = run(
        queues,
        backend,
        tmp_path / "j.sqlite3",
        [download_request(backend, bucket, "c.bin", target)],
    )
    assert t.state is State.FAILED
    assert isinstance(t.error, IntegrityError), t.error
    assert "local MD5" in t.error.detail
    assert not target.exists()
    assert temporaries(target) == [], "wrong bytes are not kept for a resume"


@pytest.fixture
def memory() -> Iterator[MemoryStorage]:
    settings = ConnectionSettings(name="cks-memory", kind="memory", endpoint_url="memory://cks")
    yield CorruptingMemory(settings, store_for(settings), page_size=1000)
    forget_store(settings)


def test_bytes_corrupted_on_the_way_from_memory_are_caught(
    memory: MemoryStorage, queues: list[TransferQueue], tmp_path: Path
) -> None:
    memory.create_bucket("bkt")
    data = make_file(tmp_path / "src.bin", 3000)
    memory.put_object("bkt", "m.bin", data, content_md5="")
    assert memory.head_object("bkt", "m.bin").md5 == hashlib.md5(data).hexdigest()
    [row] = memory.list_page("bkt").objects
    assert row.md5 == hashlib.md5(data).hexdigest()
    target = tmp_path / "out" / "m.bin"
    [t] = run(
        queues, memory, tmp_path / "j.sqlite3", [download_request(memory, "bkt", "m.bin", target)]
    )
    assert t.state is State.FAILED
    assert isinstance(t.error, IntegrityError), t.error
    assert not target.exists()


@pytest.mark.server
def test_a_copy_streamed_into_azure_carries_the_md5_and_a_corrupted_one_fails(
    azurite_server: AzuriteServer, memory: MemoryStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two providers the bytes pass through here: the copy is checked against the
    source's MD5, and the blob made of blocks gets the whole object's MD5."""
    monkeypatch.setattr(operations, "STREAM_PART_SIZE", PART)
    honest = MemoryStorage(memory.settings, memory.store, page_size=1000)
    honest.create_bucket("src")
    big = hashlib.shake_256(b"streamed").digest(2 * PART + 11)
    honest.put_object("src", "d/big.bin", big, content_md5="")
    dest = azurite_server.backend()
    bucket = azurite_server.bucket()

    op = Operation(
        honest, OpKind.COPY, "src", [OpItem("d/", "d/")], dest_backend=dest, dest_bucket=bucket
    )
    assert op.streams
    result = op.run()
    assert result.ok and result.done == 1
    assert dest.head_object(bucket, "d/big.bin").md5 == hashlib.md5(big).hexdigest()

    corrupted = Operation(
        memory, OpKind.COPY, "src", [OpItem("d/", "e/")], dest_backend=dest, dest_bucket=bucket
    )
    result = corrupted.run()
    [(key, error)] = result.failed
    assert key == "d/big.bin" and isinstance(error, IntegrityError), error
    assert [e for e in dest.list_page(bucket, "e/", recursive=True).objects] == []


def test_sync_compares_a_file_with_the_listed_md5_never_an_opaque_etag(tmp_path: Path) -> None:
    data = make_file(tmp_path / "f.bin", 4000)
    azure = features_of(ConnectionSettings(name="az", kind="azure", account="acct"))
    listed = Entry("f.bin", len(data), 0.0, "0x8DC1234567890AB", md5=hashlib.md5(data).hexdigest())
    assert file_matches_object(tmp_path / "f.bin", len(data), listed, azure)
    other = hashlib.md5(b"other").hexdigest()
    assert not file_matches_object(tmp_path / "f.bin", len(data), listed._replace(md5=other), azure)
    # No MD5 kept: it cannot tell, so the file is transferred.
    assert not file_matches_object(tmp_path / "f.bin", len(data), listed._replace(md5=""), azure)


class IgnoringIfMatch(MemoryStorage):
    """A server that ignores a read's If-Match (as rclone serve s3 does)."""

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_object(*args, **{**kwargs, "if_match": ""})


@pytest.mark.parametrize("size", [2 * PART + 1, 1000], ids=["in ranges", "in one get"])
def test_another_revision_sent_despite_if_match_is_refused_not_verified_by_its_own_md5(
    memory: MemoryStorage, queues: list[TransferQueue], tmp_path: Path, size: int
) -> None:
    """The reply's checksums speak for the reply's revision: bytes of an object replaced
    since it was listed are not saved as the listed one, however well they match."""
    server = IgnoringIfMatch(memory.settings, memory.store, page_size=1000)
    server.create_bucket("bkt")
    server.put_object("bkt", "x.bin", make_file(tmp_path / "old.bin", size), content_md5="")
    request = download_request(server, "bkt", "x.bin", tmp_path / "out" / "x.bin")
    server.put_object("bkt", "x.bin", make_file(tmp_path / "new.bin", size, 1), content_md5="")
    [t] = run(queues, server, tmp_path / "j.sqlite3", [request])
    assert t.state is State.FAILED
    assert isinstance(t.error, ObjectChanged), t.error
    assert not (tmp_path / "out" / "x.bin").exists()


@pytest.mark.server
@pytest.mark.parametrize("corrupt", [False, True], ids=["intact", "corrupted"])
def test_a_gcs_object_in_ranges_is_verified_by_its_crc32c_not_an_md5(
    gcs_server: GcsServer,
    queues: list[TransferQueue],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    corrupt: bool,
) -> None:
    """Every GCS object has a CRC32C: a download in ranges computes it on the way (ten
    times cheaper than an MD5, as Google's clients verify) and never an MD5 of the file;
    a byte changed on the way fails the file, and nothing of it is kept."""
    from cloudbrowser.core import downloads

    bucket = gcs_server.bucket()
    data = make_file(tmp_path / "src.bin", 2 * PART + 1)
    gcs_server.put(bucket, {"g.bin": data})
    settings = gcs_server.settings()
    backend = (CorruptingGcs if corrupt else GcsBackend)(
        settings, gcs_server.credentials, page_size=1000
    )
    info = backend.head_object(bucket, "g.bin")
    assert info.md5 and info.crc32c
    hashed: list[int] = []

    def counting_md5(data: bytes | memoryview = b"") -> Any:
        hashed.append(len(data))
        return hashlib.md5(data, usedforsecurity=False)

    monkeypatch.setattr(downloads, "md5_of", counting_md5)
    target = tmp_path / "out" / "g.bin"
    request = download_request(backend, bucket, "g.bin", target)
    [t] = run(queues, backend, tmp_path / "j.sqlite3", [request])
    assert t.multipart
    assert hashed == [], "no MD5 of the file where its CRC32C is there"
    if not corrupt:
        assert (t.state, t.error, t.verified) == (State.DONE, None, True)
        assert target.read_bytes() == data
        return
    assert t.state is State.FAILED
    assert isinstance(t.error, IntegrityError), t.error
    assert "local CRC32C" in t.error.detail
    assert not target.exists()
    assert temporaries(target) == [], "wrong bytes are not kept for a resume"
