"""The ``transfers`` suite: many small files and one big file, up and down, cloudbrowser's
transfer engine beside s5cmd, rclone, aws-cli and a bare boto3 TransferManager.

Everything runs against one ``rclone serve s3`` on 127.0.0.1. The download sources are
written as files into the server's folder before it starts (``seed/small/`` and
``seed/big.bin``) and warmed with one untimed listing and HEAD, so rclone has hashed them
before anyone is timed. Each upload goes to a prefix of its own (``up/TOOL/rN/``) and is
deleted after it was counted; each download goes to a fresh local folder, counted and
removed. A wrong count or size is an error row, never a figure.
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

import limits
from results import ERROR, Result, result
from servers import REGION, Server, children_cpu, isolated_env, rclone_s3, server_cpu_meter

from cloudbrowser.core.paging import iter_pages
from tests.local_servers import tool

SUITE = "transfers"
BUCKET = "bench-transfers"
SMALL_SIZE = 4 * 1024
MiB = 1024 * 1024
#: A peer CLI that takes longer than this for one case has failed.
CLI_TIMEOUT = 900.0
#: The bare boto3 baseline: TransferManager with this many threads and part size.
BOTO3_THREADS = 16
BOTO3_PART = 16 * MiB

UP_MANY, DOWN_MANY, UP_ONE, DOWN_ONE = "up_many", "down_many", "up_one", "down_one"


class ToolError(Exception):
    """A tool exited badly, or what arrived has the wrong count or size."""


@dataclass
class Peer:
    """One way of transferring: four operations, each raising ToolError on failure.

    ``up_many(src_dir, prefix)``, ``down_many(prefix, dst_dir)``, ``up_one(file, key)``,
    ``down_one(key, dst_file)``. ``in_process`` peers run in this Python (CPU:
    ``time.process_time``); the others are child processes (CPU: the children's times).
    """

    tool: str
    ops: dict[str, Callable[[Any, Any], None]]
    in_process: bool
    error: str = ""


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    error: str = ""


# ── data ─────────────────────────────────────────────────────────────────────────────────


def make_data(src: Path, root: Path, files: int, big_bytes: int) -> None:
    """``files`` random 4 KiB files in ``src/small/`` and a random ``src/big.bin``, each
    hard-linked into the server's folder as ``BUCKET/seed/...`` (no second copy)."""
    small = src / "small"
    small.mkdir(parents=True)
    seed = root / BUCKET / "seed" / "small"
    seed.mkdir(parents=True)
    width = max(5, len(str(files - 1)))
    for i in range(files):
        path = small / f"f{i:0{width}d}.bin"
        path.write_bytes(os.urandom(SMALL_SIZE))
        os.link(path, seed / path.name)
    with (src / "big.bin").open("wb") as f:
        left = big_bytes
        while left:
            chunk = min(left, 8 * MiB)
            f.write(os.urandom(chunk))
            left -= chunk
    os.link(src / "big.bin", root / BUCKET / "seed" / "big.bin")


# ── the tools ────────────────────────────────────────────────────────────────────────────


def boto3_client(server: Server, pool: int = 32) -> Any:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=server.key,
        aws_secret_access_key=server.secret,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard"},
            max_pool_connections=pool,
        ),
    )
    client.list_buckets()  # created and warmed outside the timing
    return client


