"""gui/icons.py: the fixed icons' committed PNG files are what their drawings paint, and
the window loads them from there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QIcon, QImage
from pytestqt.qtbot import QtBot

from cloudbrowser.gui import icons

#: How far a channel of a shipped pixel may stand from the painted one: Qt's rasterizer
#: rounds some antialiased edge pixels one level differently from release to release
#: (6.11.3 against the release that painted the files: at most 1 level, in 1-18 pixels of an
#: icon). A changed drawing moves whole edges by tens of levels.
ROUNDING = 1


def _farthest_channel(a: QImage, b: QImage) -> int:
    """The largest difference of one colour or alpha channel between two same-sized
    ARGB32 images."""
    assert a.size() == b.size()
    return max(
        (abs(x - y) for x, y in zip(bytes(a.constBits()), bytes(b.constBits()), strict=True)),
        default=0,
    )


@pytest.mark.gui
@pytest.mark.parametrize("name", sorted(icons.DRAWINGS))
def test_a_fixed_icons_files_are_what_its_drawing_paints(qtbot: QtBot, name: str) -> None:
    """After changing a drawing: ``python resources/make_icons.py``."""
    for size in icons.SIZES:
        path = icons.shipped_icons_dir() / f"{name}-{size}.png"
        shipped = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
        painted = icons.painted_pixmap(icons.DRAWINGS[name], size).toImage()
        assert not shipped.isNull(), path
        painted = painted.convertToFormat(QImage.Format.Format_ARGB32)
        assert _farthest_channel(shipped, painted) <= ROUNDING, path


@pytest.mark.gui
def test_a_changed_drawing_is_far_beyond_the_rounding(qtbot: QtBot) -> None:
    """The tolerance cannot hide a drawing change: another icon's drawing at the same
    size differs by far more than a rounding."""
    size = icons.SIZES[0]
    back = icons.painted_pixmap(icons.DRAWINGS["back"], size).toImage()
    other = next(name for name in sorted(icons.DRAWINGS) if name != "back")
    drawn = icons.painted_pixmap(icons.DRAWINGS[other], size).toImage()
    fmt = QImage.Format.Format_ARGB32
    assert _farthest_channel(back.convertToFormat(fmt), drawn.convertToFormat(fmt)) > 100


@pytest.mark.gui
def test_the_fixed_icons_come_from_their_files_at_every_size(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the window shows is the file: a file unlike any drawing (opaque, one colour,
    so that no premultiplied round trip rounds it) is shown as it is."""
    for path in icons.shipped_icons_dir().glob("back-*.png"):
        shutil.copy(path, tmp_path / path.name)
    marker = QImage(24, 24, QImage.Format.Format_ARGB32)
    marker.fill(QColor(200, 30, 90))
    assert marker.save(str(tmp_path / "back-24.png"))
    monkeypatch.setattr(icons, "shipped_icons_dir", lambda: tmp_path)
    icon = icons._fixed("back")
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):
        assert [s.width() for s in icon.availableSizes(mode)] == list(icons.SIZES)
    shown = icon.pixmap(24, 24).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    assert shown == marker


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
