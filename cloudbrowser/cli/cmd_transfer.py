"""``put``, ``get`` and ``resume``: the window's transfer engine, run to the end.

Planning is ``core.transfer_plan``'s (folder structure, what exists, keys that cannot be
saved safely); the transfers run on ``core.transfers.TransferQueue`` with the window's
journal, so they are verified the same way and a killed ``put`` continues with
``cloudbrowser resume`` (or in the window) from the parts the server holds.

Naming follows ``cp -r``: a folder is uploaded *as* a folder into the destination prefix
(``put -r photos s3://b/backup/`` makes ``backup/photos/...``) and a prefix is downloaded as
a folder into the local destination; a single file to a key that does not end in "/" is
stored under that key, and a single object to a path that is not a folder is saved there.
"""

from __future__ import annotations

import argparse
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cloudbrowser.cli.connect import (
    Resolved,
    new_connections,
    open_connection,
    resolve,
    resolve_source,
)
from cloudbrowser.cli.connect_gcs import NAME as GCS_NAME
from cloudbrowser.cli.connect_gcs import GcsResolved, resolve_implicit
from cloudbrowser.cli.folders import missing_object
from cloudbrowser.cli.locations import Remote, parse_remote
from cloudbrowser.cli.output import Exit, Output, UsageError, human_size
from cloudbrowser.cli.progress import ProgressLine
from cloudbrowser.cli.to_stdout import STDIO, get_to_stdout
from cloudbrowser.cli.wildcards import (
    folder_of_pattern,
    has_wildcard,
    is_pattern,
    matching,
    no_match,
)
from cloudbrowser.core.at_once import FILES_AT_ONCE, SMALL_FILES_AT_ONCE
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.connections import Connection, Connections
from cloudbrowser.core.download_stream import TargetClaims, stream_downloads
from cloudbrowser.core.errors import CloudBrowserError, KeyNotFound, LocalFileError
from cloudbrowser.core.folders import EmptyFolder, MadeFolders, make_folders, make_local_folders
from cloudbrowser.core.journal import Direction, Journal, JournalRecord, State
from cloudbrowser.core.keys import URI_SCHEMES, local_path_for, normalize_prefix
from cloudbrowser.core.localfs import is_folder, local_error, look_up
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfer_plan import (
    ConflictPolicy,
    Existing,
    Plan,
    PlannedTransfer,
    claim_target,
    plan_downloads,
    plan_uploads,
    renames,
)
from cloudbrowser.core.transfers import (
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
    discard_leftovers,
)

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
#: ``sync``: how many files it found unchanged (asked once the transfers ended).
UpToDate = Callable[[], int]


def run(args: argparse.Namespace, out: Output) -> int:
    options = transfer_options(args)
    if args.command == "resume":
        return _resume(args, out, options)
    connections = new_connections()
    connection = open_connection(args, out, connections)
    check_part_size(options, connection.storage)
    policy = ConflictPolicy(args.policy or ConflictPolicy.OVERWRITE)
    if args.command == "get" and args.destination == STDIO:
        src = parse_remote(args.source, bare_ok=False)
        return get_to_stdout(connection.storage, src, out, recursive=args.recursive)
    if args.command == "get" and args.recursive:
        src = parse_remote(args.source, bare_ok=False)
        if not has_wildcard(src.key):
            return _stream_get(src, Path(args.destination), connections, policy, options, out, args)
    plan = _plan_put(args, connection) if args.command == "put" else _plan_get(args, connection)
    return execute(plan, policy, connections, options, out, args.dry_run)


def parse_size(text: str, what: str) -> int:
    """``16M``, ``1.5GiB``, ``500k``, ``1048576`` → bytes (binary units). Raises UsageError."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise UsageError(f"“{text}” is not a size for {what}.", hint="Write it like 16M or 1G.")
    return int(float(match.group(1)) * _FACTORS[match.group(2).lower()])


def transfer_options(args: argparse.Namespace) -> TransferOptions:
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1.")
    retries = TransferOptions().retries if args.retries is None else args.retries
    if retries < 0:
        raise UsageError("--retries must be 0 or more.")
    part_size = parse_size(args.part_size, "--part-size") if args.part_size else 0
    rate = parse_size(args.limit_rate, "--limit-rate") if args.limit_rate else 0
    # -j bounds requests too, not just files: -j 1 moves one part at a time, and one
    # small file. Without it, small files go more at once (TransferOptions).
    concurrency = FILES_AT_ONCE if args.concurrency is None else args.concurrency
    return TransferOptions(
        concurrency=concurrency,
        small_concurrency=SMALL_FILES_AT_ONCE if args.concurrency is None else concurrency,
        part_concurrency=concurrency,
        part_size=part_size,
        bandwidth_limit=rate,
        retries=retries,
    )


def check_part_size(options: TransferOptions, storage: Storage) -> None:
    """Refuse a ``--part-size`` below the smallest chunk the connection's storage takes."""
    smallest = storage.features.limits.min_chunk
    if options.part_size and options.part_size < smallest:
        raise UsageError(
            f"--part-size must be at least {smallest // 1024**2}M (the storage's smallest part)."
        )


# ── planning ────────────────────────────────────────────────────────────────────────────


