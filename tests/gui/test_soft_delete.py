"""Soft-deleted objects in the window (GCS's soft delete; here on the in-memory backend,
whose buckets keep what is deleted with ``MemoryStore.set_soft_delete``): View › Show
deleted lists them, Undelete and Versions… bring them back, the Versions dialog says how
long the bucket keeps them. The GCS backend's calls are tested in
tests/contract/test_soft_delete.py, Azure's in tests/contract/test_azure_soft_delete.py;
the window on Azure (a stub: Azurite keeps no soft-deleted blobs) is tested at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.storage import Storage
from cloudbrowser.gui.dialogs.versions import VersionRole
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.azure_soft_stub import ACCOUNT, CONTAINER, UNVERSIONED, Account, serving
from tests.conftest import MemoryServer
from tests.gui.conftest import ServiceFactory, go, open_window
from tests.gui.test_browsing import names, row_of, wait_loaded
from tests.gui.test_versions import context_action, select, wait_dialog

WAIT = 30_000
WEEK = 7 * 24 * 3600


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=3, max_threads=4)


@pytest.fixture
def window_server(memory_server: MemoryServer) -> MemoryServer:
    """The server this file's windows open (conftest's ``window``)."""
    return memory_server


def body(storage: Storage, bucket: str, key: str) -> bytes:
    with storage.get_object(bucket, key) as reader:
        return reader.read(-1)


def test_show_deleted_lists_soft_deleted_files_and_undelete_restores_them(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket("soft")
    memory_server.store.set_soft_delete(bucket, WEEK)  # versioning stays off
    memory_server.put(bucket, {f"file-{i}.txt": f"content {i}".encode() for i in range(5)})
    storage = memory_server.backend()
    for i in (1, 3):
        storage.delete_object(bucket, f"file-{i}.txt")
    go(qtbot, window, bucket)
    assert names(window) == ["file-0.txt", "file-2.txt", "file-4.txt"]

    window.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, window)
    assert names(window) == [f"file-{i}.txt" for i in range(5)]
    model = window.list_model
    assert [model.is_deleted(f"file-{i}.txt") for i in range(5)] == [
        False,
        True,
        False,
        True,
        False,
    ]

    select(window, "file-3.txt")
    window.view.setCurrentIndex(row_of(window, "file-3.txt"))
    context_action(window, "Undelete").trigger()
    qtbot.waitUntil(lambda: window.versions._undelete_job is None, timeout=WAIT)
    wait_loaded(qtbot, window)
    assert body(storage, bucket, "file-3.txt") == b"content 3"
    assert not model.is_deleted("file-3.txt") and model.is_deleted("file-1.txt")
    window.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, window)
    assert names(window) == [f"file-{i}.txt" for i in (0, 2, 3, 4)]


def test_versions_of_an_unversioned_bucket_show_what_soft_delete_keeps(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket("soft")
    memory_server.store.set_soft_delete(bucket, 3 * 24 * 3600)
    memory_server.put(bucket, {"report.csv": b"old,rows\n"})
    memory_server.put(bucket, {"report.csv": b"new\n"})
    go(qtbot, window, bucket)
    window.view.selectRow(0)
    window.versions.versions_action.trigger()
    dialog = window.versions.dialog()
    wait_dialog(qtbot, dialog, 2)
    status = dialog.status.text()
    assert "1 soft-deleted" in status and "Versioning is off" in status
    assert "3 days (soft delete)" in status
    soft = dialog.tree.topLevelItem(1)
    assert soft is not None and soft.text(2).startswith("soft-deleted, kept until ")
    assert soft.data(0, VersionRole).soft_deleted

    dialog.tree.setCurrentItem(soft)
    # Its bytes cannot be read and it cannot be deleted: only restored.
    assert dialog.restore_button.isEnabled()
    assert not dialog.download_button.isEnabled()
    assert not dialog.save_button.isEnabled()
    assert not dialog.delete_button.isEnabled()
    asked: list[str] = []

    def confirm(_title: str, text: str) -> bool:
        asked.append(text)
        return True

    dialog.confirm = confirm
    dialog.restore_button.click()
    wait_dialog(qtbot, dialog, 3)
    assert "soft-deleted version" in asked[0]
    assert body(memory_server.backend(), bucket, "report.csv") == b"old,rows\n"


def test_a_bucket_keeping_nothing_still_says_it_has_no_versioning(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer
) -> None:
    bucket = memory_server.bucket("plain")
    memory_server.put(bucket, {"a.txt": b"a"})
    go(qtbot, window, bucket)
    window.view.selectRow(0)
    window.versions.versions_action.trigger()
    dialog = window.versions.dialog()
    wait_dialog(qtbot, dialog)
    assert "has no versioning" in dialog.status.text()
    assert dialog.tree.isHidden()


# ── Azure, on a stub that answers as Azure documents (Azurite keeps no soft-deleted blobs:
# tests/azure_soft_stub.py) ───────────────────────────────────────────────────────────


@pytest.fixture
def azure_window(
    qtbot: QtBot, service: StorageService, tmp_path: Path
) -> Iterator[tuple[MainWindow, Account]]:
    # (Without the stub's folder "kept.txt/": a name the window would show twice.)
    account = Account([r for r in UNVERSIONED if not r.name.startswith("docs/kept.txt/")])
    with serving(account) as served:
        win = open_window(qtbot, service, served, tmp_path)  # type: ignore[arg-type]
        yield win, account
        win.transfers.shutdown()


def test_azure_versions_show_the_snapshot_soft_delete_took_and_restore_it(
    qtbot: QtBot, azure_window: tuple[MainWindow, Account]
) -> None:
    window, account = azure_window
    go(qtbot, window, CONTAINER, "docs/")
    select(window, "kept.txt")
    window.view.setCurrentIndex(row_of(window, "kept.txt"))
    window.versions.versions_action.trigger()
    dialog = window.versions.dialog()
    wait_dialog(qtbot, dialog, 2)
    status = dialog.status.text()
    # No versioning on the account, soft delete for 7 days: the same words as GCS's.
    assert "1 soft-deleted" in status and "Versioning is off" in status, status
    assert "kept for 7 days (soft delete)" in status, status
    assert dialog.tree.headerItem().text(4) == "Version ID"
    soft = dialog.tree.topLevelItem(1)
    assert soft is not None and soft.text(2).startswith("soft-deleted, kept until "), soft.text(2)
    assert soft.data(0, VersionRole).version_id.startswith("snapshot:")
    dialog.tree.setCurrentItem(soft)
    assert dialog.restore_button.isEnabled() and not dialog.download_button.isEnabled()
    dialog.confirm = lambda _title, _text: True
    account.requests.clear()
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: any("x-ms-copy-source" in r[3] for r in account.requests), timeout=WAIT)
    wait_dialog(qtbot, dialog)
    puts = [
        (q.get("comp"), h.get("x-ms-copy-source", ""))
        for m, _p, q, h in account.requests
        if m == "PUT"
    ]
    # Undelete Blob, then the snapshot copied over the blob.
    assert puts[0] == (["undelete"], "")
    assert "snapshot=" in puts[1][1]


def test_azure_show_deleted_lists_a_soft_deleted_blob_and_undelete_restores_it(
    qtbot: QtBot, azure_window: tuple[MainWindow, Account]
) -> None:
    window, account = azure_window
    go(qtbot, window, CONTAINER, "docs/")
    assert "gone.txt" not in names(window)
    window.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, window)
    assert "gone.txt" in names(window) and window.list_model.is_deleted("docs/gone.txt")
    select(window, "gone.txt")
    window.view.setCurrentIndex(row_of(window, "gone.txt"))
    account.requests.clear()
    context_action(window, "Undelete").trigger()
    qtbot.waitUntil(lambda: window.versions._undelete_job is None, timeout=WAIT)
    undeletes = [p for _m, p, q, _h in account.requests if q.get("comp") == ["undelete"]]
    assert undeletes == [f"/{ACCOUNT}/{CONTAINER}/docs/gone.txt"]


def test_azure_delete_question_says_the_account_keeps_deleted_blobs(
    qtbot: QtBot, azure_window: tuple[MainWindow, Account]
) -> None:
    """Soft delete is an Azure account's setting, of blobs: the delete question says so in
    Azure's words (it said that "the bucket keeps deleted objects")."""
    from tests.gui.test_file_operations import answer_confirm

    window, _account = azure_window
    go(qtbot, window, CONTAINER, "docs/")
    select(window, names(window)[-1])
    asked = answer_confirm(window, False)
    window.file_ops.delete_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert "The account keeps deleted blobs for" in asked[0], asked[0]
    assert "bucket" not in asked[0]
