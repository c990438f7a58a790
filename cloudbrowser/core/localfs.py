"""Local file system helpers for transfers: errors a user can act on, durable renames."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
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
    if exc.errno == errno.ENAMETOOLONG:
        return LocalFileError(
            f"The name “{_shortened(path.name)}” is too long for this disk.",
            hint=_SHORTER_NAME,
            detail=detail,
        )
    if exc.errno == errno.EINVAL and writing:
        return LocalFileError(
            f"“{_shortened(path.name)}” is not a valid file name on this disk.",
            hint=_SHORTER_NAME,
            detail=detail,
        )
    if exc.errno == errno.EISDIR:
        return LocalFileError(
            f"A folder is in the way: “{path}” is a folder, not a file.",
            hint="Rename or move that folder, or save the file under another name.",
            detail=detail,
        )
    if exc.errno == errno.ENOTDIR and writing:
        # A file where the path needs a folder ("a" is a file, "a/b" is to be written).
        return _file_in_the_way(path, detail)
    if exc.errno == errno.EROFS:
        return LocalFileError(
            f"The disk is read-only: cannot write “{path}”.",
            hint="Choose a folder on a disk you may write to.",
            detail=detail,
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
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


#: What to do about a name this disk cannot hold.
_SHORTER_NAME = (
    "Save it under another name (“Save as…” on the failed transfer in the window, or "
    "“cloudbrowser get” of that object to a file name of your choice)."
)


def _shortened(name: str, limit: int = 80) -> str:
    """A name short enough to read in a message (the full one is in the details)."""
    return name if len(name) <= limit else f"{name[: limit - 21]}…{name[-20:]}"


def _in_the_way(path: Path) -> Path:
    """The nearest part of ``path`` that exists and is not a folder (else ``path``)."""
    for candidate in [*reversed(path.parents), path]:
        try:
            if not stat.S_ISDIR(candidate.stat().st_mode):
                return candidate
        except OSError:
            break
    return path


def _file_in_the_way(path: Path, detail: str) -> LocalFileError:
    return LocalFileError(
        f"A file is in the way: “{_in_the_way(path)}” is a file, not a folder.",
        hint="Rename or move that file, or choose another folder.",
        detail=detail,
    )


def look_up(path: Path) -> os.stat_result | None:
    """What is at ``path`` (not following a last link), or None when nothing is.

    Raises LocalFileError (with what to do) when the path cannot even be looked at: a name
    too long for the disk, a file where a folder should be, no permission to look.
    """
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise local_error(exc, path, writing=True) from exc


def is_folder(path: Path) -> bool:
    """``path`` is a folder; False when it cannot be looked at (the write will say why)."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its parents; raises LocalFileError saying what is in the way."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # ``folder`` itself is a file
        raise _file_in_the_way(folder, f"{type(exc).__name__}: {exc}") from exc
    except OSError as exc:
        raise local_error(exc, folder, writing=True) from exc


def rename(source: Path, target: Path) -> Path | None:
    """Rename ``source`` over ``target`` atomically. Returns the folder whose fsync makes
    the rename survive a power cut (:class:`FolderSyncs`), or None where a folder is not
    synced (Windows: no descriptor of a folder to sync)."""
    source.replace(target)
    return target.parent if _SYNCS_FOLDERS else None


#: POSIX: a directory entry reaches the disk with its folder's fsync.
_SYNCS_FOLDERS = hasattr(os, "O_DIRECTORY")


class FolderSyncs:
    """Renames made durable in batches, on one thread: each folder's fsync covers every
    rename into it made before the fsync began, and says so to each (``after_sync``).

    A rename's caller goes on without waiting for the disk. The fsync of a folder holds
    its lock in the kernel until the disk has the folder (ext4 without a journal), so
    every file created or renamed there meanwhile waits, and a folder synced after each
    small file's rename was most of such a wait: here, a folder is synced at most every
    ``GATHER`` seconds while renames keep coming (a lone rename at once)."""

    #: The least time between two fsyncs of the queue's folders, while renames keep coming.
    GATHER = 0.05
    #: Seconds without a rename after which the thread ends (the next rename starts
    #: another): a queue that is not used holds no thread.
    IDLE = 5.0

    def __init__(self, initializer: Callable[[], None] | None = None) -> None:
        """``initializer``: called first on the syncing thread (the window's queue makes
        its threads yield to the window's: ``core/thread_priority.py``)."""
        self._initializer = initializer
        self._changed = threading.Condition()
        self._pending: dict[Path, list[Callable[[OSError | None], None]]] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last = 0.0  # when the last round of fsyncs ended (time.monotonic)

    def after_sync(self, folder: Path, done: Callable[[OSError | None], None]) -> None:
        """Call ``done`` (on the syncing thread) once an fsync of ``folder`` that began
        after this call has ended: with None, or with the error that fsync raised. Once
        closed, on the caller's thread, at once (a rename that outlived the close)."""
        with self._changed:
            if not self._closed:
                self._pending.setdefault(folder, []).append(done)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="folder-sync", daemon=True
                    )
                    self._thread.start()
                self._changed.notify()
                return
        try:
            _fsync_folder(folder)
        except OSError as exc:
            done(exc)
            return
        done(None)

    def close(self, timeout: float | None = None) -> bool:
        """Sync what is pending, then end the thread; False if it had not ended within
        ``timeout`` (a disk that does not answer)."""
        with self._changed:
            self._closed = True
            thread = self._thread
            self._changed.notify()
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        if self._initializer is not None:
            self._initializer()
        while True:
            with self._changed:
                while not self._pending and not self._closed:
                    if not self._changed.wait(self.IDLE) and not self._pending:
                        self._thread = None  # idle: the next rename starts another
                        return
                if not self._pending:
                    return  # closed, nothing left
                # Renames made until GATHER after the last round join this one.
                deadline = self._last + self.GATHER
                while not self._closed and (rest := deadline - time.monotonic()) > 0:
                    self._changed.wait(rest)
                batch, self._pending = self._pending, {}
            for folder, waiting in batch.items():
                error: OSError | None = None
                try:
                    _fsync_folder(folder)
                except OSError as exc:
                    error = exc
                for done in waiting:
                    try:
                        done(error)
                    except Exception:
                        # Reported as a thread's failure is (the app's error report); the
                        # other renames still hear of their fsync.
                        threading.excepthook(
                            threading.ExceptHookArgs((*sys.exc_info(), threading.current_thread()))
                        )
            self._last = time.monotonic()


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Why a folder a link leads back to is not walked a second time.
LINK_LOOP = "a link to a folder that is already part of the upload (a loop): left out"


def walk_files(
    root: Path, refused: list[tuple[str, str]], *, follow_links: bool = True
) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk`` of ``root`` in sorted order; folders that cannot be read are named in
    ``refused``. With ``follow_links`` (what is uploaded), it goes into links to folders,
    as a file manager shows them and aws s3 cp uploads them (os.walk alone left them out
    without a word, so a sync --delete deleted the objects of a linked folder), but never
    twice into one folder: a link that leads back (a loop) is named in ``refused``.
    Without it (local files a download's sync may delete), a linked folder is not entered:
    nothing outside ``root`` is deleted through a link."""
    seen: set[tuple[int, int]] = set()

    def refuse(error: OSError) -> None:
        refused.append((str(error.filename), error.strerror or str(error)))

    for directory, dirnames, filenames in os.walk(root, onerror=refuse, followlinks=follow_links):
        try:
            st = Path(directory).stat()
        except OSError as exc:
            refuse(exc)
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            refused.append((directory, LINK_LOOP))
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        yield directory, dirnames, filenames
