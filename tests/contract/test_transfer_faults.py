"""The transfer engine under real faults: kill -9, a full disk, a dying server, hostile keys.

* **kill -9**: ``transfer_child.py`` runs the real engine (S3Backend, Journal, TransferQueue)
  in a child process, slowed by a bandwidth limit; once the journal shows a finished part the
  child is SIGKILLed, and a new queue in this process continues from the same journal.
* **file size limit**: a child process with ``RLIMIT_FSIZE`` (and SIGXFSZ ignored) gets
  EFBIG from its writes, as on a file system that caps file size (FAT32).
* **a real full disk**: a tmpfs of a few MiB mounted for the test (skipped only where
  mounting is not permitted), filled by a hostile-server rule once the download has begun.
* **dying server**: an ``rclone serve s3`` of the test's own is killed mid-transfer and
  started again on the same port and folder.
* **hostile keys**: a property test of ``local_path_for`` and real downloads of objects
  whose keys try to leave the chosen folder.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import (
    ConfigError,
    EndpointUnreachable,
    LocalFileError,
    UnsafeKey,
)
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.keys import local_path_for
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.transfers import (
    MiB,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from tests.conftest import ACCESS_KEY, SECRET_KEY, S3Server
from tests.contract.test_transfers import (
    OPTIONS,
    PART,
    CountingBackend,
    download,
    make_file,
    open_uploads,
    remote_bytes,
    temporaries,
    upload,
    wait_until,
)
from tests.hostile import Forward, Request
from tests.local_servers import free_port, rclone_s3

REPO = Path(__file__).resolve().parents[2]
#: Slow enough that a part takes a while (parts one at a time, 4 MiB/s): the test acts
#: between parts, never races one.
SLOW = TransferOptions(part_size=PART, concurrency=1, part_concurrency=1, bandwidth_limit=4 * MiB)
#: As SLOW, failing at once where it would wait to be tried again by itself: what the user
#: sees once the retries are spent.
SLOW_NO_RETRY = replace(SLOW, retries=0)
#: As SLOW, trying again every half second for as long as a server takes to come back.
SLOW_PATIENT = replace(SLOW, retries=40, retry_waits=(0.5,))
#: ~25 MiB: six parts of 5 MiB, the last one short.
BIG = 5 * PART + 12345


# ── helpers ─────────────────────────────────────────────────────────────────────────────


class Children:
    """Child processes this test started; any still alive at the end are killed by pid."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self,
        server: S3Server,
        journal: Path,
        options: TransferOptions,
        requests: list[TransferRequest] | None = None,
        *,
        fsize_limit: int = 0,
    ) -> subprocess.Popen[bytes]:
        """Run the engine in a child: add ``requests``, or resume the journal when None."""
        spec_path = self.tmp_path / f"child-{len(self.procs)}.json"
        spec: dict[str, Any] = {
            "settings": server.settings()._asdict(),
            "credentials": [server.credentials.access_key_id, server.credentials.secret_access_key],
            "journal": str(journal),
            "options": asdict(options),
            "resume": requests is None,
            "requests": [
                {**asdict(r), "direction": r.direction.value, "local_path": str(r.local_path)}
                for r in requests or []
            ],
            "fsize_limit": fsize_limit,
        }
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.contract.transfer_child", str(spec_path)],
            cwd=REPO,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.procs.append(proc)
        return proc

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    made = Children(tmp_path)
    yield made
    made.kill_all()


