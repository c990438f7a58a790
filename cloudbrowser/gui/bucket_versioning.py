"""Versioning… of a bucket (its row's context menu in the tree and in a connection's
bucket list): turn the bucket's versioning on, or off, as Cyberduck's and S3 Browser's
bucket settings do.

Its state is read on a worker first, so the question says what it is now ("on",
"suspended", "off") and what the change does: on, every overwrite and delete keeps the
old version (billed as storage until deleted); off, versions kept so far stay and new
writes replace the current one. S3 suspends (it never turns versioning off once it was
on), GCS turns it off. Azure has no switch for a container: its storage account keeps
versions or not, and the message says where that is set (``Features.versioning_elsewhere``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.printable import printable
from cloudbrowser.gui.file_operations import FileOperations
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.window_parts import Browsing, WindowMenus
from cloudbrowser.gui.workers import Job

if TYPE_CHECKING:  # types only: a backend package loads its SDK (see gui/service.py)
    from cloudbrowser.core.storage import Storage


class BucketVersioning(QObject):
    """Versioning… of a main window's buckets."""

    def __init__(
        self,
        file_ops: FileOperations,
        service: StorageService,
        messages: MessageSink,
        browsing: Browsing,
        menus: WindowMenus,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.messages = messages
        self.browsing = browsing
        #: (title, question, button) → whether the user agreed: the window's question box,
        #: an attribute so that tests answer it.
        self.confirm: Callable[[str, str, str], bool] = file_ops.confirm
        menus.context_sections.append(self._context_section)
        menus.tree_sections.append(self._tree_section)
        # File, Versioning… of the bucket shown, after Delete bucket (as a menu, not only
        # a right-click, so that it can be found).
        self.action = menus.new_action(self.tr("Versioning…"), None, [], self._show_current)
        actions = menus.file.actions()
        follows = actions.index(file_ops.delete_bucket_action) + 1
        if follows < len(actions):
            menus.file.insertAction(actions[follows], self.action)
        else:
            menus.file.addAction(self.action)
        menus.file.aboutToShow.connect(self._offer)
        #: The last read or switch (for tests).
        self.job: Job | None = None

    # ── where it is offered ─────────────────────────────────────────────────────────────

    def _tree_section(self, menu: QMenu, location: Location) -> bool:
        if location.is_connection_root or location.prefix:
            return False
        menu.addAction(self.tr("Versioning…"), partial(self.show, location))
        return True

    def _context_section(self, menu: QMenu, entries: list[Entry]) -> bool:
        current = self.browsing.current
        # A bucket's row in a connection's bucket list.
        if current is None or type(current) is not Location or not current.is_connection_root:
            return False
        if len(entries) != 1 or not entries[0].is_prefix:
            return False
        bucket = Location(current.connection, entries[0].key.rstrip("/"))
        menu.addAction(self.tr("Versioning…"), partial(self.show, bucket))
        return True

    def _current_bucket(self) -> Location | None:
        current = self.browsing.current
        if not isinstance(current, Location) or current.is_connection_root:
            return None
        return Location(current.connection, current.bucket)

    def _offer(self) -> None:
        self.action.setEnabled(self._current_bucket() is not None)

    def _show_current(self) -> None:
        bucket = self._current_bucket()
        if bucket is not None:
            self.show(bucket)

    # ── reading, asking, switching ──────────────────────────────────────────────────────

    def show(self, location: Location) -> Job:
        """Read the bucket's versioning, then ask whether to switch it."""
        storage = self.service.storage(location.connection)
        bucket = location.bucket

        def read(_job: Job) -> str:
            from cloudbrowser.core.storage import versioning_switch_of, versions_of

            versioning_switch_of(storage)  # a provider without the switch says where it is
            return versions_of(storage).bucket_versioning(bucket)

        self.job = self.service.run(
            read,
            f"Reading the versioning of {bucket}",
            succeeded=partial(self._ask, storage, location),
            failed=self.messages.major,
        )
        return self.job

    def _ask(self, storage: Storage, location: Location, state: str) -> None:
        bucket = printable(location.bucket)  # a server may list any name: never a line break
        title = self.tr("Versioning of “{bucket}”").format(bucket=bucket)
        if state == "Enabled":
            text = self.tr(
                "Versioning of “{bucket}” is on: every overwrite and delete keeps the old "
                "version.\n\nTurn it off? The versions kept so far stay (and are still "
                "stored and billed) until you delete them; new writes then replace the "
                "current version."
            ).format(bucket=bucket)
            button, on = self.tr("Turn off versioning"), False
        else:
            now = (
                self.tr("Versioning of “{bucket}” is suspended.")
                if state == "Suspended"
                else self.tr("Versioning of “{bucket}” is off.")
            ).format(bucket=bucket)
            text = (
                now
                + "\n\n"
                + self.tr(
                    "Turn it on? Every overwrite and delete will then keep the old version, "
                    "stored and billed until you delete it (Versions…, Show deleted). Turning it "
                    "off later keeps the versions already kept."
                )
            )
            button, on = self.tr("Turn on versioning"), True
        if self.confirm(title, text, button):
            self._switch(storage, location, on)

    def _switch(self, storage: Storage, location: Location, on: bool) -> None:
        bucket = location.bucket

        def switch(_job: Job) -> str:
            from cloudbrowser.core.storage import versioning_switch_of, versions_of

            versioning_switch_of(storage).set_bucket_versioning(bucket, on)
            return versions_of(storage).bucket_versioning(bucket)

        self.job = self.service.run(
            switch,
            f"Turning versioning of {bucket} {'on' if on else 'off'}",
            succeeded=partial(self._switched, bucket),
            failed=self.messages.major,
        )

    def _switched(self, bucket: str, state: str) -> None:
        if state == "Enabled":
            text = self.tr("Versioning of “{bucket}” is on.")
        elif state == "Suspended":
            text = self.tr("Versioning of “{bucket}” is suspended: the versions kept stay.")
        else:
            text = self.tr("Versioning of “{bucket}” is off: the versions kept stay.")
        self.messages.info(text.format(bucket=bucket))
