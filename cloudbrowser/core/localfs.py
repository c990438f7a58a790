"""Local file system helpers for transfers: errors a user can act on, durable renames."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from cloudbrowser.core.errors import LocalFileError

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def local_error(
    exc: OSError, path: Path, *, writing: bool, resumable: bool = True
) -> LocalFileError:
    """Translate an OSError on ``path`` into a message that says what to do.

    ``resumable``: a retry continues from what was written (a download in ranges); a
    small download fetched in one request starts again.
    """
    detail = f"{type(exc).__name__}: {exc}"
    retry = (
        "the part already downloaded is kept and the transfer continues from there."
        if resumable
        else "the file is downloaded again."
    )
    if exc.errno == errno.EFBIG:
        # Not a full disk: the file system (FAT32: 4 GiB) or a process limit caps file size.
        return LocalFileError(
            f"“{path.name}” is too large for this file system.",
            hint=f"Save it to a folder on a file system that holds files this large; {retry}",
            detail=detail,
        )
    if exc.errno in _DISK_FULL:
        return LocalFileError(
            f"The disk is full: “{path.name}” could not be written completely.",
            hint=f"Free some space in {path.parent} (or choose another folder) and retry: {retry}",
            detail=detail,
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        verb = "write to" if writing else "read"
        return LocalFileError(
            f"Permission denied: cannot {verb} “{path}”.",
            hint="Choose a folder you may write to."
            if writing
            else "Check the file's permissions.",
            detail=detail,
        )
    if exc.errno == errno.ENOENT and not writing:
        return LocalFileError(
            f"“{path}” no longer exists.", hint="It was moved or deleted after it was queued."
        )
    verb = "write" if writing else "read"
    return LocalFileError(
        f"Could not {verb} “{path}”.", hint=str(exc.strerror or ""), detail=detail
    )


def check_free_space(folder: Path, name: str, needed: int) -> None:
    """Fail before writing when ``folder``'s file system cannot hold ``needed`` more bytes,
    rather than after filling the disk (or leaving a huge sparse file)."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # cannot tell: the writes themselves will say
    if needed > free:
        raise LocalFileError(
            f"The disk is full: “{name}” needs {_size(needed)}, {_size(free)} free.",
            hint=f"Free some space in {folder} (or choose another folder) and retry.",
        )


def _size(n: int) -> str:
    """Bytes as people read them (binary units, like the window's sizes)."""
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def replace_durably(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` atomically and make the rename survive a power cut."""
    source.replace(target)
    if hasattr(os, "O_DIRECTORY"):  # POSIX: the directory entry itself must reach the disk
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
