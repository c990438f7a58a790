"""Jobs deliver every result exactly once, on the GUI thread, even when they finish at once."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, Slot
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import Cancelled, NotFound
from cloudbrowser.gui import workers
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job


class Collector(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.progress: list[object] = []
        self.results: list[object] = []
        self.failures: list[object] = []
        self.finished = 0
        self.threads: set[int] = set()

    def _seen(self) -> None:
        self.threads.add(threading.get_ident())

    @Slot(object)
    def on_progress(self, value: object) -> None:
        self._seen()
        self.progress.append(value)

    @Slot(object)
    def on_result(self, value: object) -> None:
        self._seen()
        self.results.append(value)

    @Slot(object)
    def on_failed(self, error: object) -> None:
        self._seen()
        self.failures.append(error)

    @Slot()
    def on_finished(self) -> None:
        self._seen()
        self.finished += 1


def test_instant_jobs_lose_nothing(qtbot: QtBot, service: StorageService) -> None:
    # A job that reports and returns at once races whoever connects to it: slots are
    # connected before the start, so nothing is emitted into the void.
    sink = Collector()

    def work(job: Job) -> int:
        job.report("page")
        return 1

    for _ in range(300):
        service.run(
            work,
            "instant",
            progress=sink.on_progress,
            succeeded=sink.on_result,
            finished=sink.on_finished,
        )
    qtbot.waitUntil(lambda: sink.finished == 300, timeout=20_000)
    assert len(sink.progress) == 300 and len(sink.results) == 300
    assert sink.threads == {threading.get_ident()}  # every slot ran on the GUI thread


def test_failure_reaches_the_handler_once_and_cancel_stays_silent(
    qtbot: QtBot, service: StorageService
) -> None:
    sink = Collector()

    def fails(_job: Job) -> None:
        raise NotFound("gone")

    def crashes(_job: Job) -> None:
        raise ZeroDivisionError("bug")

    def cancelled(_job: Job) -> None:
        raise Cancelled("stopped")

    for fn in (fails, crashes, cancelled):
        service.run(fn, fn.__name__, failed=sink.on_failed, finished=sink.on_finished)
    qtbot.waitUntil(lambda: sink.finished == 3, timeout=10_000)
    assert sorted(type(e).__name__ for e in sink.failures) == ["NotFound", "UnexpectedError"]
    unexpected = next(e for e in sink.failures if type(e).__name__ == "UnexpectedError")
    assert "ZeroDivisionError" in unexpected.detail  # type: ignore[attr-defined]


def test_a_finished_job_is_let_go_on_the_gui_thread(
    qtbot: QtBot, service: StorageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a job's function holds is freed on the GUI thread, even when the worker is the
    last to leave ``run()`` (a Qt object freed on a pool thread crashes the process)."""
    monkeypatch.setattr(workers, "SIGNALS_KEPT_MS", 50)
    freed_on: list[str] = []
    worker_may_return = threading.Event()
    real_run = Job.run

    def slow_return(job: Job) -> None:
        real_run(job)  # emits finished
        worker_may_return.wait(10)  # the GUI thread handles finished first

    monkeypatch.setattr(Job, "run", slow_return)

    class Held:
        def __del__(self) -> None:
            freed_on.append(threading.current_thread().name)

    def start() -> None:
        held = Held()
        service.run(lambda _job: held, "holding an object")

    start()
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=5_000)
    worker_may_return.set()
    qtbot.waitUntil(lambda: bool(freed_on), timeout=5_000)
    assert freed_on == [threading.main_thread().name]
