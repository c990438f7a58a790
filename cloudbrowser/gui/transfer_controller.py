"""TransferController: the GUI side of transfers (plan on a worker, ask, queue, watch, report).

It owns the core :class:`~cloudbrowser.core.transfers.TransferQueue` and its journal, and
the :class:`TransferListModel` the panel shows. Planning (walking dropped folders, listing
prefixes, checking what exists) runs as a job on the service's pool; conflicts are asked
on the GUI thread with everything already known; the queue's own threads move the bytes.
A 10 Hz timer pulls what changed and runs only while something is queued or running.

Signals:
    activityChanged(object): an ``Activity`` snapshot after each poll (overall progress).
    batchFinished(str, object): a batch that has ended: its id and its list of ``Transfer``
        (empty for a batch of empty folders alone, or whose finished transfers were
        cleared before it was seen to end).
    foldersMade(object): the list of ``EmptyFolder`` an upload made in the cloud.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractEventDispatcher,
    QCoreApplication,
    QLocale,
    QObject,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from cloudbrowser.core import give_way
from cloudbrowser.core.details import Version
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import CloudBrowserError, CreatedMeanwhile
from cloudbrowser.core.folders import MadeFolders, make_folders, make_local_folders
from cloudbrowser.core.journal import (
    JOURNAL_FILE,
    Direction,
    Journal,
    JournalBusy,
    JournalTooNew,
    State,
)
from cloudbrowser.core.transfer_plan import (
    ConflictPolicy,
    Plan,
    PlannedTransfer,
    plan_downloads,
    plan_uploads,
    plan_version_download,
)
from cloudbrowser.core.transfers import (
    Activity,
    BatchSummary,
    Transfer,
    TransferQueue,
    TransferRequest,
)
from cloudbrowser.gui.addresses import uri_scheme
from cloudbrowser.gui.drag_out import RemoteFilesMime, new_staging_folder
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.models.transfer_list import TransferListModel
from cloudbrowser.gui.natural_sort import name_key
from cloudbrowser.gui.object_clipboard import ObjectSelection
from cloudbrowser.gui.open_file import open_downloaded
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.transfer_settings import TransferSettings
from cloudbrowser.gui.workers import Job

log = logging.getLogger(__name__)

POLL_MS = 100
#: Rows a batch puts in the transfer list per turn of the event loop (~3 ms of Python).
ROWS_PER_TURN = 500
#: Changed transfers whose rows are refreshed per turn of the event loop (~3 ms of
#: Python): the first poll after a drop sees every file of it changed.
CHANGES_PER_TURN = 500

#: Asks what to do about one conflict: (choice, apply to all the rest), or None to cancel.
ConflictAsker = Callable[[PlannedTransfer, int], tuple[ConflictPolicy, bool] | None]


class TransferFailures(CloudBrowserError):
    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Some transfers failed"))


class FoldersNotMade(CloudBrowserError):
    """Empty folders of an upload that the cloud does not have (the files went)."""

    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Empty folders not made"))


#: A batch's report by direction (one whole sentence each, for the translators).
#: Plural forms by %Ln, the count passed where they are translated.
_FAILED = {
    Direction.UPLOAD: QT_TRANSLATE_NOOP(
        "TransferController", "{failed} of %Ln file(s) could not be uploaded."
    ),
    Direction.DOWNLOAD: QT_TRANSLATE_NOOP(
        "TransferController", "{failed} of %Ln file(s) could not be downloaded."
    ),
    None: QT_TRANSLATE_NOOP(
        "TransferController", "{failed} of %Ln file(s) could not be transferred."
    ),
}
_DONE = {
    Direction.UPLOAD: QT_TRANSLATE_NOOP("TransferController", "Uploaded %Ln file(s) ({size})"),
    Direction.DOWNLOAD: QT_TRANSLATE_NOOP("TransferController", "Downloaded %Ln file(s) ({size})"),
    None: QT_TRANSLATE_NOOP("TransferController", "Transferred %Ln file(s) ({size})"),
}


class TransferController(QObject):
    activityChanged = Signal(object)
    batchFinished = Signal(str, object)
    foldersMade = Signal(object)

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        window: QWidget,
        *,
        journal: Journal | None = None,
    ) -> None:
        super().__init__(window)
        self.service = service
        self.messages = messages
        self.window = window
        self.settings = TransferSettings.load()
        #: A newer cloudbrowser's journal, left alone (said at restore()), and the folder of
        #: the journal this window uses meanwhile.
        self._refused: JournalTooNew | None = None
        self._scratch: Path | None = None
        self._journal = journal
        self._queue: TransferQueue | None = None
        self.model = TransferListModel(self)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        #: Batches whose files open when downloaded (double-click), and what was opened.
        self._open_batches: set[str] = set()
        #: Batches whose caller says what these failures mean itself (not "retry them").
        self._handled: dict[str, tuple[type[CloudBrowserError], ...]] = {}
        self._opened: set[int] = set()
        self._batches: set[str] = set()
        #: Ids of transfers whose rows are still to be put in the list, a turn at a time.
        self._unshown: set[int] = set()
        #: Changed transfers whose rows are still to be refreshed, a turn at a time, by id
        #: in the order they changed (each is refreshed once, as it is by then).
        self._unrefreshed: dict[int, Transfer] = {}
        #: Whether a turn of them is posted (one at a time).
        self._refresh_posted = False
        #: Files each batch left out on purpose (downloads in progress), said at its end.
        self._left_out: dict[str, int] = {}
        #: Empty folders each batch made in the cloud, said at its end.
        self._folders_made: dict[str, int] = {}
        self._waiting_for_connection: dict[str, list[int]] = {}
        #: Replaced in tests; the defaults talk to the desktop and the user.
        self.opener: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.ask_conflict: ConflictAsker = self._ask_with_dialog
        service.connectionAdded.connect(self._on_connection_added)

    @property
    def queue(self) -> TransferQueue:
        """The transfer queue and its journal, opened on first use: after the window's first
        paint (``restore()`` is the first), not in the way of the first frame."""
        if self._queue is None:
            journal = self._journal or self._open_journal()
            self._queue = TransferQueue(
                self.service.connections.storage, journal, self.settings.options()
            )
        return self._queue

    # ── settings ────────────────────────────────────────────────────────────────────────

    def apply_settings(self, settings: TransferSettings) -> None:
        settings.save()
        self.settings = settings
        self.queue.set_options(settings.options())

    # ── starting transfers ──────────────────────────────────────────────────────────────

    def upload(
        self,
        connection_id: str,
        bucket: str,
        prefix: str,
        paths: Sequence[Path],
        *,
        name: str = "",
        policy: ConflictPolicy | None = None,
        if_match: str = "",
        create_only: bool = False,
        handled: tuple[type[CloudBrowserError], ...] = (),
        batch: str = "",
        queued: Callable[[], object] | None = None,
    ) -> Job:
        """Upload files and folders into ``bucket/prefix``: planned on a worker, then queued.

        ``name``: the object's name for a single file (default: its own). ``policy``: what
        to do with objects already there, without asking (default: the user's setting;
        an edited file goes back over the object it came from, gui/edit_files.py), and
        ``if_match`` only over that revision of it (``TransferRequest.if_match``),
        ``create_only`` only where none has the name (``TransferRequest.create_only``).
        ``handled``: failures of these kinds the caller tells the user about itself
        (Edit asks what to do with a refused upload), so the batch's report leaves them
        out.
        ``queued`` is called once the plan is queued, or failed."""
        storage = self.service.storage(connection_id)
        sources = list(paths)
        if handled and batch:
            self._handled[batch] = handled

        def work(job: Job) -> Plan:
            return plan_uploads(
                storage,
                connection_id,
                sources,
                bucket,
                prefix,
                job.cancel_event,
                name=name,
                if_match=if_match,
                create_only=create_only,
            )

        def planned(plan: Plan) -> None:
            self._queue_plan(plan, open_after=False, batch=batch, queued=queued, policy=policy)

        def failed(error: CloudBrowserError) -> None:
            self.messages.major(error)
            if queued is not None:
                queued()

        self.messages.info(self.tr("Preparing the upload of %Ln item(s)…", None, len(sources)))
        return self.service.run(
            work, f"Preparing the upload to {bucket}/{prefix}", succeeded=planned, failed=failed
        )

    def download(
        self,
        connection_id: str,
        bucket: str,
        base_prefix: str,
        entries: Sequence[Entry],
        destination: Path | None = None,
        *,
        open_after: bool = False,
        batch: str = "",
        queued: Callable[[], object] | None = None,
    ) -> Job:
        """Download objects and folders below ``base_prefix`` into ``destination``
        (default: the download folder), keeping their structure. ``queued`` is called once
        the plan is queued, or failed."""
        storage = self.service.storage(connection_id)
        target = destination or self.settings.download_path
        chosen = list(entries)

        def work(job: Job) -> Plan:
            return plan_downloads(
                storage, connection_id, bucket, chosen, base_prefix, target, job.cancel_event
            )

        def planned(plan: Plan) -> None:
            self._queue_plan(plan, open_after=open_after, batch=batch, queued=queued)

        def failed(error: CloudBrowserError) -> None:
            self.messages.major(error)
            if queued is not None:
                queued()

        return self.service.run(
            work,
            f"Preparing the download from {bucket}/{base_prefix}",
            succeeded=planned,
            failed=failed,
        )

    def download_version(
        self, connection_id: str, bucket: str, version: Version, target: Path
    ) -> Job:
        """Download one (older) version of an object to the file ``target``: journalled,
        resumable and verified like any download; a file already there is a conflict."""

        def work(_job: Job) -> Plan:  # a stat of the target: no disk I/O on the GUI thread
            return plan_version_download(connection_id, bucket, version, target)

        return self.service.run(
            work,
            f"Preparing the download of a version of {bucket}/{version.key}",
            succeeded=partial(self._queue_plan, open_after=False),
            failed=self.messages.major,
        )

    def start_drag_out(
        self, connection_id: str, bucket: str, base_prefix: str, entries: Sequence[Entry]
    ) -> RemoteFilesMime:
        """The data for dragging ``entries``: out of the window, their download starts with
        ``mime.start()`` (the view calls it when the drag leaves the window); inside it, the
        drop moves them on the server and nothing is downloaded."""
        folder = new_staging_folder()
        names = [e.name(base_prefix) for e in entries]
        selection = ObjectSelection(
            connection_id,
            bucket,
            base_prefix,
            tuple(entries),
            scheme=uri_scheme(self.service, connection_id),
        )

        def queued() -> None:
            mime.planned = True

        def start() -> None:
            self.download(
                connection_id, bucket, base_prefix, entries, folder, batch=mime.batch, queued=queued
            )

        mime = RemoteFilesMime(folder, names, self, selection=selection, start=start)
        return mime

    def end_drag_out(self, mime: RemoteFilesMime, dropped: bool) -> None:
        """A drag that was not dropped anywhere: stop its downloads."""
        if not dropped:
            self.cancel([t.id for t in self.queue.transfers() if t.batch == mime.batch])

    def queue_planned(
        self,
        plan: Plan,
        *,
        batch: str,
        policy: ConflictPolicy,
        queued: Callable[[], object] | None = None,
    ) -> None:
        """Queue a plan made elsewhere (a synchronization's) as the batch ``batch``, what
        exists settled by ``policy`` without asking; ``queued`` is called once it is
        queued (its empty folders made), or could not be."""
        self._queue_plan(plan, open_after=False, batch=batch, queued=queued, policy=policy)

    def _queue_plan(
        self,
        plan: Plan,
        *,
        open_after: bool,
        batch: str = "",
        queued: Callable[[], object] | None = None,
        policy: ConflictPolicy | None = None,
    ) -> None:
        """Report refused items, resolve conflicts (asking, unless ``policy`` says what to
        do), then queue on a worker:
        journalling 10,000 transfers is disk I/O the GUI thread must not wait for."""
        # Downloads whose key cannot be a local name as it is become failed rows (named in
        # the batch's report) that offer "Save as…"; the rest of what was refused is listed.
        renamable = list(plan.renamable)
        offered = {r.key for r, _ in renamable}
        left_out = [(name, why) for name, why in plan.refused if name not in offered]
        if left_out:
            self.messages.major(
                CloudBrowserError(
                    self.tr(
                        "%Ln item(s) cannot be transferred and were left out.", None, len(left_out)
                    ),
                    hint=self.tr("The details say which and why; everything else is transferred."),
                    detail="\n".join(f"{name}: {why}" for name, why in left_out),
                )
            )
        if plan.skipped:
            log.info("left out: %s", "; ".join(f"{name}: {why}" for name, why in plan.skipped))
        requests: list[TransferRequest] = []
        skipped: list[TransferRequest] = []
        #: Empty local folders of an upload, made in the cloud before its files.
        folders = list(plan.empty_folders)
        #: Already told the user why nothing is queued.
        explained = bool(left_out or plan.folders)
        if open_after and self._open_existing_copy(plan):
            explained = True
        else:
            resolved = self._resolve_conflicts(plan, policy)
            if resolved is None:
                self.messages.info(self.tr("Transfer cancelled; nothing was queued."))
                explained = True
                renamable = []
                folders = []
            else:
                requests, skipped = resolved
        made_here = self._make_local_folders(plan.folders)
        if not requests and not skipped and not renamable and not folders:
            if made_here:  # a download of empty folders only
                self.messages.info(self.tr("Made %Ln empty folder(s).", None, made_here))
            elif plan.skipped and not explained:
                self.messages.info(self._left_out_text(len(plan.skipped)))
            elif not explained:
                self.messages.info(self.tr("Nothing to transfer: the selection is empty."))
            if queued is not None:
                queued()
            return
        batch = batch or uuid.uuid4().hex
        if plan.skipped:
            self._left_out[batch] = len(plan.skipped)
        if open_after:
            self._open_batches.add(batch)

        exists = self.tr("the target already exists")

        # The queue is opened here, on the GUI thread, if nothing opened it yet: opened on
        # the worker while the GUI thread polls, each thread would make a queue of its own
        # and the batch would be added to one the window never looks at again.
        queue = self.queue

        storage_of = self.service.connections.storage

        def add(job: Job) -> tuple[list[Transfer], MadeFolders]:
            # Before the files: a server that keeps no empty folder is found by writing one
            # and taking it back (rclone serve s3: a file, deleted), never while a file of
            # the batch is being written beside it.
            made = make_folders(storage_of, folders, job.cancel_event)
            transfers = queue.add(requests, batch=batch)
            if skipped:
                queue.mark_skipped(skipped, exists, batch)
            if renamable:
                transfers += queue.mark_failed(renamable, batch)
            # Shown in natural order (file-2 before file-10); the queue keeps its own.
            # Sorted here: thousands of collation keys are a stall on the GUI thread.
            return sorted(transfers, key=lambda t: name_key(t.key)), made

        #: Whether ``added`` ran (the job's ``finished`` comes after it, if at all).
        delivered: list[bool] = []

        def added(result: tuple[list[Transfer], MadeFolders]) -> None:
            delivered.append(True)
            transfers, made = result
            self._batches.add(batch)
            self._add_rows(transfers, 0)
            size = data_size(QLocale(), sum(r.size for r in requests))
            self.messages.info(
                self.tr("Queued %Ln file(s), {size}.", None, len(requests)).format(size=size)
            )
            if made.made:
                self._folders_made[batch] = len(made.made)
                self.foldersMade.emit(made.made)
            self._report_folders(made)
            self._timer.start()
            # The first poll sees every new transfer as changed: in an event of its own, so
            # the window paints (and handles input) between it and the rows' insertion.
            QTimer.singleShot(0, self, self.poll)

        def done() -> None:
            if not delivered:
                # Failed (said) or cancelled after some of the batch was queued (a later
                # step's journal write failed, the window closed): what is queued runs, so
                # it is shown and watched like any batch, and its end is reported.
                self._watch_partial(batch)
            if queued is not None:
                queued()

        self.service.run(
            add, "Queueing transfers", succeeded=added, failed=self.messages.major, finished=done
        )

    def _watch_partial(self, batch: str) -> None:
        """Show and watch what of ``batch`` the queue holds although its queueing did not
        end (nothing, usually: the queue journals a request list all or nothing)."""
        members = self.queue.of_batch(batch)
        if not members:
            return
        log.warning(
            "batch %s: queueing failed after %d of its transfers were queued", batch, len(members)
        )
        self._batches.add(batch)
        self._add_rows(members, 0)  # in the queue's order: no sorting on this thread
        self._timer.start()
        QTimer.singleShot(0, self, self.poll)

    def watches(self, batch: str) -> bool:
        """Whether ``batch`` is queued and watched: its ``batchFinished`` is still to
        come."""
        return batch in self._batches

    def _add_rows(self, transfers: list[Transfer], start: int) -> None:
        """Put a batch's rows in the model ``ROWS_PER_TURN`` at a time, each turn in an
        event of its own, so that the window paints and answers in between: 20,000 rows
        at once held it 130 ms (measured). The batch's first files run already: each turn
        goes with the engine held, as a poll's repaint does. A transfer whose row comes
        later is shown as it is by then."""
        self._hold_engine()
        end = start + ROWS_PER_TURN
        turn = transfers[start:end]
        self.model.add(turn)
        if not start and end < len(transfers):
            # A poll meanwhile leaves these to their turns.
            self._unshown.update(t.id for t in transfers[end:])
        elif start:
            self._unshown.difference_update(t.id for t in turn)
        if end < len(transfers):
            QTimer.singleShot(0, self, partial(self._add_rows, transfers, end))

    def _make_local_folders(self, folders: list[Path]) -> int:
        """The local folders of a download's empty folders (their placeholders): how many
        were made (not there before). One that cannot be made (a file of its name in the
        way) is named with why, never left unsaid."""
        made, failed = make_local_folders(folders)
        if failed:
            self.messages.major(
                TransferFailures(
                    self.tr("%Ln empty folder(s) could not be made.", None, len(failed)),
                    hint=self.tr("The details say which and why; everything else is transferred."),
                    detail="\n".join(f"{folder}: {error.message}" for folder, error in failed),
                )
            )
        return made

    def _report_folders(self, made: MadeFolders) -> None:
        """Say once that the server keeps no empty folders, and which could not be made."""
        if made.not_kept:
            self.messages.major(
                FoldersNotMade(
                    self.tr(
                        "This server does not keep empty folders: %Ln empty folder(s) of the "
                        "upload were not made there.",
                        None,
                        len(made.not_kept),
                    ),
                    hint=self.tr(
                        "The files are uploaded as usual; a folder stays on this server "
                        "only with a file in it."
                    ),
                    detail="\n".join(str(f.local_path) for f in made.not_kept),
                )
            )
        if made.failed:
            self.messages.major(
                FoldersNotMade(
                    self.tr("%Ln empty folder(s) could not be made.", None, len(made.failed)),
                    hint=self.tr("The details say which and why; the files are uploaded as usual."),
                    detail="\n".join(f"{f.local_path}: {e}" for f, e in made.failed),
                )
            )

    def _open_existing_copy(self, plan: Plan) -> bool:
        """A double-click on a file already downloaded unchanged opens that copy."""
        if len(plan.items) != 1 or plan.items[0].existing is None:
            return False
        item = plan.items[0]
        existing = item.existing
        assert existing is not None
        same = existing.size == item.request.size and abs(existing.mtime - item.request.mtime) < 1
        if same:
            open_downloaded(item.request.local_path, self.opener, self.window)
            self.messages.info(
                self.tr("Opened the copy already downloaded: {path}").format(
                    path=item.request.local_path
                )
            )
        return same

    def _resolve_conflicts(
        self, plan: Plan, policy: ConflictPolicy | None = None
    ) -> tuple[list[TransferRequest], list[TransferRequest]] | None:
        """(to queue, skipped), or None when the user cancelled at a conflict."""
        policy = policy or self.settings.conflict_policy
        apply_all: ConflictPolicy | None = None if policy is ConflictPolicy.ASK else policy
        requests: list[TransferRequest] = []
        skipped: list[TransferRequest] = []
        remaining = len(plan.conflicts)
        for item in plan.items:
            if item.existing is None:
                # Nothing to ask: the policy still says whether the upload may only create
                # its object (PlannedTransfer.resolve: it is, unless the policy overwrites).
                free = item.resolve(policy)
                requests.append(item.request if free is None else free)
                continue
            remaining -= 1
            choice: ConflictPolicy | None = apply_all
            if choice is None:
                answer = self.ask_conflict(item, remaining)
                if answer is None:
                    return None
                choice, to_all = answer
                if to_all:
                    apply_all = choice
            request = item.resolve(choice)
            if request is None:
                skipped.append(item.request)
            else:
                requests.append(request)
        return requests, skipped

    def _ask_with_dialog(
        self, item: PlannedTransfer, remaining: int
    ) -> tuple[ConflictPolicy, bool] | None:
        from cloudbrowser.gui.dialogs.conflict import ConflictDialog

        return ConflictDialog.ask(self.window, item, remaining)

    # ── controlling transfers ───────────────────────────────────────────────────────────

    def pause(self, ids: Sequence[int]) -> None:
        self.queue.pause(ids)
        self.poll()

    def resume(self, ids: Sequence[int]) -> None:
        """Resume or retry. An upload refused because someone created its name meanwhile
        (CreatedMeanwhile) is planned anew instead: sent again as it was, it would only be
        refused again, so the user chooses again what to do with the name now taken."""
        chosen = set(ids)
        anew = [
            t
            for t in self.queue.transfers()
            if t.id in chosen and t.state is State.FAILED and isinstance(t.error, CreatedMeanwhile)
        ]
        for t in anew:
            chosen.discard(t.id)
            self._upload_anew(t)
        self.queue.resume(sorted(chosen))
        self._batches.update(t.batch for t in self.queue.transfers() if t.id in chosen)
        self._timer.start()
        self.poll()

    def _upload_anew(self, t: Transfer) -> None:
        """Plan a refused create-only upload again, to the name it was refused at (now
        taken: the conflict is asked as any other); the failed row goes."""
        prefix, _, name = t.key.rpartition("/")
        self.queue.cancel([t.id])  # drops what it left behind (a session's chunks)
        self.queue.forget([t.id])
        self._keep_rows({other.id for other in self.queue.transfers()})
        self.upload(
            t.connection, t.bucket, f"{prefix}/" if prefix else "", [t.local_path], name=name
        )

    def cancel(self, ids: Sequence[int]) -> None:
        self.queue.cancel(ids)
        self._timer.start()
        self.poll()

    def save_as(self, t: Transfer, path: Path) -> None:
        """Download a failed download's object again to ``path`` (the user chose it, e.g.
        because the object's own name cannot be a file name here); the failed row goes."""
        request = TransferRequest(
            Direction.DOWNLOAD,
            t.connection,
            t.bucket,
            t.key,
            path,
            t.size,
            t.mtime,
            t.etag,
            version_id=t.version_id,
        )
        self.queue.cancel([t.id])  # drops what it left behind (a partial file)
        self.queue.forget([t.id])
        self._keep_rows({other.id for other in self.queue.transfers()})
        self._queue_plan(Plan(items=[PlannedTransfer(request)]), open_after=False)

    def clear_finished(self) -> None:
        self.queue.forget_finished()
        self._keep_rows({t.id for t in self.queue.transfers()})

    def _keep_rows(self, keep: set[int]) -> None:
        """Keep only the rows of the transfers in ``keep``: one forgotten is not refreshed
        (which would put its row back) either."""
        self.model.remove_where(keep)
        for transfer_id in self._unrefreshed.keys() - keep:
            del self._unrefreshed[transfer_id]

    def _open_journal(self) -> Journal:
        """The user's journal; if a newer cloudbrowser wrote it, one of this window's own
        (this version must not write the other's), which its transfers do not outlive."""
        try:
            return Journal()
        except JournalTooNew as error:
            until = self.tr(
                "Until then, transfers started in this window cannot be resumed once it closes."
            )
            self._refused = JournalTooNew(
                error.message, hint=f"{error.hint} {until}", detail=error.detail
            )
            self._scratch = Path(tempfile.mkdtemp(prefix="cloudbrowser-journal-"))
            return Journal(self._scratch / JOURNAL_FILE)

    def restore(self) -> list[Transfer]:
        """Show what a previous run left unfinished; continue what was interrupted as soon
        as its connection is open (what the user paused stays paused)."""
        queue = self.queue  # opens the journal: a newer version's is refused there
        if self._refused is not None:
            self.messages.major(self._refused)
        try:
            restored = queue.restore()
        except JournalBusy as error:  # another cloudbrowser stuck mid-write: start anyway
            self.messages.major(error)
            return []
        self.model.add(restored)
        for t in restored:
            if t.interrupted:
                self._waiting_for_connection.setdefault(t.connection, []).append(t.id)
        for connection_id in list(self._waiting_for_connection):
            if self.service.has_connection(connection_id):
                self._on_connection_added(connection_id)
        return restored

    @Slot(str)
    def _on_connection_added(self, connection_id: str) -> None:
        ids = self._waiting_for_connection.pop(connection_id, [])
        if ids:
            self.messages.info(self.tr("Continuing %Ln interrupted transfer(s)…", None, len(ids)))
            self.resume(ids)

    # ── watching ────────────────────────────────────────────────────────────────────────

    @Slot()
    def poll(self) -> None:
        """Pull what changed from the queue; report batches that ended."""
        # One look at the activity per poll: it decides the hold, the batches that ended
        # and the timer (one that ends just after it is reported at the next poll).
        activity = self.queue.activity()
        self._hold_engine(activity)
        changed = self.queue.changes()
        pending = self._unrefreshed
        for t in changed:
            pending.setdefault(t.id, t)  # one waiting keeps its place
        self._refresh_turn()
        if self._open_batches:
            for t in changed:
                if (
                    t.batch in self._open_batches
                    and t.state is State.DONE
                    and t.id not in self._opened
                ):
                    self._opened.add(t.id)
                    open_downloaded(t.local_path, self.opener, self.window)
        # A batch's end is said once its rows say it too (those still to be refreshed
        # are, within a few turns: the next poll says it then).
        ended = [] if pending else list(self._batches - activity.active_batches)
        for batch in ended:
            self._batches.discard(batch)
            members = self.queue.of_batch(batch)
            self._report(self.queue.summary(batch, members), members)
            self.batchFinished.emit(batch, members)
        self.activityChanged.emit(activity)
        if not activity.busy and not pending:
            self._timer.stop()

    def _refresh_turn(self) -> None:
        """Refresh the rows of up to ``CHANGES_PER_TURN`` changed transfers, the first to
        change first; the rest in the turns of the event loop that follow, each in an
        event of its own, so that the window paints and answers in between: the poll
        after a drop of 2,000 files held it ~10 ms, and one of 100,000 would hold it for
        half a second. A row is refreshed as its transfer is by then, so a transfer that
        changes again meanwhile loses nothing."""
        pending = self._unrefreshed
        turn = [pending.pop(i) for i in list(itertools.islice(pending, CHANGES_PER_TURN))]
        if self._unshown:
            # Rows still to come in their own turns (_add_rows): refresh() would add them
            # all at once, out of their order. They are shown as they are when they come.
            unshown = self._unshown
            turn = [t for t in turn if t.id not in unshown]
        if turn:
            self.model.refresh(turn)
        if pending and not self._refresh_posted:
            self._refresh_posted = True
            QTimer.singleShot(0, self, self._next_refresh_turn)

    @Slot()
    def _next_refresh_turn(self) -> None:
        self._refresh_posted = False
        self._hold_engine()  # as the poll's own turn goes
        self._refresh_turn()

    def _hold_engine(self, activity: Activity | None = None) -> None:
        """The engine's threads wait (at their ``give_way`` points) while this poll and
        the repaint it causes run, until the event loop is about to sleep (a connection
        of one call: a hook on every turn of the loop would be a wait for the GIL of its
        own), at most ``give_way.WINDOW_HOLD``: core/give_way.py says why and what it
        costs. Without ``activity``, without asking the queue: its lock may be held by a
        transfer thread waiting for a core (a hold with nothing running costs nothing)."""
        if activity is not None and not activity.running:
            return  # nothing runs that could be held
        dispatcher: QAbstractEventDispatcher | None = QAbstractEventDispatcher.instance(
            self.thread()
        )
        if dispatcher is None:  # no event loop on this thread yet
            return
        give_way.hold_for_window()
        dispatcher.aboutToBlock.connect(
            give_way.release_window, Qt.ConnectionType.SingleShotConnection
        )

    def _report(self, summary: BatchSummary, transfers: list[Transfer]) -> None:
        """Every batch ends with what happened; a failure names each file and why."""
        left_out = self._left_out.pop(summary.batch, 0)
        folders = self._folders_made.pop(summary.batch, 0)
        handled = self._handled.pop(summary.batch, ())
        if handled:
            failed = [t for t in summary.failed if not isinstance(t.error, handled)]
            if len(failed) < len(summary.failed) and not (failed or summary.done):
                return  # the caller says it
            summary = replace(summary, failed=failed)
        if not transfers and folders:  # a drop of empty folders only
            self.messages.info(self.tr("Made %Ln empty folder(s).", None, folders))
            return
        direction = _direction(transfers)
        size = data_size(QLocale(), summary.bytes_done)
        if summary.failed:
            total = len(transfers)
            self.messages.major(
                TransferFailures(
                    QCoreApplication.translate(
                        "TransferController", str(_FAILED[direction]), None, total
                    ).format(failed=len(summary.failed)),
                    hint=self.tr("Retry them from the Transfers panel once the cause is fixed."),
                    detail="\n".join(_failure_line(t) for t in summary.failed),
                )
            )
            return
        parts = [
            QCoreApplication.translate(
                "TransferController", str(_DONE[direction]), None, summary.done
            ).format(size=size)
        ]
        if summary.unverified:
            names = ", ".join(t.name for t in summary.unverified[:3])
            if len(summary.unverified) > 3:
                names += ", …"
            parts.append(
                self.tr("{n} not verified ({names}): {note}").format(
                    n=len(summary.unverified), names=names, note=summary.unverified[0].note
                )
            )
        elif summary.done:
            parts.append(self.tr("all verified"))
        if folders:
            parts.append(self.tr("%Ln empty folder(s) made", None, folders))
        if summary.skipped:
            parts.append(self.tr("{n} skipped").format(n=summary.skipped))
        if summary.cancelled:
            parts.append(self.tr("{n} cancelled").format(n=summary.cancelled))
        if summary.paused:
            parts.append(self.tr("{n} paused").format(n=summary.paused))
        if left_out:
            parts.append(self._left_out_text(left_out))
        self.messages.info(", ".join(parts) + ".")

    def _left_out_text(self, n: int) -> str:
        return self.tr("{n} left out (downloads still in progress)").format(n=n)

    def shutdown(self) -> bool:
        """Stop transfer threads; what was running continues at the next start."""
        self._timer.stop()
        if self._queue is None:
            return True  # never opened: nothing ran, nothing to close
        finished = self.queue.shutdown(timeout=3.0)
        if finished:  # else a worker may still write its last part to the journal
            self.queue.journal.close()
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
        return finished


def _direction(transfers: list[Transfer]) -> Direction | None:
    """The one direction of a batch's transfers; None for a mixed batch."""
    directions = {t.direction for t in transfers}
    return directions.pop() if len(directions) == 1 else None


def _failure_line(t: Transfer) -> str:
    error = t.error
    why = (
        f"{error.message} {error.hint}".strip()
        if error
        else QCoreApplication.translate("TransferController", "failed")
    )
    return f"{t.name} ({t.bucket}/{t.key}): {why}"


__all__ = ["Activity", "TransferController"]
