"""Planning a recursive download as a stream: one listing page at a time.

:func:`~cloudbrowser.core.transfer_plan.plan_downloads` answers with the whole plan, which
the window needs (it asks about conflicts once, with everything known) but which costs
about 700 bytes per object (mostly ``Path`` objects) before the first byte moves: a prefix
of millions of keys is gigabytes of plan and minutes of listing. :func:`stream_downloads`
yields a :class:`~cloudbrowser.core.transfer_plan.Plan` per listing page instead, so the
CLI queues each page as it arrives and reads the listing further only while few transfers
wait (``cli/cmd_transfer.py``).

The same checks as the whole plan, with what is remembered across pages kept compact
(:class:`TargetClaims`): no two keys write one file (as the disk compares names), no key
lands on a reserved temporary name, and an object "dir" never meets the folder "dir/…":
S3 lists keys in order, so an object's own folder can only come right after it, behind
keys that start with its name ("dir-x/…", "dir.txt"); an object is held back until the
listing has passed that point, and refused (like the whole plan does) when its folder
comes. A server that lists out of order is still caught by the compact sets: then the
later of the two is refused instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cloudbrowser.core.downloads import is_temporary_name
from cloudbrowser.core.entries import Entry, ListPage
from cloudbrowser.core.errors import CloudBrowserError, UnsafeKey
from cloudbrowser.core.keys import DELIMITER, local_path_for
from cloudbrowser.core.localfs import is_folder
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.transfer_plan import (
    Plan,
    _as_disk_compares,
    _check,
    _download_request,
    _local_conflict,
    outside_prefix,
)

if TYPE_CHECKING:  # a type only here
    from cloudbrowser.core.storage import Storage

RESERVED = "its name has the form cloudbrowser reserves for temporary files (“.….cbpart-…”)"


def digest(text: str) -> int:
    """An 8-byte digest of ``text`` (a path as the disk compares it, or a relative key).

    Why 8 bytes: a set of these costs about 60 bytes per file (a small int and its slot)
    against about 700 for the paths themselves, and two different paths share a digest
    with odds of about n²/2⁶⁵ (one in 300,000 for ten million files). Such a coincidence
    can only refuse a file, named in the summary, never let two files share a name.
    """
    data = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class TargetClaims:
    """The local paths a streamed download has taken so far, as compact digests.

    ``files``: every file the plan writes (targets, and names chosen by "keep both");
    ``folders``: every folder those files (and folder placeholders) make.
    """

    def __init__(self, destination: Path) -> None:
        self.destination = destination
        self.files: set[int] = set()
        self.folders: set[int] = set()

    def __contains__(self, disk_compared: object) -> bool:
        """Whether the file (a path as ``_as_disk_compares`` gives it) is taken: the test
        "keep both" makes before choosing a free name."""
        return isinstance(disk_compared, str) and digest(disk_compared) in self.files

    def claim(self, path: Path) -> str:
        """Take ``path`` for a file; "" when it may be taken, else why not."""
        try:
            parts = path.relative_to(self.destination).parts
        except ValueError:
            parts = (path.name,)
        if any(is_temporary_name(part) for part in parts):
            return RESERVED
        own = digest(_as_disk_compares(path))
        if own in self.files:
            return f"another object of this download is saved to the same file (“{path.name}”)"
        if own in self.folders:
            return f"the object has the same name as a folder (“{path.name}/”)"
        made = self._folders_of(path)
        if isinstance(made, str):
            return made
        self.files.add(own)
        self.folders.update(made)
        return ""

    def claim_folder(self, path: Path) -> None:
        """A folder the plan creates (an empty folder's placeholder)."""
        made = self._folders_of(path / "_")
        if not isinstance(made, str):
            self.folders.update(made)

    def reserve(self, path: Path) -> None:
        """A file name "keep both" chose: no later object may write it."""
        self.files.add(digest(_as_disk_compares(path)))

    def release(self, path: Path) -> None:
        """Give back a file claimed by an object that was refused after all."""
        self.files.discard(digest(_as_disk_compares(path)))

    def _folders_of(self, path: Path) -> list[int] | str:
        """Digests of the folders ``path`` needs that are not counted yet, or why one of
        them cannot be a folder (a file of this download has its name)."""
        new: list[int] = []
        for parent in path.parents:
            if parent == self.destination or len(parent.parts) <= len(self.destination.parts):
                break
            folder = digest(_as_disk_compares(parent))
            if folder in self.folders:
                break  # and every folder above it
            if folder in self.files:
                return f"its folder “{parent.name}” has the name of a file this download saves too"
            new.append(folder)
        return new


class _Held:
    """An object held back until the listing has passed where its folder would be."""

    __slots__ = ("obj", "path")

    def __init__(self, obj: Entry, path: Path) -> None:
        self.obj = obj
        self.path = path


def stream_downloads(
    backend: Storage,
    connection: str,
    bucket: str,
    prefix: str,
    base_prefix: str,
    destination: Path,
    claims: TargetClaims,
    cancel: threading.Event | None = None,
) -> Iterator[Plan]:
    """Download everything below ``prefix`` into ``destination`` (keeping the structure
    below ``base_prefix``): a plan per listing page, as :func:`plan_downloads` would plan
    those keys, with ``claims`` the record of every path taken by earlier pages.

    A plan's items carry the "keep both" name; a caller that chooses it calls
    :meth:`TargetClaims.reserve` with it before asking for the next page.
    """
    held: list[_Held] = []  # a chain: each one's key starts with the key below it
    try:
        for page in iter_pages(backend, bucket, prefix, cancel, recursive=True):
            yield _page_plan(page, held, connection, bucket, prefix, base_prefix, claims, cancel)
    except CloudBrowserError:
        # The listing broke off: what it did list is still planned, then the error goes on.
        rest = Plan()
        while held:
            _release(held.pop(), connection, bucket, claims, rest)
        yield rest
        raise
    last = Plan()
    while held:  # a listing that ended without saying so
        _release(held.pop(), connection, bucket, claims, last)
    if last.items or last.refused:
        yield last


def _page_plan(
    page: ListPage,
    held: list[_Held],
    connection: str,
    bucket: str,
    prefix: str,
    base_prefix: str,
    claims: TargetClaims,
    cancel: threading.Event | None,
) -> Plan:
    """The plan of one listing page; ``held`` carries objects over to the next one."""
    destination = claims.destination
    resolved = destination.resolve()  # once a page, not once a key
    folders: dict[Path, Path] = {}  # likewise each folder below it
    plan = Plan()
    plan.refused.extend((key, outside_prefix(prefix)) for key in page.refused)
    #: This page's files by disk-compared path: names the other key of a collision.
    named: dict[str, str] = {}
    for obj in page.objects:
        _check(cancel)
        path = _target(obj, base_prefix, destination, resolved, folders, plan)
        # Held objects whose folder can no longer come are planned now.
        while held and not obj.key.startswith(held[-1].obj.key):
            _release(held.pop(), connection, bucket, claims, plan)
        if path is None:
            continue
        # "dir" then "dir/…": as the whole plan does, the object gives way to the folder
        # (once something is really planned in it).
        clash = held[-1] if held and obj.key.startswith(held[-1].obj.key + DELIMITER) else None
        if clash is not None:
            claims.release(clash.path)
        if obj.key.endswith(DELIMITER):
            plan.folders.append(path)
            claims.claim_folder(path)
            why = ""
        else:
            why = claims.claim(path)
        if clash is not None:
            if why:
                claims.reserve(clash.path)  # its folder did not come after all
            else:
                held.pop()
                why_clash = f"the object has the same name as a folder (“{clash.path.name}/”)"
                plan.refused.append((clash.obj.key, why_clash))
        if obj.key.endswith(DELIMITER):
            continue
        if why:
            other = named.get(_as_disk_compares(path))
            if other is not None and other != obj.key:
                why = f"the object “{other}” is saved to the same file (“{path.name}”)"
            plan.refused.append((obj.key, why))
            continue
        named[_as_disk_compares(path)] = obj.key
        held.append(_Held(obj, path))
    # The last keys of a page wait for the next one, except at the end of the listing.
    if page.is_last:
        while held:
            _release(held.pop(), connection, bucket, claims, plan)
    return plan


def _target(
    obj: Entry,
    base_prefix: str,
    destination: Path,
    resolved: Path,
    folders: dict[Path, Path],
    plan: Plan,
) -> Path | None:
    """Where the object (or folder placeholder) goes, or None (refused on ``plan``)."""
    key = obj.key.rstrip(DELIMITER) if obj.key.endswith(DELIMITER) else obj.key
    try:
        return local_path_for(
            key, base_prefix, destination, resolved_root=resolved, folders=folders
        )
    except UnsafeKey as error:
        plan.refused.append((obj.key, error.message))
        return None


def _release(item: _Held, connection: str, bucket: str, claims: TargetClaims, plan: Plan) -> None:
    """Plan a held object: refused if a local folder is in its place, else queued with
    what exists at its target (and a free "keep both" name)."""
    if is_folder(item.path):
        claims.release(item.path)
        why = f"the object has the same name as a folder (“{item.path.name}/”)"
        plan.refused.append((item.obj.key, why))
        return
    request = _download_request(connection, bucket, item.obj, item.path)
    plan.items.append(_local_conflict(request, claims))