def cloudbrowser_peer(server: Server, journal: Path) -> Peer:
    """The engine as the GUI and CLI use it: TransferQueue with default options, in-process.

    A transfer counts when it is DONE (verified); anything else is an error.
    """
    from cloudbrowser.core.backends.s3.backend import S3Backend
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.journal import Direction, Journal, State
    from cloudbrowser.core.keys import local_path_for
    from cloudbrowser.core.transfers import TransferQueue, TransferRequest

    settings = ConnectionSettings(
        name="bench", endpoint_url=server.url, region=REGION, addressing_style="path"
    )
    backend = S3Backend(settings, Credentials(server.key, server.secret))
    backend.list_buckets()
    queue = TransferQueue(lambda _name: backend, Journal(journal))

    def run(requests: list[TransferRequest]) -> None:
        transfers = queue.add(requests)
        queue.wait(transfers)
        bad = [t for t in transfers if t.state is not State.DONE]
        unverified = [t for t in transfers if not t.verified]
        queue.forget_finished()
        if bad:
            raise ToolError(f"{len(bad)} not done, first: {bad[0].state} {bad[0].error}")
        if unverified:
            raise ToolError(f"{len(unverified)} unverified, first: {unverified[0].note}")

    def upload(path: Path, key: str) -> TransferRequest:
        st = path.stat()
        return TransferRequest(
            Direction.UPLOAD, "bench", BUCKET, key, path, st.st_size, st.st_mtime
        )

    def up_many(src: Any, prefix: Any) -> None:
        run([upload(p, f"{prefix}{p.name}") for p in sorted(Path(src).iterdir())])

    def down_many(prefix: Any, dst: Any) -> None:
        resolved = Path(dst).resolve()  # as the engine's plans resolve it: once
        requests = [
            TransferRequest(
                Direction.DOWNLOAD,
                "bench",
                BUCKET,
                e.key,
                local_path_for(e.key, str(prefix), Path(dst), resolved_root=resolved),
                e.size,
                e.modified,
                e.etag,
            )
            for page in iter_pages(backend, BUCKET, str(prefix), recursive=True)
            for e in page.objects
        ]
        run(requests)

    def up_one(src: Any, key: Any) -> None:
        run([upload(Path(src), str(key))])

    def down_one(key: Any, dst: Any) -> None:
        info = backend.head_object(BUCKET, str(key))
        run(
            [
                TransferRequest(
                    Direction.DOWNLOAD,
                    "bench",
                    BUCKET,
                    str(key),
                    Path(dst),
                    info.size,
                    info.modified,
                    info.etag,
                )
            ]
        )

    ops = {UP_MANY: up_many, DOWN_MANY: down_many, UP_ONE: up_one, DOWN_ONE: down_one}
    return Peer("cloudbrowser", ops, in_process=True)


def boto3_peer(server: Server) -> Peer:
    """A bare boto3 TransferManager (16 threads, 16 MiB parts), one manager per operation
    so every transfer of a batch is in flight together."""
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    client = boto3_client(server, pool=BOTO3_THREADS * 2)
    config = TransferConfig(
        max_concurrency=BOTO3_THREADS,
        multipart_threshold=BOTO3_PART,
        multipart_chunksize=BOTO3_PART,
    )

    def each(submit: Callable[[Any], list[Any]]) -> None:
        with create_transfer_manager(client, config) as manager:
            for future in submit(manager):
                future.result()

    def up_many(src: Any, prefix: Any) -> None:
        each(
            lambda m: [
                m.upload(str(p), BUCKET, f"{prefix}{p.name}") for p in sorted(Path(src).iterdir())
            ]
        )

    def down_many(prefix: Any, dst: Any) -> None:
        keys = [
            o["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, Prefix=str(prefix)
            )
            for o in page.get("Contents", [])
        ]
        Path(dst).mkdir(parents=True, exist_ok=True)
        each(
            lambda m: [m.download(BUCKET, k, str(Path(dst) / k[len(str(prefix)) :])) for k in keys]
        )

    def up_one(src: Any, key: Any) -> None:
        each(lambda m: [m.upload(str(src), BUCKET, str(key))])

    def down_one(key: Any, dst: Any) -> None:
        each(lambda m: [m.download(BUCKET, str(key), str(dst))])

    ops = {UP_MANY: up_many, DOWN_MANY: down_many, UP_ONE: up_one, DOWN_ONE: down_one}
    return Peer(f"boto3 TransferManager ×{BOTO3_THREADS}", ops, in_process=True)


def cli(argv: list[str], env: dict[str, str]) -> None:
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
        raise ToolError(f"exit code {proc.returncode}: {' | '.join(tail) or 'no stderr'}")


