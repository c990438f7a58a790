"""A copy the user cancels while the server still makes it: Cancel stops waiting for the
copy's request at once (core/operations.py), but how it ends is still said in the
window, once: made after all (the folder is listed again), or failed (an aborted pending
Copy Blob that emptied the blob it wrote over…). On the in-memory backend, whose copy
is held here until the test lets it end; the backends' own ends are tested in
tests/contract/test_azure_pending_copy.py and test_gcs_requests.py."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.operations import Operation
from cloudbrowser.core.storage import Storage
from cloudbrowser.gui.file_operations import OperationFailures
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.object_clipboard import ObjectSelection
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import MemoryServer
from tests.gui.conftest import go
from tests.gui.test_browsing import names, row_of

WAIT = 30_000


@pytest.fixture
def window_server(memory_server: MemoryServer) -> MemoryServer:
    """The server this file's windows open (conftest's ``window``)."""
    return memory_server


class Held:
    """The connection's ``name`` request (a method of its Storage) held until
    :attr:`release` is set: then sent, or failing with :attr:`error`."""

    def __init__(self, storage: Storage, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.error: StorageError | None = None
        call = getattr(storage, name)

        def held(*args: object, **kwargs: object) -> object:
            self.started.set()
            self.release.wait(WAIT / 1000)
            if self.error is not None:
                raise self.error
            return call(*args, **kwargs)

        monkeypatch.setattr(storage, name, held)


def paste_and_cancel(qtbot: QtBot, window: MainWindow, bucket: str, held: Held) -> Operation:
    """Copy report.txt into copies/ and cancel while its copy is under way: the operation
    ends at once, saying the copy under way is reported when it ends."""
    conn = window.history.current.connection
    go(qtbot, window, bucket)
    entries = (window.list_model.entry(row_of(window, "report.txt").row()),)
    window.file_ops.transfer(
        ObjectSelection(conn, bucket, "", entries, cut=False),
        Location(conn, bucket, "copies/"),
        copy=True,
    )
    qtbot.waitUntil(held.started.is_set, timeout=WAIT)
    [operation] = window.transfers.model.operations()
    operation.cancel()
    qtbot.waitUntil(lambda: not window.file_ops.busy, timeout=WAIT)
    said = window.statusBar().currentMessage()
    assert "cancelled (0 done)" in said and "may still copy 1 object already under way" in said
    assert operation.left_running == 1
    return operation


def test_a_cancelled_copy_that_fails_afterwards_is_said(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"report.txt": b"figures"})
    held = Held(
        window.service.storage(window.history.current.connection), "copy_object", monkeypatch
    )
    operation = paste_and_cancel(qtbot, window, bucket, held)
    assert window.messages.last is None

    held.error = StorageError(
        "The copy to “copies/report.txt” was stopped. It had already replaced the blob "
        "there, whose old content is gone.",
        hint="Restore an earlier version where the account keeps them.",
    )
    held.release.set()
    qtbot.waitUntil(lambda: isinstance(window.messages.last, OperationFailures), timeout=WAIT)
    error = window.messages.last
    assert error is not None
    assert error.message.startswith(
        f"{operation.title}: the copy of “report.txt”, under way when the operation was "
        "cancelled, failed: The copy to “copies/report.txt” was stopped."
    ), error.message
    assert "old content is gone" in error.message
    assert error.hint == held.error.hint
    assert operation.wait_settled(0) and operation.result.failed == []  # said once


def test_a_cancelled_copy_the_server_completes_is_said_copied_and_listed(
    qtbot: QtBot, window: MainWindow, memory_server: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"report.txt": b"figures"})
    held = Held(
        window.service.storage(window.history.current.connection), "copy_object", monkeypatch
    )
    operation = paste_and_cancel(qtbot, window, bucket, held)
    qtbot.waitUntil(lambda: names(window) == ["report.txt"], timeout=WAIT)  # no copies/ yet

    held.release.set()
    qtbot.waitUntil(
        lambda: "was copied all the same" in window.statusBar().currentMessage(), timeout=WAIT
    )
    assert window.statusBar().currentMessage().startswith(f"{operation.title}: “report.txt”")
    assert window.messages.last is None
    assert operation.progress().done == 1
    qtbot.waitUntil(lambda: names(window) == ["copies", "report.txt"], timeout=WAIT)
