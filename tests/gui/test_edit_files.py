"""Edit (F4) through the window, against moto and rclone: the object is downloaded into a
private folder, opened, and each save of the file goes back to the same key, asking first
when someone else changed the object meanwhile."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.transfers import TransferRequest
from cloudbrowser.gui.edit_files import (
    RECORD,
    Answer,
    EditedFile,
    EditRecord,
    Step,
    Unsent,
    UnsentAnswer,
    edits_root,
    look_at_edit_folders,
)
from cloudbrowser.gui.transfer_controller import TransferFailures
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import bucket_contents, go
from tests.gui.test_file_operations import select

WAIT = 30_000


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


def test_an_object_deleted_then_made_anew_before_the_upload_is_asked_about_again(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """The user puts a deleted object back; someone creates it again before the upload:
    the upload only creates it, so it is refused (their object stays) and the user is
    asked again, now about an object that was changed."""
    bucket, path = start_edit(qtbot, window, server, b"first")
    server.client.delete_object(Bucket=bucket, Key="docs/note.txt")
    upload = window.transfers.upload
    raced: list[str] = []

    def racing(*args: object, **kwargs: Any) -> Any:
        if not raced:
            raced.append("once")
            server.put(bucket, {"docs/note.txt": b"someone else's"})
        return upload(*args, **kwargs)  # type: ignore[arg-type]

    window.transfers.upload = racing  # type: ignore[method-assign]
    asked: list[bool] = []

    def ask(_edit: EditedFile, deleted: bool) -> Answer:
        asked.append(deleted)
        return Answer.OVERWRITE if len(asked) == 1 else Answer.KEEP_LOCAL

    window.edits.ask_changed = ask
    path.write_bytes(b"put it back")
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert raced and asked == [True, False]
    assert bucket_contents(server, bucket)["docs/note.txt"] == b"someone else's"
    assert not isinstance(window.messages.last, TransferFailures)


@pytest.mark.parametrize("answer", [Answer.KEEP_LOCAL, Answer.OVERWRITE])
def test_a_write_between_the_check_and_the_upload_is_asked_about_too(
    qtbot: QtBot, window: MainWindow, server: S3Server, answer: Answer
) -> None:
    """The HEAD says the object is the edit's, then someone writes it before the upload:
    the upload is refused (not a silent overwrite) and the user is asked as before."""
    bucket, path = start_edit(qtbot, window, server, b"first")
    upload = window.transfers.upload
    raced: list[str] = []

    def racing(*args: object, **kwargs: Any) -> Any:
        if not raced:
            raced.append("once")
            server.put(bucket, {"docs/note.txt": b"someone else's"})
        return upload(*args, **kwargs)  # type: ignore[arg-type]

    window.transfers.upload = racing  # type: ignore[method-assign]
    asked: list[tuple[str, bool]] = []

    def ask(edit: EditedFile, deleted: bool) -> Answer:
        asked.append((edit.key, deleted))
        return answer

    window.edits.ask_changed = ask
    path.write_bytes(b"mine")
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert raced and asked == [("docs/note.txt", False)]
    expected = b"mine" if answer is Answer.OVERWRITE else b"someone else's"
    assert bucket_contents(server, bucket)["docs/note.txt"] == expected
    # The question is what the user sees of the refusal: no "upload failed, retry it".
    assert not isinstance(window.messages.last, TransferFailures)


def restart(window: MainWindow, answer: UnsentAnswer) -> list[Unsent]:
    """What a new run does with the edit folders: the window stops watching (as at a
    quit), then looks at the folders again, answering ``answer`` to each offer."""
    window.edits.stop()
    offered: list[Unsent] = []

    def ask(unsent: Unsent) -> UnsentAnswer:
        offered.append(unsent)
        return answer

    window.edits.ask_unsent = ask
    window.edits.look_at_folders()
    return offered


def test_a_save_never_uploaded_is_offered_at_the_next_start_and_uploaded(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    window.edits.stop()  # quit (or crash) before the save below was uploaded
    path.write_bytes(b"saved, never uploaded")
    offered = restart(window, UnsentAnswer.UPLOAD)
    qtbot.waitUntil(
        lambda: bucket_contents(server, bucket)["docs/note.txt"] == b"saved, never uploaded",
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert [(u.record.key, u.path) for u in offered] == [("docs/note.txt", path)]
    # Watched again: the next save goes too; and once uploaded nothing is offered again.
    path.write_bytes(b"and saved again")
    qtbot.waitUntil(
        lambda: bucket_contents(server, bucket)["docs/note.txt"] == b"and saved again",
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    again = restart(window, UnsentAnswer.LATER)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert again == []


def test_a_save_never_uploaded_over_an_object_changed_since_asks_first(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    window.edits.stop()
    path.write_bytes(b"mine, from before the quit")
    server.put(bucket, {"docs/note.txt": b"someone else's"})
    asked: list[bool] = []

    def keep(_edit: EditedFile, deleted: bool) -> Answer:
        asked.append(deleted)
        return Answer.KEEP_LOCAL

    window.edits.ask_changed = keep
    restart(window, UnsentAnswer.UPLOAD)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert asked == [False]
    assert bucket_contents(server, bucket)["docs/note.txt"] == b"someone else's"
    assert path.read_bytes() == b"mine, from before the quit"
    # Kept local on purpose: not offered again at the next start (it was, at every one)…
    again = restart(window, UnsentAnswer.LATER)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert again == []
    assert path.read_bytes() == b"mine, from before the quit"  # and never removed
    # …until the file changes again.
    path.write_bytes(b"mine, changed once more")
    later = restart(window, UnsentAnswer.LATER)
    qtbot.waitUntil(lambda: bool(later), timeout=WAIT)
    assert [u.path for u in later] == [path]


@pytest.mark.parametrize("answer", [UnsentAnswer.DISCARD, UnsentAnswer.SHOW, UnsentAnswer.LATER])
def test_a_save_never_uploaded_can_be_discarded_shown_or_left(
    qtbot: QtBot, window: MainWindow, server: S3Server, answer: UnsentAnswer
) -> None:
    bucket, path = start_edit(qtbot, window, server, b"first")
    window.edits.stop()
    path.write_bytes(b"unsent")
    opened = opened_urls(window)
    offered = restart(window, answer)
    qtbot.waitUntil(lambda: bool(offered), timeout=WAIT)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert bucket_contents(server, bucket)["docs/note.txt"] == b"first"
    assert path.parent.exists() is (answer is not UnsentAnswer.DISCARD)
    assert opened == ([path.parent] if answer is UnsentAnswer.SHOW else [])
    if answer is not UnsentAnswer.DISCARD:  # still there: offered again next time
        again = restart(window, UnsentAnswer.LATER)
        qtbot.waitUntil(lambda: bool(again), timeout=WAIT)
        qtbot.waitUntil(lambda: idle(window), timeout=WAIT)


#: "Now" for the folder tests (POSIX seconds).
NOW = 10 * 24 * 3600.0


def _edit_folder(root: Path, name: str, body: bytes, *, synced_ago: float, changed: bool) -> Path:
    """An edit folder as Edit leaves it: the file and its record, written ``synced_ago``
    seconds before :data:`NOW`."""
    folder = root / name
    folder.mkdir(parents=True)
    path = folder / "note.txt"
    path.write_bytes(body)
    st = path.stat()
    synced = NOW - synced_ago
    record = EditRecord(
        "conn", "b", f"k/{name}", "note.txt", "etag", st.st_size, st.st_mtime_ns, synced
    )
    (folder / RECORD).write_text(json.dumps(asdict(record)), encoding="utf-8")
    if changed:
        path.write_bytes(body + b" and a change")
    os.utime(folder, (synced, synced))
    return folder


def test_uploaded_edit_folders_are_removed_after_a_day_never_unsent_ones(tmp_path: Path) -> None:
    day = 24 * 3600
    old_uploaded = _edit_folder(tmp_path, "a", b"x", synced_ago=day + 60, changed=False)
    new_uploaded = _edit_folder(tmp_path, "b", b"x", synced_ago=60, changed=False)
    old_unsent = _edit_folder(tmp_path, "c", b"x", synced_ago=10 * day, changed=True)
    new_unsent = _edit_folder(tmp_path, "d", b"x", synced_ago=60, changed=True)
    unknown = tmp_path / "e"  # no record (an older version's, or damaged): kept
    unknown.mkdir()
    (unknown / "note.txt").write_bytes(b"?")
    os.utime(unknown, (0, 0))
    empty = tmp_path / "f"  # a download that never finished, a day ago: removed
    empty.mkdir()
    os.utime(empty, (NOW - day - 60, NOW - day - 60))

    unsent = look_at_edit_folders(tmp_path, now=NOW)
    assert [u.folder for u in unsent] == [old_unsent, new_unsent]
    assert [u.record.key for u in unsent] == ["k/c", "k/d"]
    assert not old_uploaded.exists() and not empty.exists()
    assert new_uploaded.exists() and unknown.exists()
    assert (old_unsent / "note.txt").read_bytes() == b"x and a change"


def test_a_save_never_uploaded_waits_for_its_connection_to_be_opened(
    qtbot: QtBot, window: MainWindow
) -> None:
    folder = _edit_folder(edits_root(), "c0ffee00", b"x", synced_ago=60, changed=True)
    record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    record["connection"] = "not open yet"
    (folder / RECORD).write_text(json.dumps(record), encoding="utf-8")
    offered = restart(window, UnsentAnswer.LATER)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert offered == []
    assert "never uploaded" in window.statusBar().currentMessage()
    window.service.connectionAdded.emit("another one")
    assert offered == []
    window.service.connectionAdded.emit("not open yet")
    assert [u.folder for u in offered] == [folder]
    window.service.connectionAdded.emit("not open yet")  # asked once, not each time
    assert len(offered) == 1


def test_a_save_whose_upload_the_journal_kept_is_not_offered_again(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """Its upload is in the Transfers panel (resumed, or failed there): one place for it."""
    _bucket, path = start_edit(qtbot, window, server, b"first")
    window.edits.stop()
    path.write_bytes(b"queued when the app quit")
    st = path.stat()
    request = TransferRequest(
        Direction.UPLOAD,
        server.settings().name,
        "no-such-bucket",
        "docs/note.txt",
        path,
        st.st_size,
        st.st_mtime,
    )
    [t] = window.transfers.queue.add([request], batch="kept")
    assert window.transfers.queue.wait([t], timeout=30)
    assert t.state is State.FAILED
    offered = restart(window, UnsentAnswer.LATER)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT)
    assert offered == []
