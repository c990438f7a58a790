"""The GUI half of the ``transfers`` suite, run in its own process by ``transfers.gui_case``.

    QT_QPA_PLATFORM=offscreen python tests/bench/gui_transfers.py --url URL --key K \
        --secret S --bucket B --folder DIR

Opens the real ``MainWindow`` (offscreen) on the server, drops ``DIR`` (the bench's
2,000 small files) into a fresh prefix as a drag and drop from the desktop would, and
prints one JSON object on stdout: how long until every file was uploaded and verified, and
the **event-loop stall** — a 5 ms heartbeat ``QTimer`` records the gap between its ticks
from the drop until the batch ends (planning on a worker, queueing, the transfers, the
10 Hz progress polls and the final refresh of the list), and the CPU the GUI thread and
the whole process spent meanwhile (the window's own work, apart from the machine's load).

``--trace`` (diagnostics: a sampler thread adds its own load) prints to stderr what each
gap over 30 ms was made of (see ``StallTracer``); ``--profile FILE`` writes a cProfile of
the GUI thread from the drop to the end. ``--acts`` (see ``Acts``) acts on the file list
every 20 ms during the drop and adds ``act_to_paint_ms`` to the JSON: how soon the list
painted after each act, with the engine giving way to it (``core/give_way.py``) and not,
in alternate 200 ms spans of the same run. ``--cpu-turns N``, ``--concurrency N`` and
``--small-concurrency N`` run the window's queue with other options
(``core/cpu_turns.py``); ``--reply-delay-ms MS`` reads every reply's head that late, as
over a network with that round trip.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import cProfile
import dataclasses
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(_HERE.parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Its own journal and settings: never the user's; removed when the run ends.
_STATE = Path(tempfile.mkdtemp(prefix="cb-bench-gui-"))
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
for _name in ("CONFIG", "DATA", "CACHE"):
    (_STATE / _name.lower()).mkdir()
    os.environ.setdefault(f"CLOUDBROWSER_{_name}_DIR", str(_STATE / _name.lower()))

from PySide6.QtCore import QElapsedTimer, QEvent, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeyEvent, QPaintEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from cloudbrowser.core import give_way  # noqa: E402
from cloudbrowser.core.connection import ConnectionSettings, Credentials  # noqa: E402
from cloudbrowser.core.journal import State  # noqa: E402
from cloudbrowser.gui.app import freeze_startup_objects_after_first_listing  # noqa: E402
from cloudbrowser.gui.navigation import Location  # noqa: E402
from cloudbrowser.gui.service import StorageService  # noqa: E402
from cloudbrowser.gui.widgets import views  # noqa: E402
from cloudbrowser.gui.widgets.main_window import ConnectionRequest, MainWindow  # noqa: E402

HEARTBEAT_MS = 5
#: ``--trace``: gaps longer than this are reported with what the GUI thread was doing.
TRACE_GAP_MS = 30
#: ``--trace``: how often the sampler thread looks at the GUI thread's stack.
SAMPLE_S = 0.002


def _runqueue_wait() -> float:
    """Seconds this thread has waited for a core so far (Linux schedstat), else 0."""
    try:
        stat = Path("/proc/thread-self/schedstat").read_text(encoding="ascii")
        return int(stat.split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class StallTracer:
    """``--trace`` (diagnostics only): what made each long gap of the heartbeat.

    Per gap it compares the GUI thread's own CPU (``time.thread_time`` in the heartbeat)
    with the whole process's: a gap the GUI thread spent computing is its own work, a gap
    where it got little CPU while the process burned it is the GIL (or the CPU) held by the
    transfer threads. A sampler thread records the GUI thread's stack every ``SAMPLE_S``
    (when it gets the GIL itself), and the collector's pauses are timed, so each long gap
    is printed to stderr with the stacks seen in it, counted.
    """

    def __init__(self) -> None:
        self.gui_ident = threading.get_ident()
        self.samples: collections.deque[tuple[float, str]] = collections.deque(maxlen=20_000)
        self.gc_pauses: collections.deque[tuple[float, float, int]] = collections.deque(
            maxlen=20_000
        )
        self._gc_start = 0.0
        self._last = (time.perf_counter(), time.thread_time(), time.process_time())
        self._last_wait = _runqueue_wait()
        self.stalls: list[dict[str, object]] = []
        self._stop = threading.Event()
        gc.callbacks.append(self._gc)
        threading.Thread(target=self._sample, name="stall-sampler", daemon=True).start()

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.append((self._gc_start, time.perf_counter(), info["generation"]))

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            frame = sys._current_frames().get(self.gui_ident)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)[-8:]
            text = " < ".join(
                f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(stack)
            )
            self.samples.append((time.perf_counter(), text))

    def beat(self) -> None:
        now, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        start, start_cpu, start_process = self._last
        self._last = (now, cpu, process_cpu)
        wait = _runqueue_wait()
        runqueue_ms = (wait - self._last_wait) * 1000
        self._last_wait = wait
        gap_ms = (now - start) * 1000
        if gap_ms < TRACE_GAP_MS:
            return
        stacks = collections.Counter(text for t, text in self.samples if start <= t <= now)
        gcs = [(b - a) * 1000 for a, b, _g in self.gc_pauses if a >= start and b <= now]
        gens = collections.Counter(g for a, b, g in self.gc_pauses if a >= start and b <= now)
        stall = {
            "gap_ms": round(gap_ms, 1),
            "gui_cpu_ms": round((cpu - start_cpu) * 1000, 1),
            "process_cpu_ms": round((process_cpu - start_process) * 1000, 1),
            # Runnable but not on a core (other threads and programs had them); the rest of
            # the gap past the CPU and this is sleep: the idle loop, or a lock (the GIL).
            "runqueue_ms": round(runqueue_ms, 1),
            "gc_ms": round(sum(gcs), 1),
            "gcs": len(gcs),
            "gc_generations": sorted(gens.items()),
            "gc_longest_ms": round(max(gcs, default=0), 1),
            "stacks": stacks.most_common(6),
        }
        self.stalls.append(stall)

    def stop(self) -> None:
        self._stop.set()
        # What the long gaps were made of, summed: the GUI thread's own work, waiting for a
        # core, the collector (on any thread: it holds the GIL), and the rest asleep (the GIL
        # held by a transfer thread, the idle loop between ticks).
        total = {key: 0.0 for key in ("gap_ms", "gui_cpu_ms", "runqueue_ms", "gc_ms")}
        for stall in self.stalls:
            for key in total:
                total[key] += float(str(stall[key]))
        asleep = total["gap_ms"] - total["gui_cpu_ms"] - total["runqueue_ms"]
        summary = {"stalls": len(self.stalls), **total, "asleep_ms": asleep}
        print(
            "stall summary: " + json.dumps({k: round(v, 1) for k, v in summary.items()}),
            file=sys.stderr,
        )
        for stall in sorted(self.stalls, key=lambda s: -float(str(s["gap_ms"]))):
            print(json.dumps(stall), file=sys.stderr)


class Acts:
    """``--acts``: every ``EVERY_MS`` a key press (Down, Up, …) on the file list and a
    repaint of it, as a user scrolling row by row causes; each act is timed to the end of
    the list's next paint. In alternate ``SPAN_MS`` spans the window's holds are switched
    off (``give_way.hold`` does nothing), so both kinds of act share the run's load."""

    EVERY_MS = 20
    SPAN_MS = 200

    def __init__(self, clock: QElapsedTimer) -> None:
        self._clock = clock
        self._hold = give_way.hold
        self._pending: tuple[float, bool] | None = None
        self._count = 0
        self.window: MainWindow | None = None
        self.times: dict[bool, list[float]] = {True: [], False: []}
        acts = self

        def paint_event(view: views.ObjectView, event: QPaintEvent) -> None:
            QTableView.paintEvent(view, event)
            acts.painted()

        # Before the window exists: shiboken looks the override up on the class.
        views.ObjectView.paintEvent = paint_event  # type: ignore[method-assign,assignment]
        self._timer = QTimer()
        self._timer.setInterval(self.EVERY_MS)
        self._timer.timeout.connect(self._act)

    def start(self, window: MainWindow) -> None:
        self.window = window
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        give_way.hold = self._hold

    def _act(self) -> None:
        if self.window is None:
            return
        holding = (self._clock.elapsed() // self.SPAN_MS) % 2 == 0
        give_way.hold = self._hold if holding else (lambda: None)
        key = Qt.Key.Key_Down if self._count % 2 == 0 else Qt.Key.Key_Up
        self._count += 1
        self._pending = (time.perf_counter(), holding)
        press = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.window.view, press)
        self.window.view.viewport().update()

    def painted(self) -> None:
        if self._pending is not None:
            started, holding = self._pending
            self._pending = None
            self.times[holding].append((time.perf_counter() - started) * 1000)

    def figures(self) -> dict[str, dict[str, float]]:
        out = {}
        for holding, times in self.times.items():
            if len(times) < 10:
                continue
            deciles = statistics.quantiles(times, n=10)
            out["held" if holding else "not held"] = {
                "acts": len(times),
                "median": round(statistics.median(times), 1),
                "p90": round(deciles[8], 1),
                "max": round(max(times), 1),
            }
        return out


