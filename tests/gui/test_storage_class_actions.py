"""Change storage class… (Azure: Change access tier…) and Restore… for a selection, from
the context menu and the Edit menu, run as an operation of the Transfers panel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from cloudbrowser.core.details import restore_state
from cloudbrowser.core.operations import RestoreRequest
from cloudbrowser.core.storage import StorageClassOffer, properties_of, storage_classes_of
from cloudbrowser.gui.dialogs.storage_class import RestoreDialog, StorageClassDialog
from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import AzuriteServer, MemoryServer
from tests.gui.conftest import ServiceFactory, go, open_window
from tests.gui.test_browsing import row_of, wait_loaded

pytestmark = pytest.mark.gui
WAIT = 30_000


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(max_threads=4, page_size=5)


def _open(qtbot: QtBot, service: StorageService, server: object, tmp: Path) -> MainWindow:
    return open_window(qtbot, service, server, tmp)  # type: ignore[arg-type]


@pytest.fixture
def window(
    qtbot: QtBot, service: StorageService, memory_server: MemoryServer, tmp_path: Path
) -> Iterator[MainWindow]:
    win = _open(qtbot, service, memory_server, tmp_path)
    yield win
    win.transfers.shutdown()


def settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.file_ops.busy, timeout=WAIT
    )
    wait_loaded(qtbot, window)


def select(window: MainWindow, *wanted: str) -> None:
    model = window.view.selectionModel()
    window.view.clearSelection()
    for name in wanted:
        model.select(row_of(window, name), model.SelectionFlag.Select | model.SelectionFlag.Rows)


def context_labels(window: MainWindow) -> list[str]:
    menu = QMenu(window)
    for section in window.context_menu_sections:
        section(menu, window.selected_entries())
    return [a.text() for a in menu.actions() if isinstance(a, QAction)]


def test_a_selection_of_a_file_and_a_folder_changes_class(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, ["top.txt", "keep.txt"] + [f"docs/f{i:02}.txt" for i in range(12)])
    go(qtbot, window, bucket)
    select(window, "top.txt", "docs")
    assert "Change storage class…" in context_labels(window)
    asked: list[StorageClassOffer] = []

    def ask(offer: StorageClassOffer, _title: str, _what: str) -> str:
        asked.append(offer)
        return "STANDARD_IA"

    window.storage_classes.ask_class = ask
    window.storage_classes.change_action.trigger()
    settle(qtbot, window)
    assert asked and "GLACIER" in asked[0].archive
    assert "done (13 objects)" in window.statusBar().currentMessage()
    props = properties_of(memory_server.backend())
    assert props.object_details(bucket, "docs/f11.txt").storage_class == "STANDARD_IA"
    assert props.object_details(bucket, "keep.txt").storage_class == "STANDARD"
    # The storage-class column shows it once listed again.
    row = row_of(window, "top.txt")
    texts = [
        str(window.list_model.index(row.row(), c).data())
        for c in range(window.list_model.columnCount())
    ]
    assert "STANDARD_IA" in texts


def test_archived_objects_are_restored_with_days_and_tier(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, ["cold/a.bin", "cold/b.bin"])
    storage = memory_server.backend()
    storage_classes_of(storage).set_storage_class(bucket, "cold/a.bin", "DEEP_ARCHIVE")
    go(qtbot, window, bucket)
    select(window, "cold")
    assert "Restore…" in context_labels(window)
    window.storage_classes.ask_restore = lambda _offer, _what: RestoreRequest(3, "Bulk")
    window.storage_classes.restore_action.trigger()
    settle(qtbot, window)
    said = window.statusBar().currentMessage()
    assert "Restore asked for 1 object." in said and "1 object not archived" in said
    state = restore_state(properties_of(storage).object_details(bucket, "cold/a.bin").restore)
    assert state is not None and state.in_progress


def test_cancelling_the_question_changes_nothing(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, ["x.txt"])
    go(qtbot, window, bucket)
    select(window, "x.txt")
    window.storage_classes.ask_class = lambda *_: None
    window.storage_classes.change_action.trigger()
    settle(qtbot, window)
    assert window.transfers.model.rowCount() == 0
    assert properties_of(memory_server.backend()).object_details(bucket, "x.txt").storage_class == (
        "STANDARD"
    )


def test_the_dialogs_offer_the_connections_classes(qtbot: QtBot) -> None:
    offer = StorageClassOffer(
        names=("Hot", "Cool", "Cold", "Archive"),
        archive=frozenset({"Archive"}),
        priorities=("Standard", "High"),
        restore_targets=("Hot", "Cool", "Cold"),
        restore_note="Up to 15 hours.",
    )
    dialog = StorageClassDialog(offer, "Change access tier", "“a.bin”")
    qtbot.addWidget(dialog)
    assert dialog.choice.count() == 4
    dialog.choice.setCurrentIndex(3)
    assert dialog.chosen() == "Archive"
    assert "archive" in dialog.choice.currentText()
    restore = RestoreDialog(offer, "“a.bin”")
    qtbot.addWidget(restore)
    restore.target.setCurrentText("Cool")
    restore.priority.setCurrentText("High")
    assert restore.request() == RestoreRequest(days=0, priority="High", target="Cool")


@pytest.mark.server
def test_azure_says_access_tier_and_moves_blobs(
    qtbot: QtBot, service: StorageService, azurite_server: AzuriteServer, tmp_path: Path
) -> None:
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["t/a.txt", "t/b.txt"])
    window = _open(qtbot, service, azurite_server, tmp_path)
    try:
        go(qtbot, window, bucket)
        select(window, "t")
        assert "Change access tier…" in context_labels(window)
        window.storage_classes.ask_class = lambda *_: "Cool"
        window.storage_classes.change_action.trigger()
        settle(qtbot, window)
        props = properties_of(azurite_server.backend())
        assert props.object_details(bucket, "t/b.txt").storage_class == "Cool"
    finally:
        window.transfers.shutdown()


def test_the_class_shows_where_a_restore_stands(qtbot: QtBot) -> None:
    from PySide6.QtCore import QLocale

    from cloudbrowser.gui.class_status import class_status

    locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    assert class_status("GLACIER", "", locale) == "GLACIER"
    assert class_status("GLACIER", 'ongoing-request="true"', locale) == "GLACIER (restoring…)"
    assert (
        class_status("Archive", "rehydrate-pending-to-hot", locale)
        == "Archive (rehydrating to Hot…)"
    )
    ready = class_status(
        "DEEP_ARCHIVE",
        'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"',
        locale,
    )
    assert ready.startswith("DEEP_ARCHIVE (restored, readable until ") and "2012" in ready


def test_the_storage_class_column_shows_a_restore_under_way(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, ["cold.bin", "warm.bin"])
    classes = storage_classes_of(memory_server.backend())
    classes.set_storage_class(bucket, "cold.bin", "GLACIER")
    classes.restore_archived(bucket, "cold.bin", days=1)
    go(qtbot, window, bucket)

    def shown(name: str) -> str:
        row = row_of(window, name).row()
        return str(window.list_model.index(row, Column.STORAGE_CLASS).data())

    assert shown("cold.bin") == "GLACIER (restoring…)"
    assert shown("warm.bin") == "STANDARD"


def test_preview_of_an_archived_object_says_why_and_offers_restore(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, ["frozen.txt"])
    storage = memory_server.backend()
    storage_classes_of(storage).set_storage_class(bucket, "frozen.txt", "GLACIER")
    go(qtbot, window, bucket)
    select(window, "frozen.txt")
    preview = window.inspect.preview()
    assert preview is not None
    qtbot.waitUntil(lambda: preview.preview is not None, timeout=WAIT)
    assert "archived" in preview.info.text() and "Restore…" in preview.info.text()
    assert preview.download_button.isHidden() and not preview.restore_button.isHidden()
    asked: list[StorageClassOffer] = []

    def ask(offer: StorageClassOffer, _what: str) -> RestoreRequest:
        asked.append(offer)
        return RestoreRequest(days=1, priority="Expedited")

    window.storage_classes.ask_restore = ask
    preview.restore_button.click()
    settle(qtbot, window)
    preview.close()
    assert asked
    state = restore_state(properties_of(storage).object_details(bucket, "frozen.txt").restore)
    assert state is not None and state.in_progress
