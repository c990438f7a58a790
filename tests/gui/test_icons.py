"""gui/icons.py: the fixed icons' committed PNG files are what their drawings paint, and
the window loads them from there."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon, QImage
from pytestqt.qtbot import QtBot

from cloudbrowser.gui import icons


@pytest.mark.gui
@pytest.mark.parametrize("name", sorted(icons.DRAWINGS))
def test_a_fixed_icons_files_are_what_its_drawing_paints(qtbot: QtBot, name: str) -> None:
    """After changing a drawing: ``python resources/make_icons.py``."""
    for size in icons.SIZES:
        path = icons.shipped_icons_dir() / f"{name}-{size}.png"
        shipped = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
        painted = icons.painted_pixmap(icons.DRAWINGS[name], size).toImage()
        assert not shipped.isNull(), path
        assert shipped == painted.convertToFormat(QImage.Format.Format_ARGB32), path


@pytest.mark.gui
def test_the_fixed_icons_come_from_their_files_at_every_size(qtbot: QtBot) -> None:
    icon = icons.back_icon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):
        assert [s.width() for s in icon.availableSizes(mode)] == list(icons.SIZES)
    shipped = QImage(str(icons.shipped_icons_dir() / "back-24.png"))
    shown = icon.pixmap(24, 24).toImage()
    assert shown.convertToFormat(QImage.Format.Format_ARGB32) == shipped.convertToFormat(
        QImage.Format.Format_ARGB32
    )


@pytest.mark.gui
def test_without_the_files_the_icons_are_painted(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """An installation that lost them still has its icons."""
    monkeypatch.setattr(icons, "shipped_icons_dir", lambda: tmp_path)
    icon = icons._fixed("upload")
    assert [s.width() for s in icon.availableSizes()] == list(icons.SIZES)
    painted = icons.painted_pixmap(icons.DRAWINGS["upload"], 32).toImage()
    assert icon.pixmap(32, 32).toImage() == painted
