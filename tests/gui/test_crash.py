"""A bug on any thread is logged and shown with copyable details and the log path."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.logs import remove_handlers, setup_logging
from cloudbrowser.gui.crash import CrashReporter

SECRET = "crash-test-secret-key-0123456789"


@pytest.fixture
def reporter(qtbot: QtBot) -> Iterator[tuple[CrashReporter, Path]]:
    saved = (logging.getLogger().level, logging.getLogger("cloudbrowser").level)
    log_file = setup_logging(0, stderr=False)
    crashes = CrashReporter(log_file)
    crashes.install()
    yield crashes, log_file
    crashes.uninstall()
    if crashes.dialog is not None:
        crashes.dialog.close()
        crashes.dialog.deleteLater()
    remove_handlers()
    logging.getLogger().setLevel(saved[0])
    logging.getLogger("cloudbrowser").setLevel(saved[1])


def _log_text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_an_exception_on_the_gui_thread_shows_the_dialog_and_is_logged(
    qtbot: QtBot, reporter: tuple[CrashReporter, Path]
) -> None:
    crashes, log_file = reporter
    Credentials("AKIDCRASH", SECRET)  # held by the app, so registered with the redactor
    try:
        raise RuntimeError(f"broken on purpose with {SECRET}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: crashes.dialog is not None and crashes.dialog.isVisible())
    assert crashes.dialog is not None
    details = crashes.dialog.details.toPlainText()
    assert "RuntimeError: broken on purpose with [redacted]" in details
    assert "thread: MainThread" in details
    assert str(log_file) in crashes.dialog.log_label.text()
    crashes.dialog.copy_button.click()
    copied = QApplication.clipboard().text()
    assert "RuntimeError" in copied and str(log_file) in copied
    text = _log_text(log_file)
    assert "uncaught exception in thread MainThread" in text
    assert "RuntimeError: broken on purpose" in text
    assert SECRET not in text and SECRET not in details and SECRET not in copied


def test_an_exception_in_a_worker_thread_reaches_the_dialog(
    qtbot: QtBot, reporter: tuple[CrashReporter, Path]
) -> None:
    crashes, log_file = reporter

    def broken() -> None:
        raise KeyError("from a worker")

    thread = threading.Thread(target=broken, name="worker-under-test")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: crashes.dialog is not None and crashes.dialog.isVisible())
    assert crashes.dialog is not None
    assert "thread: worker-under-test" in crashes.dialog.details.toPlainText()
    assert "KeyError: 'from a worker'" in _log_text(log_file)


def test_a_second_crash_is_added_to_the_open_dialog(
    qtbot: QtBot, reporter: tuple[CrashReporter, Path]
) -> None:
    crashes, _ = reporter
    for n in (1, 2):
        try:
            raise ValueError(f"crash {n}")
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    qtbot.waitUntil(
        lambda: crashes.dialog is not None and "crash 2" in crashes.dialog.details.toPlainText()
    )
    assert crashes.dialog is not None
    assert "crash 1" in crashes.dialog.details.toPlainText()
    visible = [w for w in QApplication.topLevelWidgets() if w.objectName() == "crashDialog"]
    assert len([w for w in visible if w.isVisible()]) == 1


# A real start of the app, a bug raised in a slot of the running event loop: the window
# stays, the dialog shows, the log file says what happened. Quits once the dialog is seen.
CHILD = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from cloudbrowser.__main__ import main

real_exec = QApplication.exec

def crash():
    raise ZeroDivisionError("a deliberate crash")

def look():
    dialogs = [w for w in QApplication.topLevelWidgets()
               if w.objectName() == "crashDialog" and w.isVisible()]
    if not dialogs:
        return QTimer.singleShot(20, look)
    print("DIALOG", dialogs[0].findChild(QLabel, "crashLogPath").text(), flush=True)
    for w in QApplication.topLevelWidgets():
        w.close()

def exec_with_a_crash(*args):
    QTimer.singleShot(200, crash)
    QTimer.singleShot(250, look)
    return real_exec(*args)

QApplication.exec = staticmethod(exec_with_a_crash)
sys.exit(main([]))  # a first start: the connection manager, no network
"""


def test_a_deliberate_crash_in_the_running_app(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    log_file = Path(os.environ["CLOUDBROWSER_LOG_DIR"]) / "cloudbrowser.log"
    assert f"DIALOG Log file: {log_file}" in done.stdout
    text = log_file.read_text(encoding="utf-8")
    assert "ZeroDivisionError: a deliberate crash" in text


# A crash of the interpreter itself (no excepthook runs): faulthandler leaves a traceback.
NATIVE = """
import faulthandler, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cloudbrowser.__main__ import main

real_exec = QApplication.exec

def exec_then_segfault(*args):
    QTimer.singleShot(100, faulthandler._sigsegv)
    return real_exec(*args)

QApplication.exec = staticmethod(exec_then_segfault)
sys.exit(main([]))
"""


def test_a_native_crash_leaves_a_traceback_in_the_log_dir(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", NATIVE],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    text = (Path(os.environ["CLOUDBROWSER_LOG_DIR"]) / "native-crash.log").read_text()
    assert "Fatal Python error: Segmentation fault" in text
    assert "exec_then_segfault" in text or "Current thread" in text
