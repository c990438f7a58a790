"""Downloading one object: into a temporary file beside the target, verified, then renamed.

Called by :class:`~cloudbrowser.core.transfers.TransferQueue` on a transfer worker thread.
The real name only ever holds a complete, verified file: bytes go to a temporary file that
is fsynced and atomically renamed over the target once its MD5 matches the ETag. A full
disk, a dead server or a kill leaves a ranged download's temporary file for the next
attempt; a file fetched in one GET starts over, so a failure removes its temporary file.

Linux writes a file fetched in one GET as an *unnamed* file in the target's folder
(``O_TMPFILE``) and gives it its name with a hard link once it is verified and fsynced
(:func:`_create_unnamed`, :func:`_publish_unnamed`): no name exists to journal, check or
clean up, and a crash leaves nothing behind (the kernel frees an unnamed file with its last
descriptor). Where the target's name is taken (an overwrite), the file is linked to a
temporary name, journalled first, and renamed over it. Elsewhere (other systems, a file
system without ``O_TMPFILE``, a ranged download that must survive a restart) the bytes go
to a named temporary file.

The temporary file belongs to one transfer and nothing else (:func:`temporary_name`):
hidden, named after the target *and the transfer's id* (``.report.pdf.cbpart-42``), a
pattern planning refuses as an object's name, created with ``O_CREAT | O_EXCL |
O_NOFOLLOW`` (so an existing file or a link planted at that name is never opened), and
recorded in the journal with its device and inode. A resumed download reopens only that
exact file; anything else found by name is left alone and a fresh file is created.

* Small objects (up to the part size) are fetched in one GET.
* Larger ones in ranged GETs of ``Transfer.part_size`` on the shared part pool, written in
  place with ``pwrite``; each finished range is journalled with its MD5, so a resumed
  download fetches only the ranges it lacks. Every GET carries If-Match with the ETag the
  download began with: bytes of two versions never mix.

What the server says is checked against what the listing (or HEAD) said: a reply whose
length or Content-Range disagrees with the object's size fails that file, and no byte past
the expected size is ever written; an S3 ``<Error>`` document sent as a 200 reply without
an ETag is an error, not the file's contents.

Verification: a plain-MD5 ETag is compared with the file's MD5. A multipart ETag is the MD5
of the part MD5s, checkable only with the uploader's part size; the range size is chosen
as the most likely one (:func:`guess_part_size`) so the check is free, and a few other
likely sizes are tried before the download is reported as unverifiable. An object with no
checksum of its own, on a server that gives the MD5 of a range (``features.range_md5_max``:
Azure), is read in ranges of that size, each checked against the server's MD5 of it
(:func:`_by_range_md5`). Before the rename, the path is checked to still be the file that
was written.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cloudbrowser.core.checksums import (
    Crc32c,
    composite_etag,
    crc32c_is_fast,
    etag_chunks,
    md5_of,
)
from cloudbrowser.core.errors import (
    IntegrityError,
    LocalFileError,
    ObjectChanged,
    StorageError,
    WrongReply,
)
from cloudbrowser.core.journal import Journal, JournalPart, PartialFile
from cloudbrowser.core.localfs import (
    check_free_space,
    local_error,
    look_up,
    make_folder,
    rename,
)
from cloudbrowser.core.storage import CRC32C, MD5
from cloudbrowser.core.transfers import (
    MiB,
    RunContext,
    Stage,
    Stopped,
    Transfer,
    choose_part_size,
    part_count,
)

if TYPE_CHECKING:  # types only
    import hashlib

    from cloudbrowser.core.storage import Features, Limits, ObjectReader

#: The mark of cloudbrowser's temporary files: ``.<name>.cbpart-<transfer id>[-<n>]``.
TEMPORARY_MARK = ".cbpart-"
_TEMPORARY = re.compile(r"\..*\.cbpart-\d+(?:-\d+)?", re.IGNORECASE | re.DOTALL)
#: At most this many bytes (UTF-8) of the target's name go into the temporary name, so
#: that it stays within NAME_MAX (255) wherever the target's own name does.
_NAME_BYTES = 200
#: Errors of a rename that say the target's name itself cannot be used here.
_NAME_UNUSABLE = {errno.ENAMETOOLONG, errno.EINVAL, errno.EISDIR, errno.ENOTDIR}
#: How a download checked range by range against the server's MD5s is reported.
RANGE_MD5_NOTE = "Verified by the server's MD5 of each range (it keeps none of the whole object)."
#: Bytes read from the network per write.
CHUNK = 1 * MiB
#: Part sizes other tools use by default (aws-cli/boto3 8 MiB, rclone 5 MiB, s5cmd 50 MiB).
_COMMON_PART_SIZES = [8 * MiB, 5 * MiB, 16 * MiB, 50 * MiB, 64 * MiB, 10 * MiB, 100 * MiB]
_OPEN_FLAGS = (
    os.O_RDWR
    | getattr(os, "O_NOFOLLOW", 0)  # POSIX: never through a link planted at the name
    | getattr(os, "O_BINARY", 0)  # Windows: bytes as they are
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOINHERIT", 0)
)


def is_temporary_name(name: str) -> bool:
    """Whether a file name has the form of a download's temporary file (any transfer's).

    Case-insensitive: on a case-insensitive disk ``.X.CBPART-1`` is the same file.
    """
    return _TEMPORARY.fullmatch(name) is not None


def temporary_name(target_name: str, transfer_id: int, attempt: int = 0) -> str:
    """The hidden temporary name of transfer ``transfer_id``'s download to ``target_name``."""
    stem = target_name.encode("utf-8")[:_NAME_BYTES].decode("utf-8", "ignore")
    return f".{stem}{TEMPORARY_MARK}{transfer_id}" + (f"-{attempt}" if attempt else "")


