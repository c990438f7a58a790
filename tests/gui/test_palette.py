"""The UI follows the system's light or dark palette: no fixed text colours that vanish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette

from cloudbrowser.gui.palette import BAD, GOOD, contrast, is_dark, readable, status_colour

GUI = Path(__file__).resolve().parents[2] / "cloudbrowser" / "gui"


def palette(window: str, text: str) -> QPalette:
    result = QPalette()
    result.setColor(QPalette.ColorRole.Window, QColor(window))
    result.setColor(QPalette.ColorRole.WindowText, QColor(text))
    return result


#: Qt's Fusion light, Adwaita light and dark, Breeze dark, Windows dark.
PALETTES = {
    "fusion light": palette("#efefef", "#000000"),
    "adwaita light": palette("#fafafa", "#2e3436"),
    "adwaita dark": palette("#242424", "#ffffff"),
    "breeze dark": palette("#31363b", "#eff0f1"),
    "windows dark": palette("#202020", "#ffffff"),
}


@pytest.mark.parametrize("name", PALETTES)
@pytest.mark.parametrize("ok", [True, False])
def test_result_colours_are_readable_on_every_palette(name: str, ok: bool) -> None:
    pal = PALETTES[name]
    colour = QColor(status_colour(ok, pal))
    assert contrast(colour, pal.color(QPalette.ColorRole.Window)) >= 4.5
    assert (colour.name() in (GOOD[1], BAD[1])) == is_dark(pal)


def test_unknown_result_uses_the_palettes_text_colour() -> None:
    assert status_colour(None) == "palette(text)"
    assert readable(GOOD, PALETTES["adwaita dark"]) == GOOD[1]


def test_no_style_sheet_in_the_gui_fixes_a_colour() -> None:
    """Colours in style sheets come from palette(...) roles or gui/palette.py, never a
    literal that would be unreadable on the other kind of theme."""
    literal = re.compile(r"setStyleSheet\([^)]*#[0-9a-fA-F]{3,8}")
    offenders = [
        f"{path.relative_to(GUI)}:{n}"
        for path in GUI.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []


def test_the_app_does_not_override_the_system_style_or_palette() -> None:
    overrides = re.compile(r"\.(setPalette|setStyle)\(")
    offenders = [
        f"{path.relative_to(GUI)}:{n}"
        for path in GUI.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if overrides.search(line)
    ]
    assert offenders == []
