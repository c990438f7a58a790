"""Damaged local files (saved connections, the journal): moved aside, reported, never lost.

A file cloudbrowser cannot read must not stop it from starting, and must not be overwritten
or deleted either: it may hold the user's only copy of something (a hand-edited connection,
the record of an interrupted upload). So it is *moved aside*, renamed beside itself to
``<name>.damaged-<UTC time>``, and the app goes on with a fresh one.

The user hears of it once, wherever they are: the code that finds the damage calls
:func:`report`; the CLI prints each notice on stderr, the window shows it through its message
sink (see :func:`set_reporter`). Notices found before anyone listens (the window opens the
journal while it is being built) wait until a reporter is set.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cloudbrowser.core.errors import ConfigError

#: What moved-aside copies are called: ``connections.json.damaged-20261204T210000Z``.
DAMAGED_SUFFIX = ".damaged-"


class DamagedFile(ConfigError):
    """A local file could not be read; it was moved aside and the app went on without it."""

    title = "Damaged file"

    def __init__(self, message: str, *, moved_to: Sequence[Path], hint: str, detail: str) -> None:
        super().__init__(message, hint=hint, detail=detail)
        #: Where the original bytes are now (the file, and the journal's -wal/-shm).
        self.moved_to = list(moved_to)


Reporter = Callable[[DamagedFile], None]

_lock = threading.Lock()
_reporter: Reporter | None = None
_pending: list[DamagedFile] = []


def set_reporter(reporter: Reporter | None) -> None:
    """Send notices to ``reporter`` from now on (None: keep them for later); the ones
    that waited are sent at once. It may be called from any thread."""
    global _reporter
    with _lock:
        _reporter = reporter
        waiting = list(_pending) if reporter is not None else []
        if reporter is not None:
            _pending.clear()
    for notice in waiting:
        assert reporter is not None
        reporter(notice)


def report(notice: DamagedFile) -> None:
    """Tell the user about a moved-aside file (now, or when a reporter is set)."""
    with _lock:
        reporter = _reporter
        if reporter is None:
            _pending.append(notice)
            return
    reporter(notice)


def take_pending() -> list[DamagedFile]:
    """The notices nobody has been told about yet (and forget them)."""
    with _lock:
        waiting = list(_pending)
        _pending.clear()
    return waiting


def aside_name(path: Path, stamp: str, n: int) -> Path:
    tail = f"{DAMAGED_SUFFIX}{stamp}" + (f"-{n}" if n else "")
    return path.with_name(path.name + tail)


def move_aside(path: Path, stamp: str | None = None) -> Path | None:
    """Rename ``path`` to a free ``<name>.damaged-<UTC time>[-n]`` beside it; returns the
    new path (None if ``path`` was gone already: another process moved it first).

    Never replaces an existing file: the new name is taken with a hard link, which fails
    if it exists, then the old name is removed. Where links are not supported (FAT, some
    network shares), a plain rename to a name checked to be free.
    """
    stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in range(1000):
        target = aside_name(path, stamp, n)
        try:
            os.link(path, target)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        except OSError:
            # No hard links here (FAT, some shares, Windows without privileges): rename to
            # a name checked to be free (Windows' rename never replaces a file anyway).
            if target.exists():
                continue
            try:
                path.rename(target)
            except FileNotFoundError:
                return None
            return target
        path.unlink(missing_ok=True)
        return target
    raise FileExistsError(f"no free name to move {path} aside")
