"""The transfer engine on both servers: round trips, verification, pause, cancel, resume.

Files are a few MiB with a 5 MiB part size (S3's minimum), so multipart paths run with
little data. Crash-resume with a real ``kill -9`` is in test_transfer_faults.py.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend, S3Reader
from cloudbrowser.core.downloads import is_temporary_name
from cloudbrowser.core.errors import ConfigError, IntegrityError
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfers import (
    MiB,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from tests.conftest import S3Server

PART = 5 * MiB
OPTIONS = TransferOptions(part_size=PART, concurrency=4, part_concurrency=4)


class CountingBackend(S3Backend):
    """A real backend that counts the requests the engine makes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def begin_upload(self, *args: Any, **kwargs: Any) -> str:
        self._count("create_multipart_upload")
        return super().begin_upload(*args, **kwargs)

    def upload_chunk(self, *args: Any, **kwargs: Any) -> str:
        self._count("upload_chunk")
        return super().upload_chunk(*args, **kwargs)

    def get_object(self, *args: Any, **kwargs: Any) -> S3Reader:
        self._count("get_object")
        return super().get_object(*args, **kwargs)


def counting_backend(server: S3Server) -> CountingBackend:
    return CountingBackend(server.settings(), server.credentials)


QueueFactory = Callable[..., TransferQueue]


@pytest.fixture
def make_queue(server: S3Server, tmp_path: Path) -> Iterator[QueueFactory]:
    queues: list[TransferQueue] = []

    def make(
        backend: S3Backend | None = None,
        options: TransferOptions = OPTIONS,
        journal: Journal | None = None,
    ) -> TransferQueue:
        chosen = backend or server.backend()

        def lookup(name: str) -> S3Backend:
            if name != chosen.settings.name:
                raise ConfigError(f"unknown connection {name}")
            return chosen

        queue = TransferQueue(lookup, journal or Journal(tmp_path / "journal.sqlite3"), options)
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        queue.shutdown()


def make_file(path: Path, size: int, seed: int = 0) -> bytes:
    # Not compressible, not repetitive: a misplaced part changes the checksum.
    data = hashlib.shake_256(f"{seed}-{size}".encode()).digest(size) if size else b""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def upload(server: S3Server, bucket: str, key: str, path: Path) -> TransferRequest:
    st = path.stat()
    return TransferRequest(
        Direction.UPLOAD, server.settings().name, bucket, key, path, st.st_size, st.st_mtime
    )


def download(server: S3Server, bucket: str, key: str, path: Path) -> TransferRequest:
    head = server.client.head_object(Bucket=bucket, Key=key)
    return TransferRequest(
        Direction.DOWNLOAD,
        server.settings().name,
        bucket,
        key,
        path,
        int(head["ContentLength"]),
        head["LastModified"].timestamp(),
        head["ETag"].strip('"'),
    )


def run(queue: TransferQueue, requests: list[TransferRequest]) -> list[Transfer]:
    transfers = queue.add(requests, batch="b")
    assert queue.wait(transfers, timeout=60)
    return transfers


def temporaries(target: Path) -> list[Path]:
    """The download temporary files beside ``target`` (hidden, ``.name.cbpart-<id>``)."""
    if not target.parent.is_dir():
        return []
    return sorted(
        p
        for p in target.parent.iterdir()
        if is_temporary_name(p.name) and p.name.startswith(f".{target.name}.")
    )


def remote_bytes(server: S3Server, bucket: str, key: str) -> bytes:
    return server.client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]


def open_uploads(server: S3Server, bucket: str) -> list[str]:
    return [u.key for u in server.backend().list_unfinished_uploads(bucket)]


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for a condition the engine makes true (a part journalled...), not for time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