def guess_part_size(size: int, etag: str, preferred: int, features: Features) -> int:
    """The range size for downloading an object: its uploader's part size if it can be told
    from a composite ETag (so the ETag can be checked from the ranges' MD5s), else ours."""
    count = etag_chunks(etag, features.checksums)
    if count > 1:
        for candidate in part_size_candidates(size, count, features.limits):
            return candidate
    return choose_part_size(size, preferred, limits=features.limits)


def part_size_candidates(size: int, count: int, limits: Limits) -> Iterator[int]:
    """Part sizes that split ``size`` bytes into ``count`` parts, most likely first."""
    seen: set[int] = set()
    smallest = max(limits.min_chunk, math.ceil(size / count / MiB) * MiB)
    for candidate in [*_COMMON_PART_SIZES, choose_part_size(size, limits=limits), smallest]:
        if candidate not in seen and part_count(size, candidate) == count:
            seen.add(candidate)
            yield candidate


def run_download(ctx: RunContext) -> None:
    """Download ``ctx.transfer``; on return its file has its name and its bytes are on the
    disk, and ``ctx.folder_to_sync`` names the folder whose fsync makes the rename
    durable (the queue finishes the transfer once it has: see ``FolderSyncs``)."""
    t = ctx.transfer
    t.bytes_done = 0
    target = t.local_path
    if t.multipart:
        # A target name the disk cannot hold (too long, invalid) fails now, before a byte
        # moves, rather than at the rename after the whole download. A file fetched in
        # one GET is not looked at first: its temporary file's creation or its rename
        # says the same (local_error), one small request later, and a lookup per file
        # was one more system call (and hand-over of the interpreter lock) of thousands.
        try:
            look_up(target)
        except LocalFileError:
            make_folder(target.parent)  # says what is in the way, if that is why
            raise
    sums = _Sums()
    by_range = _by_range_md5(ctx, sums)
    fd, temp, identity = _open_temporary(ctx)  # temp None: an unnamed file
    try:
        whole_crc = ""
        if t.multipart:
            assert temp is not None  # a ranged download's file has a name: it is resumed
            md5s, whole, whole_crc = _fetch_ranges(ctx, fd, temp, sums, by_range=by_range)
        else:
            whole = _fetch_whole(ctx, fd, sums, by_range=by_range)
            md5s = [whole]
        ctx.set_stage(Stage.FINISHING)
        stamped = _stamp(fd, t)
        with ctx.off_turn():  # a wait for the disk (core/cpu_turns.py)
            _fsync(fd, t)
        ctx.set_stage(Stage.VERIFYING)
        _verify(ctx, fd, md5s, whole, sums, whole_crc)
        ctx.set_stage(Stage.FINISHING)
        if temp is not None:
            _check_still_written_file(identity, temp, t)
    except (IntegrityError, WrongReply):
        os.close(fd)
        # Wrong bytes must not be continued from: the next attempt starts clean.
        _remove_own(ctx.journal, t.id)
        ctx.journal.clear_parts(t.id)
        raise
    except BaseException:
        os.close(fd)
        if not t.multipart:
            # A file fetched in one GET is never continued (the next attempt starts a new
            # file): free its space now, which matters most when the disk is full.
            _remove_own(ctx.journal, t.id)
        raise
    if temp is None:
        try:
            _publish_unnamed(ctx, fd)
        finally:
            os.close(fd)  # an unnamed file not linked is freed with it
    else:
        # Closed before the rename: Windows cannot rename a file that is open.
        os.close(fd)
        _rename_over(ctx, temp)
    # The journal's row of the temporary file goes with the transfer's final state (one
    # deferred commit for many files). Until then it names a path that no longer exists,
    # which a retry or a cleanup sees and leaves alone (identity checked).
    if not stamped:
        try:
            os.utime(target, (t.mtime, t.mtime))
        except OSError as exc:
            raise local_error(exc, target, writing=True) from exc


def _rename_over(ctx: RunContext, temp: Path) -> None:
    """Give the verified temporary file the target's name, atomically."""
    t = ctx.transfer
    target = t.local_path
    try:
        ctx.folder_to_sync = rename(temp, target)
    except OSError as exc:
        if not t.multipart or exc.errno in _NAME_UNUSABLE:
            # Nothing to continue from (one GET), or a retry at this name fails the same way:
            # the temporary file must not stay behind in the user's folder.
            _remove_own(ctx.journal, t.id)
        raise local_error(exc, target, writing=True, resumable=t.multipart) from exc


def _stamp(fd: int, t: Transfer) -> bool:
    """Give the file the object's time before its fsync, so that the time is on the disk
    with its bytes (the file's own descriptor: no path looked up). False where the time
    is still to be set after the rename, by the path (Windows' ``os.utime`` takes no
    descriptor); True also when there is none to set."""
    if not t.mtime:
        return True
    if os.utime not in os.supports_fd:
        return False
    try:
        os.utime(fd, (t.mtime, t.mtime))
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True, resumable=t.multipart) from exc
    return True