def _plan_put(args: argparse.Namespace, connection: Connection) -> Plan:
    dest = parse_remote(args.destination, bare_ok=False)
    sources = [Path(s) for s in args.sources]
    for source in sources:
        if str(source) == STDIO and not source.exists():
            raise UsageError(
                "put uploads files and folders, not standard input.",
                hint="Save what you pipe to a file first, then put that file.",
            )
        if not source.exists():
            raise LocalFileError(f"“{source}” does not exist.", hint="Check the path.")
        if source.is_dir() and not args.recursive:
            raise UsageError(
                f"“{source}” is a folder.", hint="Use put -r to upload it with what is in it."
            )
    storage, connection_id = connection.storage, connection.id
    if len(sources) == 1 and sources[0].is_file() and not dest.is_folder:
        # One file to a named key.
        path = sources[0]
        st = path.stat()
        request = TransferRequest(
            Direction.UPLOAD, connection_id, dest.bucket, dest.key, path, st.st_size, st.st_mtime
        )
        existing = _remote_existing(storage, dest.bucket, dest.key)
        renamed = None
        if existing is not None:
            free = next(
                (k for k in renames(dest.key) if _remote_existing(storage, dest.bucket, k) is None),
                None,
            )
            renamed = replace(request, key=free) if free is not None else None
        guarded = storage.features.conditional_puts
        return Plan(items=[PlannedTransfer(request, existing, renamed, guarded)])
    # Into a folder: s3://b/inbox and s3://b/inbox/ both mean the folder inbox/.
    return plan_uploads(storage, connection_id, sources, dest.bucket, normalize_prefix(dest.key))


def _plan_get(args: argparse.Namespace, connection: Connection) -> Plan:
    src = parse_remote(args.source, bare_ok=False)
    dest = Path(args.destination)
    storage, connection_id = connection.storage, connection.id
    if is_pattern(storage, src):
        entries = list(matching(storage, src))
        if not entries:
            raise no_match(src)
        # Named below the pattern's literal folder: logs/2024-*.gz → 2024-01/app.gz, …
        base = folder_of_pattern(src.key)
        return plan_downloads(storage, connection_id, src.bucket, entries, base, dest)
    if src.is_folder:
        raise UsageError(f"“{src}” is a folder.", hint="Use get -r to download what is in it.")
    try:
        info = storage.head_object(src.bucket, src.key)
    except KeyNotFound as error:
        raise missing_object(storage, src, error, "Use get -r to download what is in it.") from None
    into_folder = is_folder(dest) or args.destination.endswith(("/", os.sep))
    parent = src.key.rpartition("/")[0] + "/" if "/" in src.key else ""
    # Into a folder the object's own name is used: refused when it cannot be saved safely.
    target = local_path_for(src.key, parent, dest) if into_folder else dest
    why = claim_target({}, src.key, target, target.parent)
    if why:
        return Plan(refused=[(str(src), why)])
    request = TransferRequest(
        Direction.DOWNLOAD,
        connection_id,
        src.bucket,
        src.key,
        target,
        info.size,
        info.modified,
        info.etag,
    )
    existing = None
    renamed = None
    st = look_up(target)  # a name the disk cannot hold fails here, with what to do
    if st is not None:
        existing = Existing(st.st_size, st.st_mtime)
        free = next((n for n in renames(target.name) if not target.with_name(n).exists()), None)
        renamed = replace(request, local_path=target.with_name(free)) if free else None
    return Plan(items=[PlannedTransfer(request, existing, renamed)])


def _remote_existing(storage: Storage, bucket: str, key: str) -> Existing | None:
    try:
        info = storage.head_object(bucket, key)
    except KeyNotFound:
        return None
    return Existing(info.size, info.modified)


# ── running ─────────────────────────────────────────────────────────────────────────────


def execute(
    plan: Plan,
    policy: ConflictPolicy,
    connections: Connections,
    options: TransferOptions,
    out: Output,
    dry_run: bool,
    *,
    up_to_date: UpToDate | None = None,
) -> int:
    """Queue what the plan and policy say, wait with progress, report; the exit code.
    The transfers' connections are looked up in ``connections``.
    ``up_to_date``: for ``sync``, how many files needed nothing (said in the summary)."""
    for source, why in plan.refused:
        out.failed(source, why)
    for source, why in plan.skipped if not out.quiet else ():
        out.note(f"cloudbrowser: skipped: {source}: {why}")
    to_run: list[TransferRequest] = []
    skipped: list[TransferRequest] = []
    for item in plan.items:
        request = item.resolve(policy)
        if request is None:
            skipped.append(item.request)
        else:
            to_run.append(request)
    if dry_run:
        for request in to_run:
            _report_request(out, request, "would transfer")
        for request in skipped:
            _report_request(out, request, "would skip")
        for empty in plan.empty_folders:
            _report_folder(out, empty, "would make folder")
        _report_local_folders(out, plan.folders)
        _note_up_to_date(out, up_to_date)
        return Exit.FAILED if plan.refused else Exit.OK
    made_here, failed_here = _make_local_folders(plan.folders, out)
    refused = len(plan.refused) + failed_here
    journal = Journal()
    queue = TransferQueue(connections.storage, journal, options)
    batch = f"cli-{uuid.uuid4().hex}"
    try:
        # Before the files: a server that keeps no empty folder is found by writing one
        # and taking it back (rclone serve s3: a file, deleted), never while a file of the
        # batch is being written beside it.
        made = make_folders(connections.storage, plan.empty_folders)
        if skipped:
            queue.mark_skipped(skipped, "It exists already.", batch)
        transfers = queue.add(to_run, batch=batch)
        elapsed = _wait(queue, transfers, out)
    except KeyboardInterrupt:
        return _interrupted(queue, out)
    refused += _report_folders(made, out)
    code = _report(
        queue.transfers(),
        out,
        elapsed,
        failed_before=refused,
        left_out=len(plan.skipped),
        up_to_date=up_to_date() if up_to_date is not None else None,
        folders=len(made.made) + made_here,
        folders_up=bool(made.made),
    )
    queue.forget_finished()  # the journal keeps only what is left to resume
    queue.shutdown()
    journal.close()
    return code


