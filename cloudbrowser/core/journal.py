"""The transfer journal: what is being transferred, survives a crash, a kill or a restart.

One SQLite database (standard library ``sqlite3``, WAL) in the user data dir. A row per
transfer holds everything needed to continue it without the process that started it: the
connection's name, bucket and key, local path, the source's size and mtime (to notice that
a file changed meanwhile), the upload's session (the server's id of the unfinished chunked
upload, S3's UploadId) and the part size. A row per finished part holds its token (what
the server answered for the chunk, S3's part ETag) and MD5, written *after* the server
confirmed the part, so the journal never claims more than the server has.

The file's format is numbered (SQLite's ``user_version``, see :data:`VERSION`): opening a
journal of an earlier format brings it up to date in one transaction; one of a later format
(written by a newer cloudbrowser) is refused, never changed.

The GUI and the CLI share this file (WAL lets one write while the other reads). Every
method is thread-safe: transfer workers write from many threads through one connection
guarded by a lock (writes are a few per part, far below SQLite's limits).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cloudbrowser.core import owners
from cloudbrowser.core.errors import CloudBrowserError, LocalFileError
from cloudbrowser.core.local_state import DamagedFile, move_aside, report
from cloudbrowser.core.paths import data_dir

JOURNAL_FILE = "transfers.sqlite3"
#: Seconds to wait for another process's write (the window's and the CLI's transactions
#: last milliseconds; longer means a stuck process): then JournalBusy.
BUSY_TIMEOUT = 5.0
#: Rows added per transaction (see Journal.add).
ADD_CHUNK = 500
#: Seconds within which finished transfers are written, together (see Journal.finish).
FLUSH_DELAY = 0.05
#: The journal's format, kept in SQLite's ``user_version``. 0: every release before issue
#: 14 (S3's words: ``upload_id``, the parts' ``etag``; columns added as they came, see
#: _add_missing_columns). 1: the storage interface's words, ``session`` and ``token``.
#: 2: ``create_only`` (an upload that may only create its object), so that a journal
#: of format 1 gets the column, and a cloudbrowser that would not honour it (format 1)
#: refuses the journal rather than resume such an upload as an overwrite.
VERSION = 2

#: The current format, each statement on its own (executescript would commit the
#: transaction a migration runs in).
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS transfers (
    id          INTEGER PRIMARY KEY,
    direction   TEXT    NOT NULL,            -- 'upload' | 'download'
    connection  TEXT    NOT NULL,            -- the connection's name
    bucket      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    local_path  TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    mtime       REAL    NOT NULL,            -- upload: the file's; download: the object's
    etag        TEXT    NOT NULL DEFAULT '', -- download: the version being fetched (If-Match)
    part_size   INTEGER NOT NULL DEFAULT 0,  -- 0: one request
    session     TEXT    NOT NULL DEFAULT '', -- upload: the server's id of the chunked upload
    state       TEXT    NOT NULL,
    error       TEXT    NOT NULL DEFAULT '',
    error_kind  TEXT    NOT NULL DEFAULT '', -- the error's class in core/errors.py
    error_hint  TEXT    NOT NULL DEFAULT '', -- what the user can do about it
    version_id  TEXT    NOT NULL DEFAULT '', -- download: of an older version ('' = current)
    owner       TEXT    NOT NULL DEFAULT '', -- queued/running: the process's token (owners.py)
    batch       TEXT    NOT NULL DEFAULT '',
    created     REAL    NOT NULL,
    updated     REAL    NOT NULL,
    -- added after the columns above, so last (as a migrated journal has it)
    if_match    TEXT    NOT NULL DEFAULT '', -- upload: the revision it may replace ('' = any)
    create_only INTEGER NOT NULL DEFAULT 0   -- upload: 1 = only where no object has the name
)""",
    """
CREATE TABLE IF NOT EXISTS parts (
    transfer_id INTEGER NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,            -- 1-based, as in S3
    token       TEXT    NOT NULL,            -- upload: what the server answered for the chunk
    md5         TEXT    NOT NULL,            -- hex MD5 of the part's bytes
    size        INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, number)
)""",
    "CREATE INDEX IF NOT EXISTS transfers_state ON transfers(state)",
    # A download's temporary file, as created: a resume reuses it only if the file at that
    # path is still this one (device and inode, as text: Windows' file ids exceed SQLite's
    # integers).
    """
CREATE TABLE IF NOT EXISTS partials (
    transfer_id INTEGER PRIMARY KEY REFERENCES transfers(id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    device      TEXT    NOT NULL,
    inode       TEXT    NOT NULL,
    size        INTEGER NOT NULL             -- its length once preallocated (ranges) or 0
)""",
)
#: Columns format 1 renamed: (table, the name before, the name now).
_RENAMED = (("transfers", "upload_id", "session"), ("parts", "etag", "token"))


