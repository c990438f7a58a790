"""The demo's local Google Cloud Storage serves the sample data with generations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import versions_of
from cloudbrowser.core.versions import object_versions
from cloudbrowser.demo_gcs import BUCKET_PREFIX, VERSIONED_BUCKET, DemoGcs

pytestmark = pytest.mark.server  # real servers: fake-gcs-server, moto


@pytest.fixture(scope="module")
def demo_gcs() -> Iterator[DemoGcs]:
    server = DemoGcs(big_folder_count=300)
    server.start()
    yield server
    server.stop()


def test_the_gcs_demo_has_the_sample_buckets_and_generations(demo_gcs: DemoGcs) -> None:
    storage = open_storage(demo_gcs.settings())
    names = [b.name for b in storage.list_buckets()]
    assert f"{BUCKET_PREFIX}demo-documents" in names and VERSIONED_BUCKET in names
    root = storage.list_page(f"{BUCKET_PREFIX}demo-documents", "")
    assert "Résumé – final.txt" in {e.key for e in root.objects}
    info = storage.head_object(f"{BUCKET_PREFIX}demo-photos", "2023/summer/beach.jpg")
    assert info.content_type == "image/jpeg"
    logs = [
        e.key
        for page in iter_pages(storage, f"{BUCKET_PREFIX}demo-logs", "events/2024/")
        for e in page.objects
    ]
    assert len(logs) == 300
    assert versions_of(storage).bucket_versioning(VERSIONED_BUCKET) == "Enabled"
    assert len(object_versions(storage, VERSIONED_BUCKET, "config.json")) == 4


def test_a_demo_closed_while_its_gcs_starts_leaves_no_server() -> None:
    demo = DemoGcs(big_folder_count=1)
    demo.stop()  # the window closed before the start-up job got this far
    with pytest.raises(StorageError, match="ended while"):
        demo.start()
    assert demo._process is None
