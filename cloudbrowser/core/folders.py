"""Folders in the cloud: object stores have none, an empty object "name/" makes one (a
folder placeholder: the AWS console's "folder marker").

A folder with objects below it is seen from its objects; an empty one exists only as an
empty object named ``prefix/`` (what the AWS console, Cyberduck and S3 Browser create).
The window's New folder and every upload of a folder tree (an empty local folder) make
them here. Some servers do not keep one: rclone serve s3 on a local disk stores
``name/`` as a plain file ``name`` (no folder appears). A placeholder is therefore checked
after it is written and, where no folder appeared, taken back (deleted), so that no
stray file is left where a folder was asked for.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cloudbrowser.core.errors import (
    AlreadyExists,
    Cancelled,
    CloudBrowserError,
    KeyNotFound,
    LocalFileError,
    StorageError,
)
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.localfs import is_folder
from cloudbrowser.core.localfs import make_folder as make_local_folder

if TYPE_CHECKING:  # a type only here
    from cloudbrowser.core.storage import Storage

#: Content-MD5 of the empty body (base64): the server checks the placeholder arrived whole.
EMPTY_MD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="


class FolderNotKept(StorageError):
    """The server does not keep empty folders: the placeholder written did not make one (it
    was taken back)."""

    title = "Empty folders not kept"


class FileInTheWay(AlreadyExists):
    """An object has the folder's name (``name`` for ``name/``): no placeholder is written.
    A server that keeps objects as files on a disk (rclone serve s3) stores "name/" as the
    file "name": it would replace that object, and taking the placeholder back would then
    delete it."""

    title = "A file is in the way"


def exists_at(storage: Storage, bucket: str, key: str) -> bool:
    """Whether an object ``key`` or, for a prefix ("…/"), anything below it exists (its
    placeholder, objects, folders)."""
    if key.endswith(DELIMITER):
        page = storage.list_page(bucket, key)
        return bool(page.prefixes or page.objects)
    try:
        storage.head_object(bucket, key)
    except KeyNotFound:
        return False
    return True


def make_folder(storage: Storage, bucket: str, prefix: str) -> None:
    """Write the placeholder of the folder ``prefix`` ("…/") and check a folder appeared.

    Raises FileInTheWay (nothing written) where an object has the folder's name,
    FolderNotKept (the placeholder taken back) where the server does not keep it, and the
    storage's errors of the write itself."""
    _refuse_a_file_in_the_way(storage, bucket, prefix)
    storage.put_object(bucket, prefix, b"", content_md5=EMPTY_MD5)
    if not exists_at(storage, bucket, prefix):
        # Stored as something else (rclone: a file "name"): take it back rather than leave
        # a file where a folder was asked.
        storage.delete_object(bucket, prefix)
        raise FolderNotKept(
            "This server does not keep empty folders.",
            hint="Upload files into the folder's path instead.",
        )


@dataclass(frozen=True, slots=True)
class EmptyFolder:
    """An empty local folder of an upload, and the folder it becomes in the cloud."""

    connection: str
    bucket: str
    #: Its placeholder's key ("…/").
    prefix: str
    local_path: Path


@dataclass(slots=True)
class MadeFolders:
    """What :func:`make_folders` did."""

    #: Folders made (their placeholder written and kept).
    made: list[EmptyFolder] = field(default_factory=list)
    #: Folders not made because the server does not keep empty folders (the first one
    #: tried on a connection said so; its others were not tried).
    not_kept: list[EmptyFolder] = field(default_factory=list)
    #: Folders whose placeholder could not be written, with the error.
    failed: list[tuple[EmptyFolder, CloudBrowserError]] = field(default_factory=list)


#: Placeholders written at once, once a connection showed it keeps them (each is one small
#: request: a tree of 200 empty folders takes a second, not 200 round trips in a row).
PARALLEL = 8


