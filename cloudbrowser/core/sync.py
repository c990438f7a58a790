"""Synchronising a local folder and a prefix: what to send, what to fetch, what to delete.

Planning only (the transfers run on ``TransferQueue``, the deletes in ``core.deletes``), so
that a dry run shows exactly what a real run would do. Both sides are read in full first:
the local folder by ``os.walk``, the prefix by a recursive listing (no HEAD per object).

A file and an object are the same when their sizes match and

* by default (size and time): the copy is not older than the original. An upload's object
  is stamped with the time it was stored, after the file's mtime; a download's file gets
  the object's time as its mtime (``core.downloads``). So a second run finds everything
  equal and transfers nothing.
* with ``checksum``: the file's MD5 matches the ETag (a multipart ETag is recomputed from
  the file with the part size that reproduces the part count). An ETag that is not an MD5
  (encrypted objects, some servers) cannot be compared, and the file is transferred.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cloudbrowser.core.checksums import composite_etag, etag_chunks, md5_of
from cloudbrowser.core.download_stream import TargetClaims, digest
from cloudbrowser.core.downloads import guess_part_size, is_temporary_name
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import Cancelled, UnsafeKey
from cloudbrowser.core.folders import EmptyFolder, needing_placeholders
from cloudbrowser.core.journal import Direction
from cloudbrowser.core.keys import DELIMITER, local_path_for
from cloudbrowser.core.localfs import is_folder, walk_files
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import MD5, Features, Storage
from cloudbrowser.core.transfer_plan import (
    IN_PROGRESS,
    add_placeholder_folder,
    as_disk_compares,
    outside_prefix,
)
from cloudbrowser.core.transfers import TransferRequest

#: Tolerance for comparing a file's mtime with an object's time: file systems keep mtimes
#: at coarser resolutions (FAT: 2 s) and S3 keeps whole seconds.
MTIME_SLACK = 2.0
_READ = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LocalFile:
    path: Path
    size: int
    mtime: float


@dataclass(slots=True)
class SyncPlan:
    transfers: list[TransferRequest] = field(default_factory=list)
    #: Upload: keys to delete from the bucket. Download: local files to delete.
    delete_keys: list[str] = field(default_factory=list)
    delete_files: list[Path] = field(default_factory=list)
    #: Download: local folders left empty by ``delete_files`` that the prefix holds
    #: nothing in, deepest first (:meth:`DownloadSync.emptied_folders`).
    delete_folders: list[Path] = field(default_factory=list)
    #: Sources that cannot be synchronised: (name, why).
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Sources left out on purpose, not failures (a download in progress): (name, why).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Download: local folders to make even if empty (folder placeholders, "dir/"), those
    #: not there yet.
    folders: list[Path] = field(default_factory=list)
    #: Upload: empty local folders the prefix has no folder for, made as folder placeholders
    #: (``core.folders``).
    empty_folders: list[EmptyFolder] = field(default_factory=list)
    #: Files and objects already equal.
    unchanged: int = 0
    #: The keys of the ``transfers`` that replace a copy the destination has (the rest
    #: are new).
    replacing: set[str] = field(default_factory=set)

    @property
    def changed(self) -> int:
        """How many of ``transfers`` replace a copy (the rest are new)."""
        return len(self.replacing)


#: Called now and then (at most ~10 times a second) with how many files and objects both
#: sides have shown so far, for a "Compared 1,234 files…" (the window's preview).
Progress = Callable[[int], None]


class _Counter:
    """Counts what was read and calls a :data:`Progress` at most every ``PROGRESS_EVERY``
    seconds (a call may be a queued signal: one per file would flood the GUI thread)."""

    PROGRESS_EVERY = 0.1

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.count = 0
        self._last = 0.0

    def add(self, n: int = 1) -> None:
        self.count += n
        if self.progress is not None:
            now = time.monotonic()
            if now - self._last >= self.PROGRESS_EVERY:
                self._last = now
                self.progress(self.count)


def local_files(
    root: Path,
    refused: list[tuple[str, str]],
    *,
    follow_links: bool = True,
    cancel: threading.Event | None = None,
    counter: _Counter | None = None,
    folders: dict[str, Path] | None = None,
) -> dict[str, LocalFile]:
    """Files below ``root`` by their relative path with "/" separators; in linked folders
    too with ``follow_links`` (``localfs.walk_files``). ``folders``: given, each folder
    below ``root`` is added to it, by its relative path ending in "/"."""
    found: dict[str, LocalFile] = {}

    for directory, _dirnames, filenames in walk_files(root, refused, follow_links=follow_links):
        _check(cancel)  # a folder of a million files is read before the prefix is listed
        rel_dir = Path(directory).relative_to(root)
        if folders is not None and rel_dir.parts:
            folders[DELIMITER.join(rel_dir.parts) + DELIMITER] = Path(directory)
        if counter is not None:
            counter.add(len(filenames))
        for name in sorted(filenames):
            path = Path(directory, name)
            try:
                st = path.stat()
            except OSError as exc:
                refused.append((str(path), exc.strerror or str(exc)))
                continue
            if not path.is_file():
                continue
            rel = DELIMITER.join((*rel_dir.parts, name))
            found[rel] = LocalFile(path, st.st_size, st.st_mtime)
    return found


def remote_objects(
    backend: Storage,
    bucket: str,
    prefix: str,
    refused: list[tuple[str, str]],
    cancel: threading.Event | None = None,
    counter: _Counter | None = None,
    placeholders: set[str] | None = None,
) -> dict[str, Entry]:
    """Objects below ``prefix`` by their key relative to it (folder placeholders left out,
    or added to ``placeholders``, relative too, when it is given). Keys the server listed
    outside ``prefix`` are added to ``refused``."""
    found: dict[str, Entry] = {}
    for page in iter_pages(backend, bucket, prefix, cancel, recursive=True):
        if counter is not None:
            counter.add(len(page.objects))
        refused.extend((key, outside_prefix(prefix)) for key in page.refused)
        for entry in page.objects:
            rel = entry.key[len(prefix) :]
            if not entry.key.endswith(DELIMITER):
                found[rel] = entry
            elif placeholders is not None and rel:
                placeholders.add(rel)
    return found


def file_matches_object(path: Path, size: int, obj: Entry, features: Features) -> bool:
    """The file's bytes are the object's, judged by its checksums (its MD5, else a
    composite ETag, as far as the provider's ``features`` offer them); False when it
    cannot tell."""
    etag = obj.etag.lower()
    try:
        if obj.md5 and MD5 in features.checksums:
            return _md5s(path, size or 1)[0] == obj.md5.lower()
        count = etag_chunks(etag, features.checksums)
        if count:
            part_size = guess_part_size(size, etag, 0, features)
            return composite_etag(_md5s(path, part_size)) == etag
    except OSError:
        # Unreadable here (permission...): transferred, where this one file fails alone
        # with its reason if the error persists, instead of ending the whole comparison.
        return False
    return False


def _md5s(path: Path, part_size: int) -> list[str]:
    """Hex MD5 of each ``part_size`` piece of the file (one piece: the whole file)."""
    digests: list[str] = []
    with path.open("rb") as f:
        while True:
            h = md5_of(b"")
            left = part_size
            while left:
                chunk = f.read(min(_READ, left))
                if not chunk:
                    break
                h.update(chunk)
                left -= len(chunk)
            if left == part_size and digests:
                break  # nothing more to read
            digests.append(h.hexdigest())
            if left:
                break
    return digests


def plan_upload_sync(
    backend: Storage,
    connection: str,
    root: Path,
    bucket: str,
    prefix: str,
    *,
    checksum: bool = False,
    delete: bool = False,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> SyncPlan:
    """Make ``bucket/prefix`` hold what ``root`` holds.

    A download's temporary file in ``root`` is half a file another transfer is writing: it
    is not uploaded (named in ``skipped``), and with ``delete`` an object of its name stays.
    An empty folder of ``root`` becomes a folder (its placeholder) where the prefix has none;
    with ``delete`` the placeholder of a folder ``root`` does not have is deleted, as files are.
    """
    plan = SyncPlan()
    counter = _Counter(progress)
    unreadable: list[tuple[str, str]] = []
    folders: dict[str, Path] = {}
    files = local_files(root, unreadable, cancel=cancel, counter=counter, folders=folders)
    plan.refused.extend(unreadable)
    placeholders: set[str] = set()
    objects = remote_objects(backend, bucket, prefix, plan.refused, cancel, counter, placeholders)
    # A folder holding only a download in progress is not empty: no placeholder.
    for rel in needing_placeholders(folders, [*files, *objects, *placeholders]):
        plan.empty_folders.append(EmptyFolder(connection, bucket, prefix + rel, folders[rel]))
    for rel, f in files.items():
        _check(cancel)
        if is_temporary_name(f.path.name):
            plan.skipped.append((str(f.path), IN_PROGRESS))
            continue
        obj = objects.get(rel)
        if obj is not None and obj.size == f.size:
            same = (
                file_matches_object(f.path, f.size, obj, backend.features)
                if checksum
                else obj.modified + MTIME_SLACK >= f.mtime
            )
            if same:
                plan.unchanged += 1
                continue
        if obj is not None:
            plan.replacing.add(prefix + rel)
        plan.transfers.append(
            TransferRequest(
                Direction.UPLOAD, connection, bucket, prefix + rel, f.path, f.size, f.mtime
            )
        )
    if delete:
        # A file or folder that could not be read is still there: its objects are kept.
        kept = _relative(root, unreadable)
        plan.delete_keys = [
            prefix + rel for rel in objects if rel not in files and not _below_any(rel, kept)
        ]
        plan.delete_keys += sorted(
            prefix + rel
            for rel in placeholders
            if rel not in folders and not _below_any(rel.rstrip(DELIMITER), kept)
        )
    return plan


def _relative(root: Path, named: list[tuple[str, str]]) -> set[str]:
    """The paths of ``named`` (local paths) relative to ``root``, with "/" ("" for
    ``root`` itself or a path outside it: everything)."""
    found: set[str] = set()
    for name, _why in named:
        try:
            rel = Path(name).relative_to(root).as_posix()
        except ValueError:
            rel = ""
        found.add("" if rel == "." else rel)
    return found


def _below_any(rel: str, paths: set[str]) -> bool:
    """``rel`` is one of ``paths`` or below one of them ("" holds everything)."""
    if "" in paths or rel in paths:
        return True
    parts = rel.split(DELIMITER)
    return any(DELIMITER.join(parts[:i]) in paths for i in range(1, len(parts)))


class DownloadSync:
    """``sync`` down as a stream: a plan per listing page, each object compared with its
    local file as it comes (no dict of either side), then, once the listing has ended,
    the local files the prefix does not hold (for ``--delete``).

    What is remembered across pages is compact: the paths taken (:class:`TargetClaims`)
    and the relative paths the prefix holds, both as 8-byte digests (see
    ``core.download_stream`` for why that is safe).
    """

    def __init__(
        self,
        backend: Storage,
        connection: str,
        bucket: str,
        prefix: str,
        root: Path,
        *,
        checksum: bool = False,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.backend = backend
        self.connection = connection
        self.bucket = bucket
        self.prefix = prefix
        self.root = root
        #: Resolved once for every key's check (a realpath is a system call per folder).
        self._resolved_root = root.resolve()
        self._real_folders: dict[Path, Path] = {}  # and each folder below it, once
        self.checksum = checksum
        self.cancel = cancel
        self.claims = TargetClaims(root)
        #: Objects already equal to their file, so far.
        self.unchanged = 0
        self._wanted: set[int] = set()
        #: The relative paths of the folders the prefix holds (an object or a placeholder
        #: at or below each), as digests: the folders a ``--delete`` keeps.
        self._folders: set[int] = set()
        self._counter = _Counter(progress)

    def pages(self) -> Iterator[SyncPlan]:
        """A plan per listing page: its transfers and its refused keys."""
        listing = iter_pages(self.backend, self.bucket, self.prefix, self.cancel, recursive=True)
        for page in listing:
            plan = SyncPlan()
            plan.refused.extend((key, outside_prefix(self.prefix)) for key in page.refused)
            self._counter.add(len(page.objects))
            for obj in page.objects:
                _check(self.cancel)
                if not obj.key.endswith(DELIMITER):
                    self._plan(obj, plan)
                elif obj.key != self.prefix:  # made as get -r makes it
                    add_placeholder_folder(
                        obj.key, self.prefix, self.root, plan.folders, plan.refused
                    )
                    self._hold_folders(as_disk_compares(obj.key[len(self.prefix) :]))
            # Only the folders still missing: a second run has nothing to make (the preview
            # says "nothing to do").
            plan.folders = [f for f in plan.folders if not is_folder(f)]
            self.unchanged += plan.unchanged
            yield plan

    def _plan(self, obj: Entry, plan: SyncPlan) -> None:
        try:
            target = local_path_for(
                obj.key,
                self.prefix,
                self.root,
                resolved_root=self._resolved_root,
                folders=self._real_folders,
            )
        except UnsafeKey as error:
            plan.refused.append((obj.key, error.message))
            return
        rel = as_disk_compares(obj.key[len(self.prefix) :])
        self._hold_folders(rel)  # also when refused below: its folder is no leftover
        why = self.claims.claim(target)
        if why:
            plan.refused.append((obj.key, why))
            return
        self._wanted.add(digest(rel))
        same = self._same(target, obj)
        if same:
            plan.unchanged += 1
            return
        if same is False:
            plan.replacing.add(obj.key)
        plan.transfers.append(
            TransferRequest(
                Direction.DOWNLOAD, self.connection, self.bucket, obj.key, target, obj.size,
                obj.modified, obj.etag,
            )
        )  # fmt: skip

    def _same(self, target: Path, obj: Entry) -> bool | None:
        """Whether the file ``target`` is the object already; None when there is none."""
        try:
            st = target.stat()
        except OSError:
            # Absent, or not usable as it is (a file in the way, a name too long...): the
            # download meets the same error and fails alone, named with its reason.
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_size != obj.size:
            return False
        if self.checksum:
            return file_matches_object(target, st.st_size, obj, self.backend.features)
        return abs(st.st_mtime - obj.modified) <= MTIME_SLACK or st.st_mtime > obj.modified

    def _hold_folders(self, rel: str) -> None:
        """Remember the folders of the relative path ``rel`` ("a/b/c.txt", or a
        placeholder's "a/b/": "a/b" and "a") as held by the prefix."""
        parts = rel.split(DELIMITER)[:-1]
        for end in range(len(parts), 0, -1):
            held = digest(DELIMITER.join(parts[:end]))
            if held in self._folders:
                return  # and so are the folders above it
            self._folders.add(held)

    def emptied_folders(self, orphans: Iterable[Path]) -> list[Path]:
        """The local folders below the root that the prefix holds nothing in (no object,
        no placeholder) and that hold nothing but ``orphans`` and such folders: once the
        orphans are deleted they are empty leftovers of folders gone from the cloud, and
        are removed too, deepest first (as rclone's sync leaves the destination). Anything
        else inside (a kept file, a link, a download's temporary file, what cannot be
        read) keeps a folder. Call once the listing has ended."""
        gone = set(orphans)
        emptied: set[Path] = set()
        found: list[Path] = []
        # Bottom-up, links to folders not followed: a folder's subfolders come first.
        for directory, dirnames, filenames in os.walk(self.root, topdown=False):
            here = Path(directory)
            if here == self.root:
                continue
            _check(self.cancel)
            rel = as_disk_compares(DELIMITER.join(here.relative_to(self.root).parts))
            if digest(rel) in self._folders:
                continue
            if all(here / name in gone for name in filenames) and all(
                here / name in emptied for name in dirnames
            ):
                emptied.add(here)
                found.append(here)
        return found

    def orphans(self, refused: list[tuple[str, str]]) -> list[Path]:
        """Local files the prefix does not hold (call once the listing has ended); what
        cannot be read while looking is added to ``refused``. An interrupted download's
        temporary file is kept: ``resume`` continues from it."""
        if not self.root.exists():
            return []
        return [
            f.path
            for rel, f in local_files(self.root, refused, follow_links=False).items()
            if digest(as_disk_compares(rel)) not in self._wanted
            and not is_temporary_name(f.path.name)
        ]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("Comparing was cancelled.")
