"""File › Synchronize…: compare first (on a worker, cancellable), a preview, then one batch
of transfers and, only once it all succeeded, the deletes; on the in-memory backend, moto
and rclone (``any_server``), a round trip on fake-gcs-server and Azurite too."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QFile
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.journal import State
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.gui.dialogs.sync import PREVIEW_HEIGHT, SyncDialog
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import TestServer
from tests.gui.conftest import ServiceFactory, go, open_window
from tests.gui.test_browsing import names, row_of
from tests.gui.test_file_operations import show_in_the_tree

WAIT = 30_000


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(max_threads=4, page_size=4)


@pytest.fixture
def window_server(any_server: TestServer) -> TestServer:
    """The server this file's windows open (conftest's ``window``)."""
    return any_server


@pytest.fixture
def trash(tmp_path: Path) -> Path:
    """The freedesktop trash of the test's own home (conftest), where QFile.moveToTrash
    puts a file of the same disk: its folder made, as a desktop session has it."""
    data = tmp_path / "home" / ".local" / "share"
    data.mkdir(parents=True, exist_ok=True)
    return data / "Trash" / "files"


def contents(server: TestServer, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object below ``prefix`` (by its key below it) with its bytes."""
    storage = server.backend()
    found = {}
    for page in iter_pages(storage, bucket, prefix, recursive=True):
        for entry in page.objects:
            with storage.get_object(bucket, entry.key) as reader:
                found[entry.key[len(prefix) :]] = reader.read(1 << 20)
    return found


def local_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def open_dialog(window: MainWindow, location: Location, local: Path | None) -> SyncDialog:
    """Synchronize… on ``location``; the folder picker answers ``local`` (None: it must
    not be asked, a folder being remembered)."""

    def ask(_title: str, _start: Path | None) -> Path | None:
        assert local is not None, "the folder picker was asked again"
        return local

    window.sync.ask_folder = ask
    window.sync.synchronize(location)
    assert window.sync.current is not None
    return window.sync.current.dialog


def compare(
    qtbot: QtBot, dialog: SyncDialog, *, download: bool = False, delete: bool = False
) -> str:
    """Choose, press Compare, wait for the preview (or the options again, with an error);
    the summary (or the error)."""
    (dialog.download_button if download else dialog.upload_button).setChecked(True)
    dialog.delete_box.setChecked(delete)
    dialog.compare_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is not dialog.comparing_page, timeout=WAIT)
    if dialog.pages.currentWidget() is dialog.options_page:
        return dialog.error_label.text()
    return dialog.summary_label.text()


def settle(qtbot: QtBot, window: MainWindow) -> None:
    """Until the jobs, the transfers and the operations have all ended."""

    def idle() -> bool:
        window.transfers.poll()
        return (
            window.service.runner.active == 0
            and not window.transfers.queue.activity().busy
            and not window.file_ops.busy
        )

    qtbot.waitUntil(idle, timeout=WAIT)


def synchronize(qtbot: QtBot, window: MainWindow, dialog: SyncDialog) -> None:
    """Press Synchronize and wait for the synchronization's end (syncFinished): every
    step ended, its deletes too. Never "nothing runs": between the transfers' end and the
    deletes' start there is a moment when nothing does."""
    assert dialog.sync_button.isVisible() and dialog.sync_button.isEnabled()
    assert window.sync.current is not None and window.sync.current.dialog is dialog
    location = window.sync.current.location
    with qtbot.waitSignal(window.sync.syncFinished, timeout=WAIT) as ended:
        dialog.sync_button.click()
    assert ended.args == [location]


def group(dialog: SyncDialog, title: str) -> list[tuple[str, str]]:
    """The names (and why) of the preview's group whose title starts with ``title``."""
    tree = dialog.details
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if item.text(0).startswith(title):
            return [
                (item.child(j).text(0), item.child(j).text(1)) for j in range(item.childCount())
            ]
    return []


def select(window: MainWindow, name: str) -> None:
    model = window.view.selectionModel()
    window.view.clearSelection()
    model.select(row_of(window, name), model.SelectionFlag.Select | model.SelectionFlag.Rows)


def here(window: MainWindow, bucket: str, prefix: str = "") -> Location:
    return Location(window.history.current.connection, bucket, prefix)


# ── upload ─────────────────────────────────────────────────────────────────────────────


