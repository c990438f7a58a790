"""The GUI half of the ``transfers`` suite, run in its own process by ``transfers.gui_case``.

    QT_QPA_PLATFORM=offscreen python tests/bench/gui_transfers.py --url URL --key K \
        --secret S --bucket B --folder DIR

Opens the real ``MainWindow`` (offscreen) on the server, drops ``DIR`` (the bench's
2,000 small files) into a fresh prefix as a drag and drop from the desktop would, and
prints one JSON object on stdout: how long until every file was uploaded and verified, and
the **event-loop stall** — a 5 ms heartbeat ``QTimer`` records the gap between its ticks
from the drop until the batch ends (planning on a worker, queueing, the transfers, the
10 Hz progress polls and the final refresh of the list).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(_HERE.parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Its own journal and settings: never the user's.
for _name in ("CONFIG", "DATA", "CACHE"):
    os.environ.setdefault(f"CLOUDBROWSER_{_name}_DIR", tempfile.mkdtemp(prefix="cb-bench-gui-"))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cloudbrowser.core.connection import ConnectionSettings, Credentials  # noqa: E402
from cloudbrowser.core.journal import State  # noqa: E402
from cloudbrowser.gui.navigation import Location  # noqa: E402
from cloudbrowser.gui.service import StorageService  # noqa: E402
from cloudbrowser.gui.widgets.main_window import ConnectionRequest, MainWindow  # noqa: E402

HEARTBEAT_MS = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    for flag in ("--url", "--key", "--secret", "--bucket", "--folder"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)

    app = QApplication(sys.argv[:1])
    service = StorageService()
    window = MainWindow(service)
    window.transfers.opener = lambda _url: None
    window.show()
    settings = ConnectionSettings(
        name="bench", endpoint_url=args.url, region="us-east-1", addressing_style="path"
    )
    window.open_connection(
        ConnectionRequest(settings, Credentials(args.key, args.secret), f"{args.bucket}/")
    )
    prefix = f"gui-drop-{time.time_ns()}/"
    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [0]
    started = [0.0]
    result: dict[str, object] = {}

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    def drop() -> None:
        gaps.clear()
        last[0] = clock.elapsed()
        started[0] = time.perf_counter()
        window.upload_paths([Path(args.folder)], Location("bench", args.bucket, prefix))

    def check() -> None:
        transfers = window.transfers.queue.transfers()
        busy = window.transfers.queue.activity().busy or service.runner.active
        if not started[0] or not transfers or busy:
            return
        seconds = time.perf_counter() - started[0]
        heartbeat.stop()
        done = sum(t.state is State.DONE and t.verified for t in transfers)
        result.update(
            files=len(transfers),
            verified=done,
            seconds=seconds,
            files_per_s=len(transfers) / seconds,
            max_stall_ms=max(gaps) if gaps else 0,
            p99_stall_ms=statistics.quantiles(gaps, n=100)[98] if len(gaps) > 100 else 0,
        )
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