# ── the temporary file ──────────────────────────────────────────────────────────────────


def _open_temporary(ctx: RunContext) -> tuple[int, Path | None, tuple[int, int]]:
    """The open temporary file of this download, its path and its identity (device,
    inode): the journalled one when a ranged download resumes and the file at its path is
    still exactly the one created, else a new one; for a file fetched in one GET, an
    unnamed one where the system makes them (no path, nothing to journal)."""
    t = ctx.transfer
    journalled = ctx.journal.partial(t.id)
    if journalled is not None:
        if t.multipart:
            fd = _reopen(journalled, t.size)
            if fd is not None:
                return fd, journalled.path, (journalled.device, journalled.inode)
        _remove_own(ctx.journal, t.id)
    if not t.multipart:
        unnamed = _create_unnamed(t)
        if unnamed is not None:
            return unnamed, None, (0, 0)
    return _new_named_temporary(ctx)


def _new_named_temporary(ctx: RunContext) -> tuple[int, Path, tuple[int, int]]:
    """A new named temporary file, journalled before anything is written to it: its
    descriptor, path and identity (device, inode)."""
    t = ctx.transfer
    fd, temp = _create_temporary(t)
    try:
        st = os.fstat(fd)
        # A new file holds none of the ranges an older one may have had: its parts are
        # forgotten in the same commit that records it (a file fetched in one GET never
        # has any). Committed before a byte is asked for, also for a file fetched in one
        # GET: deferred to the next group commit, a process killed in between left a
        # hidden ``.cbpart-`` file in the user's folder that no later run knew to be its
        # own (tests/cli/test_streamed_get.py), for no measured gain (591-676 vs 659-747
        # files/s).
        partial = PartialFile(temp, st.st_dev, st.st_ino, 0)
        ctx.journal.set_partial(t.id, partial, clear_parts=t.multipart)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return fd, temp, (st.st_dev, st.st_ino)


def _create_temporary(t: Transfer) -> tuple[int, Path]:
    """Create a new, empty temporary file: O_EXCL, so nothing already there is opened."""
    target = t.local_path
    flags = _OPEN_FLAGS | os.O_CREAT | os.O_EXCL
    attempt, made_folder = 0, False
    while attempt < 100:
        temp = target.with_name(temporary_name(target.name, t.id, attempt))
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            attempt += 1  # not ours (another journal's transfer, or planted): never touched
        except FileNotFoundError as exc:
            if made_folder:
                raise local_error(exc, target, writing=True, resumable=False) from exc
            # The folder is made when it is missing, not asked for before every file (of a
            # thousand small files, all but the first find it); then the same name again.
            make_folder(target.parent)
            made_folder = True
        except OSError as exc:
            raise local_error(exc, target, writing=True, resumable=False) from exc
    raise _no_temporary_name(target)


def _no_temporary_name(target: Path) -> LocalFileError:
    """Every temporary name tried beside ``target`` was taken by files not ours."""
    return LocalFileError(
        f"Could not create a temporary file for “{target.name}” in {target.parent}.",
        hint="Remove stray hidden “.cbpart-” files from that folder and retry.",
    )


#: ``O_TMPFILE`` (Linux): a file created in a folder without a name. 0 elsewhere.
_UNNAMED_FLAG = getattr(os, "O_TMPFILE", 0)
#: How a file system says it makes no unnamed files: EOPNOTSUPP; EISDIR from a kernel
#: older than ``O_TMPFILE`` (which then sees only its ``O_DIRECTORY`` bit); EINVAL.
_NO_UNNAMED_FILES = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL}
#: How a file system says it gives an unnamed file no name (it makes no hard links).
_LINKS_REFUSED = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}
#: Folders whose file system said either: a download there goes straight to a named file.
#: Forgotten past ``_MOST_REMEMBERED`` (a sync to a share of many folders): each is then
#: asked once more, one refused system call.
_folders_without_unnamed: set[Path] = set()
_MOST_REMEMBERED = 4096
#: Where an open descriptor's file can be linked from: ``/proc/self/fd/N`` (None until
#: looked at, then whether it exists: a container may have no /proc).
_proc_fds: bool | None = None


def _create_unnamed(t: Transfer) -> int | None:
    """An unnamed file in the target's folder, open for writing, or None where the
    system makes none (the caller then creates a named temporary file, which also says
    what is wrong when the folder cannot be written)."""
    global _proc_fds
    folder = t.local_path.parent
    if not _UNNAMED_FLAG or folder in _folders_without_unnamed:
        return None
    if _proc_fds is None:
        _proc_fds = Path("/proc/self/fd").is_dir()
    if not _proc_fds:
        return None
    flags = _UNNAMED_FLAG | os.O_RDWR | os.O_CLOEXEC
    for made_folder in (False, True):
        try:
            return os.open(folder, flags, 0o666)
        except FileNotFoundError:
            if made_folder:
                return None
            # Made when missing rather than looked for before every file (see
            # _create_temporary); a folder in the way is for the named path to report.
            try:
                make_folder(folder)
            except LocalFileError:
                return None
        except OSError as exc:
            if exc.errno in _NO_UNNAMED_FILES:
                _remember_without_unnamed(folder)
            return None
    return None


