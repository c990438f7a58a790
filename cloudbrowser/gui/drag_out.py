"""Dragging objects out of the window onto the desktop or a file manager.

A drop target wants local files, and the objects are remote. Qt offers no portable
"save here" drop (X Direct Save is X11-only and unsupported by Qt), so the drag carries
the URLs of *staged* copies: the download into a fresh staging folder starts the moment
the drag leaves the window (or at the drop, if it never left), and the URLs are handed
over only when the drop target asks for them (``retrieveData``, at the drop). If the
downloads are not finished by then, a local event loop waits for them: the window keeps
painting and the Transfers panel shows the progress, so nothing freezes. The target then
copies the verified files from the staging folder (a second local copy: the price of a
portable drag). Staging folders are removed at the next start, after any background copy
by the file manager has long finished.

A drag that stays inside the window (onto a folder or the tree: a move on the server)
downloads nothing: it carries the objects themselves too (``object_clipboard.py``).
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEventLoop, QMimeData, QTimer, QUrl

from cloudbrowser.core.paths import cache_dir
from cloudbrowser.gui.object_clipboard import OBJECTS_FORMAT, ObjectSelection

log = logging.getLogger(__name__)

URI_LIST = "text/uri-list"
TEXT = "text/plain"
#: Staging folders older than this are removed at start-up.
STALE_SECONDS = 6 * 3600


def staging_root() -> Path:
    return cache_dir() / "drag-out"


def new_staging_folder() -> Path:
    folder = staging_root() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def remove_stale_staging(now: float | None = None) -> int:
    """Delete staging folders of earlier drags; returns how many (run on a worker)."""
    root = staging_root()
    if not root.is_dir():
        return 0
    limit = (now or time.time()) - STALE_SECONDS
    removed = 0
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder)
                removed += 1
        except OSError as exc:
            log.warning("could not remove staging folder %s: %s", folder, exc)
    return removed


class RemoteFilesMime(QMimeData):
    """The data of a drag out: file URLs of staged downloads, given once they are complete.

    ``names`` are the top-level names dragged (files and folders) inside ``folder``;
    ``finished()`` says whether the downloads have ended (successfully or not). ``start``
    begins the downloads (once); ``selection`` is what a drop inside the window moves.
    """

    def __init__(
        self,
        folder: Path,
        names: list[str],
        controller: object,
        *,
        selection: ObjectSelection | None = None,
        start: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.names = names
        self.batch = folder.name
        self.selection = selection
        self._controller = controller
        self._start = start
        self.started = start is None
        self.planned = False  # set when the download plan has been queued (or failed)

    def start(self) -> None:
        """Begin the staged downloads (the drag left the window, or it is dropped)."""
        if not self.started and self._start is not None:
            self.started = True
            self._start()

    def formats(self) -> list[str]:
        return [URI_LIST, OBJECTS_FORMAT, TEXT] if self.selection is not None else [URI_LIST]

    def hasFormat(self, mimetype: str) -> bool:
        return mimetype in self.formats()

    def finished(self) -> bool:
        # Here, not at the top: the list view imports this module before the window's
        # first paint, the transfer journal (SQLite) only after it.
        from cloudbrowser.core.journal import State
        from cloudbrowser.gui.transfer_controller import TransferController

        controller = self._controller
        assert isinstance(controller, TransferController)
        if not self.planned:
            return False
        return not any(
            t.batch == self.batch and t.state in (State.QUEUED, State.RUNNING)
            for t in controller.queue.transfers()
        )

    def wait(self) -> None:
        """Wait for the downloads without blocking the event loop."""
        if self.finished():
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: loop.quit() if self.finished() else None)
        timer.start()
        loop.exec()
        timer.stop()

    def staged_urls(self) -> list[QUrl]:
        return [
            QUrl.fromLocalFile(str(self.folder / name))
            for name in self.names
            if (self.folder / name).exists()
        ]

    def retrieveData(self, mimetype: str, preferred_type: object) -> object:
        if self.selection is not None and mimetype == OBJECTS_FORMAT:
            return QByteArray(self.selection.encode())
        if self.selection is not None and mimetype == TEXT:
            return "\n".join(self.selection.uris())
        if mimetype != URI_LIST:
            return None
        self.start()
        self.wait()
        # A list of QUrl: Qt gives it as such to urls() and as uri-list text to data().
        return self.staged_urls()
