"""The ``operations`` suite: delete many keys and rename (move) a prefix on the server,
cloudbrowser's operations engine beside s5cmd, rclone and aws-cli.

Everything runs against one ``rclone serve s3`` on 127.0.0.1. Every tool gets keys of its
own for every run, written as files into the server's folder *before* it starts (rclone
does not see folders created after it starts, and lists a flat folder superlinearly, so the
keys sit in sub-prefixes of 1,000 or fewer; docs/architecture.md §7):

* ``del/TOOL/rN/dNN/kNNNNN.txt`` — ``--keys`` keys (default 10,000) to delete;
* ``mv/TOOL/rN/src/dNN/kNNNNN.txt`` — ``--move-keys`` keys (default 1,000) to rename to
  ``mv/TOOL/rN/dst/``;
* ``size/dNN/kNNNNN.txt`` — ``--keys`` keys, shared, whose total every tool counts ("folder
  size": cloudbrowser's fan-out over sub-prefixes beside one recursive listing, ``du`` and
  the peers' equivalents).

Rounds are interleaved (the order of the tools rotates). After each run the prefixes are
counted: nothing may be left under what was deleted or moved, and a move's destination must
hold every key. A wrong count is an error row, never a figure.
"""

from __future__ import annotations

import os
import re
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
from transfers import ToolError, boto3_client, cli

from tests.local_servers import tool

SUITE = "operations"
BUCKET = "bench-operations"
#: Keys per sub-prefix of the seeded data (rclone serve s3 lists big flat folders slowly).
PER_FOLDER = 1000
DELETE, MOVE, SIZE = "delete", "move", "size"
SIZE_PREFIX = "size/"

#: A way of running one case on ``prefix``: delete every key below it, move ``prefix/src/``
#: to ``prefix/dst/``, or count what is below it (returning the count, or a command's
#: output that must show it).
Op = Callable[[str], object]


