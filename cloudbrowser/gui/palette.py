"""Colours that follow the system's light or dark palette.

The app sets no style sheet colours of its own for text, except where a colour carries
meaning (a check failed, a warning): those come from here, in a light and a dark variant,
and the one that reads better on the current window background is used, so that a dark
system theme gets light-on-dark text with at least WCAG's 4.5:1 contrast. Everything else
uses ``palette(...)`` roles in style sheets, which Qt keeps in step with the theme.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

#: (for light backgrounds, for dark backgrounds) — each at least 4.5:1 on its kind.
GOOD = ("#1d7a43", "#58d68d")
BAD = ("#b03a2e", "#ff8a80")


def luminance(colour: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def readable(variants: tuple[str, str], palette: QPalette | None = None) -> str:
    """The variant with the better contrast on the window background."""
    palette = palette or QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    return max(variants, key=lambda name: contrast(QColor(name), window))


def status_colour(ok: bool | None, palette: QPalette | None = None) -> str:
    """A style-sheet colour for a result: green when ``ok``, red when not, plain text
    when unknown."""
    if ok is None:
        return "palette(text)"
    return readable(GOOD if ok else BAD, palette)
