"""Versions…, Show deleted and Undelete, driven through the window's menus.

On moto only: rclone serve s3 keeps no versions (see tests/contract/test_versions.py for
how it is reported).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import State
from cloudbrowser.gui.dialogs.versions import VersionRole, VersionsDialog
from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go
from tests.gui.test_browsing import names, row_of, wait_loaded

WAIT = 30_000
PAGE = 3  # every listing here spans several pages


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=PAGE, max_threads=4)


@pytest.fixture
def window_server(moto_server: S3Server) -> S3Server:
    """The server this file's windows open (conftest's ``window``)."""
    return moto_server


def versioned_bucket(server: S3Server) -> str:
    bucket = server.bucket("versioned")
    server.client.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return bucket


def select(window: MainWindow, *wanted: str) -> None:
    window.view.clearSelection()
    flags = window.view.selectionModel().SelectionFlag
    for name in wanted:
        window.view.selectionModel().select(row_of(window, name), flags.Select | flags.Rows)


def context_action(window: MainWindow, text: str) -> QAction:
    """The action called ``text`` in the list's context menu, as the window builds it."""
    window._list_context_menu(window.view.visualRect(window.view.currentIndex()).center())
    menu = next(m for m in reversed(window.findChildren(QMenu)) if m.isVisible())
    found = [a for a in menu.actions() if a.text() == text]
    menu.close()
    assert found, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    return found[0]


def files(window: MainWindow) -> list[str]:
    return [n for n in names(window) if n.startswith("file-")]


def model_is_deleted_folder(window: MainWindow, key: str, *, listed: bool) -> bool:
    """A folder holding only deleted objects is a deleted row, unless the server's normal
    listing already showed it."""
    return window.list_model.is_deleted(key) is not listed


def current_body(server: S3Server, bucket: str, key: str) -> bytes:
    return bytes(server.client.get_object(Bucket=bucket, Key=key)["Body"].read())


def wait_dialog(qtbot: QtBot, dialog: VersionsDialog, rows: int | None = None) -> None:
    qtbot.waitUntil(
        lambda: not dialog.loading and (rows is None or dialog.tree.topLevelItemCount() == rows),
        timeout=WAIT,
    )


def pick(dialog: VersionsDialog, body_size: int) -> None:
    """Select the row of the version whose size is ``body_size``."""
    [version] = [v for v in dialog.versions if v.size == body_size and not v.delete_marker]
    dialog.select(version.version_id)


