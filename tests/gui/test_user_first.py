"""gui/user_first.py: a key, a click or the wheel on the window's lists and
address bar holds the engine's threads for a moment (core/give_way.py); what the window
does by itself (paints, resizes, timers) holds nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QStandardItemModel, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableView, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core import give_way
from cloudbrowser.gui.user_first import UserFirst
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory


@pytest.fixture(autouse=True)
def _no_hold_left() -> Iterator[None]:
    give_way.reset()
    yield
    give_way.reset()


@pytest.fixture
def table(qtbot: QtBot) -> QTableView:
    view = QTableView()
    view.setModel(QStandardItemModel(50, 3, view))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def wheel(view: QTableView) -> QWheelEvent:
    at = QPointF(view.viewport().rect().center())
    return QWheelEvent(
        at, view.viewport().mapToGlobal(at), QPoint(), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip


def test_acts_hold_the_engine(table: QTableView) -> None:
    UserFirst([table], table)
    acts = {
        "a key": lambda: QTest.keyClick(table, Qt.Key.Key_Down),
        "a click": lambda: QTest.mouseClick(
            table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(10, 10)
        ),
        "the wheel": lambda: QApplication.sendEvent(table.viewport(), wheel(table)),
    }
    for name, act in acts.items():
        give_way.reset()
        act()
        assert give_way.held(), name


def test_what_the_window_does_by_itself_holds_nothing(qtbot: QtBot, table: QTableView) -> None:
    UserFirst([table], table)
    table.viewport().repaint()
    table.resize(table.width() + 20, table.height())
    QApplication.processEvents()
    assert not give_way.held()
    other = QWidget()
    qtbot.addWidget(other)
    QTest.keyClick(other, Qt.Key.Key_A)
    assert not give_way.held(), "a widget it does not watch"


def test_the_window_watches_its_lists_and_address_bar(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    window = MainWindow(make_service())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        for widget in (window.view, window.tree, window.transfer_panel.view):
            give_way.reset()
            QTest.keyClick(widget, Qt.Key.Key_Down)
            assert give_way.held(), widget
        give_way.reset()
        window.path_bar.start_editing()
        QTest.keyClick(window.path_bar.edit, Qt.Key.Key_A)
        assert give_way.held(), "the address bar"
    finally:
        window.transfers.shutdown()
