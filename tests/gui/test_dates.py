"""One date format in the whole window, from the user's locale (gui/dates.py)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLocale

from cloudbrowser.gui.dates import date_time_format, format_time, format_time_of_day

GUI = Path(__file__).resolve().parents[2] / "cloudbrowser" / "gui"
#: 2026-12-04 19:05:55 local time.
MOMENT = datetime(2026, 12, 4, 19, 5, 55).timestamp()


def test_the_format_is_the_locales_short_date_and_time() -> None:
    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    assert format_time(MOMENT, german) == "04.12.26 19:05"
    assert format_time(MOMENT, german, seconds=True) == "04.12.26 19:05:55"
    american = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert format_time(MOMENT, american).startswith("12/4/26 7:05")
    assert "7:05:55" in format_time(MOMENT, american, seconds=True)


def test_without_a_locale_the_order_is_iso() -> None:
    c = QLocale.c()
    assert date_time_format(c) == "yyyy-MM-dd HH:mm"
    assert format_time(MOMENT, c) == "2026-12-04 19:05"
    assert format_time(MOMENT, c, seconds=True) == "2026-12-04 19:05:55"


def test_every_date_in_the_window_goes_through_the_one_helper() -> None:
    """A QDateTime built from a timestamp anywhere else is a second format in waiting."""
    offenders = [
        f"{path.relative_to(GUI)}:{n}"
        for path in GUI.rglob("*.py")
        if path.name != "dates.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"fromSecsSinceEpoch|FormatType\.(Long|Short)Format|strftime", line)
    ]
    assert offenders == []


def test_a_time_of_day_has_seconds_in_the_locales_order() -> None:
    moment = datetime(2026, 12, 4, 15, 5, 9).timestamp()  # local time
    assert format_time_of_day(moment, QLocale.c()) == "15:05:09"
    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    assert format_time_of_day(moment, german) == "15:05:09"
    american = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert format_time_of_day(moment, american).replace("\u202f", " ") == "3:05:09 PM"