def _remember_without_unnamed(folder: Path) -> None:
    if len(_folders_without_unnamed) >= _MOST_REMEMBERED:
        _folders_without_unnamed.clear()
    _folders_without_unnamed.add(folder)


def _link(fd: int, path: Path) -> None:
    """Give the open file ``fd`` the name ``path`` (a hard link; fails if the name exists).

    ``linkat`` follows ``/proc/self/fd/N`` to the file itself, which needs no privilege
    (``AT_EMPTY_PATH`` would). ``os.link`` calls ``linkat`` only when given a folder
    descriptor, and plain ``link``, which would link the /proc entry, otherwise: the
    descriptor passed is ignored for an absolute path."""
    os.link(f"/proc/self/fd/{fd}", path, src_dir_fd=fd, follow_symlinks=True)


def _publish_unnamed(ctx: RunContext, fd: int) -> None:
    """Give the verified, fsynced unnamed file its target's name.

    Where the name is taken (an overwrite, or something in the way), the file gets a
    temporary name of its own, journalled before it exists, which is then renamed over
    the target, atomically as a named temporary file is. Where the folder makes unnamed
    files but refuses them a name (no hard links: some FUSE file systems), the bytes are
    copied into a named temporary file, and that folder gets named ones from then on."""
    t = ctx.transfer
    target = t.local_path
    try:
        _link(fd, target)
    except FileExistsError:
        temp = _link_temporary(ctx, fd)
    except OSError as exc:
        if exc.errno not in _LINKS_REFUSED:
            raise local_error(exc, target, writing=True, resumable=False) from exc
        temp = None
    else:
        ctx.folder_to_sync = target.parent  # the new name is durable with its folder
        return
    if temp is None:
        _remember_without_unnamed(target.parent)
        temp = _copy_to_temporary(ctx, fd)
    _rename_over(ctx, temp)


def _link_temporary(ctx: RunContext, fd: int) -> Path | None:
    """Link the unnamed file to a temporary name of its own beside the target (journalled
    before it exists); None where the folder refuses hard links."""
    t = ctx.transfer
    target = t.local_path
    st = os.fstat(fd)
    for attempt in range(100):
        temp = target.with_name(temporary_name(target.name, t.id, attempt))
        # Journalled before it exists: a crash between the link and the rename leaves a
        # file a later run knows to be its own (removed only if still this very file).
        ctx.journal.set_partial(t.id, PartialFile(temp, st.st_dev, st.st_ino, 0))
        try:
            _link(fd, temp)
        except FileExistsError:
            continue  # not ours: never touched
        except OSError as exc:
            ctx.journal.forget_partial(t.id)
            if exc.errno in _LINKS_REFUSED:
                return None
            raise local_error(exc, target, writing=True, resumable=False) from exc
        return temp
    ctx.journal.forget_partial(t.id)
    raise _no_temporary_name(target)


def _copy_to_temporary(ctx: RunContext, fd: int) -> Path:
    """Copy the verified unnamed file into a new named temporary file (journalled, given
    the object's time, fsynced) and return its path."""
    t = ctx.transfer
    copy, temp, _identity = _new_named_temporary(ctx)
    try:
        offset = 0
        while offset < t.size:
            data = os.pread(fd, min(CHUNK, t.size - offset), offset)
            if not data:
                raise LocalFileError(
                    f"“{t.name}” was cut short on the disk while it was saved.",
                    hint="Retry: the download starts again.",
                )
            _write(copy, t, data, offset)
            offset += len(data)
        _stamp(copy, t)  # by its descriptor: unnamed files are Linux's, where that works
        with ctx.off_turn():
            _fsync(copy, t)
    except BaseException:
        os.close(copy)
        _remove_own(ctx.journal, t.id)
        raise
    os.close(copy)
    return temp


def _same_file(st: os.stat_result, partial: PartialFile) -> bool:
    return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == (partial.device, partial.inode)


def _reopen(partial: PartialFile, size: int) -> int | None:
    """Open the journalled temporary file if the path still is that regular file, at its
    preallocated length; None otherwise (it is then neither opened nor changed)."""
    try:
        st = os.lstat(partial.path)
    except OSError:
        return None
    if not _same_file(st, partial) or not st.st_size == partial.size == size:
        return None
    try:
        fd = os.open(partial.path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        # The path could have been swapped between lstat and open: judge what was opened.
        if _same_file(os.fstat(fd), partial):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _remove_own(journal: Journal, transfer_id: int) -> None:
    """Delete the transfer's temporary file if the path still is the file it created;
    anything else found there is not ours and stays."""
    partial = journal.partial(transfer_id)
    if partial is None:
        return
    with contextlib.suppress(OSError):
        if _same_file(os.lstat(partial.path), partial):
            partial.path.unlink()
    journal.forget_partial(transfer_id)


def discard_partial(journal: Journal, transfer_id: int) -> None:
    """After a cancel: delete the download's temporary file (only the one it created)."""
    _remove_own(journal, transfer_id)


def _check_still_written_file(identity: tuple[int, int], temp: Path, t: Transfer) -> None:
    """The file about to be renamed must be the one written and verified (its
    ``identity``, device and inode, as opened): a file or link swapped in at its path
    meanwhile is never given the target's name."""
    try:
        there = os.lstat(temp)
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True, resumable=False) from exc
    if not (stat.S_ISREG(there.st_mode) and identity == (there.st_dev, there.st_ino)):
        raise LocalFileError(
            f"The temporary file of “{t.name}” was replaced by something else while it was"
            " downloaded; it was not saved.",
            hint="Check what else writes to that folder, then retry.",
            detail=str(temp),
        )


