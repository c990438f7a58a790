"""New folder, rename, cut/copy/paste, drag inside the window, delete and buckets, driven
through the window's actions and shortcuts against moto and rclone."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit
from pytestqt.qtbot import QtBot

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import AccessDenied, BucketNotFound
from cloudbrowser.core.journal import State
from cloudbrowser.core.operations import Operation
from cloudbrowser.gui.file_operations import OperationFailures
from cloudbrowser.gui.models.bucket_tree import LocationRole
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.object_clipboard import ObjectSelection
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, bucket_contents, go
from tests.gui.test_browsing import names, row_of, wait_loaded

WAIT = 30_000


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    # Small pages: every prefix operation below spans several listing pages.
    return make_service(max_threads=4, page_size=5)


def settle(qtbot: QtBot, window: MainWindow) -> None:
    """Until every job (checks, operations, the listings they start) has ended."""
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.file_ops.busy, timeout=WAIT
    )
    wait_loaded(qtbot, window)


def select(window: MainWindow, *wanted: str) -> None:
    window.view.clearSelection()
    for name in wanted:
        window.view.selectionModel().select(
            row_of(window, name),
            window.view.selectionModel().SelectionFlag.Select
            | window.view.selectionModel().SelectionFlag.Rows,
        )


def answer_text(window: MainWindow, text: str | None) -> list[tuple[str, str, str]]:
    asked: list[tuple[str, str, str]] = []

    def ask(title: str, label: str, default: str, _selected: int) -> str | None:
        asked.append((title, label, default))
        return text

    window.file_ops.ask_text = ask
    return asked


def answer_confirm(window: MainWindow, answer: bool) -> list[str]:
    asked: list[str] = []

    def confirm(_title: str, text: str, _ok: str) -> bool:
        asked.append(text)
        return answer

    window.file_ops.confirm = confirm
    return asked


def test_new_folder_with_its_shortcut(qtbot: QtBot, window: MainWindow, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["docs/a.txt"])
    go(qtbot, window, bucket, "docs/")
    asked = answer_text(window, "reports")
    window.view.setFocus()
    QTest.keyClick(
        window.view,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    settle(qtbot, window)
    assert asked and asked[0][0] == "New folder"
    if server.kind == "rclone":
        # rclone serve s3 stores "reports/" as a file "reports": refused, and taken back.
        assert "does not keep empty folders" in window.messages.last.message
        assert bucket_contents(server, bucket) == {"docs/a.txt": b"docs/a.txt"}
        refused_over_a_file(qtbot, window, server, bucket)
        return
    assert bucket_contents(server, bucket) == {"docs/a.txt": b"docs/a.txt", "docs/reports/": b""}
    assert "reports" in names(window)
    # The new folder is the current, selected row, as in Explorer: Enter opens it.
    assert window.view.currentIndex().data() == "reports"
    assert [e.key for e in window.selected_entries()] == ["docs/reports/"]

    answer_text(window, "reports")  # exists now: refused, nothing written
    window.file_ops.new_folder_action.trigger()
    settle(qtbot, window)
    assert "already exists" in window.messages.last.message
    answer_text(window, "a/b")
    window.file_ops.new_folder_action.trigger()
    assert "cannot contain" in window.messages.last.message
    refused_over_a_file(qtbot, window, server, bucket)


def refused_over_a_file(qtbot: QtBot, window: MainWindow, server: S3Server, bucket: str) -> None:
    """New folder "a.txt" beside the file "docs/a.txt": refused as existing, the file as it
    was. rclone serve s3 stored the folder over the file, then deleted it taking the folder
    back: the file was lost."""
    answer_text(window, "a.txt")
    window.file_ops.new_folder_action.trigger()
    settle(qtbot, window)
    assert "“a.txt” already exists" in window.messages.last.message
    assert bucket_contents(server, bucket)["docs/a.txt"] == b"docs/a.txt"


@pytest.mark.parametrize(
    ("name", "selected"),
    [
        ("report.final.pdf", "report.final"),  # a file: its name, not its extension
        ("photos.2023", "photos.2023"),  # a folder: the whole name (no extension)
        (".env", ".env"),  # a dot file: all of it, not nothing
        ("README", "README"),
    ],
)
def test_rename_dialog_selects_what_a_user_retypes(
    qtbot: QtBot, window: MainWindow, server: S3Server, name: str, selected: str
) -> None:
    """Typed over at once, as in Finder and Explorer; the question is the real dialog."""
    bucket = server.bucket()
    key = f"{name}/inside.txt" if name == "photos.2023" else name
    server.put(bucket, [key])
    go(qtbot, window, bucket)
    select(window, name)
    seen: list[str] = []

    def read_and_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(10, read_and_cancel)
            return
        seen.append(dialog.findChild(QLineEdit).selectedText())
        dialog.reject()

    QTimer.singleShot(0, read_and_cancel)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F2)
    assert seen == [selected]


def test_rename_a_file_and_a_folder_of_several_pages_with_f2(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"note.txt": b"n"} | {f"old/f{i:02d}.txt": b"x" for i in range(12)})
    go(qtbot, window, bucket)
    select(window, "note.txt")
    asked = answer_text(window, "renamed.txt")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F2)
    settle(qtbot, window)
    assert asked[0][2] == "note.txt"
    assert "renamed.txt" in bucket_contents(server, bucket) and "note.txt" not in bucket_contents(
        server, bucket
    )
    assert window.view.currentIndex().data() == "renamed.txt"  # the cursor follows it

    select(window, "old")
    answer_text(window, "new")
    window.file_ops.rename_action.trigger()
    settle(qtbot, window)
    found = bucket_contents(server, bucket)
    assert sorted(k for k in found if k.startswith("new/")) == [
        f"new/f{i:02d}.txt" for i in range(12)
    ]
    assert not [k for k in found if k.startswith("old/")]
    assert names(window) == ["new", "renamed.txt"]
    assert [e.key for e in window.selected_entries()] == ["new/"]
    [op] = window.transfers.model.operations()[-1:]
    assert op.state is State.DONE and op.result.done == 12


def test_rename_onto_an_existing_name_is_refused(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"a.txt": b"a", "b.txt": b"b"})
    go(qtbot, window, bucket)
    select(window, "a.txt")
    answer_text(window, "b.txt")
    window.file_ops.rename_action.trigger()
    settle(qtbot, window)
    assert "already exists" in window.messages.last.message
    assert bucket_contents(server, bucket) == {"a.txt": b"a", "b.txt": b"b"}


def test_delete_asks_with_the_count_and_size(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {f"big/{i:02d}.bin": b"12345" for i in range(12)} | {"keep.txt": b"k"})
    go(qtbot, window, bucket)
    select(window, "big")
    asked = answer_confirm(window, False)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert "12 objects (60 bytes)" in asked[0]
    settle(qtbot, window)
    assert len(bucket_contents(server, bucket)) == 13, "cancelled at the question: nothing deleted"

    asked = answer_confirm(window, True)
    window.file_ops.delete_action.trigger()
    settle(qtbot, window)
    assert bucket_contents(server, bucket) == {"keep.txt": b"k"}
    assert names(window) == ["keep.txt"]
    [op] = window.transfers.model.operations()
    assert op.state is State.DONE and op.result.done == 12
    assert window.transfer_dock.isVisible()


def test_copy_and_paste_into_another_folder_then_cut_and_paste(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"src/a.txt": b"a", "src/tree/b.txt": b"b", "dst/keep.txt": b"k"})
    go(qtbot, window, bucket, "src/")
    select(window, "a.txt", "tree")
    window.file_ops.copy_action.trigger()
    assert "s3://" in QApplication.clipboard().text()
    go(qtbot, window, bucket, "dst/")
    window.paste_files_action.trigger()
    settle(qtbot, window)
    assert {k for k in bucket_contents(server, bucket) if k.startswith("dst/")} == {
        "dst/a.txt", "dst/tree/b.txt", "dst/keep.txt",
    }  # fmt: skip
    assert "src/a.txt" in bucket_contents(server, bucket)
    assert names(window) == ["tree", "a.txt", "keep.txt"]

    select(window, "keep.txt")
    window.file_ops.cut_action.trigger()
    go(qtbot, window, bucket, "src/")
    window.paste_files_action.trigger()
    settle(qtbot, window)
    assert "src/keep.txt" in bucket_contents(
        server, bucket
    ) and "dst/keep.txt" not in bucket_contents(server, bucket)
    assert "keep.txt" in names(window)


def test_pasting_a_copy_into_the_same_folder_keeps_both(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"report.pdf": b"r", "report copy.pdf": b"older copy"})
    go(qtbot, window, bucket)
    select(window, "report.pdf")
    window.file_ops.copy_action.trigger()
    window.paste_files_action.trigger()
    settle(qtbot, window)
    assert bucket_contents(server, bucket) == {
        "report.pdf": b"r", "report copy.pdf": b"older copy", "report copy 2.pdf": b"r",
    }  # fmt: skip


def record_operations(window: MainWindow) -> list[Operation]:
    """The operations the window starts from now on, as they are started."""
    started: list[Operation] = []
    start = window.file_ops.start
    window.file_ops.start = lambda op, *a, **k: (started.append(op), start(op, *a, **k))[1]
    return started


@pytest.mark.parametrize("choice", ["skip", "replace", "keep"])
def test_names_that_exist_at_the_target_are_asked_about(
    qtbot: QtBot, window: MainWindow, server: S3Server, choice: str
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"a/x.txt": b"new", "a/y.txt": b"y", "b/x.txt": b"old"})
    go(qtbot, window, bucket, "a/")
    select(window, "x.txt", "y.txt")
    window.file_ops.copy_action.trigger()
    go(qtbot, window, bucket, "b/")
    asked: list[list[str]] = []
    window.file_ops.ask_conflict = lambda names, _where: asked.append(names) or choice
    started = record_operations(window)
    window.paste_files_action.trigger()
    settle(qtbot, window)
    assert asked == [["x.txt"]]
    # What the paste asks of the engine (which enforces it: tests/contract/
    # test_create_only_copies.py): a "keep both" name is only created, on every server;
    # a name nothing had, only where the server checks that for free; a name the user
    # chose to replace is written over.
    checks = window.service.storage(window.browsing.current.connection).features
    free = ("b/y.txt", checks.conditional_puts)
    assert [(i.target, i.create_only) for op in started for i in op.items] == {
        "skip": [free],
        "replace": [("b/x.txt", False), free],
        "keep": [("b/x copy.txt", True), free],
    }[choice]
    found = {k: v for k, v in bucket_contents(server, bucket).items() if k.startswith("b/")}
    expected = {
        "skip": {"b/x.txt": b"old", "b/y.txt": b"y"},
        "replace": {"b/x.txt": b"new", "b/y.txt": b"y"},
        "keep": {"b/x.txt": b"old", "b/x copy.txt": b"new", "b/y.txt": b"y"},
    }
    assert found == expected[choice]


def test_a_rename_only_creates_its_new_name(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"a.txt": b"a"})
    go(qtbot, window, bucket)
    select(window, "a.txt")
    answer_text(window, "b.txt")
    started = record_operations(window)
    window.file_ops.rename_action.trigger()
    settle(qtbot, window)
    assert [(i.source, i.target, i.create_only) for i in started[0].items] == [
        ("a.txt", "b.txt", True)
    ]
    assert bucket_contents(server, bucket) == {"b.txt": b"a"}


def drop_objects(window: MainWindow, selection: ObjectSelection, on: str, *, copy: bool) -> None:
    """Deliver a drop of objects dragged inside the window onto the row ``on``."""
    mime = QMimeData()
    selection.put_into(mime)
    viewport = window.view.viewport()
    at = QPointF(window.view.visualRect(row_of(window, on)).center())
    buttons = Qt.MouseButton.LeftButton
    modifiers = Qt.KeyboardModifier.ControlModifier if copy else Qt.KeyboardModifier.NoModifier
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    QApplication.sendEvent(
        viewport, QDragEnterEvent(at.toPoint(), actions, mime, buttons, modifiers)
    )
    QApplication.sendEvent(viewport, QDropEvent(at, actions, mime, buttons, modifiers))


def test_dragging_objects_onto_a_folder_moves_them_and_ctrl_copies(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"one.txt": b"1", "two.txt": b"2", "archive/old.txt": b"o"})
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    entries = tuple(window.list_model.entry(row_of(window, "one.txt").row()) for _ in [0])
    drop_objects(window, ObjectSelection(conn, bucket, "", entries), "archive", copy=False)
    settle(qtbot, window)
    assert sorted(bucket_contents(server, bucket)) == [
        "archive/old.txt",
        "archive/one.txt",
        "two.txt",
    ]
    assert window.transfers.queue.transfers() == [], "an internal drag downloads nothing"

    entries = (window.list_model.entry(row_of(window, "two.txt").row()),)
    drop_objects(window, ObjectSelection(conn, bucket, "", entries), "archive", copy=True)
    settle(qtbot, window)
    assert sorted(bucket_contents(server, bucket)) == [
        "archive/old.txt", "archive/one.txt", "archive/two.txt", "two.txt",
    ]  # fmt: skip


def test_a_move_that_partly_fails_names_each_failed_key_and_keeps_its_source(
    qtbot: QtBot, window: MainWindow, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"a", "p/b.txt": b"b", "q/x.txt": b"x"})
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    backend = window.service.storage(conn)
    copy_object = backend.copy_object

    def refuse_b(
        src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        if src_key == "p/b.txt":
            raise AccessDenied(f"Access to “{src_key}” was denied.")
        return copy_object(src_bucket, src_key, bucket, key, create_only=create_only)

    monkeypatch.setattr(backend, "copy_object", refuse_b)
    entries = (window.list_model.entry(row_of(window, "p").row()),)
    window.file_ops.transfer(
        ObjectSelection(conn, bucket, "", entries, cut=True), Location(conn, bucket, "q/"),
        copy=False,
    )  # fmt: skip
    settle(qtbot, window)
    error = window.messages.last
    assert isinstance(error, OperationFailures)
    assert "1 object failed; 1 done" in error.message
    assert error.detail.startswith("p/b.txt: Access to")
    assert sorted(bucket_contents(server, bucket)) == ["p/b.txt", "q/p/a.txt", "q/x.txt"]
    [op] = window.transfers.model.operations()
    assert op.state is State.FAILED
    model = window.transfers.model
    assert model.operation_tooltip(op).endswith("p/b.txt: Access to “p/b.txt” was denied.")


def test_a_missing_target_bucket_is_said_before_anything_moves(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"a"})
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    entries = (window.list_model.entry(row_of(window, "p").row()),)
    selection = ObjectSelection(conn, bucket, "", entries, cut=True)
    window.file_ops.transfer(selection, Location(conn, "no-such-bucket-here", ""), copy=False)
    settle(qtbot, window)
    assert isinstance(window.messages.last, BucketNotFound)
    assert sorted(bucket_contents(server, bucket)) == ["p/a.txt"]
    assert window.transfers.model.operations() == []


def test_deleting_several_buckets_at_once_asks_for_one(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """A bucket is deleted after its own question: with two selected, neither is asked
    about (it was the first alone, the second silently left)."""
    first, second = server.bucket(), server.bucket()
    window.refresh()
    wait_loaded(qtbot, window)
    select(window, first, second)
    asked = answer_confirm(window, True)
    typed: list[str] = []
    window.file_ops.ask_bucket_name = lambda bucket, _title, text: typed.append(text) or bucket
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    settle(qtbot, window)
    assert asked == [] and typed == []
    assert window.statusBar().currentMessage() == (
        "Select one bucket: they are deleted one at a time."
    )
    assert {first, second} <= set(names(window))


def test_new_bucket_and_deleting_a_full_bucket_asks_for_its_name(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    name = f"made-{server.kind}-by-the-window"
    offered: list[tuple[str, list[str]]] = []
    window.file_ops.ask_new_bucket = lambda _title, region, regions, _classes: (
        offered.append((region, regions)) or (name, "")
    )
    window.file_ops.new_bucket_action.trigger()
    settle(qtbot, window)
    assert offered == [("us-east-1", [])], "no region list for a non-AWS endpoint"
    assert name in [b["Name"] for b in server.client.list_buckets()["Buckets"]]
    assert f"{name}" in names(window)
    server.put(name, {f"k/{i}.txt": b"x" for i in range(7)})

    select(window, name)
    typed: list[str] = []
    window.file_ops.ask_bucket_name = lambda bucket, _title, text: typed.append(text) or "wrong"
    window.file_ops.delete_action.trigger()
    settle(qtbot, window)
    assert "7 objects" in typed[0]
    assert name in [b["Name"] for b in server.client.list_buckets()["Buckets"]]

    window.file_ops.ask_bucket_name = lambda bucket, _title, text: bucket
    window.file_ops.delete_action.trigger()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: name not in names(window), timeout=WAIT)
    assert name not in [b["Name"] for b in server.client.list_buckets()["Buckets"]]


def test_paste_into_another_connection_streams_the_copy(
    qtbot: QtBot, window: MainWindow, server: S3Server, service: StorageService
) -> None:
    bucket, other = server.bucket("one"), server.bucket("two")
    server.put(bucket, {"docs/a.txt": b"alpha", "docs/sub/b.txt": b"beta"})
    second = service.add_connection(server.settings(), server.credentials)
    go(qtbot, window, bucket)
    select(window, "docs")
    window.file_ops.cut_action.trigger()
    window.navigate(Location(second.id, other, ""))
    wait_loaded(qtbot, window)
    window.paste_files_action.trigger()
    settle(qtbot, window)
    assert bucket_contents(server, other) == {"docs/a.txt": b"alpha", "docs/sub/b.txt": b"beta"}
    assert bucket_contents(server, bucket) == {}, "a cut pasted elsewhere is a move"
    [op] = window.transfers.model.operations()
    assert op.streams and op.state is State.DONE
    assert names(window) == ["docs"]


def test_deleting_a_versioned_bucket_deletes_its_old_versions_too(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    if server.kind == "rclone":
        pytest.skip("rclone serve s3 keeps no versions (the plain case is tested above)")
    name = "versioned-for-deleting"
    client = server.client
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2"):
        client.put_object(Bucket=name, Key="doc.txt", Body=body)
    client.put_object(Bucket=name, Key="gone.txt", Body=b"x")
    client.delete_object(Bucket=name, Key="gone.txt")  # only a delete marker on top
    window.refresh()
    wait_loaded(qtbot, window)
    select(window, name)
    typed: list[str] = []
    window.file_ops.ask_bucket_name = lambda bucket, _title, text: typed.append(text) or bucket
    window.file_ops.delete_action.trigger()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: name not in names(window), timeout=WAIT)
    assert "holds 1 object (" in typed[0] and "old version" in typed[0]
    assert name not in [b["Name"] for b in client.list_buckets()["Buckets"]]
    [op] = window.transfers.model.operations()
    assert op.result.done == 4  # two versions of doc.txt, gone.txt and its marker


def test_the_tree_offers_new_folder_paste_delete_and_synchronize_for_its_nodes(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {f"old/{i}.txt": b"x" for i in range(7)} | {"top.txt": b"t"})
    conn = window.history.current.connection
    go(qtbot, window, bucket, "old/")
    tree = window.tree_model
    tree.refresh(tree.index(0, 0))  # the bucket was made after the tree listed them
    qtbot.waitUntil(lambda: tree.index_for(Location(conn, bucket, "")).isValid(), timeout=WAIT)
    window.tree.expand(tree.index_for(Location(conn, bucket, "")))
    qtbot.waitUntil(lambda: tree.index_for(Location(conn, bucket, "old/")).isValid(), timeout=WAIT)
    node = tree.index_for(Location(conn, bucket, "old/"))
    window.tree.scrollTo(node)
    window.file_ops._tree_context_menu(window.tree.visualRect(node).center())
    menu = QApplication.activePopupWidget()
    assert menu is not None
    texts = [a.text() for a in menu.actions() if a.text()]
    menu.close()
    assert texts == ["New folder…", "Paste", "Delete folder…", "Synchronize…", "Refresh"]

    asked = answer_confirm(window, True)
    window.file_ops.delete_folder(Location(conn, bucket, "old/"))
    settle(qtbot, window)
    assert "That is 7 objects" in asked[0]
    assert bucket_contents(server, bucket) == {"top.txt": b"t"}
    assert window.history.current == Location(conn, bucket, ""), "left the deleted folder"
    assert names(window) == ["top.txt"]


def show_in_the_tree(qtbot: QtBot, window: MainWindow, bucket: str, prefix: str) -> None:
    """Go to ``bucket/prefix`` once the tree has the bucket; wait until the tree's current
    node is that folder."""
    conn = window.history.current.connection
    tree = window.tree_model
    tree.refresh(tree.index(0, 0))  # the bucket is newer than the tree's listing
    qtbot.waitUntil(lambda: tree.index_for(Location(conn, bucket)).isValid(), timeout=WAIT)
    go(qtbot, window, bucket, prefix)
    qtbot.waitUntil(
        lambda: window.tree.currentIndex().data(LocationRole) == Location(conn, bucket, prefix),
        timeout=WAIT,
    )


def test_del_in_the_tree_deletes_its_folder_after_the_question(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """As in Explorer: Del on the tree's folder, not the list's selection (Del there is
    the list's own); the bucket's node asks to delete the bucket."""
    bucket = server.bucket()
    server.put(bucket, {"old/a.txt": b"a", "old/b.txt": b"b", "top.txt": b"t"})
    conn = window.history.current.connection
    tree = window.tree_model
    show_in_the_tree(qtbot, window, bucket, "old/")
    asked = answer_confirm(window, True)
    window.tree.setFocus()
    QTest.keyClick(window.tree, Qt.Key.Key_Delete)
    settle(qtbot, window)
    assert "That is 2 objects" in asked[0]
    assert bucket_contents(server, bucket) == {"top.txt": b"t"}

    typed: list[str] = []
    window.file_ops.ask_bucket_name = lambda _bucket, _title, text: typed.append(text) or None
    window.tree.setCurrentIndex(tree.index_for(Location(conn, bucket)))
    QTest.keyClick(window.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(typed))
    assert bucket in typed[0]  # asked, and cancelled: the bucket stays


def test_f2_in_the_tree_renames_its_folder_and_the_list_follows(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """As in Explorer: F2 with the focus in the tree renames the tree's folder, not a row
    selected in the list; the list, which showed the folder, shows it under its new name."""
    bucket = server.bucket()
    server.put(bucket, {"old/a.txt": b"a", "old/sub/b.txt": b"b", "top.txt": b"t"})
    conn = window.history.current.connection
    tree = window.tree_model
    show_in_the_tree(qtbot, window, bucket, "old/")
    select(window, "a.txt")  # what F2 in the list would rename
    asked = answer_text(window, "new")
    window.tree.setFocus()
    QTest.keyClick(window.tree, Qt.Key.Key_F2)
    settle(qtbot, window)
    assert asked[0][2] == "old"
    assert set(bucket_contents(server, bucket)) == {"new/a.txt", "new/sub/b.txt", "top.txt"}
    assert window.history.current == Location(conn, bucket, "new/")
    assert names(window) == ["sub", "a.txt"]

    window.tree.setCurrentIndex(tree.index_for(Location(conn, bucket)))
    window.tree.setFocus()
    QTest.keyClick(window.tree, Qt.Key.Key_F2)
    assert window.messages.last.message == "Buckets cannot be renamed."


def test_a_search_result_pasted_into_the_searched_folder_moves_up_into_it(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """A search result lives below the folder it was found from: each entry's own folder
    decides whether it is 'already here', not the folder of the selection."""
    bucket = server.bucket()
    server.put(bucket, {"deep/er/x.txt": b"x", "y.txt": b"y"})
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    found = Entry("deep/er/x.txt", 1)  # as search shows it from the bucket's root
    here = window.list_model.entry(row_of(window, "y.txt").row())
    selection = ObjectSelection(conn, bucket, "", (found, here), cut=True)
    window.file_ops.transfer(selection, Location(conn, bucket, ""), copy=False, from_clipboard=True)
    settle(qtbot, window)
    assert bucket_contents(server, bucket) == {"x.txt": b"x", "y.txt": b"y"}
    [op] = window.transfers.model.operations()
    assert op.result.done == 1, "y.txt was already there: not moved onto itself"


def test_the_delete_question_says_whether_undelete_can_bring_it_back(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    """ "This cannot be undone" only where it is true: a versioned bucket keeps what is
    deleted, and says how to get it back."""
    plain = server.bucket()
    server.put(plain, {"a.txt": b"a"})
    go(qtbot, window, plain)
    select(window, "a.txt")
    asked = answer_confirm(window, False)
    window.file_ops.delete_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert asked[0].endswith("This cannot be undone.")
    if server.kind == "rclone":
        return  # rclone serve s3 keeps no versions
    versioned = server.bucket()
    server.client.put_bucket_versioning(
        Bucket=versioned, VersioningConfiguration={"Status": "Enabled"}
    )
    server.put(versioned, {"b.txt": b"b"})
    go(qtbot, window, versioned)
    select(window, "b.txt")
    asked = answer_confirm(window, True)
    window.file_ops.delete_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert "cannot be undone" not in asked[0]
    assert "Show deleted" in asked[0] and "Undelete" in asked[0]
    settle(qtbot, window)
    assert bucket_contents(server, versioned) == {}, "deleted, as asked"


def test_the_question_box_keeps_its_paragraphs_and_escapes_a_names_line_break(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The real box (tests answer ``confirm`` otherwise): its own paragraphs read as
    paragraphs, not as a literal "\\n\\n", and a key's line break stays escaped."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    shown: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.append(box.text())
        box.reject()

    QTimer.singleShot(0, answer)
    agreed = window.file_ops._confirm(
        "Delete", "Delete “a\nb” from x?\n\nThat is 1 object.", "Delete"
    )
    assert agreed is False
    assert shown == ["Delete “a\\nb” from x?\n\nThat is 1 object."]