def test_versions_dialog_restores_downloads_and_deletes_versions(
    qtbot: QtBot, window: MainWindow, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = versioned_bucket(moto_server)
    for body in (b"first", b"second!", b"third!!!"):
        moto_server.put(bucket, {"notes.txt": body})
    moto_server.put(bucket, {"notes.txt2": b"neighbour", "other.txt": b"o"})
    go(qtbot, window, bucket)
    select(window, "notes.txt")
    window.view.setCurrentIndex(row_of(window, "notes.txt"))

    context_action(window, "Versions…").trigger()
    dialog = window.versions.dialog()
    assert dialog.isVisible() and dialog.windowTitle() == "Versions of notes.txt"
    wait_dialog(qtbot, dialog, 3)
    top = dialog.tree.topLevelItem(0)
    assert top is not None and top.text(2) == "latest"
    assert [v.size for v in dialog.versions] == [8, 7, 5]
    assert dialog.status.text() == "3 versions."
    # Its rows are as tall as the file list's.
    assert dialog.tree.visualItemRect(top).height() == window.view.rowHeight(0)
    # The current version cannot be restored over itself.
    assert not dialog.restore_button.isEnabled() and dialog.delete_button.isEnabled()

    asked: list[str] = []

    def yes(title: str, text: str) -> bool:
        asked.append(text)
        return True

    dialog.confirm = yes
    pick(dialog, 5)  # the oldest
    assert dialog.restore_button.isEnabled()
    dialog.restore_button.click()
    wait_dialog(qtbot, dialog, 4)
    assert "Restore the version of" in asked[-1] and "“notes.txt”" in asked[-1]
    assert current_body(moto_server, bucket, "notes.txt") == b"first"
    assert dialog.versions[0].size == 5 and dialog.versions[0].is_latest
    assert "Restored the version of" in window.statusBar().currentMessage()
    # The window's list shows the restored size (it was listed again).
    wait_loaded(qtbot, window)
    assert window.view.model().index(row_of(window, "notes.txt").row(), Column.SIZE).data() in (
        "5 bytes",
        "5 B",
    )

    # Download the second version: through the transfer queue, verified, named for it.
    pick(dialog, 7)
    dialog.download_button.click()
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    [saved] = list((tmp_path / "downloads").iterdir())
    assert saved.name.startswith("notes (version ") and saved.suffix == ".txt"
    assert saved.read_bytes() == b"second!"
    [t] = window.transfers.queue.transfers()
    assert t.state is State.DONE and t.verified and t.version_id

    # Delete a version for good: asked first, with the word "permanently".
    pick(dialog, 8)
    doomed = dialog.selected()
    assert doomed is not None
    dialog.delete_button.click()
    wait_dialog(qtbot, dialog, 3)
    assert asked[-1].startswith("Permanently delete the version of")
    assert "cannot be undone" in asked[-1]
    left = moto_server.client.list_object_versions(Bucket=bucket, Prefix="notes.txt")
    assert doomed.version_id not in {v["VersionId"] for v in left["Versions"]}

    # Del on the version list asks too; saying no changes nothing.
    dialog.confirm = lambda title, text: asked.append(text) is not None  # always False
    pick(dialog, 7)
    dialog.tree.setFocus()
    QTest.keyClick(dialog.tree, Qt.Key.Key_Delete)
    assert asked[-1].startswith("Permanently delete the version of")
    assert not dialog.loading and dialog.tree.topLevelItemCount() == 3
    dialog.confirm = lambda title, text: False
    pick(dialog, 7)
    dialog.restore_button.click()
    assert not dialog.loading and dialog.tree.topLevelItemCount() == 3
    assert current_body(moto_server, bucket, "notes.txt") == b"first"


def test_a_bucket_without_versioning_says_so(
    qtbot: QtBot, window: MainWindow, moto_server: S3Server
) -> None:
    bucket = moto_server.bucket("plain")
    moto_server.put(bucket, {"a.txt": b"a"})
    go(qtbot, window, bucket)
    window.view.selectRow(0)
    window.versions.versions_action.trigger()  # the Edit menu's Versions… (Ctrl+Shift+H)
    dialog = window.versions.dialog()
    wait_dialog(qtbot, dialog)
    assert "has no versioning" in dialog.status.text()
    assert dialog.tree.isHidden()
    assert not dialog.download_button.isEnabled()


def test_show_deleted_lists_deleted_files_and_undelete_brings_them_back(
    qtbot: QtBot, window: MainWindow, moto_server: S3Server, qtmodeltester: object
) -> None:
    bucket = versioned_bucket(moto_server)
    client = moto_server.client
    for i in range(8):
        key = f"docs/file-{i}.txt"
        moto_server.put(bucket, {key: b"old"})
        moto_server.put(bucket, {key: f"content {i}".encode()})
    for i in (1, 4, 6):
        client.delete_object(Bucket=bucket, Key=f"docs/file-{i}.txt")
    moto_server.put(bucket, {"docs/gone/x.txt": b"x", "docs/kept/y.txt": b"y"})
    client.delete_object(Bucket=bucket, Key="docs/gone/x.txt")
    go(qtbot, window, bucket, "docs/")
    assert files(window) == [f"file-{i}.txt" for i in (0, 2, 3, 5, 7)]
    # (moto, unlike S3, lists "gone/" although it holds only a delete marker.)
    folders = [n for n in names(window) if not n.startswith("file-")]
    assert "kept" in folders

    show_deleted = next(a for a in window.view_menu.actions() if a.text() == "Show deleted")
    assert not show_deleted.isChecked()
    show_deleted.trigger()
    wait_loaded(qtbot, window)
    assert names(window) == ["gone", "kept"] + [f"file-{i}.txt" for i in range(8)]
    assert model_is_deleted_folder(window, "docs/gone/", listed="gone" in folders)
    model = window.list_model
    assert [model.is_deleted(f"docs/file-{i}.txt") for i in range(8)] == [
        i in (1, 4, 6) for i in range(8)
    ]
    row = row_of(window, "file-4.txt").row()
    assert model.index(row, Column.STORAGE_CLASS).data() == "Deleted"
    assert model.index(row, Column.NAME).data(Qt.ItemDataRole.FontRole).italic()
    assert "Undelete brings back" in model.index(row, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert not model.flags(model.index(row, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.counts()[:2] == (len(folders), 5)  # deleted rows are not counted
    qtmodeltester.check(model)  # type: ignore[attr-defined]

    # A deleted file cannot be downloaded: double-click says why, nothing is queued.
    window.view.setCurrentIndex(row_of(window, "file-4.txt"))
    window._on_activated(row_of(window, "file-4.txt"))
    assert "is deleted" in window.statusBar().currentMessage()
    select(window, "file-4.txt", "file-5.txt")
    window.download_action.trigger()
    assert "is deleted" in window.statusBar().currentMessage()
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    assert [t.key for t in window.transfers.queue.transfers()] == ["docs/file-5.txt"]

    # Their context menu offers Undelete and Versions…, not Download.
    select(window, "file-4.txt")
    window.view.setCurrentIndex(row_of(window, "file-4.txt"))
    with pytest.raises(AssertionError, match="no 'Download'"):
        context_action(window, "Download")
    context_action(window, "Versions…")

    # Undelete two of them from the context menu.
    select(window, "file-1.txt", "file-4.txt")
    window.view.setCurrentIndex(row_of(window, "file-4.txt"))
    select(window, "file-1.txt", "file-4.txt")
    context_action(window, "Undelete").trigger()
    qtbot.waitUntil(lambda: window.versions._undelete_job is None, timeout=WAIT)
    wait_loaded(qtbot, window)
    assert current_body(moto_server, bucket, "docs/file-1.txt") == b"content 1"
    assert current_body(moto_server, bucket, "docs/file-4.txt") == b"content 4"
    assert not model.is_deleted("docs/file-1.txt") and not model.is_deleted("docs/file-4.txt")
    assert model.is_deleted("docs/file-6.txt")
    assert "file-4.txt" in names(window)
    row = row_of(window, "file-4.txt").row()
    assert model.index(row, Column.STORAGE_CLASS).data() != "Deleted"

    # A normal file offers no Undelete; turning the view off hides what is still deleted.
    select(window, "file-0.txt")
    window.view.setCurrentIndex(row_of(window, "file-0.txt"))
    with pytest.raises(AssertionError, match="no 'Undelete'"):
        context_action(window, "Undelete")
    show_deleted.trigger()
    wait_loaded(qtbot, window)
    assert files(window) == [f"file-{i}.txt" for i in (0, 1, 2, 3, 4, 5, 7)]


def test_the_version_shortcuts_are_unique_in_the_window(window: MainWindow) -> None:
    edit = [a.text() for a in window.edit_menu.actions()]
    assert "Versions…" in edit and "Undelete" in edit
    assert "Show deleted" in [a.text() for a in window.view_menu.actions()]
    seen: dict[str, str] = {}
    for action in window.findChildren(QAction):
        if action.shortcutContext() == Qt.ShortcutContext.WidgetShortcut:
            continue  # one widget's key (Del in the list, Del in the Transfers panel)
        for key in action.shortcuts():
            text = key.toString()
            assert text not in seen, f"{text} is both {seen[text]!r} and {action.text()!r}"
            seen[text] = action.text()
    assert seen["Ctrl+Shift+H"] == "Versions…"
    assert seen["Ctrl+Alt+H"] == "Show deleted"
    assert seen["Ctrl+S"] == "Synchronize…"


def test_a_deleted_file_opens_its_versions_and_can_be_restored_there(
    qtbot: QtBot, window: MainWindow, moto_server: S3Server
) -> None:
    bucket = versioned_bucket(moto_server)
    moto_server.put(bucket, {"report.csv": b"a,b\n"})
    moto_server.client.delete_object(Bucket=bucket, Key="report.csv")
    go(qtbot, window, bucket)
    window.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, window)
    assert names(window) == ["report.csv"]
    window.view.selectRow(0)
    window.view.setCurrentIndex(row_of(window, "report.csv"))
    context_action(window, "Versions…").trigger()
    dialog = window.versions.dialog()
    wait_dialog(qtbot, dialog, 2)
    marker = dialog.tree.topLevelItem(0)
    assert marker is not None and marker.text(2) == "latest, delete marker"
    assert marker.data(0, VersionRole).delete_marker
    assert "The object is deleted" in dialog.status.text()
    assert not dialog.download_button.isEnabled()
    dialog.confirm = lambda title, text: True
    pick(dialog, 4)
    dialog.restore_button.click()
    wait_dialog(qtbot, dialog, 3)
    assert current_body(moto_server, bucket, "report.csv") == b"a,b\n"
    wait_loaded(qtbot, window)
    assert not window.list_model.is_deleted("report.csv")


def test_show_deleted_on_a_server_without_versions_keeps_the_listing(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server
) -> None:
    """rclone serve s3 keeps no versions: the folder is still listed in full, and the
    status bar says why no deleted objects are shown (no error panel, no failed listing)."""
    bucket = rclone_server.bucket()
    rclone_server.put(bucket, ["a-longer-name.txt", "b-longer-name.txt"])
    conn = service.add_connection(rclone_server.settings(), rclone_server.credentials)
    win = MainWindow(service)
    qtbot.addWidget(win)
    win.add_connection(conn.id)
    win.show()
    wait_loaded(qtbot, win)
    go(qtbot, win, bucket)
    win.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, win)
    assert names(win) == ["a-longer-name.txt", "b-longer-name.txt"]
    assert win.list_model.error is None and win.stack.currentWidget() is win.view
    assert not win.loading_bar.isVisible()
    assert "does not keep object versions" in win.statusBar().currentMessage()

    # Versions… says the same in its dialog.
    win.view.selectRow(0)
    dialog = win.versions.show_versions()
    assert dialog is not None
    wait_dialog(qtbot, dialog)
    text = dialog.status.text()
    assert "does not keep object versions" in text or "has no versioning" in text
    assert dialog.tree.isHidden()
    win.transfers.shutdown()
