"""The demo's local Azure: Azurite started, seeded through the storage interface, stopped."""

from __future__ import annotations

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.demo_azure import CREDENTIALS, SAMPLES, AzureDemo


@pytest.mark.server
def test_the_azure_demo_starts_with_its_samples_and_stops() -> None:
    assert AzureDemo.available(), "scripts/setup installs Azurite into the venv"
    demo = AzureDemo(big_folder_count=30)
    try:
        url = demo.start()
        assert url.startswith("http://127.0.0.1:")
        storage = open_storage(demo.settings(), CREDENTIALS)
        assert [b.name for b in storage.list_buckets()] == ["logs", "photos", "reports"]
        keys = [
            e.key for p in iter_pages(storage, "reports", "", recursive=True) for e in p.objects
        ]
        assert keys == sorted(SAMPLES["reports"])
        logs = [e.key for p in iter_pages(storage, "logs", "events/") for e in p.objects]
        assert len(logs) == 30
        with storage.get_object("reports", "README.md") as reader:
            assert reader.read(-1) == SAMPLES["reports"]["README.md"]
        process = demo._process
        assert process is not None
    finally:
        demo.stop()
    assert process.poll() is not None, "stopped with the demo"