def child_report(proc: subprocess.Popen[bytes], timeout: float = 60) -> list[dict[str, str]]:
    """What a child that ran to the end printed about its transfers."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode(errors="replace")
    report: list[dict[str, str]] = json.loads(out.decode().strip().splitlines()[-1])
    return report


def kill_when_parts_journalled(
    proc: subprocess.Popen[bytes], journal: Journal, transfer_id: int, parts: int = 1
) -> None:
    """SIGKILL the child as soon as the journal holds ``parts`` finished parts."""

    def ready() -> bool:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"the child ended early: {err.decode(errors='replace')}")
        return len(journal.parts(transfer_id)) >= parts

    wait_until(ready)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def queue_on(backend: S3Backend, journal: Journal, options: TransferOptions) -> TransferQueue:
    def lookup(name: str) -> S3Backend:
        if name != backend.settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    return TransferQueue(lookup, journal, options)


@pytest.fixture
def queues() -> Iterator[list[TransferQueue]]:
    """Queues a test made; shut down at the end even when the test failed."""
    made: list[TransferQueue] = []
    yield made
    for queue in made:
        queue.shutdown()


def counting(server: S3Server) -> CountingBackend:
    return CountingBackend(server.settings(), server.credentials)


# ── kill -9 ─────────────────────────────────────────────────────────────────────────────


def test_upload_killed_mid_way_resumes_from_the_parts_the_server_has(
    server: S3Server, children: Children, queues: list[TransferQueue], tmp_path: Path
) -> None:
    bucket = server.bucket()
    source = tmp_path / "big.bin"
    data = make_file(source, BIG)
    journal_path = tmp_path / "journal.sqlite3"
    reader = Journal(journal_path)
    child = children.start(server, journal_path, SLOW, [upload(server, bucket, "big.bin", source)])
    kill_when_parts_journalled(child, reader, transfer_id=1)

    record = reader.get(1)
    assert record is not None and record.session, "the UploadId is journalled before parts"
    # A running transfer is journalled as queued (both mean "interrupted" after a crash).
    assert record.state is State.QUEUED, "killed: nobody recorded an end"
    on_server = server.backend().list_chunks(bucket, "big.bin", record.session)
    assert 1 <= len(on_server) < 6

    backend = counting(server)
    queue = queue_on(backend, Journal(journal_path), OPTIONS)
    queues.append(queue)
    [t] = queue.restore()
    assert (t.state, t.key, t.session) == (State.PAUSED, "big.bin", record.session)
    assert backend.calls == {}, "restoring sends nothing"
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)

    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert remote_bytes(server, bucket, "big.bin") == data
    assert "create_multipart_upload" not in backend.calls, "the killed upload was continued"
    # Only the missing parts. The one part in flight at the kill (one at a time here) may
    # still land on the server after the listing above: then the resume finds it there,
    # checks it against the file's MD5 and does not send it again.
    sent = backend.calls["upload_chunk"]
    assert 6 - len(on_server) - 1 <= sent <= 6 - len(on_server), "only the missing parts"
    assert open_uploads(server, bucket) == []
    assert reader.get(t.id) is not None and reader.parts(t.id) == []


def test_download_killed_mid_way_resumes_with_only_the_missing_ranges(
    server: S3Server, children: Children, queues: list[TransferQueue], tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src.bin", BIG)
    server.put(bucket, {"big.bin": data})
    target = tmp_path / "dl" / "big.bin"
    journal_path = tmp_path / "journal.sqlite3"
    reader = Journal(journal_path)
    child = children.start(
        server, journal_path, SLOW, [download(server, bucket, "big.bin", target)]
    )
    kill_when_parts_journalled(child, reader, transfer_id=1)

    kept = len(reader.parts(1))
    assert 1 <= kept < 6
    [temp] = temporaries(target)
    assert temp.stat().st_size == BIG, "ranges are written in place"
    assert not target.exists(), "the real name only ever holds a complete, verified file"

    backend = counting(server)
    queue = queue_on(backend, Journal(journal_path), OPTIONS)
    queues.append(queue)
    [t] = queue.restore()
    assert t.state is State.PAUSED
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)

    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert target.read_bytes() == data
    assert temporaries(target) == []
    assert backend.calls["get_object"] == 6 - kept, "journalled ranges are not fetched again"


# ── file size limit ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("size", "limit"),
    [
        # One GET: the first 1 MiB chunk fits, the second is cut short, then EFBIG.
        (3 * MiB, MiB + 1000),
        # Ranges: the temporary file cannot even be made full length (EFBIG from ftruncate).
        (3 * PART + 1, 2 * PART),
    ],
    ids=["single-get", "ranged"],
)
def test_file_size_limit_fails_clearly_and_retries(
    server: S3Server,
    children: Children,
    queues: list[TransferQueue],
    tmp_path: Path,
    size: int,
    limit: int,
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src.bin", size)
    server.put(bucket, {"x.bin": data})
    target = tmp_path / "dl" / "x.bin"
    journal_path = tmp_path / "journal.sqlite3"
    options = TransferOptions(part_size=PART)
    request = download(server, bucket, "x.bin", target)
    child = children.start(server, journal_path, options, [request], fsize_limit=limit)

    [report] = child_report(child)
    assert (report["state"], report["error_type"]) == ("failed", "LocalFileError")
    # EFBIG is a limit on file size, not a full disk: said as such.
    assert report["message"] == "“x.bin” is too large for this file system."
    # The hint says what a retry will do: nothing was kept that a retry could continue.
    assert "downloaded again" in report["hint"]
    assert not target.exists(), "never a truncated file under the real name"
    # Ranges: no sparse file of the full length; one GET: the half file is never continued.
    assert temporaries(target) == [], "nothing is left behind"

    queue = queue_on(counting(server), Journal(journal_path), options)
    queues.append(queue)
    [t] = queue.restore()
    assert t.state is State.FAILED
    # Read back from the journal, the failure is still a local disk problem with its hint.
    assert isinstance(t.error, LocalFileError), repr(t.error)
    assert t.error.message == report["message"]
    assert t.error.hint == report["hint"] != ""
    queue.retry([t.id])  # this process has no file size limit: space was freed
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert target.read_bytes() == data
    assert temporaries(target) == []


def test_write_refused_mid_ranges_keeps_the_ranges_written_before(
    server: S3Server, children: Children, queues: list[TransferQueue], tmp_path: Path
) -> None:
    """A resumed ranged download whose writes start failing: the temporary file already has its
    full length, writes past the limit fail; the resume after that fetches only what the
    journal does not hold."""
    bucket = server.bucket()
    size = 3 * PART + 1
    data = make_file(tmp_path / "src.bin", size)
    server.put(bucket, {"x.bin": data})
    target = tmp_path / "dl" / "x.bin"
    journal_path = tmp_path / "journal.sqlite3"

    first = queue_on(server.backend(), Journal(journal_path), SLOW)
    queues.append(first)
    [t] = first.add([download(server, bucket, "x.bin", target)])
    wait_until(lambda: len(first.journal.parts(t.id)) >= 1)
    first.pause([t.id])
    assert first.wait([t], timeout=30)
    [temp] = temporaries(target)
    assert temp.stat().st_size == size
    kept = len(first.journal.parts(t.id))
    assert kept < 4

    # Past the first range plus half of the next, every write fails.
    child = children.start(
        server, journal_path, TransferOptions(part_size=PART), fsize_limit=kept * PART + PART // 2
    )
    [report] = child_report(child)
    assert (report["state"], report["error_type"]) == ("failed", "LocalFileError")
    assert "too large for this file system" in report["message"]
    assert "continues from there" in report["hint"]
    assert not target.exists()
    assert len(first.journal.parts(t.id)) == kept, "no range is journalled that was not written"

    backend = counting(server)
    queue = queue_on(backend, Journal(journal_path), OPTIONS)
    queues.append(queue)
    [again] = queue.restore()
    queue.retry([again.id])
    assert queue.wait([again], timeout=60)
    assert (again.state, again.error) == (State.DONE, None)
    assert target.read_bytes() == data
    assert backend.calls["get_object"] == 4 - kept


# ── a real full disk ────────────────────────────────────────────────────────────────────


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mount a tmpfs of a given size (a real, small, full-able disk); unmounted at the end.

    Tried with mount(2) itself, so that only EPERM (no CAP_SYS_ADMIN: not root, or a
    container that forbids mounts) skips the test; any other failure fails it.
    """
    mounted: list[Path] = []
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def mount(size: int) -> Path:
        if libc is None:
            pytest.skip("tmpfs mounts are Linux's")
        where = tmp_path / f"disk-{len(mounted)}"
        where.mkdir()
        options = f"size={size},mode=0755".encode()
        if libc.mount(b"tmpfs", os.fsencode(where), b"tmpfs", 0, options) != 0:
            code = ctypes.get_errno()
            if code == errno.EPERM:
                pytest.skip("mounting a tmpfs is not permitted here (EPERM)")
            raise OSError(code, f"mount tmpfs on {where}: {os.strerror(code)}")
        mounted.append(where)
        return where

    yield mount
    assert libc is not None or not mounted
    for where in reversed(mounted):
        # MNT_DETACH: gone at once even if a failed test's transfer still holds a file open.
        if libc is not None and libc.umount2(os.fsencode(where), _MNT_DETACH) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"umount {where}: {os.strerror(code)}")


