"""core/paths.py: on Linux, the folders it finds itself are the ones platformdirs gives
(an existing user's settings, journal and logs stay where they are), and finding them
does not import platformdirs (~4 ms before the window's first paint)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from cloudbrowser.core import paths

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG folders are Linux's"
)

KINDS = ("config", "data", "cache", "log")
XDG = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def platformdirs_answer(kind: str) -> str:
    return str(getattr(platformdirs, f"user_{kind}_dir")("cloudbrowser", appauthor=False))


@pytest.mark.parametrize(
    "xdg",
    ["unset", "", "relative/dir", "/abs/xdg"],
    ids=["unset", "empty", "relative", "absolute"],
)
@pytest.mark.parametrize("home", ["tmp", "unset"])
def test_the_xdg_folders_are_platformdirs_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str, home: str
) -> None:
    for variable in XDG:
        if xdg == "unset":
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, f"{xdg}/{variable.lower()}" if xdg else "")
    if home == "unset":
        monkeypatch.delenv("HOME", raising=False)  # (the password database's home)
    else:
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for kind in KINDS:
        found = paths._xdg_dir(kind)
        assert found is not None
        assert str(found) == platformdirs_answer(kind), kind


def test_a_relative_home_is_left_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in XDG:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", "relative-home")
    assert paths._xdg_dir("config") is None


def test_finding_the_folders_does_not_import_platformdirs(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from cloudbrowser.core import paths\n"
        "print(paths.config_dir(), paths.log_dir())\n"
        "print('platformdirs' in sys.modules)\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    folders, imported = done.stdout.splitlines()
    assert folders == f"{tmp_path}/.config/cloudbrowser {tmp_path}/.local/state/cloudbrowser/log"
    assert imported == "False"
