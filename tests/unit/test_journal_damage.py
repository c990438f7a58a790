"""A journal that is damaged or busy: moved aside and started afresh, or waited for, then a
clear error naming the file; never "file is not a database" with no path, never a hang."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cloudbrowser.core import local_state
from cloudbrowser.core.journal import Direction, Journal, JournalBusy, JournalRecord, State
from cloudbrowser.core.local_state import DAMAGED_SUFFIX


def record(key: str = "k") -> JournalRecord:
    return JournalRecord(
        id=0, direction=Direction.DOWNLOAD, connection="c", bucket="b", key=key,
        local_path=Path("/tmp") / key, size=1, mtime=0.0, etag="", part_size=0, session="",
        state=State.PAUSED, error="", batch="",
    )  # fmt: skip


def moved_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}*{DAMAGED_SUFFIX}*"))


def test_a_garbage_journal_and_its_wal_are_moved_aside_and_a_fresh_one_starts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "transfers.sqlite3"
    garbage = bytes(range(256)) * 20
    path.write_bytes(garbage)
    path.with_name(path.name + "-wal").write_bytes(b"wal bytes")
    path.with_name(path.name + "-shm").write_bytes(b"shm bytes")

    journal = Journal(path)
    assert journal.unfinished() == []
    journal.add([record()])
    assert [r.key for r in journal.unfinished()] == ["k"]
    journal.close()

    aside = {p.name.split(DAMAGED_SUFFIX)[0]: p.read_bytes() for p in moved_aside(path)}
    assert aside == {
        "transfers.sqlite3": garbage,
        "transfers.sqlite3-wal": b"wal bytes",
        "transfers.sqlite3-shm": b"shm bytes",
    }, "every original byte survives beside the new journal"
    [notice] = local_state.take_pending()
    assert str(path) in notice.message and "not a database" in notice.message
    assert str(notice.moved_to[0]) in notice.hint
    assert notice.moved_to[0].read_bytes() == garbage
    assert len(notice.moved_to) == 3


def test_a_journal_damaged_inside_is_moved_aside_too(tmp_path: Path) -> None:
    path = tmp_path / "transfers.sqlite3"
    journal = Journal(path)
    journal.add([record()])
    journal.close()
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xa5" * (4096 - 100)  # the schema page, after SQLite's header
    path.write_bytes(bytes(raw))

    fresh = Journal(path)
    assert fresh.unfinished() == []
    fresh.close()
    [aside] = [p for p in moved_aside(path) if "-wal" not in p.name and "-shm" not in p.name]
    assert aside.read_bytes() == bytes(raw)
    [notice] = local_state.take_pending()
    assert str(path) in notice.message


def test_an_empty_file_is_a_new_journal_not_a_damaged_one(tmp_path: Path) -> None:
    path = tmp_path / "transfers.sqlite3"
    path.touch()
    Journal(path).close()
    assert moved_aside(path) == [] and local_state.take_pending() == []


_HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO parts VALUES (999, 1, 'e', 'm', 1)")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
db.execute("COMMIT")
"""


def test_a_journal_locked_by_another_process_fails_with_its_path_then_works(
    tmp_path: Path,
) -> None:
    path = tmp_path / "transfers.sqlite3"
    journal = Journal(path, busy_timeout=0.5)
    journal.add([record("before")])
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        # Reading never waits for a writer (WAL)...
        assert [r.key for r in journal.unfinished()] == ["before"]
        # ...writing waits for the busy timeout, then says which file and what to do.
        started = time.monotonic()
        with pytest.raises(JournalBusy) as caught:
            journal.add([record("during")])
        assert time.monotonic() - started < 3
        assert str(path) in caught.value.message and "another cloudbrowser" in caught.value.message
        assert caught.value.hint
        # A second journal opened meanwhile (the CLI beside the window) opens and reads.
        other = Journal(path, busy_timeout=0.5)
        assert [r.key for r in other.unfinished()] == ["before"]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    journal.add([record("after")])
    assert [r.key for r in other.unfinished()] == ["before", "after"]
    journal.close()
    other.close()


def test_two_journals_on_one_file_write_from_two_threads(tmp_path: Path) -> None:
    """The window and the CLI, each with its own journal: a write waits for the other's
    short transaction instead of failing."""
    path = tmp_path / "transfers.sqlite3"
    first, second = Journal(path), Journal(path)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first._write() as db:  # a transaction of the other journal, kept open a while
            db.execute("DELETE FROM parts")
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    threading.Timer(0.3, release.set).start()
    second.add([record("waited")])  # blocks until the holder commits, well within the timeout
    holder.join(10)
    results: list[int] = []

    def write(journal: Journal, prefix: str) -> None:
        for i in range(50):
            results.extend(journal.add([record(f"{prefix}{i}")]))

    pairs = ((first, "a"), (second, "b"))
    writers = [threading.Thread(target=write, args=pair) for pair in pairs]
    for t in writers:
        t.start()
    for t in writers:
        t.join(30)
    assert len(set(results)) == 100
    assert len(first.unfinished()) == 101
    first.close()
    second.close()
