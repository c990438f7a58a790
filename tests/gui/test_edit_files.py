"""Edit (F4) through the window, against moto and rclone: the object is downloaded into a
private folder, opened, and each save of the file goes back to the same key, asking first
when someone else changed the object meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import Direction, State
from cloudbrowser.gui.edit_files import Answer, EditedFile, Step, edits_root
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, bucket_contents, go, open_window
from tests.gui.test_file_operations import select

WAIT = 30_000


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(max_threads=4)


@pytest.fixture
def window(
    qtbot: QtBot, service: StorageService, server: S3Server, tmp_path: Path
) -> Iterator[MainWindow]:
    win = open_window(qtbot, service, server, tmp_path)
    yield win
    win.transfers.shutdown()


def opened_urls(window: MainWindow) -> list[Path]:
    opened: list[Path] = []

    def opener(url: QUrl) -> bool:
        opened.append(Path(url.toLocalFile()))
        return True

    window.transfers.opener = opener
    return opened


def idle(window: MainWindow) -> bool:
    """No edit sending, settling or asking; no job or transfer running."""
    return (
        window.service.runner.active == 0
        and not window.transfers.queue.activity().busy
        and not window.edits.unsent
        and all(e.step is Step.WATCHING for e in window.edits.edited())
    )


def start_edit(qtbot: QtBot, window: MainWindow, server: S3Server, body: bytes) -> tuple[str, Path]:
    """F4 on docs/note.txt holding ``body``: the bucket and the file opened."""
    bucket = server.bucket()
    server.put(bucket, {"docs/note.txt": body, "docs/other.txt": b"o"})
    go(qtbot, window, bucket, "docs/")
    opened = opened_urls(window)
    select(window, "note.txt")
    assert window.edits.edit_action.isEnabled()
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    return bucket, opened[0]


def test_f4_downloads_the_object_into_an_edit_folder_and_opens_it(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    _bucket, path = start_edit(qtbot, window, server, b"first")
    assert path.name == "note.txt"
    assert path.parent.parent == edits_root()
    assert path.read_bytes() == b"first"
    # A normal, verified download, shown in the Transfers panel.
    downloads = [t for t in window.transfers.model.transfers() if t.direction is Direction.DOWNLOAD]
    assert [(t.key, t.state, t.verified) for t in downloads] == [
        ("docs/note.txt", State.DONE, True)
    ]
    assert window.transfer_dock.isVisible()
    label = window.statusBar().findChild(QLabel, "editingLabel")
    assert label is not None and "note.txt" in label.text()

    # Edit again: the copy being edited opens, nothing is downloaded over it.
    opened = opened_urls(window)
    QTest.keyClick(window.view, Qt.Key.Key_F4)
    assert opened == [path]
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert len(window.transfers.model.transfers()) == 1


def test_each_save_is_uploaded_back_to_the_same_key(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    path.write_bytes(b"second save")
    qtbot.waitUntil(
        lambda: bucket_contents(server, bucket)["docs/note.txt"] == b"second save", timeout=WAIT
    )
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    uploads = [t for t in window.transfers.model.transfers() if t.direction is Direction.UPLOAD]
    assert [(t.key, t.state, t.verified) for t in uploads] == [("docs/note.txt", State.DONE, True)]

    # A second save goes too, without asking: the server holds this edit's own upload.
    window.edits.ask_changed = lambda *_: pytest.fail("asked about the edit's own upload")
    path.write_bytes(b"third save, longer")
    qtbot.waitUntil(
        lambda: bucket_contents(server, bucket)["docs/note.txt"] == b"third save, longer",
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert set(bucket_contents(server, bucket)) == {"docs/note.txt", "docs/other.txt"}


def test_a_save_by_renaming_a_new_file_over_it_is_uploaded_too(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    for text in (b"saved by rename", b"and renamed again"):  # the watch survives each
        tmp = path.with_name("note.txt.tmp")
        tmp.write_bytes(text)
        tmp.replace(path)  # os.replace, as editors save
        qtbot.waitUntil(
            lambda text=text: bucket_contents(server, bucket)["docs/note.txt"] == text,
            timeout=WAIT,
        )
        qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert "docs/note.txt.tmp" not in bucket_contents(server, bucket)


@pytest.mark.parametrize("answer", list(Answer))
def test_an_object_changed_on_the_server_meanwhile_is_asked_about(
    qtbot: QtBot, window: MainWindow, server: S3Server, answer: Answer
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    server.put(bucket, {"docs/note.txt": b"someone else's"})
    asked: list[tuple[str, bool]] = []

    def ask(edit: EditedFile, deleted: bool) -> Answer:
        asked.append((edit.key, deleted))
        return answer

    window.edits.ask_changed = ask
    path.write_bytes(b"mine")
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert asked == [("docs/note.txt", False)]
    contents = bucket_contents(server, bucket)
    del contents["docs/other.txt"]
    if answer is Answer.OVERWRITE:
        assert contents == {"docs/note.txt": b"mine"}
    elif answer is Answer.COPY:
        assert contents == {"docs/note.txt": b"someone else's", "docs/note (edited).txt": b"mine"}
    else:
        assert contents == {"docs/note.txt": b"someone else's"}
        assert "Not uploaded" in window.statusBar().currentMessage()
        assert not [
            t for t in window.transfers.model.transfers() if t.direction is Direction.UPLOAD
        ]


def test_f4_on_a_folder_does_nothing(qtbot: QtBot, window: MainWindow, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["docs/note.txt", "top.txt"])
    go(qtbot, window, bucket)
    opened = opened_urls(window)
    select(window, "docs")
    assert not window.edits.edit_action.isEnabled()
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F4)
    window.edits.edit()  # even called directly (a stale menu): nothing but a message
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert opened == [] and window.edits.edited() == []
    assert window.transfers.model.transfers() == []
    assert "Select one file" in window.statusBar().currentMessage()
    # Nor on two files, nor at the bucket list.
    select(window, "docs", "top.txt")
    assert not window.edits.edit_action.isEnabled()
    select(window, "top.txt")
    assert window.edits.edit_action.isEnabled()


def test_closing_with_a_save_not_yet_uploaded_asks_and_stops_watching(
    qtbot: QtBot, window: MainWindow, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from cloudbrowser.gui import message_icons

    _bucket, path = start_edit(qtbot, window, server, b"first")
    asked: list[str] = []

    def no(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(message_icons, "ask", no)
    path.write_bytes(b"unsent")
    qtbot.waitUntil(lambda: window.edits.unsent == 1, timeout=WAIT)
    assert not window.close()  # said No: the window stays
    assert asked and "Not uploaded yet: the changes to 1 edited file." in asked[0]
    assert str(window.edits.folder) in asked[0]
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)  # it goes meanwhile

    monkeypatch.setattr(message_icons, "ask", lambda *_a: QMessageBox.StandardButton.Yes)
    assert window.close()
    assert window.edits.edited() == []


def test_an_object_deleted_on_the_server_meanwhile_is_asked_about_too(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    server.client.delete_object(Bucket=bucket, Key="docs/note.txt")
    asked: list[bool] = []

    def ask(_edit: EditedFile, deleted: bool) -> Answer:
        asked.append(deleted)
        return Answer.OVERWRITE

    window.edits.ask_changed = ask
    path.write_bytes(b"put it back")
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert asked == [True]
    assert bucket_contents(server, bucket)["docs/note.txt"] == b"put it back"
