"""One way to show a date and time in the whole window: the user's locale's short date and
time (QLocale), local time. The list, the conflict dialog, Properties, Versions, Preview,
share links and unfinished uploads all call :func:`format_time`, so one file never shows
three different formats ("2026-12-04 19:05", "4 12 2026 19:11", "Wednesday, 4 November…").
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDateTime, QLocale

#: Without a locale (LANG unset, "C") Qt's short formats are odd ("4 12 2026 19:11"):
#: ISO order then, which every reader can parse.
_ISO = "yyyy-MM-dd HH:mm"


def date_time_format(locale: QLocale, *, seconds: bool = False) -> str:
    """The locale's short date and time format; with ``seconds`` (versions a few seconds
    apart, Properties) the time shows seconds too."""
    if locale.language() == QLocale.Language.C:
        pattern = _ISO
    else:
        pattern = (
            f"{locale.dateFormat(QLocale.FormatType.ShortFormat)} "
            f"{locale.timeFormat(QLocale.FormatType.ShortFormat)}"
        )
    if seconds and "ss" not in pattern:
        pattern = pattern.replace("mm", "mm:ss", 1)
    return pattern


def format_time(timestamp: float, locale: QLocale | None = None, *, seconds: bool = False) -> str:
    """``timestamp`` (seconds since the epoch, UTC) as local time in the user's format."""
    locale = locale or QLocale()
    return time_formatter(locale, seconds=seconds)(timestamp)


def format_time_of_day(timestamp: float, locale: QLocale | None = None) -> str:
    """``timestamp`` as the time of day alone, with seconds, in the user's format (a wait
    of seconds that ends today: "Trying again at 14:32:08")."""
    locale = locale or QLocale()
    if locale.language() == QLocale.Language.C:
        pattern = "HH:mm:ss"
    else:
        pattern = locale.timeFormat(QLocale.FormatType.ShortFormat)
        if "ss" not in pattern:
            pattern = pattern.replace("mm", "mm:ss", 1)
    return locale.toString(QDateTime.fromMSecsSinceEpoch(round(timestamp * 1000)), pattern)


def time_formatter(locale: QLocale, *, seconds: bool = False) -> Callable[[float], str]:
    """:func:`format_time` with the pattern worked out once: for a model's ``data()``,
    which formats a date for every row it paints."""
    pattern = date_time_format(locale, seconds=seconds)

    def format_one(timestamp: float) -> str:
        return locale.toString(QDateTime.fromSecsSinceEpoch(int(timestamp)), pattern)

    return format_one
