"""Sizes as the window writes them: QLocale's formattedDataSize, each language its own
units, but "1 byte" where Qt's English says "1 bytes"."""

from __future__ import annotations

from PySide6.QtCore import QLocale


def data_size(locale: QLocale, size: int) -> str:
    """``size`` bytes as ``locale`` writes a data size ("1 byte", "2 bytes", "1.5 KiB")."""
    text = locale.formattedDataSize(size)
    return "1 byte" if text == "1 bytes" else text  # Qt's English has no singular
