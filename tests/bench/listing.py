"""The ``listing`` suite: a full recursive listing of many keys, cloudbrowser beside its peers.

The keys are written as files into a temporary folder first (fast, and ``rclone serve s3``
only sees folders that exist when it starts), split into sub-prefixes because rclone lists
one flat folder superlinearly (DESIGN §7). Then each tool lists ``bench/`` recursively
against the same server, ``runs`` times, in interleaved rounds so drift hits every tool alike.
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
from dataclasses import dataclass, field
from pathlib import Path

from results import ERROR, Result, result
from servers import REGION, Server, isolated_env, rclone_s3, tool

SUITE = "listing"
BUCKET = "bench-listing"
PREFIX = "bench/"
#: Sub-prefixes the keys are split into (``bench/d000/`` ...).
SUB_PREFIXES = 100
#: A peer CLI that takes longer than this for one listing has failed.
CLI_TIMEOUT = 900.0


class ToolError(Exception):
    """A tool exited badly or saw the wrong number of keys."""


@dataclass
class Lister:
    """One way of listing ``bench/``: ``count()`` lists everything and returns the key count.

    ``in_process`` listers run in this Python (their CPU is ``time.process_time``); the others
    are child processes (their CPU is the children's times, start-up included).
    """

    tool: str
    count: Callable[[], int]
    in_process: bool
    seconds: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    error: str = ""


# ── seeding ──────────────────────────────────────────────────────────────────────────────


def seed(root: Path, keys: int, sub_prefixes: int = SUB_PREFIXES) -> None:
    """Write ``keys`` small files as ``root/BUCKET/bench/dNNN/kNNNNN.txt``."""
    width = max(5, len(str(keys - 1)))
    base = root / BUCKET / PREFIX.rstrip("/")
    dirs = [base / f"d{d:03d}" for d in range(sub_prefixes)]
    for d in dirs:
        d.mkdir(parents=True)
    for i in range(keys):
        d = dirs[i * sub_prefixes // keys]
        (d / f"k{i:0{width}d}.txt").write_bytes(b"%d\n" % i)


# ── the tools ────────────────────────────────────────────────────────────────────────────


def cloudbrowser_lister(server: Server) -> Callable[[], int]:
    """cloudbrowser's engine; the backend is created and warmed here, outside the timing."""
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.s3 import S3Backend

    backend = S3Backend(
        ConnectionSettings(
            name="bench", endpoint_url=server.url, region=REGION, addressing_style="path"
        ),
        Credentials(server.key, server.secret),
    )
    backend.list_buckets()

    def count() -> int:
        return sum(len(page.objects) for page in backend.iter_pages(BUCKET, PREFIX, recursive=True))

    return count


def boto3_lister(server: Server) -> Callable[[], int]:
    """A bare boto3 ``list_objects_v2`` paginator; the client is created outside the timing."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=server.key,
        aws_secret_access_key=server.secret,
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
    )
    client.list_buckets()

    def count() -> int:
        paginator = client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=BUCKET, Prefix=PREFIX)
        return sum(len(page.get("Contents", [])) for page in pages)

    return count


def cli_lister(argv: list[str], env: dict[str, str]) -> Callable[[], int]:
    """A peer CLI that prints one line per key; counts its non-empty output lines."""

    def count() -> int:
        try:
            proc = subprocess.run(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=CLI_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ToolError(f"no answer after {CLI_TIMEOUT:.0f} s") from exc
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            said = " | ".join(tail) or "nothing on stderr"
            raise ToolError(f"exit code {proc.returncode}: {said}")
        return sum(1 for line in proc.stdout.splitlines() if line.strip())

    return count


def listers(server: Server, home: Path) -> list[Lister]:
    env = isolated_env(server, home)
    # rclone's on-the-fly remote ":s3:" reads its options from RCLONE_S3_* variables, so the
    # endpoint URL needs no quoting inside a connection string.
    rclone_env = {
        **env,
        "RCLONE_S3_PROVIDER": "Other",
        "RCLONE_S3_ACCESS_KEY_ID": server.key,
        "RCLONE_S3_SECRET_ACCESS_KEY": server.secret,
        "RCLONE_S3_ENDPOINT": server.url,
        "RCLONE_S3_REGION": REGION,
        "RCLONE_S3_FORCE_PATH_STYLE": "true",
    }
    rclone_lsf = [tool("rclone"), "lsf", "-R", "--files-only", f":s3:{BUCKET}/{PREFIX}"]
    made: list[Lister] = []
    factories: list[tuple[str, Callable[[], Callable[[], int]], bool]] = [
        ("cloudbrowser", lambda: cloudbrowser_lister(server), True),
        ("boto3 paginator", lambda: boto3_lister(server), True),
        (
            "s5cmd ls",
            lambda: cli_lister(
                [tool("s5cmd"), "--endpoint-url", server.url, "ls", f"s3://{BUCKET}/{PREFIX}*"],
                env,
            ),
            False,
        ),
        ("rclone lsf -R", lambda: cli_lister(rclone_lsf, rclone_env), False),
        (
            "rclone lsf -R --fast-list",
            lambda: cli_lister([*rclone_lsf, "--fast-list"], rclone_env),
            False,
        ),
        (
            "aws s3 ls --recursive",
            lambda: cli_lister(
                [
                    tool("aws"),
                    "s3",
                    "ls",
                    "--recursive",
                    f"s3://{BUCKET}/{PREFIX}",
                    "--endpoint-url",
                    server.url,
                ],
                env,
            ),
            False,
        ),
    ]
    for name, factory, in_process in factories:
        try:
            made.append(Lister(name, factory(), in_process))
        except Exception as exc:  # a tool that cannot even start is an error row
            made.append(Lister(name, lambda: 0, in_process, error=f"set-up failed: {exc!r}"))
    return made


# ── measuring ────────────────────────────────────────────────────────────────────────────


def _server_cpu(pid: int) -> Callable[[], float]:
    """The server's CPU seconds so far (psutil), or NaN when psutil is missing."""
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return lambda: float("nan")
    proc = psutil.Process(pid)

    def cpu() -> float:
        t = proc.cpu_times()
        return float(t.user + t.system)

    return cpu


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def measure(lister: Lister, expected: int, server_cpu: Callable[[], float]) -> None:
    """One timed listing; appends its numbers to ``lister`` or sets ``lister.error``."""
    client_cpu = time.process_time if lister.in_process else _children_cpu
    cpu0, server0 = client_cpu(), server_cpu()
    start = time.perf_counter()
    try:
        seen = lister.count()
    except Exception as exc:
        lister.error = f"{type(exc).__name__}: {exc}"
        return
    elapsed = time.perf_counter() - start
    cpu1, server1 = client_cpu(), server_cpu()
    if seen != expected:
        lister.error = f"saw {seen:,} keys, expected {expected:,}"
        return
    lister.seconds.append(elapsed)
    lister.client_cpu.append(cpu1 - cpu0)
    lister.server_cpu.append(server1 - server0)


def run_listing(keys: int, runs: int) -> list[Result]:
    """Seed ``keys`` keys, serve them with rclone, and list them with every tool."""
    case = f"full listing, {keys:,} keys in {SUB_PREFIXES} sub-prefixes"
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-listing-"))
    rows: list[Result] = []
    try:
        data = workdir / "data"
        started = time.perf_counter()
        seed(data, keys)
        _progress(f"seeded {keys:,} files in {time.perf_counter() - started:.1f} s")
        with rclone_s3(data) as server:
            all_listers = listers(server, workdir / "home")
            server_cpu = _server_cpu(server.pid)
            # One untimed pass fills rclone's directory cache so every tool meets a warm server.
            started = time.perf_counter()
            warm = boto3_lister(server)()
            _progress(f"warm-up listing: {warm:,} keys in {time.perf_counter() - started:.1f} s")
            for round_no in range(runs):
                # Rotate the order each round so no tool always runs first or last.
                shift = round_no % len(all_listers)
                for lister in all_listers[shift:] + all_listers[:shift]:
                    if lister.error:
                        continue
                    measure(lister, keys, server_cpu)
                    last = f"{lister.seconds[-1]:.2f} s" if not lister.error else lister.error
                    _progress(f"round {round_no + 1}/{runs}  {lister.tool:<26} {last}")
            for lister in all_listers:
                rows.extend(_rows(case, lister, keys))
            rows.extend(gui_listing_cases(server.url, server.key, server.secret, BUCKET))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _rows(case: str, lister: Lister, keys: int) -> list[Result]:
    if lister.error:
        return [result(SUITE, case, lister.tool, lister.error, ERROR)]
    seconds = statistics.median(lister.seconds)
    return [
        result(SUITE, case, lister.tool, keys / seconds, "keys/s"),
        result(SUITE, case, lister.tool, seconds, "s"),
        result(SUITE, case, lister.tool, statistics.median(lister.client_cpu), "s client CPU"),
        result(SUITE, case, lister.tool, statistics.median(lister.server_cpu), "s server CPU"),
    ]


def _progress(message: str) -> None:
    print(f"  [{SUITE}] {message}", file=sys.stderr, flush=True)


# ── the GUI (to be filled in once the window exists) ─────────────────────────────────────


def gui_listing_cases(url: str, key: str, secret: str, bucket: str) -> list[Result]:
    """GUI listing benchmarks against the server at ``url``. NOT YET IMPLEMENTED: returns [].

    Will measure, in the real window (offscreen) against ``bucket`` on ``url``:

    * time from navigating to a folder to the first rows painted (bar: < 300 ms);
    * the longest event-loop stall while the GUI lists a large folder, seen by a heartbeat
      ``QTimer`` that records the gap between its ticks (bar: max < 50 ms);
    * RSS growth per 100,000 loaded rows, above the empty window (bar: < 30 MB per 100k,
      i.e. < 300 MB for 1M keys).
    """
    del url, key, secret, bucket
    return []


def describe(keys: int, runs: int) -> str:
    return "\n".join(
        [
            f"listing: full recursive listing of s3://{BUCKET}/{PREFIX} ({keys:,} keys in "
            f"{SUB_PREFIXES} sub-prefixes) on `rclone serve s3` at 127.0.0.1, median of {runs}.",
            "  cloudbrowser = S3Backend.iter_pages(recursive=True); it and the boto3 paginator "
            "are created and warmed (one list_buckets) before timing, so client creation is not "
            "measured.",
            "  The CLIs are timed as whole processes, start-up included. Client CPU = this "
            "process (in-process tools) or the child's CPU; server CPU = rclone serve's.",
            f"  Host: {os.cpu_count()} CPUs shared by client and server.",
        ]
    )
