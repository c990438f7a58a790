"""Edit (F4): open an object with the desktop's program and upload it back on every save.

As Cyberduck's "Edit With" and WinSCP's F4: the object is downloaded (a normal, verified
transfer) into a private folder of its own (``<cache>/edits/<id>/<name>``), opened with the
transfer controller's opener, and its file watched. Each save, once the file has settled
(size and mtime unchanged for ``SETTLE_MS``), goes back to the same key through the
ordinary upload path, but only over the revision this edit downloaded or last uploaded:
the ETag is compared by a HEAD on a worker first, and the upload itself is conditional on
it (``TransferRequest.if_match``: the server refuses a write over another revision, so a
write by someone else between the HEAD and the upload is not lost either). When someone
else changed (or deleted) the object meanwhile, the user chooses: overwrite it, upload a
copy beside it ("name (edited).ext"), or keep the change local. Putting a deleted object
back, and the copy, only create their object (``TransferRequest.create_only``): one made
by someone else before the upload is never overwritten (the user is asked again).

Each edit's folder keeps a small record (:data:`RECORD`: the object, its revision, and
the file's size and mtime as last downloaded or uploaded), so that the next start finds
saves that were never uploaded (the app quit or crashed first) and offers them: upload
(the same conditional way), discard, or show the folder. Folders whose file is what was
uploaded are removed a day later (:data:`KEEP_UPLOADED_SECONDS`); one with changes not
uploaded is never removed without the user's word.

Editors that save by writing a new file and renaming it over the old one (vim, gedit,
most IDEs) make QFileSystemWatcher drop the path: the edit's folder is watched too, and
the file is watched again whenever it is back.
"""

from __future__ import annotations

import enum
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from PySide6.QtCore import QFileSystemWatcher, QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox, QStatusBar, QWidget

from cloudbrowser.core.entries import Entry, ObjectInfo
from cloudbrowser.core.errors import (
    CloudBrowserError,
    CreatedMeanwhile,
    KeyNotFound,
    ObjectChanged,
)
from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.keys import leaf_name
from cloudbrowser.core.paths import cache_dir
from cloudbrowser.core.transfer_plan import ConflictPolicy
from cloudbrowser.core.transfers import Transfer
from cloudbrowser.gui.message_icons import message_icon
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.open_file import open_downloaded
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.transfer_controller import TransferController
from cloudbrowser.gui.window_parts import Browsing, WindowMenus
from cloudbrowser.gui.workers import Job

log = logging.getLogger(__name__)

#: How long a saved file must stay the same (size and mtime) before it is uploaded: an
#: editor writing in several steps is not caught half-way.
SETTLE_MS = 1000

#: (size, mtime in ns) of the local file; None when it is not there.
Stamp = tuple[int, int]

#: The record beside an edited file, in its folder (hidden: not the user's file).
RECORD = ".cloudbrowser-edit.json"
#: How long a folder whose file was uploaded is kept after its last upload: its program
#: may still have it open (nothing says when that closes), and the next start removes it.
KEEP_UPLOADED_SECONDS = 24 * 3600
#: How long after the window is up the edit folders are looked at (start-up first).
LOOK_AFTER_MS = 1500


class Answer(enum.Enum):
    """What to do with a save when the object changed on the server meanwhile."""

    OVERWRITE = "overwrite"
    COPY = "copy"
    KEEP_LOCAL = "keep"


class Step(enum.Enum):
    """Where an edit is: between saves, or busy sending one back."""

    DOWNLOADING = "downloading"
    WATCHING = "watching"
    CHECKING = "checking"  # the HEAD that compares ETags
    ASKING = "asking"
    UPLOADING = "uploading"


