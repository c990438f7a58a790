"""The journal file itself: one written by an earlier version still opens and reads back."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest

from cloudbrowser.core import journal as journal_module
from cloudbrowser.core.errors import LocalFileError, StorageError
from cloudbrowser.core.journal import (
    Direction,
    Journal,
    JournalPart,
    JournalRecord,
    PartialFile,
    State,
)
from cloudbrowser.core.transfers import Transfer

#: The transfers table as the first journal version wrote it (no error kind or hint).
_FIRST_VERSION = """
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY, direction TEXT NOT NULL, connection TEXT NOT NULL,
    bucket TEXT NOT NULL, key TEXT NOT NULL, local_path TEXT NOT NULL, size INTEGER NOT NULL,
    mtime REAL NOT NULL, etag TEXT NOT NULL DEFAULT '', part_size INTEGER NOT NULL DEFAULT 0,
    upload_id TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
    batch TEXT NOT NULL DEFAULT '', created REAL NOT NULL, updated REAL NOT NULL
);
INSERT INTO transfers (direction, connection, bucket, key, local_path, size, mtime, state,
    error, created, updated)
VALUES ('download', 'c', 'b', 'k', '/tmp/k', 1, 0, 'failed', 'It broke.', 0, 0);
"""


def test_a_journal_of_the_first_version_gains_the_error_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_FIRST_VERSION)
    db.close()

    journal = Journal(path)
    [old] = journal.unfinished()
    assert (old.key, old.state, old.error, old.error_kind) == ("k", State.FAILED, "It broke.", "")
    error = Transfer.from_record(old).error
    assert type(error) is StorageError and error.message == "It broke."
    Journal(path).close()  # opening it again (columns already there) is fine too


def test_a_failure_reads_back_as_the_same_kind_with_its_hint(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    failed = Transfer(
        id=0,
        direction=Direction.DOWNLOAD,
        connection="c",
        bucket="b",
        key="k",
        local_path=tmp_path / "k",
        size=1,
        mtime=0,
        state=State.FAILED,
        error=LocalFileError("The disk is full.", hint="Free some space."),
    )
    [transfer_id] = journal.add([failed.record()])
    record = journal.get(transfer_id)
    assert isinstance(record, JournalRecord)
    error = Transfer.from_record(record).error
    assert isinstance(error, LocalFileError)
    assert (error.message, error.hint) == ("The disk is full.", "Free some space.")


def test_an_upload_keeps_the_revision_it_may_replace_across_a_restart(tmp_path: Path) -> None:
    """An Edit upload queued before a quit resumes only over the revision it was given."""
    journal = Journal(tmp_path / "j.sqlite3")
    queued = Transfer(
        id=0,
        direction=Direction.UPLOAD,
        connection="c",
        bucket="b",
        key="k",
        local_path=tmp_path / "k",
        size=1,
        mtime=0,
        state=State.QUEUED,
        if_match="0x8DC0FFEE",
    )
    [transfer_id] = journal.add([queued.record()])
    journal.close()
    [record] = Journal(tmp_path / "j.sqlite3").unfinished()
    assert record.id == transfer_id
    assert Transfer.from_record(record).if_match == "0x8DC0FFEE"


def test_an_upload_stays_create_only_across_a_restart(tmp_path: Path) -> None:
    """A "keep both" upload queued before a quit resumes still only creating its name."""
    journal = Journal(tmp_path / "j.sqlite3")
    queued = Transfer(
        id=0,
        direction=Direction.UPLOAD,
        connection="c",
        bucket="b",
        key="photo (1).jpg",
        local_path=tmp_path / "photo.jpg",
        size=1,
        mtime=0,
        state=State.QUEUED,
        create_only=True,
    )
    journal.add([queued.record()])
    journal.close()
    [record] = Journal(tmp_path / "j.sqlite3").unfinished()
    assert Transfer.from_record(record).create_only


def test_a_journal_of_format_1_opens_and_its_uploads_resume_as_before(tmp_path: Path) -> None:
    """Format 1 (before create-only uploads) is this one without the column: its queued
    upload reads back, as an ordinary one, and the journal takes new rows."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    queued = Transfer(
        id=0,
        direction=Direction.UPLOAD,
        connection="c",
        bucket="b",
        key="k",
        local_path=tmp_path / "k",
        size=1,
        mtime=0,
        state=State.QUEUED,
        session="the-session",
        if_match="0x8DC0FFEE",
    )
    [old_id] = journal.add([queued.record()])
    journal.close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE transfers DROP COLUMN create_only")
        db.execute("PRAGMA user_version = 1")
    db.close()

    journal = Journal(path)
    [record] = journal.unfinished()
    restored = Transfer.from_record(record)
    assert (restored.id, restored.session, restored.if_match) == (
        old_id, "the-session", "0x8DC0FFEE"
    )  # fmt: skip
    assert not restored.create_only
    [new_id] = journal.add([replace(queued, key="k2", create_only=True).record()])
    new = journal.get(new_id)
    assert new is not None and new.create_only
    journal.close()


