"""The fields of a native Google Cloud Storage connection, inside the connection dialog.

How the user signs in, and what each way needs:

* **Application default credentials**: nothing to type. The widget shows what google-auth
  will find (the file, the kind of account, its project), or how to create it.
* **Service-account key**: the JSON file, chosen once. Its text is held here only until the
  dialog hands it to the keyring (``ProfileStore.set_secret``); ``connections.json`` keeps
  the service account's email. The file is not needed afterwards.
* **Browser sign-in** with the user's own OAuth client (``gcs_sign_in.py``): the
  ``authorized_user`` record it produces goes to the keyring the same way.
* **Anonymous**: public buckets, or an emulator.

A person's sign-in (application default credentials of a user, the browser sign-in) has no
key to sign share links with: **Sign links as** names the service account Google's IAM
signs them as (kept in ``connections.json``, like the project).

The project is filled from the credentials where they name one. The endpoint is only for an
emulator or a custom endpoint, behind a check box. Files are read on workers.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cloudbrowser.core.backends.gcs.sign_in import (
    ADC_COMMAND,
    GoogleCredentials,
    OAuthClient,
    SignedIn,
    browser_sign_in,
    find_adc,
    no_adc_hint,
    read_oauth_client,
    read_service_account_key,
)
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.profiles import GCS_AUTH, Profile
from cloudbrowser.gui.dialogs.gcs_sign_in import GoogleLoginFn, GoogleSignInDialog
from cloudbrowser.gui.palette import status_colour
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

#: The provider combo's item for native GCS (the S3 presets' ids are the other items).
GCS_NATIVE = "gcs-native"
GCS_NATIVE_LABEL = QT_TRANSLATE_NOOP("GcsFields", "Google Cloud Storage (native)")
GCS_NATIVE_HELP = QT_TRANSLATE_NOOP(
    "GcsFields",
    "Google's own API: sign in with your gcloud credentials, a service-account key or your "
    "own OAuth client. Have only HMAC keys? Choose “Google Cloud Storage (HMAC keys)”.",
)
_AUTH_LABELS = {
    "adc": QT_TRANSLATE_NOOP("GcsFields", "Application default credentials (gcloud)"),
    "service_account": QT_TRANSLATE_NOOP("GcsFields", "Service-account key (JSON file)"),
    "oauth": QT_TRANSLATE_NOOP("GcsFields", "Browser sign-in with your own OAuth client"),
    "anonymous": QT_TRANSLATE_NOOP("GcsFields", "Anonymous (public buckets, emulator)"),
}
FileChooser = Callable[..., tuple[str, str]]
_SIGN_AS_PLACEHOLDER = QT_TRANSLATE_NOOP("GcsFields", "service account's email (optional)")


def _tr(text: str) -> str:
    return QCoreApplication.translate("GcsFields", text)


def _row(*widgets: QWidget) -> QWidget:
    """Widgets side by side as one field (a widget, so that a wrapped label gets its
    height); the label among them takes the free width."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, (QLabel, QLineEdit)) else 0)
    return row