class RetryNotes:
    """Says on stderr that a transfer failed for a passing reason and waits to be tried
    again by itself (``TransferOptions.retries``), so that a run that seems to stand still
    says why: each of the first :data:`NAMED` waits by name, then how many wait, at most
    every :data:`EVERY` seconds (a network drop makes every file of a big run wait)."""

    NAMED = 10
    EVERY = 10.0

    def __init__(self, queue: TransferQueue, out: Output, progress: ProgressLine | None) -> None:
        self._queue = queue
        self._out = out
        self._progress = progress
        self._said: set[tuple[int, int]] = set()
        self._named = 0
        self._counted_at = 0.0

    def say(self) -> None:
        if self._out.quiet:
            return
        waiting = self._queue.retrying()
        new = [t for t in waiting if (t.id, t.retries) not in self._said]
        if not new:
            return
        self._said.update((t.id, t.retries) for t in new)
        now = time.monotonic()
        named = new[: max(0, self.NAMED - self._named)]
        self._named += len(named)
        count = len(new) > len(named) and now - self._counted_at >= self.EVERY
        if self._progress is not None:
            self._progress.clear()
        activity = self._queue.activity()
        # Files of that server beside the ones waiting: they wait for them (the queue's
        # outage), not sent against a server that does not answer.
        behind = activity.queued > len(waiting)
        for t in named:
            if t.error is None:
                continue  # its wait is over: a worker runs it again already
            wait = max(0.0, t.retry_at - now)
            others = (
                " The other files for this server wait for it."
                if behind and t.connection in activity.waiting_for
                else ""
            )
            self._out.note(
                f"cloudbrowser: {t.name}: {t.error.message} Trying again in {wait:.0f} s "
                f"(retry {t.retries} of {self._queue.options.retries}).{others}"
            )
        if count:
            self._counted_at = now
            reason = new[-1].error.message if new[-1].error is not None else ""
            self._out.note(
                f"cloudbrowser: {len(waiting)} files wait to be tried again by themselves "
                f"({reason})"
            )


def _wait(queue: TransferQueue, transfers: Sequence[Transfer], out: Output) -> float:
    """Block until the transfers settle, drawing progress on a terminal; seconds taken."""
    start = time.monotonic()
    progress = ProgressLine(out.stderr, files=len(transfers)) if out.progress else None
    retries = RetryNotes(queue, out, progress)
    try:
        # The pull model: one look at the queue every 100 ms, however fast parts finish.
        while not queue.wait(transfers, timeout=0.1):
            retries.say()
            if progress is not None:
                done = sum(t.state is State.DONE for t in transfers)
                progress.update(queue.activity(), done)
    finally:
        if progress is not None:
            progress.clear()
    return time.monotonic() - start


def _interrupted(queue: TransferQueue, out: Output) -> int:
    # What ran stays queued in the journal: `resume` (or the window) continues it.
    queue.shutdown()
    out.note(
        "cloudbrowser: interrupted; unfinished transfers are kept. "
        "Continue them with “cloudbrowser resume --all”."
    )
    return Exit.INTERRUPTED


def _report(
    transfers: Sequence[Transfer],
    out: Output,
    elapsed: float,
    failed_before: int,
    left_out: int = 0,
    up_to_date: int | None = None,
    folders: int = 0,
    folders_up: bool = False,
) -> int:
    """``folders``: empty folders made (in the cloud: ``folders_up``, else here)."""
    tally = _Tally()
    for t in transfers:
        tally.count(t, out)
    tally.upload = tally.upload or folders_up  # "uploaded", of a batch of empty folders
    return _summarize(tally, out, elapsed, failed_before, left_out, up_to_date, folders)


def _make_local_folders(folders: Sequence[Path], out: Output) -> tuple[int, int]:
    """The local folders of a download's folder placeholders: how many were made (not
    there before) and how many could not be, each named with why (a file in the way)."""
    made, failed = make_local_folders(folders)
    for folder, error in failed:
        out.failed(str(folder), error.message, error.hint)
    return made, len(failed)


