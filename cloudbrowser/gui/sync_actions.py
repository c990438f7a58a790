"""File › Synchronize… (and the context menus of a folder row and of a tree node): make a
cloud folder and a local folder hold the same files, in one direction.

On the engine's planner (``core/sync.py``, as the CLI's ``sync``): the comparison always
comes first, on a worker with its progress and Cancel, and the dialog shows its preview;
nothing is transferred or deleted before Synchronize. Then the transfers are one batch of
the Transfers panel (existing files are replaced without asking: the comparison decided),
and only once every transfer of that batch is done are the files the source does not have
deleted: objects through the engine's delete (``core/deletes.py``, batched where the
provider can) as an operation of the panel, local files into the system trash
(``QFile.moveToTrash``). A batch that failed or was cancelled deletes nothing, so a
synchronization never leaves fewer copies than there were. Once its last step has ended
(the deletes and their message, or the transfers where nothing is deleted; done, failed or
cancelled), ``syncFinished`` says so, once; a run whose queueing failed ends then, and one
still running when the window closes ends there (``stop``), each saying what was
transferred and what was not deleted.

The local folder is chosen with the platform's folder picker, and remembered per cloud
folder (QSettings ``sync/``) for the next time. The picker is an attribute
(``ask_folder``) so tests answer it without a modal dialog.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from PySide6.QtCore import QT_TRANSLATE_NOOP, QFile, QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import Cancelled, CloudBrowserError, LocalFileError
from cloudbrowser.core.folders import remove_emptied_folders
from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.keys import remote_uri
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.sync import DownloadSync, SyncPlan, plan_upload_sync
from cloudbrowser.core.transfer_plan import ConflictPolicy, Plan, PlannedTransfer
from cloudbrowser.core.transfers import Transfer
from cloudbrowser.gui.addresses import uri_scheme
from cloudbrowser.gui.dialogs.sync import SyncDialog
from cloudbrowser.gui.file_operations import FileOperations
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.settings import open_settings
from cloudbrowser.gui.transfer_controller import TransferController
from cloudbrowser.gui.window_parts import Browsing, WindowMenus
from cloudbrowser.gui.workers import Job

if TYPE_CHECKING:  # a type only: a backend package loads its SDK (see gui/service.py)
    from cloudbrowser.core.storage import Storage

log = logging.getLogger(__name__)

#: The QSettings group of the local folder last synchronized with each cloud folder.
SETTINGS_GROUP = "sync"


class NothingInSource(CloudBrowserError):
    """The source of a synchronization with deletes holds no file: refused, as a typo
    (or an unmounted disk) must never empty the other side."""

    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Nothing to synchronize from"))


class LocalDeleteFailures(CloudBrowserError):
    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Some files were not moved to the trash"))


@dataclass(eq=False)
class _Sync:
    """One synchronization: its two sides, its choices and, once compared, its plan."""

    location: Location
    cloud: str
    dialog: SyncDialog
    local: Path | None = None
    direction: Direction = Direction.UPLOAD
    delete: bool = False
    plan: SyncPlan | None = None
    job: Job | None = None
    #: Once Synchronize was pressed: the batch of its transfers ("" where none is
    #: queued), whether its deletes have begun, and whether it has ended (syncFinished).
    batch: str = ""
    deleting: bool = False
    ended: bool = False


class SyncActions(QObject):
    """Synchronize… of a main window: its action, its menu items and its runs.

    Signals:
        syncFinished(object): the ``Location`` of a synchronization that ran (Synchronize
            was pressed) and has ended, every step of it: emitted once per run, whether
            it was done, failed or was cancelled.
    """

    syncFinished = Signal(object)

    def __init__(
        self,
        file_ops: FileOperations,
        service: StorageService,
        messages: MessageSink,
        transfers: TransferController,
        browsing: Browsing,
        menus: WindowMenus,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.file_ops = file_ops
        self.service = service
        self.messages = messages
        self.transfers = transfers
        self.browsing = browsing
        self.parent_widget = parent
        # Ctrl+S, as WinSCP's Synchronize: the window has nothing else to save.
        self.action = menus.new_action(
            self.tr("Synchronize…"), None, [QKeySequence("Ctrl+S")], self.synchronize_shown
        )
        self._place_in_file_menu(menus)
        menus.context_sections.append(self._context_section)
        menus.tree_sections.append(self._tree_section)
        #: (title, folder to start in) → the local folder chosen, or None.
        self.ask_folder: Callable[[str, Path | None], Path | None] = self._ask_folder
        #: The synchronization whose dialog is open (for tests).
        self.current: _Sync | None = None
        #: Synchronizations that run (Synchronize was pressed) and have not ended. One
        #: whose batch runs has that ``batch`` and is not ``deleting`` yet.
        self._runs: list[_Sync] = []
        transfers.batchFinished.connect(self._on_batch_finished)

    def _place_in_file_menu(self, menus: WindowMenus) -> None:
        """After Download to… (the transfers' group of the File menu)."""
        actions = menus.file.actions()
        start = actions.index(menus.download) if menus.download in actions else 0
        after = next((a for a in actions[start:] if a.isSeparator()), None)
        if after is None:
            menus.file.addAction(self.action)
        else:
            menus.file.insertAction(after, self.action)

    # ── where it is offered ─────────────────────────────────────────────────────────────

    def _context_section(self, menu: QMenu, entries: list[Entry]) -> bool:
        current = self.browsing.current
        if current is None or type(current) is not Location:
            return False  # search results: their folder rows are not shown
        # A folder row, or a bucket's row in the connection's bucket list.
        if len(entries) != 1 or not entries[0].is_prefix:
            return False
        if self.browsing.list_model.is_deleted(entries[0].key):
            return False
        folder = current.child(entries[0].key)
        menu.addAction(self.tr("Synchronize…"), partial(self.synchronize, folder))
        return True

    def _tree_section(self, menu: QMenu, location: Location) -> bool:
        if location.is_connection_root:
            return False
        menu.addAction(self.tr("Synchronize…"), partial(self.synchronize, location))
        return True

    def synchronize_shown(self) -> None:
        """File › Synchronize…: the folder shown."""
        current = self.browsing.current
        if current is None or current.is_connection_root or type(current) is not Location:
            self.messages.info(
                self.tr("Open a bucket or folder to synchronize it with a local folder.")
            )
            return
        self.synchronize(current)

    # ── the dialog ──────────────────────────────────────────────────────────────────────

    def synchronize(self, location: Location) -> None:
        """Ask for the local folder (the one remembered for ``location`` is offered), then
        open the dialog for ``location`` and it."""
        if self.current is not None:
            self.current.dialog.raise_()
            self.current.dialog.activateWindow()
            return
        scheme = uri_scheme(self.service, location.connection) or "s3"
        cloud = remote_uri(scheme, location.bucket, location.prefix)
        local = self._remembered(location)
        if local is None:
            local = self.ask_folder(self._picker_title(cloud), None)
            if local is None:
                return
        dialog = SyncDialog(cloud, local, self.parent_widget, connection=location.connection)
        dialog.set_choices(*self._remembered_choices(location))
        sync = _Sync(location, cloud, dialog, local)
        self.current = sync
        dialog.chooseFolder.connect(partial(self._choose_folder, sync))
        dialog.compare.connect(partial(self._compare, sync))
        dialog.cancelCompare.connect(partial(self._cancel_compare, sync))
        dialog.synchronize.connect(partial(self._run, sync))
        dialog.finished.connect(partial(self._closed, sync))
        dialog.open()

    def _choose_folder(self, sync: _Sync) -> None:
        chosen = self.ask_folder(self._picker_title(sync.cloud), sync.dialog.local)
        if chosen is not None:
            sync.dialog.set_local(chosen)

    def _picker_title(self, cloud: str) -> str:
        return self.tr("Choose the local folder to synchronize with {cloud}").format(cloud=cloud)

    def _closed(self, sync: _Sync, _result: int) -> None:
        if sync.job is not None:
            sync.job.cancel()
        if self.current is sync:
            self.current = None
        sync.dialog.deleteLater()

    def _remembered(self, location: Location) -> Path | None:
        value = open_settings().value(_settings_key(location))
        if not value:
            return None
        path = Path(str(value))
        # A stat of one folder: a removed disk or folder asks again instead.
        return path if path.is_dir() else None

    def _remember(
        self, location: Location, local: Path, direction: Direction, checksum: bool
    ) -> None:
        """The local folder and the choices of a comparison that ran (never the delete:
        it is ticked each time, on purpose)."""
        settings = open_settings()
        settings.setValue(_settings_key(location), str(local))
        choices = f"{direction.value} {'checksum' if checksum else 'size-time'}"
        settings.setValue(_settings_key(location, "choices"), choices)

    def _remembered_choices(self, location: Location) -> tuple[Direction, bool]:
        """The direction and comparison last used for ``location`` (default: upload, by
        size and time)."""
        value = str(open_settings().value(_settings_key(location, "choices")) or "")
        direction, _, compare = value.partition(" ")
        down = direction == Direction.DOWNLOAD.value
        return (Direction.DOWNLOAD if down else Direction.UPLOAD), compare == "checksum"

    def _ask_folder(self, title: str, start: Path | None) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(
            self.parent_widget, title, str(start) if start else str(Path.home())
        )
        return Path(chosen) if chosen else None

    # ── comparing ───────────────────────────────────────────────────────────────────────

    def _compare(self, sync: _Sync) -> None:
        dialog = sync.dialog
        local = dialog.local
        assert local is not None  # Compare is enabled only with a folder chosen
        sync.local, sync.direction, sync.delete = local, dialog.direction, dialog.delete
        sync.plan = None
        location, checksum = sync.location, dialog.checksum
        try:
            storage = self.service.storage(location.connection)
        except CloudBrowserError as error:
            dialog.show_error(f"{error.message} {error.hint}".strip())
            return
        cloud = sync.cloud
        up, delete = sync.direction is Direction.UPLOAD, sync.delete
        connection, bucket, prefix = location.connection, location.bucket, location.prefix

        def work(job: Job) -> SyncPlan:
            if up:
                if not local.is_dir():
                    raise LocalFileError(
                        self.tr("“{local}” is not a folder.").format(local=local),
                        hint=self.tr("Choose the local folder again."),
                    )
                plan = plan_upload_sync(
                    storage, connection, local, bucket, prefix, checksum=checksum,
                    delete=delete, cancel=job.cancel_event, progress=job.report,
                )  # fmt: skip
                found = len(plan.transfers) + plan.unchanged + len(plan.skipped)
            else:
                plan, found = _compare_down(
                    storage, connection, bucket, prefix, local, checksum, delete, job
                )
            if delete and not found:
                source, target = (local, cloud) if up else (cloud, local)
                raise NothingInSource(
                    self.tr(
                        "“{source}” holds no files: synchronizing it with “Delete files that "
                        "are not in the source” would empty “{target}”."
                    ).format(source=source, target=target),
                    hint=self.tr(
                        "Check the folder; nothing was changed. To empty “{target}”, "
                        "delete its files instead."
                    ).format(target=target),
                )
            return plan

        def compared(plan: SyncPlan) -> None:
            sync.plan = plan
            self._remember(location, local, sync.direction, checksum)
            dialog.show_plan(plan)

        def failed(error: CloudBrowserError) -> None:
            dialog.show_error(f"{error.message} {error.hint}".strip())

        def finished() -> None:
            if sync.job is job:
                sync.job = None

        job = self.service.run(
            work,
            f"Comparing {cloud} with {local}",
            progress=dialog.show_progress,
            succeeded=compared,
            failed=failed,
            finished=finished,
        )
        sync.job = job

    def _cancel_compare(self, sync: _Sync) -> None:
        if sync.job is not None:
            sync.job.cancel()
            sync.job = None
        self.messages.info(self.tr("Comparison cancelled; nothing was changed."))

    # ── running ─────────────────────────────────────────────────────────────────────────

    def _run(self, sync: _Sync) -> None:
        """Synchronize: the transfers, then (_delete) the deletes, then (_finished) the end.
        Each step hands on to the next whatever its outcome, and the window's close ends
        what still runs (stop), so every run ends once."""
        plan = sync.plan
        if plan is None or sync in self._runs:
            return
        sync.dialog.accept()
        self._runs.append(sync)
        try:
            self._transfer(sync, plan)
        except CloudBrowserError as error:  # the journal could not be opened, …
            self.messages.major(error)
            self._finished(sync, self._not_queued_text(sync))
        except Exception:
            self._finished(sync, self._not_queued_text(sync))
            raise  # a bug: the excepthook reports it

    def _transfer(self, sync: _Sync, plan: SyncPlan) -> None:
        if not plan.transfers and not plan.empty_folders:
            # A download's empty folders alone, made here and now; then the deletes.
            if plan.folders:
                self.transfers.queue_planned(
                    Plan(folders=plan.folders),
                    batch="",
                    policy=ConflictPolicy.OVERWRITE,
                    queued=partial(self._delete, sync),
                )
            else:
                self._delete(sync)
            return
        # Files, or empty local folders made in the cloud as an upload makes them: a batch
        # (one of empty folders alone ends with none of its transfers), then the deletes.
        batch = uuid.uuid4().hex
        sync.batch = batch
        # The comparison decided what to replace: nothing is asked, nothing skipped.
        self.transfers.queue_planned(
            Plan(
                items=[PlannedTransfer(r) for r in plan.transfers],
                folders=plan.folders,
                empty_folders=plan.empty_folders,
            ),
            batch=batch,
            policy=ConflictPolicy.OVERWRITE,
            queued=partial(self._queued, sync),
        )

    def _queued(self, sync: _Sync) -> None:
        """Its queueing ended. A batch that is not watched now was not queued (the failure
        was said): it never finishes, so the synchronization ends here. (One that ended
        already, or whose queueing failed after a part of it was queued, is watched.)"""
        if sync.ended or sync.deleting:
            return  # its batch ended already (the run went on to its deletes, or ended)
        if not self.transfers.watches(sync.batch):
            self._finished(sync, self._not_queued_text(sync))

    def _batch_of(self, batch: str) -> _Sync | None:
        """The synchronization whose ``batch`` runs: it has not ended (it is among the
        runs) and has not gone on to its deletes (the batch's end starts them or ends
        the run, at once)."""
        return next((s for s in self._runs if s.batch == batch and not s.deleting), None)

    def _on_batch_finished(self, batch: str, transfers: list[Transfer]) -> None:
        sync = self._batch_of(batch) if batch else None
        if sync is None:
            return
        plan = sync.plan
        assert plan is not None  # only a compared synchronization runs
        # The batch is the plan's transfers: fewer were queued where a part of its queueing
        # failed (or were cleared from the panel once finished: not counted as done here).
        done = sum(t.state is State.DONE for t in transfers)
        if done < len(plan.transfers):
            self._finished(sync, self._incomplete_text(sync, done))
            return
        self._delete(sync)

    def _delete(self, sync: _Sync) -> None:
        """What the source does not have, once everything it has arrived: an upload's
        objects, then a download's local files (_trash: a plan deletes on one side)."""
        if sync.ended:
            return  # the window closed meanwhile
        plan = sync.plan
        assert plan is not None
        location = sync.location
        if not plan.delete_keys:
            self._trash(sync)
            return
        try:
            storage = self.service.storage(location.connection)
        except CloudBrowserError as error:  # closed meanwhile: nothing deleted
            self.messages.major(error)
            self._finished(
                sync,
                self.tr("Synchronize {cloud}: every file was transferred; nothing was deleted.")
                .format(cloud=sync.cloud),
            )  # fmt: skip
            return
        n = len(plan.delete_keys)
        operation = Operation(
            storage,
            OpKind.DELETE,
            location.bucket,
            [OpItem(key) for key in plan.delete_keys],
            title=self.tr("Synchronize {cloud}: delete %Ln object(s)", None, n).format(
                cloud=sync.cloud
            ),
        )
        sync.deleting = True
        self.file_ops.start(operation, [location], finished=partial(self._trash, sync))

    def _finished(self, sync: _Sync, said: str = "") -> None:
        """The one end of a synchronization that ran: every step of it has ended (or the
        window closed). ``said``: what happened, where no step before said it."""
        if sync.ended:
            return
        sync.ended = True
        if sync in self._runs:
            self._runs.remove(sync)
        if said:
            log.info("%s", said)
            self.messages.info(said)
        self.syncFinished.emit(sync.location)

    def stop(self) -> None:
        """The window closes: each synchronization still running ends now, saying where it
        stopped. Its queued transfers continue at the next start (journalled); its deletes
        never run (a later synchronization compares again)."""
        for sync in list(self._runs):
            self._finished(sync, self._stopped_text(sync))

    # ── what a run that did not complete says ───────────────────────────────────────────

    def _done_of_batch(self, sync: _Sync) -> int:
        if not sync.batch:
            return 0
        return sum(t.state is State.DONE for t in self.transfers.queue.of_batch(sync.batch))

    def _not_queued_text(self, sync: _Sync) -> str:
        return self.tr(
            "Synchronize {cloud}: its transfers could not be queued; nothing was transferred "
            "or deleted."
        ).format(cloud=sync.cloud)

    def _incomplete_text(self, sync: _Sync, done: int) -> str:
        plan = sync.plan
        assert plan is not None
        said = self.tr(
            "Synchronize {cloud}: {done} of %Ln file(s) transferred.", None, len(plan.transfers)
        ).format(cloud=sync.cloud, done=done)
        if _deletes(plan):
            said += " " + self.tr(
                "Nothing was deleted, because not every file was transferred: "
                "synchronize again once the failed transfers are done."
            )
        return said

    def _stopped_text(self, sync: _Sync) -> str:
        plan = sync.plan
        assert plan is not None
        if sync.deleting:
            return self.tr(
                "Synchronize {cloud} stopped when the window closed, while deleting: what "
                "was not deleted yet is still there."
            ).format(cloud=sync.cloud)
        said = self.tr("Synchronize {cloud} stopped when the window closed.").format(
            cloud=sync.cloud
        )
        if plan.transfers:
            said += " " + self.tr(
                "{done} of %Ln file(s) transferred; the rest continue the next time "
                "cloudbrowser starts.",
                None,
                len(plan.transfers),
            ).format(done=self._done_of_batch(sync))
        if _deletes(plan):
            said += " " + self.tr("Nothing was deleted.")
        return said

    def _trash(self, sync: _Sync) -> None:
        """Move local files to the system trash, then remove the folders that left empty
        (an empty folder holds nothing to restore), on a worker (many files are disk
        I/O); then the synchronization has ended."""
        if sync.ended:
            return  # the window closed while its objects were deleted
        plan = sync.plan
        assert plan is not None
        if not (plan.delete_files or plan.delete_folders):
            self._finished(sync)
            return
        sync.deleting = True
        files, emptied = list(plan.delete_files), list(plan.delete_folders)
        why_not = self.tr("The system trash refused it (or there is none here); it was kept.")
        closed = self.tr("The window closed.")

        def work(job: Job) -> _Trashed:
            trashed = _Trashed()
            for path in files:
                if job.cancelled:  # the window closes: the rest is kept
                    raise Cancelled(closed)
                if not path.exists() and not path.is_symlink():
                    continue  # gone meanwhile: what a delete wanted
                if QFile(str(path)).moveToTrash():
                    trashed.moved += 1
                else:
                    trashed.failed.append((path, why_not))
            removed, trashed.folders_kept = remove_emptied_folders(emptied)
            trashed.folders_removed = len(removed)
            return trashed

        def done(trashed: _Trashed) -> None:
            if trashed.failed:
                self.messages.major(
                    LocalDeleteFailures(
                        self.tr(
                            "%Ln file(s) could not be moved to the trash.",
                            None,
                            len(trashed.failed),
                        ),
                        hint=self.tr("The details name each file and why; they are still there."),
                        detail="\n".join(f"{path}: {why}" for path, why in trashed.failed),
                    )
                )
            elif trashed.folders_kept:
                kept = trashed.folders_kept
                self.messages.major(
                    LocalDeleteFailures(
                        self.tr("%Ln empty folder(s) could not be removed.", None, len(kept)),
                        hint=self.tr("The details name each folder and why; they are still there."),
                        detail="\n".join(f"{path}: {why}" for path, why in kept),
                    )
                )
            else:
                said = []
                if trashed.moved or not trashed.folders_removed:
                    said.append(self.tr("Moved %Ln file(s) to the trash.", None, trashed.moved))
                if trashed.folders_removed:
                    said.append(
                        self.tr(
                            "Removed %Ln empty folder(s) gone from the cloud.",
                            None,
                            trashed.folders_removed,
                        )
                    )
                self.messages.info(" ".join(said))

        self.service.run(
            work,
            "Moving files to the trash",
            succeeded=done,
            failed=self.messages.major,
            finished=partial(self._finished, sync),
        )


@dataclass
class _Trashed:
    """What a download sync's deletes did (its worker's result)."""

    moved: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    folders_removed: int = 0
    folders_kept: list[tuple[Path, str]] = field(default_factory=list)


def _compare_down(
    storage: Storage,
    connection: str,
    bucket: str,
    prefix: str,
    local: Path,
    checksum: bool,
    delete: bool,
    job: Job,
) -> tuple[SyncPlan, int]:
    """The whole download plan (the preview needs it all before anything runs), and how
    many objects the prefix holds."""
    sync = DownloadSync(
        storage, connection, bucket, prefix, local, checksum=checksum,
        cancel=job.cancel_event, progress=job.report,
    )  # fmt: skip
    plan = SyncPlan()
    found = 0
    for page in sync.pages():
        plan.transfers += page.transfers
        plan.refused += page.refused
        plan.folders += page.folders
        plan.replacing |= page.replacing
        found += len(page.transfers) + page.unchanged
    plan.unchanged = sync.unchanged
    if delete:
        plan.delete_files = sync.orphans(plan.refused)
        plan.delete_folders = sync.emptied_folders(plan.delete_files)
    return plan, found


def _deletes(plan: SyncPlan) -> bool:
    """Whether ``plan`` deletes anything once its transfers are done."""
    return bool(plan.delete_keys or plan.delete_files or plan.delete_folders)


def _settings_key(location: Location, what: str = "folder") -> str:
    """One QSettings key per cloud folder and ``what`` ("/" and "\\" in the folder's name
    would make groups of it)."""
    where = quote(f"{location.connection}\n{location.bucket}\n{location.prefix}", safe="")
    return f"{SETTINGS_GROUP}/{what}/{where}"
