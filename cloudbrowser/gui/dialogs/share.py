"""ShareDialog: presigned download links for the selected objects, copied to the clipboard.

A link is signed locally (no request), yet on a worker: signing may first have to fetch
or refresh credentials (an AWS profile's role or SSO). SigV4 links live at most 7 days;
a longer custom expiry is capped, and the dialog says so. The dialog makes and copies a
24-hour link as soon as it opens, and again whenever the expiry changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.connections import Connection
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.inspection import ExpiryUnit, expiry_seconds
from cloudbrowser.core.storage import LinkGrant, ShareLink, share_links_of
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.palette import status_colour
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

HOUR = 3600
#: The longest a link may last (the connection's ``limits.max_link_seconds``).
LONGEST = -1
#: The choices: (label, seconds); LONGEST is the provider's limit, None is "custom".
PRESETS: tuple[tuple[str, int | None], ...] = (
    ("1 hour", HOUR),
    ("24 hours", 24 * HOUR),
    ("7 days (the longest a link may last)", LONGEST),
    ("Custom:", None),
)
DEFAULT_CHOICE = 1


class ShareDialog(QDialog):
    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        connection: Connection,
        bucket: str,
        keys: list[str],
        parent: QWidget | None = None,
        *,
        archived: list[str] | None = None,
        accepted: LinkGrant | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.messages = service, messages
        self.connection, self.bucket, self.keys = connection, bucket, list(keys)
        self.storage = connection.storage
        self.settings = connection.settings
        #: The longest lifetime of a link on this connection, seconds.
        self.longest = self.storage.features.limits.max_link_seconds
        #: Links that carry the connection's SAS grant what it grants until it ends
        #: (Features.link_grant): no lifetime to choose. One granting more than reading
        #: is made only with ``accepted``, the grant the user agreed to (Share's warning).
        self.grant = self.storage.features.link_grant
        self.accepted_grant = accepted
        self.job: Job | None = None
        self.urls: list[str] = []
        #: When the links expire, POSIX seconds, as they say themselves (the soonest of
        #: them): 0.0 while none is made, or where they name no end.
        self.expires_at = 0.0
        name = keys[0].rsplit("/", 1)[-1] if len(keys) == 1 else None
        self.setWindowTitle(
            self.tr("Share {name}").format(name=name)
            if name
            else self.tr("Share {n} objects").format(n=len(keys))
        )
        self.resize(640, 360)

        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Anyone with the link can download the object until the link expires, "
                "without credentials."
            )
            if len(keys) == 1
            else self.tr(
                "Anyone with these links (one per line) can download the objects until they "
                "expire, without credentials."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if self.grant is not None:
            carried = QLabel(self._carried_text(self.grant))
            carried.setObjectName("linksEnd")
            carried.setWordWrap(True)
            layout.addWidget(carried)

        self.choices = QButtonGroup(self)
        #: The lifetime choices, hidden where the SAS a link carries decides.
        self.lifetime = QWidget()
        row = QHBoxLayout(self.lifetime)
        row.setContentsMargins(0, 0, 0, 0)
        for i, (label, _seconds) in enumerate(PRESETS):
            button = QRadioButton(self.tr(label))
            self.choices.addButton(button, i)
            row.addWidget(button)
        self.amount = QSpinBox()
        self.amount.setRange(1, 999)
        self.amount.setValue(3)
        self.unit = QComboBox()
        for unit, label in (
            (ExpiryUnit.MINUTES, self.tr("minutes")),
            (ExpiryUnit.HOURS, self.tr("hours")),
            (ExpiryUnit.DAYS, self.tr("days")),
        ):
            self.unit.addItem(label, unit)
        self.unit.setCurrentIndex(2)
        row.addWidget(self.amount)
        row.addWidget(self.unit)
        row.addStretch(1)
        layout.addWidget(self.lifetime)
        self.cap_note = QLabel()
        self.cap_note.setWordWrap(True)
        self.cap_note.setStyleSheet(f"color: {status_colour(False)};")
        self.cap_note.hide()
        layout.addWidget(self.cap_note)
        #: Links to archived objects are signed all the same (a restore may be under way),
        #: but give an error instead of the bytes until then: the sharer is told now.
        self.archived_note = QLabel()
        self.archived_note.setWordWrap(True)
        self.archived_note.setStyleSheet(f"color: {status_colour(False)};")
        if archived:
            self.archived_note.setText(
                (
                    self.tr(
                        "“{name}” is archived: the link gives an error instead of its bytes "
                        "until it is restored (Restore…)."
                    )
                    if len(archived) == 1
                    else self.tr(
                        "{n} of these objects are archived (“{name}”…): their links give an "
                        "error instead of their bytes until they are restored (Restore…)."
                    )
                ).format(name=archived[0].rsplit("/", 1)[-1], n=len(archived))
            )
        else:
            self.archived_note.hide()
        layout.addWidget(self.archived_note)

        self.url_view = QPlainTextEdit()
        self.url_view.setReadOnly(True)
        self.url_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout.addWidget(self.url_view, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        if self.settings.aws_profile:
            note = QLabel(
                self.tr(
                    "Links signed with temporary credentials (SSO, an assumed role) stop "
                    "working when those credentials expire, which may be sooner."
                )
            )
            note.setWordWrap(True)
            layout.addWidget(note)

        buttons = QDialogButtonBox()
        self.copy_button = buttons.addButton(
            self.tr("Copy link"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        layout.addWidget(buttons)

        self.choices.button(DEFAULT_CHOICE).setChecked(True)
        self.choices.idToggled.connect(self._on_choice)
        self.amount.valueChanged.connect(self._custom_changed)
        self.unit.currentIndexChanged.connect(self._custom_changed)
        self._update_custom_enabled()
        if self.grant is not None:  # the SAS the link carries decides: nothing to choose
            for choice in self.choices.buttons():
                choice.setEnabled(False)
            self.amount.setEnabled(False)
            self.unit.setEnabled(False)
            self.lifetime.hide()
        self.generate()

    def _carried_text(self, grant: LinkGrant) -> str:
        """What a link carrying the connection's SAS gives, and until when: the SAS's own
        end, since no lifetime chosen here applies."""
        from cloudbrowser.gui.link_grant import end_text, permissions_text, scope_text

        if grant.read_only:
            ends = (
                self.tr("until it expires, {when}").format(when=format_time(grant.ends))
                if grant.ends > 0
                else self.tr("for as long as it is valid")
            )
            return self.tr(
                "The link carries this connection's SAS, which grants only reading: it "
                "works {ends}, and it reads all that the SAS covers (a container's SAS: "
                "every blob of the container), not only this object."
            ).format(ends=ends)
        return self.tr(
            "The link carries this connection's SAS, not a signature of its own: whoever "
            "has it may {what} on {where}, {end}. No lifetime chosen here can shorten that."
        ).format(
            what=permissions_text(grant),
            where=scope_text(grant, self.storage.features.bucket_word),
            end=end_text(grant),
        )

    def seconds(self) -> tuple[int, bool]:
        """The chosen expiry in seconds, and whether it was capped at the longest."""
        preset = PRESETS[max(0, self.choices.checkedId())][1]
        if preset is not None:
            return (self.longest if preset == LONGEST else preset), False
        return expiry_seconds(self.amount.value(), self.unit.currentData(), self.longest)

    def _update_custom_enabled(self) -> None:
        custom = PRESETS[max(0, self.choices.checkedId())][1] is None and self.grant is None
        self.amount.setEnabled(custom)
        self.unit.setEnabled(custom)

    @Slot(int, bool)
    def _on_choice(self, _id: int, checked: bool) -> None:
        if checked:
            self._update_custom_enabled()
            self.generate()

    @Slot()
    def _custom_changed(self) -> None:
        if PRESETS[max(0, self.choices.checkedId())][1] is None:
            self.generate()

    @Slot()
    def generate(self) -> None:
        """Sign the links on a worker; copy them when they arrive."""
        if self.job is not None:
            self.job.cancel()
        seconds, capped = self.seconds()
        self.cap_note.setVisible(capped)
        self.cap_note.setText(
            # Every provider's longest (S3's SigV4, GCS's V4 signed URLs): no signing scheme
            # is named, as it was SigV4's on a GCS or Azure link too.
            self.tr("A share link lasts at most 7 days: the expiry is set to 7 days.")
        )
        self.copy_button.setEnabled(False)
        self.status.setText(self.tr("Signing…"))
        storage = self.storage
        bucket, keys = self.bucket, list(self.keys)

        accepted = self.accepted_grant

        def work(_job: Job) -> list[ShareLink]:
            links = share_links_of(storage)
            return [links.share_link(bucket, key, seconds, accepted=accepted) for key in keys]

        self.job = self.service.run(
            work,
            f"Signing a link to {bucket}/{keys[0]}",
            succeeded=self._on_signed,
            failed=self._on_failed,
        )

    @Slot(object)
    def _on_signed(self, links: list[ShareLink]) -> None:
        # The end each link names, not now plus the lifetime chosen: a link may end sooner
        # (an Azure user delegation key's end; a SAS it carries).
        self.urls = [link.url for link in links]
        self.expires_at = min((link.expires for link in links if link.expires), default=0.0)
        self.url_view.setPlainText("\n".join(self.urls))
        self.copy_button.setEnabled(True)
        self.copy()

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        self.status.setText(self.tr("No link: {error}").format(error=error.message))
        self.messages.major(error)

    def expiry_text(self) -> str:
        if self.expires_at > 0:
            return format_time(self.expires_at)
        if self.grant is not None:  # the SAS it carries names no end
            return self.tr("when the connection's SAS does")
        # An unsigned URL (an anonymous connection's): it works while the object is public.
        return self.tr("only when the object stops being public (the link is not signed)")

    @Slot()
    def copy(self) -> None:
        if not self.urls:
            return
        QGuiApplication.clipboard().setText("\n".join(self.urls))
        text = (
            self.tr("Link copied to the clipboard. It expires {when}.")
            if len(self.urls) == 1
            else self.tr("{n} links copied to the clipboard. They expire {when}.")
        ).format(when=self.expiry_text(), n=len(self.urls))
        self.status.setText(text)
        self.messages.info(text)

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
        super().reject()