def test_finished_transfers_older_than_a_limit_are_pruned(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    old, recent, unfinished = journal.add(
        [_record(state) for state in (State.DONE, State.DONE, State.FAILED)]
    )
    with journal._write() as db:  # as if it had finished two weeks ago
        db.execute("UPDATE transfers SET updated = ? WHERE id IN (?, ?)", (1.0, old, unfinished))
    journal.remove_finished(older_than=7 * 24 * 3600)
    assert journal.get(old) is None
    assert journal.get(recent) is not None
    assert journal.get(unfinished) is not None, "unfinished transfers are never pruned"


def _record(state: State) -> JournalRecord:
    return JournalRecord(
        0, Direction.UPLOAD, "c", "b", "k", Path("/tmp/k"), 1, 1.0, "", 0, "", state, "", ""
    )


#: The transfers table as written before version downloads (error columns, no version_id).
_BEFORE_VERSIONS = _FIRST_VERSION.replace(
    "batch TEXT NOT NULL DEFAULT '', created REAL NOT NULL, updated REAL NOT NULL",
    "batch TEXT NOT NULL DEFAULT '', created REAL NOT NULL, updated REAL NOT NULL,"
    " error_kind TEXT NOT NULL DEFAULT '', error_hint TEXT NOT NULL DEFAULT ''",
)


def test_a_journal_from_before_version_downloads_gains_the_version_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "before-versions.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_BEFORE_VERSIONS)
    db.close()

    journal = Journal(path)
    [old] = journal.unfinished()
    assert (old.key, old.version_id) == ("k", "")  # the current version, as before
    version_download = Transfer(
        id=0,
        direction=Direction.DOWNLOAD,
        connection="c",
        bucket="b",
        key="report.pdf",
        local_path=tmp_path / "report (version 2024-05-01 103000).pdf",
        size=10,
        mtime=1.0,
        etag="0123456789abcdef0123456789abcdef",
        state=State.PAUSED,
        version_id="3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
    )
    [new_id] = journal.add([version_download.record()])
    journal.close()

    reopened = Journal(path)  # the column is there now: opening again changes nothing
    record = reopened.get(new_id)
    assert record is not None and record.version_id == "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"
    restored = Transfer.from_record(record)
    assert restored.version_id == version_download.version_id
    assert restored.name == "report (version 2024-05-01 103000).pdf"
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(transfers)")]
    assert columns.count("version_id") == 1
    reopened.close()


def test_a_download_temporary_file_is_journalled_with_its_identity(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_FIRST_VERSION)  # a journal from before temporary files were kept
    db.close()
    journal = Journal(path)
    [old] = journal.unfinished()
    assert journal.partial(old.id) is None
    # Windows file ids can exceed SQLite's 64-bit integers: kept exactly all the same.
    temp = PartialFile(tmp_path / ".k.cbpart-1", device=2**64 + 3, inode=2**70 + 1, size=5)
    journal.set_partial(old.id, temp)
    assert Journal(path).partial(old.id) == temp
    journal.set_partial(old.id, PartialFile(temp.path, 1, 2, 0))
    assert journal.partial(old.id) == PartialFile(temp.path, 1, 2, 0)
    journal.forget_partial(old.id)
    assert journal.partial(old.id) is None
    journal.set_partial(old.id, temp)
    journal.remove([old.id])
    assert journal.partial(old.id) is None, "forgotten with its transfer"


def test_a_new_temporary_file_forgets_the_parts_and_a_done_transfer_its_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_FIRST_VERSION)
    db.close()
    journal = Journal(path)
    [old] = journal.unfinished()
    journal.add_part(old.id, JournalPart(1, "", "md5", 5))
    temp = PartialFile(tmp_path / ".k.cbpart-1", device=1, inode=2, size=0)
    journal.set_partial(old.id, temp, clear_parts=True)  # one commit for both
    assert journal.parts(old.id) == []
    assert journal.partial(old.id) == temp
    # Failed: the file stays recorded, for the retry to continue from.
    journal.finish(old.id, {"state": State.FAILED}, clear_parts=False)
    journal.flush()
    assert Journal(path).partial(old.id) == temp
    # Done: the temporary file was renamed; its row goes with the final state.
    journal.finish(old.id, {"state": State.DONE}, clear_parts=True)
    journal.flush()
    assert Journal(path).partial(old.id) is None