def make_folders(
    storage_of: Callable[[str], Storage],
    folders: Iterable[EmptyFolder],
    cancel: threading.Event | None = None,
) -> MadeFolders:
    """Make the cloud folders of empty local folders (``Plan.empty_folders``), on the
    storage of each one's connection (``storage_of``). The first of a connection is
    checked (:func:`make_folder`): a server that does not keep empty folders is found
    there, and its others are not tried (each would be written and taken back); once one
    is kept, the others are written without a check, :data:`PARALLEL` at a time. A folder
    that fails is named with its error; the others go on."""
    result = MadeFolders()
    by_connection: dict[str, list[EmptyFolder]] = {}
    for folder in folders:
        by_connection.setdefault(folder.connection, []).append(folder)
    for connection, group in by_connection.items():
        storage = storage_of(connection)
        rest: list[EmptyFolder] = []
        for index, folder in enumerate(group):
            _check(cancel)
            try:
                make_folder(storage, folder.bucket, folder.prefix)
            except FolderNotKept:
                result.not_kept += group[index:]
                break
            except CloudBrowserError as error:
                result.failed.append((folder, error))
            else:
                result.made.append(folder)
                rest = group[index + 1 :]
                break
        if not rest:
            continue
        with ThreadPoolExecutor(min(PARALLEL, len(rest))) as pool:
            put = partial(_put, storage, cancel=cancel)
            for folder, refused in zip(rest, pool.map(put, rest), strict=True):
                if refused is None:
                    result.made.append(folder)
                else:
                    result.failed.append((folder, refused))
    return result


def _put(
    storage: Storage, folder: EmptyFolder, *, cancel: threading.Event | None
) -> CloudBrowserError | None:
    """Write ``folder``'s placeholder unchecked; the error that refused it, if one did."""
    _check(cancel)
    try:
        _refuse_a_file_in_the_way(storage, folder.bucket, folder.prefix)
        storage.put_object(folder.bucket, folder.prefix, b"", content_md5=EMPTY_MD5)
    except CloudBrowserError as error:
        return error
    return None


def _refuse_a_file_in_the_way(storage: Storage, bucket: str, prefix: str) -> None:
    """Raise FileInTheWay where an object is named as the folder ``prefix`` without its
    "/": on a server that keeps objects as files, the placeholder would overwrite it (one
    request more per empty folder, which are few)."""
    name = prefix.rstrip(DELIMITER)
    if name and exists_at(storage, bucket, name):
        leaf = name.rsplit(DELIMITER, 1)[-1]
        raise FileInTheWay(
            f"A file named “{leaf}” is where the folder “{prefix}” would be: it was not made.",
            hint="Rename the file or the folder, then try again.",
        )


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("Making the folders was cancelled.")


def make_local_folders(folders: Iterable[Path]) -> tuple[int, list[tuple[Path, LocalFileError]]]:
    """The local folders of a download's folder placeholders: how many were made (not
    there before), and those that could not be, each with why (a file in the way)."""
    made = 0
    failed: list[tuple[Path, LocalFileError]] = []
    for folder in folders:
        new = not is_folder(folder)
        try:
            make_local_folder(folder)
        except LocalFileError as error:
            failed.append((folder, error))
        else:
            made += new
    return made, failed


#: What rmdir says of a folder that is not empty (POSIX allows either; Windows' 145 is
#: mapped to ENOTEMPTY by Python).
_NOT_EMPTY = frozenset({errno.ENOTEMPTY, errno.EEXIST})


def remove_emptied_folders(
    folders: Iterable[Path],
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Remove the local folders a download sync's deletes left empty (deepest first, as
    :meth:`~cloudbrowser.core.sync.DownloadSync.emptied_folders` gives them): those
    removed, and those that could not be, each with why. One that is gone already, or no
    longer empty (something was put in it meanwhile, or one of its files could not be
    deleted, which is said on its own), is left as it is, in neither list."""
    removed: list[Path] = []
    failed: list[tuple[Path, str]] = []
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno not in _NOT_EMPTY:
                failed.append((folder, exc.strerror or str(exc)))
            continue
        removed.append(folder)
    return removed, failed


def needing_placeholders(folders: Iterable[str], keys: Iterable[str]) -> list[str]:
    """The prefixes of ``folders`` that need a placeholder: those no key of ``keys`` (objects
    planned or already there, placeholders included) is at or below, and no other folder of
    ``folders`` is below (its own placeholder implies them). Sorted, deepest last."""
    implied: set[str] = set()
    for key in keys:
        _add_parents(implied, key)
    needed: list[str] = []
    # Deepest first: "a/b/" sorts after "a/", so in reverse it comes before its parent.
    for folder in sorted(set(folders), reverse=True):
        if folder in implied:
            continue
        needed.append(folder)
        _add_parents(implied, folder)
    return sorted(needed)


def _add_parents(implied: set[str], key: str) -> None:
    """Add every prefix ``key`` is at or below ("a/b/c" → "a/", "a/b/"; "a/b/" → "a/",
    "a/b/") to ``implied``."""
    end = key.find(DELIMITER)
    while end >= 0:
        implied.add(key[: end + 1])
        end = key.find(DELIMITER, end + 1)