# ── round trips ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("size", [0, 1, 4096, PART, PART + 1, 2 * PART + 12345])
def test_upload_then_download_round_trips_and_verifies(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path, size: int
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src" / "file.bin", size)
    queue = make_queue()

    [up] = run(queue, [upload(server, bucket, "dir/file.bin", tmp_path / "src" / "file.bin")])
    assert (up.state, up.error) == (State.DONE, None)
    assert up.verified, up.note
    assert up.multipart == (size > PART)
    assert remote_bytes(server, bucket, "dir/file.bin") == data
    assert open_uploads(server, bucket) == []

    target = tmp_path / "dst" / "file.bin"
    [down] = run(queue, [download(server, bucket, "dir/file.bin", target)])
    assert (down.state, down.error) == (State.DONE, None)
    assert target.read_bytes() == data
    assert temporaries(target) == []
    assert down.bytes_done == size
    # The local copy carries the object's time, so "only if newer" can compare them.
    head = server.client.head_object(Bucket=bucket, Key="dir/file.bin")
    assert target.stat().st_mtime == pytest.approx(head["LastModified"].timestamp())
    # moto gives the composite ETag (checked from the ranges' MD5s), rclone the plain MD5
    # of the whole file (checked by hashing it): both verify.
    assert down.verified, down.note


def test_many_small_files_in_parallel(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    files = {f"f{i:03d}.txt": make_file(tmp_path / f"f{i:03d}.txt", 100 + i, i) for i in range(40)}
    queue = make_queue()
    transfers = run(queue, [upload(server, bucket, k, tmp_path / k) for k in files])
    assert {t.state for t in transfers} == {State.DONE}
    for key, data in files.items():
        assert remote_bytes(server, bucket, key) == data
    summary = queue.summary("b")
    assert (summary.done, summary.failed, summary.bytes_done) == (
        40,
        [],
        sum(len(d) for d in files.values()),
    )


# ── verification ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("size", [1000, 2 * PART + 1])
def test_corrupted_download_fails_and_never_takes_the_real_name(
    server: S3Server,
    make_queue: QueueFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"x.bin": make_file(tmp_path / "x.bin", size)})
    original = S3Reader.read

    def flip_first_byte(self: S3Reader, amount: int) -> bytes:
        data = original(self, amount)
        return bytes([data[0] ^ 1]) + data[1:] if data else data

    monkeypatch.setattr(S3Reader, "read", flip_first_byte)
    target = tmp_path / "out" / "x.bin"
    [t] = run(make_queue(), [download(server, bucket, "x.bin", target)])
    assert t.state is State.FAILED
    assert isinstance(t.error, IntegrityError)
    assert not target.exists()
    assert temporaries(target) == [], "wrong bytes are not kept for a resume"


def test_verification_off_says_so(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    make_file(tmp_path / "a.bin", 100)
    queue = make_queue(options=TransferOptions(verify=False))
    [t] = run(queue, [upload(server, bucket, "a.bin", tmp_path / "a.bin")])
    assert t.state is State.DONE
    assert (t.verified, t.note) == (False, "Not verified (verification is off).")


# ── pause, resume, cancel ───────────────────────────────────────────────────────────────


def slow(options: TransferOptions = OPTIONS) -> TransferOptions:
    """Slow enough (8 MiB/s) that a test can act between parts."""
    return TransferOptions(
        part_size=options.part_size,
        concurrency=options.concurrency,
        part_concurrency=1,
        bandwidth_limit=8 * MiB,
    )


def test_paused_upload_resumes_from_the_parts_the_server_has(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "big.bin", 4 * PART + 7)
    backend = counting_backend(server)
    queue = make_queue(backend, slow())
    [t] = queue.add([upload(server, bucket, "big.bin", tmp_path / "big.bin")])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.pause([t.id])
    assert queue.wait([t], timeout=30)
    assert t.state is State.PAUSED
    sent_before = backend.calls["upload_chunk"]
    assert len(open_uploads(server, bucket)) == 1

    queue.set_options(OPTIONS)
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert remote_bytes(server, bucket, "big.bin") == data
    assert backend.calls["create_multipart_upload"] == 1, "never a second multipart upload"
    assert backend.calls["upload_chunk"] == 5, f"{sent_before} parts before the pause, none twice"
    assert open_uploads(server, bucket) == []


def test_cancelled_upload_aborts_its_multipart_upload(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    make_file(tmp_path / "big.bin", 4 * PART)
    queue = make_queue(options=slow())
    [t] = queue.add([upload(server, bucket, "big.bin", tmp_path / "big.bin")])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.cancel([t.id])
    assert queue.wait([t], timeout=30)
    assert t.state is State.CANCELLED
    assert open_uploads(server, bucket) == []
    assert "big.bin" not in [
        o["Key"] for o in server.client.list_objects_v2(Bucket=bucket).get("Contents", [])
    ]


def test_paused_download_resumes_with_only_the_missing_ranges(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src.bin", 4 * PART + 3)
    server.put(bucket, {"big.bin": data})
    backend = counting_backend(server)
    queue = make_queue(backend, slow())
    target = tmp_path / "dl" / "big.bin"
    [t] = queue.add([download(server, bucket, "big.bin", target)])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.pause([t.id])
    assert queue.wait([t], timeout=30)
    assert t.state is State.PAUSED
    assert len(temporaries(target)) == 1 and not target.exists()
    kept = len(queue.journal.parts(t.id))

    queue.set_options(OPTIONS)
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert target.read_bytes() == data
    # Interrupted ranges are fetched again, kept ones never.
    assert backend.calls["get_object"] <= 5 + (5 - kept)
    assert backend.calls["get_object"] >= 5


def test_cancelled_download_leaves_no_partial_file(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"big.bin": make_file(tmp_path / "src.bin", 4 * PART)})
    queue = make_queue(options=slow())
    target = tmp_path / "dl" / "big.bin"
    [t] = queue.add([download(server, bucket, "big.bin", target)])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.cancel([t.id])
    assert queue.wait([t], timeout=30)
    assert t.state is State.CANCELLED
    assert not target.exists() and temporaries(target) == []


def test_restore_lists_interrupted_transfers_as_paused(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    make_file(tmp_path / "a.bin", 10)
    journal_path = tmp_path / "j.sqlite3"
    first = make_queue(journal=Journal(journal_path))
    first.shutdown()  # no workers run: the transfer stays queued, as if the app was killed
    first.add([upload(server, bucket, "a.bin", tmp_path / "a.bin")])

    second = make_queue(journal=Journal(journal_path))
    [restored] = second.restore()
    assert (restored.state, restored.key, restored.interrupted) == (State.PAUSED, "a.bin", True)
    second.resume([restored.id])
    assert second.wait(timeout=30)
    assert restored.state is State.DONE


def test_upload_whose_multipart_upload_vanished_starts_a_new_one(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "big.bin", 3 * PART)
    queue = make_queue(options=slow())
    [t] = queue.add([upload(server, bucket, "big.bin", tmp_path / "big.bin")])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.pause([t.id])
    assert queue.wait([t], timeout=30)
    # Someone ran "clean up incomplete uploads" (or the upload expired) meanwhile.
    server.client.abort_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=t.session)

    queue.set_options(OPTIONS)
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert remote_bytes(server, bucket, "big.bin") == data


def test_file_changed_since_queued_is_uploaded_as_it_is_now(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    path = tmp_path / "a.txt"
    make_file(path, 10)
    request = upload(server, bucket, "a.txt", path)
    path.write_bytes(b"a longer, newer content")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    [t] = run(make_queue(), [request])
    assert t.state is State.DONE
    assert remote_bytes(server, bucket, "a.txt") == b"a longer, newer content"


def test_missing_source_file_fails_with_a_clear_message(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    make_file(tmp_path / "gone.txt", 5)
    request = upload(server, bucket, "gone.txt", tmp_path / "gone.txt")
    (tmp_path / "gone.txt").unlink()
    queue = make_queue()
    [t] = run(queue, [request])
    assert t.state is State.FAILED
    assert t.error is not None and "no longer exists" in t.error.message
    assert [f.name for f in queue.summary("b").failed] == ["gone.txt"]