def _report_local_folders(out: Output, folders: Sequence[Path]) -> None:
    """A dry run's lines for the local folders a download would make."""
    for folder in folders:
        if is_folder(folder):
            continue
        if out.json:
            out.record(result="would make folder", local=str(folder))
        else:
            out.line(f"would make folder: {folder}")


def _report_folders(made: MadeFolders, out: Output) -> int:
    """Each empty folder made (a JSON row), each that failed (a line), and once that the
    server keeps no empty folders; how many failed."""
    if out.json:
        for folder in made.made:
            _folder_record(out, folder, State.DONE)
        for folder in made.not_kept:
            _folder_record(out, folder, State.SKIPPED, note=NOT_KEPT)
        for folder, error in made.failed:
            _folder_record(out, folder, State.FAILED, error=error)
    for folder, error in made.failed:
        out.failed(f"{folder.local_path} → {_folder_uri(out, folder)}", error.message, error.hint)
    if made.not_kept and not out.json and not out.quiet:
        # Not a failure: the files arrived; where the folders went is said once.
        n = len(made.not_kept)
        out.note(f"cloudbrowser: {NOT_KEPT}: {n} empty folder{'s' if n != 1 else ''} not made"
                 f" (the first: {made.not_kept[0].local_path})")  # fmt: skip
    return len(made.failed)


#: Why the empty folders of an upload were not made.
NOT_KEPT = "this server does not keep empty folders"


def _folder_record(
    out: Output,
    folder: EmptyFolder,
    state: State,
    *,
    note: str = "",
    error: CloudBrowserError | None = None,
) -> None:
    out.record(
        direction=Direction.UPLOAD.value,
        bucket=folder.bucket,
        key=folder.prefix,
        local=str(folder.local_path),
        size=0,
        state=state.value,
        folder=True,
        error=error.message if error else "",
        hint=error.hint if error else "",
        note=note,
    )


def _folder_uri(out: Output, folder: EmptyFolder) -> str:
    return out.uri(folder.bucket, folder.prefix, folder.connection)


def _report_folder(out: Output, folder: EmptyFolder, what: str) -> None:
    """A dry run's line for an empty folder to make."""
    if out.json:
        out.record(
            result=what,
            direction=Direction.UPLOAD.value,
            bucket=folder.bucket,
            key=folder.prefix,
            local=str(folder.local_path),
            size=0,
        )
    else:
        out.line(f"{what}: {folder.local_path} → {_folder_uri(out, folder)}")


@dataclass(slots=True)
class _Tally:
    """What the summary needs of finished transfers, which a streamed download drops from
    memory as they finish: counts, and the transfers it names (failed, not verified, not
    finished), in the order they finished."""

    done: int = 0
    size: int = 0
    #: Bytes the counted transfers moved now (for the speed; see Transfer.bytes_moved).
    moved: int = 0
    unverified: int = 0
    skipped: int = 0
    upload: bool = False
    #: Both are true after a ``resume`` of uploads and downloads.
    download: bool = False
    named: list[Transfer] = field(default_factory=list)
    failed: int = 0
    unfinished: int = 0

    def count(self, t: Transfer, out: Output) -> None:
        """Count one settled transfer, writing its JSON row now."""
        if out.json:
            out.record(
                id=t.id,
                direction=t.direction.value,
                bucket=t.bucket,
                key=t.key,
                local=str(t.local_path),
                size=t.size,
                state=t.state.value,
                verified=t.verified,
                reason=_unverified_reason(t),
                error=t.error.message if t.error else "",
                hint=t.error.hint if t.error else "",
                note=t.note,
            )
        self.upload = self.upload or t.direction is Direction.UPLOAD
        self.download = self.download or t.direction is Direction.DOWNLOAD
        self.moved += t.bytes_moved
        if t.state is State.DONE:
            self.done += 1
            self.size += t.size
            if not t.verified:
                self.unverified += 1
                self.named.append(t)
        elif t.state is State.FAILED:
            self.failed += 1
            self.named.append(t)
        elif t.state in (State.PAUSED, State.CANCELLED):
            self.unfinished += 1
        elif t.state is State.SKIPPED:
            self.skipped += 1


def _summarize(
    tally: _Tally,
    out: Output,
    elapsed: float,
    failed_before: int,
    left_out: int,
    up_to_date: int | None = None,
    folders: int = 0,
) -> int:
    """The summary line on stderr (text mode); the exit code. ``up_to_date``: files a
    ``sync`` found unchanged (None for other commands); ``folders``: empty folders made."""
    for t in tally.named:
        if t.state is State.FAILED:
            message = t.error.message if t.error else "failed"
            out.failed(_where(t, out), message, t.error.hint if t.error else "")
        else:
            out.note(f"cloudbrowser: not verified: {_where(t, out)}: {t.note}")
    failed, unfinished, skipped = tally.failed, tally.unfinished, tally.skipped
    anything = tally.done or failed or unfinished or skipped or left_out or failed_before or folders
    if up_to_date is not None and not anything:
        if not out.json and not out.quiet:
            out.note(f"nothing to transfer, {_files(up_to_date)} up to date")
        return Exit.OK
    if not out.json and not out.quiet:
        size, done = tally.size, tally.done
        rate = f", {human_size(int(size / elapsed))}/s" if elapsed > 0 and size else ""
        verb = _verb(tally)
        parts = [f"{verb} {done} file{'s' if done != 1 else ''} ({human_size(size)})"
                 f" in {elapsed:.1f} s{rate}"]  # fmt: skip
        if tally.unverified:
            parts.append(f"{tally.unverified} not verified")
        elif done:
            parts.append("all verified")
        if folders:
            parts.append(f"{folders} empty folder{'s' if folders != 1 else ''} made")
        if skipped:
            parts.append(f"{skipped} skipped (exist)")
        if left_out:
            # Not failures: half files another download is still writing.
            parts.append(f"{left_out} in-progress download file{'s' if left_out != 1 else ''}"
                         " skipped")  # fmt: skip
        if failed or failed_before:
            parts.append(f"{failed + failed_before} failed")
        if unfinished:
            parts.append(f"{unfinished} not finished")
        if up_to_date:
            parts.append(f"{_files(up_to_date)} already up to date")
        out.note("; ".join(parts))
    return Exit.FAILED if failed or unfinished or failed_before else Exit.OK


