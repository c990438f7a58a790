"""What ``pip install .`` installs: the package with the window's data files.

A wheel holds only what pyproject.toml ships; ``resources/`` (outside the package) never
reaches it. Without ``gui/data/`` an installed window says "2 file(s)" and paints its
icons before the first frame: the wheel is built here and its contents compared.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cloudbrowser.gui.resources import data_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    source = out / "source"
    shutil.copytree(
        ROOT / "cloudbrowser",
        source / "cloudbrowser",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    # No build isolation: the build backend (setuptools) is already here, and the suite
    # must not fetch it.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        check=True,
        cwd=out,
    )  # fmt: skip
    (wheel,) = out.glob("cloudbrowser-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_ships_every_data_file_the_window_loads(wheel_names: set[str]) -> None:
    data = data_dir()
    loaded = sorted(
        p.relative_to(ROOT).as_posix()
        for p in data.rglob("*")
        if p.is_file() and p.suffix in {".png", ".qm"}
    )
    assert "cloudbrowser/gui/data/translations/cloudbrowser_en.qm" in loaded
    assert len([n for n in loaded if n.endswith(".png")]) >= 40  # every icon at every size
    assert [n for n in loaded if n not in wheel_names] == []


def test_the_wheel_leaves_out_the_translators_sources(wheel_names: set[str]) -> None:
    """The .ts files are what lrelease compiles: the app reads only the .qm."""
    assert not [n for n in wheel_names if n.endswith(".ts")]
