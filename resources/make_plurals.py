"""Writes cloudbrowser/gui/data/translations/cloudbrowser_en.ts and .qm: the English
singular and plural of every "%Ln …(s)" message of the window.

The code says counts the Qt way, ``tr("Queued %Ln file(s)", None, n)``, so that each
language can give its own plural forms (Qt's numerus translations). English needs them too,
or the window would show "1 file(s)": this file gives "1 file" and "2 files", and the app
loads it under whatever language it runs in (``gui/app.py``). Run after changing such a
message (tests/gui/test_plurals.py fails until then):

    .venv/bin/python resources/make_plurals.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
GUI = HERE.parent / "cloudbrowser" / "gui"
TS = GUI / "data" / "translations" / "cloudbrowser_en.ts"
#: A verb right after the counted noun agrees with it in the singular.
SINGULAR_VERB = re.compile(r"\(s\) (are|exist|were)\b")
SINGULAR_OF = {"are": "is", "exist": "exists", "were": "was"}


def plural_messages() -> dict[str, list[str]]:
    """Context → the "%Ln … (s)" sources found by Qt's own lupdate."""
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    with tempfile.TemporaryDirectory() as tmp:
        ts = Path(tmp) / "all.ts"
        sources = sorted(str(p) for p in GUI.rglob("*.py"))
        subprocess.run([str(lupdate), *sources, "-ts", str(ts)], check=True, capture_output=True)
        found: dict[str, list[str]] = {}
        for context in ET.parse(ts).getroot().iter("context"):
            name = context.findtext("name") or ""
            for message in context.iter("message"):
                source = message.findtext("source") or ""
                if "%Ln" in source and "(s)" in source and source not in found.get(name, []):
                    found.setdefault(name, []).append(source)
    return found


def forms(source: str) -> tuple[str, str]:
    """English singular and plural of a "(s)" message."""
    singular = SINGULAR_VERB.sub(lambda m: " " + SINGULAR_OF[m.group(1)], source, count=1)
    return singular.replace("(s)", ""), source.replace("(s)", "s")


def english_ts(messages: dict[str, list[str]]) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        '<TS version="2.1" language="en">',
    ]
    for context in sorted(messages):
        lines += ["<context>", f"    <name>{escape(context)}</name>"]
        for source in sorted(messages[context]):
            one, many = forms(source)
            lines += [
                '    <message numerus="yes">',
                f"        <source>{escape(source)}</source>",
                "        <translation>",
                f"            <numerusform>{escape(one)}</numerusform>",
                f"            <numerusform>{escape(many)}</numerusform>",
                "        </translation>",
                "    </message>",
            ]
        lines.append("</context>")
    lines.append("</TS>")
    return "\n".join(lines) + "\n"


def main() -> int:
    TS.write_text(english_ts(plural_messages()), encoding="utf-8")
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(TS)], check=True)
    print(f"wrote {TS} and {TS.with_suffix('.qm')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
