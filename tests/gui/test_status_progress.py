"""The status bar's transfer progress: throttled, and never repainted synchronously."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QProgressBar
from pytestqt.qtbot import QtBot

from cloudbrowser.core.transfers import Activity
from cloudbrowser.gui.status_progress import Throttle, set_value_later
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_the_throttle_lets_through_at_most_its_rate() -> None:
    clock = FakeClock()
    throttle = Throttle(2.0, clock)
    allowed = 0
    for _ in range(300):  # 3 seconds of 100 Hz ticks
        allowed += throttle.ready()
        clock.now += 0.01
    assert allowed == 6
    throttle.reset()
    assert throttle.ready(), "after a reset, at once"


def test_a_new_value_is_painted_with_the_next_frame_not_at_once(qtbot: QtBot) -> None:
    bar = QProgressBar()
    bar.setRange(0, 100)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    counter = PaintCounter()
    bar.installEventFilter(counter)
    qtbot.wait(50)  # whatever was pending is painted
    before = counter.paints
    bar.setValue(40)
    assert counter.paints == before + 1, "QProgressBar.setValue repaints synchronously"
    set_value_later(bar, 80)
    assert bar.value() == 80
    assert counter.paints == before + 1, "no paint inside the call"
    qtbot.waitUntil(lambda: counter.paints > before + 1)


def test_the_status_bar_progress_changes_at_most_twice_a_second(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    window = MainWindow(make_service())
    qtbot.addWidget(window)
    clock = FakeClock()
    window.transfer_status_throttle = Throttle(2.0, clock)
    bar = window._transfer_bar
    values: list[int] = []
    bar.valueChanged.connect(values.append)
    titles: list[str] = []
    window.windowTitleChanged.connect(titles.append)

    total = 1000
    for done in range(0, total, 10):  # 100 polls, 10 ms apart: one second of a batch
        window._on_transfer_activity(
            Activity(frozenset({"b"}), running=8, queued=1, bytes_done=done, bytes_total=total)
        )
        clock.now += 0.01
    assert len(values) <= 3 and values[0] == 0, values
    assert len(titles) <= 3, titles
    assert not bar.isHidden()

    window._on_transfer_activity(Activity())  # the end shows at once
    assert bar.isHidden() and window.windowTitle() == "cloudbrowser"
    window._on_transfer_activity(
        Activity(frozenset({"c"}), running=1, bytes_done=500, bytes_total=total)
    )
    assert not bar.isHidden() and bar.value() == 50, "a new batch shows at once"
    window.transfers.shutdown()


def test_the_status_bar_says_which_connection_its_files_wait_for(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    """While one file of a connection waits to be tried again, the others wait for it
    (core.transfers._Outage): the status bar says so, not only "12 transfers"."""
    window = MainWindow(make_service())
    qtbot.addWidget(window)
    window._on_transfer_activity(
        Activity(frozenset({"b"}), queued=12, bytes_total=100, waiting_for=frozenset({"prod"}))
    )
    assert window._transfer_label.text() == "12 transfers · waiting for “prod” to answer"
    window.transfer_status_throttle.reset()
    window._on_transfer_activity(Activity(frozenset({"b"}), queued=12, bytes_total=100))
    assert window._transfer_label.text() == "12 transfers"
    window.transfers.shutdown()
