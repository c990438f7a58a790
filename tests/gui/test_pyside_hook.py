"""__main__.skip_pyside_source_reads: PySide's import hook no longer reads the source of
the modules loaded before it (~5 ms before the first paint), and still reads new ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
import json  # loaded before PySide, as the standard library's and core/'s modules are
from cloudbrowser.__main__ import skip_pyside_source_reads
skip_pyside_source_reads()
feature = sys.modules["PySide6.support.feature"]
read = []
real = feature._mod_uses_pyside
feature._mod_uses_pyside = lambda module: read.append(module.__name__) or real(module)
import json
import fractions  # new: its source is read, as PySide needs
print(sorted(set(read) & {"json", "fractions"}))
"""


def test_modules_loaded_before_pyside_are_not_read_again_new_ones_are() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['fractions']"
