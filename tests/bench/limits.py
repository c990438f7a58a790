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
    temporary = target.with_name(f".{target.name}.part")
    with source.open("rb") as r, temporary.open("wb") as w:
        shutil.copyfileobj(r, w, CHUNK)
        w.flush()
        os.fsync(w.fileno())
    temporary.replace(target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def durable_copies(sources: Path, folder: Path) -> None:
    """Every file of the folder ``sources`` into ``folder``, THREADS at once."""
    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda p: durable_copy(p, folder / p.name), sorted(sources.iterdir())))


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