def _verb(tally: _Tally) -> str:
    if tally.upload and tally.download:
        return "transferred"
    return "uploaded" if tally.upload else "downloaded"


def _note_up_to_date(out: Output, up_to_date: UpToDate | None) -> None:
    """A dry run of ``sync``: how many files need nothing."""
    if up_to_date is not None and not out.json and not out.quiet:
        out.note(f"{_files(up_to_date())} up to date")


def _files(n: int) -> str:
    return f"{n:,} file{'s' if n != 1 else ''}"


def _unverified_reason(t: Transfer) -> str:
    """Why ``"verified"`` is false ("" when it is true): the note of a file that arrived but
    could not be checked, or the error of one that did not arrive."""
    if t.verified:
        return ""
    if t.error is not None:
        return t.error.message
    return t.note or f"the transfer is {t.state.value}"


def _where(t: Transfer, out: Output) -> str:
    remote = out.uri(t.bucket, t.key, t.connection)
    return f"{t.local_path} → {remote}" if t.direction is Direction.UPLOAD else remote


def _report_request(out: Output, request: TransferRequest, what: str) -> None:
    remote = out.uri(request.bucket, request.key)
    if out.json:
        out.record(
            result=what,
            direction=request.direction.value,
            bucket=request.bucket,
            key=request.key,
            local=str(request.local_path),
            size=request.size,
        )
    elif request.direction is Direction.UPLOAD:
        out.line(f"{what}: {request.local_path} → {remote}")
    else:
        out.line(f"{what}: {remote} → {request.local_path}")


# ── recursive downloads, streamed ───────────────────────────────────────────────────────

#: Transfers queued and not yet finished, at most, before ``get -r`` reads the next page
#: of its listing. The listing waits for the transfers (back-pressure), so what is held is
#: about this many transfers plus one page, whatever the size of the bucket, and the
#: first download starts once the first page (1,000 keys) is planned.
AHEAD = 2_000


def _stream_get(
    src: Remote,
    dest: Path,
    connections: Connections,
    policy: ConflictPolicy,
    options: TransferOptions,
    out: Output,
    args: argparse.Namespace,
) -> int:
    """``get -r``: plan, queue and run the prefix a listing page at a time, from the one
    connection open in ``connections``."""
    prefix = src.key if src.is_folder else src.key + "/"
    # The prefix arrives as a folder of its name (the bucket root: its keys).
    base = prefix[:-1].rpartition("/")[0] + "/" if "/" in prefix[:-1] else ""
    claims = TargetClaims(dest)
    [connection_id] = connections.ids()
    storage = connections.storage(connection_id)
    pages = stream_downloads(storage, connection_id, src.bucket, prefix, base, dest, claims)
    nothing = KeyNotFound(f"There is nothing below “{src}”.", hint="Check the name.")
    return run_stream(pages, policy, claims, connections, options, out, args.dry_run, nothing)


def run_stream(
    pages: Iterator[Plan],
    policy: ConflictPolicy,
    claims: TargetClaims,
    connections: Connections,
    options: TransferOptions,
    out: Output,
    dry_run: bool,
    nothing: KeyNotFound | None = None,
    *,
    up_to_date: UpToDate | None = None,
) -> int:
    """Queue the plans of ``pages`` as they come (at most :data:`AHEAD` unfinished), wait,
    report; the exit code. ``nothing``: raised if the pages planned nothing at all;
    ``up_to_date``: as for :func:`execute`."""
    if dry_run:
        code = _dry_stream(pages, policy, claims, out, nothing)
        _note_up_to_date(out, up_to_date)
        return code
    journal = Journal()
    queue = TransferQueue(connections.storage, journal, options)
    stream = _Stream(queue, out, f"cli-{uuid.uuid4().hex}", up_to_date)
    try:
        code = stream.run(pages, policy, claims, nothing)
    except KeyboardInterrupt:
        stream.clear()
        return _interrupted(queue, out)
    except CloudBrowserError:
        _close(queue, journal)
        raise
    _close(queue, journal)
    return code


def _close(queue: TransferQueue, journal: Journal) -> None:
    queue.forget_finished()  # the journal keeps only what is left to resume
    queue.shutdown()
    journal.close()


