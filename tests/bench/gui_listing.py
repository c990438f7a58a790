"""The window listing one large flat folder, run in its own process by the ``listing`` suite
(``listing.gui_listing_cases``, S3) and the ``azure`` suite (Azure Blob on Azurite).

    QT_QPA_PLATFORM=offscreen python tests/bench/gui_listing.py --url URL --key K --secret S \
        --bucket B --flat-keys N [--kind azure] [--server-pid PID] [--trace]

Opens the real ``MainWindow`` (offscreen) on a server seeded by ``listing.seed_gui`` (or the
azure suite's seeding) and prints one JSON object on stdout (progress goes to stderr). A
process of its own keeps the RSS figures and Qt's state apart from the bench process.
``--kind azure``: an Azure connection with an account key, ``--key`` the account name,
``--secret`` its key, ``--url`` the account's blob endpoint. What it measures:

* **first rows painted** — ms from ``window.navigate(location)`` to the first paint event of
  the list's viewport while the view's model has rows, for the flat folder and for a
  one-page folder (``--small-keys 0``: none); beside it the same first page fetched with the
  backend's ``list_page`` and no GUI (the server's and the client library's share of that
  time);
* **event-loop stall** — a 5 ms heartbeat ``QTimer`` records the gap between its ticks from
  the navigation until ``list_model.loadingChanged(False)`` while all N rows stream in;
* **RSS growth** — psutil RSS with the window idle at the connection root (bucket list shown)
  against RSS with all N rows loaded, ``gc.collect()`` before each.

Beside the figures it reports what a stall was made of: the GUI thread's own CPU time in the
longest gap (the rest it waited for the GIL or for a core) and the garbage collector's time in
it. ``--trace`` (diagnostics only, it slows every event down) times every event Qt dispatches
and reports the slowest receivers. Like the app, it freezes start-up objects out of the
garbage collector after the first listing (``gui.app.freeze_startup_objects_after_first_listing``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if str(_HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(_HERE.parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QObject,
    Qt,
    QTimer,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication  # noqa: E402

from cloudbrowser.core.connection import ConnectionSettings, Credentials  # noqa: E402
from cloudbrowser.gui.app import freeze_startup_objects_after_first_listing  # noqa: E402
from cloudbrowser.gui.navigation import Location  # noqa: E402
from cloudbrowser.gui.service import StorageService  # noqa: E402
from cloudbrowser.gui.widgets.main_window import MainWindow  # noqa: E402

#: Heartbeat interval; a gap of this much is no stall at all.
HEARTBEAT_MS = 5
MB = 2**20


def progress(message: str) -> None:
    print(f"  [listing/gui] {message}", file=sys.stderr, flush=True)


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's messages to stderr, without the offscreen platform's noise about size hints."""
    if "does not support propagateSizeHints" not in message:
        print(f"Qt {kind.name}: {message}", file=sys.stderr, flush=True)


# ── waiting without sleeping ─────────────────────────────────────────────────────────────


def wait_for(
    condition: Callable[[], bool],
    what: str,
    timeout: float,
    signals: tuple[Any, ...] = (),
    poll_ms: int = 20,
) -> None:
    """Run the event loop until ``condition()`` holds: checked whenever one of ``signals``
    fires and every ``poll_ms``. Raises TimeoutError after ``timeout`` seconds."""
    if condition():
        return
    loop = QEventLoop()
    deadline = time.monotonic() + timeout

    def check(*_args: object) -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    for signal in signals:
        signal.connect(check)
    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(poll_ms)
    try:
        loop.exec()
    finally:
        poll.stop()
        for signal in signals:
            signal.disconnect(check)
    if not condition():
        raise TimeoutError(f"{what}: not done after {timeout:.0f} s")


# ── the probes ───────────────────────────────────────────────────────────────────────────


class PaintWatch(QObject):
    """Notes the first paint event of the list's viewport once the view's model has rows."""

    painted = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._armed = False
        self.painted_at: float | None = None
        window.view.viewport().installEventFilter(self)

    def arm(self) -> None:
        self._armed, self.painted_at = True, None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self._armed
            and event.type() == QEvent.Type.Paint
            and self._window.view.model().rowCount() > 0
        ):
            self.painted_at = time.perf_counter()
            self._armed = False
            self.painted.emit()
        return False