def _queued_download(tmp_path: Path, name: str = "k") -> JournalRecord:
    return Transfer(
        id=0,
        direction=Direction.DOWNLOAD,
        connection="c",
        bucket="b",
        key=name,
        local_path=tmp_path / name,
        size=1,
        mtime=0,
    ).record()


def test_a_temporary_file_is_written_at_once_in_a_commit_of_its_own(tmp_path: Path) -> None:
    """Before the first byte is asked for: no crash leaves a file the journal forgot."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    [tid] = journal.add([_queued_download(tmp_path)])
    assert journal.partial(tid) is None
    temp = PartialFile(tmp_path / ".k.cbpart-1", device=1, inode=2, size=0)
    journal.set_partial(tid, temp, clear_parts=True)
    assert journal.partial(tid) == temp
    assert Journal(path).partial(tid) == temp, "committed, not waiting for a flush"
    journal.forget_partial(tid)
    assert journal.partial(tid) is None and Journal(path).partial(tid) is None


def test_a_crash_before_the_group_commit_never_reports_a_download_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The final state waits for the next flush: a process that dies before it leaves the
    transfer queued (it runs again) with its temporary file known, never done."""
    # The flusher's own round must not come first on a loaded machine: the crash is
    # "before the group commit", and this test says when that commit happens.
    monkeypatch.setattr(journal_module, "FLUSH_DELAY", 3600.0)
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    [tid] = journal.add([_queued_download(tmp_path)])
    temp = PartialFile(tmp_path / ".k.cbpart-1", device=1, inode=2, size=0)
    journal.set_partial(tid, temp, clear_parts=True)
    journal.finish(tid, {"state": State.DONE}, clear_parts=True)

    # What another process (or this one after a crash) reads now: nothing is done.
    after_crash = Journal(path)
    [record] = after_crash.unfinished()
    assert (record.id, record.state) == (tid, State.QUEUED)
    assert after_crash.partial(tid) == temp, "a retry or a cleanup finds its file"

    journal.flush()
    assert after_crash.get(tid) is not None
    assert after_crash.get(tid).state is State.DONE  # type: ignore[union-attr]
    assert after_crash.partial(tid) is None, "the done download's file row went with it"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM partials").fetchone() == (0,)
    db.close()


