"""Copy and move between clouds in the window: S3, Google Cloud Storage and Azure Blob
Storage are connections of one tree, and a paste into another provider streams the bytes
through (read from one, written to the other), whatever each one's checksums are."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import State
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import TestServer
from tests.gui.test_file_operations import select, settle

pytestmark = [pytest.mark.server, pytest.mark.gui]

FILES = {"docs/a.txt": b"alpha", "docs/sub/b.bin": bytes(range(256)) * 40}


def contents(server: TestServer, bucket: str) -> dict[str, bytes]:
    """Every key of ``bucket`` with its bytes, read through the interface."""
    storage = server.backend()
    found = {}
    for page in iter_pages(storage, bucket, "", recursive=True):
        for entry in page.objects:
            with storage.get_object(bucket, entry.key) as reader:
                found[entry.key] = reader.read(-1)
    return found


@pytest.fixture(params=["gcs_server", "azurite_server"])
def other(request: pytest.FixtureRequest) -> TestServer:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def window_server(moto_server: TestServer) -> TestServer:
    """The server this file's windows open (conftest's ``window``)."""
    return moto_server


@pytest.mark.parametrize("move", [False, True], ids=["copy", "move"])
def test_a_folder_pasted_into_another_cloud_streams_there(
    qtbot: QtBot,
    window: MainWindow,
    service: StorageService,
    moto_server: TestServer,
    other: TestServer,
    move: bool,
) -> None:
    source, target = moto_server.bucket("from"), other.bucket("to")
    moto_server.put(source, FILES)
    second = service.add_connection(other.settings(), other.credentials)
    window.navigate(Location(window.history.current.connection, source, ""))
    settle(qtbot, window)
    select(window, "docs")
    (window.file_ops.cut_action if move else window.file_ops.copy_action).trigger()
    window.navigate(Location(second.id, target, ""))
    settle(qtbot, window)
    window.paste_files_action.trigger()
    settle(qtbot, window)
    assert contents(other, target) == FILES
    assert contents(moto_server, source) == ({} if move else FILES)
    [op] = window.transfers.model.operations()
    assert op.streams and op.state is State.DONE