def _dry_stream(
    pages: Iterator[Plan],
    policy: ConflictPolicy,
    claims: TargetClaims,
    out: Output,
    nothing: KeyNotFound | None,
) -> int:
    seen = refused = 0
    for plan in pages:
        seen += len(plan.items) + len(plan.refused) + len(plan.folders)
        refused += len(plan.refused)
        for source, why in plan.refused:
            out.failed(source, why)
        for item in plan.items:
            request = _resolved(item, policy, claims)
            if request is None:
                _report_request(out, item.request, "would skip")
            else:
                _report_request(out, request, "would transfer")
        _report_local_folders(out, plan.folders)
    if not seen and nothing is not None:
        raise nothing
    return Exit.FAILED if refused else Exit.OK


def _resolved(
    item: PlannedTransfer, policy: ConflictPolicy, claims: TargetClaims
) -> TransferRequest | None:
    """The request ``policy`` chooses; a "keep both" name is then taken for good."""
    request = item.resolve(policy)
    if request is not None and request is item.renamed:
        claims.reserve(request.local_path)
    return request


class _Stream:
    """Runs the plans of a streamed download as they come, holding what is unfinished only."""

    def __init__(
        self, queue: TransferQueue, out: Output, batch: str, up_to_date: UpToDate | None = None
    ) -> None:
        self.queue = queue
        self.up_to_date = up_to_date
        self.out = out
        self.batch = batch
        self.tally = _Tally()
        #: Queued or running, or finished and not yet counted.
        self.live: dict[int, Transfer] = {}
        self.failed_before = 0
        #: Empty local folders made (folder placeholders).
        self.folders = 0
        self.progress = ProgressLine(out.stderr, files=0) if out.progress else None
        self.retries = RetryNotes(queue, out, self.progress)

    def run(
        self,
        pages: Iterator[Plan],
        policy: ConflictPolicy,
        claims: TargetClaims,
        nothing: KeyNotFound | None,
    ) -> int:
        start = time.monotonic()
        seen = False
        stopped: CloudBrowserError | None = None
        try:
            for plan in pages:
                seen = seen or bool(plan.items or plan.refused or plan.folders)
                self._queue(plan, policy, claims)
                self._settle(AHEAD)
        except CloudBrowserError as error:
            # The listing broke off: what it planned still arrives, then the error is told.
            stopped = error
        self._settle(0)
        self.clear()
        if stopped is not None:
            elapsed = time.monotonic() - start
            _summarize(self.tally, self.out, elapsed, self.failed_before, 0, None, self.folders)
            raise stopped
        if not seen and nothing is not None:
            raise nothing
        unchanged = self.up_to_date() if self.up_to_date is not None else None
        elapsed = time.monotonic() - start
        return _summarize(
            self.tally, self.out, elapsed, self.failed_before, 0, unchanged, self.folders
        )

    def _queue(self, plan: Plan, policy: ConflictPolicy, claims: TargetClaims) -> None:
        out = self.out
        for source, why in plan.refused:
            out.failed(source, why)
        self.failed_before += len(plan.refused)
        made, failed = _make_local_folders(plan.folders, out)
        self.folders += made
        self.failed_before += failed
        to_run: list[TransferRequest] = []
        skipped: list[TransferRequest] = []
        for item in plan.items:
            request = _resolved(item, policy, claims)
            if request is None:
                skipped.append(item.request)
            else:
                to_run.append(request)
        if skipped:
            marked = self.queue.mark_skipped(skipped, "It exists already.", self.batch)
            for t in marked:
                self.tally.count(t, out)
            self.queue.forget(t.id for t in marked)
        for t in self.queue.add(to_run, batch=self.batch):
            self.live[t.id] = t
        if self.progress is not None:
            self.progress.files += len(to_run)

    def _settle(self, at_most: int) -> None:
        """Wait until at most ``at_most`` transfers are unfinished, then count and drop
        the finished ones (a failed one stays in the journal, for ``resume``)."""
        while not self.queue.wait_active(at_most, timeout=0.1):
            self.retries.say()
            if self.progress is not None:
                self._draw()
        settled = [t for t in self.live.values() if t.state not in (State.QUEUED, State.RUNNING)]
        for t in settled:
            del self.live[t.id]
            self.tally.count(t, self.out)
        self.queue.forget(t.id for t in settled)

    def _draw(self) -> None:
        assert self.progress is not None
        activity = self.queue.activity()
        # What was counted and dropped is no longer in the queue's own figures.
        counted = self.tally.size
        activity = replace(
            activity,
            bytes_done=activity.bytes_done + counted,
            bytes_total=activity.bytes_total + counted,
            bytes_moved=activity.bytes_moved + self.tally.moved,
        )
        done = self.tally.done + sum(t.state is State.DONE for t in self.live.values())
        self.progress.update(activity, done)

    def clear(self) -> None:
        if self.progress is not None:
            self.progress.clear()


# ── resume ──────────────────────────────────────────────────────────────────────────────