class Heartbeat(QObject):
    """A 5 ms PreciseTimer; ``gaps`` are the seconds between consecutive ticks (the first
    measured from ``start``, the last up to ``stop``), ``busy`` the GUI thread's CPU seconds
    in each gap and ``process_busy`` the whole process's."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._tick)
        self._last = self._last_cpu = self._last_process_cpu = 0.0
        self.gaps: list[float] = []
        #: CPU seconds the GUI thread itself spent in each gap (the rest it was waiting:
        #: for the GIL, or for a core).
        self.busy: list[float] = []
        #: CPU seconds of the whole process (every thread) in each gap.
        self.process_busy: list[float] = []
        #: (start, end) of the longest gap, and the rows loaded when it ended (diagnosis).
        self.worst_span = (0.0, 0.0)
        self.rows_at_worst = 0
        self._rows: Callable[[], int] = lambda: 0

    def start(self, started: float, rows: Callable[[], int]) -> None:
        self._last = started
        self._last_cpu, self._last_process_cpu = time.thread_time(), time.process_time()
        self._rows = rows
        self.gaps, self.busy, self.process_busy = [], [], []
        self.worst_span = (0.0, 0.0)
        self._timer.start()

    def stop(self) -> None:
        self._tick()
        self._timer.stop()

    def _tick(self) -> None:
        now, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        gap = now - self._last
        self.gaps.append(gap)
        self.busy.append(cpu - self._last_cpu)
        self.process_busy.append(process_cpu - self._last_process_cpu)
        if gap > self.worst_span[1] - self.worst_span[0]:
            self.worst_span = (self._last, now)
            self.rows_at_worst = self._rows()
        self._last, self._last_cpu, self._last_process_cpu = now, cpu, process_cpu


class GcWatch:
    """Every run of the garbage collector, on any thread. A collection holds the GIL, so one
    on the listing's worker thread stalls the GUI thread as much as one on the GUI thread."""

    def __init__(self) -> None:
        #: (generation, start, seconds, on the GUI thread) of every collection.
        self.pauses: list[tuple[int, float, float, bool]] = []
        self._t0 = 0.0
        self._gui_thread = threading.get_ident()
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._t0 = now
        else:
            on_gui = threading.get_ident() == self._gui_thread
            self.pauses.append((info["generation"], self._t0, now - self._t0, on_gui))

    def between(self, start: float, end: float) -> list[tuple[int, float, float, bool]]:
        return [p for p in self.pauses if start <= p[1] < end]

    def within(self, start: float, end: float) -> float:
        """Seconds of collection between ``start`` and ``end``."""
        return sum(
            max(0.0, min(end, t0 + spent) - max(start, t0)) for _, t0, spent, _ in self.pauses
        )


class TracingApplication(QApplication):
    """``--trace`` only: times every event dispatch; keeps the slowest per receiver/event."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.tracing = False
        self.slowest: dict[str, tuple[float, int, float]] = {}  # name -> (max, count, total)

    def notify(self, receiver: QObject, event: QEvent) -> bool:
        if not self.tracing:
            return super().notify(receiver, event)
        start = time.perf_counter()
        handled = super().notify(receiver, event)
        spent = time.perf_counter() - start
        if spent > 0.002:
            name = f"{type(receiver).__name__}:{event.type().name}"
            worst, count, total = self.slowest.get(name, (0.0, 0, 0.0))
            self.slowest[name] = (max(worst, spent), count + 1, total + spent)
        return bool(handled)


# ── the measurement ──────────────────────────────────────────────────────────────────────


def rss() -> tuple[int, float, int]:
    """(RSS bytes, seconds one full ``gc.collect()`` took, objects the collector tracks)."""
    start = time.perf_counter()
    gc.collect()
    spent = time.perf_counter() - start
    return int(psutil.Process().memory_info().rss), spent, len(gc.get_objects())


def _host_cpu() -> float:
    """CPU seconds every core of the host has been busy (not idle, not waiting for I/O)."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def ms(seconds: float) -> float:
    return seconds * 1000.0


