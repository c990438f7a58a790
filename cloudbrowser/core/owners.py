"""Which running process a journalled transfer belongs to, so two never run the same one.

The window and the CLI share one journal. The rule: **a transfer that is queued or running
belongs to the process that queued it, for as long as that process lives; one that is
paused, failed or finished belongs to nobody.** Any process may list and resume a transfer
that belongs to nobody or to a process that has ended (a crash, a kill, a normal exit with
work left); none lists or resumes one that another live process is running. Resuming
first *claims* the transfer in one write transaction (``Journal.claim``), so of two
processes resuming the same one at once, exactly one gets it.

A process proves it lives by holding an OS lock on a small file named after its token,
``<journal>.owners/<token>``: ``flock`` on Unix, ``msvcrt.locking`` on Windows. The OS
drops the lock when the process ends, however it ends, so a crash never leaves a
transfer owned forever (a pid alone could be reused by another program). All journals of
one process on one file share one token: within a process, the queue decides.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import uuid
from pathlib import Path
from typing import BinaryIO

#: This process's token (the pid helps a person reading the folder; the rest makes it unique).
TOKEN = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"

if sys.platform == "win32":
    import msvcrt

    def _try_lock(f: BinaryIO) -> bool:
        f.seek(0)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(f: BinaryIO) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(f: BinaryIO) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(f: BinaryIO) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def owners_dir(journal: Path) -> Path:
    return journal.with_name(journal.name + ".owners")


class _Held:
    """This process's lock for one journal, shared by its Journal objects."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file: BinaryIO = path.open("a+b")
        if not _try_lock(self.file):  # nobody else has this token
            self.file.close()
            raise OSError(f"cannot lock {path}")
        self.users = 0

    def release(self) -> None:
        with contextlib.suppress(OSError):
            _unlock(self.file)
        self.file.close()
        self.path.unlink(missing_ok=True)


_lock = threading.Lock()
_held: dict[Path, _Held] = {}


def hold(journal: Path) -> None:
    """Prove this process lives to others sharing ``journal`` (until :func:`let_go`)."""
    key = journal.resolve()
    with _lock:
        held = _held.get(key)
        if held is None:
            held = _held[key] = _Held(owners_dir(key) / TOKEN)
        held.users += 1


def let_go(journal: Path) -> None:
    """One journal of this process is closed; the last one releases the lock."""
    key = journal.resolve()
    with _lock:
        held = _held.get(key)
        if held is None:
            return
        held.users -= 1
        if held.users <= 0:
            del _held[key]
            held.release()


def is_live(journal: Path, token: str) -> bool:
    """True if the process with ``token`` still runs (this process included)."""
    if not token:
        return False
    if token == TOKEN:
        return True
    path = owners_dir(journal) / token
    if path.name != token:  # not a plain file name: not one of ours
        return False
    try:
        f = path.open("r+b")
    except FileNotFoundError:
        return False
    with f:
        if not _try_lock(f):
            return True
        _unlock(f)
    # Its process ended without tidying up (a crash, a kill): tidy up for it.
    with contextlib.suppress(OSError):
        path.unlink()
    return False
