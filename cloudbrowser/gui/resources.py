"""Where the window's data files are: ``gui/data/`` beside this module, in a checkout, an
installed wheel (``package-data`` in pyproject.toml) and a frozen bundle (the spec copies
it to the same place), so every way of installing finds the same files. What is looked
for there also has a fallback: icons are painted, counted messages lose their English
singular."""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"