def cli_peers(server: Server, home: Path) -> list[Peer]:
    env = isolated_env(server, home)
    # rclone's on-the-fly remote ":s3:" reads its options from RCLONE_S3_* variables.
    rclone_env = {
        **env,
        "RCLONE_S3_PROVIDER": "Other",
        "RCLONE_S3_ACCESS_KEY_ID": server.key,
        "RCLONE_S3_SECRET_ACCESS_KEY": server.secret,
        "RCLONE_S3_ENDPOINT": server.url,
        "RCLONE_S3_REGION": REGION,
        "RCLONE_S3_FORCE_PATH_STYLE": "true",
    }
    s5 = [tool("s5cmd"), "--endpoint-url", server.url]
    rclone = [tool("rclone")]
    aws = [tool("aws"), "--endpoint-url", server.url, "s3"]
    s3 = f"s3://{BUCKET}/"
    remote = f":s3:{BUCKET}/"

    def s5cmd_ops() -> dict[str, Callable[[Any, Any], None]]:
        return {
            UP_MANY: lambda src, prefix: cli([*s5, "cp", f"{src}/*", f"{s3}{prefix}"], env),
            DOWN_MANY: lambda prefix, dst: cli([*s5, "cp", f"{s3}{prefix}*", f"{dst}/"], env),
            UP_ONE: lambda src, key: cli([*s5, "cp", str(src), f"{s3}{key}"], env),
            DOWN_ONE: lambda key, dst: cli([*s5, "cp", f"{s3}{key}", str(dst)], env),
        }

    def rclone_ops() -> dict[str, Callable[[Any, Any], None]]:
        def copy(src: str, dst: str) -> None:
            cli([*rclone, "copy", src, dst], rclone_env)

        return {
            UP_MANY: lambda src, prefix: copy(str(src), f"{remote}{prefix}"),
            DOWN_MANY: lambda prefix, dst: copy(f"{remote}{prefix}", str(dst)),
            # copy a file into a folder: the key is folder + the file's name
            UP_ONE: lambda src, key: copy(str(src), f"{remote}{str(key).rpartition('/')[0]}"),
            DOWN_ONE: lambda key, dst: copy(f"{remote}{key}", str(Path(dst).parent)),
        }

    def aws_ops() -> dict[str, Callable[[Any, Any], None]]:
        quiet = ["--only-show-errors"]
        return {
            UP_MANY: lambda src, prefix: cli(
                [*aws, "cp", "--recursive", *quiet, str(src), f"{s3}{prefix}"], env
            ),
            DOWN_MANY: lambda prefix, dst: cli(
                [*aws, "cp", "--recursive", *quiet, f"{s3}{prefix}", str(dst)], env
            ),
            UP_ONE: lambda src, key: cli([*aws, "cp", *quiet, str(src), f"{s3}{key}"], env),
            DOWN_ONE: lambda key, dst: cli([*aws, "cp", *quiet, f"{s3}{key}", str(dst)], env),
        }

    return [
        Peer("s5cmd cp", s5cmd_ops(), in_process=False),
        Peer("rclone copy", rclone_ops(), in_process=False),
        Peer("aws s3 cp", aws_ops(), in_process=False),
    ]


def local_limit_peer(src: Path) -> Peer:
    """Not a client: the local half of a durable download alone (limits.py), the seeded
    files the server serves copied from the page cache, no network."""
    ops: dict[str, Callable[[Any, Any], None]] = {
        DOWN_MANY: lambda _prefix, dst: limits.durable_copies(src / "small", Path(dst)),
        DOWN_ONE: lambda _key, dst: limits.durable_copy(src / "big.bin", Path(dst)),
    }
    return Peer(limits.LOCAL_LIMIT, ops, in_process=True)


def md5_limit_peer(src: Path) -> Peer:
    """Not a client: the big file's MD5 on one core (limits.py); the case's "download" is
    then a hard link, so that the count after it holds."""

    def down_one(_key: Any, dst: Any) -> None:
        limits.md5_of(src / "big.bin")
        os.link(src / "big.bin", dst)

    return Peer(limits.MD5_LIMIT, {DOWN_ONE: down_one}, in_process=True)


# ── measuring ────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Case:
    """One measured operation: ``op`` of every peer, then ``check`` counts what arrived."""

    name: str
    op: str
    files: int
    bytes: int