def test_upload_sync_of_a_nested_folder_then_nothing_then_the_changed_file(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"site/old.txt": b"only in the cloud"})
    local = tmp_path / "site"
    write(local, {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deep/c.txt": b"ccc"})
    go(qtbot, window, bucket, "site/")

    # File, Synchronize… (Ctrl+S) on the folder shown.
    assert "Synchronize…" in [a.text() for a in window.file_menu.actions()]
    assert window.sync.action.shortcut().toString() == "Ctrl+S"
    asked: list[Path | None] = []
    window.sync.ask_folder = lambda _t, start: asked.append(start) or local
    window.sync.action.trigger()
    dialog = window.sync.current.dialog  # type: ignore[union-attr]
    assert asked == [None]
    assert dialog.cloud_label.text().endswith(f"{bucket}/site/")
    assert dialog.local_label.text() == str(local)
    assert not dialog.delete_box.isChecked()  # delete is off by default
    assert not dialog.warning_label.text()
    # As tall as its options (it was 480 px, half of it empty), then room for the preview.
    options_height = dialog.height()
    assert options_height < PREVIEW_HEIGHT

    summary = compare(qtbot, dialog)
    assert "3 files to upload (6 bytes): 3 new, 0 changed." in summary
    assert "to delete" not in summary
    assert sorted(group(dialog, "To upload")) == [
        ("site/a.txt", "new"),
        ("site/sub/b.txt", "new"),
        ("site/sub/deep/c.txt", "new"),
    ]
    assert dialog.height() >= PREVIEW_HEIGHT > options_height
    # A few names are shown at once (the group was closed), in a column as wide as they are.
    uploads = dialog.details.topLevelItem(0)
    assert uploads.isExpanded()
    names_width = dialog.details.fontMetrics().horizontalAdvance("site/sub/deep/c.txt")
    assert dialog.details.columnWidth(0) > names_width
    assert contents(any_server, bucket, "site/") == {"old.txt": b"only in the cloud"}
    synchronize(qtbot, window, dialog)
    assert contents(any_server, bucket, "site/") == {
        "old.txt": b"only in the cloud",  # kept: delete was off
        "a.txt": b"a",
        "sub/b.txt": b"bb",
        "sub/deep/c.txt": b"ccc",
    }
    transfers = window.transfers.model.transfers()
    assert len(transfers) == 3 and {t.state for t in transfers} == {State.DONE}
    assert len({t.batch for t in transfers}) == 1  # one batch of the panel
    assert window.sync.current is None

    # Again: nothing to do, and the local folder is remembered for this cloud folder.
    dialog = open_dialog(window, here(window, bucket, "site/"), None)
    assert dialog.local_label.text() == str(local)
    summary = compare(qtbot, dialog)
    assert summary.startswith("Nothing to do")
    assert "3 files unchanged." in summary
    assert not dialog.sync_button.isEnabled()

    # A changed file is sent again, alone.
    (local / "sub" / "b.txt").write_bytes(b"bigger now")
    dialog.back_button.click()
    summary = compare(qtbot, dialog)
    assert "1 file to upload (10 bytes): 0 new, 1 changed." in summary
    assert group(dialog, "To upload") == [("site/sub/b.txt", "changed")]
    assert "2 files unchanged." in summary
    synchronize(qtbot, window, dialog)
    assert contents(any_server, bucket, "site/")["sub/b.txt"] == b"bigger now"
    assert len(window.transfers.model.transfers()) == 4


def test_upload_sync_makes_an_empty_folder_once_and_delete_keeps_it(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    local = tmp_path / "site"
    write(local, {"a.txt": b"a"})
    (local / "empty").mkdir()
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "site/"), local)
    summary = compare(qtbot, dialog, delete=True)
    assert "1 empty folder to make in the cloud." in summary
    assert group(dialog, "Empty folders to make") == [("site/empty/", str(local / "empty"))]
    synchronize(qtbot, window, dialog)
    if any_server.kind == "rclone":
        # It keeps no empty folder: the file is synchronised, nothing stray, said once.
        assert contents(any_server, bucket, "site/") == {"a.txt": b"a"}
        last = window.messages.last
        assert last is not None and "does not keep empty folders" in last.message
        return
    assert contents(any_server, bucket, "site/") == {"a.txt": b"a", "empty/": b""}

    # Again, with delete: nothing to make, nothing to delete (the placeholder is the folder's).
    dialog = open_dialog(window, here(window, bucket, "site/"), None)
    summary = compare(qtbot, dialog, delete=True)
    assert summary.startswith("Nothing to do"), summary
    assert not dialog.sync_button.isEnabled()


def test_with_delete_the_extra_objects_go_only_after_every_upload_succeeded(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/extra.txt": b"x", "p/gone/too.txt": b"y", "p/keep.txt": b"k"})
    local = tmp_path / "src"
    write(local, {"keep.txt": b"k", "new.txt": b"new", "other.txt": b"o"})
    go(qtbot, window, bucket)

    # A failed upload (its file removed after the comparison) deletes nothing.
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    summary = compare(qtbot, dialog, delete=True)
    assert "Objects in " in dialog.warning_label.text()
    assert "will be deleted from the cloud" in dialog.warning_label.text()
    assert "2 objects to delete from the cloud, after the uploads." in summary
    assert sorted(n for n, _ in group(dialog, "To delete")) == ["p/extra.txt", "p/gone/too.txt"]
    (local / "other.txt").unlink()
    synchronize(qtbot, window, dialog)
    after_failure = contents(any_server, bucket, "p/")
    assert after_failure["extra.txt"] == b"x" and after_failure["gone/too.txt"] == b"y"
    assert after_failure["new.txt"] == b"new"
    assert "Nothing was deleted" in window.statusBar().currentMessage()

    # All uploads done: then the deletes, and not before.
    seen_at_delete: list[dict[str, bytes]] = []
    real_delete = window.sync._delete

    def delete(sync: Any) -> None:
        seen_at_delete.append(contents(any_server, bucket, "p/"))
        real_delete(sync)

    window.sync._delete = delete  # type: ignore[method-assign]
    (local / "new.txt").write_bytes(b"new and longer")
    dialog = open_dialog(window, here(window, bucket, "p/"), None)
    summary = compare(qtbot, dialog, delete=True)
    assert "1 file to upload" in summary
    synchronize(qtbot, window, dialog)
    assert seen_at_delete and seen_at_delete[0]["new.txt"] == b"new and longer"
    assert "extra.txt" in seen_at_delete[0]
    assert contents(any_server, bucket, "p/") == {"keep.txt": b"k", "new.txt": b"new and longer"}


def test_an_empty_source_with_delete_is_refused_in_both_directions(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"full/a.txt": b"a"})
    empty = tmp_path / "empty"
    empty.mkdir()
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "full/"), empty)
    error = compare(qtbot, dialog, delete=True)
    assert "holds no files" in error and "nothing was changed" in error
    assert not dialog.sync_button.isVisible()
    dialog.reject()
    assert contents(any_server, bucket, "full/") == {"a.txt": b"a"}

    # Down: a cloud folder that holds nothing (a typo) never empties the local folder.
    mine = tmp_path / "mine"
    write(mine, {"precious.txt": b"p"})
    dialog = open_dialog(window, here(window, bucket, "no-such-folder/"), mine)
    error = compare(qtbot, dialog, download=True, delete=True)
    assert "holds no files" in error
    dialog.reject()
    settle(qtbot, window)
    assert local_tree(mine) == {"precious.txt": b"p"}


