"""What the GCS backend does beyond the conformance suite, on fake-gcs-server: batch
deletes, signed links, metadata patched in place, rewrite across buckets."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from cloudbrowser.core.backends.gcs import auth
from cloudbrowser.core.backends.gcs import backend as gcs
from cloudbrowser.core.checksums import Crc32c
from cloudbrowser.core.errors import NotSupported
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import (
    BatchDelete,
    MiB,
    Storage,
    properties_of,
    server_copy_of,
    share_links_of,
    versions_of,
)
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest
from cloudbrowser.core.versions import object_versions
from tests.conftest import GcsServer


def keys_in(server: GcsServer, bucket: str) -> list[str]:
    storage = server.backend()
    return [e.key for page in iter_pages(storage, bucket, "", recursive=True) for e in page.objects]


def test_a_batch_deletes_keys_with_slashes_and_reports_none_missing(gcs_server: GcsServer) -> None:
    bucket = gcs_server.bucket()
    keys = ["top.txt", "a/b.txt", "a/c d.txt", "deep/er/e.txt"]
    gcs_server.put(bucket, [*keys, "kept.txt"])
    storage = gcs_server.backend()
    assert isinstance(storage, BatchDelete)
    # fake-gcs-server answers 404 for a batched key with a "/" (it does not decode %2F):
    # those are confirmed one by one, so they are deleted all the same.
    assert storage.delete_objects(bucket, [*keys, "never-was.txt"]) == []
    assert keys_in(gcs_server, bucket) == ["kept.txt"]


def test_a_signed_link_is_v4_and_downloads_with_plain_urllib(gcs_server: GcsServer) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"docs/r é.txt": b"shared bytes"})
    url = share_links_of(gcs_server.backend()).share_link(bucket, "docs/r é.txt", 3600).url
    query = parse_qs(urlparse(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["3600"]
    assert query["X-Goog-Credential"][0].startswith("tester@test-project.iam.gserviceaccount.com/")
    assert len(query["X-Goog-Signature"][0]) == 512  # hex of a 2048-bit RSA signature
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"shared bytes"


def test_without_a_service_account_no_link_is_made(gcs_server: GcsServer) -> None:
    storage = gcs_server.backend()
    storage.__dict__["identity"] = auth.Identity(None, "", None)  # unsigned, no key
    with pytest.raises(NotSupported, match="cannot sign share links"):
        share_links_of(storage).share_link("b", "k", 60)


def test_metadata_is_patched_in_place_and_removed_keys_go(gcs_server: GcsServer) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"m.txt": b"body"}, content_type="text/plain")
    props = properties_of(gcs_server.backend())
    details = props.object_details(bucket, "m.txt")
    props.replace_metadata(replace(details, metadata={"team": "a", "old": "x"}))
    details = props.object_details(bucket, "m.txt")
    etag = props.replace_metadata(
        replace(
            details,
            metadata={"team": "b"},
            cache_control="max-age=60",
            content_disposition="attachment",
        )
    )
    after = props.object_details(bucket, "m.txt")
    # GCS removes a key patched to null; fake-gcs-server keeps it, empty.
    assert after.metadata == {"team": "b", "old": ""}
    assert (after.cache_control, after.content_disposition) == ("max-age=60", "attachment")
    assert after.etag == etag == details.etag, "the same bytes: patched, not rewritten"


def test_rewrite_copies_across_buckets(gcs_server: GcsServer) -> None:
    source, target = gcs_server.bucket(), gcs_server.bucket("dest")
    body = bytes(range(256)) * 4096
    gcs_server.put(source, {"big.bin": body})
    storage = gcs_server.backend()
    server_copy_of(storage).copy_object(source, "big.bin", target, "copied/big.bin")
    with storage.get_object(target, "copied/big.bin") as reader:
        assert reader.read(-1) == body


def test_the_bucket_listing_names_location(gcs_server: GcsServer) -> None:
    bucket = gcs_server.bucket()
    [found] = [b for b in gcs_server.backend().list_buckets() if b.name == bucket]
    assert found.created > 0
    assert json.dumps(found.region)  # a location string (fake-gcs-server: us-central1)


def test_crc32c_arithmetic() -> None:
    crc = Crc32c()
    crc.update(b"1234")
    crc.update(memoryview(b"56789"))
    assert crc.hexdigest() == "e3069283"  # the check value of CRC-32C


@pytest.mark.parametrize("checksum", ["md5", "crc32c"])
def test_a_download_in_ranges_is_verified_by_md5_or_else_crc32c(
    gcs_server: GcsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checksum: str
) -> None:
    """GCS keeps no MD5 for composite objects (fake-gcs-server does): for "crc32c" the MD5s
    are taken out of what the backend reads, as a composite object's replies have none."""
    bucket = gcs_server.bucket()
    data = hashlib.shake_256(b"composite").digest(3 * MiB + 5)
    gcs_server.put(bucket, {"composite.bin": data})
    if checksum == "crc32c":
        original_revision, original_hashes = gcs.revision, gcs._hashes
        monkeypatch.setattr(
            gcs, "revision", lambda item: original_revision({**item, "md5Hash": ""})
        )
        monkeypatch.setattr(gcs, "_hashes", lambda header: {**original_hashes(header), "md5": ""})
    storage = gcs_server.backend()
    info = storage.head_object(bucket, "composite.bin")
    crc = Crc32c()
    crc.update(data)
    assert info.crc32c == crc.hexdigest()
    if checksum == "crc32c":
        assert info.etag.isdigit()  # the generation: the object has no MD5 to be named by
    else:
        assert info.etag == info.md5 == hashlib.md5(data).hexdigest()

    def lookup(name: str) -> Storage:
        return storage

    queue = TransferQueue(
        lookup,  # type: ignore[arg-type]
        Journal(tmp_path / "journal.sqlite3"),
        TransferOptions(part_size=MiB, concurrency=1, part_concurrency=2),
    )
    target = tmp_path / "out" / "composite.bin"
    try:
        [t] = queue.add(
            [
                TransferRequest(
                    Direction.DOWNLOAD,
                    storage.settings.name,
                    bucket,
                    "composite.bin",
                    target,
                    info.size,
                    info.modified,
                    info.etag,
                )
            ]
        )
        assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert target.read_bytes() == data


