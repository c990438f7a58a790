"""The window on Azurite through a saved connection whose only credential is a container
SAS (made here from Azurite's well-known development key with azure-storage-blob's
``generate_container_sas``, as the portal's "Generate SAS" makes one): it opens at its
container; with read, write, list and delete a dropped folder is uploaded (a file of it
in blocks) and a download lands intact; with read and list only an upload fails, says
what the SAS grants, and the local files stay as they were. What reached the container
is read back with the account key, not through the SAS connection."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import MiB
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.transfer_controller import TransferFailures
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import AzuriteServer
from tests.gui.test_browsing import names, row_of, wait_loaded
from tests.gui.test_other_clouds_window import save_container_sas
from tests.gui.test_transfers import drop
from tests.local_servers import AZURITE_ACCOUNT, AZURITE_KEY

WAIT = 30_000


@pytest.fixture
def window(qtbot: QtBot, service: StorageService, tmp_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(service)
    qtbot.addWidget(win)
    # Blocks of 1 MiB: a file of a few MiB is staged (Put Block, Put Block List).
    win.transfers.apply_settings(
        replace(
            win.transfers.settings,
            download_folder=str(tmp_path / "downloads"),
            part_size_mib=1,
        )
    )
    win.transfers.opener = lambda url: None
    win.show()
    yield win
    win.transfers.shutdown()


def open_at_its_container(qtbot: QtBot, window: MainWindow, name: str, bucket: str) -> None:
    window.connector.open_saved(name)
    qtbot.waitUntil(
        lambda: window.history.current is not None and window.history.current.connection == name,
        timeout=WAIT,
    )
    wait_loaded(qtbot, window)
    current = window.history.current
    assert (current.bucket, current.prefix) == (bucket, ""), "a container SAS opens there"


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    window.transfers.poll()


def drop_below_the_rows(window: MainWindow, paths: list[Path]) -> None:
    """Onto empty space below the rows: into the folder shown."""
    below = window.view.viewport().rect().bottomLeft() + QPointF(5, -5).toPoint()
    drop(window.view.viewport(), paths, QPointF(below))


def container(server: AzuriteServer, bucket: str) -> dict[str, bytes]:
    """Every blob of ``bucket`` with its bytes, read with the account key."""
    storage = server.backend()
    found: dict[str, bytes] = {}
    for page in iter_pages(storage, bucket, "", recursive=True):
        for entry in page.objects:
            with storage.get_object(bucket, entry.key) as reader:
                found[entry.key] = reader.read(-1)
    return found


def test_a_read_write_container_sas_uploads_a_dropped_folder_and_downloads(
    qtbot: QtBot, window: MainWindow, azurite_server: AzuriteServer, tmp_path: Path
) -> None:
    bucket = azurite_server.bucket("sas")
    report = hashlib.shake_256(b"report").digest(300_000)
    azurite_server.put(bucket, {"shared/report.bin": report})
    name = save_container_sas(azurite_server, bucket, "Team share", permission="rwdl")
    open_at_its_container(qtbot, window, name, bucket)
    assert names(window) == ["shared"]

    album = tmp_path / "album"
    (album / "2024").mkdir(parents=True)
    files = {
        "album/a.jpg": b"a" * 10,
        "album/2024/b.jpg": b"b" * 20,
        "album/2024/big.raw": hashlib.shake_256(b"raw").digest(2 * MiB + 12_345),
    }
    for key, body in files.items():
        (tmp_path / key).write_bytes(body)
    drop_below_the_rows(window, [album])
    wait_idle(qtbot, window)
    uploads = window.transfers.model.transfers()
    assert {(t.key, t.state, t.verified) for t in uploads} == {
        (key, State.DONE, True) for key in files
    }, [t.error for t in uploads]
    assert container(azurite_server, bucket) == {"shared/report.bin": report, **files}
    blocks, _ = (
        BlobServiceClient(
            azurite_server.endpoint_url,
            credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY},
        )
        .get_blob_client(bucket, "album/2024/big.raw")
        .get_block_list("committed")
    )
    assert len(blocks) == 3, "the big file went in blocks of 1 MiB"
    qtbot.waitUntil(lambda: "album" in names(window), timeout=WAIT)

    window.view.setCurrentIndex(row_of(window, "shared"))
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    assert names(window) == ["report.bin"]
    window.view.selectionModel().select(
        row_of(window, "report.bin"),
        window.view.selectionModel().SelectionFlag.ClearAndSelect
        | window.view.selectionModel().SelectionFlag.Rows,
    )
    window.download_selection(tmp_path / "out")
    wait_idle(qtbot, window)
    [download] = [
        t for t in window.transfers.model.transfers() if t.direction is Direction.DOWNLOAD
    ]
    assert (download.state, download.verified) == (State.DONE, True), download.error
    assert (tmp_path / "out" / "report.bin").read_bytes() == report


def test_a_read_only_container_sas_refuses_an_upload_and_says_why(
    qtbot: QtBot, window: MainWindow, azurite_server: AzuriteServer, tmp_path: Path
) -> None:
    bucket = azurite_server.bucket("sas")
    azurite_server.put(bucket, {"shared/report.bin": b"report"})
    name = save_container_sas(azurite_server, bucket, "Read only", permission="rl")
    open_at_its_container(qtbot, window, name, bucket)
    assert names(window) == ["shared"]
    note = tmp_path / "note.txt"
    note.write_bytes(b"my own words")
    before = note.stat()

    drop_below_the_rows(window, [note])
    wait_idle(qtbot, window)
    [upload] = window.transfers.model.transfers()
    assert upload.state is State.FAILED
    error = window.messages.last
    assert isinstance(error, TransferFailures)
    assert "1 of 1 file could not be uploaded" in error.message
    assert "Not allowed to do this with “note.txt”" in error.detail, error.detail
    assert "The SAS grants only read and list (sp=rl)" in error.detail, error.detail
    # Nothing is lost here, nothing reached the container.
    assert note.read_bytes() == b"my own words"
    assert (note.stat().st_mtime_ns, note.stat().st_size) == (before.st_mtime_ns, before.st_size)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["note.txt"]
    assert container(azurite_server, bucket) == {"shared/report.bin": b"report"}
    assert names(window) == ["shared"]