def _fsync(fd: int, t: Transfer) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True, resumable=t.multipart) from exc


def _write(fd: int, t: Transfer, data: bytes, offset: int) -> None:
    try:
        written = os.pwrite(fd, data, offset)
        while written < len(data):  # pwrite may write less than asked (signals, limits)
            written += os.pwrite(fd, data[written:], offset + written)
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True, resumable=t.multipart) from exc


def _by_range_md5(ctx: RunContext, sums: _Sums) -> bool:
    """Whether every read asks for the server's MD5 of its range and is checked against it
    (``features.range_md5_max``: Azure's Get Blob, for a blob without a Content-MD5).

    Reads that fit the server's largest such range always ask (nothing to look up first:
    an object that has a checksum of its own is still verified by it). A larger download
    first looks at the object: one that has no checksum is then read in ranges of that
    size (its part size and journalled ranges change), one that has keeps its path.
    """
    t = ctx.transfer
    most = ctx.backend.features.range_md5_max
    if not ctx.options.verify or not most or not t.size:
        return False
    if (t.part_size if t.multipart else t.size) <= most:
        return True
    checksums = ctx.backend.features.checksums
    if etag_chunks(t.etag, checksums):
        return False  # a composite ETag is checked from the ranges' MD5s
    info = ctx.request(lambda: ctx.backend.head_object(t.bucket, t.key, version_id=t.version_id))
    if t.etag and info.etag != t.etag:
        return False  # replaced meanwhile: the first read says so (ObjectChanged)
    md5 = info.md5.lower() if MD5 in checksums else ""
    crc32c = info.crc32c.lower() if CRC32C in checksums else ""
    sums.md5, sums.crc32c, sums.seen = md5, crc32c, True
    if md5 or crc32c:
        return False
    if not t.etag:
        t.etag = info.etag  # every range pinned to the revision looked at
        ctx.journal.update(t.id, etag=t.etag)
    # Ranges of another size than an earlier attempt's are not continued from.
    t.part_size = most
    ctx.journal.update(t.id, part_size=most)
    ctx.journal.clear_parts(t.id)
    return True


class _Sums:
    """The object's checksums as the replies carrying its bytes state them (every read is
    pinned to the transfer's revision, so each reply speaks of the same object)."""

    def __init__(self) -> None:
        self.md5 = ""
        self.crc32c = ""
        self.seen = False
        #: Every byte was checked against the server's MD5 of its range.
        self.ranges_checked = False

    def note(self, t: Transfer, body: ObjectReader) -> None:
        if t.etag and body.etag and body.etag.lower() != t.etag.lower():
            # A server that ignores If-Match (rclone serve s3) sent another revision: its
            # checksums would vouch for bytes that are not the object asked for.
            raise ObjectChanged(
                f"“{t.key}” changed on the server since the transfer began.",
                hint="Retry to transfer the current version from the start.",
                detail=f"expected revision {t.etag}, the server sent {body.etag}",
                code="PreconditionFailed",
            )
        self.md5 = self.md5 or body.md5.lower()
        self.crc32c = self.crc32c or body.crc32c.lower()
        self.seen = True

    def look_up(self, ctx: RunContext) -> None:
        """Every range was kept from an earlier attempt, so no reply was seen: ask the
        server (only what it says of the very revision downloaded counts)."""
        t = ctx.transfer
        info = ctx.request(
            lambda: ctx.backend.head_object(t.bucket, t.key, version_id=t.version_id)
        )
        if not t.etag or info.etag == t.etag:
            self.md5, self.crc32c = info.md5.lower(), info.crc32c.lower()
        self.seen = True


def _fetch_whole(ctx: RunContext, fd: int, sums: _Sums, *, by_range: bool = False) -> str:
    """GET the object in one request; returns the MD5 of what was written. ``by_range``:
    asked as a range with its MD5, which the bytes are checked against."""
    t = ctx.transfer
    if t.size > CHUNK:
        # Fail before the first byte rather than part-way. A file written in one write
        # needs no look first: the write itself reports a full disk, and a one-GET
        # download's temporary file is removed on failure.
        check_free_space(t.local_path.parent, t.name, t.size)
    with ctx.reading(
        lambda: (
            _get_range(ctx, 0, t.size - 1, range_md5=True)
            if by_range
            else ctx.backend.get_object(t.bucket, t.key, if_match=t.etag, version_id=t.version_id)
        )
    ) as body:
        if not t.etag:
            t.etag = body.etag
            ctx.journal.update(t.id, etag=t.etag)
        _check_reply(t, body, 0, t.size - 1)
        sums.note(t, body)
        digest = md5_of(b"")
        offset = 0
        # A small object's body came with its reply; a larger one's may come slowly, a
        # wait for the server like the reply's (core/cpu_turns.py).
        waits = ctx.off_turn if t.size > CHUNK else contextlib.nullcontext
        # Never more than the object's size is read, whatever the server goes on sending.
        while offset < t.size:
            ctx.check()
            with waits():
                data = body.read(min(CHUNK, t.size - offset))
            if not data:
                break
            if offset == 0:
                _refuse_error_document(t, body, data)
            ctx.throttle(len(data))
            _write(fd, t, data, offset)
            digest.update(data)
            offset += len(data)
            ctx.progress(len(data))
        range_md5 = body.range_md5.lower() if by_range else ""
    _check_length(ctx, offset, t.size)
    whole = digest.hexdigest()
    if range_md5:
        _check_range(t, 0, t.size - 1, whole, range_md5)
        sums.ranges_checked = True
    return whole


