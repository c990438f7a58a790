"""The ``azure`` suite: cloudbrowser's Azure backend beside rclone's azureblob backend, on
one Azurite (the blob emulator, in memory, on 127.0.0.1).

Cases: a recursive listing of ``keys`` blobs and the first page of that folder (what the
window shows first), ``files`` small files up and down, one big file up and down. Each
tool runs every case ``runs`` times; the median is reported. cloudbrowser is the engine as
the window and the CLI use it (TransferQueue, default options, verified); rclone is
``rclone lsf`` / ``rclone copy`` with its defaults, configured by environment variables
(no config file). Seeding goes through cloudbrowser's backend, untimed.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from results import ERROR, Result, result

from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from tests.local_servers import azurite_blob, tool

SUITE = "azure"
CONTAINER = "bench"
LIST_PREFIX = "many/"
CLI_TIMEOUT = 1800.0


def run_azure(keys: int, files: int, big_mib: int, runs: int) -> list[Result]:
    rows: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="cb-bench-azure-") as tmp:
        work = Path(tmp)
        with azurite_blob(work) as (url, _proc):
            storage = _storage(url)
            storage.create_bucket(CONTAINER)
            _progress(f"seeding {keys:,} blobs")
            _seed(storage, keys)
            rclone = _Rclone(url, work / "home")
            rows += _listing(storage, rclone, keys, runs)
            rows += _transfers(storage, rclone, work, files, big_mib, runs)
    return rows


# ── the tools ────────────────────────────────────────────────────────────────────────────


def _storage(url: str, pool: int = 32) -> Any:
    from cloudbrowser.core.backends import open_storage
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

    settings = ConnectionSettings(
        name="bench-azure",
        kind="azure",
        endpoint_url=url,
        auth="key",
        account=AZURITE_ACCOUNT,
        max_pool_connections=pool,
    )
    return open_storage(settings, Credentials(AZURITE_ACCOUNT, AZURITE_KEY))


class _Rclone:
    """rclone's azureblob backend as an on-the-fly remote, configured by environment."""

    def __init__(self, url: str, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        self.env.update(
            HOME=str(home),
            RCLONE_CONFIG=str(home / "rclone.conf"),
            RCLONE_AZUREBLOB_ACCOUNT=AZURITE_ACCOUNT,
            RCLONE_AZUREBLOB_KEY=AZURITE_KEY,
            RCLONE_AZUREBLOB_ENDPOINT=url,
        )
        self.exe = tool("rclone")

    def run(self, *args: str) -> bytes:
        proc = subprocess.run(
            [self.exe, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-2:]
            raise RuntimeError(f"rclone exit {proc.returncode}: {' | '.join(tail)}")
        return proc.stdout

    def remote(self, path: str = "") -> str:
        return f":azureblob:{CONTAINER}/{path}"


# ── seeding ──────────────────────────────────────────────────────────────────────────────


def _seed(storage: Any, keys: int) -> None:
    def put(i: int) -> None:
        storage.put_object(CONTAINER, f"{LIST_PREFIX}k{i:07d}.txt", b"x", content_md5="")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(keys)))


# ── listing ──────────────────────────────────────────────────────────────────────────────


