"""Where cloudbrowser keeps its files, per platform (the same dirs QStandardPaths uses).

``CLOUDBROWSER_CONFIG_DIR`` / ``CLOUDBROWSER_DATA_DIR`` / ``CLOUDBROWSER_CACHE_DIR`` /
``CLOUDBROWSER_LOG_DIR`` override them (tests point them at a temporary folder; portable
installs may too).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "cloudbrowser"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    return _dir("CLOUDBROWSER_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return _dir("CLOUDBROWSER_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    return _dir("CLOUDBROWSER_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return _dir("CLOUDBROWSER_LOG_DIR", platformdirs.user_log_dir(APP_NAME, appauthor=False))
