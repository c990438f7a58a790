"""The command line names Azure's buckets containers (``features.bucket_word``) in what it
tells a user about them, on Azurite; JSON keeps its ``bucket`` field for every provider."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Run
from tests.cli.test_other_clouds import azure_connection_string
from tests.conftest import AzuriteServer


def test_mb_and_rb_speak_of_containers(
    run: Run,
    azurite_server: AzuriteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    name = "words-container"
    azurite_server._buckets.append(name)  # removed after the test if a step fails
    made = run("mb", "--text", f"az://{name}")
    assert made.code == 0, made.err
    assert made.out.strip() == f"created container az://{name}"
    azurite_server.put(name, ["a.txt"])
    refused = run("rb", "--text", f"az://{name}")
    assert refused.code != 0
    assert f"The container “{name}” is not empty: it holds" in refused.err
    assert "with the container" in refused.err
    dry = run("rb", "--text", "--dry-run", "--force", f"az://{name}")
    assert dry.out.startswith(f"would delete container az://{name} and 1 object")
    gone = run("rb", "--text", "--force", "--yes", f"az://{name}")
    assert gone.code == 0, gone.err
    assert gone.out.strip().endswith(f"deleted container az://{name}")
    assert "bucket" not in made.out + refused.err + dry.out + gone.out
    as_json = run("mb", "--json", f"az://{name}")
    assert as_json.records() == [{"bucket": name, "result": "created"}]
