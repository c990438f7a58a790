"""The ``gcs`` suite: cloudbrowser's GCS backend beside rclone's GCS backend, on one
fake-gcs-server (memory backend) on 127.0.0.1.

Cases: a recursive listing of ``keys`` objects, ``files`` small files up and down, one
``big_mib`` file up and down. cloudbrowser is the engine as the GUI and the CLI use it
(``TransferQueue`` with default options, in this process; a transfer counts only when it
is DONE and verified); rclone is ``rclone lsf``/``copy`` with its defaults over an
on-the-fly ``:gcs:`` remote (``RCLONE_GCS_*``: the emulator's endpoint, unsigned). Each
upload goes to a prefix of its own and is deleted after it was counted; a wrong count or
size is an error row, never a figure.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import limits
from results import ERROR, Result, result

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage
from tests.local_servers import fake_gcs, tool

SUITE = "gcs"
BUCKET = "bench-gcs"
SMALL_SIZE = 4 * 1024
MiB = 1024 * 1024
CLI_TIMEOUT = 900.0
LIST, UP_MANY, DOWN_MANY, UP_ONE, DOWN_ONE = "list", "up_many", "down_many", "up_one", "down_one"


class ToolError(Exception):
    pass


def run_gcs(keys: int, files: int, big_mib: int, runs: int) -> list[Result]:
    rows: list[Result] = []
    work = Path(tempfile.mkdtemp(prefix="cb-bench-gcs-"))
    try:
        with fake_gcs() as (url, _process):
            settings = ConnectionSettings(
                name="bench", kind="gcs", endpoint_url=url, auth="anonymous", project="bench"
            )
            storage = open_storage(settings)
            _progress(f"seeding {keys} keys, {files} small files, a {big_mib} MiB file")
            seed(storage, work, keys, files, big_mib)
            peers = {
                "cloudbrowser": cloudbrowser_ops(storage, work),
                "rclone": rclone_ops(url, work),
                # Not a client: the downloads' bound on this disk (limits.py).
                limits.LOCAL_LIMIT: {
                    DOWN_MANY: lambda dst: limits.durable_copies(work / "small", dst),
                    DOWN_ONE: lambda dst: limits.durable_copy(work / "big.bin", dst),
                },
            }
            cases: list[tuple[str, str, float, Callable[[str, dict[str, Any], int], None]]] = [
                (LIST, "keys/s", keys, lambda t, ops, r: ops[LIST](keys)),
                (UP_MANY, "files/s", files, lambda t, ops, r: ops[UP_MANY](f"up/{t}/r{r}/")),
                (
                    DOWN_MANY,
                    "files/s",
                    files,
                    lambda t, ops, r: ops[DOWN_MANY](work / f"d-{t}-{r}"),
                ),
                (
                    UP_ONE,
                    "MB/s",
                    big_mib * MiB / 1e6,
                    lambda t, ops, r: ops[UP_ONE](f"big/{t}-{r}.bin"),
                ),
                (
                    DOWN_ONE,
                    "MB/s",
                    big_mib * MiB / 1e6,
                    lambda t, ops, r: ops[DOWN_ONE](work / f"big-{t}-{r}.bin"),
                ),
            ]
            for case, unit, amount, step in cases:
                # The tools take turns run by run, each run starting one tool later, so
                # that what one leaves the server doing (the last case's clean-up) does
                # not fall on the runs of whichever tool comes first.
                seconds: dict[str, list[float]] = {name: [] for name in peers}
                failed: dict[str, str] = {}
                names = list(peers)
                for r in range(runs):
                    shift = r % len(names)
                    for name in names[shift:] + names[:shift]:
                        ops = peers[name]
                        if name in failed or case not in ops:
                            continue
                        _progress(f"{case}: {name} run {r + 1}/{runs}")
                        try:
                            start = time.perf_counter()
                            step(name, ops, r)
                            seconds[name].append(time.perf_counter() - start)
                            _progress(f"{case}: {name} {seconds[name][-1]:.2f} s")
                            cleanup(storage, work, case, name, r, files, big_mib)
                        except (ToolError, Exception) as exc:
                            failed[name] = f"{type(exc).__name__}: {exc}"
                for name, ops in peers.items():
                    if case not in ops:
                        continue  # a reference row for other cases
                    if name in failed:
                        rows.append(result(SUITE, case, name, failed[name], ERROR))
                        continue
                    median = statistics.median(seconds[name])
                    rows.append(result(SUITE, case, name, amount / median, unit))
                    rows.append(result(SUITE, case, name, median, "s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def seed(storage: Storage, work: Path, keys: int, files: int, big_mib: int) -> None:
    storage.create_bucket(BUCKET)
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda i: storage.put_object(BUCKET, f"list/k{i:07d}", b"x", content_md5=""),
                range(keys),
            )
        )
    small = work / "small"
    small.mkdir()
    for i in range(files):
        (small / f"f{i:05d}.bin").write_bytes(os.urandom(SMALL_SIZE))
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda p: storage.put_object(
                    BUCKET, f"seed/small/{p.name}", p.read_bytes(), content_md5=""
                ),
                sorted(small.iterdir()),
            )
        )
    big = work / "big.bin"
    with big.open("wb") as out:
        for _ in range(big_mib):
            out.write(os.urandom(MiB))
    uploads = cloudbrowser_ops(storage, work)
    uploads[UP_ONE]("seed/big.bin")


def cloudbrowser_ops(storage: Storage, work: Path) -> dict[str, Any]:
    from cloudbrowser.core.journal import Direction, Journal, State
    from cloudbrowser.core.keys import local_path_for
    from cloudbrowser.core.transfers import TransferQueue, TransferRequest

    def run(requests: list[TransferRequest]) -> None:
        queue = TransferQueue(lambda _name: storage, Journal(work / f"journal-{time.time_ns()}"))
        try:
            transfers = queue.add(requests)
            queue.wait(transfers)
        finally:
            queue.shutdown()
        bad = [t for t in transfers if t.state is not State.DONE or not t.verified]
        if bad:
            raise ToolError(
                f"{len(bad)} not done and verified: {bad[0].state} {bad[0].error} {bad[0].note}"
            )

    def upload(path: Path, key: str) -> TransferRequest:
        st = path.stat()
        return TransferRequest(
            Direction.UPLOAD, "bench", BUCKET, key, path, st.st_size, st.st_mtime
        )

    def down(prefix: str, dst: Path) -> None:
        resolved = dst.resolve()  # as the engine's plans resolve it: once, not per key
        run(
            [
                TransferRequest(
                    Direction.DOWNLOAD,
                    "bench",
                    BUCKET,
                    e.key,
                    local_path_for(e.key, prefix, dst, resolved_root=resolved),
                    e.size,
                    e.modified,
                    e.etag,
                )
                for page in iter_pages(storage, BUCKET, prefix, recursive=True)
                for e in page.objects
            ]
        )

    def down_one(dst: Path) -> None:
        info = storage.head_object(BUCKET, "seed/big.bin")
        run(
            [
                TransferRequest(
                    Direction.DOWNLOAD,
                    "bench",
                    BUCKET,
                    "seed/big.bin",
                    dst,
                    info.size,
                    info.modified,
                    info.etag,
                )
            ]
        )

    def listing(expected: int) -> None:
        count = sum(len(p.objects) for p in iter_pages(storage, BUCKET, "list/", recursive=True))
        if count != expected:
            raise ToolError(f"listed {count} keys, not {expected}")

    return {
        LIST: listing,
        UP_MANY: lambda prefix: run(
            [upload(p, f"{prefix}{p.name}") for p in sorted((work / "small").iterdir())]
        ),
        DOWN_MANY: lambda dst: down("seed/small/", dst),
        UP_ONE: lambda key: run([upload(work / "big.bin", key)]),
        DOWN_ONE: down_one,
    }


def rclone_ops(url: str, work: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "RCLONE_CONFIG": os.devnull,
        "RCLONE_GCS_ENDPOINT": f"{url}/storage/v1/",
        "RCLONE_GCS_ANONYMOUS": "true",
        "RCLONE_GCS_BUCKET_POLICY_ONLY": "true",
        "RCLONE_GCS_PROJECT_NUMBER": "bench",
    }
    rclone = tool("rclone")
    remote = f":gcs:{BUCKET}/"

    def cli(*args: str) -> str:
        try:
            proc = subprocess.run(
                [rclone, *args], env=env, capture_output=True, timeout=CLI_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ToolError(f"no answer after {CLI_TIMEOUT:.0f} s") from exc
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise ToolError(f"exit code {proc.returncode}: {' | '.join(tail)}")
        return proc.stdout.decode()

    def listing(expected: int) -> None:
        count = len(cli("lsf", "-R", "--files-only", f"{remote}list/").splitlines())
        if count != expected:
            raise ToolError(f"listed {count} keys, not {expected}")

    return {
        LIST: listing,
        UP_MANY: lambda prefix: cli("copy", str(work / "small"), f"{remote}{prefix}"),
        DOWN_MANY: lambda dst: cli("copy", f"{remote}seed/small/", str(dst)),
        UP_ONE: lambda key: cli("copyto", str(work / "big.bin"), f"{remote}{key}"),
        DOWN_ONE: lambda dst: cli("copyto", f"{remote}seed/big.bin", str(dst)),
    }


def cleanup(
    storage: Storage, work: Path, case: str, name: str, r: int, files: int, big_mib: int
) -> None:
    """Count what arrived, then delete it (uploads on the server, downloads on disk)."""
    if case == UP_MANY:
        prefix = f"up/{name}/r{r}/"
        found = [e for p in iter_pages(storage, BUCKET, prefix, recursive=True) for e in p.objects]
        if len(found) != files or any(e.size != SMALL_SIZE for e in found):
            raise ToolError(f"{len(found)} files arrived, not {files}")
        for e in found:
            storage.delete_object(BUCKET, e.key)
    elif case == DOWN_MANY:
        folder = work / f"d-{name}-{r}"
        got = [p for p in folder.rglob("*") if p.is_file()]
        if len(got) != files:
            raise ToolError(f"{len(got)} files arrived, not {files}")
        shutil.rmtree(folder)
    elif case == UP_ONE:
        key = f"big/{name}-{r}.bin"
        if storage.head_object(BUCKET, key).size != big_mib * MiB:
            raise ToolError("the big file arrived with the wrong size")
        storage.delete_object(BUCKET, key)
    elif case == DOWN_ONE:
        path = work / f"big-{name}-{r}.bin"
        if path.stat().st_size != big_mib * MiB:
            raise ToolError("the big file arrived with the wrong size")
        path.unlink()


def _progress(message: str) -> None:
    print(f"[gcs] {message}", file=sys.stderr, flush=True)


def describe(keys: int, files: int, big_mib: int, runs: int) -> str:
    return "\n".join(
        [
            f"gcs: fake-gcs-server (memory) on 127.0.0.1; median of {runs} runs per tool, "
            "the tools taking turns run by run.",
            f"  list = recursive listing of {keys:,} keys; up/down_many = {files:,} files of "
            f"4 KiB; up/down_one = one {big_mib} MiB file.",
            "  cloudbrowser = TransferQueue with default options, verified (MD5; CRC32C "
            "in ranges);",
            "  rclone = rclone lsf/copy with its defaults, GCS backend on the same emulator.",
        ]
    )
