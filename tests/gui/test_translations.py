"""Strings go through tr(): a .qm file in the translations folder translates the window."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.app import TRANSLATIONS_ENV, install_translations
from cloudbrowser.gui.dialogs.settings import SettingsDialog
from cloudbrowser.gui.messages import error_title
from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.transfer_controller import TransferFailures
from cloudbrowser.gui.transfer_settings import TransferSettings
from cloudbrowser.gui.widgets.main_window import MainWindow

TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>SettingsDialog</name>
    <message><source>Settings</source><translation>Einstellungen</translation></message>
    <message><source>Confirmations</source><translation>Rückfragen</translation></message>
</context>
<context>
    <name>MainWindow</name>
    <message><source>&amp;File</source><translation>&amp;Datei</translation></message>
    <message><source>Back</source><translation>Zurück</translation></message>
    <message>
        <source>Filter this folder (Ctrl+F)</source>
        <translation>Diesen Ordner filtern (Strg+F)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln folder(s)</source>
        <translation>
            <numerusform>%Ln Ordner</numerusform><numerusform>%Ln Ordner</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln object(s)</source>
        <translation>
            <numerusform>%Ln Objekt</numerusform><numerusform>%Ln Objekte</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ObjectListModel</name>
    <message><source>Size</source><translation>Größe</translation></message>
</context>
<context>
    <name>CloudBrowserError</name>
    <message>
        <source>Some transfers failed</source>
        <translation>Einige Übertragungen sind fehlgeschlagen</translation>
    </message>
</context>
</TS>
"""


@pytest.fixture
def german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """cloudbrowser_de.qm in a translations folder, compiled by Qt's own lrelease."""
    (tmp_path / "cloudbrowser_de.ts").write_text(TS, encoding="utf-8")
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(tmp_path / "cloudbrowser_de.ts")], check=True)
    assert (tmp_path / "cloudbrowser_de.qm").is_file()
    monkeypatch.setenv(TRANSLATIONS_ENV, str(tmp_path))
    yield tmp_path


def test_a_translation_in_the_folder_translates_the_dialog(qtbot: QtBot, german: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    installed = install_translations(app, QLocale("de_DE"))
    try:
        assert installed, "cloudbrowser_de.qm was not loaded"
        dialog = SettingsDialog(TransferSettings())
        qtbot.addWidget(dialog)
        assert dialog.windowTitle() == "Einstellungen"
        assert QCoreApplication.translate("SettingsDialog", "Confirmations") == "Rückfragen"
    finally:
        for translator in installed:
            app.removeTranslator(translator)


def test_a_translation_in_the_folder_translates_the_main_window(
    qtbot: QtBot, german: Path, make_service: Callable[[], StorageService]
) -> None:
    """Menus, actions, placeholders, the list's headers, a message with a placeholder and
    an error's title: each kind of string of the window reaches the translation."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    installed = install_translations(app, QLocale("de_DE"))
    try:
        assert installed, "cloudbrowser_de.qm was not loaded"
        window = MainWindow(make_service())
        qtbot.addWidget(window)
        assert window.file_menu.title() == "&Datei"
        assert window.back_action.text() == "Zurück"
        assert window.filter_edit.placeholderText() == "Diesen Ordner filtern (Strg+F)"
        header = window.list_model.headerData(Column.SIZE, Qt.Orientation.Horizontal)
        assert header == "Größe"
        # "%Ln folder(s)" in German's plural form for the count.
        assert window._counts_label.text().startswith("0 Ordner, 0 Objekte, ")
        assert error_title(TransferFailures("x")) == "Einige Übertragungen sind fehlgeschlagen"
        # What the translation does not list stays in English.
        assert window.forward_action.text() == "Forward"
    finally:
        for translator in installed:
            app.removeTranslator(translator)


def test_without_a_translation_nothing_is_installed(qtbot: QtBot, german: Path) -> None:
    """Not even Qt's own: a window half in French, half in English helps nobody."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert install_translations(app, QLocale("fr_FR")) == []
    dialog = SettingsDialog(TransferSettings())
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Settings"


def test_lupdate_finds_the_window_messages_under_their_contexts(tmp_path: Path) -> None:
    """Translators get their .ts files from pyside6-lupdate: every message must be found,
    in the context the code looks it up in (a helper lupdate does not know, such as a
    module's own ``_tr``, yields messages in no context that no translation reaches)."""
    import xml.etree.ElementTree as ET

    import cloudbrowser.gui

    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    sources = sorted(str(p) for p in Path(cloudbrowser.gui.__file__).parent.rglob("*.py"))
    ts = tmp_path / "all.ts"
    subprocess.run([str(lupdate), *sources, "-ts", str(ts)], check=True, capture_output=True)
    contexts: dict[str, set[str]] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        sources_ = {m.findtext("source") or "" for m in context.iter("message")}
        contexts.setdefault(context.findtext("name") or "", set()).update(sources_)
    assert "" not in contexts, f"messages in no context: {sorted(contexts.get('', ()))[:10]}"
    assert "Delete {what} from {where}?" in contexts["FileOperations"]
    assert "Cancelled after {done} of {found}" in contexts["TransferListModel"]
    assert "Settings" in contexts["SettingsDialog"]
    assert sum(len(m) for m in contexts.values()) > 500


def test_every_permission_word_of_a_link_grant_is_marked_for_translation() -> None:
    """gui/link_grant.py repeats the engine's GRANT_WORDS as literals, for lupdate to find:
    a word added to one list only would be shown untranslated, or not at all."""
    from cloudbrowser.core.storage import GRANT_WORDS
    from cloudbrowser.gui.link_grant import _WORDS

    assert tuple(_WORDS) == GRANT_WORDS