def test_a_claimed_transfer_asks_the_file_for_its_temporary_file(tmp_path: Path) -> None:
    """A transfer this journal added has no temporary file row until it records one; once
    claimed (a resume: another process may have run it meanwhile) the file is asked."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    [tid] = journal.add([_queued_download(tmp_path)])
    temp = PartialFile(tmp_path / ".k.cbpart-1", device=1, inode=2, size=5)
    Journal(path).set_partial(tid, temp)  # another process ran it and kept its file
    assert journal.claim(tid)
    assert journal.partial(tid) == temp


def test_group_commits_are_written_by_one_flusher_thread(tmp_path: Path) -> None:
    """Each group commit used to start a timer thread of its own (~20 a second in a queue of
    small files); one long-lived thread writes them all, and ends with the journal."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    ids = journal.add([_queued_download(tmp_path, f"k{n}") for n in range(5)])
    started: list[str] = []
    real_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    reader = Journal(path)
    with mock.patch.object(threading.Thread, "start", counting_start):
        for tid in ids:  # one flush after another, each written without a flush() call
            journal.finish(tid, {"state": State.DONE}, clear_parts=True)
            deadline = time.monotonic() + 10
            while (r := reader.get(tid)) is None or r.state is not State.DONE:
                assert time.monotonic() < deadline, "the deferred state was never written"
                time.sleep(0.01)
    assert started == ["journal-flush"], started
    flusher = journal._flusher
    assert flusher is not None
    journal.close()
    flusher.join(5)
    assert not flusher.is_alive(), "closing the journal ends its flusher"


def test_finishing_a_transfer_never_waits_for_a_group_commit_being_written(
    tmp_path: Path,
) -> None:
    """The flusher held the list of deferred states for its whole write, so every worker
    finishing a file meanwhile waited for that commit; now only another flush waits."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    first, second = journal.add([_queued_download(tmp_path, f"k{n}") for n in range(2)])
    writing, go_on = threading.Event(), threading.Event()

    def held(statement: str) -> None:
        if statement.startswith("UPDATE transfers"):
            writing.set()
            assert go_on.wait(10)

    journal._db.set_trace_callback(held)
    journal.finish(first, {"state": State.DONE}, clear_parts=True)
    flushing = threading.Thread(target=journal.flush)
    flushing.start()
    try:
        assert writing.wait(10)
        finished = threading.Thread(
            target=journal.finish,
            args=(second, {"state": State.FAILED}),
            kwargs={"clear_parts": False},
        )
        finished.start()
        finished.join(5)
        assert not finished.is_alive(), "finish() waited for the commit being written"
        assert flushing.is_alive()
    finally:
        go_on.set()
        flushing.join(10)
    journal._db.set_trace_callback(None)
    journal.flush()
    reader = Journal(path)
    assert reader.get(first).state is State.DONE  # type: ignore[union-attr]
    assert reader.get(second).state is State.FAILED  # type: ignore[union-attr]


def test_a_group_commit_writes_each_transfer_s_last_state_and_clears_the_done(
    tmp_path: Path,
) -> None:
    """Deferred states are written with one statement per run of rows that set the same
    columns: still in the order they came, and every done transfer forgets its parts and
    its temporary file (only those)."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    ids = journal.add([_queued_download(tmp_path, f"k{n}") for n in range(4)])
    for tid in ids:
        journal.add_part(tid, JournalPart(1, "", "md5", 1))
        journal.set_partial(tid, PartialFile(tmp_path / f".k{tid}.cbpart-{tid}", 1, tid, 0))
    a, b, c, d = ids
    journal.finish(a, {"state": State.FAILED, "error": "first try"}, clear_parts=False)
    journal.finish(b, {"state": State.DONE, "etag": "e-b"}, clear_parts=True)
    journal.finish(a, {"state": State.DONE, "etag": "e-a"}, clear_parts=True)  # retried
    journal.finish(c, {"state": State.PAUSED}, clear_parts=False)
    journal.finish(d, {"state": State.DONE, "etag": "e-d"}, clear_parts=True)
    journal.flush()
    reader = Journal(path)
    states = {tid: reader.get(tid) for tid in ids}
    assert {tid: (r.state, r.etag) for tid, r in states.items() if r} == {
        a: (State.DONE, "e-a"),
        b: (State.DONE, "e-b"),
        c: (State.PAUSED, ""),
        d: (State.DONE, "e-d"),
    }
    assert states[a] is not None and states[a].error == "first try"  # not set again
    assert [tid for tid in ids if reader.parts(tid)] == [c]
    assert [tid for tid in ids if reader.partial(tid) is not None] == [c]
