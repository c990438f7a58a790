"""RateEdit: a transfer rate typed as people say it ("10 MB/s", "512 KiB/s", "1,5 MiB/s",
"unlimited"), shown in the same units as every size in the window (QLocale's
``formattedDataSize``), not a spin box of KiB/s only."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QLocale, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from cloudbrowser.gui.palette import status_colour
from cloudbrowser.gui.sizes import data_size

#: Unit → bytes. SI prefixes (kB, MB) are powers of 1000, IEC ones (KiB, MiB) of 1024,
#: as the names say; a bare "K" or "M" is read as IEC, as the window shows sizes.
_UNITS = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "k": 1024, "kb": 1000, "kib": 1024,
    "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1024**3, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip
_RATE = re.compile(r"^\s*([0-9][0-9.,\s]*)\s*([a-z]*)\s*(?:/\s*s|ps)?\s*$", re.IGNORECASE)


def parse_rate(text: str, locale: QLocale | None = None) -> int | None:
    """Bytes per second in ``text``; 0 for unlimited ("", "0", "unlimited" in the user's
    words); None when it cannot be read."""
    locale = locale or QLocale()
    stripped = text.strip()
    if not stripped or stripped.casefold() in (unlimited_text().casefold(), "unlimited"):
        return 0
    match = _RATE.match(stripped)
    if match is None or match.group(2).casefold() not in _UNITS:
        return None
    number_text = match.group(1).replace(" ", "").replace("\u00a0", "")
    number, ok = locale.toDouble(number_text)
    if not ok:  # "1.5" typed under a locale whose decimal point is a comma, and the reverse
        number, ok = QLocale.c().toDouble(number_text.replace(",", "."))
    if not ok or number < 0:
        return None
    return round(number * _UNITS[match.group(2).casefold()])


def format_rate(bytes_per_second: int, locale: QLocale | None = None) -> str:
    """A rate in the window's units ("9.77 MiB/s"); "Unlimited" for 0."""
    if bytes_per_second <= 0:
        return unlimited_text()
    size = data_size(locale or QLocale(), bytes_per_second)
    return QCoreApplication.translate("RateEdit", "{size}/s").format(size=size)


def unlimited_text() -> str:
    return QCoreApplication.translate("RateEdit", "Unlimited")


class RateEdit(QLineEdit):
    """A rate field: ``value()`` in bytes per second (0: unlimited). Text that cannot be
    read is marked and keeps the last good value; leaving the field shows the value in
    the window's units."""

    valueChanged = Signal(int)

    def __init__(self, bytes_per_second: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = max(0, bytes_per_second)
        self.setPlaceholderText(self.tr("e.g. 10 MB/s, or empty for no limit"))
        self.setToolTip(
            self.tr("A rate such as 10 MB/s, 512 KiB/s or 2 MiB/s; empty or 0 for no limit.")
        )
        self.setText(format_rate(self._value))
        self.textEdited.connect(self._on_edited)
        self.editingFinished.connect(self._normalise)

    def value(self) -> int:
        return self._value

    def setValue(self, bytes_per_second: int) -> None:
        self._value = max(0, bytes_per_second)
        self.setText(format_rate(self._value))
        self._mark(True)

    def is_valid(self) -> bool:
        return parse_rate(self.text()) is not None

    def _on_edited(self, text: str) -> None:
        parsed = parse_rate(text)
        self._mark(parsed is not None)
        if parsed is not None and parsed != self._value:
            self._value = parsed
            self.valueChanged.emit(parsed)

    def _normalise(self) -> None:
        if self.is_valid():
            self.setText(format_rate(self._value))

    def _mark(self, valid: bool) -> None:
        self.setProperty("invalid", not valid)
        self.setStyleSheet("" if valid else f"border: 1px solid {status_colour(False)};")