def _remote(client: Any, prefix: str) -> dict[str, int]:
    return {
        o["Key"]: int(o["Size"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        for o in page.get("Contents", [])
    }


def _local(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()
    }


def _check(seen: dict[str, int], files: int, size: int) -> None:
    if len(seen) != files:
        raise ToolError(f"{len(seen):,} files arrived, expected {files:,}")
    wrong = [name for name, n in seen.items() if n != size]
    if wrong:
        raise ToolError(f"{len(wrong)} files have the wrong size, first: {wrong[0]}")


def run_transfers(files: int, big_mib: int, runs: int) -> list[Result]:
    """Seed the data, serve it with rclone, and run every case with every peer ``runs``
    times, in interleaved rounds (the order rotates each round)."""
    big = big_mib * MiB
    cases = [
        Case(f"{files:,} × 4 KiB files up", UP_MANY, files, files * SMALL_SIZE),
        Case(f"{files:,} × 4 KiB files down", DOWN_MANY, files, files * SMALL_SIZE),
        Case(f"one {big_mib:,} MiB file up", UP_ONE, 1, big),
        Case(f"one {big_mib:,} MiB file down", DOWN_ONE, 1, big),
    ]
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-transfers-"))
    rows: list[Result] = []
    try:
        src, root, dst = workdir / "src", workdir / "server", workdir / "dst"
        started = time.perf_counter()
        make_data(src, root, files, big)
        _progress(
            f"wrote {files:,} × 4 KiB + {big_mib:,} MiB in {time.perf_counter() - started:.1f} s"
        )
        with rclone_s3(root) as server:
            client = boto3_client(server)
            # rclone hashes a file when it is first listed or HEADed: do it once, untimed.
            started = time.perf_counter()
            if len(_remote(client, "seed/small/")) != files:
                raise RuntimeError("the server does not list the seeded files")
            client.head_object(Bucket=BUCKET, Key="seed/big.bin")
            _progress(f"warm-up listing and HEAD in {time.perf_counter() - started:.1f} s")
            peers = _peers(server, workdir, src)
            timings = {(c.name, p.tool): Timing() for c in cases for p in peers}
            server_cpu = server_cpu_meter(server.pid)
            for round_no in range(runs):
                shift = round_no % len(peers)
                for case in cases:
                    for peer in peers[shift:] + peers[:shift]:
                        timing = timings[(case.name, peer.tool)]
                        if peer.error or timing.error or case.op not in peer.ops:
                            continue
                        _measure(case, peer, timing, round_no, src, dst, client, server_cpu)
                        last = f"{timing.seconds[-1]:.2f} s" if not timing.error else timing.error
                        _progress(
                            f"round {round_no + 1}/{runs}  {case.name:<28} {peer.tool:<26} {last}"
                        )
            for case in cases:
                for peer in peers:
                    if not peer.error and case.op not in peer.ops:
                        continue  # a reference row for other cases
                    error = peer.error or timings[(case.name, peer.tool)].error
                    rows.extend(_rows(case, peer.tool, timings[(case.name, peer.tool)], error))
            rows.extend(gui_case(server, src / "small", files, runs))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def gui_case(server: Server, folder: Path, files: int, runs: int = 1) -> list[Result]:
    """The window (offscreen, its own process) uploads a drop of the small files: how fast,
    and the longest event-loop stall meanwhile (bar: < 50 ms). ``runs`` drops, each into a
    fresh window: the medians (one drop's longest stall is one sample of a noisy figure)."""
    case = f"GUI: drop of {files:,} × 4 KiB files"
    tool_name = "cloudbrowser window"
    argv = [
        sys.executable,
        str(Path(__file__).with_name("gui_transfers.py")),
        *("--url", server.url, "--key", server.key, "--secret", server.secret),
        *("--bucket", BUCKET, "--folder", str(folder)),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLOUDBROWSER_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    drops: list[dict[str, Any]] = []
    for run in range(max(1, runs)):
        _progress(f"{case}: running the window ({run + 1}/{max(1, runs)})")
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
            lines = done.stdout.strip().splitlines()
            figures = json.loads(lines[-1]) if lines else {}
        except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            return [result(SUITE, case, tool_name, f"failed: {exc!r}", ERROR)]
        if done.returncode or figures.get("verified") != files:
            detail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            return [result(SUITE, case, tool_name, f"failed: {figures} {detail[0]}", ERROR)]
        drops.append(figures)

    def median(name: str) -> float:
        return float(statistics.median(d[name] for d in drops))

    return [
        result(SUITE, case, tool_name, median("files_per_s"), "files/s"),
        result(SUITE, case, tool_name, median("max_stall_ms"), "ms max stall"),
        result(SUITE, case, tool_name, median("p99_stall_ms"), "ms p99 stall"),
    ]


def _peers(server: Server, workdir: Path, src: Path) -> list[Peer]:
    made: list[Peer] = []
    factories: list[tuple[str, Callable[[], list[Peer]]]] = [
        ("cloudbrowser", lambda: [cloudbrowser_peer(server, workdir / "journal.sqlite3")]),
        ("s5cmd, rclone, aws", lambda: cli_peers(server, workdir / "home")),
        ("boto3", lambda: [boto3_peer(server)]),
        ("limits", lambda: [local_limit_peer(src), md5_limit_peer(src)]),
    ]
    for name, factory in factories:
        try:
            made.extend(factory())
        except Exception as exc:  # a tool that cannot even start is an error row
            made.append(Peer(name, {}, in_process=False, error=f"set-up failed: {exc!r}"))
    return made


def _slug(tool_name: str) -> str:
    return tool_name.split()[0].lower()


def _measure(
    case: Case,
    peer: Peer,
    timing: Timing,
    round_no: int,
    src: Path,
    dst: Path,
    client: Any,
    server_cpu: Callable[[], float],
) -> None:
    """One timed run of ``case`` by ``peer``; then count what arrived and clean it up."""
    where = f"{_slug(peer.tool)}/r{round_no}/"
    up_prefix = f"up/{where}"
    local = dst / where
    local.mkdir(parents=True)
    args: tuple[Any, Any] = {
        UP_MANY: (src / "small", f"{up_prefix}small/"),
        DOWN_MANY: ("seed/small/", local),
        UP_ONE: (src / "big.bin", f"{up_prefix}big.bin"),
        DOWN_ONE: ("seed/big.bin", local / "big.bin"),
    }[case.op]
    client_cpu = time.process_time if peer.in_process else children_cpu
    cpu0, server0 = client_cpu(), server_cpu()
    start = time.perf_counter()
    try:
        peer.ops[case.op](*args)
        elapsed = time.perf_counter() - start
        cpu1, server1 = client_cpu(), server_cpu()
        size = case.bytes // case.files
        seen = _remote(client, up_prefix) if case.op in (UP_MANY, UP_ONE) else _local(local)
        _check(seen, case.files, size)
    except Exception as exc:
        timing.error = f"{type(exc).__name__}: {exc}"
        return
    finally:
        shutil.rmtree(local, ignore_errors=True)
        _delete_prefix(client, up_prefix)
    timing.seconds.append(elapsed)
    timing.client_cpu.append(cpu1 - cpu0)
    timing.server_cpu.append(server1 - server0)


def _delete_prefix(client: Any, prefix: str) -> None:
    keys = list(_remote(client, prefix))
    for i in range(0, len(keys), 1000):
        client.delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]]}
        )


