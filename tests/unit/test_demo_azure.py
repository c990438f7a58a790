"""The demo's local Azure: Azurite started, seeded through the storage interface, stopped."""

from __future__ import annotations

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.demo import sample_objects
from cloudbrowser.demo_azure import CONTAINER_PREFIX, CREDENTIALS, AzureDemo


@pytest.mark.server
def test_the_azure_demo_starts_with_the_samples_and_stops() -> None:
    assert AzureDemo.available(), "scripts/setup installs Azurite into the venv"
    demo = AzureDemo(big_folder_count=30)
    try:
        url = demo.start()
        assert url.startswith("http://127.0.0.1:")
        storage = open_storage(demo.settings(), CREDENTIALS)
        samples = sample_objects()
        assert [b.name for b in storage.list_buckets()] == sorted(
            CONTAINER_PREFIX + name for name in samples
        )
        documents = CONTAINER_PREFIX + "demo-documents"
        keys = [
            e.key for p in iter_pages(storage, documents, "", recursive=True) for e in p.objects
        ]
        assert keys == sorted(o.key for o in samples["demo-documents"])
        logs = CONTAINER_PREFIX + "demo-logs"
        events = [e.key for p in iter_pages(storage, logs, "events/2024/") for e in p.objects]
        assert len(events) == 30
        first = samples["demo-documents"][0]
        with storage.get_object(documents, first.key) as reader:
            assert reader.read(-1) == first.body
        process = demo._process
        assert process is not None
    finally:
        demo.stop()
    assert process.poll() is not None, "stopped with the demo"


def test_an_azure_demo_ended_while_it_starts_leaves_no_server() -> None:
    demo = AzureDemo(big_folder_count=1)
    demo.stop()  # the demo ended before its start-up got this far
    with pytest.raises(StorageError, match="ended while"):
        demo.start()
    assert demo._process is None