class JournalBusy(CloudBrowserError):
    """Another process kept the journal locked past the busy timeout."""

    title = "Journal busy"


class JournalTooNew(LocalFileError):
    """The journal was written by a newer cloudbrowser, in a format this one does not know:
    it is left exactly as it is (changing it could lose that version's transfers)."""

    title = "Journal from a newer version"


class Direction(StrEnum):
    UPLOAD = "upload"
    DOWNLOAD = "download"


class State(StrEnum):
    """A transfer's state. Only DONE means "arrived and verified"."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    DONE = "done"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        """Nothing more will happen to it without the user asking (retry is a new start)."""
        return self in (State.DONE, State.CANCELLED, State.SKIPPED)

    @property
    def unfinished(self) -> bool:
        return not self.finished


#: States that mean "a worker was on it": after a restart they are interrupted, not running.
_ACTIVE = (State.QUEUED.value, State.RUNNING.value)


@dataclass(slots=True)
class JournalRecord:
    """A transfer as the journal stores it."""

    id: int
    direction: Direction
    connection: str
    bucket: str
    key: str
    local_path: Path
    size: int
    mtime: float
    etag: str
    part_size: int
    #: Upload: the server's id of the unfinished chunked upload ("": none begun).
    session: str
    state: State
    error: str
    batch: str
    #: The class name of the error (``LocalFileError``...) and its hint, so that a failure
    #: read back after a restart still says what kind it is and what to do.
    error_kind: str = ""
    error_hint: str = ""
    #: A download of one older version of the object ("": the current one).
    version_id: str = ""
    #: An upload that may only replace this revision of the object ("": whatever is there).
    if_match: str = ""
    #: An upload that may only create its object (none of the name may exist).
    create_only: bool = False


@dataclass(frozen=True, slots=True)
class JournalPart:
    """A part the server (upload) or the disk (download) has confirmed."""

    number: int
    #: Upload: what the server answered for the chunk, needed to commit ("" for downloads).
    token: str
    md5: str
    size: int


@dataclass(frozen=True, slots=True)
class PartialFile:
    """A download's temporary file and its identity when this process created it."""

    path: Path
    device: int
    inode: int
    size: int


