"""Class changes and restores of a selection (``OpKind.STORAGE_CLASS``, ``OpKind.RESTORE``):
folders expand to their objects, progress counts them, a cancel stops, against the
in-memory backend."""

from __future__ import annotations

import threading

from cloudbrowser.core.details import restore_state
from cloudbrowser.core.journal import State
from cloudbrowser.core.operations import Operation, OpItem, OpKind, RestoreRequest
from cloudbrowser.core.storage import properties_of, storage_classes_of
from tests.conftest import MemoryServer


def _classes(server: MemoryServer, bucket: str) -> dict[str, str]:
    storage = server.backend()
    props = properties_of(storage)
    keys = sorted(server.store.buckets[bucket].histories)
    return {k: props.object_details(bucket, k).storage_class for k in keys}


def test_a_selection_of_objects_and_folders_changes_class(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    memory_server.put(
        bucket,
        {"a.txt": b"a", "docs/b.txt": b"bb", "docs/deep/c.txt": b"ccc", "other/d.txt": b"d"},
    )
    storage = memory_server.backend()
    items = [OpItem("a.txt", size=1), OpItem("docs/")]
    op = Operation(storage, OpKind.STORAGE_CLASS, bucket, items, storage_class="STANDARD_IA")
    result = op.run()
    assert result.ok and result.done == 3 and op.state is State.DONE
    progress = op.progress()
    assert (progress.found, progress.done, progress.done_bytes) == (3, 3, 6)
    assert _classes(memory_server, bucket) == {
        "a.txt": "STANDARD_IA",
        "docs/b.txt": "STANDARD_IA",
        "docs/deep/c.txt": "STANDARD_IA",
        "other/d.txt": "STANDARD",
    }


def test_archived_objects_fail_a_class_change_by_name(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"f/cold.bin": b"x", "f/warm.bin": b"y"})
    storage = memory_server.backend()
    storage_classes_of(storage).set_storage_class(bucket, "f/cold.bin", "GLACIER")
    op = Operation(storage, OpKind.STORAGE_CLASS, bucket, [OpItem("f/")], storage_class="STANDARD")
    result = op.run()
    assert op.state is State.FAILED and result.done == 1
    [(key, error)] = result.failed
    assert key == "f/cold.bin" and "restored" in error.message


def test_a_restore_asks_for_archived_objects_and_passes_over_the_rest(
    memory_server: MemoryServer,
) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"f/cold.bin": b"x", "f/deep.bin": b"z", "f/warm.bin": b"y"})
    storage = memory_server.backend()
    classes = storage_classes_of(storage)
    classes.set_storage_class(bucket, "f/cold.bin", "GLACIER")
    classes.set_storage_class(bucket, "f/deep.bin", "DEEP_ARCHIVE")
    request = RestoreRequest(days=3, priority="Bulk")
    op = Operation(storage, OpKind.RESTORE, bucket, [OpItem("f/")], restore=request)
    result = op.run()
    assert result.ok and result.done == 3 and result.passed == 1
    props = properties_of(storage)
    for key in ("f/cold.bin", "f/deep.bin"):
        state = restore_state(props.object_details(bucket, key).restore)
        assert state is not None and state.in_progress
    assert restore_state(props.object_details(bucket, "f/warm.bin").restore) is None


def test_a_cancelled_class_change_says_so(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, {f"many/{i:03}.txt": b"." for i in range(50)})
    storage = memory_server.backend()
    cancel = threading.Event()
    cancel.set()
    op = Operation(
        storage, OpKind.STORAGE_CLASS, bucket, [OpItem("many/")], storage_class="GLACIER_IR",
        cancel=cancel,
    )  # fmt: skip
    result = op.run()
    assert result.cancelled and not result.ok and op.state is State.CANCELLED
    assert result.done < 50


def test_a_whole_bucket_may_be_changed(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"x": b"1", "y/z": b"2"})
    storage = memory_server.backend()
    op = Operation(storage, OpKind.STORAGE_CLASS, bucket, [OpItem("")], storage_class="GLACIER")
    assert op.run().ok
    assert set(_classes(memory_server, bucket).values()) == {"GLACIER"}


def test_restore_states_of_s3_and_azure_read_alike() -> None:
    assert restore_state("") is None
    s3 = restore_state('ongoing-request="true"')
    assert s3 is not None and s3.in_progress and not s3.target
    azure = restore_state("rehydrate-pending-to-cool")
    assert azure is not None and azure.in_progress and azure.target == "Cool"
    ready = restore_state('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"')
    assert ready is not None and not ready.in_progress and ready.ready_until == 1356048000.0


def test_an_azure_listing_carries_a_rehydration_under_way() -> None:
    import xml.etree.ElementTree as ET

    from cloudbrowser.core.backends.azure.listing import parse_page

    reply = """<EnumerationResults><Blobs>
      <Blob><Name>cold.bin</Name><Properties><Content-Length>3</Content-Length>
        <Etag>"0x1"</Etag><AccessTier>Archive</AccessTier>
        <ArchiveStatus>rehydrate-pending-to-cool</ArchiveStatus></Properties></Blob>
      <Blob><Name>warm.bin</Name><Properties><Content-Length>1</Content-Length>
        <AccessTier>Hot</AccessTier></Properties></Blob>
    </Blobs><NextMarker/></EnumerationResults>"""
    cold, warm = parse_page(ET.fromstring(reply)).objects
    assert (cold.storage_class, warm.storage_class) == ("Archive", "Hot")
    state = restore_state(cold.restore)
    assert state is not None and state.in_progress and state.target == "Cool"
    assert warm.restore == ""


def test_the_s3_offer_is_answered_without_making_the_backend() -> None:
    """The window asks for the offer on its thread when a menu opens: no botocore load."""
    from cloudbrowser.core.backends import open_storage
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

    storage = open_storage(
        ConnectionSettings(endpoint_url="http://127.0.0.1:9", region="us-east-1"),
        Credentials("access-key-id-123456", "never-sent-secret-0123456789"),
        page_size=1000,
    )
    offer = storage_classes_of(storage).storage_class_offer()
    assert "GLACIER" in offer.archive and offer.priorities[0] == "Standard"
    assert type(storage).__name__ == "LazyS3" and storage._backend is None  # type: ignore[attr-defined]
