"""Downloads do no per-file work they need not: a small one makes no folder, asks no free
space and its worker does not wait for its folder's fsync; a big one's disk write-out does
not wait for its hash."""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from pathlib import Path
from unittest import mock

import pytest

from cloudbrowser.core import downloads, localfs
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import LocalFileError
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfers import Stage, TransferOptions, TransferQueue, TransferRequest

FILES = 100


def test_small_downloads_make_their_folder_once_and_do_not_look_at_free_space(
    tmp_path: Path,
) -> None:
    """A folder was made (mkdir) and the disk's free space asked (statvfs) before every
    file: now the folder is made when the temporary file finds it missing, and a file
    written in one write lets that write report a full disk."""
    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://folders"))
    forget_store(storage.settings)
    storage.create_bucket("bkt")
    for i in range(FILES):
        storage.put_object("bkt", f"{i % 2}/f{i}", b"y" * 50 + bytes([i]), content_md5="")
    queue = TransferQueue(lambda _name: storage, Journal(tmp_path / "j.sqlite3"))
    requests = [
        TransferRequest(
            Direction.DOWNLOAD, "c", "bkt", o.key, tmp_path / "d" / o.key, o.size, 0, o.etag
        )
        for o in storage.list_page("bkt", "", "", recursive=True).objects
    ]
    made: list[Path] = []
    looked: list[Path] = []
    real_make = downloads.make_folder

    def making(folder: Path) -> None:
        made.append(folder)
        real_make(folder)

    with (
        mock.patch.object(downloads, "make_folder", making),
        mock.patch.object(downloads, "check_free_space", lambda f, *_: looked.append(f)),
    ):
        transfers = queue.add(requests)
        assert queue.wait(transfers, timeout=60)
    queue.shutdown()
    assert all(t.state is State.DONE and t.verified for t in transfers)
    for r in requests:
        assert r.local_path.read_bytes() == storage.get_object("bkt", r.key).read(1000)
    # Two folders; a worker or two may both find one missing at the start.
    assert set(made) == {tmp_path / "d" / "0", tmp_path / "d" / "1"}
    assert len(made) <= 2 * queue.options.concurrency, made
    assert looked == []


def test_a_range_starts_its_write_out_before_it_is_hashed(tmp_path: Path) -> None:
    """A range's write-out to the disk starts once it is written, not once the whole-file
    hasher reaches it: the hasher lags the last byte by a few ranges (on two cores shared
    with the server, hundreds of MiB), and the final fsync then waited for all of them.

    The hasher is held here until every range has started its write-out: where only the
    hasher started it, none would (the hold gives up after a few seconds, and the test
    fails)."""
    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://write-out"))
    forget_store(storage.settings)
    storage.create_bucket("bkt")
    part = storage.features.limits.min_chunk
    ranges = 5
    data = os.urandom((ranges - 1) * part + 5)
    storage.put_object("bkt", "big", data, content_md5="")
    info = storage.head_object("bkt", "big")
    started: set[int] = set()
    every_range_started = threading.Event()
    real_write_back, real_run = downloads._write_back, downloads._InOrderHasher.run

    def writing_back(fd: int, offset: int, length: int) -> None:
        started.add(offset)
        if len(started) == ranges:
            every_range_started.set()
        real_write_back(fd, offset, length)

    hashed_after_write_out: list[bool] = []

    def held_run(hasher: downloads._InOrderHasher) -> None:
        hashed_after_write_out.append(every_range_started.wait(5))
        real_run(hasher)

    queue = TransferQueue(
        lambda _name: storage, Journal(tmp_path / "j.sqlite3"), TransferOptions(part_size=part)
    )
    target = tmp_path / "big"
    request = TransferRequest(
        Direction.DOWNLOAD, "c", "bkt", "big", target, info.size, 0, info.etag
    )
    with (
        mock.patch.object(downloads, "_write_back", writing_back),
        mock.patch.object(downloads._InOrderHasher, "run", held_run),
    ):
        [t] = queue.add([request])
        assert queue.wait([t], timeout=60)
    queue.shutdown()
    assert t.state is State.DONE and t.verified, t.error
    assert t.part_size == part
    assert hashed_after_write_out == [True]
    assert target.read_bytes() == data