_MNT_DETACH = 2


def fill_when_fetched(disk: Path, key: str, leave: int) -> Callable[[Request, Forward], None]:
    """A hostile-server rule: when the first GET of ``key`` arrives (the free-space check
    before writing has passed), fill ``disk`` until only ``leave`` bytes are free."""
    filled = threading.Event()

    def rule(request: Request, forward: Forward) -> None:
        if request.method == "GET" and request.key == key and not filled.is_set():
            filled.set()
            free = shutil.disk_usage(disk).free
            with open(disk / "filler", "wb") as f:  # noqa: PTH123
                f.write(b"\0" * max(0, free - leave))
        return None

    return rule


def test_a_download_larger_than_a_real_disk_fails_before_writing(
    server: S3Server, queues: list[TransferQueue], tmp_path: Path, tiny_disk: Callable[[int], Path]
) -> None:
    """4 MiB into a 2 MiB disk: "The disk is full" at once, no half file left behind, and
    the file it would have replaced and its neighbour keep their bytes."""
    disk = tiny_disk(2 * MiB)
    bucket = server.bucket()
    data = make_file(tmp_path / "src.bin", 4 * MiB)
    server.put(bucket, {"x.bin": data})
    old, other = b"old copy" * 1000, b"neighbour" * 1000
    (disk / "x.bin").write_bytes(old)
    (disk / "other.txt").write_bytes(other)
    queue = queue_on(server.backend(), Journal(tmp_path / "j.sqlite3"), OPTIONS)
    queues.append(queue)
    [t] = queue.add([download(server, bucket, "x.bin", disk / "x.bin")])
    assert queue.wait([t], timeout=60)
    assert t.state is State.FAILED
    assert isinstance(t.error, LocalFileError)
    assert re.fullmatch(
        r"The disk is full: “x\.bin” needs 4\.0 MiB, [12]\.\d MiB free\.", t.error.message
    ), t.error.message
    assert temporaries(disk / "x.bin") == []
    assert (disk / "x.bin").read_bytes() == old
    assert (disk / "other.txt").read_bytes() == other
    assert sorted(p.name for p in disk.iterdir()) == ["other.txt", "x.bin"]