def _check_range(t: Transfer, first: int, last: int, local: str, server: str) -> None:
    """The bytes ``first``..``last`` received must have the MD5 the server gave of them."""
    if local != server:
        raise IntegrityError(
            f"The downloaded “{t.name}” does not match the object on the server.",
            hint="Retry: the download starts again.",
            detail=f"bytes {first}–{last}: local MD5 {local}, server MD5 {server}",
        )


def _check_reply(t: Transfer, body: ObjectReader, first: int, last: int) -> None:
    """The reply must carry exactly bytes ``first``..``last`` of an object of ``t.size``
    bytes (the size the listing or HEAD gave); anything else fails the file unwritten."""
    wanted = last + 1 - first
    whole = first == 0 and last + 1 == t.size
    described = body.content_range
    if described is not None:
        start, end, total = described
        agrees = (start, end) == (first, last) and total in (t.size, -1)
        if not agrees and total not in (t.size, -1):
            raise _wrong_size(t, total)
        if not agrees:
            raise WrongReply(
                f"The server sent bytes {start}–{end} of “{t.key}” when bytes"
                f" {first}–{last} were asked for.",
                hint="Nothing of it was saved. Retry; if it persists, the server is misbehaving.",
            )
    elif not whole:
        raise WrongReply(
            f"The server ignored the range requested for “{t.key}” and sent"
            f" a reply of {body.size} bytes.",
            hint="Nothing of it was saved. Retry; if it persists, the server is misbehaving.",
        )
    if body.size != wanted:
        raise _wrong_size(t, body.size, part=None if whole else wanted)


def _wrong_size(t: Transfer, got: int, part: int | None = None) -> WrongReply:
    what = f"a range of {part} bytes" if part is not None else f"an object of {t.size} bytes"
    return WrongReply(
        f"The server sent a reply of {got} bytes for {what}: “{t.key}”.",
        hint=(
            "Nothing of it was saved. The object may have changed since it was listed: "
            "refresh and download it again; if it persists, the server is misbehaving."
        ),
    )


def _refuse_error_document(t: Transfer, body: ObjectReader, first: bytes) -> None:
    """A 200 reply without an ETag whose body is an S3 ``<Error>`` document is an error
    some servers (and proxies) send in place of the object, not the object."""
    if body.etag:
        return
    head = first[:1024].lstrip()
    if head.startswith((b"<?xml", b"<Error")) and b"<Error>" in head:
        raise WrongReply(
            f"The server sent an error message instead of the contents of “{t.key}”.",
            hint="Nothing of it was saved. Retry later; if it persists, the server is misbehaving.",
            detail=head[:300].decode("utf-8", "replace"),
        )


def _fetch_ranges(
    ctx: RunContext, fd: int, temp: Path, sums: _Sums, *, by_range: bool = False
) -> tuple[list[str], str, str]:
    """GET the object in ranges on the part pool.

    Returns each range's MD5 (computed when the ETag is a composite of part MD5s; with
    ``by_range`` the server's MD5 of the range, which its bytes matched; else ""), the
    whole file's MD5 and its CRC32C (else "": the CRC32C where the provider keeps one for
    every object, else the MD5 where it keeps MD5s). Each checksum is computed once, while
    the bytes arrive; written ranges are handed to the kernel for writing back at once, so
    the final fsync has little left to do.
    """
    t = ctx.transfer
    count = part_count(t.size, t.part_size)
    verify = ctx.options.verify
    checksums = ctx.backend.features.checksums
    hash_ranges = verify and etag_chunks(t.etag, checksums) > 1
    by_range = by_range and not hash_ranges
    kept = _ranges_kept(ctx, fd, temp, count)
    ctx.resumed(sum(p.size for p in kept.values()))
    abort = threading.Event()
    # The object's checksums are told by the first reply; one is computed on the way
    # wherever one may come (a composite ETag is checked from the ranges' MD5s instead):
    # a CRC32C where every object has one (GCS), ten times faster than an MD5 (as
    # Google's own clients verify), else the MD5.
    whole_crc = verify and CRC32C in checksums and not hash_ranges and crc32c_is_fast()
    whole_md5 = verify and MD5 in checksums and not hash_ranges and not whole_crc
    if by_range and sums.seen and not sums.md5:
        whole_md5 = False  # none to compare with: each range is checked instead
    in_order = (
        _InOrderHasher(fd, t, set(kept), abort, crc32c=whole_crc)
        if whole_md5 or whole_crc
        else None
    )

    def fetch(number: int) -> JournalPart:
        if abort.is_set():
            raise Stopped
        ctx.check()
        offset = (number - 1) * t.part_size
        end = min(offset + t.part_size, t.size) - 1
        digest = md5_of(b"") if hash_ranges or by_range else None
        position = offset
        with ctx.reading(lambda: _get_range(ctx, offset, end, range_md5=by_range)) as body:
            _check_reply(t, body, offset, end)
            sums.note(t, body)
            while position <= end:
                if abort.is_set():
                    raise Stopped
                ctx.check()
                data = body.read(min(CHUNK, end + 1 - position))
                if not data:
                    break
                if position == offset:
                    _refuse_error_document(t, body, data)
                ctx.throttle(len(data))
                _write(fd, t, data, position)
                if digest is not None:
                    digest.update(data)
                position += len(data)
                ctx.progress(len(data))
            server_md5 = body.range_md5.lower() if by_range else ""
        _check_length(ctx, position - offset, end + 1 - offset)
        md5 = digest.hexdigest() if digest else ""
        if by_range:
            if server_md5:
                _check_range(t, offset, end, md5, server_md5)
            else:
                md5 = ""  # not given: this range is not checked
        part = JournalPart(number, "", md5, end + 1 - offset)
        ctx.journal.add_part(t.id, part)
        # Its write-out starts now, not once the hasher reaches it: the hasher lags the
        # last byte by a few ranges, and the disk would sit idle until then and the
        # final fsync wait for all of them (256 MiB from Azurite: 0.25-0.3 s of fsync
        # after the hash). Pages being written out stay cached for the hasher.
        _write_back(fd, offset, end + 1 - offset)
        if in_order is not None:
            in_order.written(number)  # it drops the range from the cache once hashed
        return part

    if in_order is not None:
        in_order.start()
    try:
        missing = [n for n in range(1, count + 1) if n not in kept]
        for part in ctx.run_parts(fetch, missing, abort):
            kept[part.number] = part
        whole = in_order.result() if in_order is not None else ""
    finally:
        abort.set()
        if in_order is not None:
            in_order.join()
    md5s = [kept[n].md5 for n in range(1, count + 1)]
    # A range kept from an earlier attempt was journalled with its MD5 only once checked.
    sums.ranges_checked = by_range and all(md5s)
    return (md5s, "", whole) if whole_crc else (md5s, whole, "")


