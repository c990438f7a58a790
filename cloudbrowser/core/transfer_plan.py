"""Planning transfers: what to send or fetch, where it lands, and what already exists there.

Runs on a worker (it walks folders and lists prefixes), before anything is queued, so a
drop of 10,000 files never freezes the window and the user answers conflicts once, with
everything known: each planned item says whether its target exists, and carries a free
"renamed" alternative found up front, so resolving a conflict needs no further I/O.
"""

from __future__ import annotations

import os
import sys
import threading
import unicodedata
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cloudbrowser.core.details import Version
from cloudbrowser.core.downloads import is_temporary_name
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import (
    Cancelled,
    CloudBrowserError,
    KeyNotFound,
    LocalFileError,
    UnsafeKey,
)
from cloudbrowser.core.folders import EmptyFolder, needing_placeholders
from cloudbrowser.core.journal import Direction
from cloudbrowser.core.keys import DELIMITER, local_path_for, usable_name
from cloudbrowser.core.localfs import is_folder, look_up, walk_files
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.transfers import TransferRequest

if TYPE_CHECKING:  # a type only here
    from cloudbrowser.core.storage import Storage

#: Why a file found in a folder is not uploaded: it is a download's temporary file.
IN_PROGRESS = "a download still in progress (cloudbrowser's temporary file)"
#: Above this many single files dropped into one folder, list the folder once instead of
#: asking about each file (HEAD).
_HEAD_LIMIT = 20


class ConflictPolicy(StrEnum):
    """What to do when the target of a transfer already exists."""

    ASK = "ask"
    OVERWRITE = "overwrite"
    SKIP = "skip"
    RENAME = "rename"
    #: Transfer only when the source is newer than the existing target.
    NEWER = "newer"


@dataclass(frozen=True, slots=True)
class Existing:
    """The target that is already there."""

    size: int
    mtime: float


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    request: TransferRequest
    #: Set when the target already exists (a conflict).
    existing: Existing | None = None
    #: The same transfer to a free name ("photo (1).jpg"), for the RENAME choice.
    renamed: TransferRequest | None = None
    #: An upload whose name was found free is guarded on its write (create-only) under
    #: skip, newer or ask where the server refuses a create-only write itself
    #: (``features.conditional_puts``), at no cost. Elsewhere the engine would look by a
    #: HEAD before each such write: one request more per file of every drop (the window's
    #: small-file uploads ran at less than half their speed), for a race the plan's own
    #: look narrows already. A "keep both" name is guarded everywhere.
    guard_free_name: bool = False

    @property
    def target_name(self) -> str:
        r = self.request
        return f"{r.bucket}/{r.key}" if r.direction is Direction.UPLOAD else str(r.local_path)

    def resolve(self, policy: ConflictPolicy) -> TransferRequest | None:
        """The request to queue under ``policy``, or None to skip it (ASK only for an item
        without a conflict: the user was not asked because nothing was there).

        An upload whose name the plan found free is **create-only** wherever the choice
        relied on it being free — a "keep both" name always; a skip or newer, or asking,
        where nothing was, if ``guard_free_name`` (the server checks it at no cost) — so
        that an object someone else makes between the plan and the write is never
        overwritten (``TransferRequest.create_only``). OVERWRITE means whatever is there
        then."""
        if self.existing is None:
            if policy is ConflictPolicy.OVERWRITE or not self.guard_free_name:
                return self.request
            return _create_only(self.request)
        if policy is ConflictPolicy.OVERWRITE:
            return self.request
        if policy is ConflictPolicy.RENAME:
            return None if self.renamed is None else _create_only(self.renamed)
        if policy is ConflictPolicy.NEWER:
            return self.request if is_newer(self.request.mtime, self.existing.mtime) else None
        return None


def is_newer(source: float, target: float) -> bool:
    """Whether a source modified at ``source`` is newer than a target modified at
    ``target`` (POSIX seconds), as ``--newer`` and the NEWER choice judge it: by more than
    a second, as times are kept to the second in places (S3's HEAD, some file systems)."""
    return source > target + 1


def _create_only(request: TransferRequest) -> TransferRequest:
    """An upload to a name found free, made create-only (a download's target is a local
    file: the local rename keeps it, not the server)."""
    if request.direction is not Direction.UPLOAD or request.if_match:
        return request
    return replace(request, create_only=True)