def _resume(args: argparse.Namespace, out: Output, options: TransferOptions) -> int:
    journal = Journal()
    # Not the ones the window (or another command) is running right now: those are its own.
    records = journal.available()
    if args.cancel and not args.ids and not args.all:
        journal.close()
        raise UsageError(
            "Name the transfers to cancel.",
            hint="cloudbrowser resume --cancel ID… (as “cloudbrowser resume” lists them), or "
            "--cancel --all.",
        )
    if not args.ids and not args.all:
        _refuse_ignored_flags(args, None)  # a listing opens no connection
        _list_unfinished(records, out)
        journal.close()
        return Exit.OK
    by_id = {r.id: r for r in records}
    unknown = [i for i in args.ids if i not in by_id]
    busy = {r.id for r in journal.unfinished()}.intersection(unknown)
    if busy:
        raise UsageError(
            f"Another cloudbrowser is running the transfer {', '.join(map(str, sorted(busy)))}.",
            hint="Wait for it there (the window's Transfers panel, or the other command).",
        )
    if unknown:
        raise UsageError(
            f"No unfinished transfer has the id {', '.join(map(str, unknown))}.",
            hint="“cloudbrowser resume” lists them.",
        )
    chosen = records if args.all else [by_id[i] for i in args.ids]
    connections, unresolved = _connections_for(chosen, args, out)
    for r in chosen:
        if r.connection in unresolved:
            out.failed(_record_where(r, out), unresolved[r.connection])
    if args.cancel:
        return _cancel(journal, connections, chosen, unresolved, out)
    ids = [r.id for r in chosen if r.connection not in unresolved]
    queue = TransferQueue(connections.storage, journal, options)
    try:
        restored = {t.id: t for t in queue.restore()}
        transfers = [restored[i] for i in ids if i in restored]
        queue.resume(ids)
        elapsed = _wait(queue, transfers, out)
    except KeyboardInterrupt:
        return _interrupted(queue, out)
    tally = _Tally()
    for t in transfers:
        tally.count(t, out)
    # Those whose connection did not open are uploads or downloads too: the summary's verb
    # ("uploaded 0 files …; 2 failed") is theirs, not "downloaded" for want of any.
    tally.upload = tally.upload or any(r.direction is Direction.UPLOAD for r in chosen)
    tally.download = tally.download or any(r.direction is Direction.DOWNLOAD for r in chosen)
    code = _summarize(tally, out, elapsed, len(chosen) - len(ids), 0)
    queue.forget_finished()
    queue.shutdown()
    journal.close()
    return code


def _cancel(
    journal: Journal,
    connections: Connections,
    chosen: Sequence[JournalRecord],
    unresolved: dict[str, str],
    out: Output,
) -> int:
    """``resume --cancel``: remove what each chosen transfer left (a download's temporary
    file, an upload's unfinished parts on the server) and forget it, as Cancel in the
    window's Transfers panel does. One whose leftovers cannot be removed (its connection
    does not open, the server refuses) stays in the list, named with the reason."""
    gone: list[int] = []
    failed = len([r for r in chosen if r.connection in unresolved])
    for r in chosen:
        if r.connection in unresolved:
            continue
        try:
            discard_leftovers(connections.storage, journal, r)
        except CloudBrowserError as error:
            out.failed(_record_where(r, out), error.message, error.hint)
            failed += 1
            continue
        except OSError as exc:
            local = local_error(exc, r.local_path, writing=True)
            out.failed(_record_where(r, out), local.message, local.hint)
            failed += 1
            continue
        gone.append(r.id)
        if out.json:
            out.record(id=r.id, state="cancelled", where=_record_where(r, out))
        elif not out.quiet:
            out.line(f"cancelled {r.id}: {_record_where(r, out)}")
    journal.remove(gone)
    journal.close()
    return Exit.FAILED if failed else Exit.OK


def _connections_for(
    records: Sequence[JournalRecord], args: argparse.Namespace, out: Output
) -> tuple[Connections, dict[str, str]]:
    """The connections the records name, opened under the ids the journal knows them by,
    and why the others could not be opened.

    Connection options on the command line serve every chosen transfer (the journal names a
    connection given by flags only by its endpoint). Otherwise each name is looked up as the
    window names it: a saved connection, or ``"<profile> (AWS)"``.
    """
    from cloudbrowser.core.profiles import ProfileStore
    from cloudbrowser.core.sources import source_of_connection_name

    explicit: Resolved | None = None
    if _names_a_connection(args):
        explicit = resolve(args, out)
    else:
        _refuse_ignored_flags(args, records)
    store = ProfileStore()
    connections = new_connections()
    unresolved: dict[str, str] = {}
    for connection_id in dict.fromkeys(r.connection for r in records):
        # Its locations in its own scheme even where it does not open (az://, not s3://).
        out.use_scheme(_scheme_of_name(connection_id), connection_id)
        if explicit is not None:
            resolved: Resolved = explicit
        else:
            source = source_of_connection_name(connection_id, store)
            try:
                implicit = _implicit(connection_id, args) if source is None else None
            except CloudBrowserError as error:  # the variables name another account now
                unresolved[connection_id] = f"{error.message} {error.hint}".strip()
                continue
            if implicit is not None:  # gs:// or az:// without a saved connection
                _open_for(connections, out, *implicit, connection_id)
                continue
            if source is None:
                unresolved[connection_id] = (
                    f"its connection “{connection_id}” is not a saved connection or AWS profile"
                    " (“cloudbrowser connections” lists them); give its options"
                    " (--endpoint …, or -c NAME) to continue it"
                )
                continue
            resolved = resolve_source(source, out)
        _open_for(connections, out, resolved.settings, resolved.credentials, connection_id)
    return connections, unresolved