@pytest.mark.parametrize("size", [4 * MiB, 2 * PART + 1], ids=["single-get", "ranged"])
def test_a_disk_that_fills_up_mid_download_fails_clearly_and_retries(
    hostile_server: S3Server,
    queues: list[TransferQueue],
    tmp_path: Path,
    tiny_disk: Callable[[int], Path],
    size: int,
) -> None:
    """The disk has room when the download starts, then something else fills it: the writes
    fail with ENOSPC. "The disk is full"; a file fetched in one GET leaves nothing behind
    (it is fetched again), a ranged one keeps its temporary file and the ranges written;
    the old file and its neighbour keep their bytes; once space is freed a retry delivers
    the object byte-identical."""
    disk = tiny_disk(size + 6 * MiB)
    bucket = hostile_server.bucket()
    data = make_file(tmp_path / "src.bin", size)
    hostile_server.put(bucket, {"x.bin": data})
    old, other = b"old copy" * 1000, b"neighbour" * 1000
    (disk / "x.bin").write_bytes(old)
    (disk / "other.txt").write_bytes(other)
    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(fill_when_fetched(disk, "x.bin", leave=MiB))

    queue = queue_on(hostile_server.backend(), Journal(tmp_path / "j.sqlite3"), OPTIONS)
    queues.append(queue)
    [t] = queue.add([download(hostile_server, bucket, "x.bin", disk / "x.bin")])
    assert queue.wait([t], timeout=60)
    assert t.state is State.FAILED
    assert isinstance(t.error, LocalFileError)
    assert t.error.message == "The disk is full: “x.bin” could not be written completely."
    assert "[Errno 28]" in t.error.detail
    ranged = size > PART
    if ranged:
        assert "continues from there" in t.error.hint
        [temp] = temporaries(disk / "x.bin")
        assert temp.stat().st_size == size, "the journalled file, kept for the retry"
    else:
        assert "downloaded again" in t.error.hint
        assert temporaries(disk / "x.bin") == [], "a half file that is never continued"
    assert (disk / "x.bin").read_bytes() == old
    assert (disk / "other.txt").read_bytes() == other

    (disk / "filler").unlink()
    queue.retry([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error, t.verified) == (State.DONE, None, True)
    assert (disk / "x.bin").read_bytes() == data
    assert (disk / "other.txt").read_bytes() == other
    assert sorted(p.name for p in disk.iterdir()) == ["other.txt", "x.bin"]


# ── the server dies ─────────────────────────────────────────────────────────────────────


@pytest.fixture
def own_rclone(tmp_path: Path) -> Iterator[RestartableRclone]:
    server = RestartableRclone(tmp_path / "rclone-root")
    yield server
    server.stop()


class RestartableRclone:
    """An ``rclone serve s3`` of this test's own, killed and started again on one port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.port = free_port()
        self._running: Any = None
        self.process: subprocess.Popen[bytes] | None = None
        self.start()
        self.server = S3Server(
            "rclone", f"http://127.0.0.1:{self.port}", Credentials(ACCESS_KEY, SECRET_KEY)
        )

    def start(self) -> None:
        self._running = rclone_s3(self.root, ACCESS_KEY, SECRET_KEY, port=self.port)
        _, self.process = self._running.__enter__()

    def kill(self) -> None:
        """SIGKILL the server by its pid, as a crash would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.stop()

    def stop(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)
            self._running = None


def test_upload_survives_the_server_dying_and_coming_back(
    own_rclone: RestartableRclone, queues: list[TransferQueue], tmp_path: Path
) -> None:
    """rclone only: moto runs in this process and cannot be killed on its own.

    rclone keeps multipart uploads in memory, so after its restart the journalled UploadId
    is unknown (ListParts: NoSuchUpload) and the retry starts a fresh multipart upload. That
    is the correct outcome: nothing to continue from, nothing left behind, a complete object.
    """
    server = own_rclone.server
    bucket = server.bucket()
    source = tmp_path / "big.bin"
    data = make_file(source, 4 * PART + 7)
    backend = counting(server)
    queue = queue_on(backend, Journal(tmp_path / "journal.sqlite3"), SLOW_NO_RETRY)
    queues.append(queue)
    [t] = queue.add([upload(server, bucket, "big.bin", source)])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)

    own_rclone.kill()
    assert queue.wait([t], timeout=30)
    assert t.state is State.FAILED
    assert isinstance(t.error, EndpointUnreachable), repr(t.error)
    assert t.error.retryable
    assert t.error.message == "Nothing answered at the server's address."
    record = queue.journal.get(t.id)
    assert record is not None and record.state is State.FAILED
    assert record.session == t.session != "", "resumable: the journal keeps the UploadId"
    assert queue.journal.parts(t.id), "and the parts that were confirmed"
    # After a restart the failure reads back as what it was: retryable, with its hint.
    restored = Transfer.from_record(record).error
    assert isinstance(restored, EndpointUnreachable), repr(restored)
    assert (restored.message, restored.hint) == (t.error.message, t.error.hint)
    assert restored.retryable

    own_rclone.start()
    queue.set_options(OPTIONS)
    queue.retry([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert remote_bytes(server, bucket, "big.bin") == data
    # The first upload died with the server; one new one, sent whole.
    assert backend.calls["create_multipart_upload"] == 2
    assert open_uploads(server, bucket) == []


def test_download_survives_the_server_dying_and_coming_back(
    own_rclone: RestartableRclone, queues: list[TransferQueue], tmp_path: Path
) -> None:
    """rclone only (see above). The object is a file in rclone's folder, so it is there,
    with the same ETag, after the restart: the retry fetches only the missing ranges."""
    server = own_rclone.server
    bucket = server.bucket()
    data = make_file(tmp_path / "src.bin", BIG)
    server.put(bucket, {"big.bin": data})
    target = tmp_path / "dl" / "big.bin"
    backend = counting(server)
    queue = queue_on(backend, Journal(tmp_path / "journal.sqlite3"), SLOW_NO_RETRY)
    queues.append(queue)
    [t] = queue.add([download(server, bucket, "big.bin", target)])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)

    own_rclone.kill()
    assert queue.wait([t], timeout=30)
    assert t.state is State.FAILED
    assert isinstance(t.error, EndpointUnreachable), (repr(t.error), t.error.detail)
    assert t.error.retryable
    assert not target.exists()
    assert len(temporaries(target)) == 1
    kept = len(queue.journal.parts(t.id))
    assert kept >= 1
    calls_before = backend.calls["get_object"]

    own_rclone.start()
    queue.set_options(OPTIONS)
    queue.retry([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert target.read_bytes() == data
    assert temporaries(target) == []
    assert backend.calls["get_object"] - calls_before == 6 - kept


@pytest.mark.parametrize("direction", [Direction.UPLOAD, Direction.DOWNLOAD])
def test_a_transfer_goes_on_by_itself_when_the_server_comes_back(
    own_rclone: RestartableRclone,
    queues: list[TransferQueue],
    tmp_path: Path,
    direction: Direction,
) -> None:
    """The server dies mid-transfer and restarts while the transfer waits to be tried
    again (``TransferOptions.retries``): it completes, verified, without the user."""
    server = own_rclone.server
    bucket = server.bucket()
    data = make_file(tmp_path / "src.bin", BIG)
    target = tmp_path / "dl" / "big.bin"
    if direction is Direction.UPLOAD:
        request = upload(server, bucket, "big.bin", tmp_path / "src.bin")
    else:
        server.put(bucket, {"big.bin": data})
        request = download(server, bucket, "big.bin", target)
    queue = queue_on(counting(server), Journal(tmp_path / "journal.sqlite3"), SLOW_PATIENT)
    queues.append(queue)
    [t] = queue.add([request])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)

    own_rclone.kill()
    wait_until(lambda: t in queue.retrying())
    assert t.state is State.QUEUED
    assert isinstance(t.error, EndpointUnreachable), repr(t.error)
    own_rclone.start()
    assert queue.wait([t], timeout=120)
    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert t.retries >= 1
    if direction is Direction.UPLOAD:
        assert remote_bytes(server, bucket, "big.bin") == data
        assert open_uploads(server, bucket) == []
    else:
        assert target.read_bytes() == data
        assert temporaries(target) == []


def test_while_the_server_is_down_only_one_file_meets_it_and_all_go_on_when_it_is_back(
    own_rclone: RestartableRclone, queues: list[TransferQueue], tmp_path: Path
) -> None:
    """Twelve files, the server gone: the files running when it failed wait, one of them
    tried again and again; the others are not sent at all (no try spent on a server that
    cannot answer). Back up, every file is done and verified."""
    server = own_rclone.server
    bucket = server.bucket()
    sources = [make_file(tmp_path / f"f{i:02d}.bin", 3000 + i) for i in range(12)]
    requests = [
        upload(server, bucket, f"f{i:02d}.bin", tmp_path / f"f{i:02d}.bin") for i in range(12)
    ]
    options = TransferOptions(concurrency=3, retries=40, retry_waits=(0.3,))
    queue = queue_on(counting(server), Journal(tmp_path / "journal.sqlite3"), options)
    queues.append(queue)
    own_rclone.kill()
    transfers = queue.add(requests)
    wait_until(lambda: any(t.retries >= 3 for t in transfers))
    met = [t for t in transfers if t.error is not None or t.retries]
    assert 1 <= len(met) <= options.concurrency, [(t.key, t.retries) for t in met]
    assert len(queue.retrying()) == 1, "one file tries the server again"
    assert all(t.state is State.QUEUED for t in transfers)
    own_rclone.start()
    assert queue.wait(transfers, timeout=120)
    assert [t.state for t in transfers] == [State.DONE] * 12
    assert all(t.verified for t in transfers)
    for i, data in enumerate(sources):
        assert remote_bytes(server, bucket, f"f{i:02d}.bin") == data


# ── hostile keys ────────────────────────────────────────────────────────────────────────

#: Pieces that have broken other tools' key → path mappings.
_NASTY_SEGMENTS = [
    "..",
    ".",
    "",
    "...",
    "..\\..",
    "\\",
    "C:",
    "C:\\Windows",
    "\x00",
    "a\x00b",
    "\x1f",
    "~",
    "CON",
    "con.txt",
    "nul",
    "LPT9.log",
    "COM1",
    "aux.tar.gz",
    "dot.",
    "space ",
    " ",
    "..\u2215..",  # DIVISION SLASH: looks like "/" but is not one
    "\uff0e\uff0e",  # two FULLWIDTH FULL STOPs
    "é/../",
    "%2e%2e",
]


@st.composite
def hostile_keys(draw: st.DrawFn) -> tuple[str, str]:
    """A key built from nasty and arbitrary segments, and a prefix it was listed under."""
    segment = st.one_of(st.sampled_from(_NASTY_SEGMENTS), st.text(max_size=12))
    parts = draw(st.lists(segment, min_size=1, max_size=6))
    key = draw(st.sampled_from(["", "/", "//"])) + "/".join(parts)
    key += draw(st.sampled_from(["", "", "/", "."]))
    cut = draw(st.integers(0, len(parts)))
    # The prefix the user browsed: a leading run of the key's segments, or one it lacks.
    prefix = draw(st.sampled_from(["/".join(parts[:cut]) + "/" if cut else "", "other/"]))
    return key, prefix


@pytest.fixture(scope="module")
def download_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("download-root")


@given(case=hostile_keys(), windows=st.booleans())
@settings(max_examples=400, deadline=None)
def test_local_path_for_never_leaves_the_folder(
    download_root: Path, case: tuple[str, str], windows: bool
) -> None:
    """Under both rule sets (keys.WINDOWS_NAMES): Windows' and every other system's."""
    key, prefix = case
    try:
        path = local_path_for(key, prefix, download_root, windows=windows)
    except UnsafeKey as exc:
        assert key in exc.message, "the message names the key"
        return
    root = download_root.resolve()
    assert path.resolve().is_relative_to(root)
    assert path.resolve() != root
    rel = path.relative_to(download_root)
    assert rel.parts, "a file below the folder, not the folder"
    for part in rel.parts:
        assert part not in ("..", ".", "")
        assert "/" not in part and "\\" not in part
        assert not any(ord(ch) < 32 for ch in part), "no NUL or control characters"
        if windows:
            assert part[-1] not in ". ", "Windows drops trailing dots and spaces"
            assert ":" not in part, "no drive letters or alternate data streams"


@pytest.mark.parametrize(
    ("key", "prefix", "expected"),
    [
        ("photos/2024/a.jpg", "photos/", "2024/a.jpg"),
        ("photos/a.jpg", "", "photos/a.jpg"),
        ("ü/ß ∂.txt", "", "ü/ß ∂.txt"),
        ("...x", "", "...x"),
        ("a/.hidden", "a/", ".hidden"),
        ("CONSOLE.txt", "", "CONSOLE.txt"),  # only the exact reserved names are refused
        ("..\u2215evil", "", "..\u2215evil"),  # one file name with a lookalike slash
    ],
)
def test_local_path_for_keeps_ordinary_keys(
    tmp_path: Path, key: str, prefix: str, expected: str
) -> None:
    assert local_path_for(key, prefix, tmp_path) == tmp_path / expected


#: Refused under every system's rules.
UNSAFE_EVERYWHERE = [
    "../evil.txt",
    "a/../../evil.txt",
    "a/b/../../../evil.txt",
    "/etc/passwd",
    "//server/share/x",
    "./x.txt",
    "a//b.txt",
    "..",
    "a/..",
    "a\\..\\..\\evil.txt",
    "C:\\Windows\\evil.dll",
    "x\x00.txt",
    "tab\there",
    "folder/",
    "",
]
#: Refused where file names follow Windows' rules (keys.WINDOWS_NAMES) only.
UNSAFE_ON_WINDOWS = [
    "c:evil.txt",
    "CON",
    "con.txt",
    "folder/NUL.tar.gz",
    "LPT1",
    "trailing.",
    "trailing ",
    "dir./x",
]


@pytest.mark.parametrize(
    ("key", "windows"),
    [(key, True) for key in UNSAFE_EVERYWHERE + UNSAFE_ON_WINDOWS]
    + [(key, False) for key in UNSAFE_EVERYWHERE],
)
def test_local_path_for_refuses_unsafe_keys(tmp_path: Path, key: str, windows: bool) -> None:
    with pytest.raises(UnsafeKey) as caught:
        local_path_for(key, "", tmp_path, windows=windows)
    assert f"“{key}”" in caught.value.message


#: Keys a hostile bucket may hold, mapped by Windows' rules (the strictest: con.txt and
#: "trailing." are refused too). rclone refuses to store some of them (InvalidArgument for
#: ``..``/``.`` segments, a leading ``/`` and ``//``); moto stores them all.
HOSTILE_KEYS = [
    "../evil1.txt",
    "dir/../../evil2.txt",
    "/evil3.txt",
    "a\\..\\..\\evil4.txt",
    "./evil5.txt",
    "..",
    "con.txt",
    "trailing.",
    "ctl\x01.txt",
]
SAFE_KEYS = ["ok/fine.txt", "ü/ß.txt", "top.txt"]


def test_download_of_hostile_keys_stays_in_the_chosen_folder(
    server: S3Server, queues: list[TransferQueue], tmp_path: Path
) -> None:
    bucket = server.bucket()
    client = server.client

    def put(key: str) -> str:
        try:
            client.put_object(Bucket=bucket, Key=key, Body=key.encode())
        except Exception as exc:  # rclone refuses some names: they cannot be listed either
            assert server.kind == "rclone" and "InvalidArgument" in str(exc), exc
            return ""
        return key

    # In parallel: each refusal costs rclone a second (botocore's Expect: 100-continue wait).
    with ThreadPoolExecutor(8) as pool:
        stored = [key for key in pool.map(put, HOSTILE_KEYS + SAFE_KEYS) if key]
    assert set(SAFE_KEYS) <= set(stored)
    if server.kind == "moto":
        assert stored == HOSTILE_KEYS + SAFE_KEYS

    backend = server.backend()
    listed = [e for page in iter_pages(backend, bucket, "", recursive=True) for e in page.objects]
    assert sorted(e.key for e in listed) == sorted(stored)

    sandbox = tmp_path / "sandbox"
    root = sandbox / "downloads" / "here"
    root.mkdir(parents=True)
    requests, refused = [], []
    for entry in listed:
        try:
            path = local_path_for(entry.key, "", root, windows=True)
        except UnsafeKey:
            refused.append(entry.key)
            continue
        requests.append(
            TransferRequest(
                Direction.DOWNLOAD,
                backend.settings.name,
                bucket,
                entry.key,
                path,
                entry.size,
                entry.modified,
                entry.etag,
            )
        )
    assert sorted(refused) == sorted(set(stored) & set(HOSTILE_KEYS))

    queue = queue_on(backend, Journal(tmp_path / "journal.sqlite3"), OPTIONS)
    queues.append(queue)
    transfers = queue.add(requests)
    assert queue.wait(transfers, timeout=60)
    assert {t.state for t in transfers} == {State.DONE}
    written = sorted(p.relative_to(sandbox).as_posix() for p in sandbox.rglob("*") if p.is_file())
    assert written == sorted(f"downloads/here/{k}" for k in SAFE_KEYS)
    for key in SAFE_KEYS:
        assert (root / key).read_bytes() == key.encode()
