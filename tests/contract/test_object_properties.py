"""Properties, tags, copy-in-place, share links and preview reads, on moto and rclone.

What each server lacks (found by these tests and by probing):

* ``rclone serve s3`` has **no object tagging**, and worse: it takes PutObjectTagging
  (``PUT ?tagging``) for a PutObject and replaces the object's bytes with the tagging XML.
  Its GetObjectTagging answers 500. So tags run on moto only, and the backend refuses tag
  calls where the connection's provider is not known to have them (the test settings name
  no provider: "Other S3-compatible", no tagging). rclone does copy an object onto itself
  with MetadataDirective=REPLACE. Neither it nor moto honours CopySourceIfMatch: the
  backend checks the ETag with a HEAD just before copying.
* rclone does not keep the ``Expires`` header of an object.
* moto does not check presigned URLs' expiry (nor any signature): the expiry test runs
  on rclone only.
"""

from __future__ import annotations

import datetime as dt
import threading
import urllib.error
import urllib.request
from dataclasses import replace
from typing import Any

import botocore.auth
import pytest

from cloudbrowser.core.backends.s3.features import LIMITS
from cloudbrowser.core.details import ObjectDetails
from cloudbrowser.core.errors import Cancelled, ConfigError, KeyNotFound, ObjectChanged
from cloudbrowser.core.inspection import TEXT_PREVIEW_BYTES
from cloudbrowser.core.reading import read_range
from tests.conftest import S3Server
from tests.local_servers import free_port

KEY = "docs/properties-report.txt"
BODY = b"quarterly numbers\n" * 10
EXPIRES = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def lower_keys(d: dict[str, str]) -> dict[str, str]:
    # rclone capitalises metadata names (Owner), S3 and moto lowercase them.
    return {k.lower(): v for k, v in d.items()}


def arrange(server: S3Server) -> str:
    bucket = server.bucket("props")
    server.client.put_object(
        Bucket=bucket,
        Key=KEY,
        Body=BODY,
        ContentType="text/plain",
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="report.txt"',
        ContentLanguage="en",
        Expires=EXPIRES,
        Metadata={"owner": "ann", "project": "q1"},
    )
    return bucket


def test_object_details_reports_what_head_says(server: S3Server) -> None:
    bucket = arrange(server)
    details = server.backend().object_details(bucket, KEY)
    assert (details.bucket, details.key, details.size) == (bucket, KEY, len(BODY))
    assert details.etag and details.modified > 0
    assert details.content_type == "text/plain"
    assert details.cache_control == "max-age=60"
    assert details.content_disposition == 'attachment; filename="report.txt"'
    assert details.content_language == "en"
    # rclone serve s3 does not keep an Expires header.
    assert details.expires == ("Wed, 02 Jan 2030 03:04:05 GMT" if server.kind == "moto" else "")
    assert details.storage_class == "STANDARD"
    assert lower_keys(details.metadata) == {"owner": "ann", "project": "q1"}
    assert not details.is_archived(server.backend().features.archive_tiers)


def test_object_details_of_a_missing_key_is_key_not_found(server: S3Server) -> None:
    bucket = server.bucket()
    with pytest.raises(KeyNotFound):
        server.backend().object_details(bucket, "nothing/here.txt")


def test_replace_metadata_copies_in_place_and_keeps_the_rest(server: S3Server) -> None:
    bucket = arrange(server)
    backend = server.backend()
    details = backend.object_details(bucket, KEY)
    target = replace(
        details,
        content_type="application/json",
        cache_control="no-cache",
        metadata={"owner": "bob", "reviewed": "yes"},
    )
    backend.replace_metadata(target)

    after = backend.object_details(bucket, KEY)
    assert after.content_type == "application/json"
    assert after.cache_control == "no-cache"
    assert lower_keys(after.metadata) == {"owner": "bob", "reviewed": "yes"}
    # What was not edited is sent again, so the copy keeps it.
    assert after.content_disposition == 'attachment; filename="report.txt"'
    assert (after.content_language, after.expires) == ("en", details.expires)
    assert after.size == len(BODY)
    body = server.client.get_object(Bucket=bucket, Key=KEY)["Body"].read()
    assert body == BODY


