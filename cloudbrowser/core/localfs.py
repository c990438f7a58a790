"""Local file system helpers for transfers: errors a user can act on, durable renames."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from cloudbrowser.core.errors import LocalFileError

_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def local_error(
    exc: OSError, path: Path, *, writing: bool, resumable: bool = True
) -> LocalFileError:
    """Translate an OSError on ``path`` into a message that says what to do.

    ``resumable``: a retry continues from what was written (a download in ranges); a
    small download fetched in one request starts again.
    """
    detail = f"{type(exc).__name__}: {exc}"
    if exc.errno in _DISK_FULL:
        return LocalFileError(
            f"The disk is full: “{path.name}” could not be written completely.",
            hint=(
                f"Free some space in {path.parent} (or choose another folder) and retry: "
                + (
                    "the part already downloaded is kept and the transfer continues from there."
                    if resumable
                    else "the file is downloaded again."
                )
            ),
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


def replace_durably(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` atomically and make the rename survive a power cut."""
    source.replace(target)
    if hasattr(os, "O_DIRECTORY"):  # POSIX: the directory entry itself must reach the disk
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
