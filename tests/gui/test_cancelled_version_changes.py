"""An undelete or a version's restore that the user cancels while the server still makes
it: Cancel stops waiting for the request at once, but how it ends is still said in the
window, once: made after all (the folder and the versions are listed again), or failed
(as any failure is). On the in-memory backend, whose request is held here until the test
lets it end (the same mechanism as a cancelled copy's: tests/gui/test_cancelled_copies.py).
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import StorageError
from cloudbrowser.gui.dialogs.versions import VersionChangeFailed, VersionsDialog
from cloudbrowser.gui.versions_actions import UndeleteFailures
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import MemoryServer
from tests.gui.conftest import go
from tests.gui.test_browsing import names, row_of, wait_loaded
from tests.gui.test_cancelled_copies import Held
from tests.gui.test_versions import pick, select, wait_dialog

WAIT = 30_000
WEEK = 7 * 24 * 3600


@pytest.fixture
def window_server(memory_server: MemoryServer) -> MemoryServer:
    """The server this file's windows open (conftest's ``window``)."""
    return memory_server


def status(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


def wait_listed(qtbot: QtBot, window: MainWindow, key: str, *, deleted: bool) -> None:
    """Wait until the folder is listed again with ``key`` deleted or live: while it is
    listed again the model knows no deleted rows yet, so ``is_deleted`` alone could pass
    too early."""

    def listed() -> bool:
        model = window.list_model
        return not model.loading and key in names(window) and model.is_deleted(key) == deleted

    qtbot.waitUntil(listed, timeout=WAIT)


def undelete_and_cancel(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> Held:
    """Undelete report.txt, which only the bucket's soft delete keeps, and cancel while
    its restore is under way: the undelete ends at once, saying so."""
    bucket = memory_server.bucket("soft")
    memory_server.store.set_soft_delete(bucket, WEEK)
    memory_server.put(bucket, {"report.txt": b"figures", "other.txt": b"x"})
    memory_server.backend().delete_object(bucket, "report.txt")
    storage = window.service.storage(window.history.current.connection)
    held = Held(storage, "restore_soft_deleted", monkeypatch)
    go(qtbot, window, bucket)
    window.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, window)
    assert window.list_model.is_deleted("report.txt")
    select(window, "report.txt")
    window.versions.undelete_selection()
    qtbot.waitUntil(held.started.is_set, timeout=WAIT)
    assert window.versions.cancel_undelete_action.isEnabled()

    window.versions.cancel_undelete_action.trigger()
    qtbot.waitUntil(lambda: window.versions._undelete_job is None, timeout=WAIT)
    assert not window.versions.cancel_undelete_action.isEnabled()
    said = status(window)
    assert said.startswith("Undelete cancelled: 0 objects undeleted."), said
    assert "The server may still undelete “report.txt”" in said, said
    assert window.messages.last is None
    return held


def test_a_cancelled_undelete_the_server_completes_is_said_and_listed(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = undelete_and_cancel(qtbot, window, memory_server, monkeypatch)
    assert window.list_model.is_deleted("report.txt")

    held.release.set()
    qtbot.waitUntil(lambda: "was undeleted all the same" in status(window), timeout=WAIT)
    assert status(window).startswith("“report.txt” was undeleted all the same"), status(window)
    wait_listed(qtbot, window, "report.txt", deleted=False)
    assert names(window) == ["other.txt", "report.txt"]
    assert window.messages.last is None


def test_a_cancelled_undelete_that_fails_afterwards_is_said(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = undelete_and_cancel(qtbot, window, memory_server, monkeypatch)
    held.error = StorageError("The bucket refused the restore.", hint="Ask for the permission.")
    held.release.set()
    qtbot.waitUntil(lambda: isinstance(window.messages.last, UndeleteFailures), timeout=WAIT)
    error = window.messages.last
    assert error is not None
    assert error.message == (
        "The undelete of “report.txt”, under way when it was cancelled, failed: "
        "The bucket refused the restore."
    )
    assert error.hint == "Ask for the permission."
    wait_listed(qtbot, window, "report.txt", deleted=True)


def restore_and_cancel(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[VersionsDialog, Held]:
    """Restore the first version (1 byte) of a.txt over its second (2 bytes) and cancel
    (Refresh) while the restore is under way: the dialog lists the versions as they are."""
    bucket = memory_server.bucket("versioned")
    memory_server.backend().set_bucket_versioning(bucket, True)
    memory_server.put(bucket, {"a.txt": b"1"})
    memory_server.put(bucket, {"a.txt": b"22"})
    storage = window.service.storage(window.history.current.connection)
    held = Held(storage, "restore_version", monkeypatch)
    go(qtbot, window, bucket)
    select(window, "a.txt")
    window.view.setCurrentIndex(row_of(window, "a.txt"))
    dialog = window.versions.show_versions()
    assert dialog is not None
    wait_dialog(qtbot, dialog, 2)
    pick(dialog, 1)
    dialog.confirm = lambda _title, _text: True
    dialog.restore()
    qtbot.waitUntil(held.started.is_set, timeout=WAIT)

    restoring = dialog._job
    assert restoring is not None
    with qtbot.waitSignal(restoring.signals.finished, timeout=WAIT):  # at once
        dialog.refresh_button.click()
    wait_dialog(qtbot, dialog, 2)
    assert window.messages.last is None
    return dialog, held


def size_listed(window: MainWindow, name: str) -> int:
    return window.list_model.entry(row_of(window, name).row()).size


def test_a_cancelled_restore_the_server_completes_is_said_and_listed(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, held = restore_and_cancel(qtbot, window, memory_server, monkeypatch)
    assert size_listed(window, "a.txt") == 2

    held.release.set()
    qtbot.waitUntil(lambda: "completed it after it was cancelled" in status(window), timeout=WAIT)
    assert status(window).startswith("Restored the version of "), status(window)
    assert "of “a.txt”." in status(window)
    wait_dialog(qtbot, dialog, 3)  # the versions, listed again
    assert [v.size for v in dialog.versions] == [1, 2, 1]
    qtbot.waitUntil(lambda: size_listed(window, "a.txt") == 1, timeout=WAIT)  # the folder
    assert window.messages.last is None


def test_a_cancelled_restore_that_fails_afterwards_is_said(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, held = restore_and_cancel(qtbot, window, memory_server, monkeypatch)
    held.error = StorageError("The version could not be copied.", hint="Try again later.")
    held.release.set()
    qtbot.waitUntil(lambda: isinstance(window.messages.last, VersionChangeFailed), timeout=WAIT)
    error = window.messages.last
    assert error is not None
    assert error.message == (
        "“a.txt”: the change under way when it was cancelled failed: "
        "The version could not be copied."
    )
    assert error.hint == "Try again later."
    wait_dialog(qtbot, dialog, 2)
    assert [v.size for v in dialog.versions] == [2, 1]


def test_what_failed_before_an_undelete_was_cancelled_is_said_too(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = memory_server.bucket("soft")
    memory_server.store.set_soft_delete(bucket, WEEK)
    memory_server.put(bucket, {"a.txt": b"a", "b.txt": b"b", "other.txt": b"x"})
    for key in ("a.txt", "b.txt"):
        memory_server.backend().delete_object(bucket, key)
    storage = window.service.storage(window.history.current.connection)
    held = Held(storage, "restore_soft_deleted", monkeypatch)
    holding = storage.restore_soft_deleted  # type: ignore[attr-defined]

    def refusing_a(bucket: str, key: str, version_id: str) -> object:
        if key == "a.txt":
            raise StorageError("Refused.")
        return holding(bucket, key, version_id)

    monkeypatch.setattr(storage, "restore_soft_deleted", refusing_a)
    go(qtbot, window, bucket)
    window.versions.show_deleted_action.trigger()
    wait_loaded(qtbot, window)
    select(window, "a.txt", "b.txt")
    window.versions.undelete_selection()
    qtbot.waitUntil(held.started.is_set, timeout=WAIT)  # b.txt's, after a.txt failed
    window.versions.cancel_undelete_action.trigger()
    qtbot.waitUntil(lambda: window.versions._undelete_job is None, timeout=WAIT)
    error = window.messages.last
    assert isinstance(error, UndeleteFailures)
    assert error.message == "1 of 2 objects could not be undeleted."
    assert error.detail == "a.txt: Refused."
    assert error.hint == "The details say which and why."

    held.release.set()
    qtbot.waitUntil(lambda: "was undeleted all the same" in status(window), timeout=WAIT)
    assert status(window).startswith("“b.txt” was undeleted all the same"), status(window)
    wait_listed(qtbot, window, "b.txt", deleted=False)
    assert window.list_model.is_deleted("a.txt")