def test_deleting_a_whole_history_never_brings_a_deleted_key_back(gcs_server: GcsServer) -> None:
    """rb --force and "delete all versions" name every version and marker: the stand-in
    marker of a deleted key must not undelete it (as removing one alone does)."""
    bucket = gcs_server.bucket()
    storage = gcs_server.backend()
    http = storage.http  # type: ignore[attr-defined]
    url = f"{gcs_server.endpoint_url}/storage/v1/b/{bucket}"
    assert http.patch(url, json={"versioning": {"enabled": True}}).status_code == 200
    gcs_server.put(bucket, {"gone.txt": b"v1"})
    storage.delete_object(bucket, "gone.txt")
    history = object_versions(storage, bucket, "gone.txt")
    assert [v.delete_marker for v in history] == [True, False]
    marker_only = [(v.key, v.version_id) for v in history if v.delete_marker]
    assert versions_of(storage).delete_versions(bucket, marker_only) == []
    assert storage.list_page(bucket, "").objects == [], "not undeleted"


def test_a_gzip_stored_object_is_read_as_stored(gcs_server: GcsServer) -> None:
    """Its listed size and MD5 are those of the compressed bytes: those must come."""
    bucket = gcs_server.bucket()
    storage = gcs_server.backend()
    packed = gzip.compress(b"hello " * 1000)
    storage.put_object(bucket, "page.html", packed, content_md5="", content_type="text/html")
    props = properties_of(storage)
    details = props.object_details(bucket, "page.html")
    props.replace_metadata(replace(details, content_encoding="gzip"))
    info = storage.head_object(bucket, "page.html")
    with storage.get_object(bucket, "page.html") as reader:
        body = reader.read(-1)
    assert body == packed and reader.etag == info.etag == hashlib.md5(packed).hexdigest()