class Journal:
    """The transfer journal in ``path`` (default: ``transfers.sqlite3`` in the data dir)."""

    def __init__(self, path: Path | None = None, *, busy_timeout: float | None = None) -> None:
        """Open (or create) the journal. A file that is not a journal is moved aside and a
        fresh one started (the user is told, see :mod:`~cloudbrowser.core.local_state`);
        one of an earlier format is brought up to date. Raises JournalBusy when another
        process keeps it locked past ``busy_timeout``, JournalTooNew when a newer
        cloudbrowser wrote it."""
        self.path = path or data_dir() / JOURNAL_FILE
        self._lock = threading.Lock()
        busy_timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        if not _looks_like_sqlite(self.path):
            # Checked before SQLite opens it: SQLite would remove a -wal beside a file it
            # cannot read when it closes it, and that may hold the journal's last changes.
            self._move_damaged_aside("file is not a database")
        try:
            self._db = self._open(busy_timeout)
        except sqlite3.DatabaseError as exc:
            if not _is_damaged(exc):
                raise self._busy_or(exc) from None
            self._move_damaged_aside(str(exc))
            self._db = self._open(busy_timeout)
        # This process runs what it queues: others sharing the journal see it lives.
        owners.hold(self.path)
        self._let_go = weakref.finalize(self, owners.let_go, self.path)
        #: Final states waiting to be written together (see finish()).
        self._deferred: list[tuple[int, dict[str, object], bool]] = []
        #: Transfers this journal added that have no temporary file row: partial() needs no
        #: query for them. Another process can only run one after claim(), which drops it.
        self._no_partial: set[int] = set()
        self._deferred_lock = threading.Lock()
        #: Held while deferred states are written: a flush() returns only once what was
        #: deferred before it is in the database, while finish() (``_deferred_lock``
        #: alone) never waits for a write.
        self._flush_lock = threading.Lock()
        #: Set when something was deferred; the flusher thread writes it FLUSH_DELAY later.
        self._flush_wanted = threading.Event()
        #: Set when the journal is closed or collected: the flusher thread ends.
        self._flusher_stop = threading.Event()
        self._flusher: threading.Thread | None = None
        weakref.finalize(self, _stop_flusher, self._flusher_stop, self._flush_wanted)
        # A process that ends normally writes what it deferred (a crash may lose it: see
        # finish()). Through a weak reference, so the journal can still be collected.
        atexit.register(_flush_at_exit, weakref.ref(self))

    def _open(self, busy_timeout: float) -> sqlite3.Connection:
        # isolation_level=None: autocommit; explicit BEGIN where several writes go together.
        db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=busy_timeout
        )
        try:
            # Before anything that could write: a newer version's journal stays untouched.
            self._refuse_newer(_version(db))
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a crash of the app (not of the OS); a
            # lost part row only means that part is sent again.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._bring_up_to_date(db)
        except BaseException:
            db.close()
            raise
        return db

    def _bring_up_to_date(self, db: sqlite3.Connection) -> None:
        """Create the tables, or migrate a journal of an earlier format, in one transaction.

        The usual open (format current) only reads the version: no write lock, so it never
        waits for another process. The version is read again under the lock: of two
        processes opening an old journal at once, the second finds the work done."""
        if _version(db) == VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            found = _version(db)
            self._refuse_newer(found)
            if found < VERSION:
                _migrate(db)
                db.execute(f"PRAGMA user_version = {VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _refuse_newer(self, found: int) -> None:
        if found <= VERSION:
            return
        raise JournalTooNew(
            f"The transfer journal {self.path} was written by a newer version of "
            "cloudbrowser; this version cannot use it.",
            hint="Use the newer cloudbrowser to finish or clear its transfers. To use this "
            "version instead, move the journal away (its unfinished transfers then cannot "
            "be resumed here).",
            detail=f"journal format {found}, this version knows up to {VERSION}",
        )

    def _move_damaged_aside(self, reason: str) -> None:
        """Rename the journal and its ``-wal``/``-shm`` beside themselves (never delete:
        they may be the only record of an interrupted upload), and tell the user."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        moved: list[Path] = []
        for suffix in ("", "-wal", "-shm"):
            try:
                target = move_aside(self.path.with_name(self.path.name + suffix), stamp)
            except OSError as error:
                raise LocalFileError(
                    f"The transfer journal {self.path} is damaged and cannot be moved aside.",
                    hint="Move it (and its -wal and -shm files) away, then start again.",
                    detail=f"{reason}; {error}",
                ) from None
            if target is not None:
                moved.append(target)
        report(
            DamagedFile(
                f"The transfer journal {self.path} could not be read ({reason}); "
                "a new one was started.",
                moved_to=moved,
                hint=(
                    "Transfers that were unfinished before cannot be resumed. The damaged "
                    f"file is kept as {moved[0] if moved else self.path}."
                ),
                detail=reason,
            )
        )

    def _busy_or(self, exc: sqlite3.Error) -> Exception:
        """The error to raise for ``exc``: JournalBusy when another process holds the lock."""
        if not _is_busy(exc):
            return exc
        return JournalBusy(
            f"The transfer journal {self.path} is in use: another cloudbrowser kept it "
            "locked for too long.",
            hint="Wait for the other cloudbrowser (a window or a command) to finish, or close "
            "it, then try again.",
            detail=f"{type(exc).__name__}: {exc}",
        )

    def close(self) -> None:
        _stop_flusher(self._flusher_stop, self._flush_wanted)
        self.flush()
        with self._lock:
            self._db.close()
        self._let_go()

    def flush(self) -> None:
        """Write the final states :meth:`finish` deferred; every other access calls this
        first, so the journal reads and changes in the order things happened.

        The rows are taken from the list and the list let go before the write: a worker
        finishing a file meanwhile adds its own without waiting for this commit (it
        waited for every group commit, its thread's turn at the interpreter lock behind
        the flusher's)."""
        with self._flush_lock:
            with self._deferred_lock:
                if not self._deferred:
                    return
                items, self._deferred = self._deferred, []
            with self._write() as db:
                _update_many(db, items)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction. BEGIN IMMEDIATE takes the write lock first, so a
        busy journal (another process writing) waits up to the busy timeout here, then
        raises JournalBusy, and never fails half-way through."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._busy_or(exc) from None
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._db.execute("ROLLBACK")
                raise self._busy_or(exc) from None

    def _write_one(self, sql: str, parameters: tuple[object, ...]) -> None:
        """One statement, committed by itself (SQLite's autocommit: atomic, and a busy
        journal waits up to the busy timeout as in :meth:`_write`)."""
        with self._lock:
            try:
                self._db.execute(sql, parameters)
            except sqlite3.OperationalError as exc:
                raise self._busy_or(exc) from None

    # ── transfers ───────────────────────────────────────────────────────────────────────

    def add(self, records: Iterable[JournalRecord]) -> list[int]:
        """Insert new transfers (their ``id`` is ignored); returns the ids given, in order.

        In transactions of ``ADD_CHUNK`` rows: another process sharing the journal (the
        window beside the CLI) never waits long for its own writes. If one fails, the rows
        already added are removed again: all of them are journalled, or none.
        """
        ids: list[int] = []
        rows = iter(records)
        try:
            while chunk := list(itertools.islice(rows, ADD_CHUNK)):
                ids.extend(self._add_chunk(chunk))
        except BaseException:
            if ids:
                with contextlib.suppress(CloudBrowserError, sqlite3.Error):
                    self.remove(ids)
            raise
        return ids

    def _add_chunk(self, records: list[JournalRecord]) -> list[int]:
        now = time.time()
        ids: list[int] = []
        with self._write() as db:
            for r in records:
                cur = db.execute(
                    "INSERT INTO transfers (direction, connection, bucket, key, local_path,"
                    " size, mtime, etag, part_size, session, state, error, batch, created,"
                    " updated, error_kind, error_hint, version_id, owner, if_match,"
                    " create_only)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        r.direction.value,
                        r.connection,
                        r.bucket,
                        r.key,
                        str(r.local_path),
                        r.size,
                        r.mtime,
                        r.etag,
                        r.part_size,
                        r.session,
                        r.state.value,
                        r.error,
                        r.batch,
                        now,
                        now,
                        r.error_kind,
                        r.error_hint,
                        r.version_id,
                        _owner_for(r.state),
                        r.if_match,
                        int(r.create_only),
                    ),
                )
                assert cur.lastrowid is not None
                ids.append(cur.lastrowid)
        with self._deferred_lock:
            self._no_partial.update(ids)
        return ids

    def update(self, transfer_id: int, **fields: object) -> None:
        """Set columns of one transfer (``state``, ``error``, ``session``, ``etag``...)."""
        self.flush()
        with self._write() as db:
            _update_in(db, transfer_id, fields)

    def finish(self, transfer_id: int, fields: dict[str, object], *, clear_parts: bool) -> None:
        """Record a transfer's final columns (and, when done, forget its parts) within
        ``FLUSH_DELAY``, together with others that finish meanwhile.

        One commit per small file, all serialised on this journal, is what limited a
        queue of small files; batching them costs nothing in safety: if the process dies
        before the write, those transfers come back as interrupted and run again, which
        gives the same result (an upload is put again, a download replaced).
        """
        with self._deferred_lock:
            self._deferred.append((transfer_id, dict(fields), clear_parts))
            self._flush_soon()

    def _flush_soon(self) -> None:
        """Have the flusher write what was deferred within ``FLUSH_DELAY`` (call with
        ``_deferred_lock`` held). One long-lived thread per journal: a timer thread per
        flush was ~20 thread starts a second in a queue of small files, each start a
        handshake for the interpreter lock behind every busy worker."""
        if self._flusher is None and not self._flusher_stop.is_set():
            self._flusher = threading.Thread(
                target=_flush_loop,
                args=(weakref.ref(self), self._flush_wanted, self._flusher_stop),
                name="journal-flush",
                daemon=True,
            )
            self._flusher.start()
        self._flush_wanted.set()

    def get(self, transfer_id: int) -> JournalRecord | None:
        self.flush()
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM transfers WHERE id = ?", (transfer_id,))
            found = row.fetchone()
        return _record(found) if found else None

    def unfinished(self) -> list[JournalRecord]:
        """Transfers not done, cancelled or skipped, oldest first.

        QUEUED or RUNNING ones were interrupted (the process ended while they waited or
        ran); PAUSED and FAILED ones were stopped on purpose or by an error.
        """
        self.flush()
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM transfers WHERE state IN (?, ?, ?, ?) ORDER BY id",
                (*_ACTIVE, State.PAUSED.value, State.FAILED.value),
            ).fetchall()
        return [_record(r) for r in rows]

    def available(self) -> list[JournalRecord]:
        """The :meth:`unfinished` transfers this process may take: not those another live
        process has queued or is running (the window beside the CLI; see ``owners``)."""
        records = self.unfinished()
        with self._lock:
            owned = self._db.execute(
                "SELECT id, owner FROM transfers WHERE owner NOT IN ('', ?)", (owners.TOKEN,)
            ).fetchall()
        elsewhere = {tid for tid, token in owned if owners.is_live(self.path, token)}
        return [r for r in records if r.id not in elsewhere]

    def claim(self, transfer_id: int) -> bool:
        """Make a transfer this process's to run; False if another live process is
        running it (see :mod:`~cloudbrowser.core.owners` for the rule)."""
        self.flush()
        with self._deferred_lock:
            # Another process may have run it meanwhile and left a temporary file.
            self._no_partial.discard(transfer_id)
        with self._write() as db:
            found = db.execute(
                "SELECT owner FROM transfers WHERE id = ?", (transfer_id,)
            ).fetchone()
            if found is None:
                return True  # not journalled (any more): nobody else can have it
            # Whatever its state: another process may have claimed it a moment ago and
            # not yet queued it (claims are atomic, each in its own write transaction).
            token = str(found[0])
            if token not in ("", owners.TOKEN) and owners.is_live(self.path, token):
                return False
            db.execute("UPDATE transfers SET owner = ? WHERE id = ?", (owners.TOKEN, transfer_id))
        return True

    def remove(self, transfer_ids: Iterable[int]) -> None:
        """Forget transfers (and their parts): "clear finished", or after cleanup."""
        ids = list(transfer_ids)
        self.flush()
        with self._deferred_lock:
            self._no_partial.difference_update(ids)
        with self._write() as db:
            db.executemany("DELETE FROM transfers WHERE id = ?", ((i,) for i in ids))

    def remove_finished(self, older_than: float = 0.0) -> None:
        """Forget done, cancelled and skipped transfers last changed more than
        ``older_than`` seconds ago (0: all of them)."""
        self.flush()
        with self._write() as db:
            db.execute(
                "DELETE FROM transfers WHERE state IN (?, ?, ?) AND updated <= ?",
                (
                    State.DONE.value,
                    State.CANCELLED.value,
                    State.SKIPPED.value,
                    time.time() - older_than,
                ),
            )

    # ── parts ───────────────────────────────────────────────────────────────────────────

    def add_part(self, transfer_id: int, part: JournalPart) -> None:
        """Record a part the server (or the local disk) has confirmed."""
        self.flush()
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO parts (transfer_id, number, token, md5, size)"
                " VALUES (?,?,?,?,?)",
                (transfer_id, part.number, part.token, part.md5, part.size),
            )

    def parts(self, transfer_id: int) -> list[JournalPart]:
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT number, token, md5, size FROM parts WHERE transfer_id = ? ORDER BY number",
                (transfer_id,),
            ).fetchall()
        return [JournalPart(*row) for row in rows]

    def bytes_kept(self) -> dict[int, int]:
        """Bytes of each transfer's recorded parts (on the server, or written to disk), in
        one query: the progress a restored transfer shows."""
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT transfer_id, SUM(size) FROM parts GROUP BY transfer_id"
            ).fetchall()
        return {int(tid): int(total) for tid, total in rows}

    def clear_parts(self, transfer_id: int) -> None:
        """Forget all parts: the transfer starts over (file changed, upload gone)."""
        self.flush()
        with self._write() as db:
            db.execute("DELETE FROM parts WHERE transfer_id = ?", (transfer_id,))

    # ── temporary files of downloads ─────────────────────────────────────────────────────

    # These three do not flush(): what finish() defers never touches this table, and a
    # flush per call turned the deferred, batched final states back into one commit per
    # file (the rows here are written for every download). A done transfer's row goes
    # with its final state (_update_many).

    def set_partial(
        self,
        transfer_id: int,
        partial: PartialFile,
        *,
        clear_parts: bool = False,
    ) -> None:
        """Record the temporary file a download created (replacing any earlier one), in a
        commit of its own before the file's first byte is asked for, so that no crash
        leaves a ``.cbpart-`` file this journal does not know; with ``clear_parts``, forget
        its parts in the same commit (a new file holds none)."""
        with self._deferred_lock:
            self._no_partial.discard(transfer_id)
        if not clear_parts:
            # One statement is a transaction of its own (autocommit): no BEGIN and COMMIT
            # around it, two steps less (each a hand-over of the interpreter lock) for
            # every small file.
            self._write_one(*_partial_row(transfer_id, partial))
            return
        with self._write() as db:
            _set_partial_in(db, transfer_id, partial, clear_parts=clear_parts)

    def partial(self, transfer_id: int) -> PartialFile | None:
        with self._deferred_lock:
            if transfer_id in self._no_partial:
                return None
        with self._lock:
            row = self._db.execute(
                "SELECT path, device, inode, size FROM partials WHERE transfer_id = ?",
                (transfer_id,),
            ).fetchone()
        if row is None:
            return None
        return PartialFile(Path(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def forget_partial(self, transfer_id: int) -> None:
        """The temporary file is gone (renamed to the target, or deleted)."""
        with self._deferred_lock:
            if transfer_id in self._no_partial:
                return  # never written: nothing to delete
        with self._write() as db:
            db.execute("DELETE FROM partials WHERE transfer_id = ?", (transfer_id,))


def _set_partial_in(
    db: sqlite3.Connection, transfer_id: int, partial: PartialFile, *, clear_parts: bool
) -> None:
    if clear_parts:
        db.execute("DELETE FROM parts WHERE transfer_id = ?", (transfer_id,))
    db.execute(*_partial_row(transfer_id, partial))


def _partial_row(transfer_id: int, partial: PartialFile) -> tuple[str, tuple[object, ...]]:
    return (
        "INSERT OR REPLACE INTO partials (transfer_id, path, device, inode, size)"
        " VALUES (?,?,?,?,?)",
        (transfer_id, str(partial.path), str(partial.device), str(partial.inode), partial.size),
    )


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a format-0 journal (or a new, empty file) to the current format, inside the
    caller's transaction. Each step looks before it acts, so it is safe to run on a journal
    any earlier release wrote, whatever columns and tables it had."""
    for table, before, now in _RENAMED:
        if before in _columns(db, table):
            db.execute(f"ALTER TABLE {table} RENAME COLUMN {before} TO {now}")
    for statement in _SCHEMA:  # tables the journal did not have yet (all, when new)
        db.execute(statement)
    _add_missing_columns(db)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Journals written before a column existed get it (with its default)."""
    have = _columns(db, "transfers")
    for column in ("error_kind", "error_hint", "version_id", "owner", "if_match"):
        if column not in have:
            db.execute(f"ALTER TABLE transfers ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    if "create_only" not in have:  # format 2
        db.execute("ALTER TABLE transfers ADD COLUMN create_only INTEGER NOT NULL DEFAULT 0")


def _looks_like_sqlite(path: Path) -> bool:
    """True for a missing or empty file (SQLite creates it) or one with SQLite's header."""
    try:
        with path.open("rb") as f:
            header = f.read(16)
    except FileNotFoundError:
        return True
    return not header or header == b"SQLite format 3\x00"


def _is_damaged(exc: sqlite3.DatabaseError) -> bool:
    """Not a database, or a damaged one (as opposed to a busy or read-only one)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _flush_loop(ref: weakref.ref[Journal], wanted: threading.Event, stop: threading.Event) -> None:
    """The flusher thread: FLUSH_DELAY after something was deferred, write it (with all
    that was deferred meanwhile). Holds the journal only while it flushes, so that an
    unused journal can still be collected (which stops this thread)."""
    while True:
        wanted.wait()
        if stop.wait(FLUSH_DELAY):
            return  # closed: close() writes what is left
        # Cleared before the flush takes the deferred rows: one deferred after this wakes
        # the next round, none is left waiting.
        wanted.clear()
        journal = ref()
        if journal is None:
            return
        try:
            journal.flush()
        except Exception:
            # Reported as the timer thread's failure was (threading.excepthook: the app's
            # error report), and the flusher lives on for the next rows.
            threading.excepthook(
                threading.ExceptHookArgs((*sys.exc_info(), threading.current_thread()))
            )
        del journal


def _stop_flusher(stop: threading.Event, wanted: threading.Event) -> None:
    stop.set()
    wanted.set()  # wakes a flusher waiting for work


def _flush_at_exit(ref: weakref.ref[Journal]) -> None:
    journal = ref()
    if journal is not None:
        with contextlib.suppress(sqlite3.Error):  # closed already
            journal.flush()


def _update_in(db: sqlite3.Connection, transfer_id: int, fields: dict[str, object]) -> None:
    sql, owned = _update_sql(tuple(fields))
    db.execute(sql, _update_values(transfer_id, fields, owned))


def _update_many(db: sqlite3.Connection, items: list[tuple[int, dict[str, object], bool]]) -> None:
    """The final states :meth:`Journal.finish` deferred, in order; a done transfer
    (``clear_parts``) forgets its parts and its temporary file, as nothing is left to
    resume from. One statement for each run of rows that set the same columns, and one
    per table for all the done transfers: each statement's step lets go of the
    interpreter lock, and three of them per file were most of a group commit's."""
    for columns, run in itertools.groupby(items, key=lambda item: tuple(item[1])):
        sql, owned = _update_sql(columns)
        db.executemany(sql, (_update_values(tid, fields, owned) for tid, fields, _c in run))
    cleared = [tid for tid, _fields, clear_parts in items if clear_parts]
    for start in range(0, len(cleared), _IN_CHUNK):
        ids = cleared[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(ids))
        db.execute(f"DELETE FROM parts WHERE transfer_id IN ({marks})", ids)
        db.execute(f"DELETE FROM partials WHERE transfer_id IN ({marks})", ids)


#: Ids per ``IN (...)`` list, below SQLite's smallest limit of bound values (999).
_IN_CHUNK = 500


def _update_sql(columns: tuple[str, ...]) -> tuple[str, bool]:
    """The UPDATE of ``columns`` (and ``updated``; ``owner`` where the state is set) and
    whether it sets the owner."""
    if not set(columns) <= _UPDATABLE:
        raise ValueError(f"not updatable: {sorted(set(columns) - _UPDATABLE)}")
    owned = "state" in columns
    assignments = "".join(f"{c} = ?, " for c in (*columns, *(("owner",) if owned else ())))
    return f"UPDATE transfers SET {assignments}updated = ? WHERE id = ?", owned


def _update_values(transfer_id: int, fields: dict[str, object], owned: bool) -> list[object]:
    values = [_sql_value(value) for value in fields.values()]
    if owned:  # queued: this process's to run; stopped or finished: nobody's
        values.append(_owner_for(State(str(_sql_value(fields["state"])))))
    values.extend((time.time(), transfer_id))
    return values


_COLUMNS = (
    "id, direction, connection, bucket, key, local_path, size, mtime, etag, part_size,"
    " session, state, error, batch, error_kind, error_hint, version_id, if_match, create_only"
)
_UPDATABLE = frozenset(
    {
        "state",
        "error",
        "error_kind",
        "error_hint",
        "session",
        "etag",
        "part_size",
        "size",
        "mtime",
        "local_path",
        "key",
    }
)


def _owner_for(state: State) -> str:
    return owners.TOKEN if state.value in _ACTIVE else ""


def _sql_value(value: object) -> object:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def _record(row: tuple[Any, ...]) -> JournalRecord:
    tid, direction, conn, bucket, key, local, size, mtime = row[:8]
    etag, psize, session, state, err, batch, kind, hint, version_id, if_match = row[8:18]
    create_only = row[18]
    return JournalRecord(
        id=int(tid),
        direction=Direction(direction),
        connection=str(conn),
        bucket=str(bucket),
        key=str(key),
        local_path=Path(local),
        size=int(size),
        mtime=float(mtime),
        etag=str(etag),
        part_size=int(psize),
        session=str(session),
        state=State(state),
        error=str(err),
        batch=str(batch),
        error_kind=str(kind),
        error_hint=str(hint),
        version_id=str(version_id),
        if_match=str(if_match),
        create_only=bool(create_only),
    )
