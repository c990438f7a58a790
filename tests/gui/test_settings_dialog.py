"""File › Settings…: every setting is shown, edited, saved to the INI file and applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.transfer_plan import ConflictPolicy
from cloudbrowser.core.transfers import Activity, MiB
from cloudbrowser.gui import message_icons
from cloudbrowser.gui.dialogs.settings import SettingsDialog
from cloudbrowser.gui.settings import SETTINGS_FILE
from cloudbrowser.gui.transfer_settings import TransferSettings
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory


@pytest.fixture
def window(qtbot: QtBot, make_service: ServiceFactory) -> Iterator[MainWindow]:
    win = MainWindow(make_service(max_threads=2))
    qtbot.addWidget(win)
    yield win
    win.transfers.shutdown()


def test_the_dialog_shows_the_settings_it_was_given(qtbot: QtBot, tmp_path: Path) -> None:
    given = TransferSettings(
        download_folder=str(tmp_path),
        open_after_download=False,
        concurrency=5,
        small_concurrency=20,
        part_size_mib=32,
        bandwidth_kib=1024,
        verify=False,
        conflict_policy=ConflictPolicy.SKIP,
        confirm_quit=False,
    )
    dialog = SettingsDialog(given)
    qtbot.addWidget(dialog)
    assert dialog.settings() == given  # nothing edited: nothing changes
    assert dialog.folder.text() == str(tmp_path)
    assert (dialog.concurrency.value(), dialog.part_size.value()) == (5, 32)
    assert dialog.small_concurrency.value() == 20
    assert not dialog.confirm_quit.isChecked()


def test_the_retry_count_reads_as_english(qtbot: QtBot) -> None:
    dialog = SettingsDialog(TransferSettings(retries=1))
    qtbot.addWidget(dialog)
    assert dialog.retries.text() == "1 time"
    dialog.retries.setValue(3)
    assert dialog.retries.text() == "3 times"
    dialog.retries.setValue(0)
    assert dialog.retries.text() == "Never"


def test_edits_are_saved_to_the_settings_file_and_applied(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    def edit() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        dialog.folder.setText(str(tmp_path / "dl"))
        dialog.open_after.setChecked(False)
        dialog.concurrency.setValue(3)
        dialog.small_concurrency.setValue(12)
        dialog.part_size.setValue(16)
        dialog.bandwidth.setText("512 KiB/s")
        dialog.bandwidth.textEdited.emit("512 KiB/s")
        dialog.verify.setChecked(False)
        dialog.conflicts.setCurrentIndex(dialog.conflicts.findData(ConflictPolicy.NEWER.value))
        dialog.confirm_quit.setChecked(False)
        dialog.accept()

    QTimer.singleShot(0, edit)
    window.edit_settings()  # modal: returns once edit() accepted it

    expected = TransferSettings(
        download_folder=str(tmp_path / "dl"),
        open_after_download=False,
        concurrency=3,
        small_concurrency=12,
        part_size_mib=16,
        bandwidth_kib=512,
        verify=False,
        conflict_policy=ConflictPolicy.NEWER,
        confirm_quit=False,
    )
    assert window.transfers.settings == expected
    assert TransferSettings.load() == expected  # what the next start reads
    options = window.transfers.queue.options
    assert (options.concurrency, options.part_size, options.bandwidth_limit) == (
        3,
        16 * MiB,
        512 * 1024,
    )
    assert options.verify is False
    assert (options.small_concurrency, options.most_at_once) == (12, 12)
    # A readable INI file in the config dir (CLOUDBROWSER_CONFIG_DIR), nothing secret in it.
    ini = QSettings(str(config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)
    assert ini.value("transfers/confirm_quit") in (False, "false")
    assert ini.value("transfers/concurrency") in (3, "3")


def test_cancel_changes_nothing(qtbot: QtBot, window: MainWindow) -> None:
    before = window.transfers.settings

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        dialog.concurrency.setValue(1)
        dialog.reject()

    QTimer.singleShot(0, cancel)
    window.edit_settings()
    assert window.transfers.settings == before
    assert TransferSettings.load() == TransferSettings()


@pytest.mark.parametrize("confirm", [True, False])
def test_quitting_while_transfers_run_asks_only_when_set(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, confirm: bool
) -> None:
    asked: list[str] = []

    def question(_parent: object, title: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton.No  # "don't quit"

    monkeypatch.setattr(message_icons, "ask", question)
    busy = Activity(frozenset({"batch"}), running=1, bytes_total=10)
    monkeypatch.setattr(window.transfers.queue, "activity", lambda: busy)
    window.transfers.settings = TransferSettings(confirm_quit=confirm)
    event = QCloseEvent()
    window.closeEvent(event)
    assert asked == (["Transfers in progress"] if confirm else [])
    assert event.isAccepted() is not confirm  # asked and answered No: the window stays


def test_the_bandwidth_limit_is_typed_as_people_say_it(qtbot: QtBot) -> None:
    """ "10 MB/s", "2 MiB/s", "512 KiB/s", empty for none; shown in the window's units."""
    from PySide6.QtCore import QLocale

    from cloudbrowser.gui.widgets.rate_edit import format_rate, parse_rate

    c = QLocale.c()
    assert parse_rate("10 MB/s", c) == 10_000_000
    assert parse_rate("2 MiB/s", c) == 2 * 1024**2
    assert parse_rate("512 KiB/s", c) == 512 * 1024
    assert parse_rate("1.5 mb", c) == 1_500_000
    assert parse_rate("800k", c) == 800 * 1024
    assert parse_rate("", c) == parse_rate("0", c) == parse_rate("Unlimited", c) == 0
    assert parse_rate("fast", c) is None and parse_rate("10 parsecs", c) is None
    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    assert parse_rate("1,5 MB/s", german) == 1_500_000
    assert format_rate(2 * 1024**2, c) == "2.00 MiB/s"
    assert format_rate(0, c) == "Unlimited"

    dialog = SettingsDialog(TransferSettings(bandwidth_kib=0))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.bandwidth.text() == "Unlimited"
    dialog.bandwidth.clear()
    qtbot.keyClicks(dialog.bandwidth, "10 MB/s")
    assert dialog.settings().bandwidth_kib == round(10_000_000 / 1024)
    dialog.bandwidth.editingFinished.emit()
    assert dialog.bandwidth.text().endswith("MiB/s")
    dialog.bandwidth.clear()
    qtbot.keyClicks(dialog.bandwidth, "lots")
    assert not dialog.bandwidth.is_valid()
    assert dialog.settings().bandwidth_kib == round(10_000_000 / 1024)  # the last good one


def test_the_group_boxes_line_their_fields_up(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QFormLayout, QGroupBox

    dialog = SettingsDialog(TransferSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    lefts = set()
    for box in dialog.findChildren(QGroupBox):
        form = box.layout()
        assert isinstance(form, QFormLayout)
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            assert item is not None
            lefts.add(item.geometry().left() + box.mapTo(dialog, box.rect().topLeft()).x())
    assert len(lefts) == 1, lefts
