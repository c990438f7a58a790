"""An operation (copy, move, storage class) run on a thread of its own, watched from the
command's: a progress line on a terminal, what it reports printed as it comes, and Ctrl+C
cancelling it (the requests already sent finish, so nothing is left half-done: a move's
copies made have their sources deleted)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from cloudbrowser.cli.output import Output
from cloudbrowser.cli.progress import ProgressLine
from cloudbrowser.core.operations import Operation, OperationResult, OpProgress
from cloudbrowser.core.speed import SpeedMeter

#: What the operation's thread hands over to be printed on the command's thread (between
#: two drawings of the progress line, which it would otherwise cut through).
Reports = queue.SimpleQueue[Callable[[], None]]
#: The progress line's text, from where the operation is and its bytes per second.
Describe = Callable[[OpProgress, float], str]


def run_watched(
    operation: Operation, out: Output, describe: Describe, reports: Reports | None = None
) -> OperationResult:
    """Run ``operation`` to its end, or to its cancel by Ctrl+C (``result.cancelled``),
    then wait for the copies the cancel left running to end, so that what they end with
    is reported too (``Operation.on_late``); a second Ctrl+C leaves at once. Raises what
    the operation raised."""
    line = ProgressLine(out.stderr, files=0) if out.progress else None
    meter = SpeedMeter()
    done = threading.Event()
    raised: list[BaseException] = []

    def work() -> None:
        try:
            operation.run()
        except BaseException as exc:  # handed to the command's thread, which raises it
            raised.append(exc)
        finally:
            done.set()

    def print_reports() -> None:
        if reports is None or reports.empty():
            return
        if line is not None:
            line.clear()
        while not reports.empty():
            reports.get_nowait()()

    runner = threading.Thread(target=work, name=operation.kind.value, daemon=True)
    runner.start()
    try:
        while not done.wait(0.1):
            print_reports()
            if line is not None:
                progress = operation.progress()
                meter.sample(progress.done_bytes, time.monotonic())
                line.draw(describe(progress, meter.rate()))
    except KeyboardInterrupt:
        operation.cancel()
        if line is not None:
            line.clear()
        out.note("cloudbrowser: stopping (what was sent finishes first)…")
        while not done.wait(0.1):
            print_reports()
        left = operation.left_running
        if left and not operation.wait_settled(0):
            # Copies the cancel stopped waiting for, which the server may still make.
            them = "the copy under way" if left == 1 else f"the {left} copies under way"
            out.note(
                f"cloudbrowser: the server may still make {them}: waiting to say how "
                "(Ctrl+C again leaves now)…"
            )
            while not operation.wait_settled(0.1):
                print_reports()
    finally:
        if line is not None:
            line.clear()
    print_reports()
    if raised:
        raise raised[0]
    return operation.result