def _rounded(values: list[float]) -> list[int]:
    return [round(v) for v in values]


def connection_settings(args: argparse.Namespace) -> ConnectionSettings:
    """The connection as a user would save it: S3 on a path-style endpoint, or an Azure
    storage account signed with its key (``--key`` the account name)."""
    if args.kind == "azure":
        return ConnectionSettings(
            name="bench", kind="azure", endpoint_url=args.url, auth="key", account=args.key
        )
    return ConnectionSettings(
        name="bench", endpoint_url=args.url, region="us-east-1", addressing_style="path"
    )


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.app = (TracingApplication if args.trace else QApplication)(sys.argv[:1])
        self.service = StorageService()
        self.connection = self.service.add_connection(
            connection_settings(args), Credentials(args.key, args.secret)
        )
        self.window = MainWindow(self.service)
        self.watch = PaintWatch(self.window)
        self.heartbeat = Heartbeat(self.window)
        self.gc = GcWatch()
        #: GC seconds inside each first-rows try since the last reset (diagnosis).
        self.first_rows_gc_ms: list[float] = []
        self.root = Location(self.connection.id)
        self.flat = Location(self.connection.id, args.bucket, args.flat_prefix)
        self.small = Location(self.connection.id, args.bucket, args.small_prefix)

    # helpers

    def idle(self) -> bool:
        """Nothing loading and no job left on the pool (a cancelled one ends after the
        request it was in)."""
        return not self.window.list_model.loading and self.service.runner.active == 0

    def wait_idle(self, what: str) -> None:
        wait_for(self.idle, what, self.args.timeout, (self.window.list_model.loadingChanged,))
        self.app.processEvents()

    def go_root(self) -> None:
        self.window.navigate(self.root)
        self.wait_idle("listing the connection root")

    def first_rows(self, location: Location) -> float:
        """Seconds from navigate() to the first paint with rows; leaves the listing running."""
        self.watch.arm()
        start = time.perf_counter()
        self.window.navigate(location)
        model = self.window.list_model
        # A one-page listing may end before its rows are painted: only a failed or empty
        # listing ends the wait without a paint.
        wait_for(
            lambda: (
                self.watch.painted_at is not None
                or model.error is not None
                or (not model.loading and model.rowCount() == 0)
            ),
            "first rows painted",
            self.args.timeout,
            (self.watch.painted, model.loadingChanged, model.listingFailed),
        )
        if self.watch.painted_at is None:
            raise RuntimeError(
                f"{location.text()}: no rows painted; the listing ended with "
                f"{model.rowCount():,} rows, error {model.error!r}"
            )
        self.first_rows_gc_ms.append(ms(self.gc.within(start, self.watch.painted_at)))
        return self.watch.painted_at - start

    def first_page(self, location: Location) -> float:
        """Seconds for the same first page without the GUI: the backend's ``list_page``."""
        start = time.perf_counter()
        self.connection.storage.list_page(location.bucket, location.prefix)
        return time.perf_counter() - start

    # the run

    def run(self) -> dict[str, Any]:
        a, window, model = self.args, self.window, self.window.list_model
        out: dict[str, Any] = {"flat_keys": a.flat_keys, "small_keys": a.small_keys}

        # As the app does (gui/app.py): freeze start-up objects after the first listing.
        freeze_startup_objects_after_first_listing(window)
        # The connection root lists the buckets: this creates and warms the client.
        window.add_connection(self.connection.id)
        window.show()
        self.wait_idle("listing the connection root")
        if model.error is not None:
            raise RuntimeError(f"listing the buckets failed: {model.error}")
        folders = (self.small, self.flat) if a.small_keys else (self.flat,)
        # rclone reads a folder from disk on its first listing: warm them, untimed.
        for location in folders:
            self.first_page(location)

        # Reference: the first page with no GUI.
        if a.small_keys:
            out["small_first_page_ms"] = [ms(self.first_page(self.small)) for _ in range(a.runs)]
        out["flat_first_page_ms"] = [ms(self.first_page(self.flat)) for _ in range(a.runs)]

        # First rows of a one-page folder.
        if a.small_keys:
            out.update(self.small_first_rows())

        # All rows of the flat folder; its first paint is the first of its first-rows tries.
        self.go_root()
        out.update(self.full_load())
        progress(
            f"flat folder: {out['rows']:,} rows in {out['load_s']:.1f} s, max stall "
            f"{out['max_stall_ms']:.0f} ms ({out['worst_stall_in_gc_ms']:.0f} ms of it in the "
            f"garbage collector), RSS +{out['rss_loaded_mb'] - out['rss_empty_mb']:.0f} MB; "
            f"CPU s: GUI {out['client_cpu_s']:.1f}, server {out['server_cpu_s']:.1f}, "
            f"other programs {out['others_cpu_s']:.1f}"
        )

        # The flat folder's other first-rows tries: from the root, stopped after the paint.
        flat_first = [out.pop("first_rows_ms")]
        for _ in range(a.runs - 1):
            self.go_root()
            flat_first.append(ms(self.first_rows(self.flat)))
            self.go_root()  # cancels the listing; waits for its request in flight to end
        out["flat_first_rows_ms"] = flat_first
        out["flat_first_rows_gc_ms"] = self.first_rows_gc_ms
        progress(f"first rows, flat folder: {_rounded(flat_first)} ms")

        if isinstance(self.app, TracingApplication):
            slowest = sorted(self.app.slowest.items(), key=lambda kv: -kv[1][0])[:15]
            out["trace"] = [
                {"event": name, "max_ms": ms(worst), "count_over_2ms": count, "total_ms": ms(t)}
                for name, (worst, count, t) in slowest
            ]
        return out

    def small_first_rows(self) -> dict[str, Any]:
        """First rows of the one-page folder, from the root each time, loaded whole."""
        a, model = self.args, self.window.list_model
        first_rows = []
        for _ in range(a.runs):
            self.go_root()
            first_rows.append(ms(self.first_rows(self.small)))
            self.wait_idle("listing the small folder")
            if model.rowCount() != a.small_keys:
                raise RuntimeError(f"small folder: {model.rowCount():,} rows, not {a.small_keys:,}")
        progress(f"first rows, {a.small_keys:,}-key folder: {_rounded(first_rows)} ms")
        gc_ms, self.first_rows_gc_ms = self.first_rows_gc_ms, []
        return {"small_first_rows_ms": first_rows, "small_first_rows_gc_ms": gc_ms}

    def full_load(self) -> dict[str, Any]:
        """Navigate to the flat folder from the idle root and load every row, with the
        heartbeat running; RSS before and after."""
        a, window, model = self.args, self.window, self.window.list_model
        rss_empty, gc_empty, tracked_empty = rss()
        server = psutil.Process(a.server_pid) if a.server_pid else None
        server_cpu0 = sum(server.cpu_times()[:2]) if server else float("nan")
        cpu0, host_cpu0 = time.process_time(), _host_cpu()
        if isinstance(self.app, TracingApplication):
            self.app.tracing = True
        self.watch.arm()
        start = time.perf_counter()
        self.heartbeat.start(start, model.rowCount)
        window.navigate(self.flat)
        wait_for(
            lambda: not model.loading,
            "loading the flat folder",
            a.timeout,
            (model.loadingChanged,),
            poll_ms=1000,
        )
        self.heartbeat.stop()
        end = time.perf_counter()
        if isinstance(self.app, TracingApplication):
            self.app.tracing = False
        cpu = time.process_time() - cpu0
        server_cpu = sum(server.cpu_times()[:2]) - server_cpu0 if server else float("nan")
        others_cpu = _host_cpu() - host_cpu0 - cpu - server_cpu
        rows = model.rowCount()
        if model.error is not None:
            raise RuntimeError(f"listing the flat folder failed after {rows:,} rows: {model.error}")
        if rows != a.flat_keys:
            raise RuntimeError(f"flat folder: {rows:,} rows loaded, expected {a.flat_keys:,}")
        if self.watch.painted_at is None:
            raise RuntimeError("the flat folder's rows were never painted")
        self.app.processEvents()
        rss_loaded, gc_loaded, tracked_loaded = rss()

        hb = self.heartbeat
        gaps = hb.gaps
        worst = gaps.index(max(gaps))
        long_gaps = [(g, b) for g, b in zip(gaps, hb.busy, strict=True) if g > 0.020]
        collections = self.gc.between(start, end)
        full = [p for p in collections if p[0] == 2]
        return {
            "first_rows_ms": ms(self.watch.painted_at - start),
            "load_s": end - start,
            "rows": rows,
            "rows_per_s": rows / (end - start),
            "client_cpu_s": cpu,
            "server_cpu_s": server_cpu,
            # CPU the rest of the host spent meanwhile (other programs competing for the cores).
            "others_cpu_s": others_cpu,
            "max_stall_ms": ms(gaps[worst]),
            "p99_stall_ms": ms(
                statistics.quantiles(gaps, n=100, method="inclusive")[98]
                if len(gaps) > 1
                else gaps[0]
            ),
            "ticks": len(gaps),
            "stalls_over_50ms": sum(1 for g in gaps if g > 0.050),
            "stalls_over_20ms": len(long_gaps),
            # Diagnosis: where the worst gap started, how many rows were loaded then, how much
            # of it the GUI thread itself ran (the rest it waited: for the GIL or for a core),
            # the whole process (GUI + worker threads) ran, and the garbage collector ran.
            "worst_stall_at_s": hb.worst_span[0] - start,
            "worst_stall_at_rows": hb.rows_at_worst,
            "worst_stall_gui_cpu_ms": ms(hb.busy[worst]),
            "worst_stall_process_cpu_ms": ms(hb.process_busy[worst]),
            "worst_stall_in_gc_ms": ms(self.gc.within(*hb.worst_span)),
            "stalls_over_20ms_gui_cpu_share": (
                sum(b for _, b in long_gaps) / sum(g for g, _ in long_gaps) if long_gaps else 0.0
            ),
            "gc_collections": len(collections),
            "gc_full_collections": len(full),
            "gc_full_on_gui_thread": sum(1 for p in full if p[3]),
            "gc_max_pause_ms": ms(max((p[2] for p in collections), default=0.0)),
            "gc_full_median_ms": ms(statistics.median(p[2] for p in full)) if full else 0.0,
            "full_gc_ms_empty": ms(gc_empty),
            "full_gc_ms_loaded": ms(gc_loaded),
            "gc_tracked_empty": tracked_empty,
            "gc_tracked_loaded": tracked_loaded,
            "rss_empty_mb": rss_empty / MB,
            "rss_loaded_mb": rss_loaded / MB,
            "rss_mb_per_100k_rows": (rss_loaded - rss_empty) / MB / (rows / 100_000),
        }

    def close(self) -> None:
        self.service.shutdown(5000)
        self.window.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("s3", "azure"), default="s3", help="the connection's kind")
    p.add_argument("--url", required=True, help="the endpoint (Azure: the account's blob URL)")
    p.add_argument("--key", required=True, help="the access key id (Azure: the account name)")
    p.add_argument("--secret", required=True, help="the secret key (Azure: the account key)")
    p.add_argument("--bucket", required=True)
    p.add_argument("--flat-prefix", default="flat/")
    p.add_argument("--flat-keys", type=int, required=True, help="keys in the flat folder")
    p.add_argument("--small-prefix", default="small/")
    p.add_argument(
        "--small-keys", type=int, default=1000, help="keys in the small folder (0: none)"
    )
    p.add_argument("--runs", type=int, default=3, help="first-rows tries (median)")
    p.add_argument("--server-pid", type=int, default=0, help="for the server's CPU time")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per wait")
    p.add_argument("--trace", action="store_true", help="time every event (slows the GUI)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    qInstallMessageHandler(_qt_message)
    bench = Bench(args)
    try:
        out = bench.run()
    finally:
        bench.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
