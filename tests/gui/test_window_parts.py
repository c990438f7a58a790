"""A feature module of the window works from the parts it is handed, with no MainWindow.

The proof that the seam of gui/window_parts.py is the whole of what a feature module
needs: Search is built here on a bare widget, models, views and menus, and does its job.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QStatusBar, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.models.bucket_tree import BucketTreeModel
from cloudbrowser.gui.models.object_list import ObjectListModel
from cloudbrowser.gui.navigation import History, Location, SearchLocation
from cloudbrowser.gui.search import SearchActions
from cloudbrowser.gui.widgets.views import BucketTreeView, ObjectView
from cloudbrowser.gui.window_parts import Browsing, ListingBar, WindowMenus
from tests.gui.conftest import ServiceFactory


def test_search_runs_on_the_parts_it_is_handed(qtbot: QtBot, make_service: ServiceFactory) -> None:
    service = make_service()
    owner = QWidget()
    qtbot.addWidget(owner)
    status = QStatusBar(owner)
    messages = MessageSink(owner, status)
    history = History()
    went: list[Location] = []

    def navigate(location: Location) -> None:
        went.append(location)
        history.push(location)

    browsing = Browsing(
        history,
        ObjectListModel(service, owner),
        BucketTreeModel(service, owner),
        ObjectView(owner),
        BucketTreeView(owner),
        navigate=navigate,
        refresh=lambda: None,
        go_back=lambda: None,
    )
    menus = WindowMenus(
        owner,
        QMenu(owner),
        QMenu(owner),
        QMenu(owner),
        toolbar=None,
        context_sections=[],
        paste=QAction(owner),
        filter=QAction(owner),
        refresh=QAction(owner),
        upload_files=QAction(owner),
        close_connection=QAction(owner),
    )
    bar = QWidget(owner)
    QHBoxLayout(bar)
    listing_bar = ListingBar(bar, QLabel(bar), QPushButton(bar), QPushButton(bar))

    search = SearchActions(service, messages, browsing, menus, listing_bar, owner)

    assert search.search_action in menus.edit.actions()
    search.ask()  # nowhere to search yet: said in the status bar, nothing asked
    assert "Open a bucket or folder" in status.currentMessage()
    assert search.dialog is None
    history.push(Location("local", "photos", "2024/"))
    search.search("  beach*  ")
    assert went == [SearchLocation("local", "photos", "2024/", query="beach*")]
    assert search.last_query == "beach*"
