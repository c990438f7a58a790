"""The real entry point without connection options: the manager, or a saved connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import S3Server

# Runs main(argv) and reports, once the window has settled, what it shows; then quits.
CHILD = """
import json, sys
import keyring
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog
from tests.conftest import MemoryKeyring
from cloudbrowser.__main__ import main
from cloudbrowser.core.profiles import Profile, ProfileStore

keyring.set_keyring(MemoryKeyring())
endpoint, key, secret, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
if endpoint:
    store = ProfileStore()
    profile = store.add(Profile("Lab", endpoint_url=endpoint, region="us-east-1",
                                access_key_id=key))
    store.set_secret(profile, secret)
real_exec = QApplication.exec

def report():
    windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
    dialogs = [w.objectName() for w in QApplication.topLevelWidgets()
               if isinstance(w, QDialog) and w.isVisible()]
    window = windows[0]
    current = window.history.current
    if current is None and not dialogs:
        return QTimer.singleShot(50, report)  # not settled yet: look again
    if current is not None and window.list_model.loading:
        return QTimer.singleShot(50, report)
    import gc
    print(json.dumps({"dialogs": dialogs, "location": current and current.connection,
                      "rows": window.list_model.rowCount(),
                      "collector": [list(gc.get_threshold()), gc.get_freeze_count() > 0]}))
    for w in QApplication.topLevelWidgets():
        w.close()

def exec_and_report(*args):
    QTimer.singleShot(0, report)
    return real_exec(*args)

QApplication.exec = staticmethod(exec_and_report)
sys.exit(main(argv))
"""


def run_child(tmp_path: Path, *args: str) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_first_start_shows_the_connection_manager(tmp_path: Path) -> None:
    out = run_child(tmp_path, "", "", "")
    assert '"dialogs": ["connections"]' in out and '"location": null' in out


def test_connection_by_name(tmp_path: Path, moto_server: S3Server) -> None:
    moto_server.bucket("byname")
    creds = moto_server.credentials
    out = run_child(
        tmp_path,
        moto_server.endpoint_url,
        creds.access_key_id,
        creds.secret_access_key,
        "--connection",
        "Lab",
    )
    assert '"dialogs": []' in out and '"location": "Lab"' in out and '"rows": 1' in out
    # After the first listing: start-up's objects frozen, the collector run less often
    # (gui/app.py, the window's stalls while files transfer).
    from cloudbrowser.gui.app import COLLECTOR_THRESHOLDS

    assert f'"collector": [{list(COLLECTOR_THRESHOLDS)}, true]' in out, out
