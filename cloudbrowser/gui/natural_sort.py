"""Names in the order people expect: ``bin-1, bin-2 … bin-10``, in the user's language.

A ``QCollator`` (one per thread) in numeric mode, case-insensitive, for the user's locale
(the "C" locale, a machine with no language set, compares code points and ignores numeric
mode, so English rules stand in for it). Sort keys are computed per comparison, never
stored: a listing of a million names keeps no second million objects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from PySide6 import QtCore
from PySide6.QtCore import QCollator, QCollatorSortKey, QLocale

#: One collator per thread: QCollator is reentrant, not thread-safe, and a worker sorts
#: too (a drop's transfers are sorted off the GUI thread).
_per_thread = threading.local()


def collator() -> QCollator:
    made: QCollator | None = getattr(_per_thread, "collator", None)
    if made is None:
        made = _per_thread.collator = _new_collator()
    return made


def _new_collator() -> QCollator:
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    result = QCollator(locale)
    result.setNumericMode(True)
    result.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
    return result


def compare(a: str, b: str) -> int:
    """Negative, zero or positive as ``a`` sorts before, with or after ``b``. One call is
    cheaper than two sort keys: for a few comparisons (a binary search), prefer it."""
    return collator().compare(a, b)


def name_key(name: str) -> QCollatorSortKey:
    """A key that orders names naturally (``sorted(names, key=name_key)``)."""
    return collator().sortKey(name)


def natural_sorted(names: Iterable[str]) -> list[str]:
    return sorted(names, key=name_key)
