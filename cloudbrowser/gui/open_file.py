"""Opening a downloaded file with the desktop's program for it, and saying so in the window
when there is none (a fresh desktop has no program for .txt or .csv): where the file was
saved, and a button that shows it in its folder. Only the log knowing would leave a user
double-clicking again and again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtWidgets import QMessageBox, QWidget

from cloudbrowser.gui.message_icons import message_icon

log = logging.getLogger(__name__)

Opener = Callable[[QUrl], object]


def open_downloaded(path: Path, opener: Opener, parent: QWidget) -> QMessageBox | None:
    """Open ``path`` with its program; when none can (the opener answers False), show where
    it was saved, with Show in folder. Returns that message, if shown."""
    if opener(QUrl.fromLocalFile(str(path))) is not False:
        return None
    log.info("no application opens %s", path)
    return show_not_opened(path, opener, parent)


def show_not_opened(path: Path, opener: Opener, parent: QWidget) -> QMessageBox:
    kind = (
        QCoreApplication.translate("OpenFile", "{suffix} files").format(suffix=path.suffix)
        if path.suffix
        else QCoreApplication.translate("OpenFile", "files without an extension")
    )
    box = QMessageBox(
        message_icon(QMessageBox.Icon.Information),
        QCoreApplication.translate("OpenFile", "Downloaded"),
        QCoreApplication.translate(
            "OpenFile", "Saved to {path}; no application is set to open {kind}."
        ).format(path=path, kind=kind),
        parent=parent,
    )
    box.setObjectName("noApplication")
    box.setInformativeText(
        QCoreApplication.translate(
            "OpenFile",
            "Choose a program for them in your desktop's settings, or open the file "
            "from its folder.",
        )
    )
    show = box.addButton(
        QCoreApplication.translate("OpenFile", "Show in folder"), QMessageBox.ButtonRole.ActionRole
    )
    show.clicked.connect(lambda: opener(QUrl.fromLocalFile(str(path.parent))))
    box.addButton(QMessageBox.StandardButton.Close)
    box.finished.connect(box.deleteLater)
    box.open()
    return box
