"""CJK names draw with a real font: the bundle's fonts are registered with Qt."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.fonts import add_bundled_fonts

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def test_without_a_bundle_nothing_is_added() -> None:
    assert add_bundled_fonts() == []


def test_a_bundled_cjk_font_draws_japanese_names(qtbot: QtBot, tmp_path: Path) -> None:
    assert CJK_FONT.is_file(), "scripts/setup installs fonts-wqy-zenhei"
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(CJK_FONT, folder)
    families = add_bundled_fonts(folder)
    assert families and any("WenQuanYi" in f for f in families)
    assert QFontDatabase.WritingSystem.Japanese in QFontDatabase.writingSystems(families[0])
    metrics = QFontMetrics(QFont(families[0]))
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "日本のファイル")