def test_replace_metadata_refuses_when_the_object_changed_meanwhile(server: S3Server) -> None:
    bucket = arrange(server)
    backend = server.backend()
    details = backend.object_details(bucket, KEY)
    server.client.put_object(Bucket=bucket, Key=KEY, Body=b"someone else's edit", Metadata={})
    with pytest.raises(ObjectChanged):
        backend.replace_metadata(replace(details, content_type="application/json"))
    # The other writer's object is untouched.
    assert server.client.get_object(Bucket=bucket, Key=KEY)["Body"].read() == b"someone else's edit"


def test_objects_over_5_gib_are_refused_before_any_request() -> None:
    from cloudbrowser.core.backends.s3.backend import S3Backend
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

    # Nothing listens there: a request would fail with EndpointUnreachable instead.
    backend = S3Backend(
        ConnectionSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1"),
        Credentials("access-key-id-123456", "never-sent-secret-0123456789"),
    )
    huge = ObjectDetails("b", "big.iso", LIMITS.max_server_copy + 1, 0.0, "etag-1")
    with pytest.raises(ConfigError, match="5 GiB"):
        backend.replace_metadata(huge)
    sse_c = replace(huge, size=10, sse_customer_algorithm="AES256")
    with pytest.raises(ConfigError, match="customer-provided key"):
        backend.replace_metadata(sse_c)
    archived = replace(huge, size=10, storage_class="DEEP_ARCHIVE")
    with pytest.raises(ConfigError, match="restored"):
        backend.replace_metadata(archived)


def test_tags_round_trip_and_survive_a_metadata_copy(moto_server: S3Server) -> None:
    """moto only: rclone serve s3 has no tagging (see the module docstring)."""
    server = moto_server
    bucket = arrange(server)
    backend = server.backend(provider="aws")  # moto emulates Amazon S3, tags included
    assert backend.get_tags(bucket, KEY) == {}
    backend.put_tags(bucket, KEY, {"team": "finance", "retention": "7y"})
    assert backend.get_tags(bucket, KEY) == {"team": "finance", "retention": "7y"}
    assert backend.object_details(bucket, KEY).tag_count == 2

    details = backend.object_details(bucket, KEY)
    backend.replace_metadata(replace(details, storage_class="STANDARD_IA", metadata={}))
    after = backend.object_details(bucket, KEY)
    assert after.storage_class == "STANDARD_IA"
    assert after.metadata == {}
    assert backend.get_tags(bucket, KEY) == {"team": "finance", "retention": "7y"}

    backend.put_tags(bucket, KEY, {})
    assert backend.get_tags(bucket, KEY) == {}


def test_a_metadata_copy_keeps_the_storage_class(moto_server: S3Server) -> None:
    server = moto_server
    bucket = server.bucket()
    server.client.put_object(Bucket=bucket, Key=KEY, Body=BODY, StorageClass="ONEZONE_IA")
    backend = server.backend()
    details = backend.object_details(bucket, KEY)
    assert details.storage_class == "ONEZONE_IA"
    backend.replace_metadata(replace(details, content_type="text/csv"))
    after = backend.object_details(bucket, KEY)
    assert (after.storage_class, after.content_type) == ("ONEZONE_IA", "text/csv")


def test_tag_calls_are_refused_where_the_provider_has_no_tagging(server: S3Server) -> None:
    """On rclone a PutObjectTagging would overwrite the object with XML: never sent."""
    bucket = arrange(server)
    backend = server.backend()  # no provider: "Other S3-compatible", tagging unknown
    with pytest.raises(ConfigError, match="tags"):
        backend.put_tags(bucket, KEY, {"a": "b"})
    with pytest.raises(ConfigError, match="tags"):
        backend.get_tags(bucket, KEY)
    assert server.client.get_object(Bucket=bucket, Key=KEY)["Body"].read() == BODY