@dataclass
class Tool:
    """One tool: its two operations, and what was measured."""

    name: str
    ops: dict[str, Op]
    in_process: bool
    #: Requests sent so far (in-process tools only), else None.
    requests: Callable[[], int] | None = None
    seconds: dict[str, list[float]] = field(default_factory=dict)
    client_cpu: dict[str, list[float]] = field(default_factory=dict)
    server_cpu: dict[str, list[float]] = field(default_factory=dict)
    sent: dict[str, list[int]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# ── data ─────────────────────────────────────────────────────────────────────────────────


def _slug(name: str) -> str:
    return name.split()[0].lower() + ("-cli" if name.endswith("CLI") else "")


def seed(root: Path, names: list[str], runs: int, delete_keys: int, move_keys: int) -> None:
    """Write every tool's keys for every run as files below ``root/BUCKET``."""
    base = root / BUCKET
    for name in names:
        for r in range(runs):
            _write(base / "del" / _slug(name) / f"r{r}", delete_keys)
            _write(base / "mv" / _slug(name) / f"r{r}" / "src", move_keys)
    _write(base / SIZE_PREFIX.rstrip("/"), delete_keys)


def _write(folder: Path, keys: int) -> None:
    width = max(5, len(str(keys - 1)))
    for start in range(0, keys, PER_FOLDER):
        d = folder / f"d{start // PER_FOLDER:02d}"
        d.mkdir(parents=True)
        for i in range(start, min(keys, start + PER_FOLDER)):
            (d / f"k{i:0{width}d}.txt").write_bytes(b"%d\n" % i)


def _count(client: Any, prefix: str) -> int:
    return sum(
        page.get("KeyCount", len(page.get("Contents", [])))
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    )


# ── the tools ────────────────────────────────────────────────────────────────────────────


def cloudbrowser_tool(server: Server) -> Tool:
    """The engine the window and the CLI use (``core.operations.Operation``), in-process,
    with its defaults; the backend is created and warmed before anything is timed."""
    from cloudbrowser.core.backends.s3.backend import S3Backend
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.operations import Operation, OpItem, OpKind
    from cloudbrowser.core.prefix_scan import scan_prefix

    backend = S3Backend(
        ConnectionSettings(
            name="bench", endpoint_url=server.url, region=REGION, addressing_style="path"
        ),
        Credentials(server.key, server.secret),
    )
    backend.list_buckets()
    sent = [0]

    def count(**_kwargs: Any) -> None:
        sent[0] += 1  # every request botocore sends, retries included

    backend.client.meta.events.register("before-send.s3", count)
    # CopyObject (and GET/PUT) go around botocore on the S3 backend's fast path: count them.
    fast = backend._fast_path()
    if fast is not None:
        send_once = fast._send_once

        def counted(*args: Any) -> Any:
            sent[0] += 1
            return send_once(*args)

        fast._send_once = counted  # type: ignore[method-assign]

    def run(kind: OpKind, items: list[OpItem]) -> None:
        outcome = Operation(backend, kind, BUCKET, items).run()
        if outcome.failed or outcome.cancelled:
            first = outcome.failed[0] if outcome.failed else ("", "cancelled")
            raise ToolError(f"{len(outcome.failed)} failed, first: {first[0]} {first[1]}")

    return Tool(
        "cloudbrowser",
        {
            DELETE: lambda p: run(OpKind.DELETE, [OpItem(p)]),
            MOVE: lambda p: run(OpKind.MOVE, [OpItem(f"{p}src/", f"{p}dst/")]),
            SIZE: lambda p: scan_prefix(backend, BUCKET, p).objects,
        },
        in_process=True,
        requests=lambda: sent[0],
    )


def one_listing_tool(server: Server) -> Tool:
    """The size counted by one recursive listing, page after page (``operations.tally``,
    what the delete confirmation counts with): the baseline of the fan-out."""
    from cloudbrowser.core.backends.s3.backend import S3Backend
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.operations import OpItem, tally

    backend = S3Backend(
        ConnectionSettings(
            name="bench", endpoint_url=server.url, region=REGION, addressing_style="path"
        ),
        Credentials(server.key, server.secret),
    )
    backend.list_buckets()
    return Tool(
        ONE_LISTING,
        {SIZE: lambda p: tally(backend, BUCKET, [OpItem(p)]).objects},
        in_process=True,
    )


def cli_tools(server: Server, home: Path) -> list[Tool]:
    env = isolated_env(server, home / "peers")
    ours = {
        **env,
        "CLOUDBROWSER_SECRET_ACCESS_KEY": server.secret,
        "CLOUDBROWSER_CONFIG_DIR": str(home / "cb-config"),
        "CLOUDBROWSER_DATA_DIR": str(home / "cb-data"),
        "CLOUDBROWSER_CACHE_DIR": str(home / "cb-cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    rclone_env = {
        **env,
        "RCLONE_S3_PROVIDER": "Other",
        "RCLONE_S3_ACCESS_KEY_ID": server.key,
        "RCLONE_S3_SECRET_ACCESS_KEY": server.secret,
        "RCLONE_S3_ENDPOINT": server.url,
        "RCLONE_S3_REGION": REGION,
        "RCLONE_S3_FORCE_PATH_STYLE": "true",
    }
    cb = [tool("cloudbrowser")]
    conn = ["--endpoint", server.url, "--access-key-id", server.key, "-q"]
    s5 = [tool("s5cmd"), "--endpoint-url", server.url]
    aws = [tool("aws"), "--endpoint-url", server.url, "s3"]
    quiet = ["--only-show-errors"]
    rclone = [tool("rclone")]
    s3, remote = f"s3://{BUCKET}/", f":s3:{BUCKET}/"
    return [
        Tool("cloudbrowser CLI", {
            DELETE: lambda p: cli([*cb, "rm", "-r", "--yes", f"{s3}{p}", *conn], ours),
            # mv -r puts the folder *into* the destination (dst/src/…), like put and get.
            MOVE: lambda p: cli([*cb, "mv", "-r", f"{s3}{p}src/", f"{s3}{p}dst/", *conn], ours),
            SIZE: lambda p: output([*cb, "du", f"{s3}{p}", *conn], ours),
        }, in_process=False),
        Tool("s5cmd", {
            DELETE: lambda p: cli([*s5, "rm", f"{s3}{p}*"], env),
            MOVE: lambda p: cli([*s5, "mv", f"{s3}{p}src/*", f"{s3}{p}dst/"], env),
            SIZE: lambda p: output([*s5, "du", f"{s3}{p}*"], env),
        }, in_process=False),
        Tool("rclone", {
            DELETE: lambda p: cli([*rclone, "delete", f"{remote}{p}"], rclone_env),
            MOVE: lambda p: cli([*rclone, "moveto", f"{remote}{p}src", f"{remote}{p}dst"],
                                rclone_env),
            SIZE: lambda p: output([*rclone, "size", f"{remote}{p}"], rclone_env),
        }, in_process=False),
        Tool("aws s3", {
            DELETE: lambda p: cli([*aws, "rm", "--recursive", *quiet, f"{s3}{p}"], env),
            MOVE: lambda p: cli([*aws, "mv", "--recursive", *quiet, f"{s3}{p}src/",
                                 f"{s3}{p}dst/"], env),
            SIZE: lambda p: output([*aws, "ls", "--recursive", "--summarize", f"{s3}{p}"], env),
        }, in_process=False),
    ]  # fmt: skip


def output(argv: list[str], env: dict[str, str]) -> str:
    """Run a command; its standard output (ToolError when it fails)."""
    try:
        proc = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=900, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError("no answer after 900 s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ToolError(f"exit code {proc.returncode}: {' | '.join(tail) or 'no stderr'}")
    return proc.stdout.decode(errors="replace")


#: The tools' names, known before the server starts (the data is seeded per tool).
TOOL_NAMES = ["cloudbrowser", "cloudbrowser CLI", "s5cmd", "rclone", "aws s3"]
#: The baseline of the size case (it does nothing else).
ONE_LISTING = "cloudbrowser, one listing"


# ── measuring ────────────────────────────────────────────────────────────────────────────


def run_operations(delete_keys: int, move_keys: int, runs: int) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-operations-"))
    rows: list[Result] = []
    try:
        root = workdir / "server"
        started = time.perf_counter()
        seed(root, TOOL_NAMES, runs, delete_keys, move_keys)
        total = len(TOOL_NAMES) * runs * (delete_keys + move_keys) + delete_keys
        _progress(f"wrote {total:,} keys in {time.perf_counter() - started:.1f} s")
        with rclone_s3(root) as server:
            client = boto3_client(server)
            # One untimed listing warms rclone's directory cache for every tool alike.
            started = time.perf_counter()
            if _count(client, "") != total:
                raise RuntimeError("the server does not list the seeded keys")
            _progress(f"warm-up listing in {time.perf_counter() - started:.1f} s")
            tools = _tools(server, workdir / "home")
            server_cpu = server_cpu_meter(server.pid)
            sizes = {DELETE: delete_keys, MOVE: move_keys, SIZE: delete_keys}
            for r in range(runs):
                shift = r % len(tools)
                for case in (SIZE, DELETE, MOVE):
                    for t in tools[shift:] + tools[:shift]:
                        if case in t.ops or case in t.errors:
                            _measure(t, case, r, sizes[case], client, server_cpu)
            for case, n in sizes.items():
                for t in tools:
                    if case in t.ops or case in t.errors:
                        rows.extend(_rows(t, case, n))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _tools(server: Server, home: Path) -> list[Tool]:
    made: list[Tool] = []
    for name, factory in (
        ("cloudbrowser", lambda: [cloudbrowser_tool(server), one_listing_tool(server)]),
        ("CLIs", lambda: cli_tools(server, home)),
    ):
        try:
            made.extend(factory())
        except Exception as exc:  # a tool that cannot even start is an error row
            broken = Tool(name, {}, in_process=False)
            broken.errors = {c: f"set-up failed: {exc!r}" for c in (DELETE, MOVE, SIZE)}
            made.append(broken)
    return made


def _measure(
    t: Tool, case: str, r: int, n: int, client: Any, server_cpu: Callable[[], float]
) -> None:
    if case in t.errors:
        return
    base = "del" if case == DELETE else "mv"
    prefix = SIZE_PREFIX if case == SIZE else f"{base}/{_slug(t.name)}/r{r}/"
    client_cpu = time.process_time if t.in_process else children_cpu
    sent0 = t.requests() if t.requests else 0
    cpu0, server0 = client_cpu(), server_cpu()
    start = time.perf_counter()
    try:
        answer = t.ops[case](prefix)
        elapsed = time.perf_counter() - start
        cpu1, server1 = client_cpu(), server_cpu()
        sent1 = t.requests() if t.requests else 0
        if case == SIZE:
            _expect_total(answer, n)
        elif case == DELETE:
            _expect(_count(client, prefix), 0, "keys left after the delete")
        else:
            _expect(_count(client, f"{prefix}src/"), 0, "keys left in the source")
            _expect(_count(client, f"{prefix}dst/"), n, "keys in the destination")
    except Exception as exc:
        t.errors[case] = f"{type(exc).__name__}: {exc}"
        _progress(f"round {r + 1}  {case:<6} {t.name:<16} {t.errors[case]}")
        return
    t.seconds.setdefault(case, []).append(elapsed)
    t.client_cpu.setdefault(case, []).append(cpu1 - cpu0)
    t.server_cpu.setdefault(case, []).append(server1 - server0)
    if t.requests:
        t.sent.setdefault(case, []).append(sent1 - sent0)
    _progress(f"round {r + 1}  {case:<6} {t.name:<16} {elapsed:.2f} s  ({n / elapsed:,.0f} keys/s)")


def _expect_total(answer: object, n: int) -> None:
    """A count equal to ``n``, or a command's output naming it (``10000``/``10,000``)."""
    if isinstance(answer, int):
        _expect(answer, n, "objects counted")
    elif not re.search(rf"(?<![\d,]){n}(?!\d)|(?<![\d,]){n:,}(?!\d)", str(answer)):
        raise ToolError(f"the output does not show {n:,} objects: {str(answer).strip()[-200:]!r}")


def _expect(seen: int, expected: int, what: str) -> None:
    if seen != expected:
        raise ToolError(f"{what}: {seen:,}, expected {expected:,}")


def _case_name(case: str, n: int) -> str:
    if case == SIZE:
        return f"size of a {n:,}-key prefix ({-(-n // PER_FOLDER)} sub-prefixes)"
    return f"delete {n:,} keys" if case == DELETE else f"rename a {n:,}-key prefix"


def _rows(t: Tool, case: str, n: int) -> list[Result]:
    name = _case_name(case, n)
    if case in t.errors:
        return [result(SUITE, name, t.name, t.errors[case], ERROR)]
    seconds = statistics.median(t.seconds[case])
    rows = [
        result(SUITE, name, t.name, n / seconds, "keys/s"),
        result(SUITE, name, t.name, seconds, "s"),
        result(SUITE, name, t.name, statistics.median(t.client_cpu[case]), "s client CPU"),
        result(SUITE, name, t.name, statistics.median(t.server_cpu[case]), "s server CPU"),
    ]
    if t.sent.get(case):
        rows.append(result(SUITE, name, t.name, statistics.median(t.sent[case]), "requests"))
    return rows


def _progress(message: str) -> None:
    print(f"  [{SUITE}] {message}", file=sys.stderr, flush=True)


def describe(delete_keys: int, move_keys: int, runs: int) -> str:
    return "\n".join(
        [
            f"operations: delete {delete_keys:,} keys (in sub-prefixes of {PER_FOLDER:,}) and "
            f"rename a {move_keys:,}-key prefix, on `rclone serve s3` at 127.0.0.1, median "
            f"of {runs}.",
            "  cloudbrowser = core.operations.Operation (DELETE: DeleteObjects in 1,000-key "
            "batches fed by the listing; MOVE: CopyObject 16 at a time, then the sources "
            "deleted in batches), in-process, client created and warmed before timing; "
            "requests = every request botocore or the fast path sent, the listing included.",
            "  size: cloudbrowser = core.prefix_scan.scan_prefix (fan-out over sub-prefixes, "
            "8 listings at once); one listing = core.operations.tally (one recursive "
            "listing); the CLIs: `cloudbrowser du`, `s5cmd du`, `rclone size`, "
            "`aws s3 ls --recursive --summarize`.",
            "  cloudbrowser CLI = `cloudbrowser rm -r --yes` / `mv -r`; s5cmd rm / mv, "
            "rclone delete / moveto, aws s3 rm / mv --recursive: whole processes, start-up "
            "included, defaults.",
            "  Client CPU = this process (in-process) or the child's; server CPU = rclone "
            f"serve's. Host: {os.cpu_count()} CPUs shared by client and server.",
        ]
    )
