"""The journal's format: a journal the previous release wrote is migrated on open, in one
transaction, once; a journal of a newer format is refused and left as it is.

The old journals here are written by that release's own journal module (tests/old_journal.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudbrowser.core import journal as journal_module
from cloudbrowser.core.journal import (
    VERSION,
    Direction,
    Journal,
    JournalBusy,
    JournalPart,
    JournalRecord,
    JournalTooNew,
    PartialFile,
    State,
)
from cloudbrowser.core.local_state import DAMAGED_SUFFIX
from tests.old_journal import format_of, old_journal


def write_old_journal(path: Path, tmp_path: Path) -> tuple[int, int]:
    """An unfinished upload (session, two parts) and an unfinished download (a range and
    its temporary file), written by the previous release; their ids."""
    old = old_journal()
    journal = old.Journal(path)
    upload, download = journal.add(
        [
            old.JournalRecord(
                0, old.Direction.UPLOAD, "c", "b", "up.bin", tmp_path / "up.bin", 11 << 20,
                1.5, "", 5 << 20, "", old.State.QUEUED, "", "batch",
            ),
            old.JournalRecord(
                0, old.Direction.DOWNLOAD, "c", "b", "down.bin", tmp_path / "down.bin",
                11 << 20, 2.5, "abc-3", 5 << 20, "", old.State.PAUSED, "", "batch",
                version_id="v1",
            ),
        ]
    )  # fmt: skip
    journal.update(upload, upload_id="the-upload-id")
    journal.add_part(upload, old.JournalPart(1, "etag-1", "md5-1", 5 << 20))
    journal.add_part(upload, old.JournalPart(2, "etag-2", "md5-2", 5 << 20))
    journal.add_part(download, old.JournalPart(1, "", "md5-d1", 5 << 20))
    journal.set_partial(download, old.PartialFile(tmp_path / ".down.cbpart", 7, 2**70, 11 << 20))
    journal.close()
    return upload, download


def schema(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        db.close()


@pytest.fixture
def old_path(tmp_path: Path) -> Path:
    return tmp_path / "transfers.sqlite3"


def test_the_previous_release_s_journal_reads_back_in_the_new_words(
    old_path: Path, tmp_path: Path
) -> None:
    upload, download = write_old_journal(old_path, tmp_path)
    assert format_of(old_path)[0] == 0

    journal = Journal(old_path)
    version, transfers, parts = format_of(old_path)
    assert version == VERSION
    assert ("session" in transfers, "upload_id" in transfers) == (True, False)
    assert ("token" in parts, "etag" in parts) == (True, False)
    up, down = journal.unfinished()
    assert (up.id, up.direction, up.session, up.state, up.part_size) == (
        upload, Direction.UPLOAD, "the-upload-id", State.QUEUED, 5 << 20
    )  # fmt: skip
    assert (down.id, down.etag, down.version_id, down.session) == (download, "abc-3", "v1", "")
    assert journal.parts(upload) == [
        JournalPart(1, "etag-1", "md5-1", 5 << 20),
        JournalPart(2, "etag-2", "md5-2", 5 << 20),
    ]
    assert journal.parts(download) == [JournalPart(1, "", "md5-d1", 5 << 20)]
    assert journal.partial(download) == PartialFile(tmp_path / ".down.cbpart", 7, 2**70, 11 << 20)
    # And it goes on being used: a new part, the session cleared, all in the new columns.
    journal.add_part(upload, JournalPart(3, "etag-3", "md5-3", 1 << 20))
    journal.update(upload, session="")
    record = journal.get(upload)
    assert record is not None and record.session == "" and len(journal.parts(upload)) == 3
    journal.close()


def test_the_migration_runs_once_and_a_migrated_journal_opens_unchanged(
    old_path: Path, tmp_path: Path
) -> None:
    write_old_journal(old_path, tmp_path)
    Journal(old_path).close()
    migrated = schema(old_path)
    rows = sqlite3.connect(old_path).execute("SELECT * FROM parts ORDER BY rowid").fetchall()
    Journal(old_path).close()
    assert schema(old_path) == migrated
    assert (
        sqlite3.connect(old_path).execute("SELECT * FROM parts ORDER BY rowid").fetchall() == rows
    )
    # A new journal is created in the same format as a migrated one.
    Journal(tmp_path / "new.sqlite3").close()
    assert format_of(tmp_path / "new.sqlite3") == format_of(old_path)


def test_a_migration_that_fails_half_way_leaves_the_old_journal_whole(
    old_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload, _ = write_old_journal(old_path, tmp_path)
    before = schema(old_path)

    def fail(db: sqlite3.Connection) -> None:  # after the columns were renamed
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(journal_module, "_add_missing_columns", fail)
    with pytest.raises(sqlite3.OperationalError):
        Journal(old_path)
    assert schema(old_path) == before and format_of(old_path)[0] == 0, "rolled back"

    monkeypatch.undo()
    journal = Journal(old_path)
    record = journal.get(upload)
    assert record is not None and record.session == "the-upload-id"
    journal.close()


@pytest.fixture
def writer(old_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection (SQLite locks between connections as between
    processes): the test takes the journal's write lock through it."""
    db = sqlite3.connect(old_path, isolation_level=None)
    yield db
    if db.in_transaction:
        db.execute("ROLLBACK")
    db.close()