def _delay_replies(seconds: float) -> None:
    """Every reply's head is read ``seconds`` late, in a wait that lets the interpreter
    lock go, as a server across a network would keep it: what a round trip does to the
    window's rate with turns and without, on this machine's loopback."""
    from cloudbrowser.core.backends import http_pool

    read_head = http_pool.Connection.read_head

    def late(connection: http_pool.Connection, *, head_only: bool) -> http_pool.Reply:
        time.sleep(seconds)
        return read_head(connection, head_only=head_only)

    http_pool.Connection.read_head = late  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    for flag in ("--url", "--key", "--secret", "--bucket", "--folder"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--trace", action="store_true", help="say what made each long gap")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the GUI thread into FILE")
    parser.add_argument(
        "--acts", action="store_true", help="time the list's paints after acts (see Acts)"
    )
    parser.add_argument(
        "--cpu-turns", type=int, help="the queue's turns (core/cpu_turns.py), not the window's"
    )
    parser.add_argument("--concurrency", type=int, help="workers instead of the window's")
    parser.add_argument(
        "--small-concurrency", type=int, help="small files at once instead of the window's"
    )
    parser.add_argument(
        "--reply-delay-ms",
        type=float,
        default=0.0,
        help="wait this long before reading each reply's head, as a round trip would",
    )
    args = parser.parse_args(argv)
    if args.reply_delay_ms:
        _delay_replies(args.reply_delay_ms / 1000)

    app = QApplication(sys.argv[:1])
    clock = QElapsedTimer()
    clock.start()
    acts = Acts(clock) if args.acts else None
    service = StorageService()
    window = MainWindow(service)
    window.transfers.opener = lambda _url: None
    # As the app does (gui/app.py): start-up's objects leave the collector after the first
    # listing, else each full collection walks them all with the GIL held (~30 ms).
    freeze_startup_objects_after_first_listing(window)
    window.show()
    settings = ConnectionSettings(
        name="bench", endpoint_url=args.url, region="us-east-1", addressing_style="path"
    )
    window.open_connection(
        ConnectionRequest(settings, Credentials(args.key, args.secret), f"{args.bucket}/")
    )
    # As the app does after its first paint (gui/app.py): the journal is opened and what
    # a previous run left is listed, before any drop; else the first drop opened it, on
    # the GUI thread (a 65 ms stall no user meets).
    window.transfers.restore()
    queue = window.transfers.queue
    if args.cpu_turns is not None:
        queue.set_options(dataclasses.replace(queue.options, cpu_turns=args.cpu_turns))
    if args.concurrency is not None:
        queue.set_options(dataclasses.replace(queue.options, concurrency=args.concurrency))
    if args.small_concurrency is not None:
        small = args.small_concurrency
        queue.set_options(dataclasses.replace(queue.options, small_concurrency=small))
    prefix = f"gui-drop-{time.time_ns()}/"
    gaps: list[int] = []
    last = [0]
    started = [0.0]
    #: The GUI thread's CPU and the whole process's at the drop: what the window's own work
    #: costs is apart from the machine's load, which the stalls are not.
    cpu_at_drop = [0.0, 0.0]
    result: dict[str, object] = {}
    tracer = StallTracer() if args.trace else None
    # The GUI thread's only (cProfile follows the thread that enables it), in its CPU time:
    # wall time would count the waits for a core and the GIL into whatever ran then.
    profiler = cProfile.Profile(time.thread_time) if args.profile else None

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now
        if tracer is not None:
            tracer.beat()

    def drop() -> None:
        gaps.clear()
        last[0] = clock.elapsed()
        started[0] = time.perf_counter()
        cpu_at_drop[:] = [time.thread_time(), time.process_time()]
        if tracer is not None:
            tracer.stalls.clear()
        if profiler is not None:
            profiler.enable()
        if acts is not None:
            acts.start(window)
        window.upload_paths([Path(args.folder)], Location("bench", args.bucket, prefix))

    ended = [False]
    window.transfers.batchFinished.connect(lambda _batch, _members: ended.__setitem__(0, True))

    def check() -> None:
        # Cheap until the batch has ended: a pass over the queue every 50 ms would be the
        # bench's own load on the GUI thread it measures.
        if not ended[0] or service.runner.active:
            return
        transfers = window.transfers.queue.transfers()
        seconds = time.perf_counter() - started[0]
        heartbeat.stop()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        if tracer is not None:
            tracer.stop()
        if acts is not None:
            acts.stop()
        done = sum(t.state is State.DONE and t.verified for t in transfers)
        result.update(
            files=len(transfers),
            verified=done,
            seconds=seconds,
            files_per_s=len(transfers) / seconds,
            gui_thread_cpu_s=time.thread_time() - cpu_at_drop[0],
            process_cpu_s=time.process_time() - cpu_at_drop[1],
            max_stall_ms=max(gaps) if gaps else 0,
            p99_stall_ms=statistics.quantiles(gaps, n=100)[98] if len(gaps) > 100 else 0,
        )
        if acts is not None:
            result["act_to_paint_ms"] = acts.figures()
        window.transfers.shutdown()
        app.quit()

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    # Drop once the window has listed the bucket and the client exists (as a user would).
    window.list_model.loadingChanged.connect(
        lambda loading: QTimer.singleShot(200, drop) if not loading and not started[0] else None
    )
    watch = QTimer()
    watch.setInterval(50)
    watch.timeout.connect(check)
    watch.start()
    QTimer.singleShot(600_000, app.quit)  # a bench never hangs forever
    app.exec()
    service.shutdown(2000)
    print(json.dumps(result))
    return 0 if result else 1


if __name__ == "__main__":
    sys.exit(main())
