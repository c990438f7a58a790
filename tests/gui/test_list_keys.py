"""The file list is a list of rows: Home/End go to the first/last row, no cell is current."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.service import StorageService
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go, open_window


def test_home_end_go_to_first_and_last_row_and_select_whole_rows(
    qtbot: QtBot, make_service: ServiceFactory, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket("keys")
    server.put(bucket, [f"f-{i}.txt" for i in range(1, 8)])
    service: StorageService = make_service(page_size=100, max_threads=2)
    window = open_window(qtbot, service, server, tmp_path)
    try:
        go(qtbot, window, bucket)
        view = window.view
        view.setFocus()
        view.setCurrentIndex(view.model().index(2, Column.STORAGE_CLASS))
        QTest.keyClick(view, Qt.Key.Key_End)
        assert (view.currentIndex().row(), view.currentIndex().column()) == (6, Column.NAME)
        assert [i.row() for i in view.selectionModel().selectedRows()] == [6]
        QTest.keyClick(view, Qt.Key.Key_Home)
        assert (view.currentIndex().row(), view.currentIndex().column()) == (0, Column.NAME)
        # Left/Right do not walk across the columns of a row.
        QTest.keyClick(view, Qt.Key.Key_Right)
        QTest.keyClick(view, Qt.Key.Key_Right)
        assert (view.currentIndex().row(), view.currentIndex().column()) == (0, Column.NAME)
        QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
        assert [i.row() for i in view.selectionModel().selectedRows()] == list(range(7))
        # The current cell is drawn without a focus box, in every column.
        for column in Column:
            option = QStyleOptionViewItem()
            option.state = QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_Selected
            view.itemDelegate().initStyleOption(option, view.model().index(0, column))
            assert not option.state & QStyle.StateFlag.State_HasFocus
            assert option.state & QStyle.StateFlag.State_Selected
    finally:
        window.transfers.shutdown()
