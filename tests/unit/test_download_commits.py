"""Downloads do no per-file work they need not: a small one makes no folder and asks no free
space; a big one's disk write-out does not wait for its hash."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from unittest import mock

from cloudbrowser.core import downloads
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest

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
