"""The transfer queue: uploads and downloads that are journalled, verified and resumable.

Qt-free, shared by the GUI and the CLI. :class:`TransferQueue` runs transfers on its own
worker threads (``concurrency`` files at once) and their parts on a shared part pool
(``part_concurrency`` requests at once, so memory stays at most that many parts). File
workers wait for parts; part tasks never wait for anything, so the two pools cannot
deadlock.

Every transfer is a row in the :class:`~cloudbrowser.core.journal.Journal` before any byte
moves, so a crash or a ``kill -9`` loses nothing: the next process lists it as paused and
continues it from the parts the server (upload) or the temporary file (download) holds.

Observers **pull** state rather than receive a callback per chunk: :meth:`TransferQueue.changes`
returns the transfers that changed since the last call. The GUI polls it at 10 Hz, the CLI's
progress bar too; a thousand parts a second never become a thousand signals.

The byte-moving algorithms are in ``core/uploads.py`` and ``core/downloads.py``.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cloudbrowser.core import errors
from cloudbrowser.core.at_once import FILES_AT_ONCE
from cloudbrowser.core.cpu_turns import CpuTurns
from cloudbrowser.core.errors import Cancelled, CloudBrowserError, ConfigError, StorageError
from cloudbrowser.core.give_way import give_way
from cloudbrowser.core.interrupt import Interrupts, interruptible, stoppable
from cloudbrowser.core.journal import Direction, Journal, JournalPart, JournalRecord, State
from cloudbrowser.core.localfs import FolderSyncs, local_error
from cloudbrowser.core.storage import chunked_uploads_of
from cloudbrowser.core.thread_priority import yield_to_the_window

if TYPE_CHECKING:  # a type only here
    from cloudbrowser.core.storage import Limits, ObjectReader, Storage

T = TypeVar("T")

log = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
#: The spread of retry waits: a generator of its own, so that the engine's threads never
#: move the global ``random`` state under code that seeds it (tests, Hypothesis).
_JITTER = random.Random()
#: How long finished transfers stay in the journal.
FINISHED_KEPT_SECONDS = 7 * 24 * 3600
#: The default part size, and the size above which a file goes in parts.
DEFAULT_PART_SIZE = 8 * MiB
#: File data the chunks of uploads hold in memory at once, across all files: a chunk is
#: read whole before it is sent, and a provider whose sessions take one chunk after
#: another uses large ones (GCS: 64 MiB), one per file at once.
MEMORY_BUDGET = 256 * MiB


def choose_part_size(size: int, preferred: int = 0, *, limits: Limits) -> int:
    """The part size for an object of ``size`` bytes: ``preferred`` (or 8 MiB), at least
    the provider's smallest chunk and large enough that the object fits in its most
    chunks (S3: 5 MiB, 10,000), in whole MiB."""
    part = max(
        preferred or DEFAULT_PART_SIZE, limits.min_chunk, math.ceil(size / limits.max_chunks)
    )
    return math.ceil(part / MiB) * MiB


def upload_part_size(size: int, options: TransferOptions, limits: Limits) -> int:
    """The part size of an upload of ``size`` bytes: the user's, else the provider's chunk
    (``limits.upload_chunk``). Under a bandwidth limit, no larger than the default part:
    the limiter lets a part go and then waits for it, so a larger one went at full speed
    (GCS's 64 MiB chunk: most files whole, the limit unheard)."""
    preferred = options.part_size or limits.upload_chunk
    if options.bandwidth_limit and not options.part_size:
        preferred = min(preferred or DEFAULT_PART_SIZE, DEFAULT_PART_SIZE)
    return choose_part_size(size, preferred, limits=limits)


def part_count(size: int, part_size: int) -> int:
    return max(1, math.ceil(size / part_size))


#: The largest file a transfer counts as small (:attr:`TransferOptions.small_concurrency`).
SMALL_TRANSFER = 1 * MiB
#: The round trip from which small files go ``small_concurrency`` at once. Below it,
#: ``concurrency`` files keep the engine busy already (~2 ms of CPU a small file, so 8 at
#: once cover round trips up to ~14 ms), and more threads only wait for the interpreter
#: lock, the window's thread among them (a drop of 2,000 small files beside the server,
#: 32 at once: its longest stall 53-66 ms, against 26-44 with 8).
FAR = 0.010


def is_small(t: Transfer) -> bool:
    """A transfer of one request for at most :data:`SMALL_TRANSFER` bytes."""
    return t.size <= SMALL_TRANSFER and not t.part_size


@dataclass(frozen=True, slots=True)
class TransferOptions:
    """How transfers run; the GUI's settings and the CLI's flags fill it."""

    #: Files transferred at once.
    concurrency: int = FILES_AT_ONCE
    #: Files transferred at once while they are small (:func:`is_small`) and the server is
    #: :data:`FAR` or farther; 0, or fewer than ``concurrency``: ``concurrency``. A small
    #: file's time is its request's round trip, not its bytes: with a round trip of 50
    #: ms, ``get -r`` moved 136 files a second 8 at once and 402 32 at once
    #: (tests/bench/README.md, ``latency``). The window and the CLI ask for
    #: ``at_once.SMALL_FILES_AT_ONCE``.
    small_concurrency: int = 0
    #: Part requests at once, across all files (each holds one part in memory).
    part_concurrency: int = 8
    #: 0: automatic (:func:`choose_part_size`).
    part_size: int = 0
    #: Bytes per second for all transfers together; 0: unlimited.
    bandwidth_limit: int = 0
    #: Check every byte against the server's checksum (MD5/ETag). On by default.
    verify: bool = True
    #: The queue's threads yield the CPU to the window's (core/thread_priority.py): set by
    #: the window, not by the CLI.
    background: bool = False
    #: Workers that run the engine's own code at once, the others waiting for the server
    #: or for their turn (core/cpu_turns.py); 0: all of them. Set by the window, whose
    #: thread waits behind every worker that wants the interpreter lock.
    cpu_turns: int = 0
    #: A transfer that fails for a passing reason (nothing answered, no answer in time, a
    #: busy server: ``CloudBrowserError.retryable``) is tried again by itself this many
    #: times, continuing from what was kept, before it fails (as rclone's ``--retries``).
    #: The provider's SDK has already retried each request a few times by then: these
    #: waits are longer, to outlast a dropped Wi-Fi or a server that restarts.
    retries: int = 3
    #: Seconds before each automatic retry (the last one repeats), each ±20 % so that a
    #: thousand files cut off at once do not all come back in the same instant.
    retry_waits: tuple[float, ...] = (2.0, 10.0, 30.0)

    @property
    def multipart_threshold(self) -> int:
        return self.part_size or DEFAULT_PART_SIZE

    @property
    def most_at_once(self) -> int:
        """Files transferred at once at most: small ones, or ``concurrency``."""
        return max(self.concurrency, self.small_concurrency)


class Stage(StrEnum):
    """What a running transfer is doing: moving bytes, or what follows the last byte."""

    TRANSFERRING = "transferring"
    #: Every byte moved: the server joins the parts, or the file is synced and renamed.
    FINISHING = "finishing"
    #: Every byte moved: the file is checked against the server's checksum.
    VERIFYING = "verifying"


#: The stop signal and interrupts of every transfer that is not running (see
#: ``Transfer.stop_event``): only a running transfer's own are ever set or fired.
_IDLE_STOP = threading.Event()
_IDLE_INTERRUPTS = Interrupts()


def _at_rest(t: Transfer) -> None:
    """``t``'s run is over (done, failed, waiting): it lets go of the run's own stop
    signal and interrupts and shares the idle ones, so that a queued or finished
    transfer holds no event or lock of its own (a 100,000-file drop's collector work)."""
    t.stop_event, t.interrupts = _IDLE_STOP, _IDLE_INTERRUPTS


@dataclass(eq=False, slots=True)
class Transfer:
    """One file going up or down: its journal record plus what is happening now.

    Read it from any thread; only the queue and its workers change it.
    """

    id: int
    direction: Direction
    connection: str
    bucket: str
    key: str
    local_path: Path
    #: Bytes of the source (file, or object when it was listed).
    size: int
    mtime: float
    #: Download: the ETag of the version being fetched. Upload: the ETag once done.
    etag: str = ""
    part_size: int = 0
    #: Upload: the server's id of its unfinished chunked upload ("": none begun).
    session: str = ""
    batch: str = ""
    state: State = State.QUEUED
    error: CloudBrowserError | None = None
    bytes_done: int = 0
    #: Bytes this run moved over the network: ``bytes_done`` without what an earlier attempt
    #: left on the server or on disk. Speeds are measured on it (``core/speed.py``).
    bytes_moved: int = 0
    #: Of a running transfer; what follows the last byte shows as itself, not as 100 %.
    stage: Stage = Stage.TRANSFERRING
    #: Done and checked against the server's checksum. Done but unverified only when the
    #: server gives no usable checksum, or verification is off; ``note`` then says which.
    verified: bool = False
    note: str = ""
    #: Set to ask the worker to stop; ``stop_as`` says whether that is a pause or a cancel.
    #: Made for each run, with ``interrupts`` (``TransferQueue._work``); between runs both
    #: are the shared idle ones, never set or fired. A queued or finished transfer then
    #: holds no event, condition, lock or dict of its own: 11 objects for the collector to
    #: walk per transfer became 3, so a full collection with 100,000 files in the panel
    #: (on the window's thread) takes a third of the time (166 ms → 57 ms, measured).
    stop_event: threading.Event = field(default=_IDLE_STOP, repr=False)
    stop_as: State = State.PAUSED
    #: What breaks off the reads the transfer is blocked in when it is stopped.
    interrupts: Interrupts = field(default=_IDLE_INTERRUPTS, repr=False)
    #: Restored from the journal after the process ended while it waited or ran (not paused
    #: by the user): the GUI resumes these once their connection is open.
    interrupted: bool = False
    #: Download: the older version of the object fetched ("": the current one).
    version_id: str = ""
    #: Upload: the revision of the object it may replace ("": whatever is there). Another
    #: one on the server fails it with ObjectChanged (KeyNotFound: the object is gone).
    if_match: str = ""
    #: Upload: only where no object has the name (a **create-only** write): one made
    #: meanwhile fails it with CreatedMeanwhile, nothing overwritten.
    create_only: bool = False
    #: Automatic retries so far (``TransferOptions.retries``); a retry the user asks for
    #: starts the count again.
    retries: int = 0
    #: While it waits to be tried again by itself: when (``time.monotonic()``), and
    #: ``error`` says why it failed. 0: not waiting.
    retry_at: float = 0.0
    #: Queued behind its connection's outage (:class:`_Outage`): it goes on once a
    #: transfer of that connection gets an answer (``error``: why it failed meanwhile,
    #: None if it was never tried).
    held: bool = False

    @property
    def name(self) -> str:
        """What the user recognises: the file name (a version's download: its own name)."""
        local = self.direction is Direction.UPLOAD or self.version_id
        return self.local_path.name if local else _leaf(self.key)

    @property
    def multipart(self) -> bool:
        return self.part_size > 0

    def record(self) -> JournalRecord:
        return JournalRecord(
            id=self.id,
            direction=self.direction,
            connection=self.connection,
            bucket=self.bucket,
            key=self.key,
            local_path=self.local_path,
            size=self.size,
            mtime=self.mtime,
            etag=self.etag,
            part_size=self.part_size,
            session=self.session,
            state=self.state,
            batch=self.batch,
            version_id=self.version_id,
            if_match=self.if_match,
            create_only=self.create_only,
            **error_fields(self.error),
        )

    @classmethod
    def from_record(cls, r: JournalRecord) -> Transfer:
        error = _restored_error(r)
        return cls(
            id=r.id,
            direction=r.direction,
            connection=r.connection,
            bucket=r.bucket,
            key=r.key,
            local_path=r.local_path,
            size=r.size,
            mtime=r.mtime,
            etag=r.etag,
            part_size=r.part_size,
            session=r.session,
            batch=r.batch,
            state=r.state,
            error=error,
            version_id=r.version_id,
            if_match=r.if_match,
            create_only=r.create_only,
        )


def error_fields(error: CloudBrowserError | None) -> dict[str, str]:
    """The journal's columns for a transfer's error (all "" when there is none)."""
    if error is None:
        return {"error": "", "error_kind": "", "error_hint": ""}
    return {"error": error.message, "error_kind": type(error).__name__, "error_hint": error.hint}


def _restored_error(r: JournalRecord) -> CloudBrowserError | None:
    """The error a journalled transfer failed with, as the same class with the same hint."""
    if not r.error:
        return None
    kind = getattr(errors, r.error_kind, None)
    if not (isinstance(kind, type) and issubclass(kind, CloudBrowserError)):
        kind = StorageError  # written by a version that did not record the kind
    return kind(r.error, hint=r.error_hint)


def _drop_frames(error: BaseException) -> None:
    """Let go of the frames an error kept (its traceback, and its causes'), before it is
    kept on its transfer: they hold the failed attempt's locals (a chunk of the file, the
    transfer itself, a cycle only a full collection frees) for as long as the row shows."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__traceback__ = None
        link = link.__cause__ or link.__context__


def _leaf(key: str) -> str:
    return key.rstrip("/").rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """What to transfer, as planned (``core/transfer_plan.py``) before it is journalled."""

    direction: Direction
    connection: str
    bucket: str
    key: str
    local_path: Path
    size: int
    mtime: float
    etag: str = ""
    #: Download: one older version of the object ("": the current one).
    version_id: str = ""
    #: Upload: only over this revision of the object (``Transfer.if_match``).
    if_match: str = ""
    #: Upload: only where no object has the name (``Transfer.create_only``).
    create_only: bool = False


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """How a batch ended: what the user needs to see so that nothing fails silently."""

    batch: str
    done: int
    unverified: list[Transfer]
    failed: list[Transfer]
    skipped: int
    cancelled: int
    paused: int
    bytes_done: int

    @property
    def ok(self) -> bool:
        return not self.failed and not self.paused and not self.cancelled


@dataclass(frozen=True, slots=True)
class Activity:
    """What the queue is doing, for an overall progress display."""

    #: Batches with transfers still queued or running.
    active_batches: frozenset[str] = frozenset()
    running: int = 0
    queued: int = 0
    #: Over every transfer of the active batches (finished ones included).
    bytes_done: int = 0
    bytes_total: int = 0
    #: Of ``bytes_done``, what was moved now (not kept from an earlier attempt): for speeds.
    bytes_moved: int = 0
    #: Connections whose files wait for one of them to be tried again (``_Outage``).
    waiting_for: frozenset[str] = frozenset()

    @property
    def busy(self) -> bool:
        return bool(self.running or self.queued)


#: One transfer's share of its batch's tally: (transfers, queued or running, bytes in
#: all, bytes done, bytes moved). A running transfer's done and moved bytes change with
#: every chunk, so they are read live (activity()) and its share counts them as 0.
_Share = tuple[int, int, int, int, int]
_NO_SHARE: _Share = (0, 0, 0, 0, 0)


@dataclass(slots=True)
class _Waiter:
    """A thread in :meth:`TransferQueue.wait` (the ids it waits for that are still
    queued or running, counted down as they end) or in ``wait_active`` (``remaining``
    None: at most ``at_most`` transfers active)."""

    remaining: set[int] | None
    at_most: int
    #: Its own condition, under the queue's lock: only a waiter whose condition may hold
    #: is woken.
    wake: threading.Condition


@dataclass(slots=True)
class _Outage:
    """A connection whose transfer failed for a passing reason (nothing answered, no
    answer in time, a busy server): that transfer, the **probe**, waits to be tried again
    by itself, and the connection's other transfers wait behind it with their own tries
    unspent (``held``, in queue order) until a transfer of the connection gets an answer.
    Without it, a dropped network made every queued file fail in turn and spend its tries
    against a server that could not answer (or was asking for less)."""

    probe: int
    held: deque[int] = field(default_factory=deque)


def _share(t: Transfer) -> _Share:
    """What ``t`` adds to its batch's tally in its present state (lock held)."""
    if t.state is State.SKIPPED:
        return (1, 0, 0, 0, 0)
    if t.state is State.RUNNING:
        return (1, 1, t.size, 0, 0)
    active = 1 if t.state is State.QUEUED else 0
    # A cancelled transfer's bytes are thrown away (its partial data is discarded).
    done = t.size if t.state is State.DONE else 0 if t.state is State.CANCELLED else t.bytes_done
    return (1, active, t.size, done, t.bytes_moved)


class Stopped(Exception):
    """Internal: the transfer was asked to pause or cancel (``Transfer.stop_as`` says which)."""


class RateLimiter:
    """A token bucket shared by all transfers: at most ``rate`` bytes per second overall."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def consume(self, amount: int, stop: threading.Event) -> None:
        """Wait until ``amount`` bytes may go; returns early (and raises) when ``stop`` is set."""
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(self._next, now)
            self._next = start + amount / self.rate
        delay = start - now
        if delay > 0 and stop.wait(delay):
            raise Stopped


class MemoryBudget:
    """At most ``limit`` bytes held at once by the callers of :meth:`hold`; one request
    larger than the whole budget runs alone."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, amount: int, stop: threading.Event) -> Iterator[None]:
        """Wait until ``amount`` bytes fit (raise Stopped when ``stop`` is set first), hold
        them for the block, then give them back."""
        amount = min(amount, self._limit)
        with self._changed:
            while self._used and self._used + amount > self._limit:
                if stop.is_set():
                    raise Stopped
                # Woken by a release; the timeout only notices a pause or cancel.
                self._changed.wait(0.2)
            self._used += amount
        try:
            yield
        finally:
            with self._changed:
                self._used -= amount
                self._changed.notify_all()


class RoundTrips:
    """How far the server is: the shortest of the last requests' round trips (a GET until
    its reply's head, a small file's PUT until its answer). The shortest, as a wait for
    the interpreter lock or for a busy server only ever lengthens one."""

    KEPT = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent: deque[float] = deque(maxlen=self.KEPT)

    def note(self, seconds: float) -> None:
        with self._lock:
            self._recent.append(seconds)

    def shortest(self) -> float:
        """Seconds; 0 before any request ended."""
        with self._lock:
            return min(self._recent, default=0.0)


@dataclass(slots=True)
class RunContext:
    """What an upload or download algorithm gets from the queue."""

    transfer: Transfer
    backend: Storage
    journal: Journal
    options: TransferOptions
    parts: ThreadPoolExecutor
    limiter: RateLimiter
    memory: MemoryBudget
    #: The queue's turns (core/cpu_turns.py): the worker running this transfer holds one,
    #: and gives it up while it waits for the server.
    turns: CpuTurns = field(default_factory=CpuTurns)
    _progress_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Set by a download whose file has its name: the folder whose fsync makes that
    #: rename durable. The queue finishes the transfer once it has been synced.
    folder_to_sync: Path | None = None
    #: Where this run's requests' round trips go (the queue's).
    round_trips: RoundTrips = field(default_factory=RoundTrips)

    def check(self) -> None:
        """Raise Stopped when the user paused or cancelled this transfer; else wait while
        the window holds the engine (``core/give_way.py``: its user is acting)."""
        if self.transfer.stop_event.is_set():
            raise Stopped
        give_way()

    def throttle(self, amount: int) -> None:
        if self.limiter.rate:
            with self.off_turn():  # a wait of its own: others may run meanwhile
                self.limiter.consume(amount, self.transfer.stop_event)

    def off_turn(self) -> AbstractContextManager[None]:
        """This worker's turn given up for the block: a wait for the server
        (core/cpu_turns.py). Nothing on a part thread, which holds none."""
        return self.turns.off_turn()

    def holding(self, amount: int) -> AbstractContextManager[None]:
        """Hold ``amount`` bytes of the queue's :data:`MEMORY_BUDGET` for the block (waits
        for them; raises Stopped on a pause or cancel meanwhile)."""
        return self.memory.hold(amount, self.transfer.stop_event)

    def request(self, call: Callable[[], T]) -> T:
        """Send one request so that a pause or cancel stops waiting for it at once (a
        server that answers slowly holds it up to the read timeout otherwise); raises
        Cancelled then. See ``core/interrupt.py``."""
        return interruptible(call, self.transfer.stop_event)

    def putting(self, call: Callable[[], T]) -> T:
        """A whole object's PUT (``call``), stopped as :meth:`request` stops one: on this
        thread where the backend breaks off its own wait (``Features.stoppable_puts``),
        which saves a small file's hand-over to a runner thread and back."""
        t = self.transfer
        started = time.monotonic()
        if self.backend.features.stoppable_puts:
            with stoppable(t.interrupts, t.stop_event):
                result = call()
            give_way()
        else:
            result = self.request(call)
        if is_small(t):  # a larger one's time is its bytes'
            self.round_trips.note(time.monotonic() - started)
        return result

    @contextmanager
    def reading(self, opener: Callable[[], ObjectReader]) -> Iterator[ObjectReader]:
        """The response body ``opener`` opens (a GET), broken off when the transfer is
        stopped: its blocked read then raises Cancelled, within a moment."""
        t = self.transfer
        started = time.monotonic()
        if self.backend.features.stoppable_reads:
            with stoppable(t.interrupts, t.stop_event):
                reader = opener()
        else:
            reader = interruptible(opener, t.stop_event, discard=_close)
        self.round_trips.note(time.monotonic() - started)
        token = self.transfer.interrupts.add(reader.abort)
        try:
            yield reader
        finally:
            self.transfer.interrupts.remove(token)
            reader.close()

    def run_parts(
        self, work: Callable[[int], JournalPart], numbers: list[int], abort: threading.Event
    ) -> list[JournalPart]:
        """Run ``work`` for each part number on the part pool and return the parts.

        When one part fails, ``abort`` is set so that the others stop instead of moving
        more bytes, and that failure is raised (a pause or a cancel raises Stopped).
        """
        futures = [self.parts.submit(work, n) for n in numbers]
        with self.off_turn():
            _, pending = wait(futures, return_when=FIRST_EXCEPTION)
            if pending:
                abort.set()
                wait(pending)
        for future in futures:
            error = future.exception()
            if error is not None and not isinstance(error, Stopped):
                raise error
        self.check()
        return [future.result() for future in futures]

    def progress(self, amount: int) -> None:
        # Part tasks of one transfer report from several threads at once.
        with self._progress_lock:
            self.transfer.bytes_done += amount
            self.transfer.bytes_moved += amount

    def resumed(self, amount: int) -> None:
        """Count bytes an earlier attempt left (parts on the server, ranges on disk) as
        done, but not as moved: they are no part of this run's speed."""
        with self._progress_lock:
            self.transfer.bytes_done += amount

    def set_stage(self, stage: Stage) -> None:
        self.transfer.stage = stage


def _close(reader: ObjectReader) -> None:
    reader.close()


#: A connection id → its storage (``core.connections.Connections.storage``); raises
#: ConfigError if that connection is not open.
BackendLookup = Callable[[str], "Storage"]


def discard_leftovers(
    backends: BackendLookup, journal: Journal, t: Transfer | JournalRecord
) -> None:
    """What a cancelled transfer leaves behind goes: its chunked upload is aborted on the
    server (``backends`` opens its connection), or its download's temporary file deleted.
    The window's Cancel and the CLI's ``resume --cancel`` both come here.

    Raises: CloudBrowserError (the server), OSError (the local file).
    """
    from cloudbrowser.core.downloads import discard_partial

    if t.direction is Direction.UPLOAD and t.session:
        chunked_uploads_of(backends(t.connection)).abort_upload(t.bucket, t.key, t.session)
    elif t.direction is Direction.DOWNLOAD:
        discard_partial(journal, t.id)


class TransferQueue:
    """Runs transfers; every method is thread-safe and returns at once (no network I/O)."""

    def __init__(
        self,
        backends: BackendLookup,
        journal: Journal,
        options: TransferOptions | None = None,
    ) -> None:
        self._backends = backends
        self.journal = journal
        self._options = options or TransferOptions()
        self._mutex = threading.RLock()
        self._lock = threading.Condition(self._mutex)
        #: The threads in wait() and wait_active(), each woken when its condition may
        #: hold, not at every state change (a CLI waiting for a batch woke twice per
        #: file, each time taking the interpreter lock and this one from the workers).
        self._waiters: list[_Waiter] = []
        self._transfers: dict[int, Transfer] = {}
        self._pending: deque[int] = deque()
        #: Transfers waiting to be tried again by themselves: (``retry_at``, id), soonest
        #: first. An entry whose time is no longer its transfer's ``retry_at`` is stale.
        self._waiting: list[tuple[float, int]] = []
        #: Per connection that failed for a passing reason: what waits for it to answer.
        self._outages: dict[str, _Outage] = {}
        self._changed: dict[int, None] = {}
        #: Ids of queued and running transfers: what wait() looks at.
        self._active: set[int] = set()
        #: Ids of running transfers (at most ``most_at_once``).
        self._running: set[int] = set()
        #: Of them, those that were not small when they began (at most ``concurrency``;
        #: ids, as a transfer's size may change while it runs: a file that grew).
        self._running_large: set[int] = set()
        #: Per batch, the sum of its transfers' shares, and each transfer's counted share:
        #: the window asks for activity() ten times a second, which must not go over every
        #: file of a 100,000-file drop each time (~60 ms of the GUI thread).
        self._tallies: dict[str, list[int]] = {}
        self._shares: dict[int, _Share] = {}
        self._workers = 0
        #: Of them, threads still to be started, once the lock is let go (_spawn_workers).
        self._unstarted = 0
        self._closed = False
        #: Downloads whose renames wait for their folder's fsync (done once it ended).
        self._folder_syncs = FolderSyncs(yield_to_the_window if self._options.background else None)
        #: The most transfers held at once: a streamed download bounds it (tests read it).
        self.most_held = 0
        self._parts = ThreadPoolExecutor(
            self._options.part_concurrency,
            thread_name_prefix="transfer-part",
            initializer=yield_to_the_window if self._options.background else None,
        )
        self._limiter = RateLimiter(self._options.bandwidth_limit)
        self._memory = MemoryBudget(MEMORY_BUDGET)
        self._turns = CpuTurns(self._options.cpu_turns)
        self._round_trips = RoundTrips()

    # ── options ─────────────────────────────────────────────────────────────────────────

    @property
    def options(self) -> TransferOptions:
        return self._options

    def set_options(self, options: TransferOptions) -> None:
        """New options apply to transfers that start from now on (part pool size: restart)."""
        with self._lock:
            self._options = options
            self._limiter.rate = options.bandwidth_limit
            self._turns.set_count(options.cpu_turns)
            self._start_workers()
        self._spawn_workers()

    # ── adding and restoring ────────────────────────────────────────────────────────────

    def add(self, requests: Iterable[TransferRequest], *, batch: str = "") -> list[Transfer]:
        """Journal and queue new transfers; they start as soon as a worker is free."""
        transfers = [self._new_transfer(r, batch) for r in requests]
        ids = self.journal.add(t.record() for t in transfers)
        with self._lock:
            for transfer_id, t in zip(ids, transfers, strict=True):
                t.id = transfer_id
                self._transfers[transfer_id] = t
                self._pending.append(transfer_id)
                self._changed[transfer_id] = None
                self._active.add(transfer_id)
                self._count(t)
            self.most_held = max(self.most_held, len(self._transfers))
            self._start_workers()
        self._spawn_workers()
        return transfers

    def _new_transfer(self, r: TransferRequest, batch: str) -> Transfer:
        from cloudbrowser.core.downloads import guess_part_size

        part_size = 0
        if r.size > self._options.multipart_threshold:
            try:
                features = self._backends(r.connection).features
            except ConfigError:
                features = None  # not open: the transfer fails when it runs, saying so
            if features is None:
                pass
            elif r.direction is Direction.DOWNLOAD:
                part_size = guess_part_size(r.size, r.etag, self._options.part_size, features)
            else:
                part_size = upload_part_size(r.size, self._options, features.limits)
        return Transfer(
            id=0,
            direction=r.direction,
            connection=r.connection,
            bucket=r.bucket,
            key=r.key,
            local_path=r.local_path,
            size=r.size,
            mtime=r.mtime,
            etag=r.etag,
            part_size=part_size,
            batch=batch,
            version_id=r.version_id,
            if_match=r.if_match,
            create_only=r.create_only,
        )

    def restore(self) -> list[Transfer]:
        """Load unfinished transfers from the journal (after a crash or restart), paused.

        They resume when :meth:`resume` is called; until then nothing is sent. Ones the
        process was working on when it ended are marked ``interrupted``.
        """
        # Finished transfers are history the panel no longer shows: keep a week of it, so
        # the journal does not grow with every file ever transferred.
        self.journal.remove_finished(older_than=FINISHED_KEPT_SECONDS)
        # Not what another live cloudbrowser sharing the journal runs (see core.owners).
        records = self.journal.available()
        # What the journal knows arrived (parts on the server, ranges on disk): the row shows
        # that progress, not 0 %, and the resumed transfer continues from it.
        kept = self.journal.bytes_kept()
        restored: list[Transfer] = []
        with self._lock:
            for r in records:
                if r.id in self._transfers:
                    continue
                t = Transfer.from_record(r)
                t.bytes_done = min(kept.get(r.id, 0), t.size)
                if t.state in (State.QUEUED, State.RUNNING):
                    t.state, t.interrupted = State.PAUSED, True
                    t.note = "Interrupted when cloudbrowser stopped."
                self._transfers[t.id] = t
                self._changed[t.id] = None
                self._count(t)
                restored.append(t)
        return restored

    # ── reading ─────────────────────────────────────────────────────────────────────────

    def get(self, transfer_id: int) -> Transfer | None:
        with self._lock:
            return self._transfers.get(transfer_id)

    def transfers(self) -> list[Transfer]:
        with self._lock:
            return list(self._transfers.values())

    def changes(self) -> list[Transfer]:
        """Transfers whose state changed since the last call, plus every running one."""
        with self._lock:
            changed = [self._transfers[i] for i in self._changed if i in self._transfers]
            running = [self._transfers[i] for i in self._running if i not in self._changed]
            self._changed.clear()
        return changed + running

    def retrying(self) -> list[Transfer]:
        """Transfers that failed for a passing reason and wait to be tried again by
        themselves (``Transfer.retry_at``, ``Transfer.error``)."""
        with self._lock:
            return self._retrying()

    def _retrying(self) -> list[Transfer]:
        found = {i: self._transfers[i] for at, i in self._waiting if self._still_waits(at, i)}
        return list(found.values())

    def _still_waits(self, at: float, transfer_id: int) -> bool:
        """Whether the entry (``at``, ``transfer_id``) of ``_waiting`` is not stale."""
        t = self._transfers.get(transfer_id)
        return t is not None and t.retry_at == at and t.state is State.QUEUED

    def of_batch(self, batch: str) -> list[Transfer]:
        """The transfers of ``batch``, in the order they were added."""
        with self._lock:
            return [t for t in self._transfers.values() if t.batch == batch]

    def summary(self, batch: str, members: list[Transfer] | None = None) -> BatchSummary:
        """How ``batch`` ended; ``members``: its transfers, when the caller has them (one
        pass over a 100,000-file batch, on the window's thread, instead of two)."""
        counts = dict.fromkeys(State, 0)
        unverified: list[Transfer] = []
        failed: list[Transfer] = []
        bytes_done = 0
        for t in self.of_batch(batch) if members is None else members:
            state = t.state
            counts[state] += 1
            if state is State.DONE:
                bytes_done += t.bytes_done
                if not t.verified:
                    unverified.append(t)
            elif state is State.FAILED:
                failed.append(t)
        return BatchSummary(
            batch=batch,
            done=counts[State.DONE],
            unverified=unverified,
            failed=failed,
            skipped=counts[State.SKIPPED],
            cancelled=counts[State.CANCELLED],
            paused=counts[State.PAUSED],
            bytes_done=bytes_done,
        )

    def activity(self) -> Activity:
        """From the batches' tallies and the running transfers alone: its cost does not
        grow with the number of files queued or finished."""
        with self._lock:
            tallies = [(batch, tuple(tally)) for batch, tally in self._tallies.items() if tally[1]]
            running = [self._transfers[i] for i in self._running]
            waiting_for = frozenset(self._outages)
        # Running transfers' bytes change as they are read: read once each, here.
        done = sum(t.bytes_done for t in running)
        moved = sum(t.bytes_moved for t in running)
        total = 0
        for _batch, (_n, _active, size, done_kept, moved_kept) in tallies:
            total += size
            done += done_kept
            moved += moved_kept
        busy = sum(tally[1] for _batch, tally in tallies)
        active = frozenset(batch for batch, _tally in tallies)
        return Activity(active, len(running), busy - len(running), done, total, moved, waiting_for)

    def wait(
        self, transfers: Iterable[Transfer] | None = None, timeout: float | None = None
    ) -> bool:
        """Block until the given transfers (default: all) are neither queued nor running.

        For the CLI and tests; the GUI never calls it. Returns False on timeout.
        """
        wanted = None if transfers is None else {t.id for t in transfers}
        if wanted is None:
            return self.wait_active(0, timeout)

        def waiter() -> _Waiter | None:
            remaining = wanted & self._active
            return _Waiter(remaining, 0, threading.Condition(self._mutex)) if remaining else None

        return self._wait_for(waiter, timeout)

    def wait_active(self, at_most: int, timeout: float | None = None) -> bool:
        """Block until at most ``at_most`` transfers are queued or running (a streamed
        download reads its listing further then). Returns False on timeout."""

        def waiter() -> _Waiter | None:
            if len(self._active) <= at_most:
                return None
            return _Waiter(None, at_most, threading.Condition(self._mutex))

        return self._wait_for(waiter, timeout)

    def _wait_for(self, waiter: Callable[[], _Waiter | None], timeout: float | None) -> bool:
        """Sleep until ``waiter()`` (made under the lock, None once its condition holds) is
        woken by :meth:`_left_active`; made again after each wake, as a transfer may have
        been queued again meanwhile. False on timeout."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while (w := waiter()) is not None:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._waiters.append(w)
                try:
                    w.wake.wait(left)
                finally:
                    self._waiters.remove(w)
            return True

    def _left_active(self, transfer_id: int) -> None:
        """``transfer_id`` is neither queued nor running any more (lock held): wake the
        waiters whose condition may hold now."""
        for w in self._waiters:
            if w.remaining is not None:
                w.remaining.discard(transfer_id)
                if not w.remaining:
                    w.wake.notify()
            elif len(self._active) <= w.at_most:
                w.wake.notify()

    # ── control ─────────────────────────────────────────────────────────────────────────

    def pause(self, ids: Iterable[int]) -> None:
        """Stop transfers, keeping what was sent (resume continues from there)."""
        self._stop(ids, State.PAUSED)

    def cancel(self, ids: Iterable[int]) -> None:
        """Stop transfers and remove their partial data (multipart upload, temporary file)."""
        self._stop(ids, State.CANCELLED)

    def _stop(self, ids: Iterable[int], as_state: State) -> None:
        cleanups: list[Transfer] = []
        running: list[Interrupts] = []
        with self._lock:
            for transfer_id in ids:
                t = self._transfers.get(transfer_id)
                if t is None or t.state.finished:
                    continue
                if t.state is State.RUNNING:
                    t.stop_as = as_state
                    t.stop_event.set()
                    # Its run's own: the run may end before they are fired, below.
                    running.append(t.interrupts)
                elif t.state is not as_state:
                    t.retry_at = 0.0  # no longer waits to be tried again
                    self._set_state(t, as_state)
                    self._settled(t, as_state, None)  # a waiting probe: the next one tries
                    if as_state is State.CANCELLED:
                        cleanups.append(t)
            self._lock.notify_all()
        self._spawn_workers()  # for what waited for a probe that ended here
        for interrupts in running:
            interrupts.fire()  # reads blocked in a slow server's reply return now
        for t in cleanups:
            # Aborting an upload is a request: never on the caller's (maybe GUI) thread.
            self._parts.submit(self._discard_partial, t)

    def resume(self, ids: Iterable[int]) -> None:
        """Queue paused or failed transfers again; they continue from what was kept.

        Cancelled transfers start again from the beginning.
        """
        with self._lock:
            for transfer_id in ids:
                t = self._transfers.get(transfer_id)
                if t is not None and t.state is State.QUEUED and t.retry_at:
                    # Waiting to be tried again by itself: the user's retry is now.
                    t.retry_at, t.retries = 0.0, 0
                    self._pending.append(transfer_id)
                    self._changed[transfer_id] = None
                    continue
                if t is None or t.state in (State.QUEUED, State.RUNNING, State.DONE):
                    continue
                if not self.journal.claim(transfer_id):
                    # Another cloudbrowser (the window, or a command) runs it right now.
                    t.note = "Being transferred by another cloudbrowser."
                    self._changed[transfer_id] = None
                    continue
                t.error = None
                t.note = ""
                t.interrupted = False
                t.retries = 0
                self._set_state(t, State.QUEUED)
                self._pending.append(transfer_id)
            self._start_workers()
        self._spawn_workers()

    #: Retrying is resuming: a failed transfer continues from what the server has.
    retry = resume

    def forget_finished(self) -> None:
        """Drop done, cancelled and skipped transfers from the queue and the journal."""
        with self._lock:
            gone = [i for i, t in self._transfers.items() if t.state.finished]
            for i in gone:
                self._uncount(self._transfers.pop(i))
                self._changed.pop(i, None)
        self.journal.remove(gone)

    def forget(self, ids: Iterable[int]) -> None:
        """Drop finished transfers from the queue and the journal (one replaced by another,
        e.g. a download saved under another name)."""
        with self._lock:
            gone = [i for i in ids if i in self._transfers and self._transfers[i].state.finished]
            for i in gone:
                self._uncount(self._transfers.pop(i))
                # A caller that never asks for changes (the CLI) must not keep every id.
                self._changed.pop(i, None)
        self.journal.remove(gone)

    def mark_skipped(
        self, requests: Iterable[TransferRequest], note: str, batch: str
    ) -> list[Transfer]:
        """Record what a conflict policy skipped, so the batch summary counts it."""
        transfers = [replace(self._new_transfer(r, batch), state=State.SKIPPED) for r in requests]
        ids = self.journal.add(t.record() for t in transfers)
        with self._lock:
            for transfer_id, t in zip(ids, transfers, strict=True):
                t.id = transfer_id
                t.note = note
                self._transfers[transfer_id] = t
                self._changed[transfer_id] = None
                self._count(t)
            self.most_held = max(self.most_held, len(self._transfers))
            self._lock.notify_all()
        return transfers

    def mark_failed(
        self, failures: Iterable[tuple[TransferRequest, CloudBrowserError]], batch: str
    ) -> list[Transfer]:
        """Record transfers that failed before they could start (a key that cannot be a
        local name as it is), so the batch summary names them and the user can act on
        each (retry, save under another name)."""
        items = list(failures)
        transfers = [
            replace(self._new_transfer(r, batch), state=State.FAILED, error=e) for r, e in items
        ]
        ids = self.journal.add(t.record() for t in transfers)
        with self._lock:
            for transfer_id, t in zip(ids, transfers, strict=True):
                t.id = transfer_id
                self._transfers[transfer_id] = t
                self._changed[transfer_id] = None
                self._count(t)
            self._lock.notify_all()
        return transfers

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop the workers; what was running or waiting stays queued in the journal, so the
        next start sees it as interrupted and continues it.

        Returns False if a worker is still inside a request after ``timeout``.
        """
        with self._lock:
            self._closed = True
            for t in self._transfers.values():
                if t.state is State.RUNNING:
                    t.stop_as = State.QUEUED
                    t.stop_event.set()
                    t.interrupts.fire()
            self._pending.clear()
            self._waiting.clear()  # they stay queued in the journal, as interrupted
            self._outages.clear()
            self._lock.notify_all()
            stopped = self._lock.wait_for(lambda: self._workers == 0, timeout)
        self._parts.shutdown(wait=stopped, cancel_futures=True)
        # Renamed downloads are done once their folders are synced (journalled then).
        synced = self._folder_syncs.close(timeout if stopped else 0.0)
        self.journal.flush()
        return stopped and synced

    # ── workers ─────────────────────────────────────────────────────────────────────────

    def _set_state(self, t: Transfer, state: State, *, journal: bool = True) -> None:
        """Change state in memory (and in the journal, unless the caller writes it); call
        with the lock held."""
        self._uncount(t)
        t.state = state
        self._count(t)
        self._changed[t.id] = None
        if state in (State.QUEUED, State.RUNNING):
            self._active.add(t.id)
        elif t.id in self._active:
            self._active.discard(t.id)
            if self._waiters:
                self._left_active(t.id)
        if state is State.RUNNING:
            if t.id not in self._running and not is_small(t):
                self._running_large.add(t.id)
            self._running.add(t.id)
        else:
            self._running.discard(t.id)
            self._running_large.discard(t.id)
        if journal:
            self.journal.update(t.id, state=state, **error_fields(t.error))
        self._lock.notify_all()

    def _count(self, t: Transfer) -> None:
        """Add ``t``'s share to its batch's tally (lock held)."""
        share = _share(t)
        self._shares[t.id] = share
        tally = self._tallies.setdefault(t.batch, [0, 0, 0, 0, 0])
        for i, amount in enumerate(share):
            tally[i] += amount

    def _uncount(self, t: Transfer) -> None:
        """Take ``t``'s counted share out of its batch's tally (lock held)."""
        share = self._shares.pop(t.id, _NO_SHARE)
        tally = self._tallies.get(t.batch)
        if tally is None:
            return
        for i, amount in enumerate(share):
            tally[i] -= amount
        if not tally[0]:
            del self._tallies[t.batch]

    def _start_workers(self) -> None:
        """Count worker threads up to ``concurrency`` while work is waiting, and up to
        ``small_concurrency`` while the next transfer is small (lock held); the caller
        starts them once it has let go of the lock (:meth:`_spawn_workers`). Workers
        that wait for a transfer's time to be tried again are woken for it too."""
        if self._pending:
            self._lock.notify_all()
        while not self._closed and self._workers < min(self._wanted_workers(), len(self._pending)):
            self._workers += 1
            self._unstarted += 1

    def _wanted_workers(self) -> int:
        """Workers for what is queued (lock held): ``concurrency``, more while the next
        transfer is small and the server far (:data:`FAR`). A worker beyond
        ``concurrency`` that finds a large one next ends (:meth:`_next_transfer`), so the
        queue never runs more large ones than that."""
        options = self._options
        if options.small_concurrency <= options.concurrency or not self._pending:
            return options.concurrency
        head = self._transfers.get(self._pending[0])
        # Called at each transfer a worker takes: the round trips' lock is taken last.
        if head is not None and is_small(head) and self._round_trips.shortest() >= FAR:
            return options.most_at_once
        return options.concurrency

    def _spawn_workers(self) -> None:
        """Start the worker threads :meth:`_start_workers` counted (lock not held). A
        thread's start waits until it runs, on a busy machine until it gets a core: eight
        of them held the lock up to 40 ms after a drop (measured), and the window's poll,
        which asks the queue ten times a second, waited for it (issue 14)."""
        if not self._unstarted:  # read without the lock: who counted one starts it
            return
        with self._lock:
            count, self._unstarted = self._unstarted, 0
        for _ in range(count):
            threading.Thread(target=self._work, name="transfer", daemon=True).start()

    def _work(self) -> None:
        if self._options.background:
            yield_to_the_window()
        while True:
            give_way()  # between files, no lock held
            with self._lock:
                t = self._next_transfer()
                if t is None:
                    self._workers -= 1
                    self._lock.notify_all()
                else:
                    t.stop_event, t.interrupts = threading.Event(), Interrupts()  # this run's
                    t.error = None  # of the attempt before, if it waited to be tried again
                    # Not journalled: QUEUED and RUNNING both mean "interrupted" after a
                    # crash, and a commit per file start is a cost with thousands of files.
                    self._set_state(t, State.RUNNING, journal=False)
            self._spawn_workers()  # others due to be tried again at once (_next_transfer)
            if t is None:
                return
            with self._turns.turn():
                self._run(t)

    def _next_transfer(self) -> Transfer | None:
        """The next queued transfer (lock held); while only transfers waiting to be tried
        again are left, the worker waits for the first of them. None: the worker ends."""
        while not (self._closed or self._workers > self._options.most_at_once):
            if self._wake_due():
                self._start_workers()  # several may be due at once: a worker for each
            while self._pending:
                t = self._transfers.get(self._pending[0])
                if t is None or t.state is not State.QUEUED or t.retry_at:
                    self._pending.popleft()
                    continue
                outage = self._outages.get(t.connection)
                if outage is not None and outage.probe != t.id:
                    self._pending.popleft()
                    self._hold(t, outage)  # its connection does not answer yet
                    continue
                if not is_small(t) and len(self._running_large) >= self._options.concurrency:
                    # Large ones run ``concurrency`` at once: this worker, one of those
                    # started for small files, ends; the transfer waits at the front
                    # for a worker of a large one that ends.
                    return None
                self._pending.popleft()
                if self._workers < self._options.most_at_once:
                    self._start_workers()  # small ones next (behind a large one): more
                return t
            while self._waiting and not self._still_waits(*self._waiting[0]):
                heapq.heappop(self._waiting)  # stale: paused, cancelled, retried by the user
            if not self._waiting:
                return None
            self._lock.wait(max(0.0, self._waiting[0][0] - time.monotonic()))
        return None

    def _wake_due(self) -> bool:
        """Queue the transfers whose wait to be tried again is over (lock held); whether
        there were any."""
        now, woken = time.monotonic(), False
        while self._waiting and self._waiting[0][0] <= now:
            at, transfer_id = heapq.heappop(self._waiting)
            if self._still_waits(at, transfer_id):
                self._transfers[transfer_id].retry_at = 0.0
                self._pending.append(transfer_id)
                woken = True
        return woken

    def _retry_later(self, t: Transfer, error: CloudBrowserError) -> bool:
        """Whether the failed ``t`` waits to be tried again by itself (then it is queued
        again, with ``retry_at`` and the error that made it wait), or waits for its
        connection's probe (:class:`_Outage`; queued, with the error, ``retry_at`` 0)."""
        options = self._options
        if not (error.retryable and options.retry_waits and options.retries):
            return False
        with self._lock:
            if self._closed:
                return False
            outage = self._outages.get(t.connection)
            if outage is not None and outage.probe != t.id:
                # Its connection failed already: it waits for the probe, no try spent.
                t.error, t.retry_at = error, 0.0
                _at_rest(t)
                self._hold(t, outage)
                self._set_state(t, State.QUEUED, journal=False)
                return True
            if t.retries >= options.retries:
                return False
            if outage is None:
                self._outages[t.connection] = _Outage(t.id)
            wait = options.retry_waits[min(t.retries, len(options.retry_waits) - 1)]
            wait *= _JITTER.uniform(0.8, 1.2)  # a spread in time, not a secret
            t.retries += 1
            t.error = error
            _at_rest(t)
            t.retry_at = time.monotonic() + wait
            heapq.heappush(self._waiting, (t.retry_at, t.id))
            # Not journalled: the journal still says queued, which a next start resumes.
            self._set_state(t, State.QUEUED, journal=False)
        log.info("transfer %s failed (%s); trying again in %.1f s", t.id, error.message, wait)
        return True

    def _hold(self, t: Transfer, outage: _Outage) -> None:
        """``t`` waits for its connection's probe (lock held); its row says so."""
        outage.held.append(t.id)
        t.held = True
        self._changed[t.id] = None

    def _end_outage(self, connection: str) -> None:
        """The connection answered, or its probe stopped waiting (lock held): what waited
        for it goes back to the front of the queue, in its order."""
        outage = self._outages.pop(connection, None)
        if outage is None:
            return
        for transfer_id in outage.held:
            t = self._transfers.get(transfer_id)
            if t is not None and t.held:
                t.held = False
                self._changed[transfer_id] = None
        self._pending.extendleft(reversed(outage.held))
        self._start_workers()

    def _settled(self, t: Transfer, outcome: State, error: CloudBrowserError | None) -> None:
        """``t`` ended its attempt without waiting again (lock held): an answer from the
        server (done, or refused for a reason that is not passing) ends its connection's
        outage; so does the probe's own end (out of tries, stopped): then the next
        transfer tries the connection, and becomes the probe if it fails the same way."""
        outage = self._outages.get(t.connection)
        if outage is None:
            return
        # A local error (a full disk) says nothing of the server.
        answered = outcome is State.DONE or (
            isinstance(error, StorageError) and not error.retryable
        )
        if answered or outage.probe == t.id:
            self._end_outage(t.connection)

    def _run(self, t: Transfer) -> None:
        from cloudbrowser.core.downloads import run_download
        from cloudbrowser.core.uploads import run_upload

        outcome = State.DONE
        error: CloudBrowserError | None = None
        t.bytes_moved, t.stage = 0, Stage.TRANSFERRING
        ctx: RunContext | None = None
        try:
            backend = self._backends(t.connection)
            ctx = RunContext(
                t,
                backend,
                self.journal,
                self._options,
                self._parts,
                self._limiter,
                self._memory,
                self._turns,
                round_trips=self._round_trips,
            )
            if t.direction is Direction.UPLOAD:
                run_upload(ctx)
            else:
                run_download(ctx)
        except Stopped:
            outcome = t.stop_as
        except Cancelled:
            outcome = t.stop_as if t.stop_event.is_set() else State.CANCELLED
        except CloudBrowserError as exc:
            if t.stop_event.is_set():  # what the stop broke off (a read cut short)
                outcome = t.stop_as
            else:
                outcome, error = State.FAILED, exc
        except OSError as exc:  # a local error no step translated: still this file's alone
            outcome = State.FAILED
            error = local_error(exc, t.local_path, writing=t.direction is Direction.DOWNLOAD)
        except Exception as exc:  # a bug: report it on the transfer, never lose it
            log.exception("transfer %s failed unexpectedly", t.id)
            outcome = State.FAILED
            error = CloudBrowserError(
                "The transfer failed unexpectedly.",
                hint="Retry; if it keeps failing, please report it with the details.",
                detail=repr(exc),
            )
        if outcome is State.CANCELLED:
            self._discard_partial(t)
        if error is not None:
            _drop_frames(error)
        if outcome is State.FAILED and error is not None and self._retry_later(t, error):
            return
        folder = ctx.folder_to_sync if ctx is not None and outcome is State.DONE else None
        if folder is not None:
            # The file has its name; the download is done once the name is on the disk
            # too. This worker takes the next file meanwhile.
            self._folder_syncs.after_sync(folder, lambda failure: self._synced(t, failure))
            return
        self._finish(t, outcome, error)

    def _synced(self, t: Transfer, failure: OSError | None) -> None:
        """The fsync of the folder ``t``'s file was renamed into has ended (on the
        folder-sync thread): the download is done, or failed where the disk refused."""
        if failure is None:
            self._finish(t, State.DONE, None)
        else:
            error = local_error(failure, t.local_path, writing=True, resumable=False)
            self._finish(t, State.FAILED, error)

    def _finish(self, t: Transfer, outcome: State, error: CloudBrowserError | None) -> None:
        """``t``'s attempt ended with ``outcome``: journalled (deferred) and shown."""
        # One commit, outside the queue's lock so that other workers never wait for it.
        done = outcome is State.DONE
        fields: dict[str, object] = {"state": outcome, **error_fields(error)}
        if done:
            fields.update(etag=t.etag, session="")
        self.journal.finish(t.id, fields, clear_parts=done)
        with self._lock:
            t.error = error
            _at_rest(t)
            self._set_state(t, outcome, journal=False)
            self._settled(t, outcome, error)
            # A large transfer's end lets the next large one begin, whose worker may have
            # ended (one for small files that found it next: _next_transfer).
            self._start_workers()
        self._spawn_workers()  # for those, and what waited for this connection to answer

    def _discard_partial(self, t: Transfer) -> None:
        """After a cancel: abort the multipart upload or delete the download's temporary file."""
        try:
            discard_leftovers(self._backends, self.journal, t)
        except (CloudBrowserError, OSError) as exc:
            # The cancel itself stands; what is left over shows in "Clean up incomplete
            # uploads…" or as a stray hidden temporary file.
            log.warning("could not clean up after cancelling transfer %s: %s", t.id, exc)
        t.session = ""
        t.bytes_done = 0
        self.journal.update(t.id, session="")
        self.journal.clear_parts(t.id)