@dataclass(eq=False)
class EditedFile:
    """One object being edited, and the revision of it the server should hold."""

    connection: str
    bucket: str
    key: str
    folder: Path
    path: Path
    #: The ETag of the revision downloaded or last uploaded by this edit.
    etag: str = ""
    step: Step = Step.DOWNLOADING
    #: The file as last downloaded, uploaded or kept local on purpose.
    synced: Stamp | None = None
    #: The file at the last look while it settles.
    sample: Stamp | None = None
    #: What is being uploaded now (becomes ``synced`` once done).
    sending: Stamp | None = None
    #: The upload's batch has been queued (from then on the queue counts it).
    queued: bool = False
    #: Saved again while the previous save was being sent: look again afterwards.
    again: bool = False
    timer: QTimer | None = field(default=None, repr=False)

    @property
    def ident(self) -> tuple[str, str, str]:
        return self.connection, self.bucket, self.key

    @property
    def name(self) -> str:
        return leaf_name(self.key)

    @property
    def prefix(self) -> str:
        return self.key[: len(self.key) - len(self.name)]


def edited_copy_name(name: str) -> str:
    """``report.txt`` → ``report (edited).txt``."""
    pure = PurePosixPath(name)
    stem, suffix = (pure.stem, pure.suffix) if pure.stem else (name, "")
    return f"{stem} (edited){suffix}"


def _same_etag(a: str, b: str) -> bool:
    # Listings, HEADs and PUT replies quote ETags differently.
    return a.strip('"').lower() == b.strip('"').lower() and bool(a)


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def edits_root() -> Path:
    return cache_dir() / "edits"


@dataclass(frozen=True, slots=True)
class EditRecord:
    """What an edit's folder says about its file (:data:`RECORD`): the object it came
    from and the revision of it the server holds, and the file as it was last downloaded
    or uploaded (a file that differs from it has changes not uploaded)."""

    connection: str
    bucket: str
    key: str
    #: The file's name in the folder.
    name: str
    etag: str
    size: int
    mtime_ns: int
    #: When it was written (POSIX seconds): the last download or upload.
    synced_at: float
    #: The file as it was when the user chose to keep its changes local (Don't upload):
    #: not offered again at the next start while it is so; -1: never chosen (and records
    #: written before there was this field).
    kept_size: int = -1
    kept_mtime_ns: int = -1

    @property
    def stamp(self) -> Stamp:
        return self.size, self.mtime_ns

    @property
    def kept(self) -> Stamp | None:
        return None if self.kept_size < 0 else (self.kept_size, self.kept_mtime_ns)


def write_record(edit: EditedFile, *, kept: Stamp | None = None) -> None:
    """Record what the server holds of ``edit`` now (and ``kept``: the file the user chose
    to keep local as it is); a failure is logged (the edit goes on, the next start just
    cannot tell this folder's state, so it keeps it)."""
    if edit.synced is None:
        return
    kept_size, kept_mtime_ns = kept if kept is not None else (-1, -1)
    record = EditRecord(
        edit.connection,
        edit.bucket,
        edit.key,
        edit.path.name,
        edit.etag,
        *edit.synced,
        synced_at=time.time(),
        kept_size=kept_size,
        kept_mtime_ns=kept_mtime_ns,
    )
    target = edit.folder / RECORD
    temporary = target.with_name(RECORD + ".tmp")
    try:
        temporary.write_text(json.dumps(asdict(record)), encoding="utf-8")
        temporary.replace(target)  # never half a record after a crash
    except OSError as exc:
        log.warning("could not write the edit record %s: %s", target, exc)


def read_record(folder: Path) -> EditRecord | None:
    """The folder's record; None where it has none that can be read (an older version's
    edit, a download that never finished, a damaged file)."""
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        record = EditRecord(**data)
    except (OSError, ValueError, TypeError):
        return None
    name = record.name
    if not name or name in (".", "..") or Path(name).name != name or "/" in name:
        return None  # the file must be in the folder itself
    return record