class GcsFields(QObject):
    """Sign-in, project and endpoint of a GCS connection.

    ``typed_credentials()`` is the secret picked or signed in here and not yet stored;
    ``apply(profile)`` writes the fields into a profile.

    Signals:
        projectFound(str): the credentials name a project (already put in the field when
            it was empty).
    """

    projectFound = Signal(str)

    def __init__(self, service: StorageService, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("gcsFields")
        #: The parent of the file choosers and the sign-in dialog.
        self.widget = parent
        self.service = service
        #: How to pick files and sign in (tests replace them).
        self.choose_file: FileChooser = QFileDialog.getOpenFileName
        self.login: GoogleLoginFn = browser_sign_in
        self.open_browser: Callable[[str], Any] = webbrowser.open
        #: The key id of the saved connection (client email / client id), kept when no new
        #: secret is chosen; and whether a secret for it is stored.
        self._saved_key_id = ""
        self._saved_auth = ""
        #: A secret chosen here and not stored yet: (key id, JSON text, what to show).
        self._pending: tuple[str, str, str] | None = None
        #: The project last filled from credentials (replaced by the next one's).
        self._filled_project = ""
        #: Who the browser sign-in signed in as (for the note).
        self._signed_in_as = ""
        self.adc: GoogleCredentials | None = None
        self._build()
        self._update()

    # ── construction ────────────────────────────────────────────────────────────────────

    def _build(self) -> None:
        self.auth_combo = QComboBox()
        for auth in GCS_AUTH:
            self.auth_combo.addItem(_tr(str(_AUTH_LABELS[auth])), auth)
        self.auth_combo.currentIndexChanged.connect(self._on_auth)

        self.adc_label = self._note()
        self.adc_again = QPushButton(self.tr("Look again"))
        self.adc_again.clicked.connect(self.look_for_adc)
        adc_row = _row(self.adc_label, self.adc_again)

        self.key_button = QPushButton(self.tr("Choose key file…"))
        self.key_button.clicked.connect(self.choose_key)
        self.key_label = self._note()
        key_row = _row(self.key_button, self.key_label)

        self.client_id_edit = QLineEdit()
        self.client_id_edit.setPlaceholderText(self.tr("…apps.googleusercontent.com"))
        self.client_secret_edit = QLineEdit()
        self.client_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_file_button = QPushButton(self.tr("From file…"))
        self.client_file_button.setToolTip(
            self.tr("Read the ID and secret from the client_secret_….json you downloaded")
        )
        self.client_file_button.clicked.connect(self.choose_client_file)
        client_row = _row(self.client_id_edit, self.client_file_button)
        self.sign_in_button = QPushButton(self.tr("Sign in in the browser…"))
        self.sign_in_button.clicked.connect(self.sign_in)
        self.sign_in_label = self._note()
        sign_in_row = _row(self.sign_in_button, self.sign_in_label)

        self.sign_as_edit = QLineEdit()
        self.sign_as_edit.setPlaceholderText(_tr(str(_SIGN_AS_PLACEHOLDER)))
        self.sign_as_note = self._note()
        self.sign_as_note.setText(
            self.tr(
                "For share links: your sign-in has no key to sign them, so Google's IAM signs "
                "them as this service account. You need its Service Account Token Creator "
                "role."
            )
        )

        self.project_edit = QLineEdit()
        self.project_edit.setPlaceholderText(self.tr("to list and create buckets"))
        self.custom_endpoint_check = QCheckBox(self.tr("Emulator or custom endpoint"))
        self.custom_endpoint_check.toggled.connect(self._update)
        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setPlaceholderText(self.tr("e.g. http://127.0.0.1:4443"))

        #: The rows of the dialog's form, in order (label, field).
        self._form_rows: list[tuple[str, QWidget]] = [
            (self.tr("Sign &in with:"), self.auth_combo),
            ("", adc_row),
            (self.tr("Key:"), key_row),
            (self.tr("OAuth client ID:"), client_row),
            (self.tr("Client secret:"), self.client_secret_edit),
            ("", sign_in_row),
            (self.tr("Sign &links as:"), self.sign_as_edit),
            ("", self.sign_as_note),
            (self.tr("Pro&ject:"), self.project_edit),
            ("", self.custom_endpoint_check),
            (self.tr("Endpoint:"), self.endpoint_edit),
        ]
        #: The rows only some ways of signing in show ("Sign links as": those of a person,
        #: who has no key).
        sign_as = [self.sign_as_edit, self.sign_as_note]
        self._rows: dict[str, list[QWidget]] = {
            "adc": [adc_row, *sign_as],
            "service_account": [key_row],
            "oauth": [client_row, self.client_secret_edit, sign_in_row, *sign_as],
        }
        self.form: QFormLayout | None = None
        self._shown = False

    def add_rows(self, form: QFormLayout) -> None:
        """Add the fields to the dialog's form (in its columns, after its last row)."""
        self.form = form
        for label, field in self._form_rows:
            form.addRow(label, field)
        self._update()

    def set_shown(self, shown: bool) -> None:
        """Show the fields (a native GCS connection is chosen) or hide them."""
        self._shown = shown
        self._update()
        if shown and self.auth() == "adc" and self.adc is None:
            self.look_for_adc()

    def set_editable(self, editable: bool) -> None:
        for _label, field in self._form_rows:
            field.setEnabled(editable)

    def _note(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        return label

    # ── the profile ─────────────────────────────────────────────────────────────────────

    def show_profile(self, profile: Profile, saved: bool) -> None:
        """Show ``profile``'s fields; ``saved``: it is the saved connection (its secret, if
        any, is in the keyring)."""
        self._pending = None
        gcs = profile.kind == "gcs"
        auth = profile.gcs_auth() if gcs else "adc"
        self._saved_auth = auth if saved and gcs else ""
        self._saved_key_id = profile.access_key_id if saved and gcs else ""
        self.auth_combo.setCurrentIndex(max(0, self.auth_combo.findData(auth)))
        self.project_edit.setText(profile.project if gcs else "")
        self._filled_project = ""
        endpoint = profile.endpoint_url if gcs else ""
        self.endpoint_edit.setText(endpoint)
        self.custom_endpoint_check.setChecked(bool(endpoint))
        self.client_id_edit.setText(self._saved_key_id if auth == "oauth" else "")
        self.client_secret_edit.clear()
        self.sign_as_edit.setText(profile.sign_links_as if gcs else "")
        self._update()

    def auth(self) -> str:
        return str(self.auth_combo.currentData())

    def apply(self, profile: Profile) -> Profile:
        """``profile`` with this widget's fields (kind, sign-in, key id, project, endpoint)."""
        auth = self.auth()
        endpoint = self.endpoint_edit.text().strip().rstrip("/")
        return replace(
            profile,
            kind="gcs",
            auth=auth,
            access_key_id=self._key_id(auth),
            anonymous=auth == "anonymous",
            project=self.project_edit.text().strip(),
            # Only a person's sign-in needs it (a key signs as itself): not kept elsewhere.
            sign_links_as=self.sign_as_edit.text().strip() if auth in ("adc", "oauth") else "",
            endpoint_url=endpoint if self.custom_endpoint_check.isChecked() else "",
            # The S3 fields mean nothing here: not kept, so that they cannot mislead.
            preset="other",
            region="",
            account_id="",
        )

    def _key_id(self, auth: str) -> str:
        if auth not in ("service_account", "oauth"):
            return ""
        if self._pending is not None and self._pending_auth == auth:
            return self._pending[0]
        return self._saved_key_id if self._saved_auth == auth else ""

    def typed_credentials(self) -> Credentials | None:
        """The key or sign-in chosen here and not stored yet (for the current sign-in)."""
        if self._pending is None or self._pending_auth != self.auth():
            return None
        key_id, text, _shown = self._pending
        return Credentials(key_id, text)

    def stored(self, profile: Profile) -> None:
        """The chosen secret went to the keyring (or this session): forget it here."""
        self._pending = None
        self._saved_auth = profile.gcs_auth()
        self._saved_key_id = profile.access_key_id
        self.client_secret_edit.clear()
        self._update()

    @property
    def _pending_auth(self) -> str:
        return self._pending[2] if self._pending is not None else ""

    # ── application default credentials ─────────────────────────────────────────────────

    @Slot()
    def look_for_adc(self) -> Job:
        """Read the ADC file on a worker and show what it is."""
        self.adc_label.setText(self.tr("Looking for application default credentials…"))

        def work(_job: Job) -> GoogleCredentials | None:
            return find_adc()

        return self.service.run(
            work, "Looking for application default credentials", succeeded=self._on_adc,
            failed=self._on_adc_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_adc(self, found: GoogleCredentials | None) -> None:
        self.adc = found
        self._show_sign_as_default(found)
        if found is None:
            self._set_note(
                self.adc_label,
                False,
                self.tr("No application default credentials on this computer.")
                + " "
                + self.tr("Run “{command}” in a terminal, then Look again.").format(
                    command=ADC_COMMAND
                ),
            )
            self.adc_label.setToolTip(no_adc_hint())
            return
        if found.account:
            text = self.tr("Found {file}: {kind} {account}.").format(
                file=found.path, kind=found.kind_label, account=found.account
            )
        else:
            text = self.tr("Found {file}: a {kind}.").format(file=found.path, kind=found.kind_label)
        if found.project:
            text += " " + self.tr("Project: {project}.").format(project=found.project)
        self._set_note(self.adc_label, True, text)
        self.adc_label.setToolTip("")
        self._found_project(found.project)

    def _show_sign_as_default(self, found: GoogleCredentials | None) -> None:
        """What links are signed as when "Sign links as" is left empty."""
        if found is not None and found.type == "impersonated_service_account" and found.account:
            text = self.tr("{account} (the impersonated account)").format(account=found.account)
        elif found is not None and found.type == "service_account":
            text = self.tr("not needed: the key signs links")
        else:
            text = _tr(str(_SIGN_AS_PLACEHOLDER))
        self.sign_as_edit.setPlaceholderText(text)

    @Slot(object)
    def _on_adc_failed(self, error: CloudBrowserError) -> None:
        self.adc = None
        self._set_note(self.adc_label, False, f"{error.message} {error.hint}".strip())

    # ── service-account key ─────────────────────────────────────────────────────────────

    @Slot()
    def choose_key(self) -> Job | None:
        path, _ = self.choose_file(
            self.widget, self.tr("Service-account key"), "",
            self.tr("JSON key files (*.json);;All files (*)"),
        )  # fmt: skip
        if not path:
            return None
        self._set_note(self.key_label, None, self.tr("Reading the key…"))

        def work(_job: Job) -> GoogleCredentials:
            return read_service_account_key(path)

        return self.service.run(
            work, "Reading the service-account key", succeeded=self._on_key,
            failed=self._on_key_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_key(self, key: GoogleCredentials) -> None:
        self._pending = (key.account, key.text, "service_account")
        self._found_project(key.project)
        self._update()

    @Slot(object)
    def _on_key_failed(self, error: CloudBrowserError) -> None:
        self._set_note(self.key_label, False, f"{error.message} {error.hint}".strip())

    # ── browser sign-in ─────────────────────────────────────────────────────────────────

    @Slot()
    def choose_client_file(self) -> Job | None:
        path, _ = self.choose_file(
            self.widget, self.tr("OAuth client file"), "",
            self.tr("JSON files (*.json);;All files (*)"),
        )  # fmt: skip
        if not path:
            return None

        def work(_job: Job) -> OAuthClient:
            return read_oauth_client(path)

        return self.service.run(
            work, "Reading the OAuth client", succeeded=self._on_client,
            failed=self._on_sign_in_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_client(self, client: OAuthClient) -> None:
        self.client_id_edit.setText(client.client_id)
        self.client_secret_edit.setText(client.client_secret)

    @Slot()
    def sign_in(self) -> GoogleSignInDialog | None:
        client_id = self.client_id_edit.text().strip()
        if not client_id:
            self._set_note(
                self.sign_in_label,
                False,
                self.tr("Type your OAuth client ID and secret first (a “Desktop app” client)."),
            )
            return None
        client = OAuthClient(client_id, self.client_secret_edit.text().strip())
        dialog = GoogleSignInDialog(
            self.service, client, self.widget, login=self.login, open_browser=self.open_browser
        )
        dialog.signedIn.connect(self._on_signed_in)
        dialog.finished.connect(dialog.deleteLater)
        dialog.start()
        return dialog

    @Slot(object)
    def _on_signed_in(self, signed_in: SignedIn) -> None:
        self._pending = (signed_in.client_id, signed_in.record, "oauth")
        self._signed_in_as = signed_in.account
        self._update()

    @Slot(object)
    def _on_sign_in_failed(self, error: CloudBrowserError) -> None:
        self._set_note(self.sign_in_label, False, f"{error.message} {error.hint}".strip())

    # ── shared ──────────────────────────────────────────────────────────────────────────

    def _found_project(self, project: str) -> None:
        if not project:
            return
        # Filled, unless the user typed one (a project filled from other credentials
        # before, e.g. ADC's before a key was chosen, is replaced).
        if self.project_edit.text().strip() in ("", self._filled_project):
            self.project_edit.setText(project)
            self._filled_project = project
        self.projectFound.emit(project)

    def _set_note(self, label: QLabel, ok: bool | None, text: str) -> None:
        label.setStyleSheet(f"color: {status_colour(ok)};" if ok is not None else "")
        label.setText(text)

    @Slot(int)
    def _on_auth(self, _index: int) -> None:
        self._update()
        if self.auth() == "adc" and self.adc is None and self._shown:
            self.look_for_adc()

    @Slot()
    def _update(self) -> None:
        if self.form is None:
            return
        auth = self.auth()
        only = {id(row) for rows in self._rows.values() for row in rows}
        mine = {id(row) for row in self._rows.get(auth, [])}
        for _label, field in self._form_rows:
            shown = id(field) in mine if id(field) in only else True
            self.form.setRowVisible(field, self._shown and shown)
        endpoint = self._shown and self.custom_endpoint_check.isChecked()
        self.form.setRowVisible(self.endpoint_edit, endpoint)
        self._show_key_state(auth)

    def _show_key_state(self, auth: str) -> None:
        pending = self._pending
        if auth == "service_account":
            if pending is not None and pending[2] == "service_account":
                self._set_note(
                    self.key_label,
                    True,
                    self.tr(
                        "{email}: stored in the system keyring when you save. The file is "
                        "not needed afterwards."
                    ).format(email=pending[0]),
                )
            elif self._saved_auth == auth and self._saved_key_id:
                self._set_note(
                    self.key_label,
                    None,
                    self.tr(
                        "{email}: its key is in the system keyring. Choose a file only to "
                        "replace it."
                    ).format(email=self._saved_key_id),
                )
            else:
                self._set_note(
                    self.key_label,
                    None,
                    self.tr(
                        "The JSON key of a service account (IAM & Admin → Service accounts → "
                        "Keys). It is kept in the system keyring, not in a file."
                    ),
                )
        elif auth == "oauth":
            if pending is not None and pending[2] == "oauth":
                who = self._signed_in_as or pending[0]
                self._set_note(
                    self.sign_in_label,
                    True,
                    self.tr("Signed in as {account}; kept in the system keyring when you save.")
                    .format(account=who),
                )  # fmt: skip
            elif self._saved_auth == auth and self._saved_key_id:
                self._set_note(
                    self.sign_in_label,
                    None,
                    self.tr("Signed in; the sign-in is in the system keyring."),
                )
            else:
                self._set_note(
                    self.sign_in_label,
                    None,
                    self.tr("Uses your own OAuth client (a “Desktop app” client of your project)."),
                )
