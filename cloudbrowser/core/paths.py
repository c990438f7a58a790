"""Where cloudbrowser keeps its files, per platform (the same dirs QStandardPaths uses).

``CLOUDBROWSER_CONFIG_DIR`` / ``CLOUDBROWSER_DATA_DIR`` / ``CLOUDBROWSER_CACHE_DIR`` /
``CLOUDBROWSER_LOG_DIR`` override them (tests point them at a temporary folder; portable
installs may too).

On Linux the folders are the XDG base directories, found here as platformdirs finds them
(``tests/unit/test_paths.py`` compares the two): the window needs its config and log
folders before its first frame, and importing platformdirs costs ~4 ms there.
Elsewhere, and where the environment is unusual (a relative ``HOME``), platformdirs
answers.
"""

from __future__ import annotations

import os
import posixpath
import sys
from pathlib import Path

APP_NAME = "cloudbrowser"

#: Kind → (XDG variable, its default, the folder below cloudbrowser's), as platformdirs'
#: ``user_*_dir`` on Linux (its log folder is in the state folder).
_XDG = {
    "config": ("XDG_CONFIG_HOME", "~/.config", ""),
    "data": ("XDG_DATA_HOME", "~/.local/share", ""),
    "cache": ("XDG_CACHE_HOME", "~/.cache", ""),
    "log": ("XDG_STATE_HOME", "~/.local/state", "log"),
}


def _xdg_dir(kind: str) -> Path | None:
    """The XDG folder of ``kind`` for cloudbrowser; None where platformdirs must decide."""
    variable, default, below = _XDG[kind]
    base = os.environ.get(variable, "")
    if not posixpath.isabs(base):  # unset, empty or relative: the default, as the spec says
        home = os.environ.get("HOME")
        if home is not None and not posixpath.isabs(home):
            return None
        try:
            base = str(Path(default).expanduser())
        except RuntimeError:  # no home at all
            return None
    path = Path(base) / APP_NAME
    return path / below if below else path


def platform_dir(kind: str) -> Path:
    """The platform's folder of ``kind`` (config, data, cache, log) for cloudbrowser."""
    if sys.platform.startswith("linux"):
        found = _xdg_dir(kind)
        if found is not None:
            return found
    import platformdirs

    user_dir = getattr(platformdirs, f"user_{kind}_dir")
    return Path(user_dir(APP_NAME, appauthor=False))


def _dir(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    path = Path(override or platform_dir(kind))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    return _dir("CLOUDBROWSER_CONFIG_DIR", "config")


def data_dir() -> Path:
    return _dir("CLOUDBROWSER_DATA_DIR", "data")


def cache_dir() -> Path:
    return _dir("CLOUDBROWSER_CACHE_DIR", "cache")


def log_dir() -> Path:
    return _dir("CLOUDBROWSER_LOG_DIR", "log")