def _rows(case: Case, tool_name: str, timing: Timing, error: str) -> list[Result]:
    if error:
        return [result(SUITE, case.name, tool_name, error, ERROR)]
    seconds = statistics.median(timing.seconds)
    cpu = statistics.median(timing.client_cpu)
    rows = []
    if case.files > 1:
        rows.append(result(SUITE, case.name, tool_name, case.files / seconds, "files/s"))
    rows += [
        result(SUITE, case.name, tool_name, case.bytes / MiB / seconds, "MB/s"),
        result(SUITE, case.name, tool_name, seconds, "s"),
        result(SUITE, case.name, tool_name, cpu, "s client CPU"),
    ]
    if case.files > 1:
        rows.append(result(SUITE, case.name, tool_name, cpu / case.files * 1000, "ms CPU/file"))
    rows.append(
        result(SUITE, case.name, tool_name, statistics.median(timing.server_cpu), "s server CPU")
    )
    return rows


def _progress(message: str) -> None:
    print(f"  [{SUITE}] {message}", file=sys.stderr, flush=True)


def describe(files: int, big_mib: int, runs: int) -> str:
    return "\n".join(
        [
            f"transfers: {files:,} × 4 KiB files and one {big_mib:,} MiB file, up and down, on "
            f"`rclone serve s3` at 127.0.0.1, median of {runs}; MB = 2^20 bytes.",
            "  cloudbrowser = TransferQueue with default options (8 files, 8 parts at once, "
            "8 MiB parts; every transfer verified, every download fsynced and renamed), "
            "in-process, client created and warmed before timing; the small-file download "
            "includes listing the prefix.",
            f"  boto3 = a bare TransferManager, {BOTO3_THREADS} threads, {BOTO3_PART // MiB} MiB "
            "parts, in-process. The CLIs run with their defaults and are timed as whole "
            "processes, start-up included.",
            "  Client CPU = this process (in-process tools) or the child's; server CPU = "
            "rclone serve's. Every run's files are counted and sized afterwards.",
            f"  GUI = the window (offscreen, a process of its own) dropping the small files, "
            f"{runs} drops, medians: upload rate, longest and 99th-percentile event-loop stall.",
            f"  Host: {os.cpu_count()} CPUs shared by client and server.",
        ]
    )
