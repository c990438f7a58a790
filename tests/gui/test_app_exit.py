"""Quitting never hangs on a server that does not answer (the real entry point, in a child)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.faults import SilentServer

# Runs `cloudbrowser --endpoint <silent>` and closes the window 0.8 s after start-up.
CHILD = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cloudbrowser.__main__ import main

real_exec = QApplication.exec

def exec_then_close(*args):
    QTimer.singleShot(800, lambda: [w.close() for w in QApplication.topLevelWidgets()])
    return real_exec(*args)

QApplication.exec = staticmethod(exec_then_close)
sys.exit(main(["--endpoint", sys.argv[1], "--access-key-id", "some-access-key-id"]))
"""


def test_quit_while_a_request_hangs_exits_promptly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CLOUDBROWSER_SECRET_ACCESS_KEY": "some-secret-access-key",
    }
    with SilentServer() as silent:
        # Without the bounded exit this child waits for the read timeout (60 s, 3 tries).
        done = subprocess.run(
            [sys.executable, "-c", CHILD, silent.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr
    assert "exiting with requests still waiting on the network" in done.stderr
