"""Fixtures for GUI tests: storage services whose jobs all end while the windows live."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.service import StorageService

ServiceFactory = Callable[..., StorageService]


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