@dataclass(slots=True)
class Plan:
    items: list[PlannedTransfer] = field(default_factory=list)
    #: Sources that cannot be transferred: (name, why), shown to the user.
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Local folders to create even if empty (downloads of folder placeholders).
    folders: list[Path] = field(default_factory=list)
    #: Uploads: the empty local folders whose folder the cloud lacks, made there as folder
    #: placeholders (``core.folders.make_folders``) when the plan is queued, before its
    #: files: a folder with files is made by its files.
    empty_folders: list[EmptyFolder] = field(default_factory=list)
    #: Downloads refused (each also in ``refused``) that can still be saved under another
    #: name: the request to a cleaned-up name, and why the key's own cannot be used. The
    #: window shows them as failed transfers with "Save as…"; nothing queues them as such.
    renamable: list[tuple[TransferRequest, CloudBrowserError]] = field(default_factory=list)
    #: Files left out on purpose, not failures: (name, why), also shown to the user.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def conflicts(self) -> list[PlannedTransfer]:
        return [i for i in self.items if i.existing is not None]

    @property
    def total_bytes(self) -> int:
        return sum(i.request.size for i in self.items)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("Preparing the transfer was cancelled.")


# ── uploads ─────────────────────────────────────────────────────────────────────────────


def plan_uploads(
    backend: Storage,
    connection: str,
    sources: Sequence[Path],
    bucket: str,
    prefix: str,
    cancel: threading.Event | None = None,
    *,
    name: str = "",
    if_match: str = "",
    create_only: bool = False,
) -> Plan:
    """Upload files and folders (recursively, keeping their structure) into ``prefix``.

    ``name``: the object's name for files dropped as such (default: the file's own name),
    for one file uploaded under another name (an edited copy: "report (edited).txt").
    ``if_match``: files dropped as such go only over that revision of their object (an
    edited file over the one it came from: ``TransferRequest.if_match``);
    ``create_only``: only where no object has their name (an edited file whose object
    was deleted, put back: ``TransferRequest.create_only``), whatever the policy.

    A dropped folder ``photos`` becomes ``prefix + "photos/..."``. Unreadable entries and
    broken links are refused with a reason; nothing is silently left out. A download's
    temporary file found in a folder (``.name.cbpart-7``) is half a file that another
    transfer is still writing: it is skipped, and named in ``plan.skipped``. An empty
    folder (no file anywhere below it) whose folder is not in the cloud yet is named in
    ``plan.empty_folders``, to be made there as a folder placeholder.
    """
    plan = Plan()
    singles: list[TransferRequest] = []
    for source in sources:
        _check(cancel)
        if source.is_dir():
            folders: dict[str, Path] = {}
            holding: list[str] = []
            top = f"{prefix}{source.name}/"
            walk = _walk(connection, source, bucket, top, plan, cancel, folders, holding)
            requests = list(walk)
            existing = _listed(backend, bucket, top, recursive=True, cancel=cancel)
            _add_uploads(backend, plan, requests, existing, cancel)
            made = needing_placeholders(folders, [*holding, *existing])
            plan.empty_folders += (EmptyFolder(connection, bucket, f, folders[f]) for f in made)
        elif source.is_file():
            key = prefix + (name or source.name)
            request = _upload_request(connection, source, bucket, key, plan)
            if request is not None:
                singles.append(replace(request, if_match=if_match, create_only=create_only))
        else:
            plan.refused.append((str(source), "it is not a file or folder (a broken link?)"))
    if singles:
        if len(singles) > _HEAD_LIMIT:
            existing = _listed(backend, bucket, prefix, recursive=False, cancel=cancel)
        else:
            existing = {}
            for r in singles:
                _check(cancel)
                info = _head(backend, bucket, r.key)
                if info is not None:
                    existing[r.key] = info
        _add_uploads(backend, plan, singles, existing, cancel)
    return plan