def _small_objects(name: str, count: int) -> tuple[Storage, list[TransferRequest], Path]:
    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url=f"memory://{name}"))
    forget_store(storage.settings)
    storage.create_bucket("bkt")
    for i in range(count):
        storage.put_object("bkt", f"f{i}", b"z" * 40 + bytes([i]), content_md5="")
    folder = Path(tempfile.mkdtemp(prefix="cb-syncs-"))
    requests = [
        TransferRequest(Direction.DOWNLOAD, "c", "bkt", o.key, folder / o.key, o.size, 0, o.etag)
        for o in storage.list_page("bkt", "", "").objects
    ]
    return storage, requests, folder


@pytest.mark.parametrize("naming", ["unnamed", "named"])
def test_a_download_is_done_once_its_folder_is_synced_and_its_worker_goes_on_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, naming: str
) -> None:
    """Each small download waited for a fsync of its folder after its rename (on this
    disk, as long as the file's own), holding the folder's lock in the kernel for every
    other file created there. Now its worker takes the next file, the folder is synced
    for many renames at once, and only then is the download done (and journalled so).
    The same where a file is written unnamed and linked to its name (Linux), and where
    it is written to a named temporary file and renamed (elsewhere)."""
    if naming == "named":
        monkeypatch.setattr(downloads, "_UNNAMED_FLAG", 0)
    elif not downloads._UNNAMED_FLAG:
        pytest.skip("unnamed files are Linux's (O_TMPFILE)")
    storage, requests, folder = _small_objects(f"syncs-{naming}", 5)
    gate, first_sync, all_renamed = threading.Event(), threading.Event(), threading.Event()
    synced: list[set[str]] = []
    renamed: list[Path] = []

    def held_fsync(where: Path) -> None:
        first_sync.set()
        seen = {p.name for p in where.iterdir()}
        assert gate.wait(10)
        synced.append(seen)

    def named(target: Path) -> None:
        renamed.append(target)
        if len(renamed) == len(requests):
            all_renamed.set()

    def counting_rename(source: Path, target: Path) -> Path | None:
        where = localfs.rename(source, target)
        named(target)
        return where

    link = downloads._link

    def counting_link(fd: int, target: Path) -> None:
        link(fd, target)
        named(target)

    monkeypatch.setattr(localfs, "_fsync_folder", held_fsync)
    monkeypatch.setattr(downloads, "rename", counting_rename)
    monkeypatch.setattr(downloads, "_link", counting_link)
    path = tmp_path / "j.sqlite3"
    queue = TransferQueue(lambda _name: storage, Journal(path), TransferOptions(concurrency=1))
    try:
        transfers = queue.add(requests)
        assert first_sync.wait(10)
        assert all_renamed.wait(10), "one worker went on while the first folder sync waited"
        assert sorted(p.name for p in folder.iterdir()) == [r.key for r in requests]
        assert all(t.state is State.RUNNING and t.stage is Stage.FINISHING for t in transfers)
        queue.journal.flush()
        assert {r.state for r in Journal(path).unfinished()} == {State.QUEUED}
        gate.set()
        assert queue.wait(transfers, timeout=10)
    finally:
        gate.set()
        queue.shutdown()
    assert all(t.state is State.DONE and t.verified for t in transfers)
    assert {Journal(path).get(t.id).state for t in transfers} == {State.DONE}  # type: ignore[union-attr]
    # The first sync covered what was renamed before it began; the files renamed while
    # it waited shared one more, which saw them all.
    assert len(synced) == 2
    assert {r.key for r in requests} <= synced[-1]


def test_a_folder_the_disk_cannot_sync_fails_its_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, requests, _folder = _small_objects("sync-fails", 3)

    def failing(_where: Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(localfs, "_fsync_folder", failing)
    path = tmp_path / "j.sqlite3"
    queue = TransferQueue(lambda _name: storage, Journal(path))
    try:
        transfers = queue.add(requests)
        assert queue.wait(transfers, timeout=10)
    finally:
        queue.shutdown()
    for t in transfers:
        assert t.state is State.FAILED and isinstance(t.error, LocalFileError), t
        assert "Input/output error" in t.error.hint
        assert Journal(path).get(t.id).state is State.FAILED  # type: ignore[union-attr]