@dataclass(frozen=True, slots=True)
class Unsent:
    """An edit's folder, from an earlier run, whose file differs from what was uploaded."""

    folder: Path
    record: EditRecord
    #: The file now.
    stamp: Stamp

    @property
    def path(self) -> Path:
        return self.folder / self.record.name


def look_at_edit_folders(
    root: Path, now: float, keep_seconds: float = KEEP_UPLOADED_SECONDS
) -> list[Unsent]:
    """The edits under ``root`` with changes not uploaded; folders whose file is what was
    uploaded more than ``keep_seconds`` ago (and empty ones as old: a download that never
    finished) are removed. Anything else is left as it is: a folder that cannot be read
    for sure is never removed. Disk work: run it on a worker."""
    unsent: list[Unsent] = []
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []  # no edits yet
    for folder in folders:
        record = read_record(folder)
        if record is None:
            if _empty(folder) and _age(folder, now) > keep_seconds:
                _remove(folder)
            continue
        stamp = _stamp(folder / record.name)
        if stamp is None:
            continue  # the file is gone (the user moved it): nothing to offer or remove
        if stamp == record.kept:
            continue  # kept local on purpose, unchanged since: not asked again, kept
        if stamp != record.stamp:
            unsent.append(Unsent(folder, record, stamp))
        elif now - record.synced_at > keep_seconds:
            _remove(folder)
    return unsent


def _empty(folder: Path) -> bool:
    try:
        return not any(folder.iterdir())
    except OSError:
        return False


def _age(folder: Path, now: float) -> float:
    try:
        return now - folder.stat().st_mtime
    except OSError:
        return 0.0


