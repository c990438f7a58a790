"""The ``stream`` suite: what ``cloudbrowser get -r`` of many small keys holds in memory, and
how long it takes until the first file is being written.

    python tests/bench/run.py stream [--files N] [--runs N] [--json FILE]

``get -r`` runs as a whole process (``python -m cloudbrowser``, the code of the checkout on
``PYTHONPATH``, this one by default: set it to an export of another commit to compare)
against ``rclone serve s3`` on 127.0.0.1 holding ``--files`` × 4 KiB keys. Rows (medians
over ``--runs``): ``MiB peak RSS`` (the child's maximum resident size, from ``wait4``: no
psutil needed), ``s to first file`` (from the start of the process until the first file,
or its temporary file, appears in the destination) and ``s`` (the whole command). A
planner that lists everything first makes the first two grow with the prefix; a streamed
one (issue 13) keeps them flat.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import ERROR, Result, result
from servers import rclone_s3
from transfers import BUCKET, make_data

SUITE = "stream"
ROOT = Path(__file__).resolve().parents[2]


def case_name(files: int) -> str:
    return f"get -r {files:,} × 4 KiB"


def run_stream(files: int, runs: int) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-stream-"))
    name = case_name(files)
    try:
        src, root = workdir / "src", workdir / "server"
        make_data(src, root, files, 0)
        rss: list[float] = []
        first: list[float] = []
        total: list[float] = []
        with rclone_s3(root) as server:
            env = {
                **os.environ,
                "CLOUDBROWSER_SECRET_ACCESS_KEY": server.secret,
                "CLOUDBROWSER_CONFIG_DIR": str(workdir / "cb-config"),
                "CLOUDBROWSER_DATA_DIR": str(workdir / "cb-data"),
                "CLOUDBROWSER_CACHE_DIR": str(workdir / "cb-cache"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            }
            env.setdefault("PYTHONPATH", str(ROOT))
            conn = ["--endpoint", server.url, "--access-key-id", server.key, "-q"]
            for run in range(runs):
                dst = workdir / "dst" / f"r{run}"
                argv = [sys.executable, "-m", "cloudbrowser", "get", "-r",
                        f"s3://{BUCKET}/seed/small/", str(dst), *conn]  # fmt: skip
                try:
                    peak, to_first, seconds = _measure(argv, env, dst, workdir)
                    arrived = sum(len(names) for _, _, names in os.walk(dst))
                    if arrived != files:
                        raise RuntimeError(f"{arrived} files arrived, expected {files}")
                except Exception as exc:
                    return [result(SUITE, name, "cloudbrowser", f"{exc}", ERROR)]
                line = f"{peak:.0f} MiB peak, first file after {to_first:.2f} s, {seconds:.1f} s"
                print(f"  [{SUITE}] {name}: {line}", file=sys.stderr, flush=True)
                rss.append(peak)
                first.append(to_first)
                total.append(seconds)
                shutil.rmtree(dst, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        result(SUITE, name, "cloudbrowser", statistics.median(rss), "MiB peak RSS"),
        result(SUITE, name, "cloudbrowser", statistics.median(first), "s to first file"),
        result(SUITE, name, "cloudbrowser", statistics.median(total), "s"),
    ]


def _measure(
    argv: list[str], env: dict[str, str], dst: Path, cwd: Path
) -> tuple[float, float, float]:
    """Run ``argv``; its peak RSS in MiB, seconds until a file appears below ``dst``, and
    seconds in all."""
    start = time.perf_counter()
    with (cwd / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        to_first = float("nan")
        while True:
            if _any_file(dst):
                to_first = time.perf_counter() - start
                break
            if proc.poll() is not None:
                break
            time.sleep(0.005)  # polling the destination: the resolution of the figure
        if proc.returncode is None:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak_kib = usage.ru_maxrss
        else:  # reaped by poll(): its rusage is gone; say so rather than guess
            raise RuntimeError("the command ended before its first file was seen")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (cwd / "stderr.txt").read_text(errors="replace")[-500:]
        raise RuntimeError(f"exit {proc.returncode}: {tail}")
    return peak_kib / 1024, to_first, seconds


def _any_file(folder: Path) -> bool:
    return any(names for _, _, names in os.walk(folder))


def describe(files: int, runs: int) -> str:
    return (
        f"stream: `cloudbrowser get -r` of {files:,} × 4 KiB keys as a process on "
        f"`rclone serve s3` at 127.0.0.1 (code on PYTHONPATH: "
        f"{os.environ.get('PYTHONPATH') or ROOT}); median of {runs}: peak RSS, seconds "
        "until the first file appears, seconds in all."
    )
