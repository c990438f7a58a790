"""The ``latency`` suite: the ``cli`` suite's ``put -r`` and ``get -r`` of small files, with
the server a round trip away.

Beside the server every small file takes a moment, and what a tool spends on each (its
CPU) decides. Across a network a small file takes a round trip, whatever the tool spends:
what decides is how many files it has under way. The other suites cannot tell; this one
puts ``delay_proxy.py`` (``--rtt-ms``, default 50: a server in another region) between
every tool and one ``rclone serve s3`` on 127.0.0.1, and runs each tool as a process with
its defaults, as the ``cli`` suite does: cloudbrowser, and cloudbrowser with ``-j 8`` (every
file, small or not, 8 at once: what it did before small files went more at once), s5cmd,
rclone, aws-cli. Each round runs every tool once per case, rotating the order; what
arrived is counted, and a wrong count is an error row.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from cli_commands import GET, PUT, Tool, _count, _run, _tools
from results import ERROR, Result, result
from servers import Server, children_cpu, rclone_s3
from transfers import _local, _remote, boto3_client, make_data

SUITE = "latency"
#: What cloudbrowser did before small files went more at once.
EIGHT_AT_ONCE = "cloudbrowser -j 8"


@contextmanager
def far_away(server: Server, rtt_ms: float) -> Iterator[Server]:
    """``server`` behind the delaying proxy (its own process): the same keys, another URL."""
    port = server.url.rsplit(":", 1)[1]
    proxy = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("delay_proxy.py")), port, str(rtt_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proxy.stdout is not None
        listening = proxy.stdout.readline().strip()
        if not listening.isdigit():
            raise RuntimeError("the delaying proxy did not start")
        yield replace(server, url=f"http://127.0.0.1:{listening}")
    finally:
        proxy.terminate()
        proxy.wait(10)


def run_latency(files: int, runs: int, rtt_ms: float) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-latency-"))
    rows: list[Result] = []
    try:
        src, root = workdir / "src", workdir / "server"
        make_data(src, root, files, 0)
        with rclone_s3(root) as near, far_away(near, rtt_ms) as server:
            client = boto3_client(near)  # the checks go straight to the server
            if len(_remote(client, "seed/small/")) != files:
                raise RuntimeError("the server does not list the seeded files")
            tools = _tools(server, workdir / "home")
            cb = tools[0]
            eight = Tool(EIGHT_AT_ONCE, cb.env, {
                case: (lambda p, d, c=case: [*cb.commands[c](p, d), "-j", "8"])
                for case in (PUT, GET)
            })  # fmt: skip
            tools.insert(1, eight)
            cpu_before = children_cpu()
            for round_no in range(runs):
                shift = round_no % len(tools)
                for t in tools[shift:] + tools[:shift]:
                    _round(t, round_no, src, workdir, client, files)
            print(
                f"  [{SUITE}] all tools' CPU, proxy's not included: "
                f"{children_cpu() - cpu_before:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            for t in tools:
                rows.extend(_rows(t, files, rtt_ms))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _round(t: Tool, round_no: int, src: Path, workdir: Path, client: object, files: int) -> None:
    slug = t.name.replace(" ", "")
    prefix = f"up/{slug}/r{round_no}/"
    dst = workdir / "dst" / slug / f"r{round_no}"
    dst.mkdir(parents=True)

    def uploaded() -> None:
        _count(len(_remote(client, prefix)), files, "uploaded")

    def downloaded() -> None:
        _count(len(_local(dst)), files, "downloaded")

    _run(t, PUT, prefix, src, uploaded)
    _run(t, GET, prefix, dst, downloaded)
    shutil.rmtree(dst, ignore_errors=True)


def _rows(t: Tool, files: int, rtt_ms: float) -> list[Result]:
    rows: list[Result] = []
    for case, verb in ((PUT, "put -r"), (GET, "get -r")):
        name = f"{verb} {files:,} × 4 KiB, {rtt_ms:g} ms round trip"
        if case in t.errors:
            rows.append(result(SUITE, name, t.name, t.errors[case], ERROR))
            continue
        seconds = statistics.median(t.timings[case])
        rows.append(result(SUITE, name, t.name, files / seconds, "files/s"))
        rows.append(result(SUITE, name, t.name, seconds, "s"))
    return rows


def describe(files: int, runs: int, rtt_ms: float) -> str:
    return "\n".join(
        [
            f"latency: every tool as a process, with its defaults, on `rclone serve s3` "
            f"behind a proxy that adds a {rtt_ms:g} ms round trip; put -r and get -r of "
            f"{files:,} × 4 KiB, median of {runs} runs, the tools taking turns.",
            f"  `{EIGHT_AT_ONCE}`: cloudbrowser with every file 8 at once (its default for "
            "files over 1 MiB).",
            f"  {os.cpu_count()} cores; the proxy is a Python process of its own.",
        ]
    )
