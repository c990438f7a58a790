"""Transfer settings, stored in the ``transfers/`` group of the app's QSettings.

They include the confirmations that are about transfers (quitting while some run); the
conflict policy "Ask" is the confirmation before a file is overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from cloudbrowser.core.at_once import FILES_AT_ONCE, SMALL_FILES_AT_ONCE
from cloudbrowser.core.transfer_plan import ConflictPolicy
from cloudbrowser.core.transfers import KiB, TransferOptions
from cloudbrowser.gui.settings import open_settings

GROUP = "transfers"


def default_download_folder() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(location) if location else Path.home()


@dataclass(frozen=True, slots=True)
class TransferSettings:
    download_folder: str = ""
    #: Open a file with the system's application after a double-click downloaded it.
    open_after_download: bool = True
    concurrency: int = FILES_AT_ONCE
    #: Files of at most 1 MiB at once (``TransferOptions.small_concurrency``).
    small_concurrency: int = SMALL_FILES_AT_ONCE
    #: MiB; 0 chooses automatically.
    part_size_mib: int = 0
    #: KiB/s for all transfers together; 0 is unlimited.
    bandwidth_kib: int = 0
    verify: bool = True
    #: Times a file that failed for a passing reason is tried again by itself
    #: (``TransferOptions.retries``).
    retries: int = 3
    conflict_policy: ConflictPolicy = ConflictPolicy.ASK
    #: Ask before quitting while transfers run (they continue at the next start anyway).
    confirm_quit: bool = True

    @property
    def download_path(self) -> Path:
        return Path(self.download_folder) if self.download_folder else default_download_folder()

    def options(self) -> TransferOptions:
        return TransferOptions(
            concurrency=self.concurrency,
            small_concurrency=self.small_concurrency,
            part_concurrency=max(4, self.concurrency),
            part_size=self.part_size_mib * 1024 * KiB,
            bandwidth_limit=self.bandwidth_kib * KiB,
            verify=self.verify,
            retries=self.retries,
            background=True,  # the window's thread comes first (core/thread_priority.py)
            # One worker at a time runs the engine's code, the others wait for the server
            # (core/cpu_turns.py): the window's thread is never behind more than one.
            cpu_turns=1,
        )

    @classmethod
    def load(cls) -> TransferSettings:
        store = open_settings()
        store.beginGroup(GROUP)
        default = cls()
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = store.value(f.name, None)
            if raw is None:
                continue
            current = getattr(default, f.name)
            try:
                if isinstance(current, bool):
                    values[f.name] = str(raw).lower() in ("true", "1")
                elif isinstance(current, int):
                    values[f.name] = max(0, int(str(raw)))
                elif isinstance(current, ConflictPolicy):
                    values[f.name] = ConflictPolicy(str(raw))
                else:
                    values[f.name] = str(raw)
            except ValueError:
                continue  # a hand-edited, unreadable value: keep the default
        store.endGroup()
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.concurrency < 1:
            settings = cls(**{**values, "concurrency": default.concurrency})  # type: ignore[arg-type]
        return settings

    def save(self) -> None:
        store = open_settings()
        store.beginGroup(GROUP)
        for f in fields(self):
            value = getattr(self, f.name)
            store.setValue(f.name, value.value if isinstance(value, ConflictPolicy) else value)
        store.endGroup()
        store.sync()
