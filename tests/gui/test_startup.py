"""Start-up: the window paints before the SDKs, the keyring, the command line, the demo and
the parts of the window its first frame does not show are imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QToolBar
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory

ROOT = Path(__file__).resolve().parents[2]


#: Modules (and packages: their submodules too) that must not be imported when the window
#: first paints ("x." stands for the package's modules, not the package): the SDKs and
#: keyring (slow, and only for a connection), the headless command line and the demo server
#: (its module comes after the first frame, even with --demo), and what the window builds
#: after its first frame: the transfer queue and its SQLite journal, the connector (saved
#: connections), the feature modules.
NOT_BEFORE_FIRST_PAINT = (
    "boto3",
    "botocore",
    "keyring",
    "moto",
    "google",
    "azure",
    "cloudbrowser.cli.",  # the commands; ``cloudbrowser.cli`` itself is only their names
    "cloudbrowser.demo",
    "cloudbrowser.core.journal",
    "cloudbrowser.core.transfers",
    "cloudbrowser.core.sources",
    "cloudbrowser.core.profiles",
    "cloudbrowser.gui.connector",
    "cloudbrowser.gui.transfer_controller",
    "cloudbrowser.gui.file_operations",
    "cloudbrowser.gui.versions_actions",
    "cloudbrowser.gui.inspect_actions",
    "cloudbrowser.gui.edit_files",
    "sqlite3",
    "logging.handlers",  # the log file is made on the first record (core/logs.py)
    "email.utils",
    "cloudbrowser.gui.drag_out",
    "cloudbrowser.gui.dialogs.",
    "cloudbrowser.core.storage",
    "cloudbrowser.core.details",  # versions, uploads, HeadObject's details: dataclasses
    "cloudbrowser.core.connection",  # (--demo names no connection on the command line)
)

#: Qt classes the first frame does not show, that must not have been built (named from
#: Python) when the window first paints: PySide builds a class's Python enums when it is
#: first named (QStyle ~7 ms). QWizard stands for every widget class: handed a plain
#: QWidget (``viewport()``), PySide builds them all to look for a subclass (~11 ms).
#: ``Qt`` (QtCore): the namespace's 93 enums (~16 ms) are built when it is named, or when
#: one of its values reaches Python (a Python override Qt calls with one, or PySide trying
#: an overload that takes one): see gui/qt_values.py.
QT_NOT_BEFORE_FIRST_PAINT = (
    "Qt",
    "QStyle",
    "QDialog",
    "QMessageBox",
    "QFileDialog",
    "QDockWidget",
    "QInputDialog",
    "QPlainTextEdit",
    "QWizard",
    "QFont",  # (QtGui) the window's own fonts are Qt's; Python names one for a file icon
    "QPalette",
)

# Runs the real entry point with the start-up benchmark's hook, and reports which of those
# modules had been imported when the window first painted.
CHILD = """
import sys
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
import cloudbrowser.gui.app as app

NOT_BEFORE = NOT_BEFORE_FIRST_PAINT
QT_NOT_BEFORE = QT_NOT_BEFORE_FIRST_PAINT