def _remove(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        log.warning("could not remove the edit folder %s: %s", folder, exc)


class UnsentAnswer(enum.Enum):
    """What to do with a save an earlier run never uploaded."""

    UPLOAD = "upload"
    DISCARD = "discard"
    SHOW = "show"
    LATER = "later"


class EditFiles(QObject):
    """The Edit action, the files it watches and their way back to the server."""

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        transfers: TransferController,
        browsing: Browsing,
        menus: WindowMenus,
        status_bar: QStatusBar,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.messages = messages
        self.transfers = transfers
        self.browsing = browsing
        self.parent_widget = parent
        self.root = edits_root()
        #: Replaced in tests: (edit, deleted on the server) → the user's choice.
        self.ask_changed: Callable[[EditedFile, bool], Answer] = self._ask_with_dialog
        #: Replaced in tests: a save an earlier run did not upload → the user's choice.
        self.ask_unsent: Callable[[Unsent], UnsentAnswer] = self._ask_unsent_with_dialog
        #: Found at start, waiting for their connection to be opened.
        self._waiting: list[Unsent] = []
        #: The window closed (``stop``): a look still on its worker offers nothing.
        self._stopped = False
        self._edits: dict[tuple[str, str, str], EditedFile] = {}
        self._by_batch: dict[str, tuple[EditedFile, bool]] = {}
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_changed)
        self._watcher.directoryChanged.connect(self._on_folder_changed)
        transfers.batchFinished.connect(self._on_batch_finished)

        self.edit_action = menus.new_action(self.tr("Edit"), None, [QKeySequence("F4")], self.edit)
        self.edit_action.setToolTip(
            self.tr("Open in its program; every save is uploaded back (F4)")
        )
        self.edit_action.setEnabled(False)
        self._place(menus)
        menus.context_sections.append(self._context_section)
        browsing.view.selectionModel().selectionChanged.connect(self._update_action)
        browsing.list_model.modelReset.connect(self._update_action)

        self._label = QLabel()
        self._label.setObjectName("editingLabel")
        self._label.hide()
        status_bar.addPermanentWidget(self._label)

        service.connectionAdded.connect(self._on_connection_added)
        # After the window is up (nothing of this on start-up's path): saves an earlier
        # run never uploaded, and old folders to remove.
        self._look_timer = QTimer(self)
        self._look_timer.setSingleShot(True)
        self._look_timer.timeout.connect(self.look_at_folders)
        self._look_timer.start(LOOK_AFTER_MS)

    def _place(self, menus: WindowMenus) -> None:
        """In the File menu after Download (and Download to…), before what follows."""
        actions = menus.file.actions()
        after = menus.download
        if after is not None and after in actions:
            rest = actions[actions.index(after) + 1 :]
            while rest and rest[0].text() and not rest[0].isSeparator():
                after, rest = rest[0], rest[1:]  # Download to…
            if rest:
                menus.file.insertAction(rest[0], self.edit_action)
                return
        menus.file.addAction(self.edit_action)

    # ── the selection ───────────────────────────────────────────────────────────────────

    def _target(self) -> tuple[Location, Entry] | None:
        """The one selected object (not a folder, a bucket or a deleted object)."""
        current = self.browsing.current
        entries = self.browsing.selected_entries()
        if current is None or current.is_connection_root or len(entries) != 1:
            return None
        entry = entries[0]
        if entry.is_prefix or self.browsing.list_model.is_deleted(entry.key):
            return None
        return current, entry

    @Slot()
    def _update_action(self) -> None:
        self.edit_action.setEnabled(self._target() is not None)

    def _context_section(self, menu: QMenu, _entries: list[Entry]) -> bool:
        if self._target() is None:
            return False
        self._update_action()
        menu.addAction(self.edit_action)
        return True

    # ── starting an edit ────────────────────────────────────────────────────────────────

    @Slot()
    def edit(self) -> None:
        target = self._target()
        if target is None:
            self.messages.info(self.tr("Select one file to edit."))
            return
        location, entry = target
        ident = (location.connection, location.bucket, entry.key)
        existing = self._edits.get(ident)
        if existing is not None:
            self._reopen(existing)
            return
        folder = self.root / uuid.uuid4().hex[:8]
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            self.messages.major(
                CloudBrowserError(
                    self.tr("Cannot make a folder for the edited file: {why}").format(
                        why=exc.strerror or exc
                    ),
                    detail=str(folder),
                )
            )
            return
        edit = EditedFile(*ident, folder=folder, path=folder / leaf_name(entry.key))
        self._edits[ident] = edit
        batch = uuid.uuid4().hex
        self._by_batch[batch] = (edit, False)
        self.transfers.download(
            edit.connection,
            edit.bucket,
            edit.prefix,
            [entry],
            folder,
            open_after=True,
            batch=batch,
            queued=partial(self._download_queued, edit, batch),
        )
        self._show_edits()

    def _reopen(self, edit: EditedFile) -> None:
        """Edit again: the copy being edited, not a new download over the user's changes."""
        if edit.step is Step.DOWNLOADING:
            self.messages.info(self.tr("“{name}” is still downloading.").format(name=edit.name))
            return
        open_downloaded(edit.path, self.transfers.opener, self.parent_widget)
        self.messages.info(self.tr("Opened the copy being edited: {path}").format(path=edit.path))

    def _download_queued(self, edit: EditedFile, batch: str) -> None:
        if not self._has_batch(batch):  # planning failed (said) or nothing was queued
            self._forget(edit)

    def _has_batch(self, batch: str) -> bool:
        return any(t.batch == batch for t in self.transfers.queue.transfers())

    def _forget(self, edit: EditedFile) -> None:
        if self._edits.get(edit.ident) is edit:
            del self._edits[edit.ident]
        self._unwatch(edit)
        self._show_edits()

    # ── transfers ending ────────────────────────────────────────────────────────────────

    @Slot(str, object)
    def _on_batch_finished(self, _batch: str, transfers: list[Transfer]) -> None:
        for t in transfers:
            found = self._by_batch.get(t.batch)
            if found is None:
                continue
            edit, copy = found
            if self._edits.get(edit.ident) is not edit:
                continue  # the window stopped watching it
            if t.direction is Direction.DOWNLOAD:
                self._downloaded(edit, t)
            else:
                self._uploaded(edit, t, copy)

    def _downloaded(self, edit: EditedFile, t: Transfer) -> None:
        if t.state is not State.DONE:
            self._forget(edit)  # the failure was reported as any download's
            return
        edit.path = t.local_path
        edit.etag = t.etag
        edit.synced = _stamp(edit.path)
        write_record(edit)
        edit.step = Step.WATCHING
        self._watch(edit)
        self._show_edits()
        self.messages.info(
            self.tr("Editing “{name}”: each save is uploaded back to {bucket}/{key}.").format(
                name=edit.name, bucket=edit.bucket, key=edit.key
            )
        )

    def _uploaded(self, edit: EditedFile, t: Transfer, copy: bool) -> None:
        """An upload of this edit ended: the one just sent, or a failed one the user
        retried from the Transfers panel (its revision is this edit's all the same)."""
        if t.state is State.DONE and not copy:
            edit.etag = t.etag  # a copy leaves the object, and the revision edited, as it was
        if edit.step is not Step.UPLOADING:
            if t.state is State.DONE:
                write_record(edit)
            return
        if t.state is State.DONE:
            edit.synced = edit.sending
            write_record(edit)
        elif not copy and isinstance(t.error, ObjectChanged | KeyNotFound | CreatedMeanwhile):
            # Someone wrote (or deleted, or made anew) the object after the check: the
            # server refused the upload. The same question as before, about the object
            # as it is now.
            stamp, edit.sending = edit.sending, None
            if stamp is not None:
                self._check(edit, stamp, refused=True)
                return
        # A failure was reported as any upload's; the next save tries again.
        self._idle(edit)

    def _idle(self, edit: EditedFile) -> None:
        edit.step = Step.WATCHING
        edit.sending = None
        self._show_edits()
        if edit.again:
            edit.again = False
            self._settle(edit)

    # ── watching ────────────────────────────────────────────────────────────────────────

    def _watch(self, edit: EditedFile) -> None:
        if edit.timer is None:
            edit.timer = QTimer(self)
            edit.timer.setSingleShot(True)
            edit.timer.setInterval(SETTLE_MS)
            edit.timer.timeout.connect(partial(self._settled, edit))
        self._watcher.addPath(str(edit.folder))
        self._rewatch(edit)

    def _rewatch(self, edit: EditedFile) -> None:
        """Watch the file again if a save replaced it (the watcher drops a replaced file)."""
        path = str(edit.path)
        if path not in self._watcher.files() and edit.path.exists():
            self._watcher.addPath(path)

    def _unwatch(self, edit: EditedFile) -> None:
        watched = set(self._watcher.files()) | set(self._watcher.directories())
        gone = [p for p in (str(edit.path), str(edit.folder)) if p in watched]
        if gone:
            self._watcher.removePaths(gone)
        if edit.timer is not None:
            edit.timer.stop()

    def _edit_at(self, path: Path) -> EditedFile | None:
        for edit in self._edits.values():
            if edit.step is not Step.DOWNLOADING and path in (edit.path, edit.folder):
                return edit
        return None

    @Slot(str)
    def _on_file_changed(self, path: str) -> None:
        edit = self._edit_at(Path(path))
        if edit is not None:
            self._rewatch(edit)
            self._settle(edit)

    @Slot(str)
    def _on_folder_changed(self, path: str) -> None:
        # A save by rename: the new file is in the folder, the watcher lost the old one.
        edit = self._edit_at(Path(path))
        if edit is not None:
            self._rewatch(edit)
            self._settle(edit)

    def _settle(self, edit: EditedFile) -> None:
        """Look at the file again in a moment; it is sent once it stops changing."""
        edit.sample = None
        if edit.timer is not None:
            edit.timer.start()

    def _settled(self, edit: EditedFile) -> None:
        if self._edits.get(edit.ident) is not edit:
            return
        self._rewatch(edit)
        stamp = _stamp(edit.path)
        if stamp is None:
            return  # gone (mid-save by rename): the folder's change brings it back here
        if stamp != edit.sample:
            edit.sample = stamp
            assert edit.timer is not None
            edit.timer.start()
            return
        if stamp == edit.synced:
            return  # touched, not changed (or a swap file beside it)
        if edit.step is not Step.WATCHING:
            edit.again = True  # this save goes once the one being sent has
            return
        self._check(edit, stamp)

    # ── sending a save back ─────────────────────────────────────────────────────────────

    def _check(self, edit: EditedFile, stamp: Stamp, *, refused: bool = False) -> None:
        """HEAD the object on a worker: is it still the revision this edit knows?
        ``refused``: the server refused the upload over it: ask, whatever the HEAD says."""
        try:
            storage = self.service.storage(edit.connection)
        except CloudBrowserError as error:  # its connection was closed meanwhile
            self.messages.major(error)
            self._idle(edit)  # the next save tries again
            return
        edit.step = Step.CHECKING
        edit.sending = stamp
        self._show_edits()

        def work(_job: Job) -> ObjectInfo | None:
            try:
                return storage.head_object(edit.bucket, edit.key)
            except KeyNotFound:
                return None

        def checked(info: ObjectInfo | None) -> None:
            if self._edits.get(edit.ident) is not edit:
                return
            if info is not None and _same_etag(info.etag, edit.etag) and not refused:
                self._upload(edit, copy=False, if_match=info.etag)
                return
            edit.step = Step.ASKING
            answer = self.ask_changed(edit, info is None)
            if self._edits.get(edit.ident) is not edit:
                return  # the window closed while asking
            if answer is Answer.OVERWRITE:
                # Over the object the user was told about, not one written since; where
                # it was deleted, only as long as nobody made it anew (create-only).
                if info is not None:
                    self._upload(edit, copy=False, if_match=info.etag)
                else:
                    self._upload(edit, copy=False, create_only=True)
            elif answer is Answer.COPY:
                self._upload(edit, copy=True)
            else:
                # Kept local: said in the record, so that the next start does not offer
                # it again (the record's upload stays the last real one: never removed).
                write_record(edit, kept=edit.sending)
                edit.synced = edit.sending  # asked again at the next save
                self.messages.info(
                    self.tr("Not uploaded: your changes to “{name}” stay in {path}.").format(
                        name=edit.name, path=edit.path
                    )
                )
                self._idle(edit)

        def failed(error: CloudBrowserError) -> None:
            self.messages.major(error)
            if self._edits.get(edit.ident) is edit:
                self._idle(edit)  # the next save tries again

        self.service.run(
            work,
            f"Checking {edit.bucket}/{edit.key} before uploading an edit",
            succeeded=checked,
            failed=failed,
        )

    def _upload(
        self, edit: EditedFile, *, copy: bool, if_match: str = "", create_only: bool = False
    ) -> None:
        edit.step = Step.UPLOADING
        edit.queued = False
        batch = uuid.uuid4().hex
        self._by_batch[batch] = (edit, copy)
        # Over the object: checked above (or the user said so). A copy never overwrites
        # anyone's object: a taken name becomes "name (edited) (1).ext", and the name is
        # created only (ConflictPolicy.RENAME: one made meanwhile is refused, said).
        self.transfers.upload(
            edit.connection,
            edit.bucket,
            edit.prefix,
            [edit.path],
            name=edited_copy_name(edit.name) if copy else edit.name,
            policy=ConflictPolicy.RENAME if copy else ConflictPolicy.OVERWRITE,
            if_match="" if copy else if_match,
            create_only=create_only and not copy,
            # A refusal (someone wrote, deleted or made it meanwhile) is asked about here.
            handled=(
                (ObjectChanged, KeyNotFound, CreatedMeanwhile)
                if (if_match or create_only) and not copy
                else ()
            ),
            batch=batch,
            queued=partial(self._upload_queued, edit, batch),
        )
        self._show_edits()

    def _upload_queued(self, edit: EditedFile, batch: str) -> None:
        edit.queued = True
        if edit.step is Step.UPLOADING and not self._has_batch(batch):
            self._idle(edit)  # planning failed (said): the next save tries again

    def _ask_with_dialog(self, edit: EditedFile, deleted: bool) -> Answer:
        where = f"{edit.bucket}/{edit.key}"
        text = (
            self.tr("“{where}” was deleted on the server since you opened it.")
            if deleted
            else self.tr("“{where}” was changed on the server since you opened it.")
        ).format(where=where)
        box = QMessageBox(
            message_icon(QMessageBox.Icon.Warning),
            self.tr("Upload your changes?"),
            text,
            parent=self.parent_widget,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            self.tr(
                "Overwrite it with your saved file, upload yours as “{copy}” beside it, "
                "or keep your changes only on this computer."
            ).format(copy=edited_copy_name(edit.name))
        )
        overwrite = box.addButton(self.tr("Overwrite"), QMessageBox.ButtonRole.DestructiveRole)
        copy = box.addButton(self.tr("Upload as a copy"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(self.tr("Don't upload"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(copy)
        box.setEscapeButton(keep)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        if clicked is overwrite:
            return Answer.OVERWRITE
        if clicked is copy:
            return Answer.COPY
        return Answer.KEEP_LOCAL

    # ── what the window shows and asks ──────────────────────────────────────────────────

    def edited(self) -> list[EditedFile]:
        return list(self._edits.values())

    @property
    def folder(self) -> Path:
        """Where edited files are kept (each edit in a folder of its own)."""
        return edits_root()

    @property
    def unsent(self) -> int:
        """Saves not yet in the transfer queue (settling, checked, asked about, planned):
        closing the window would lose them, so it asks as it does for transfers."""
        count = 0
        for edit in self._edits.values():
            settling = edit.timer is not None and edit.timer.isActive()
            busy = edit.step in (Step.CHECKING, Step.ASKING)
            planning = edit.step is Step.UPLOADING and not edit.queued
            count += settling or busy or planning or edit.again
        return count

    def _show_edits(self) -> None:
        edits = list(self._edits.values())
        if not edits:
            self._label.hide()
            return
        text = (
            self.tr("Editing “{name}”").format(name=edits[0].name)
            if len(edits) == 1
            else self.tr("Editing %Ln file(s)", None, len(edits))
        )
        if any(e.step in (Step.CHECKING, Step.ASKING, Step.UPLOADING) for e in edits):
            text += " · " + self.tr("uploading")
        self._label.setText(text)
        self._label.setToolTip("\n".join(f"{e.bucket}/{e.key} ← {e.path}" for e in edits))
        self._label.show()

    def stop(self) -> None:
        """Stop watching every file (the window closes); the copies stay on disk."""
        self._look_timer.stop()
        self._stopped = True
        self._waiting.clear()
        for edit in list(self._edits.values()):
            self._unwatch(edit)
        self._edits.clear()
        self._show_edits()

    # ── saves an earlier run did not upload ─────────────────────────────────────────────

    @Slot()
    def look_at_folders(self) -> None:
        """Look at the edit folders on a worker: remove old uploaded ones, offer the
        changes not uploaded (now where their connection is open, else once it is)."""
        self._look_timer.stop()
        self._stopped = False
        root, now = self.root, time.time()

        def work(_job: Job) -> list[Unsent]:
            return look_at_edit_folders(root, now)

        def found(unsent: list[Unsent]) -> None:
            if self._stopped or not unsent:
                return  # (not a look at every transfer of a big drop for nothing)
            editing = {(e.connection, e.bucket, e.key) for e in self._edits.values()}
            # An upload of it the journal kept (queued when the app quit) is in the
            # Transfers panel already, resumed or failed there: not offered twice.
            queued = {
                t.local_path
                for t in self.transfers.queue.transfers()
                if t.direction is Direction.UPLOAD and t.state.unfinished
            }
            fresh = [
                u
                for u in unsent
                if (u.record.connection, u.record.bucket, u.record.key) not in editing
                and u.path not in queued
            ]
            ready = [u for u in fresh if self.service.has_connection(u.record.connection)]
            self._waiting = [u for u in fresh if u not in ready]
            if self._waiting:
                self.messages.info(
                    self.tr(
                        "%Ln edited file(s) have changes that were never uploaded; you are "
                        "asked about each once its connection is open.",
                        None,
                        len(self._waiting),
                    )
                )
            self._offer(ready)

        self.service.run(
            work, "Looking for edited files not uploaded", succeeded=found, failed=self._logged
        )

    @staticmethod
    def _logged(error: CloudBrowserError) -> None:
        # The next start looks again; nothing was removed that could not be read.
        log.warning("could not look at the edit folders: %s", error)

    @Slot(str)
    def _on_connection_added(self, connection_id: str) -> None:
        ready = [u for u in self._waiting if u.record.connection == connection_id]
        if ready:
            self._waiting = [u for u in self._waiting if u not in ready]
            self._offer(ready)

    def _offer(self, unsent: list[Unsent]) -> None:
        for u in unsent:
            answer = self.ask_unsent(u)
            if answer is UnsentAnswer.UPLOAD:
                self._upload_unsent(u)
            elif answer is UnsentAnswer.DISCARD:
                _remove(u.folder)
            elif answer is UnsentAnswer.SHOW:
                self.transfers.opener(QUrl.fromLocalFile(str(u.folder)))

    def _upload_unsent(self, u: Unsent) -> None:
        """Edit it again from its folder, as if just saved: the same HEAD, conditional
        upload and question as any save, and later saves go too."""
        r = u.record
        ident = (r.connection, r.bucket, r.key)
        if ident in self._edits:
            self.messages.info(
                self.tr("“{name}” is being edited again; its older changes stay in {path}.").format(
                    name=r.name, path=u.folder
                )
            )
            return
        edit = EditedFile(
            *ident,
            folder=u.folder,
            path=u.path,
            etag=r.etag,
            step=Step.WATCHING,
            synced=r.stamp,
        )
        self._edits[ident] = edit
        self._watch(edit)
        self._show_edits()
        self._check(edit, u.stamp)

    def _ask_unsent_with_dialog(self, u: Unsent) -> UnsentAnswer:
        r = u.record
        box = QMessageBox(
            message_icon(QMessageBox.Icon.Question),
            self.tr("Upload an edited file?"),
            self.tr(
                "Your changes to “{where}” were saved but never uploaded: the app closed first."
            ).format(where=f"{r.bucket}/{r.key}"),
            parent=self.parent_widget,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            self.tr(
                "Upload them (you are asked first if the object changed on the server "
                "meanwhile), discard them, or show the folder that keeps them: {folder}"
            ).format(folder=u.folder)
        )
        upload = box.addButton(self.tr("Upload"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        show = box.addButton(self.tr("Show in folder"), QMessageBox.ButtonRole.ActionRole)
        later = box.addButton(self.tr("Ask next time"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(upload)
        box.setEscapeButton(later)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        if clicked is upload:
            return UnsentAnswer.UPLOAD
        if clicked is discard:
            return UnsentAnswer.DISCARD
        if clicked is show:
            return UnsentAnswer.SHOW
        return UnsentAnswer.LATER


__all__ = [
    "Answer",
    "EditFiles",
    "EditRecord",
    "EditedFile",
    "Unsent",
    "UnsentAnswer",
    "edited_copy_name",
    "look_at_edit_folders",
    "read_record",
    "write_record",
]
