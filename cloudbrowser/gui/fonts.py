"""Fonts the frozen bundle carries (packaging/cloudbrowser.spec puts a CJK font in fonts/):
registered with Qt so that names in Chinese, Japanese and Korean scripts draw on desktops
that have no such font. Qt's font fallback (fontconfig on Linux) then finds them like any
installed font. An installation from source uses the system's fonts (scripts/setup
installs one)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtGui import QFontDatabase

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".ttc", ".otf")


def bundled_fonts_dir() -> Path | None:
    """fonts/ inside a frozen bundle; None when running from source."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) / "fonts" if bundle else None


def add_bundled_fonts(folder: Path | None = None) -> list[str]:
    """Register each font file of ``folder`` (default: the bundle's); their families."""
    folder = folder or bundled_fonts_dir()
    if folder is None or not folder.is_dir():
        return []
    families: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("could not load the bundled font %s", path)
            continue
        families += QFontDatabase.applicationFontFamilies(font_id)
    log.info("bundled fonts: %s", ", ".join(families) or "none")
    return families