def test_a_presigned_url_fetches_the_object_without_credentials(server: S3Server) -> None:
    bucket = arrange(server)
    url = server.backend().share_link(bucket, KEY, 3600).url
    assert "X-Amz-Expires=3600" in url
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == BODY


def test_an_expired_presigned_url_is_refused(
    rclone_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rclone only: moto does not check presigned URLs' expiry. The link is signed with a
    clock two hours in the past and a one-hour expiry, so it expired an hour ago."""
    server = rclone_server
    bucket = arrange(server)
    backend = server.backend()
    fresh = backend.share_link(bucket, KEY, 3600).url
    with urllib.request.urlopen(fresh, timeout=10) as reply:
        assert reply.read() == BODY

    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: past)
    expired = backend.share_link(bucket, KEY, 3600).url
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(expired, timeout=10)
    refused.value.close()
    assert refused.value.code in (400, 403)


def _record_ranges(backend: Any) -> list[str]:
    ranges: list[str] = []

    def hook(request: Any, **_kwargs: Any) -> None:
        ranges.append(str(request.headers.get("Range", b"").decode()))

    backend.client.meta.events.register("before-send.s3.GetObject", hook)
    # GetObject goes around botocore on the S3 backend's fast path: record what it sends.
    fast = backend._fast_path()
    if fast is not None:
        send_once = fast._send_once

        def recording(method: str, bucket: str, key: str, headers: Any, *args: Any) -> Any:
            if method == "GET" and key:
                ranges.append(headers.get("Range", ""))
            return send_once(method, bucket, key, headers, *args)

        fast._send_once = recording  # type: ignore[method-assign]
    return ranges


def test_a_preview_reads_only_its_cap_of_a_large_object(server: S3Server) -> None:
    bucket = server.bucket()
    big = bytes(range(256)) * (8 * 1024)  # 2 MiB
    server.put(bucket, {"data/big-export.csv": big})
    backend = server.backend()
    ranges = _record_ranges(backend)
    data = read_range(backend, bucket, "data/big-export.csv", 0, TEXT_PREVIEW_BYTES)
    assert ranges == [f"bytes=0-{TEXT_PREVIEW_BYTES - 1}"]
    assert data == big[:TEXT_PREVIEW_BYTES]

    # Near the end fewer bytes come back; past it, none.
    assert read_range(backend, bucket, "data/big-export.csv", len(big) - 10, 100) == big[-10:]


def test_reading_a_range_of_an_empty_object_gives_no_bytes(server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"data/empty-file.txt": b""})
    assert read_range(server.backend(), bucket, "data/empty-file.txt", 0, 1024) == b""


def test_a_range_read_stops_when_cancelled(server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"data/some-file.bin": b"x" * 200_000})
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        read_range(server.backend(), bucket, "data/some-file.bin", 0, 200_000, cancel)


def test_a_metadata_copy_keeps_a_public_read_grant(moto_server: S3Server) -> None:
    """moto only: rclone serve s3 has no ACLs (its PutObjectAcl empties the object, so the
    backend never sends one to a provider not known to have object ACLs)."""
    server = moto_server
    bucket = server.bucket()
    server.client.put_object(Bucket=bucket, Key=KEY, Body=BODY, ACL="public-read")
    backend = server.backend(provider="aws")
    details = backend.object_details(bucket, KEY)
    backend.replace_metadata(replace(details, content_type="text/csv"))
    grants = server.client.get_object_acl(Bucket=bucket, Key=KEY)["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [
        g["Grantee"] for g in grants
    ]
    assert backend.object_details(bucket, KEY).content_type == "text/csv"
