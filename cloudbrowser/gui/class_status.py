"""An object's storage class with where its restore stands, as the window shows it:
"DEEP_ARCHIVE (restoring…)", "Archive (rehydrating to Hot…)", "GLACIER (restored, readable
until 7 Dec 2026 03:27)"."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale

from cloudbrowser.core.details import restore_state
from cloudbrowser.gui.dates import format_time


def class_status(storage_class: str, restore: str, locale: QLocale) -> str:
    """``storage_class`` with the state of ``restore`` (S3's ``x-amz-restore``, Azure's
    archive status); the class alone when no restore is on."""
    state = restore_state(restore)
    if state is None:
        return storage_class
    if state.in_progress and state.target:
        return QCoreApplication.translate("ClassStatus", "{cls} (rehydrating to {target}…)").format(
            cls=storage_class, target=state.target
        )
    if state.in_progress:
        return QCoreApplication.translate("ClassStatus", "{cls} (restoring…)").format(
            cls=storage_class
        )
    if state.ready_until:
        return QCoreApplication.translate(
            "ClassStatus", "{cls} (restored, readable until {date})"
        ).format(cls=storage_class, date=format_time(state.ready_until, locale))
    return storage_class
