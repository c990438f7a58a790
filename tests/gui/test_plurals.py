"""Counts through Qt's %n forms: "1 file", "2 files", never "file(s)" on screen."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication

ROOT = Path(__file__).resolve().parents[2]
GUI = ROOT / "cloudbrowser" / "gui"


def test_counted_messages_have_english_singular_and_plural() -> None:
    translate = QCoreApplication.translate
    assert translate("TransferController", "Queued %Ln file(s), {size}.", None, 1) == (
        "Queued 1 file, {size}."
    )
    assert translate("TransferController", "Queued %Ln file(s), {size}.", None, 2) == (
        "Queued 2 files, {size}."
    )
    assert translate("FileOperations", "%Ln unfinished upload(s) are aborted too.", None, 1) == (
        "1 unfinished upload is aborted too."
    )
    assert translate("VersionsDialog", "%Ln version(s)", None, 2) == "2 versions"
    # A finished copy of one object in the Transfers panel said "Done: 1 objects".
    assert translate("TransferListModel", "Done: %Ln object(s)", None, 1) == "Done: 1 object"


def test_no_count_in_the_window_is_written_with_s_in_brackets_outside_qt_plurals() -> None:
    """ "(s)" may stand only in a %Ln message, which the English forms resolve."""
    offenders = []
    for path in GUI.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "(s)" in line and "%Ln" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_english_forms_are_up_to_date(tmp_path: Path) -> None:
    """resources/make_plurals.py was run after the last change to a counted message."""
    ts = ROOT / "cloudbrowser" / "gui" / "data" / "translations" / "cloudbrowser_en.ts"
    sys.path.insert(0, str(ROOT / "resources"))
    try:
        import make_plurals
    finally:
        sys.path.remove(str(ROOT / "resources"))
    assert make_plurals.english_ts(make_plurals.plural_messages()) == ts.read_text("utf-8")
    copy = tmp_path / "cloudbrowser_en.ts"
    copy.write_text(ts.read_text("utf-8"), encoding="utf-8")
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(copy)], check=True)
    assert copy.with_suffix(".qm").read_bytes() == ts.with_suffix(".qm").read_bytes()
    forms = re.findall(r"<numerusform>(.*?)</numerusform>", ts.read_text("utf-8"))
    assert forms and not [form for form in forms if "(s)" in form]
