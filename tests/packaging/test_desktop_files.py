"""The desktop integration files and the Linux installer (packaging/install.sh).

The frozen build itself is checked by ``packaging/build`` (its smoke test), outside the
suite; what the tarball installs is checked here with a stand-in bundle.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from cloudbrowser.gui.app_icon import SIZES

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(RESOURCES / "cloudbrowser.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_names_the_app_its_icon_and_categories() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "cloudbrowser"
    assert entry["Icon"] == "cloudbrowser"
    # Main category plus an additional one, and the toolkit (freedesktop menu spec).
    assert entry["Categories"] == "Network;FileTransfer;Qt;"
    # Wayland matches windows to this file by the app's desktop file name.
    assert entry["StartupWMClass"] == "cloudbrowser"


def test_metainfo_launches_the_desktop_file_and_shows_the_screenshot() -> None:
    tree = ET.parse(RESOURCES / "io.github.cloudbrowser.metainfo.xml")
    component = tree.getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("launchable") == "cloudbrowser.desktop"
    image = component.findtext("screenshots/screenshot/image") or ""
    assert image.endswith("resources/screenshot-demo.png")
    assert (RESOURCES / "screenshot-demo.png").is_file()


@pytest.mark.parametrize("size", SIZES)
def test_every_png_icon_has_its_size(size: int) -> None:
    image = QImage(
        str(RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "cloudbrowser.png")
    )
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()


def test_svg_icon_is_an_svg() -> None:
    root = ET.parse(RESOURCES / "icons" / "cloudbrowser.svg").getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 64 64"


def stage_tarball(tmp_path: Path) -> Path:
    """The layout packaging/build puts in the tarball, with a stand-in executable."""
    stage = tmp_path / "cloudbrowser-0.0-linux"
    app = stage / "cloudbrowser" / "cloudbrowser"
    app.parent.mkdir(parents=True)
    app.write_text('#!/bin/sh\necho cloudbrowser stand-in "$@"\n')
    app.chmod(0o755)
    shutil.copy(ROOT / "packaging" / "install.sh", stage / "install.sh")
    (stage / "share" / "applications").mkdir(parents=True)
    (stage / "share" / "metainfo").mkdir(parents=True)
    shutil.copy(RESOURCES / "cloudbrowser.desktop", stage / "share" / "applications")
    shutil.copy(RESOURCES / "io.github.cloudbrowser.metainfo.xml", stage / "share" / "metainfo")
    shutil.copytree(RESOURCES / "icons" / "hicolor", stage / "share" / "icons" / "hicolor")
    shutil.copy(RESOURCES / "icons" / "cloudbrowser.svg", stage / "share" / "icons")
    return stage


def test_install_then_uninstall_into_a_prefix(tmp_path: Path) -> None:
    stage = stage_tarball(tmp_path)
    prefix = tmp_path / "prefix"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")}
    subprocess.run([str(stage / "install.sh"), "--prefix", str(prefix)], env=env, check=True)

    app = prefix / "lib" / "cloudbrowser" / "cloudbrowser"
    command = prefix / "bin" / "cloudbrowser"
    assert command.resolve() == app.resolve()
    assert subprocess.run([str(command), "--version"], capture_output=True, text=True).stdout == (
        "cloudbrowser stand-in --version\n"
    )
    desktop = (prefix / "share" / "applications" / "cloudbrowser.desktop").read_text()
    # The launcher runs the app by its full path: PREFIX/bin need not be on PATH.
    assert f"Exec={app} %U" in desktop and f"TryExec={app}" in desktop
    assert f"Exec={app} --demo" in desktop
    icons = prefix / "share" / "icons" / "hicolor"
    for size in SIZES:
        assert (icons / f"{size}x{size}" / "apps" / "cloudbrowser.png").is_file()
    assert (icons / "scalable" / "apps" / "cloudbrowser.svg").is_file()
    assert (prefix / "share" / "metainfo" / "io.github.cloudbrowser.metainfo.xml").is_file()

    subprocess.run(
        [str(stage / "install.sh"), "--prefix", str(prefix), "--uninstall"], env=env, check=True
    )
    left = [p for p in prefix.rglob("*") if "cloudbrowser" in p.name]
    assert left == []
