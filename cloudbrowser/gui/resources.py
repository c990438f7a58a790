"""Where ``resources/`` is: inside a frozen bundle, or in the checkout (a wheel has none:
what is looked for there has a fallback)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return root / "resources"
