"""Fixtures for GUI tests: storage services whose jobs all end while the windows live."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.gui import message_icons
from cloudbrowser.gui.app import install_plural_forms
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server, TestServer

ServiceFactory = Callable[..., StorageService]


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_the_gui_thread() -> Iterator[None]:
    """After each GUI test: delete its closed windows and collect its garbage *here*.

    pytest-qt closes a test's windows and ``deleteLater()``s them, but nothing runs those
    deletions until the next test's event loop; their Python wrappers, held in reference
    cycles (window ↔ its helpers), wait for the garbage collector. If the collector then
    runs on a worker thread (a job allocating, e.g. building a boto3 client) while the GUI
    thread processes the deferred deletion, shiboken deletes the window twice: a segfault
    in a later test. Set up before any other fixture, so this runs after they have all been
    torn down (and every job has finished, see ``make_service``).
    """
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(scope="session", autouse=True)
def _english_plural_forms(qapp: QApplication) -> None:
    """As the app does at start (gui/app.py): "1 file", "2 files", not "1 file(s)"."""
    assert install_plural_forms(qapp) is not None


@pytest.fixture(autouse=True)
def _no_blocking_quit_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """A window closed at teardown while work runs would ask "quit anyway?" in a modal box
    that nobody answers, hanging the session: answer Yes, as a user closing it would.
    Tests about the question replace this with their own answer."""

    def yes(*_args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(message_icons, "ask", yes)


@pytest.fixture
def make_service(qtbot: QtBot) -> Iterator[ServiceFactory]:
    """``make_service(page_size=..., max_threads=...)``; torn down safely after the test."""
    made: list[StorageService] = []

    def make(**kwargs: int) -> StorageService:
        made.append(StorageService(**kwargs))
        return made[-1]

    yield make
    for svc in made:
        # Every job must deliver its "finished" before pytest-qt closes and deleteLater()s
        # the windows: a window whose Python wrapper is then garbage-collected on a worker
        # thread is deleted a second time by shiboken (a segfault in a later test).
        qtbot.waitUntil(lambda svc=svc: svc.runner.active == 0, timeout=15_000)
        assert svc.shutdown(5000), "background jobs did not end"


# ── a main window on a test server (shared by the window tests) ───────────────────────


def open_window(
    qtbot: QtBot, service: StorageService, server: S3Server, tmp_path: Path
) -> MainWindow:
    """A shown main window connected to ``server``, its first listing loaded; downloads go
    under ``tmp_path`` and nothing is opened after them. Call ``transfers.shutdown()`` on it
    when done."""
    conn = service.add_connection(server.settings(), server.credentials)
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.transfers.settings = replace(
        window.transfers.settings, download_folder=str(tmp_path / "downloads")
    )
    window.transfers.opener = lambda url: None
    window.add_connection(conn.id)
    window.show()
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)
    return window


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    """A storage service with four workers (files that need pages or threads of another
    size define their own)."""
    return make_service(max_threads=4)


@pytest.fixture
def window_server(server: S3Server) -> TestServer:
    """The server ``window`` opens: ``server`` (moto and rclone) unless a file defines its
    own (``memory_server``, ``moto_server``, ``any_server``…)."""
    return server


@pytest.fixture
def window(
    qtbot: QtBot, service: StorageService, window_server: TestServer, tmp_path: Path
) -> Iterator[MainWindow]:
    """A shown main window on ``window_server`` (:func:`open_window`); its transfers are
    shut down after the test."""
    win = open_window(qtbot, service, window_server, tmp_path)  # type: ignore[arg-type]
    yield win
    win.transfers.shutdown()


def go(qtbot: QtBot, window: MainWindow, bucket: str, prefix: str = "") -> None:
    """Show ``bucket/prefix`` of the window's connection, listing loaded."""
    window.navigate(Location(window.history.current.connection, bucket, prefix))
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)


def bucket_contents(server: S3Server, bucket: str) -> dict[str, bytes]:
    """Every key of ``bucket`` with its bytes, read with the raw client."""
    client = server.client
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return found
