"""A second start hands its request to the running window and ends; a socket left by a
crashed window never blocks a start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.app import open_request
from cloudbrowser.gui.single_instance import InstanceGuard, OpenRequest, server_name
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def name() -> str:
    return f"cloudbrowser-test-{uuid.uuid4().hex[:12]}"


def test_a_second_start_hands_its_request_to_the_first(qtbot: QtBot, name: str) -> None:
    first = InstanceGuard(name)
    assert not first.hand_off_or_listen(OpenRequest()), "nobody runs yet: this is the first"
    second = InstanceGuard(name)
    request = OpenRequest("work", "photos/2024/")
    # Both in this thread: the hand-off's own event loop lets the first one answer.
    with qtbot.waitSignal(first.requested, timeout=10_000) as got:
        assert second.hand_off(request)
    assert got.args == [request]
    first.close()


def test_a_stale_socket_of_a_crashed_window_does_not_block_the_start(
    qtbot: QtBot, name: str
) -> None:
    # What a killed window leaves on Unix: the socket file, nobody listening on it.
    probe = QLocalServer()
    assert probe.listen(name)
    path = probe.fullServerName()
    probe.close()
    if sys.platform != "win32":
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        assert Path(path).exists()
    guard = InstanceGuard(name)
    assert not guard.hand_off_or_listen(OpenRequest()), "the stale socket took nothing"
    other = InstanceGuard(name)
    with qtbot.waitSignal(guard.requested, timeout=10_000):
        assert other.hand_off(OpenRequest(location="b/"))
    guard.close()


def test_nothing_listening_is_a_quick_no(qtbot: QtBot, name: str) -> None:
    started = time.monotonic()
    assert InstanceGuard(name).hand_off(OpenRequest()) is False
    assert time.monotonic() - started < 2, "no waiting for the timeout when nobody listens"


def test_a_listener_that_is_not_cloudbrowser_takes_nothing(qtbot: QtBot, name: str) -> None:
    mute = QLocalServer()
    assert mute.listen(name)  # accepts, never answers
    assert InstanceGuard(name).hand_off(OpenRequest(), timeout_ms=500) is False
    mute.close()


def test_a_second_cloudbrowser_process_hands_off_and_exits(qtbot: QtBot) -> None:
    """The real entry point: ``cloudbrowser --connection work b/x/`` beside a running window."""
    first = InstanceGuard(server_name())  # the name this config dir gives every start
    assert first.listen()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    with qtbot.waitSignal(first.requested, timeout=60_000) as got:
        child = subprocess.Popen(
            [sys.executable, "-m", "cloudbrowser", "--connection", "work", "b/x/"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    qtbot.waitUntil(lambda: child.poll() is not None, timeout=60_000)
    _out, err = child.communicate()
    assert child.returncode == 0, err
    assert got.args == [OpenRequest("work", "b/x/")]
    first.close()


def test_the_window_opens_a_handed_off_request(qtbot: QtBot, make_service: ServiceFactory) -> None:
    window = MainWindow(make_service())
    qtbot.addWidget(window)
    window.show()
    # No connection open and no last session: a location alone shows the manager.
    open_request(window, OpenRequest(location="bucket/"))
    dialog = window.connections_dialog()
    qtbot.waitUntil(dialog.isVisible)
    dialog.reject()
    window.transfers.shutdown()