def _walk(
    connection: str,
    root: Path,
    bucket: str,
    prefix: str,
    plan: Plan,
    cancel: threading.Event | None,
    folders: dict[str, Path],
    holding: list[str],
) -> Iterable[TransferRequest]:
    """The uploads of the files below ``root``; each folder walked is added to
    ``folders`` (its prefix → its path), and to ``holding`` if it holds a file, uploaded
    or not (one refused, a download in progress: it is not an empty folder)."""
    for directory, _dirnames, filenames in walk_files(root, plan.refused):
        _check(cancel)
        rel = Path(directory).relative_to(root)
        key_prefix = prefix + "".join(f"{part}{DELIMITER}" for part in rel.parts)
        folders[key_prefix] = Path(directory)
        if filenames:
            holding.append(key_prefix)
        for name in sorted(filenames):
            if is_temporary_name(name):
                plan.skipped.append((str(Path(directory, name)), IN_PROGRESS))
                continue
            request = _upload_request(
                connection, Path(directory, name), bucket, key_prefix + name, plan
            )
            if request is not None:
                yield request


def _upload_request(
    connection: str, path: Path, bucket: str, key: str, plan: Plan
) -> TransferRequest | None:
    try:
        st = path.stat()
    except OSError as exc:
        plan.refused.append((str(path), exc.strerror or str(exc)))
        return None
    if not path.is_file():
        plan.refused.append((str(path), "it is not a regular file"))
        return None
    if not os.access(path, os.R_OK):
        plan.refused.append((str(path), "it cannot be read (permission denied)"))
        return None
    if os.sep != DELIMITER:
        key = key.replace(os.sep, DELIMITER)
    return TransferRequest(Direction.UPLOAD, connection, bucket, key, path, st.st_size, st.st_mtime)


def _add_uploads(
    backend: Storage,
    plan: Plan,
    requests: list[TransferRequest],
    existing: dict[str, Existing],
    cancel: threading.Event | None,
) -> None:
    # A free name is free of existing objects and of every key this plan uploads to.
    taken = set(existing) | {r.key for r in requests}
    for item in plan.items:
        taken.add(item.request.key)
        if item.renamed is not None:
            taken.add(item.renamed.key)
    for r in requests:
        found = existing.get(r.key)
        if found is None:
            guarded = backend.features.conditional_puts
            plan.items.append(PlannedTransfer(r, guard_free_name=guarded))
            continue
        renamed = None
        for candidate in renames(r.key):
            _check(cancel)
            if candidate in taken:
                continue
            if _head(backend, r.bucket, candidate) is None:
                renamed = replace(r, key=candidate)
                taken.add(candidate)
                break
        plan.items.append(PlannedTransfer(r, found, renamed))


def _head(backend: Storage, bucket: str, key: str) -> Existing | None:
    try:
        info = backend.head_object(bucket, key)
    except KeyNotFound:
        return None
    return Existing(info.size, info.modified)


def _listed(
    backend: Storage,
    bucket: str,
    prefix: str,
    *,
    recursive: bool,
    cancel: threading.Event | None,
) -> dict[str, Existing]:
    found: dict[str, Existing] = {}
    for page in iter_pages(backend, bucket, prefix, cancel, recursive=recursive):
        for entry in page.objects:
            found[entry.key] = Existing(entry.size, entry.modified)
    return found


def renames(name: str) -> Iterable[str]:
    """``a/report.pdf`` → ``a/report (1).pdf``, ``a/report (2).pdf``, … (a key or a file
    name): the "keep both" names, up to 999."""
    head, sep, leaf = name.rpartition(DELIMITER)
    pure = PurePosixPath(leaf)
    stem, suffix = (pure.stem, pure.suffix) if pure.stem else (leaf, "")
    for n in range(1, 1000):
        yield f"{head}{sep}{stem} ({n}){suffix}"


# ── downloads ───────────────────────────────────────────────────────────────────────────


def add_placeholder_folder(
    key: str, prefix: str, root: Path, folders: list[Path], refused: list[tuple[str, str]]
) -> None:
    """A folder placeholder ``key`` ("dir/", usually empty) becomes a local folder below
    ``root`` (added to ``folders``), or is refused with the reason its name is unsafe."""
    try:
        folders.append(local_path_for(key.rstrip(DELIMITER), prefix, root))
    except UnsafeKey as error:
        refused.append((key, error.message))


