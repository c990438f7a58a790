"""The ``startup`` suite: process start to the first painted main window.

    python tests/bench/run.py startup [--runs N] [--json FILE]

Cases, each a fresh process, offscreen, in throw-away HOME and config/data/cache/log dirs,
runs interleaved (the order rotates each round), median of ``--runs`` (default 5):

* ``bare PySide6 window`` — a QApplication and an empty QMainWindow; the floor any Qt app
  pays (docs/architecture.md §7 bar: cloudbrowser < 1.5× this);
* ``cloudbrowser --demo`` — ``python -m cloudbrowser --demo`` from this checkout;
* ``cloudbrowser --demo (frozen)`` — ``build/dist/cloudbrowser/cloudbrowser --demo`` when
  ``packaging/build`` has made one.

The clock starts in this process just before the child is spawned, and stops at the
wall-clock time the child stamps in its first paint event of the main window: the app prints
it when ``CLOUDBROWSER_REPORT_FIRST_PAINT`` is set (``gui/app.py``), with whether boto3 had
been imported by then, and closes at once (``=quit``). The same hook works frozen and
unfrozen. The bundle's size in MB is reported beside it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import Result, result

SUITE = "startup"
CASE = "start to first painted window"
ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "build" / "dist" / "cloudbrowser" / "cloudbrowser"
TIMEOUT_S = 60

BARE_WINDOW = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print(f"FIRST_PAINT {time.time():.6f} boto3=False", file=sys.stderr, flush=True)
            watched.removeEventFilter(self)
            QTimer.singleShot(0, app.quit)
        return False

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1100, 680)
first = FirstPaint()
window.installEventFilter(first)
window.show()
app.exec()
"""


def progress(message: str) -> None:
    print(f"  [startup] {message}", file=sys.stderr, flush=True)


def commands() -> dict[str, list[str]]:
    found = {
        "bare PySide6 window": [sys.executable, "-c", BARE_WINDOW],
        "cloudbrowser --demo": [sys.executable, "-m", "cloudbrowser", "--demo"],
    }
    if FROZEN.exists():
        found["cloudbrowser --demo (frozen)"] = [str(FROZEN), "--demo"]
    return found


def one_run(command: list[str], home: Path) -> tuple[float, bool]:
    """Seconds from spawn to the first painted main window; whether boto3 was imported."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "CLOUDBROWSER_REPORT_FIRST_PAINT": "quit",
        **{f"CLOUDBROWSER_{d}_DIR": str(home / d.lower()) for d in ("CONFIG", "DATA", "CACHE")},
        "CLOUDBROWSER_LOG_DIR": str(home / "log"),
    }
    started = time.time()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=home
    )
    for line in done.stderr.splitlines():
        if line.startswith("FIRST_PAINT "):
            _, stamp, boto3 = line.split()
            return float(stamp) - started, boto3 == "boto3=True"
    raise RuntimeError(f"no first paint reported (exit {done.returncode}): {done.stderr[-600:]}")


def run_startup(runs: int) -> list[Result]:
    cases = commands()
    times: dict[str, list[float]] = {name: [] for name in cases}
    boto3_first: dict[str, bool] = {}
    errors: dict[str, str] = {}
    names = list(cases)
    with tempfile.TemporaryDirectory(prefix="cb-bench-startup-") as tmp:
        # One untimed round: the first start of each pays for cold disk caches and .pyc files.
        for round_no in range(runs + 1):
            order = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in order:
                if name in errors:
                    continue
                home = Path(tmp) / f"r{round_no}-{names.index(name)}"
                home.mkdir()
                try:
                    seconds, boto3 = one_run(cases[name], home)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    errors[name] = str(exc)
                    progress(f"{name}: FAILED {exc}")
                    continue
                if round_no == 0:
                    progress(f"{name}: warm-up {seconds * 1000:.0f} ms")
                    continue
                times[name].append(seconds)
                boto3_first[name] = boto3
                progress(f"{name}: run {round_no} {seconds * 1000:.0f} ms, boto3 loaded={boto3}")
    rows: list[Result] = []
    for name in names:
        if name in errors:
            rows.append(result(SUITE, CASE, name, errors[name], "error"))
            continue
        median = statistics.median(times[name])
        rows.append(result(SUITE, CASE, name, median, "s"))
        rows.append(
            result(SUITE, CASE, name, 1.0 if boto3_first[name] else 0.0, "boto3 before paint")
        )
    bare = [r for r in rows if r["tool"] == "bare PySide6 window" and r["unit"] == "s"]
    if bare:
        base = float(bare[0]["value"])
        for name in names[1:]:
            mine = [r for r in rows if r["tool"] == name and r["unit"] == "s"]
            if mine:
                rows.append(result(SUITE, CASE, name, float(mine[0]["value"]) / base, "× bare"))
    if FROZEN.exists():
        # Symlinks (PyInstaller links some libraries) are not counted twice.
        files = [p for p in FROZEN.parent.rglob("*") if p.is_file() and not p.is_symlink()]
        size = sum(p.stat().st_size for p in files)
        rows.append(result(SUITE, "bundle size", "cloudbrowser (frozen)", size / 2**20, "MB"))
    return rows


def describe(runs: int) -> str:
    frozen = (
        "and the frozen bundle" if FROZEN.exists() else "(no frozen bundle: run packaging/build)"
    )
    return (
        f"startup: process start to the first painted main window, offscreen, median of {runs} "
        f"runs after one warm-up; cloudbrowser --demo unfrozen {frozen}, beside a bare PySide6 "
        "window. Bar (docs/architecture.md §7): < 1.5× the bare window. 'boto3 before paint' "
        "is 1 when "
        "boto3 had been imported by the first paint."
    )
