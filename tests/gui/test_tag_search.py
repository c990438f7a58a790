"""Search by tags in the window (``gui/search.py``), on the in-memory backend, which finds
objects by their tags as Azure's blob index does (``features.tag_search``): the prompt
offers ``tag:`` terms only where the connection has them, the results are ordinary search
rows, and a term that is no condition is refused before anything is sent."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.core.backends.memory.backend import MemoryStorage
from cloudbrowser.core.backends.memory.features import FEATURES
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.storage import properties_of
from cloudbrowser.gui.navigation import SearchLocation
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import MemoryServer
from tests.gui.conftest import ServiceFactory, go
from tests.gui.test_browsing import names
from tests.gui.test_search_and_size import search_for

pytestmark = pytest.mark.gui
WAIT = 25_000


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=2, max_threads=4)


@pytest.fixture
def window_server(memory_server: MemoryServer) -> MemoryServer:
    """The server this file's windows open (conftest's ``window``)."""
    return memory_server


@pytest.fixture
def bucket(memory_server: MemoryServer) -> str:
    name = memory_server.bucket("tagged")
    memory_server.put(name, ["docs/plan.txt", "docs/old/plan-v1.txt", "docs/notes.txt", "x.txt"])
    props = properties_of(memory_server.backend())
    props.put_tags(name, "docs/plan.txt", {"project": "apollo", "year": "2024"})
    props.put_tags(name, "docs/old/plan-v1.txt", {"project": "apollo", "year": "2022"})
    props.put_tags(name, "x.txt", {"project": "apollo", "year": "2024"})  # outside docs/
    return name


def prompt(window: MainWindow) -> str:
    window.search.search_action.trigger()
    dialog = window.search.dialog
    assert dialog is not None
    text = dialog.labelText()
    dialog.reject()
    return text


def test_tag_terms_find_the_tagged_objects_below_the_folder(
    qtbot: QtBot, window: MainWindow, bucket: str
) -> None:
    go(qtbot, window, bucket, "docs/")
    assert "tag:NAME=VALUE" in prompt(window)
    search_for(qtbot, window, "tag:project=apollo")
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=WAIT)
    location = window.history.current
    assert isinstance(location, SearchLocation) and location.query == "tag:project=apollo"
    # Rows as a name search shows them: by their path below the folder, with their sizes.
    assert names(window) == ["old/plan-v1.txt", "plan.txt"]
    sizes = {window.list_model.entry(r).key: window.list_model.entry(r).size for r in (0, 1)}
    assert sizes == {"docs/old/plan-v1.txt": len(b"docs/old/plan-v1.txt"), "docs/plan.txt": 13}
    bar = window.loading_label.text()
    assert f"Search results for “tag:project=apollo” in {bucket}/docs/ — 2 found" in bar

    # Tags and a name together.
    search_for(qtbot, window, "plan tag:year>=2023")
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=WAIT)
    assert names(window) == ["plan.txt"]


def test_a_term_that_is_no_condition_is_refused_before_searching(
    qtbot: QtBot, window: MainWindow, bucket: str
) -> None:
    go(qtbot, window, bucket, "docs/")
    before = window.history.current
    search_for(qtbot, window, "tag:project")
    error = window.messages.last
    assert isinstance(error, ConfigError)
    assert error.message == "“tag:project” compares the tag with nothing."
    assert window.history.current == before  # nothing searched
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "compares the tag with nothing" in boxes[-1].text()
    for box in boxes:
        box.close()
    assert window.search.last_query == "tag:project"  # the prompt offers it to correct


def test_without_tag_search_the_text_is_a_name(
    qtbot: QtBot, window: MainWindow, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection without a tag index (S3, GCS) shows no tag syntax and searches
    "tag:" as part of a name, as before."""
    plain = FEATURES._replace(tag_search=False)
    monkeypatch.setattr(MemoryStorage, "features", property(lambda _self: plain))
    go(qtbot, window, bucket)
    assert "tag:" not in prompt(window)
    search_for(qtbot, window, "tag:project")
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=WAIT)
    assert window.messages.last is None
    assert isinstance(window.history.current, SearchLocation)
    assert names(window) == []
    assert "— 0 found" in window.loading_label.text()
