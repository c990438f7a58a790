"""The connection manager: saved connections and AWS profiles; add, edit, test, connect.

Left, every source: saved connections (editable) and the AWS config's profiles (read-only,
botocore resolves them). Right, the selected connection's fields. Keyring calls and
network tests run on workers; the secret typed here goes to the keyring (or, when there is
no usable keyring and the user agrees, to memory for this session) and nowhere else: the
field is cleared once it is stored.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.backends.azure.addresses import AzureAddress, read_secret
from cloudbrowser.core.backends.s3.aws_auth import AwsProfile, aws_profile, list_aws_profiles
from cloudbrowser.core.backends.s3.presets import PRESETS, preset
from cloudbrowser.core.check import CheckResult, check_connection
from cloudbrowser.core.connection import AddressingStyle, Credentials
from cloudbrowser.core.errors import CloudBrowserError, ConfigError
from cloudbrowser.core.profiles import Profile
from cloudbrowser.core.secrets import KeyringUnavailable
from cloudbrowser.gui.connector import (
    Connector,
    OpenRequest,
    aws_source,
    needs_azure_sign_in,
    saved_source,
)
from cloudbrowser.gui.dialogs.azure_fields import (
    AZURITE,
    PROVIDERS,
    AzureFields,
    AzureSignInDialog,
    provider_items,
    provider_of,
)
from cloudbrowser.gui.dialogs.gcs_connection import (
    GCS_NATIVE,
    GCS_NATIVE_HELP,
    GCS_NATIVE_LABEL,
    GcsFields,
)
from cloudbrowser.gui.message_icons import message_icon
from cloudbrowser.gui.messages import error_title
from cloudbrowser.gui.palette import status_colour
from cloudbrowser.gui.workers import Job

log = logging.getLogger(__name__)

#: Item data: the source (``saved:…`` / ``aws:…``) of a list row.
SourceRole = Qt.ItemDataRole.UserRole + 1
_ADDRESSING: tuple[AddressingStyle, ...] = ("auto", "path", "virtual")
_NEW = QT_TRANSLATE_NOOP("ConnectionsDialog", "New connection")
_TESTING = QT_TRANSLATE_NOOP("ConnectionsDialog", "Testing…")


class ConnectionsDialog(QDialog):
    """Manage and open connections.

    Signals:
        openRequested(object): an :class:`OpenRequest` with credentials typed just now
            (saved ones are opened through the connector, which reads the keyring).
    """

    openRequested = Signal(object)

    def __init__(self, connector: Connector, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connections")
        self.setWindowTitle(self.tr("Connections"))
        self.resize(860, 560)
        self.connector = connector
        self.store = connector.store
        self.service = connector.service
        #: The saved profile shown in the form (None: a new, unsaved one).
        self.current: Profile | None = None
        #: The AWS profile shown (read-only), if one is selected.
        self.current_aws: AwsProfile | None = None
        self.aws_profiles: list[AwsProfile] = []
        #: A secret waiting for the user's answer about a session-only secret.
        self._unsaved_secret: tuple[Profile, str, str] | None = None
        #: "Connect" with a typed secret: opened once the secret has a place (the keyring,
        #: or this session after the user said so), never before. Otherwise a restored
        #: transfer would resume first and the keyring question come after it.
        self._connect_when_stored: OpenRequest | None = None
        #: Whether the system has a usable keyring (None: not known yet; asked on a worker).
        self.keyring_usable: bool | None = None
        self._loading = False
        self._build()
        self.refresh()
        self._ask_keyring()

    # ── construction ────────────────────────────────────────────────────────────────────

    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Connections"))
        self.list.currentItemChanged.connect(self._on_current)
        # Double-click or Enter on a connection opens it, as in other file managers.
        self.list.itemActivated.connect(self._on_activated)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.add_new)
        self.duplicate_button = QPushButton(self.tr("Duplicate"))
        self.duplicate_button.clicked.connect(self.duplicate)
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.remove_button.clicked.connect(self.confirm_remove)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        for b in (self.add_button, self.duplicate_button, self.remove_button):
            row.addWidget(b)
        left_layout.addLayout(row)

        self.name_edit = QLineEdit()
        self.preset_combo = QComboBox()
        for p in PRESETS:
            self.preset_combo.addItem(p.label, p.id)
        # Beside Amazon S3, before the HMAC interoperability preset: the one most GCS users want.
        self.preset_combo.insertItem(
            1, QCoreApplication.translate("GcsFields", str(GCS_NATIVE_LABEL)), GCS_NATIVE
        )
        self.gcs = GcsFields(self.service, self)
        for provider, label in provider_items():  # a backend of their own, not S3 presets
            self.preset_combo.addItem(label, provider)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.preset_help = QLabel()
        self.preset_help.setWordWrap(True)
        self.preset_help.setStyleSheet("color: palette(placeholder-text);")
        self.account_edit = QLineEdit()
        self.account_edit.setPlaceholderText(self.tr("Cloudflare account ID"))
        self.account_edit.textChanged.connect(self._update_endpoint_hint)
        self.endpoint_edit = QLineEdit()
        self.region_combo = QComboBox()
        self.region_combo.setEditable(True)
        self.region_combo.currentTextChanged.connect(self._update_endpoint_hint)
        self.addressing_combo = QComboBox()
        for style in _ADDRESSING:
            self.addressing_combo.addItem(style, style)
        self.key_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(self.tr("only for temporary credentials"))
        self.anonymous_check = QCheckBox(self.tr("Anonymous (public buckets, unsigned requests)"))
        self.anonymous_check.toggled.connect(self._update_enabled)
        self.bucket_edit = QLineEdit()
        self.bucket_edit.setPlaceholderText(self.tr("for keys that may not list all buckets"))
        self.prefix_edit = QLineEdit()
        self.verify_check = QCheckBox(self.tr("Verify TLS certificates"))
        self.verify_check.toggled.connect(self._update_enabled)
        self.tls_warning = QLabel(
            self.tr(
                "⚠ Certificates are not checked: anyone on the network path can read and "
                "change your data and credentials. Use only for a test server."
            )
        )
        self.tls_warning.setWordWrap(True)
        self.tls_warning.setStyleSheet(f"color: {status_colour(False)}; font-weight: bold;")
        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText(self.tr("system certificates"))
        self.ca_button = QPushButton(self.tr("Browse…"))
        self.ca_button.clicked.connect(self._choose_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.ca_button)
        self.aws_label = QLabel()
        self.aws_label.setWordWrap(True)
        self.azure_fields = AzureFields(self.endpoint_edit, self.bucket_edit, self.prefix_edit)
        self.azure_fields.signInRequested.connect(self.sign_in_azure)

        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.addRow(self.aws_label)
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&Provider:"), self.preset_combo)
        form.addRow("", self.preset_help)
        self.gcs.add_rows(form)
        form.addRow(self.azure_fields)
        form.addRow(self.tr("Account &ID:"), self.account_edit)
        form.addRow(self.tr("&Endpoint:"), self.endpoint_edit)
        form.addRow(self.tr("&Region:"), self.region_combo)
        form.addRow(self.tr("Addressing:"), self.addressing_combo)
        form.addRow(self.tr("&Access key ID:"), self.key_edit)
        form.addRow(self.tr("&Secret access key:"), self.secret_edit)
        form.addRow(self.tr("Session token:"), self.token_edit)
        form.addRow("", self.anonymous_check)
        form.addRow(self.tr("Default &bucket:"), self.bucket_edit)
        form.addRow(self.tr("Default folder:"), self.prefix_edit)
        form.addRow("", self.verify_check)
        form.addRow("", self.tls_warning)
        form.addRow(self.tr("CA bundle:"), ca_row)
        self.form = form
        self.azure_fields.align_with(form)
        # The secret's label changes with the sign-in (key, connection string, SAS).
        self.azure_fields.auth_combo.currentIndexChanged.connect(
            lambda _index: self.azure_fields.align_with(form)
        )

        self.result_label = QLabel()
        #: Which Test the result label is for: a test's result, failure or end that
        #: arrives after another test began is not shown (it would speak of other settings).
        self._test_number = 0
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_button = QPushButton(self.tr("&Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(self.tr("Sa&ve"))
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.clicked.connect(self.save)
        self.connect_button = QPushButton(self.tr("&Connect"))
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.connect_selected)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        for b in (self.save_button, self.connect_button, self.close_button):
            buttons.addWidget(b)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(form_widget)
        right_layout.addWidget(self.result_label)
        right_layout.addStretch(1)
        right_layout.addLayout(buttons)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 620])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    # ── the list ────────────────────────────────────────────────────────────────────────

    def refresh(self) -> None:
        """Re-read the saved connections now and the AWS config in the background."""
        self.reload()
        self._load_aws_profiles()

    def reload(self, select: str = "") -> None:
        """Rebuild the list from the file and the AWS profiles; select ``select`` (a source)."""
        self._rebuild_list()
        target = select or (saved_source(self.current.name) if self.current else "")
        if not self.select(target) and not self.select_first():
            self.add_new()

    def _rebuild_list(self) -> None:
        try:
            profiles = self.store.load()
        except ConfigError as error:
            profiles = []
            self._show_result(False, error.message, error.hint)
        blocked = self.list.blockSignals(True)
        self.list.clear()
        self._header(self.tr("Saved connections"))
        for p in profiles:
            item = QListWidgetItem(p.name)
            item.setData(SourceRole, saved_source(p.name))
            item.setToolTip(p.endpoint() or self._provider_name(p))
            self.list.addItem(item)
        if self.aws_profiles:
            self._header(self.tr("AWS profiles (~/.aws/config)"))
            for a in self.aws_profiles:
                item = QListWidgetItem(f"{a.name} — {a.kind_label}")
                item.setData(SourceRole, aws_source(a.name))
                self.list.addItem(item)
        self.list.blockSignals(blocked)

    def _header(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.list.addItem(item)

    def select(self, source: str) -> bool:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if source and item.data(SourceRole) == source:
                self.list.setCurrentItem(item)
                self._on_current(item, None)
                return True
        return False

    def select_first(self) -> bool:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(SourceRole):
                self.list.setCurrentItem(item)
                return True
        return False

    def _load_aws_profiles(self) -> None:
        def work(_job: Job) -> list[AwsProfile]:
            return list_aws_profiles()

        self.service.run(
            work, "Reading the AWS profiles", succeeded=self._on_aws_profiles,
            failed=self._on_aws_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_aws_profiles(self, profiles: list[AwsProfile]) -> None:
        if profiles == self.aws_profiles:
            return
        self.aws_profiles = profiles
        item = self.list.currentItem()
        source = item.data(SourceRole) if item is not None else ""
        if not source:
            # A new connection is being typed: add the profiles, leave the form alone.
            self._rebuild_list()
            return
        self.reload(select=source)

    @Slot(object)
    def _on_aws_failed(self, error: CloudBrowserError) -> None:
        self._show_result(False, error.message, error.hint)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        source = item.data(SourceRole) if item is not None else None
        if not source:
            return
        self.result_label.clear()
        if source.startswith("aws:"):
            name = source.removeprefix("aws:")
            self.current = None
            self.current_aws = next((a for a in self.aws_profiles if a.name == name), None)
            self._show_aws()
            return
        self.current_aws = None
        try:
            self.current = self.store.get(source.removeprefix("saved:"))
        except ConfigError as error:
            self._show_result(False, error.message, error.hint)
            return
        self._show_profile(self.current)

    @Slot(QListWidgetItem)
    def _on_activated(self, item: QListWidgetItem) -> None:
        if item.data(SourceRole):
            self.connect_selected()

    # ── the form ────────────────────────────────────────────────────────────────────────

    def _show_profile(self, profile: Profile) -> None:
        self._loading = True
        self.name_edit.setText(profile.name)
        if profile.kind == "gcs":
            combo_id = GCS_NATIVE
        elif profile.kind == "azure":
            combo_id = provider_of(profile)
        else:
            combo_id = preset(profile.preset).id
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(combo_id)))
        self.gcs.show_profile(profile, saved=self._is_saved(profile))
        self._fill_regions(profile.preset)
        self.account_edit.setText(profile.account_id)
        self.endpoint_edit.setText(profile.endpoint_url)
        self.region_combo.setCurrentText(profile.region)
        self.addressing_combo.setCurrentIndex(
            self.addressing_combo.findData(profile.addressing_style)
        )
        self.key_edit.setText(profile.access_key_id)
        self.secret_edit.clear()
        self.token_edit.clear()
        saved = self._is_saved(profile)
        self.secret_edit.setPlaceholderText(self._secret_place(profile) if saved else "")
        self.anonymous_check.setChecked(profile.anonymous)
        self.bucket_edit.setText(profile.default_bucket)
        self.prefix_edit.setText(profile.default_prefix)
        self.verify_check.setChecked(profile.verify_tls)
        self.ca_edit.setText(profile.ca_bundle)
        self.azure_fields.show_profile(profile, self._secret_place(profile) if saved else "")
        self._loading = False
        self._update_preset_help()
        self._update_enabled()
        if saved and profile.kind == "azure":
            self._show_saved_sas(profile)

    def _show_aws(self) -> None:
        a = self.current_aws
        if a is None:
            return
        self._loading = True
        self.name_edit.setText(a.name)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData("aws"))
        self.endpoint_edit.setText(a.endpoint_url)
        self.region_combo.setCurrentText(a.region)
        for edit in (
            self.key_edit, self.secret_edit, self.token_edit, self.account_edit,
            self.bucket_edit, self.prefix_edit, self.ca_edit,
        ):  # fmt: skip
            edit.clear()
        self.anonymous_check.setChecked(False)
        self.verify_check.setChecked(True)
        self._loading = False
        self._update_preset_help()  # the S3 fields, after an Azure connection was shown
        self.aws_label.setText(
            self.tr(
                "AWS profile “{name}” ({kind}) from the AWS config: edit it there. "
                "Credentials come from botocore, as for the AWS CLI."
            ).format(name=a.name, kind=a.kind_label)
        )
        self._update_enabled()

    def _s3_form_profile(self) -> Profile:
        base = self.current or Profile(name="")
        return replace(
            base,
            name=self.name_edit.text().strip(),
            preset=str(self.preset_combo.currentData()),
            endpoint_url=self.endpoint_edit.text().strip().rstrip("/"),
            region=self.region_combo.currentText().strip(),
            addressing_style=self.addressing_combo.currentData(),
            access_key_id=self.key_edit.text().strip(),
            anonymous=self.anonymous_check.isChecked(),
            default_bucket=self.bucket_edit.text().strip(),
            default_prefix=self.prefix_edit.text().strip(),
            verify_tls=self.verify_check.isChecked(),
            ca_bundle=self.ca_edit.text().strip(),
            account_id=self.account_edit.text().strip(),
            kind="s3",
            auth="",
            project="",
            account="",
            sign_links_as="",
        )

    def form_profile(self) -> Profile:
        """The profile the fields describe (with the current profile's id when editing)."""
        if self._is_gcs():
            base = self.current or Profile(name="")
            return self.gcs.apply(
                replace(
                    base,
                    name=self.name_edit.text().strip(),
                    default_bucket=self.bucket_edit.text().strip(),
                    default_prefix=self.prefix_edit.text().strip(),
                    verify_tls=self.verify_check.isChecked(),
                    ca_bundle=self.ca_edit.text().strip(),
                )
            )
        profile = self._s3_form_profile()
        if self._is_azure():
            return self.azure_fields.profile(profile, str(self.preset_combo.currentData()))
        return profile

    def _typed_credentials(self, profile: Profile) -> Credentials | None:
        if profile.kind == "gcs":
            return self.gcs.typed_credentials()
        if profile.kind == "azure":
            return self.azure_fields.typed_credentials(profile)
        secret = self.secret_edit.text()
        if profile.anonymous or not secret:
            return None
        return Credentials(profile.access_key_id, secret, self.token_edit.text())

    @Slot()
    def add_new(self) -> None:
        self.current = None
        self.current_aws = None
        blocked = self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.blockSignals(blocked)
        first = PRESETS[0]
        self._show_profile(
            Profile(
                name=self.tr(str(_NEW)),
                preset=first.id,
                region=first.region,
                addressing_style=first.addressing_style,
            )
        )
        self.result_label.clear()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    @Slot(int)
    def _on_preset(self, _index: int) -> None:
        if self._loading:
            return
        if self._is_gcs():
            self.endpoint_edit.clear()
            self._update_preset_help()
            return
        if self._is_azure():
            self.endpoint_edit.clear()
            if self.preset_combo.currentData() == AZURITE:
                self.azure_fields.fill_azurite()
            self._update_preset_help()
            return
        p = preset(str(self.preset_combo.currentData()))
        self._fill_regions(p.id)
        self.region_combo.setCurrentText(p.region)
        self.addressing_combo.setCurrentIndex(self.addressing_combo.findData(p.addressing_style))
        # A typed endpoint belongs to the previous provider.
        self.endpoint_edit.clear()
        self._update_preset_help()

    def _fill_regions(self, preset_id: str) -> None:
        text = self.region_combo.currentText()
        self.region_combo.clear()
        self.region_combo.addItems(list(preset(preset_id).regions))
        self.region_combo.setCurrentText(text)

    def _is_azure(self) -> bool:
        return any(self.preset_combo.currentData() == provider for provider, _ in PROVIDERS)

    def _show_kind(self, *, gcs: bool, azure: bool) -> None:
        """The fields of the chosen kind only: the S3 ones would only mislead."""
        self.form.setRowVisible(self.azure_fields, azure)
        self.gcs.set_shown(gcs)
        # GCS has its own endpoint row (an emulator's, under its check box).
        self.form.setRowVisible(self.endpoint_edit, not gcs)
        for w in (
            self.region_combo, self.addressing_combo, self.key_edit, self.secret_edit,
            self.token_edit, self.anonymous_check,
        ):  # fmt: skip
            self.form.setRowVisible(w, not (gcs or azure))

    def _update_preset_help(self) -> None:
        gcs = self._is_gcs()
        azure = self._is_azure()
        self._show_kind(gcs=gcs, azure=azure)
        label = self.form.labelForField(self.bucket_edit)
        if isinstance(label, QLabel):  # "bucket" is Azure's container (§10)
            label.setText(self.tr("Default &container:") if azure else self.tr("Default &bucket:"))
        self.bucket_edit.setPlaceholderText(
            self.tr("for credentials that may not list all containers")
            if azure
            else self.tr("for keys that may not list all buckets")
        )
        if gcs:
            self.preset_help.setText(QCoreApplication.translate("GcsFields", str(GCS_NATIVE_HELP)))
            self.form.setRowVisible(self.account_edit, False)
            return
        if azure:
            self.preset_help.setText(
                self.tr(
                    "Containers are shown as buckets. The key, connection string or SAS is "
                    "kept in the system keyring; Entra ID sign-ins in azure-identity's "
                    "encrypted token cache."
                )
            )
            self.form.setRowVisible(self.account_edit, False)
            self.endpoint_edit.setPlaceholderText(
                self.tr("https://ACCOUNT.blob.core.windows.net (leave empty for Azure)")
            )
            return
        p = preset(str(self.preset_combo.currentData()))
        self.preset_help.setText(p.help)
        self.form.setRowVisible(self.account_edit, p.needs_account)
        self._update_endpoint_hint()

    def _is_gcs(self) -> bool:
        return bool(self.preset_combo.currentData() == GCS_NATIVE)

    def _is_saved(self, profile: Profile) -> bool:
        return self.current is not None and self.current.id == profile.id

    def _provider_name(self, profile: Profile) -> str:
        if profile.kind == "gcs":
            return self.tr("Google Cloud Storage")
        if profile.kind == "azure":
            return self.tr("Azure Blob Storage")
        return self.tr("Amazon S3")

    @Slot()
    def _update_endpoint_hint(self) -> None:
        p = preset(str(self.preset_combo.currentData()))
        try:
            hint = p.endpoint(self.region_combo.currentText(), self.account_edit.text())
        except ConfigError:
            hint = p.endpoint_pattern
        if p.needs_endpoint:
            self.endpoint_edit.setPlaceholderText(
                self.tr("e.g. {endpoint}").format(endpoint=hint) if hint else "https://…"
            )
        else:
            self.endpoint_edit.setPlaceholderText(hint or self.tr("Amazon S3 (from the region)"))

    @Slot()
    def _update_enabled(self) -> None:
        aws = self.current_aws is not None
        self.aws_label.setVisible(aws)
        editable = not aws
        for w in (
            self.name_edit, self.preset_combo, self.account_edit, self.endpoint_edit,
            self.region_combo, self.addressing_combo, self.anonymous_check, self.bucket_edit,
            self.prefix_edit, self.verify_check, self.ca_edit, self.ca_button,
        ):  # fmt: skip
            w.setEnabled(editable)
        self.gcs.set_editable(editable)
        signed = editable and not self.anonymous_check.isChecked()
        for w in (self.key_edit, self.secret_edit, self.token_edit):
            w.setEnabled(signed)
        self.ca_edit.setEnabled(editable and self.verify_check.isChecked())
        self.ca_button.setEnabled(editable and self.verify_check.isChecked())
        self.tls_warning.setVisible(editable and not self.verify_check.isChecked())
        self.save_button.setEnabled(editable)
        self.duplicate_button.setEnabled(self.current is not None)
        self.remove_button.setEnabled(self.current is not None)

    @Slot()
    def _choose_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("CA certificates to trust"), self.ca_edit.text(),
            self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )  # fmt: skip
        if path:
            self.ca_edit.setText(path)

    # ── actions ─────────────────────────────────────────────────────────────────────────

    @Slot()
    def save(self) -> bool:
        """Save the form (the secret to the keyring, on a worker). False if it is invalid."""
        if self.current_aws is not None:
            return False
        profile = self.form_profile()
        typed = self._typed_credentials(profile)
        try:
            if typed is not None:  # an expired SAS, a key that is not one: before saving
                profile.check_secret(typed.secret_access_key)
            saved = self.store.update(profile) if self.current else self.store.add(profile)
        except ConfigError as error:
            self._show_result(False, error.message, error.hint)
            return False
        self.current = saved
        self.reload(select=saved_source(saved.name))
        if typed is not None:
            self._store_secret(saved, typed)
        else:
            self._show_result(True, self.tr("Saved “{name}”.").format(name=saved.name))
        return True

    def _store_secret(self, profile: Profile, creds: Credentials) -> None:
        store = self.store

        def work(_job: Job) -> Profile:
            store.set_secret(profile, creds.secret_access_key, creds.session_token)
            return profile

        # Kept in memory only until the keyring answers (or the user picks "session only").
        self._unsaved_secret = (profile, creds.secret_access_key, creds.session_token)
        self.secret_edit.clear()
        self.token_edit.clear()
        if profile.kind == "gcs":
            self.gcs.stored(profile)
        self.azure_fields.secret_edit.clear()
        self.service.run(
            work, "Storing the secret in the keyring", succeeded=self._on_secret_stored,
            failed=self._on_secret_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_secret_stored(self, profile: Profile) -> None:
        self._unsaved_secret = None
        self.keyring_usable = True
        self.connector.session_secrets.forget(profile.id)
        self._update_secret_place(profile)
        self._show_result(
            True,
            self.tr("Saved “{name}”; the secret is in the system keyring.").format(
                name=profile.name
            ),
        )
        self._connect_now()

    @Slot(object)
    def _on_secret_failed(self, error: CloudBrowserError) -> None:
        if not isinstance(error, KeyringUnavailable) or self._unsaved_secret is None:
            self._unsaved_secret = None
            self._connect_when_stored = None
            self._show_result(False, error.message, error.hint)
            return
        self.keyring_usable = False
        box = QMessageBox(
            message_icon(QMessageBox.Icon.Warning), error_title(error), error.message, parent=self
        )
        box.setObjectName("keyringUnavailable")
        box.setInformativeText(
            self.tr(
                "The connection is saved without its secret. You can use the secret for this "
                "session only: it is kept in memory and forgotten when cloudbrowser quits. It "
                "is never written to a file."
            )
        )
        box.addButton(self.tr("Use for this session only"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(box.deleteLater)
        box.buttonClicked.connect(self._on_keyring_answer)
        box.open()

    @Slot(object)
    def _on_keyring_answer(self, button: object) -> None:
        box = self.sender()
        pending, self._unsaved_secret = self._unsaved_secret, None
        if not isinstance(box, QMessageBox) or pending is None:
            return
        if box.buttonRole(button) == QMessageBox.ButtonRole.AcceptRole:  # type: ignore[arg-type]
            profile, secret, token = pending
            self.connector.session_secrets.set(profile, secret, token)
            self._update_secret_place(profile)
            self._show_result(
                True,
                self.tr("Saved “{name}”; the secret is kept for this session only.").format(
                    name=profile.name
                ),
            )
            self._connect_now()
        else:
            self._connect_when_stored = None
            self._show_result(
                False,
                self.tr("The secret was not kept."),
                self.tr("Type it again when connecting."),
            )

    # ── where the secret is ─────────────────────────────────────────────────────────────

    def _ask_keyring(self) -> None:
        """Whether a usable keyring exists: resolving it may touch D-Bus, so on a worker."""
        store = self.store

        def work(_job: Job) -> bool:
            return store.secrets.backend_usable()

        self.service.run(work, "Looking for the system keyring", succeeded=self._on_keyring)

    @Slot(object)
    def _on_keyring(self, usable: bool) -> None:
        self.keyring_usable = usable
        if self.current is not None:
            self._update_secret_place(self.current)

    def _update_secret_place(self, profile: Profile) -> None:
        if self.current is not None and self.current.id == profile.id:
            self.secret_edit.setPlaceholderText(self._secret_place(profile))
            self.azure_fields.secret_edit.setPlaceholderText(self._secret_place(profile))

    def _secret_place(self, profile: Profile) -> str:
        """Where the saved connection's secret is, in the words the field shows."""
        if self.connector.session_secrets.get(profile) is not None:
            return self.tr("kept for this session only — leave empty to keep it")
        if self.keyring_usable is False:
            return self.tr("not stored: this system has no usable keyring — type it to connect")
        if self.keyring_usable is None:
            return self.tr("leave empty to keep the stored secret, if any")
        return self.tr("stored in the keyring — leave empty to keep it")

    def _connect_now(self) -> None:
        request, self._connect_when_stored = self._connect_when_stored, None
        if request is not None:
            self.openRequested.emit(request)
            self.accept()

    @Slot()
    def duplicate(self) -> None:
        if self.current is None:
            return
        store, name = self.store, self.current.name

        def work(_job: Job) -> Profile:
            return store.duplicate(name)

        self.service.run(
            work, f"Duplicating {name}", succeeded=self._on_duplicated, failed=self._on_edit_failed
        )

    @Slot(object)
    def _on_duplicated(self, copy: Profile) -> None:
        self.current = copy
        self.reload(select=saved_source(copy.name))
        self._show_result(True, self.tr("Created “{name}”.").format(name=copy.name))

    @Slot()
    def confirm_remove(self) -> None:
        if self.current is None:
            return
        box = QMessageBox(
            message_icon(QMessageBox.Icon.Question),
            self.tr("Remove connection"),
            self.tr("Remove the connection “{name}” and its stored secret?").format(
                name=self.current.name
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("confirmRemove")
        box.finished.connect(box.deleteLater)
        box.accepted.connect(self.remove)
        box.open()

    @Slot()
    def remove(self) -> None:
        if self.current is None:
            return
        store, profile = self.store, self.current
        self.connector.session_secrets.forget(profile.id)

        def work(_job: Job) -> str:
            store.remove(profile.name)
            return profile.name

        self.current = None
        self.service.run(
            work, f"Removing {profile.name}", succeeded=self._on_removed,
            failed=self._on_edit_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_removed(self, name: str) -> None:
        self.reload()
        self._show_result(True, self.tr("Removed “{name}”.").format(name=name))

    @Slot(object)
    def _on_edit_failed(self, error: CloudBrowserError) -> None:
        self.reload()
        self._show_result(False, error.message, error.hint)

    @Slot()
    def test_connection(self) -> Job | None:
        """Check the form's connection (unsaved edits included) on a worker."""
        self._test_number += 1
        number = self._test_number
        checked = partial(self._on_checked, number)
        check_failed = partial(self._on_check_failed, number)
        check_finished = partial(self._on_check_finished, number)
        self._show_result(None, self.tr(str(_TESTING)))
        prompter = self.service.mfa_prompter
        if self.current_aws is not None:
            name = self.current_aws.name

            def work_aws(_job: Job) -> CheckResult:
                return check_connection(aws_profile(name).settings(), mfa_prompter=prompter)

            return self.service.run(
                work_aws, "Testing the connection", succeeded=checked,
                failed=check_failed, finished=check_finished,
            )  # fmt: skip
        profile = self.form_profile()
        typed = self._typed_credentials(profile)
        try:
            # The secret first, as save() does: a pasted SAS URL fills the account, so an
            # expired one leaves it empty, and "No storage account name" would hide why.
            if typed is not None:
                profile.check_secret(typed.secret_access_key)
            profile.validate()
            settings = profile.settings()
        except ConfigError as error:
            self._show_result(False, error.message, error.hint)
            return None
        session = self.connector.session_secrets.get(profile)
        store = self.store
        saved = self.current is not None
        # Translated here, not in the worker: the dialog may be gone when the worker runs.
        no_secret = self.tr("No secret key to test with.")
        no_secret_hint = self.tr("Type the secret access key above.")
        if profile.kind == "gcs":
            no_secret = self.tr("No key or sign-in to test with.")
            no_secret_hint = self.tr("Choose the key file, or sign in in the browser, again.")
        not_signed_in = self.tr("Not signed in with Entra ID yet.")
        not_signed_in_hint = self.tr("Press “Sign in now…”, then test again.")

        def work(_job: Job) -> CheckResult:
            creds = typed or session
            if creds is None and profile.needs_secret and saved:
                creds = store.credentials(profile)
            if creds is None and profile.needs_secret:
                return CheckResult(False, no_secret, hint=no_secret_hint)
            if profile.kind == "azure" and needs_azure_sign_in(settings):
                return CheckResult(False, not_signed_in, hint=not_signed_in_hint)
            return check_connection(settings, creds)

        return self.service.run(
            work, "Testing the connection", succeeded=checked,
            failed=check_failed, finished=check_finished,
        )  # fmt: skip

    def _on_checked(self, number: int, result: CheckResult) -> None:
        if number == self._test_number:
            self._show_result(result.ok, result.summary, result.hint)

    def _on_check_finished(self, number: int) -> None:
        # A test's end comes after its result, in an event of its own: a second Test may
        # have begun in between, and its "Testing…" is not this one's to replace.
        if number == self._test_number and self.result_label.text() == self.tr(str(_TESTING)):
            # Neither result nor failure: the user cancelled (e.g. an MFA prompt).
            self._show_result(None, self.tr("Test cancelled."))

    def _on_check_failed(self, number: int, error: CloudBrowserError) -> None:
        if number == self._test_number:
            self._show_result(False, error.message, error.hint)

    @Slot()
    def connect_selected(self) -> None:
        """Open the selected connection (saving the form's edits first)."""
        if self.current_aws is not None:
            self.connector.open_source(aws_source(self.current_aws.name))
            self.accept()
            return
        typed = self._typed_credentials(self.form_profile())
        if not self.save() or self.current is None:
            return
        if typed is not None:
            # Opened when the keyring has answered (stored, or "this session only"): the
            # question about a missing keyring comes before anything resumes on it.
            profile = self.current
            settings = profile.settings()
            location = (
                f"{settings.default_bucket}/{settings.default_prefix}"
                if settings.default_bucket
                else ""
            )
            self._connect_when_stored = OpenRequest(
                saved_source(profile.name), settings, typed, location
            )
            self._show_result(None, self.tr("Storing the secret…"))
            return
        self.connector.open_saved(self.current.name)
        self.accept()

    # ── Azure ───────────────────────────────────────────────────────────────────────────

    def _show_saved_sas(self, profile: Profile) -> None:
        """A saved SAS's expiry, read from the keyring on a worker."""
        if profile.auth not in ("sas", "connection_string"):
            return
        store = self.store

        def work(_job: Job) -> tuple[str, object]:
            creds = store.credentials(profile)
            if creds is None:
                return profile.id, None
            try:
                return profile.id, read_secret(profile.auth, creds.secret_access_key)
            except ConfigError as error:  # expired since it was saved
                return profile.id, error

        self.service.run(work, "Reading the SAS expiry", succeeded=self._on_saved_sas)

    @Slot(object)
    def _on_saved_sas(self, result: tuple[str, object]) -> None:
        profile_id, found = result
        if self.current is None or self.current.id != profile_id or found is None:
            return
        if isinstance(found, CloudBrowserError):
            self.azure_fields.show_error(found)
        elif isinstance(found, AzureAddress):
            self.azure_fields.show_sas(found.sas, found.warnings)

    @Slot()
    def sign_in_azure(self) -> AzureSignInDialog | None:
        """Sign the form's connection in with Entra ID now (device code or browser)."""
        profile = self.form_profile()
        try:
            profile.validate()
        except ConfigError as error:
            self._show_result(False, error.message, error.hint)
            return None
        dialog = AzureSignInDialog(
            self.service, profile.settings(), self,
            sign_in=self.connector.azure_sign_in, open_url=self.connector.open_url,
        )  # fmt: skip
        dialog.signedIn.connect(self._on_azure_signed_in)
        dialog.finished.connect(dialog.deleteLater)
        dialog.start()
        return dialog

    @Slot()
    def _on_azure_signed_in(self) -> None:
        self._show_result(True, self.tr("Signed in with Entra ID."))

    def _show_result(self, ok: bool | None, text: str, hint: str = "") -> None:
        colour = status_colour(ok)  # readable on the light or dark palette
        mark = {True: "✔ ", False: "✖ ", None: ""}[ok]
        self.result_label.setStyleSheet(f"color: {colour};")
        self.result_label.setText(f"{mark}{text}\n{hint}".strip())
