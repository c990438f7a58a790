"""The import-linter contract on the engine names every engine module (a new module of
core/ would otherwise be free to import a backend package or an SDK unnoticed)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_engine_contract_names_every_module_of_core() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    engine = next(c for c in contracts if c["name"].startswith("the engine never imports"))
    on_disk = {
        f"cloudbrowser.core.{path.stem}"
        for path in (ROOT / "cloudbrowser" / "core").glob("*.py")
        if path.stem != "__init__"
    }
    assert on_disk - set(engine["source_modules"]) == set()
    assert "cloudbrowser.core.storage" in on_disk  # the glob found the engine