def test_a_busy_old_journal_is_not_migrated_until_the_lock_is_free(
    old_path: Path, tmp_path: Path, writer: sqlite3.Connection
) -> None:
    upload, download = write_old_journal(old_path, tmp_path)
    writer.execute("BEGIN IMMEDIATE")
    with pytest.raises(JournalBusy):
        Journal(old_path, busy_timeout=0.2)
    writer.execute("ROLLBACK")
    assert format_of(old_path)[0] == 0
    journal = Journal(old_path, busy_timeout=0.2)
    assert [r.id for r in journal.unfinished()] == [upload, download]
    journal.close()


def test_opening_a_current_journal_takes_no_write_lock(
    old_path: Path, writer: sqlite3.Connection
) -> None:
    Journal(old_path).close()
    writer.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
    journal = Journal(old_path, busy_timeout=0.2)  # neither waits nor fails
    assert journal.unfinished() == []
    journal.close()


def test_processes_opening_an_old_journal_at_once_migrate_it_once(
    old_path: Path, tmp_path: Path
) -> None:
    write_old_journal(old_path, tmp_path)
    opened: list[Journal] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            opened.append(Journal(old_path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(opened) == 4
    assert all(len(j.unfinished()) == 2 for j in opened)
    for j in opened:
        j.close()
    assert format_of(old_path)[0] == VERSION


def test_a_journal_of_a_newer_format_is_refused_and_left_as_it_is(old_path: Path) -> None:
    journal = Journal(old_path)
    journal.add([JournalRecord(
        0, Direction.UPLOAD, "c", "b", "k", Path("/tmp/k"), 1, 0.0, "", 0, "", State.PAUSED, "", ""
    )])  # fmt: skip
    journal.close()
    db = sqlite3.connect(old_path)
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.execute("ALTER TABLE transfers RENAME COLUMN session TO resumption")  # its own words
    db.close()
    before = old_path.read_bytes()

    with pytest.raises(JournalTooNew) as refused:
        Journal(old_path)
    assert str(old_path) in refused.value.message
    assert "newer version" in refused.value.message and refused.value.hint
    assert f"journal format {VERSION + 1}" in refused.value.detail
    assert old_path.read_bytes() == before
    assert list(old_path.parent.glob(f"*{DAMAGED_SUFFIX}*")) == []


def test_the_previous_release_does_not_damage_a_migrated_journal(
    old_path: Path, tmp_path: Path
) -> None:
    """Going back to the previous release (which knows no format number) fails on the
    renamed columns with an error, and changes nothing: the new release reads it again."""
    upload, _ = write_old_journal(old_path, tmp_path)
    Journal(old_path).close()
    migrated = schema(old_path)
    old = old_journal()
    previous = old.Journal(old_path)
    with pytest.raises(sqlite3.OperationalError, match="upload_id"):
        previous.unfinished()
    previous.close()
    assert schema(old_path) == migrated
    journal = Journal(old_path)
    record = journal.get(upload)
    assert record is not None and record.session == "the-upload-id"
    assert len(journal.parts(upload)) == 2
    journal.close()