class Modules(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            heavy = sorted(
                m for m in sys.modules
                if any(
                    m.startswith(n) if n.endswith(".") else m == n or m.startswith(n + ".")
                    for n in NOT_BEFORE
                )
            )
            print("LOADED", ",".join(heavy) or "-", flush=True)
            built = [
                n for n in QT_NOT_BEFORE if any(n in vars(m) for m in (QtCore, QtGui, QtWidgets))
            ]
            print("BUILT", ",".join(built) or "-", flush=True)
            watched.removeEventFilter(self)
        return False

real_reporter = app.FirstPaintReporter

def reporter(window, quit_after):
    window.installEventFilter(modules)
    return real_reporter(window, quit_after)

modules = Modules()
app.FirstPaintReporter = reporter
from cloudbrowser.__main__ import main
sys.exit(main(["--demo"]))
""".replace("QT_NOT_BEFORE_FIRST_PAINT", repr(QT_NOT_BEFORE_FIRST_PAINT)).replace(
    "NOT_BEFORE_FIRST_PAINT", repr(NOT_BEFORE_FIRST_PAINT)
)


def start_to_first_paint(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (which starts the app with the first-paint hook) in a child process
    that quits at the window's first paint."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QT_QPA_PLATFORM": "offscreen",
            "CLOUDBROWSER_REPORT_FIRST_PAINT": "quit",
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
    )


def test_the_window_paints_before_the_sdks_the_cli_the_demo_and_its_later_parts(
    tmp_path: Path,
) -> None:
    done = start_to_first_paint(CHILD, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "LOADED -" in done.stdout, done.stdout
    assert "BUILT -" in done.stdout, done.stdout
    # The benchmark's stop watch: one line, then the window closed by itself.
    [line] = [x for x in done.stderr.splitlines() if x.startswith("FIRST_PAINT ")]
    assert line.endswith("boto3=False")


# At the first paint of ``--demo``: what the left pane says while the demo server starts.
DEMO_CHILD = """
import sys
from PySide6.QtCore import QEvent, QObject
import cloudbrowser.gui.app as app

class Pane(QObject):
    def __init__(self, window):
        super().__init__()
        self.window = window
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            pane = self.window.empty_tree
            shown = self.window.left_stack.currentWidget() is pane
            print("PANE", shown, pane.label.text(), pane.add_button.isVisibleTo(pane), flush=True)
            # The transfer journal (SQLite on disk) opens after the first frame, and the
            # transfer controller that owns it is built only then.
            transfers = getattr(self.window, "transfers", None)
            print("JOURNAL", transfers is not None and transfers._queue is not None, flush=True)
            watched.removeEventFilter(self)
        return False

real_reporter = app.FirstPaintReporter
panes = []

def reporter(window, quit_after):
    panes.append(Pane(window))
    window.installEventFilter(panes[-1])
    return real_reporter(window, quit_after)

app.FirstPaintReporter = reporter
from cloudbrowser.__main__ import main
sys.exit(main(["--demo"]))
"""


def test_with_demo_the_window_says_the_demo_is_starting(tmp_path: Path) -> None:
    """Not "No connection is open. Add connection…" for the seconds the server takes."""
    done = start_to_first_paint(DEMO_CHILD, tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("PANE ")]
    assert line == "PANE True Starting the demo server with sample data… False", line
    assert "JOURNAL False" in done.stdout.splitlines()


def test_garbage_collection_is_back_on_after_the_first_paint(tmp_path: Path) -> None:
    """__main__ turns it off for the start; the window's first frame turns it on again."""
    child = DEMO_CHILD.replace(
        'print("JOURNAL"',
        "import gc; print('GC', gc.isenabled(), flush=True)\n"
        "            from PySide6.QtCore import QTimer\n"
        "            QTimer.singleShot(0, lambda: print('GC-AFTER', gc.isenabled(), flush=True))\n"
        '            print("JOURNAL"',
    )
    done = start_to_first_paint(child, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "GC False" in lines and "GC-AFTER True" in lines, lines


def _layout(window: MainWindow) -> list[tuple[str, list[str]]]:
    """What a user sees of the window's parts: each menu's items, each tool bar's buttons,
    the status bar's permanent widgets and the docks (with their shortcuts)."""
    menus = [
        (menu.text(), [f"{a.text()} {a.shortcut().toString()}" for a in menu.menu().actions()])
        for menu in window.menuBar().actions()
    ]
    bars = [
        (bar.objectName(), [f"{a.iconText()} {a.shortcut().toString()}" for a in bar.actions()])
        for bar in window.findChildren(QToolBar)
    ]
    docks = [(dock.objectName(), [dock.windowTitle()]) for dock in window.findChildren(QDockWidget)]
    shortcuts = [("window", sorted(a.shortcut().toString() for a in window.actions()))]
    return menus + bars + docks + shortcuts


@pytest.mark.gui
def test_a_window_finished_after_its_first_paint_is_the_window_built_at_once(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    """gui/app.py builds the window in two steps around the first paint (later=True, then
    finish_building); tests and the smoke test build it at once: both are the same window."""
    at_once = MainWindow(make_service())
    qtbot.addWidget(at_once)
    later = MainWindow(make_service(), later=True)
    qtbot.addWidget(later)
    assert not later.built and not hasattr(later, "transfers")
    first_frame = _layout(later)
    assert [title for title, _ in first_frame[:5]] == ["&File", "&Edit", "&Go", "&View", "&Help"]
    later.finish_building()
    later.finish_building()  # once: a second call changes nothing
    assert later.built and at_once.built
    assert _layout(later) == _layout(at_once)


@pytest.mark.gui
def test_the_views_take_drops_on_their_viewport(qtbot: QtBot, make_service: ServiceFactory) -> None:
    """Drops land on a view's viewport: it accepts them with the view (views.py does not
    ask for the viewport before the first paint, see QT_NOT_BEFORE_FIRST_PAINT)."""
    window = MainWindow(make_service(), later=True)
    qtbot.addWidget(window)
    for view in (window.view, window.tree):
        assert view.acceptDrops() and view.viewport().acceptDrops()


@pytest.mark.gui
def test_the_lists_first_frame_header_is_the_lists_own_and_its_sort_is_kept(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    """Until finish_building, the list shows a C++ model's header (no Python headerData
    before the first paint): the same titles and alignment; then the list's own model,
    sorted by name, or as the last exit left it (column widths too)."""
    later = MainWindow(make_service(), later=True)
    qtbot.addWidget(later)
    header = later.view.horizontalHeader()
    first_frame = later.view.model()
    assert first_frame is not later.list_model
    for column in Column:
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole):
            shown = first_frame.headerData(column, Qt.Orientation.Horizontal, role)
            own = later.list_model.headerData(column, Qt.Orientation.Horizontal, role)
            assert shown == own, (column, role)
    later.finish_building()
    assert later.view.model() is later.list_model and later.view.isSortingEnabled()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        Column.NAME,
        Qt.SortOrder.AscendingOrder,
    )
    # The last exit sorted by size, largest first, with a wider Size column.
    later.view.sortByColumn(Column.SIZE, Qt.SortOrder.DescendingOrder)
    header.resizeSection(Column.SIZE, 133)
    later.save_state()
    restored = MainWindow(make_service(), later=True)
    qtbot.addWidget(restored)
    restored.restore_window_state()
    restored.finish_building()
    header = restored.view.horizontalHeader()
    assert restored.view.model() is restored.list_model
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        Column.SIZE,
        Qt.SortOrder.DescendingOrder,
    )
    assert restored.list_model._sort_column == Column.SIZE and restored.list_model._descending
    assert header.sectionSize(Column.SIZE) == 133


@pytest.mark.gui
def test_the_transfers_panel_comes_back_where_and_as_large_as_it_was(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    """Docked on the right and widened, it is there again after a restart (it is made just
    after the first paint, after the window's state was restored), hidden until needed."""
    before = MainWindow(make_service(), later=True)
    qtbot.addWidget(before)
    before.resize(1200, 700)
    before.finish_building()
    before.show()
    before.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, before.transfer_dock)
    before.transfer_dock.show()
    before.resizeDocks([before.transfer_dock], [420], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: before.transfer_dock.width() == 420)
    before.save_state()

    after = MainWindow(make_service(), later=True)
    qtbot.addWidget(after)
    after.restore_window_state()
    after.show()
    after.finish_building()
    assert after.transfer_dock.isHidden()
    after.transfers_action.trigger()  # shown, as the first transfer shows it
    assert after.dockWidgetArea(after.transfer_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    qtbot.waitUntil(lambda: after.transfer_dock.width() == 420)