def _get_range(ctx: RunContext, first: int, last: int, *, range_md5: bool = False) -> ObjectReader:
    t = ctx.transfer
    try:
        return ctx.backend.get_object(
            t.bucket,
            t.key,
            start=first,
            end=last,
            if_match=t.etag,
            version_id=t.version_id,
            range_md5=range_md5,
        )
    except StorageError as error:
        if error.code == "InvalidRange":
            # The object is smaller than the listing said: not a range to try again.
            raise WrongReply(
                f"The server has fewer bytes of “{t.key}” than the {t.size} it listed.",
                hint="Nothing of it was saved. The object may have changed since it was"
                " listed: refresh and download it again.",
                detail=error.detail,
            ) from error
        raise


class _InOrderHasher(threading.Thread):
    """The MD5 (or CRC32C) of the whole file while its ranges arrive out of order.

    Hashes each range from the file (still in the page cache) as soon as every range
    before it is written, on its own thread, so the digest is ready when the last range
    lands instead of costing a second pass over the file afterwards.
    """

    def __init__(
        self,
        fd: int,
        t: Transfer,
        written: set[int],
        abort: threading.Event,
        *,
        crc32c: bool = False,
    ) -> None:
        super().__init__(name="download-checksum", daemon=True)
        self._fd, self._t, self._abort = fd, t, abort
        self._written = set(written)
        self._changed = threading.Condition()
        self._digest: hashlib._Hash | Crc32c = Crc32c() if crc32c else md5_of(b"")
        self._error: BaseException | None = None
        self._done = threading.Event()

    def written(self, number: int) -> None:
        with self._changed:
            self._written.add(number)
            self._changed.notify()

    def run(self) -> None:
        t = self._t
        try:
            for number in range(1, part_count(t.size, t.part_size) + 1):
                with self._changed:
                    while number not in self._written and not self._abort.is_set():
                        self._changed.wait(0.5)
                if number not in self._written:
                    return  # aborted: the download failed or was stopped
                offset = (number - 1) * t.part_size
                length = min(t.part_size, t.size - offset)
                position = offset
                while position < offset + length:
                    data = os.pread(self._fd, min(CHUNK * 8, offset + length - position), position)
                    if not data:
                        break
                    self._digest.update(data)
                    position += len(data)
                _write_back(self._fd, offset, length)
        except OSError as exc:
            self._error = local_error(exc, t.local_path, writing=False)
        finally:
            self._done.set()

    def result(self) -> str:
        """The digest, once every range is written (call after all were)."""
        with self._changed:
            self._changed.notify()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()


