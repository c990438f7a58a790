"""The toolbar: labelled file buttons, and one icon set whatever the desktop theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton
from pytestqt.qtbot import QtBot

from cloudbrowser.gui import icons
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory

ICONS: list[Callable[[], QIcon]] = [
    icons.folder_icon,
    icons.bucket_icon,
    icons.connection_icon,
    icons.error_icon,
    icons.back_icon,
    icons.forward_icon,
    icons.up_icon,
    icons.refresh_icon,
    icons.upload_icon,
    icons.download_icon,
    icons.new_folder_icon,
    icons.delete_icon,
    lambda: icons.file_icon("notes.txt"),
]


@pytest.fixture
def window(qtbot: QtBot, make_service: ServiceFactory) -> MainWindow:
    service: StorageService = make_service()
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def buttons(toolbar: QToolBar) -> list[QAction]:
    return [a for a in toolbar.actions() if isinstance(toolbar.widgetForAction(a), QToolButton)]


def test_toolbars_have_labelled_file_buttons_and_the_navigation(window: MainWindow) -> None:
    toolbar = window.toolbar
    assert toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    labels = [a.iconText() for a in buttons(toolbar)]
    assert labels == ["Connections", "Upload", "Download", "New folder", "Delete"]
    for action in buttons(toolbar):
        assert not action.icon().isNull(), action.iconText()
    assert window.upload_files_action.text() == "Upload files…"  # the menu keeps its text

    # The way around, beside the path bar and the filter: icons named by their tooltips.
    location = window.location_bar
    assert location.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    assert [a.text() for a in buttons(location)] == ["Back", "Forward", "Up", "Refresh"]
    assert window.back_action.toolTip().startswith("Back (")
    for action in buttons(location):
        assert not action.icon().isNull(), action.text()
    widgets = [location.widgetForAction(a) for a in location.actions()]
    assert window.path_bar in widgets
    assert window.filter_edit in widgets
    assert window.toolBarBreak(location)  # a row of its own, under the file buttons


def image(icon: QIcon) -> QImage:
    return icon.pixmap(24, 24).toImage()


def clear_icon_caches() -> None:
    for name in dir(icons):
        function = getattr(icons, name)
        if hasattr(function, "cache_clear"):
            function.cache_clear()


@pytest.fixture
def desktop_theme(tmp_path: Path) -> Iterator[None]:
    """A desktop icon theme offering (red) folder, server, trash and file-type icons."""
    theme = tmp_path / "icons" / "reddish"
    (theme / "24").mkdir(parents=True)
    (theme / "index.theme").write_text(
        "[Icon Theme]\nName=reddish\nDirectories=24\n\n[24]\nSize=24\nType=Fixed\n"
    )
    red = QImage(24, 24, QImage.Format.Format_ARGB32)
    red.fill(QColor("red"))
    names = ["folder", "folder-remote", "folder-cloud", "network-server", "user-trash"]
    for name in [*names, "text-plain", "go-previous", "view-refresh"]:
        red.save(str(theme / "24" / f"{name}.png"))
    paths, name = QIcon.themeSearchPaths(), QIcon.themeName()
    QIcon.setThemeSearchPaths([str(tmp_path / "icons")])
    QIcon.setThemeName("reddish")
    clear_icon_caches()
    yield
    QIcon.setThemeSearchPaths(paths)
    QIcon.setThemeName(name)
    clear_icon_caches()


def test_icons_are_the_same_with_any_desktop_theme_and_palette(desktop_theme: None) -> None:
    assert QIcon.hasThemeIcon("folder")  # the theme is there to be used…
    themed = [image(make()) for make in ICONS]
    QIcon.setThemeName("")
    clear_icon_caches()
    plain = [image(make()) for make in ICONS]
    assert themed == plain  # …and is not
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette = app.palette()
    dark = QPalette(palette)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    app.setPalette(dark)
    try:
        clear_icon_caches()
        assert [image(make()) for make in ICONS] == plain
    finally:
        app.setPalette(palette)
    for picture in plain:
        assert picture.pixelColor(12, 12) != QColor("red")