def plan_downloads(
    backend: Storage,
    connection: str,
    bucket: str,
    entries: Sequence[Entry],
    base_prefix: str,
    destination: Path,
    cancel: threading.Event | None = None,
) -> Plan:
    """Download objects and whole prefixes (recursively) from ``base_prefix`` into
    ``destination``, keeping the folder structure below ``base_prefix``.

    Keys that cannot be saved safely (``..``, absolute, names Windows forbids...), keys
    that collide with a folder of the same name and keys the server listed outside the
    prefix asked for are refused with the reason.
    """
    plan = Plan()
    targets: dict[Path, Entry] = {}
    claimed: dict[str, str] = {}
    # Resolved once, not once per key (a realpath: a system call per folder of the path).
    resolved = destination.resolve()
    real_folders: dict[Path, Path] = {}  # and each folder below it, once
    for obj in _objects(backend, bucket, entries, plan, cancel):
        if obj.key.endswith(DELIMITER):
            add_placeholder_folder(obj.key, base_prefix, destination, plan.folders, plan.refused)
            continue
        try:
            path = local_path_for(
                obj.key, base_prefix, destination, resolved_root=resolved, folders=real_folders
            )
        except UnsafeKey as error:
            plan.refused.append((obj.key, error.message))
            cleaned = _cleaned_path(obj.key, base_prefix, destination)
            plan.renamable.append((_download_request(connection, bucket, obj, cleaned), error))
            continue
        why = claim_target(claimed, obj.key, path, destination)
        if why:
            plan.refused.append((obj.key, why))
        else:
            targets[path] = obj

    # "dir" (an object) and "dir/file" cannot both exist on a disk.
    folders = {parent for path in targets for parent in path.parents}
    folders.update(plan.folders)
    planned = {_as_disk_compares(path) for path in targets}
    for path, obj in targets.items():
        _check(cancel)
        if path in folders or is_folder(path):
            why = f"the object has the same name as a folder (“{path.name}/”)"
            plan.refused.append((obj.key, why))
            clash = UnsafeKey(f"“{obj.key}” cannot be saved: {why}.")
            free = path.with_name(next(iter(renames(path.name))))  # "dir (1)"
            plan.renamable.append((_download_request(connection, bucket, obj, free), clash))
            continue
        request = _download_request(connection, bucket, obj, path)
        plan.items.append(_local_conflict(request, planned))
    return plan


def claim_target(claimed: dict[str, str], key: str, path: Path, destination: Path) -> str:
    """Claim ``path`` as the file ``key`` is downloaded to; "" if it may be, else why not.

    ``claimed`` (the same dict for a whole plan) maps each path taken so far to its key. A
    path is refused when another key of the plan already writes it (compared as the disk
    compares names: case-insensitively on Windows and macOS), or when a part of it has the
    form of a download's temporary file (``.name.cbpart-7``), which is reserved so that no
    object can land on, or be overwritten by, another transfer's temporary file.
    """
    try:
        parts = path.relative_to(destination).parts
    except ValueError:
        parts = (path.name,)
    if any(is_temporary_name(part) for part in parts):
        return "its name has the form cloudbrowser reserves for temporary files (“.….cbpart-…”)"
    same = _as_disk_compares(path)
    other = claimed.get(same)
    if other is not None and other != key:
        return f"the object “{other}” is saved to the same file (“{path.name}”)"
    claimed[same] = key
    return ""


def _as_disk_compares(path: Path) -> str:
    """A path as the local disk tells names apart: Windows and macOS disks are (by default)
    case-insensitive, and macOS normalises Unicode."""
    return as_disk_compares(str(path))


def as_disk_compares(text: str) -> str:
    """A path or relative name as the local disk tells names apart (see
    :func:`disk_ignores_case`)."""
    if disk_ignores_case():
        return unicodedata.normalize("NFC", text).casefold()
    return text


def _objects(
    backend: Storage,
    bucket: str,
    entries: Sequence[Entry],
    plan: Plan,
    cancel: threading.Event | None,
) -> Iterator[Entry]:
    """The objects ``entries`` name, prefixes listed recursively a page at a time (never
    held as a whole list); keys listed outside their prefix are refused on ``plan``."""
    for entry in entries:
        _check(cancel)
        if not entry.is_prefix:
            yield entry
            continue
        for page in iter_pages(backend, bucket, entry.key, cancel, recursive=True):
            plan.refused.extend((key, outside_prefix(entry.key)) for key in page.refused)
            yield from page.objects