def _write_back(fd: int, offset: int, length: int) -> None:
    """Start writing a finished range to disk now (Linux: POSIX_FADV_DONTNEED starts the
    write-back of dirty pages), so the fsync at the end does not wait for a whole GiB.

    It drops the range's clean pages from the cache, not those it has just sent to the
    disk: a range written out before it is hashed is still read from the cache (measured
    with 256 MiB downloads: nothing read back from the disk), and dropped by the
    hasher's call."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):  # only a hint
            advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _ranges_kept(ctx: RunContext, fd: int, temp: Path, count: int) -> dict[int, JournalPart]:
    """Ranges a previous attempt wrote (journalled after the write) into this same file;
    a new file is first given its full length, if the disk has room for it."""
    t = ctx.transfer
    try:
        length = os.fstat(fd).st_size
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True) from exc
    kept = {p.number: p for p in ctx.journal.parts(t.id) if p.number <= count}
    if length != t.size:
        # A new download: no range is there yet.
        kept = {}
        ctx.journal.clear_parts(t.id)
        try:
            # Fail now, not with a huge sparse file that can never be filled.
            check_free_space(temp.parent, t.name, t.size - length)
            os.ftruncate(fd, t.size)
        except LocalFileError:
            _remove_own(ctx.journal, t.id)  # nothing was received: nothing to keep
            raise
        except OSError as exc:
            _remove_own(ctx.journal, t.id)
            raise local_error(exc, t.local_path, writing=True, resumable=False) from exc
        st = os.fstat(fd)
        ctx.journal.set_partial(t.id, PartialFile(temp, st.st_dev, st.st_ino, t.size))
    return kept


def _check_length(ctx: RunContext, got: int, expected: int) -> None:
    if got != expected:
        t = ctx.transfer
        # Only ranges already journalled are kept; a file fetched in one GET starts over.
        kept = t.multipart and bool(ctx.journal.parts(t.id))
        raise StorageError(
            f"The server ended the download of “{t.key}” early ({got} of {expected} bytes).",
            hint="Retry: the download continues from the ranges already received."
            if kept
            else "Retry: the download starts again.",
        )


def _verify(
    ctx: RunContext,
    fd: int,
    range_md5s: list[str],
    whole: str,
    sums: _Sums,
    whole_crc: str = "",
) -> None:
    """Compare with the object's checksums: the CRC32C computed on the way, else its MD5,
    else its composite ETag, else its CRC32C. ``whole`` and ``whole_crc`` are the file's
    MD5 and CRC32C if computed on the way (else ""), ``range_md5s`` the ranges' MD5s (""
    where not computed)."""
    t = ctx.transfer
    if not ctx.options.verify:
        t.verified, t.note = False, "Not verified (verification is off)."
        return
    etag = t.etag.lower()
    features = ctx.backend.features
    if not sums.seen:
        sums.look_up(ctx)
    if whole_crc and sums.crc32c:
        _compare_crc32c(t, whole_crc, sums.crc32c)
        t.verified = True
        return
    if sums.md5 and MD5 in features.checksums:
        whole = whole or _md5_of_file(ctx, fd, t.size)
        if whole != sums.md5:
            raise IntegrityError(
                f"The downloaded “{t.name}” does not match the object on the server.",
                hint="Retry: the download starts again.",
                detail=f"local MD5 {whole}, server MD5 {sums.md5}",
            )
        t.verified = True
        return
    count = etag_chunks(etag, features.checksums)
    if count:
        complete = all(range_md5s)
        ranges_match = t.multipart and complete and len(range_md5s) == count
        if ranges_match and composite_etag(range_md5s) == etag:
            t.verified = True
            return
        for size in part_size_candidates(t.size, count, features.limits):
            if (size != t.part_size or not complete) and _composite_of_file(ctx, fd, size) == etag:
                t.verified = True
                return
        t.verified = False
        t.note = "Not verified: the object was uploaded in parts of a size that is not known."
        return
    crc = sums.crc32c if CRC32C in features.checksums else ""
    if crc:
        _compare_crc32c(t, whole_crc or _crc32c_of_file(ctx, fd, t.size), crc)
        t.verified = True
        return
    if sums.ranges_checked:
        t.verified, t.note = True, RANGE_MD5_NOTE
        return
    t.verified = False
    t.note = "Not verified: the server gives no MD5 checksum for this object."


def _compare_crc32c(t: Transfer, local: str, server: str) -> None:
    if local != server:
        raise IntegrityError(
            f"The downloaded “{t.name}” does not match the object on the server.",
            hint="Retry: the download starts again.",
            detail=f"local CRC32C {local}, server CRC32C {server}",
        )


def _crc32c_of_file(ctx: RunContext, fd: int, size: int) -> str:
    crc = Crc32c()
    block = 8 * 1024 * 1024
    for offset in range(0, size, block):
        ctx.check()
        try:
            crc.update(os.pread(fd, min(block, size - offset), offset))
        except OSError as exc:
            raise local_error(exc, ctx.transfer.local_path, writing=False) from exc
    return crc.hexdigest()


def _md5_of_file(ctx: RunContext, fd: int, size: int) -> str:
    return _composite_parts(ctx, fd, size, size)[0] if size else md5_of(b"").hexdigest()


def _composite_of_file(ctx: RunContext, fd: int, part_size: int) -> str:
    return composite_etag(_composite_parts(ctx, fd, ctx.transfer.size, part_size))


def _composite_parts(ctx: RunContext, fd: int, size: int, part_size: int) -> list[str]:
    """MD5 of each ``part_size`` span of the first ``size`` bytes of ``fd``."""
    md5s: list[str] = []
    for start in range(0, size, part_size):
        digest = md5_of(b"")
        position, end = start, min(start + part_size, size)
        while position < end:
            ctx.check()
            try:
                data = os.pread(fd, min(CHUNK * 8, end - position), position)
            except OSError as exc:
                raise local_error(exc, ctx.transfer.local_path, writing=False) from exc
            if not data:
                break
            digest.update(data)
            position += len(data)
        md5s.append(digest.hexdigest())
    return md5s
