"""Folder size: the objects and bytes below a folder (or bucket), counted in the background.

"Calculate size" (Alt+Shift+Enter, the context menu of folder rows, View menu) counts each
selected folder, or the folder shown when no folder is selected, with
``core.prefix_scan.scan_prefix`` on the service's pool. While it counts, the folder's Size
cell reads "counting… 12,000" and the status bar says what is being counted, with a Stop
button (Esc in the list stops it too; so does choosing "Calculate size" again on a folder
being counted). The result stays in the Size column of that folder's row (the object count
in its tooltip) until the folder, or one above it, is refreshed; sorting by size uses it.

Alt+Shift+Enter because Total Commander and Double Commander bind "calculate the space of
the folders" to it, and plain Alt+Enter is the properties key of most file managers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QObject, Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMenu, QStatusBar, QToolButton, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.gui.bucket_texts import texts_of
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.models.object_list import FolderSize, SizeKey
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.window_parts import Browsing, WindowMenus
from cloudbrowser.gui.workers import Job

if TYPE_CHECKING:
    from cloudbrowser.core.prefix_scan import PrefixTotals

#: Seconds between progress reports of one count (the GUI repaints at most this often).
REPORT_EVERY = 0.1


class FolderSizeActions(QObject):
    """The window's "Calculate size" actions, its status-bar indicator and the running counts."""

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        browsing: Browsing,
        menus: WindowMenus,
        status_bar: QStatusBar,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.messages = messages
        self.browsing = browsing
        self.locale = QLocale()
        self.model = browsing.list_model
        #: The counts going on, by the folder they count.
        self.jobs: dict[SizeKey, Job] = {}
        self.calculate_action = menus.new_action(
            self.tr("Calculate size"),
            None,
            [QKeySequence("Alt+Shift+Return"), QKeySequence("Alt+Shift+Enter")],
            self.calculate,
        )
        self.calculate_action.setStatusTip(
            self.tr("Count the objects and bytes of the selected folders, or of this folder")
        )
        self.stop_action = menus.new_action(self.tr("Stop calculating sizes"), None, [], self.stop)
        self.stop_action.setEnabled(False)
        menus.view.addSeparator()
        menus.view.addAction(self.calculate_action)
        menus.view.addAction(self.stop_action)
        menus.context_sections.append(self._context_menu)

        self.label = QLabel()
        self.stop_button = QToolButton()
        self.stop_button.setText(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop calculating folder sizes (Esc)"))
        self.stop_button.clicked.connect(self.stop)
        for widget in (self.label, self.stop_button):
            widget.hide()
            status_bar.addPermanentWidget(widget)
        # Esc in the list stops what is loading there: counts included.
        for shortcut in browsing.view.findChildren(QShortcut):
            if shortcut.key() == QKeySequence(Qt.Key.Key_Escape):
                shortcut.activated.connect(self.stop)
        service.connectionRemoved.connect(self._on_connection_removed)

    # ── what to count ───────────────────────────────────────────────────────────────────

    def _targets(self, entries: list[Entry]) -> list[tuple[SizeKey, str]]:
        """(key, what to call it) of the selected folder rows, else of the folder shown."""
        current = self.browsing.current
        if current is None:
            return []
        folders = [e for e in entries if e.is_prefix]
        targets = []
        for entry in folders:
            key = self.model.size_key(entry)
            if key is not None:
                targets.append((key, _path(key)))
        if not folders and not current.is_connection_root:
            key = (current.connection, current.bucket, current.prefix)
            targets.append((key, _path(key)))
        return targets

    @Slot()
    def calculate(self) -> None:
        """Count the selected folders (or the folder shown) that are not being counted yet;
        when every one of them is being counted already, stop those counts instead (choosing
        "Calculate size" again is how the count of one folder is stopped)."""
        targets = self._targets(self.browsing.selected_entries())
        if not targets:
            current = self.browsing.current
            connection = current.connection if current is not None else ""
            self.messages.info(texts_of(self.service, connection).select_to_count)
            return
        if all(key in self.jobs for key, _name in targets):
            for key, _name in targets:
                self._cancel(key)
        else:
            for key, name in targets:
                if key not in self.jobs:
                    self.start(key, name)
        self._update_status()

    def start(self, key: SizeKey, name: str) -> Job:
        from cloudbrowser.core.prefix_scan import scan_prefix

        connection_id, bucket, prefix = key
        storage = self.service.storage(connection_id)

        def work(job: Job) -> PrefixTotals:
            last = [0.0]

            def progress(totals: PrefixTotals) -> None:
                now = time.monotonic()
                if now - last[0] >= REPORT_EVERY:
                    last[0] = now
                    job.report(totals)

            return scan_prefix(storage, bucket, prefix, job.cancel_event, progress)

        self.model.folder_sizes[key] = FolderSize(0, 0, counting=True)
        self.model.folder_sizes_changed()
        # Bound slots of this QObject (not lambdas), so they run queued on the GUI thread;
        # each finds its folder by the job that sent it.
        job = self.service.run(
            work,
            f"Calculating the size of {name}",
            progress=self._on_progress,
            succeeded=self._on_done,
            failed=self._on_failed,
            finished=self._on_finished,
        )
        self.jobs[key] = job
        self._update_status()
        return job

    @Slot()
    def stop(self) -> None:
        """Stop every count; the folders they were counting show no size."""
        for key in list(self.jobs):
            self._cancel(key)
        self._update_status()

    def _cancel(self, key: SizeKey) -> None:
        job = self.jobs.pop(key, None)
        if job is not None:
            job.cancel()
        if key in self.model.folder_sizes and self.model.folder_sizes[key].counting:
            del self.model.folder_sizes[key]
            self.model.folder_sizes_changed()

    # ── results (on the GUI thread) ─────────────────────────────────────────────────────

    def _sender_key(self) -> SizeKey | None:
        """The folder of the job that sent the signal; None once it was stopped."""
        sender = self.sender()
        return next((k for k, job in self.jobs.items() if job.signals is sender), None)

    @Slot(object)
    def _on_progress(self, totals: PrefixTotals) -> None:
        key = self._sender_key()
        if key is None:
            return
        self.model.folder_sizes[key] = FolderSize(totals.objects, totals.bytes, counting=True)
        self.model.folder_sizes_changed()
        self._update_status()

    @Slot(object)
    def _on_done(self, totals: PrefixTotals) -> None:
        key = self._sender_key()
        if key is None or not totals.complete:
            return
        self.model.folder_sizes[key] = FolderSize(totals.objects, totals.bytes)
        self.model.folder_sizes_changed(resort=True)
        locale = self.locale
        self.messages.info(
            self.tr("{}: {} in {} objects").format(
                _path(key), data_size(locale, totals.bytes), locale.toString(totals.objects)
            )
        )

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        self.messages.minor(error)

    @Slot()
    def _on_finished(self) -> None:
        key = self._sender_key()
        if key is not None:
            del self.jobs[key]
            size = self.model.folder_sizes.get(key)
            if size is not None and size.counting:  # failed: no size rather than a wrong one
                del self.model.folder_sizes[key]
                self.model.folder_sizes_changed()
        self._update_status()

    @Slot(str)
    def _on_connection_removed(self, connection_id: str) -> None:
        for key in [k for k in self.jobs if k[0] == connection_id]:
            self._cancel(key)
        self.model.forget_sizes(connection_id, "", "")
        self._update_status()

    # ── display ─────────────────────────────────────────────────────────────────────────

    def _update_status(self) -> None:
        busy = bool(self.jobs)
        self.label.setVisible(busy)
        self.stop_button.setVisible(busy)
        self.stop_action.setEnabled(busy)
        if not busy:
            return
        locale = self.locale
        sizes = [self.model.folder_sizes.get(k) for k in self.jobs]
        objects = sum(s.objects for s in sizes if s is not None)
        size = sum(s.bytes for s in sizes if s is not None)
        what = (
            _path(next(iter(self.jobs)))
            if len(self.jobs) == 1
            else self.tr("{} folders").format(len(self.jobs))
        )
        self.label.setText(
            self.tr("Counting {}: {} objects, {}…").format(
                what, locale.toString(objects), data_size(locale, size)
            )
            if objects
            else self.tr("Counting {}…").format(what)
        )

    def _context_menu(self, menu: QMenu, entries: list[Entry]) -> bool:
        current = self.browsing.current
        if current is None:
            return False
        if any(e.is_prefix for e in entries):
            menu.addAction(self.calculate_action)
        elif not entries and not current.is_connection_root:
            menu.addAction(self.calculate_action)  # no selection: this folder
        else:
            return False
        if self.jobs:
            menu.addAction(self.stop_action)
        return True


def _path(key: SizeKey) -> str:
    _connection_id, bucket, prefix = key
    return f"{bucket}/{prefix}"
