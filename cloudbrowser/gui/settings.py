"""The app's QSettings: one INI file in cloudbrowser's config dir.

An INI file (not the registry or a plist) so that ``CLOUDBROWSER_CONFIG_DIR`` moves it with
the rest of the config (tests point it at a temporary folder; portable installs may too),
and so that a user can read what is stored: nothing secret ever is (docs/architecture.md §5).

Groups, one per owner, so features do not step on each other's keys:
``window/`` (geometry, splitter and column state), ``session/`` (last connection, bucket and
prefix; the local folder the upload pickers last took from), ``transfers/`` (see
``gui/transfer_settings.py``), ``sync/`` (the local folder last synchronized with each
cloud folder, ``gui/sync_actions.py``).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from cloudbrowser.core.paths import config_dir

SETTINGS_FILE = "cloudbrowser.ini"


def open_settings() -> QSettings:
    """A QSettings on the settings file; cheap, make one where needed rather than sharing."""
    return QSettings(str(config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)