def _listing(storage: Any, rclone: _Rclone, keys: int, runs: int) -> list[Result]:
    def ours_all() -> int:
        count, token = 0, ""
        while True:
            page = storage.list_page(CONTAINER, LIST_PREFIX, token, recursive=True)
            count += len(page.objects)
            token = page.next_token
            if not token:
                return count

    def ours_first() -> int:
        return len(storage.list_page(CONTAINER, LIST_PREFIX).objects)

    def rclone_all() -> int:
        return len(rclone.run("lsf", "-R", "--files-only", rclone.remote(LIST_PREFIX)).splitlines())

    def rclone_first() -> int:
        # rclone has no "first page": its first output line is the first one it prints.
        proc = subprocess.Popen(
            [rclone.exe, "lsf", rclone.remote(LIST_PREFIX)],
            env=rclone.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        proc.kill()
        proc.wait()
        return 1 if line else 0

    rows: list[Result] = []
    case = f"list {keys:,} blobs (recursive)"
    rows += _measure(case, "cloudbrowser", ours_all, runs, keys, "keys/s", expect=keys)
    rows += _measure(case, "rclone lsf -R", rclone_all, runs, keys, "keys/s", expect=keys)
    first = "first page of that folder"
    rows += _measure(first, "cloudbrowser", ours_first, runs, 0, "s", expect=None)
    rows += _measure(first, "rclone lsf (first line)", rclone_first, runs, 0, "s", expect=1)
    return rows


# ── transfers ────────────────────────────────────────────────────────────────────────────


def _transfers(
    storage: Any, rclone: _Rclone, work: Path, files: int, big_mib: int, runs: int
) -> list[Result]:
    small = work / "small"
    small.mkdir()
    for i in range(files):
        (small / f"f{i:05d}.bin").write_bytes(hashlib.shake_256(str(i).encode()).digest(4096))
    big = work / "big" / "big.bin"
    big.parent.mkdir()
    with big.open("wb") as out:
        block = hashlib.shake_256(b"big").digest(1 << 20)
        for _ in range(big_mib):
            out.write(block)
    engine = _Engine(storage, work / "journal.sqlite3")
    # The download sources, uploaded once, untimed.
    engine.up_many(small, "src/")
    engine.up_one(big, "src-big/big.bin")
    rows: list[Result] = []
    mb_small = files * 4096 / (1 << 20)

    runs_made = itertools.count()

    def new_prefix(stem: str) -> str:
        """A destination of its own per run: rclone copy skips files already there."""
        return f"{stem}-{next(runs_made)}/"

    def fresh(name: str) -> Path:
        path = work / "out" / f"{name}-{time.monotonic_ns()}"
        path.mkdir(parents=True)
        return path

    cases: list[tuple[str, str, Callable[[], Any], float]] = [
        (
            f"upload {files:,} × 4 KiB",
            "cloudbrowser",
            lambda: engine.up_many(small, new_prefix("up")),
            mb_small,
        ),
        (
            f"upload {files:,} × 4 KiB",
            "rclone copy",
            lambda: rclone.run("copy", str(small), rclone.remote(new_prefix("rup"))),
            mb_small,
        ),
        (
            f"download {files:,} × 4 KiB",
            "cloudbrowser",
            lambda: engine.down_many("src/", fresh("cb")),
            mb_small,
        ),
        (
            f"download {files:,} × 4 KiB",
            "rclone copy",
            lambda: rclone.run("copy", rclone.remote("src/"), str(fresh("rc"))),
            mb_small,
        ),
        (
            f"upload {big_mib} MiB",
            "cloudbrowser",
            lambda: engine.up_one(big, f"{new_prefix('big')}big.bin"),
            big_mib,
        ),
        (
            f"upload {big_mib} MiB",
            "rclone copy",
            lambda: rclone.run("copy", str(big), rclone.remote(new_prefix("rbig"))),
            big_mib,
        ),
        (
            f"download {big_mib} MiB",
            "cloudbrowser",
            lambda: engine.down_one("src-big/big.bin", fresh("cb") / "big.bin"),
            big_mib,
        ),
        (
            f"download {big_mib} MiB",
            "rclone copy",
            lambda: rclone.run("copy", rclone.remote("src-big/big.bin"), str(fresh("rc"))),
            big_mib,
        ),
    ]
    for case, tool_name, op, mb in cases:
        rows += _measure(case, tool_name, op, runs, mb, "MB/s", expect=None)
    engine.close()
    return rows


class _Engine:
    """TransferQueue with default options, as the window and the CLI run it."""

    def __init__(self, storage: Any, journal: Path) -> None:
        from cloudbrowser.core.journal import Journal
        from cloudbrowser.core.transfers import TransferQueue

        self.storage = storage
        self.queue = TransferQueue(lambda _name: storage, Journal(journal))

    def _run(self, requests: list[Any]) -> None:
        from cloudbrowser.core.journal import State

        transfers = self.queue.add(requests)
        self.queue.wait(transfers)
        bad = [t for t in transfers if t.state is not State.DONE]
        self.queue.forget_finished()
        if bad:
            raise RuntimeError(f"{len(bad)} not done, first: {bad[0].state} {bad[0].error}")

    def _upload(self, path: Path, key: str) -> Any:
        from cloudbrowser.core.journal import Direction
        from cloudbrowser.core.transfers import TransferRequest

        st = path.stat()
        return TransferRequest(
            Direction.UPLOAD, "bench-azure", CONTAINER, key, path, st.st_size, st.st_mtime
        )

    def up_many(self, src: Path, prefix: str) -> None:
        self._run([self._upload(p, f"{prefix}{p.name}") for p in sorted(src.iterdir())])

    def up_one(self, src: Path, key: str) -> None:
        self._run([self._upload(src, key)])

    def down_many(self, prefix: str, dst: Path) -> None:
        from cloudbrowser.core.keys import local_path_for
        from cloudbrowser.core.paging import iter_pages

        self._run(
            [
                self._download(
                    e.key, local_path_for(e.key, prefix, dst), e.size, e.modified, e.etag
                )
                for page in iter_pages(self.storage, CONTAINER, prefix, recursive=True)
                for e in page.objects
            ]
        )

    def down_one(self, key: str, dst: Path) -> None:
        info = self.storage.head_object(CONTAINER, key)
        self._run([self._download(key, dst, info.size, info.modified, info.etag)])

    def _download(self, key: str, dst: Path, size: int, modified: float, etag: str) -> Any:
        from cloudbrowser.core.journal import Direction
        from cloudbrowser.core.transfers import TransferRequest

        return TransferRequest(
            Direction.DOWNLOAD, "bench-azure", CONTAINER, key, dst, size, modified, etag
        )

    def close(self) -> None:
        self.queue.shutdown()


# ── measuring ────────────────────────────────────────────────────────────────────────────


def _measure(
    case: str,
    tool_name: str,
    op: Callable[[], Any],
    runs: int,
    amount: float,
    unit: str,
    *,
    expect: int | None,
) -> list[Result]:
    """``op`` ``runs`` times: the median rate (``amount`` per second), or seconds."""
    times: list[float] = []
    for _ in range(runs):
        _progress(f"{case}: {tool_name}")
        started = time.perf_counter()
        try:
            got = op()
        except Exception as exc:  # a tool's failure is a row, not the end of the suite
            return [result(SUITE, case, tool_name, f"{type(exc).__name__}: {exc}"[:200], ERROR)]
        times.append(time.perf_counter() - started)
        if expect is not None and got != expect:
            return [result(SUITE, case, tool_name, f"got {got}, expected {expect}", ERROR)]
    median = statistics.median(times)
    rows = [result(SUITE, case, tool_name, median, "s")]
    if unit != "s" and median > 0:
        rows.append(result(SUITE, case, tool_name, amount / median, unit))
    return rows


def _progress(message: str) -> None:
    print(f"[azure] {message}", file=sys.stderr, flush=True)


def describe(keys: int, files: int, big_mib: int, runs: int) -> str:
    return "\n".join(
        [
            f"azure: cloudbrowser's Azure backend beside rclone's azureblob backend, on one "
            f"Azurite (in memory) at 127.0.0.1; median of {runs}; MB = 2^20 bytes.",
            "  cloudbrowser = the backend's list_page, and TransferQueue with default options "
            "(verified); rclone = lsf / copy with its defaults.",
            f"  {keys:,} blobs listed; {files:,} files of 4 KiB; one file of {big_mib} MiB.",
        ]
    )