def test_checksum_finds_a_change_that_size_and_time_cannot_see(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    local = tmp_path / "src"
    write(local, {"same-size.txt": b"aaaa", "other.txt": b"o"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog)
    synchronize(qtbot, window, dialog)
    # Another content of the same size, with an old time: size and time see nothing.
    changed = local / "same-size.txt"
    changed.write_bytes(b"bbbb")
    os.utime(changed, (946684800, 946684800))  # 2000-01-01
    dialog = open_dialog(window, here(window, bucket, "p/"), None)
    assert compare(qtbot, dialog).startswith("Nothing to do")
    dialog.back_button.click()
    dialog.checksum_button.setChecked(True)
    summary = compare(qtbot, dialog)
    assert "1 file to upload (4 bytes): 0 new, 1 changed." in summary
    assert "1 file unchanged." in summary
    synchronize(qtbot, window, dialog)
    assert contents(any_server, bucket, "p/")["same-size.txt"] == b"bbbb"


# ── download ───────────────────────────────────────────────────────────────────────────


def test_download_sync_then_nothing_then_delete_moves_extras_to_the_trash(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path, trash: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a", "p/sub/b.txt": b"bb"})
    local = tmp_path / "mirror"
    write(local, {"mine.txt": b"only here"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    summary = compare(qtbot, dialog, download=True)
    assert "2 files to download (3 bytes): 2 new, 0 changed." in summary
    synchronize(qtbot, window, dialog)
    assert local_tree(local) == {"a.txt": b"a", "sub/b.txt": b"bb", "mine.txt": b"only here"}

    dialog = open_dialog(window, here(window, bucket, "p/"), None)
    # The folder and the direction are remembered; the delete never is.
    assert dialog.download_button.isChecked() and not dialog.delete_box.isChecked()
    assert compare(qtbot, dialog, download=True).startswith("Nothing to do")

    # With delete: the file the cloud does not have goes to the trash, after the download.
    any_server.put(bucket, {"p/sub/b.txt": b"changed"})
    dialog.back_button.click()
    summary = compare(qtbot, dialog, download=True, delete=True)
    assert "will be moved to the trash" in dialog.warning_label.text()
    assert "1 file to download (7 bytes): 0 new, 1 changed." in summary
    assert group(dialog, "To download") == [(str(local / "sub" / "b.txt"), "changed")]
    assert "1 file to move to the system trash, after the downloads." in summary
    assert group(dialog, "To move to the trash") == [(str(local / "mine.txt"), "")]
    synchronize(qtbot, window, dialog)
    assert local_tree(local) == {"a.txt": b"a", "sub/b.txt": b"changed"}
    assert (trash / "mine.txt").read_bytes() == b"only here"
    assert "Moved 1 file to the trash." in window.statusBar().currentMessage()


def test_download_sync_with_delete_removes_the_folders_gone_from_the_cloud(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path, trash: Path
) -> None:
    """A local folder the cloud no longer has goes too: its files to the trash, the
    folder, then empty, removed; a folder the cloud still has stays, even emptied."""
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a", "p/kept/b.txt": b"bb"})
    local = tmp_path / "mirror"
    write(local, {"a.txt": b"a", "kept/b.txt": b"bb", "kept/mine.txt": b"m", "old/x.txt": b"x"})
    (local / "old" / "deeper").mkdir()
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    summary = compare(qtbot, dialog, download=True, delete=True)
    assert "2 files to move to the system trash, after the downloads." in summary, summary
    assert "2 empty folders gone from the cloud to remove, after the downloads." in summary
    removed = [(str(local / "old" / "deeper"), ""), (str(local / "old"), "")]
    assert group(dialog, "Empty folders to remove") == removed, "deepest first"
    synchronize(qtbot, window, dialog)
    assert not (local / "old").exists()
    assert local_tree(local) == {"a.txt": b"a", "kept/b.txt": b"bb"}
    assert (trash / "x.txt").read_bytes() == b"x"
    said = window.statusBar().currentMessage()
    assert "Moved 2 files to the trash. Removed 2 empty folders gone from the cloud." in said

    # Only an empty folder is left over: that alone is something to do.
    (local / "left").mkdir()
    dialog = open_dialog(window, here(window, bucket, "p/"), None)
    summary = compare(qtbot, dialog, download=True, delete=True)
    assert "1 empty folder gone from the cloud to remove, after the downloads." in summary
    assert dialog.sync_button.isEnabled()
    synchronize(qtbot, window, dialog)
    assert not (local / "left").exists()
    assert "Removed 1 empty folder gone from the cloud." in window.statusBar().currentMessage()


# rclone serve s3 stores "p/empty/" as a file "p/empty": it has no empty folders.
@pytest.mark.parametrize("any_server", ["memory", "moto"], indirect=True)
def test_download_sync_of_a_new_empty_folder_alone_makes_it_then_nothing(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    """The cloud's only change is an empty folder (its placeholder): it is something to do."""
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a"})
    local = tmp_path / "mirror"
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, download=True)
    synchronize(qtbot, window, dialog)
    any_server.put(bucket, {"p/empty/": b""})

    dialog = open_dialog(window, here(window, bucket, "p/"), None)
    summary = compare(qtbot, dialog, download=True)
    assert "1 empty folder to make in the local folder." in summary, summary
    assert group(dialog, "Empty folders to make") == [(str(local / "empty"), "")]
    synchronize(qtbot, window, dialog)
    assert (local / "empty").is_dir() and not any((local / "empty").iterdir())

    dialog = open_dialog(window, here(window, bucket, "p/"), None)
    assert compare(qtbot, dialog, download=True).startswith("Nothing to do")
    assert not dialog.sync_button.isEnabled()


def test_a_failed_download_moves_nothing_to_the_trash(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path, trash: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a", "p/b.txt": b"b"})
    local = tmp_path / "mirror"
    write(local, {"mine.txt": b"only here"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, download=True, delete=True)
    any_server.backend().delete_object(bucket, "p/b.txt")  # gone before it is fetched
    synchronize(qtbot, window, dialog)
    states = sorted(t.state.value for t in window.transfers.model.transfers())
    assert State.FAILED.value in states
    assert local_tree(local)["mine.txt"] == b"only here"
    assert not trash.exists() or not list(trash.iterdir())


def test_local_deletes_that_the_trash_refuses_are_kept_and_named(
    qtbot: QtBot,
    window: MainWindow,
    any_server: TestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the system has no trash (QFile.moveToTrash fails: mocked here), a file is
    kept, never deleted for good, and the failure names it."""
    monkeypatch.setattr(QFile, "moveToTrash", lambda _self: False)
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a"})
    local = tmp_path / "mirror"
    write(local, {"a.txt": b"a", "mine.txt": b"only here"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, download=True, delete=True)
    synchronize(qtbot, window, dialog)
    assert (local / "mine.txt").read_bytes() == b"only here"
    error = window.messages.last
    assert error is not None and "could not be moved to the trash" in error.message
    assert str(local / "mine.txt") in error.detail


# ── the end ────────────────────────────────────────────────────────────────────────────


def test_a_download_sync_ends_once_its_trash_and_its_message_are_done(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path, trash: Path
) -> None:
    """What is there the moment syncFinished comes, with no more waiting: the trash has the
    files, the emptied folder is gone, the last message is said; it comes once."""
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a"})
    local = tmp_path / "mirror"
    write(local, {"mine.txt": b"only here", "old/x.txt": b"x"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, download=True, delete=True)

    at_the_end: list[tuple[Location, dict[str, bytes], list[str], bool, str]] = []

    def ended(location: Location) -> None:
        in_the_trash = sorted(p.name for p in trash.iterdir()) if trash.exists() else []
        old = (local / "old").exists()
        at_the_end.append(
            (location, local_tree(local), in_the_trash, old, window.statusBar().currentMessage())
        )

    window.sync.syncFinished.connect(ended)
    synchronize(qtbot, window, dialog)
    said = "Moved 2 files to the trash. Removed 1 empty folder gone from the cloud."
    location = here(window, bucket, "p/")
    assert at_the_end == [(location, {"a.txt": b"a"}, ["mine.txt", "x.txt"], False, said)]
    settle(qtbot, window)
    assert len(at_the_end) == 1, "one end per synchronization"


def test_an_upload_sync_ends_once_its_objects_are_deleted(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/extra.txt": b"x", "p/gone/too.txt": b"y"})
    local = tmp_path / "src"
    write(local, {"a.txt": b"a"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, delete=True)

    at_the_end: list[tuple[dict[str, bytes], str]] = []
    window.sync.syncFinished.connect(
        lambda _location: at_the_end.append(
            (contents(any_server, bucket, "p/"), window.statusBar().currentMessage())
        )
    )
    synchronize(qtbot, window, dialog)
    [(there, said)] = at_the_end
    assert there == {"a.txt": b"a"}
    assert said.endswith(": done (2 objects)."), said
    settle(qtbot, window)
    assert len(at_the_end) == 1, "one end per synchronization"


def slow_upload_sync(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> tuple[str, SyncDialog]:
    """A compared upload sync of one 10 MiB file, with one object to delete, whose
    transfer runs long enough to be cancelled or cut short: two parts of 5 MiB at 512 KiB/s,
    the limiter lets the first go at once and holds the second 10 s, before the upload can
    be committed. (A file sent whole goes at once, and a cancel can come once its object is
    there.)"""
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/extra.txt": b"x"})
    local = tmp_path / "src"
    write(local, {"big.bin": bytes(10 << 20)})
    slow = replace(window.transfers.settings, part_size_mib=5, bandwidth_kib=512)
    window.transfers.apply_settings(slow)
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, delete=True)
    return bucket, dialog


def test_a_sync_whose_transfer_is_cancelled_ends_too_and_deletes_nothing(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket, dialog = slow_upload_sync(qtbot, window, any_server, tmp_path)
    with qtbot.waitSignal(window.sync.syncFinished, timeout=WAIT) as ended:
        dialog.sync_button.click()
        qtbot.waitUntil(lambda: window.transfers.model.rowCount() == 1, timeout=WAIT)
        window.transfers.cancel([t.id for t in window.transfers.model.transfers()])
    assert ended.args == [here(window, bucket, "p/")]
    assert "Nothing was deleted" in window.statusBar().currentMessage()
    [transfer] = window.transfers.model.transfers()
    assert transfer.state is State.CANCELLED
    assert contents(any_server, bucket, "p/") == {"extra.txt": b"x"}


# ── every run ends, once, saying what happened ────────────────────────────────────────

ONLY_MEMORY = pytest.mark.parametrize("any_server", ["memory"], indirect=True)


def queue_fails(window: MainWindow, monkeypatch: pytest.MonkeyPatch, *, queued: int) -> None:
    """The transfer queue's ``add`` queues the first ``queued`` requests, then fails, as a
    journal write failing part-way through queueing."""
    queue = window.transfers.queue
    real_add = queue.add

    def add(requests: Any, *, batch: str = "") -> Any:
        real_add(list(requests)[:queued], batch=batch)
        raise CloudBrowserError("The transfer journal could not be written.")

    monkeypatch.setattr(queue, "add", add)


@ONLY_MEMORY
def test_a_sync_whose_queueing_fails_part_way_ends_and_deletes_nothing(
    qtbot: QtBot,
    window: MainWindow,
    any_server: TestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What was queued before the failure runs and is shown; the synchronization ends when
    it has, saying how many of its files went, and deletes nothing."""
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/extra.txt": b"x"})
    local = tmp_path / "src"
    write(local, {"a.txt": b"a", "b.txt": b"b", "c.txt": b"c"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, delete=True)
    queue_fails(window, monkeypatch, queued=1)
    synchronize(qtbot, window, dialog)
    said = window.statusBar().currentMessage()
    assert ": 1 of 3 files transferred. Nothing was deleted" in said, said
    error = window.messages.last
    assert error is not None and error.message == "The transfer journal could not be written."
    [transfer] = window.transfers.model.transfers()
    assert transfer.state is State.DONE
    there = contents(any_server, bucket, "p/")
    assert there["extra.txt"] == b"x" and len(there) == 2


@ONLY_MEMORY
def test_a_sync_whose_queueing_fails_ends_saying_nothing_was_done(
    qtbot: QtBot,
    window: MainWindow,
    any_server: TestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/extra.txt": b"x"})
    local = tmp_path / "src"
    write(local, {"a.txt": b"a"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    compare(qtbot, dialog, delete=True)
    queue_fails(window, monkeypatch, queued=0)
    synchronize(qtbot, window, dialog)
    said = window.statusBar().currentMessage()
    assert said.endswith(": its transfers could not be queued; nothing was transferred or deleted.")
    assert window.transfers.model.transfers() == []
    assert contents(any_server, bucket, "p/") == {"extra.txt": b"x"}


@ONLY_MEMORY
def test_an_empty_folder_that_could_not_be_queued_deletes_nothing(
    qtbot: QtBot,
    window: MainWindow,
    any_server: TestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A synchronization of an empty folder alone is a batch too: its failure is the
    synchronization's, whose deletes then never run."""
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a", "p/extra.txt": b"x"})
    local = tmp_path / "src"
    write(local, {"a.txt": b"a"})
    (local / "empty").mkdir()
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "p/"), local)
    summary = compare(qtbot, dialog, delete=True)
    assert "1 empty folder to make in the cloud." in summary and "1 object to delete" in summary
    queue_fails(window, monkeypatch, queued=0)
    synchronize(qtbot, window, dialog)
    assert "nothing was transferred or deleted" in window.statusBar().currentMessage()
    assert contents(any_server, bucket, "p/")["extra.txt"] == b"x"


@ONLY_MEMORY
def test_closing_the_window_ends_a_sync_whose_transfers_run(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket, dialog = slow_upload_sync(qtbot, window, any_server, tmp_path)
    ends: list[tuple[Location, str]] = []
    window.sync.syncFinished.connect(
        lambda location: ends.append((location, window.statusBar().currentMessage()))
    )
    dialog.sync_button.click()
    qtbot.waitUntil(lambda: window.transfers.model.rowCount() == 1, timeout=WAIT)
    assert ends == []
    assert window.close()
    [(location, said)] = ends
    assert location == here(window, bucket, "p/")
    assert said.endswith(
        " stopped when the window closed. 0 of 1 file transferred; the rest continue the "
        "next time cloudbrowser starts. Nothing was deleted."
    ), said
    window.transfers.cancel([t.id for t in window.transfers.model.transfers()])
    settle(qtbot, window)
    assert len(ends) == 1, "one end per synchronization"
    assert contents(any_server, bucket, "p/") == {"extra.txt": b"x"}


@ONLY_MEMORY
def test_closing_the_window_ends_a_sync_whose_deletes_run(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"p/a.txt": b"a", "p/extra.txt": b"x"})
    local = tmp_path / "src"
    write(local, {"a.txt": b"a"})
    go(qtbot, window, bucket)
    storage = window.service.storage(window.history.current.connection)
    release, held = threading.Event(), threading.Event()
    real_delete = storage.delete_objects  # type: ignore[attr-defined]

    def slow_delete(*args: Any, **kwargs: Any) -> Any:
        held.set()
        release.wait(WAIT / 1000)
        return real_delete(*args, **kwargs)

    storage.delete_objects = slow_delete  # type: ignore[attr-defined]
    ends: list[str] = []
    window.sync.syncFinished.connect(
        lambda _location: ends.append(window.statusBar().currentMessage())
    )
    try:
        dialog = open_dialog(window, here(window, bucket, "p/"), local)
        compare(qtbot, dialog, delete=True)
        dialog.sync_button.click()
        qtbot.waitUntil(held.is_set, timeout=WAIT)
        assert window.close()
        assert len(ends) == 1 and ends[0].endswith(
            " stopped when the window closed, while deleting: what was not deleted yet is "
            "still there."
        ), ends
    finally:
        release.set()
    settle(qtbot, window)
    assert len(ends) == 1, "one end per synchronization"


# ── the comparison ─────────────────────────────────────────────────────────────────────


def test_cancel_while_comparing_changes_nothing(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, [f"p/f{i:02}.txt" for i in range(12)])  # three pages of four
    local = tmp_path / "src"
    write(local, {"new.txt": b"n"})
    go(qtbot, window, bucket)
    storage = window.service.storage(window.history.current.connection)
    release, held = threading.Event(), threading.Event()
    real_list_page = storage.list_page

    def slow_list_page(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("token") or (len(args) > 2 and args[2]):  # the second page waits
            held.set()
            release.wait(WAIT / 1000)
        return real_list_page(*args, **kwargs)

    storage.list_page = slow_list_page  # type: ignore[method-assign]
    try:
        dialog = open_dialog(window, here(window, bucket, "p/"), local)
        dialog.compare_button.click()
        assert dialog.pages.currentWidget() is dialog.comparing_page
        qtbot.waitUntil(held.is_set, timeout=WAIT)
        qtbot.waitUntil(lambda: "Compared" in dialog.progress_label.text(), timeout=WAIT)
        dialog.cancel_button.click()
        assert dialog.pages.currentWidget() is dialog.options_page
    finally:
        release.set()
    settle(qtbot, window)
    assert dialog.pages.currentWidget() is dialog.options_page  # no preview came
    assert window.sync.current is not None and window.sync.current.plan is None
    assert window.transfers.model.transfers() == []
    assert "new.txt" not in contents(any_server, bucket, "p/")
    assert "Comparison cancelled" in window.statusBar().currentMessage()
    dialog.reject()


def test_what_cannot_be_synchronized_is_named_with_its_reason(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    local = tmp_path / "src"
    write(local, {"fine.txt": b"f"})
    (local / "broken-link").symlink_to(tmp_path / "nowhere")
    any_server.put(bucket, {"up/broken-link": b"the copy", "up/stale.txt": b"s"})
    go(qtbot, window, bucket)
    dialog = open_dialog(window, here(window, bucket, "up/"), local)
    summary = compare(qtbot, dialog, delete=True)
    assert "1 item cannot be synchronized (listed below)." in summary
    [(name, why)] = group(dialog, "Cannot be synchronized")
    assert name == str(local / "broken-link") and why
    # What could not be read locally may still be there: its object is not deleted.
    assert group(dialog, "To delete") == [("up/stale.txt", "")]
    synchronize(qtbot, window, dialog)
    assert contents(any_server, bucket, "up/") == {"fine.txt": b"f", "broken-link": b"the copy"}


# ── where it is offered ────────────────────────────────────────────────────────────────


def test_a_folder_row_and_a_tree_node_offer_synchronize_for_that_folder(
    qtbot: QtBot, window: MainWindow, any_server: TestServer, tmp_path: Path
) -> None:
    bucket = any_server.bucket()
    any_server.put(bucket, {"docs/a.txt": b"a", "top.txt": b"t"})
    show_in_the_tree(qtbot, window, bucket, "")
    local = tmp_path / "here"
    local.mkdir()

    select(window, "docs")
    menu = QMenu(window)
    for section in window.context_menu_sections:
        section(menu, window.selected_entries())
    [action] = [a for a in menu.actions() if isinstance(a, QAction) and a.text() == "Synchronize…"]
    window.sync.ask_folder = lambda _t, _s: local
    action.trigger()
    assert window.sync.current is not None
    assert window.sync.current.location == here(window, bucket, "docs/")
    window.sync.current.dialog.reject()
    qtbot.waitUntil(lambda: window.sync.current is None)

    # A bucket's row in the connection's list of buckets.
    window.navigate(Location(window.history.current.connection))
    qtbot.waitUntil(lambda: bucket in names(window), timeout=WAIT)
    select(window, bucket)
    menu = QMenu(window)
    for section in window.context_menu_sections:
        section(menu, window.selected_entries())
    [action] = [a for a in menu.actions() if isinstance(a, QAction) and a.text() == "Synchronize…"]
    action.trigger()
    assert window.sync.current is not None
    assert window.sync.current.location == here(window, bucket, "")
    assert window.sync.current.cloud.endswith(f"://{bucket}/")
    window.sync.current.dialog.reject()

    # The tree's bucket node: its context menu as the tree opens it.
    index = window.tree_model.index_for(here(window, bucket))
    window.tree.scrollTo(index)
    window.file_ops._tree_context_menu(window.tree.visualRect(index).center())
    tree_menu = next(m for m in reversed(window.findChildren(QMenu)) if m.isVisible())
    [action] = [a for a in tree_menu.actions() if a.text() == "Synchronize…"]
    tree_menu.close()
    action.trigger()
    assert window.sync.current is not None
    assert window.sync.current.location == here(window, bucket, "")
    window.sync.current.dialog.reject()


# ── Google Cloud Storage and Azure ─────────────────────────────────────────────────────


@pytest.mark.server
@pytest.mark.parametrize("cloud", ["gcs", "azurite"])
def test_up_and_down_on_gcs_and_azure(
    qtbot: QtBot,
    service: StorageService,
    cloud: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    trash: Path,
) -> None:
    server: TestServer = request.getfixturevalue(f"{cloud}_server")
    win = open_window(qtbot, service, server, tmp_path)  # type: ignore[arg-type]
    try:
        bucket = server.bucket()
        server.put(bucket, {"p/extra.txt": b"x"})
        local = tmp_path / "src"
        write(local, {"a.txt": b"a", "sub/b.txt": b"bb"})
        go(qtbot, win, bucket)
        dialog = open_dialog(win, here(win, bucket, "p/"), local)
        assert "2 files to upload" in compare(qtbot, dialog, delete=True)
        synchronize(qtbot, win, dialog)
        assert contents(server, bucket, "p/") == {"a.txt": b"a", "sub/b.txt": b"bb"}
        dialog = open_dialog(win, here(win, bucket, "p/"), None)
        assert compare(qtbot, dialog).startswith("Nothing to do")
        dialog.reject()

        mirror = tmp_path / "mirror"
        write(mirror, {"mine.txt": b"m"})
        server.put(bucket, {"p/sub/b.txt": b"changed"})
        dialog = open_dialog(win, here(win, bucket, "p/"), None)
        dialog.set_local(mirror)  # Choose… another folder than the one remembered
        assert "2 files to download" in compare(qtbot, dialog, download=True, delete=True)
        synchronize(qtbot, win, dialog)
        assert local_tree(mirror) == {"a.txt": b"a", "sub/b.txt": b"changed"}
        assert (trash / "mine.txt").read_bytes() == b"m"
    finally:
        win.transfers.shutdown()