def outside_prefix(prefix: str) -> str:
    """Why a key the server listed outside ``prefix`` is not transferred."""
    return f"the server listed it under “{prefix}”, which it is not part of"


def _download_request(connection: str, bucket: str, obj: Entry, path: Path) -> TransferRequest:
    return TransferRequest(
        Direction.DOWNLOAD, connection, bucket, obj.key, path, obj.size, obj.modified, obj.etag
    )


def _cleaned_path(key: str, base_prefix: str, destination: Path) -> Path:
    """Where an unsafe key could go instead: each segment made a usable name (``..``,
    ``.`` and empty segments dropped), so it stays below ``destination``."""
    rel = key[len(base_prefix) :] if key.startswith(base_prefix) else key
    segments = [s for s in rel.split(DELIMITER) if s not in ("", ".", "..")]
    return destination.joinpath(*(usable_name(s) for s in segments or [key]))


def disk_ignores_case() -> bool:
    """Whether local names are compared case-insensitively: by default on Windows and
    macOS (a function, so that tests can plan as those disks compare)."""
    return sys.platform in ("win32", "darwin")


def _local_conflict(request: TransferRequest, planned: Container[str]) -> PlannedTransfer:
    """The planned download, with what is already at its target and a free other name.

    ``planned``: every target of the plan, as :func:`_as_disk_compares` gives them, so that
    "keep both" never picks a name another download of the plan writes, whatever its case
    on a case-insensitive disk.
    """
    path = request.local_path
    try:
        st = look_up(path)
    except LocalFileError:
        # The path cannot be looked at (name too long, a file in the way...): the download
        # meets the same error and fails alone, named with its reason; the batch goes on.
        return PlannedTransfer(request)
    if st is None:
        return PlannedTransfer(request)
    existing = Existing(st.st_size, st.st_mtime)
    renamed = None
    for candidate in renames(path.name):
        other = path.with_name(candidate)
        # look_up uses lstat: a dangling link is a name taken too (the rename would replace it).
        if _as_disk_compares(other) not in planned and not _taken(other):
            renamed = replace(request, local_path=other)
            break
    return PlannedTransfer(request, existing, renamed)


def _taken(path: Path) -> bool:
    """Something is at ``path``, or it cannot be used (then it is no free name either)."""
    try:
        return look_up(path) is not None
    except LocalFileError:
        return True


def version_file_name(key: str, modified: float) -> str:
    """The local name of an older version: ``report (version 2024-05-01 103015).pdf``
    (its time, local, to the second: two versions a minute apart get two names)."""
    leaf = PurePosixPath(key.rpartition(DELIMITER)[2])
    stamp = datetime.fromtimestamp(modified).strftime("%Y-%m-%d %H%M%S")
    stem, suffix = (leaf.stem, leaf.suffix) if leaf.stem else (leaf.name, "")
    return f"{stem} (version {stamp}){suffix}"


def plan_version_download(connection: str, bucket: str, version: Version, target: Path) -> Plan:
    """Download one version of an object to the file ``target`` (e.g. a folder joined with
    :func:`version_file_name`): a plan of one item whose conflict, if the file exists, is
    asked like any other. The version's ETag makes the download verified and resumable.
    """
    plan = Plan()
    if version.delete_marker:
        plan.refused.append((version.key, "a delete marker holds no data to download"))
        return plan
    try:
        # The same safety checks as any download, on the name that will be written.
        path = local_path_for(target.name, "", target.parent)
    except UnsafeKey as error:
        plan.refused.append((version.key, error.message))
        return plan
    why = claim_target({}, version.key, path, target.parent)
    if why:
        plan.refused.append((version.key, why))
        return plan
    request = TransferRequest(
        Direction.DOWNLOAD,
        connection,
        bucket,
        version.key,
        path,
        version.size,
        version.modified,
        version.etag,
        version_id=version.version_id,
    )
    plan.items.append(_local_conflict(request, {_as_disk_compares(path)}))
    return plan
