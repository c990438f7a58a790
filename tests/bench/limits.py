"""Reference rows that are not clients: what this machine's disk and one of its cores
allow a download, measured in the same run as the tools (README: the ``limit:`` rows).

A download that is on the disk when it says done (cloudbrowser's: a temporary name,
fsync, rename, the folder's fsync) goes no faster than the disk makes files durable; one
checked against an MD5 goes no faster than one core hashes, as an MD5 cannot be split.
s5cmd and rclone do neither.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LOCAL_LIMIT = "limit: disk (write, fsync, rename)"
MD5_LIMIT = "limit: MD5 on one core"
#: As many files at once as cloudbrowser's transfer queue moves by default.
THREADS = 8
CHUNK = 8 * 1024 * 1024


def durable_copy(source: Path, target: Path) -> None:
    """``source`` (read from the page cache) to ``target`` as a download finishes."""
    _write_and_rename(source, target)
    _sync_folder(target.parent)


def durable_copies(sources: Path, folder: Path) -> None:
    """Every file of the folder ``sources`` into ``folder``, THREADS at once, then the
    folder's fsync once: the least a download of many files into one folder does to be
    on the disk when it says done (cloudbrowser shares a folder's fsync between the files
    renamed into it meanwhile, core/localfs.FolderSyncs). Until 2026-12-07 this fsynced
    the folder after every file, which no download needs: 946 files/s at 1.62 ms of CPU a
    file, where a file's own write, fsync and rename cost 0.2-0.45 ms."""
    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda p: _write_and_rename(p, folder / p.name), sorted(sources.iterdir())))
    _sync_folder(folder)


def _write_and_rename(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.part")
    with source.open("rb") as r, temporary.open("wb") as w:
        shutil.copyfileobj(r, w, CHUNK)
        w.flush()
        os.fsync(w.fileno())
    temporary.replace(target)


def _sync_folder(path: Path) -> None:
    folder = os.open(path, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