def _names_a_connection(args: argparse.Namespace) -> bool:
    """Whether the command line names the connection: ``-c NAME``, or the flags that
    make one (then it serves every chosen transfer)."""
    return bool(
        args.connection or args.endpoint or args.profile or args.access_key_id or args.anonymous
    )


#: Flags that change a connection for one command: beside -c NAME (or the flags that
#: make a connection) they change that one; the S3 settings of them are taken by no
#: connection ``resume`` opens by its journal name (a saved connection, an AWS profile,
#: ``az://`` from the environment), the others only by ``gs://`` from the environment.
_S3_SETTINGS = (("region", "--region"), ("addressing_style", "--addressing-style"))
_GS_SETTINGS = (
    ("project", "--project"),
    ("ca_bundle", "--ca-bundle"),
    ("no_verify_tls", "--no-verify-tls"),
)


def _refuse_ignored_flags(
    args: argparse.Namespace, records: Sequence[JournalRecord] | None
) -> None:
    """``resume`` without -c continues each transfer on the connection it was started
    on, opened by its journal name: a connection flag given that no such connection
    would take is a usage error naming it, never ignored. ``records``: the transfers
    whose connections open (None: none opens, a listing)."""
    gs_only = records is not None and all(
        r.connection == GCS_NAME or r.connection.startswith(f"{GCS_NAME} (") for r in records
    )
    for attr, flag in _S3_SETTINGS + _GS_SETTINGS:
        if not getattr(args, attr, None) or (gs_only and (attr, flag) in _GS_SETTINGS):
            continue
        raise UsageError(
            f"{flag} without -c changes nothing here: resume continues each transfer on "
            "the connection it was started on.",
            hint=f"Leave out {flag}, or name the connection to continue them on: -c NAME {flag} ….",
        )


def _implicit(connection_id: str, args: argparse.Namespace) -> GcsResolved | None:
    """The connection of a journal's name made from the environment by ``gs://`` or
    ``az://`` without -c (None when the name is not one of those)."""
    from cloudbrowser.cli.connect_azure import resolve_implicit as azure_implicit

    return resolve_implicit(connection_id, args) or azure_implicit(connection_id)


def _open_for(
    connections: Connections,
    out: Output,
    settings: ConnectionSettings,
    credentials: Credentials | None,
    connection_id: str,
) -> None:
    """Open a transfer's connection under its journal name; its locations print in its
    own scheme."""
    connection = connections.open(settings, credentials, connection_id=connection_id)
    out.use_scheme(connection.storage.features.uri_scheme, connection_id)


def _record_where(r: JournalRecord, out: Output) -> str:
    remote = out.uri(r.bucket, r.key, r.connection)
    return f"{r.local_path} → {remote}" if r.direction is Direction.UPLOAD else remote


def _list_unfinished(records: Sequence[JournalRecord], out: Output) -> None:
    for name in dict.fromkeys(r.connection for r in records):
        out.use_scheme(_scheme_of_name(name), name)
    for r in records:
        # Queued or running in the journal means the process that ran it was stopped.
        state = "interrupted" if r.state in (State.QUEUED, State.RUNNING) else r.state.value
        if out.json:
            out.record(
                id=r.id,
                direction=r.direction.value,
                state=state,
                connection=r.connection,
                bucket=r.bucket,
                key=r.key,
                local=str(r.local_path),
                size=r.size,
                error=r.error,
                hint=r.error_hint,
            )
        else:
            arrow = "↑" if r.direction is Direction.UPLOAD else "↓"
            out.line(
                f"{r.id:>5}  {arrow} {state:<11}  {human_size(r.size):>10}  "
                f"{_record_where(r, out)}  [{r.connection}]"
            )
    if not records and not out.json:
        out.note("No unfinished transfers.")


def _scheme_of_name(connection_id: str) -> str:
    """The scheme of a journal's connection, without opening it (``resume`` listing): a
    saved connection's kind, else the names ``gs://`` and ``az://`` give their
    connections from the environment, else S3's."""
    from cloudbrowser.cli.connect_azure import NAME as AZURE_NAME
    from cloudbrowser.core.backends import features_of
    from cloudbrowser.core.errors import ConfigError
    from cloudbrowser.core.profiles import ProfileStore

    saved = [p for p in ProfileStore().load() if p.name == connection_id]
    kind = saved[0].kind if saved else ""
    if not kind and (connection_id == GCS_NAME or connection_id.startswith(f"{GCS_NAME} (")):
        kind = "gcs"
    if not kind and (connection_id == AZURE_NAME or connection_id.startswith(f"{AZURE_NAME} (")):
        kind = "azure"
    try:
        return features_of(ConnectionSettings(name=connection_id, kind=kind or "s3")).uri_scheme
    except ConfigError:  # a kind this version does not know
        return URI_SCHEMES[0]
