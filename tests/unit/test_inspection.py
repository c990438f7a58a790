"""Object addresses, property edits and preview decisions (core/inspection.py)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from cloudbrowser.core.connection import AddressingStyle, ConnectionSettings
from cloudbrowser.core.details import ObjectDetails
from cloudbrowser.core.inspection import (
    ExpiryUnit,
    PreviewKind,
    PropertyEdits,
    csv_rows,
    decode_text,
    expiry_seconds,
    object_uri,
    object_url,
    plan_save,
    pretty_json,
    sniff_kind,
    storage_classes,
    validate,
)
from cloudbrowser.core.storage import StorageClassOffer

ODD_KEY = "a b/c+d%é~#1.txt"


@pytest.mark.parametrize(
    ("endpoint", "style", "region", "bucket", "expected"),
    [
        (None, "auto", "us-east-1", "my-bucket", "https://my-bucket.s3.amazonaws.com/"),
        (None, "auto", "eu-west-1", "my-bucket", "https://my-bucket.s3.eu-west-1.amazonaws.com/"),
        (None, "path", "eu-west-1", "my-bucket", "https://s3.eu-west-1.amazonaws.com/my-bucket/"),
        # Dots would not match the wildcard TLS certificate: path style, as botocore does.
        (None, "virtual", "eu-west-1", "my.bucket", "https://s3.eu-west-1.amazonaws.com/my.bucket/"),
        ("http://127.0.0.1:9000", "auto", "us-east-1", "my-bucket", "http://127.0.0.1:9000/my-bucket/"),
        ("https://s3.wasabisys.com", "virtual", "us-east-1", "my-bucket", "https://my-bucket.s3.wasabisys.com/"),
        ("https://minio.example.com/base/", "path", "", "my-bucket", "https://minio.example.com/base/my-bucket/"),
    ],
)  # fmt: skip
def test_object_url_follows_the_connection_addressing(
    endpoint: str | None, style: AddressingStyle, region: str, bucket: str, expected: str
) -> None:
    settings = ConnectionSettings(endpoint_url=endpoint, addressing_style=style, region=region)
    assert object_url(settings, bucket, ODD_KEY) == expected + "a%20b/c%2Bd%25%C3%A9~%231.txt"


@pytest.mark.parametrize(
    ("endpoint", "style"),
    [("http://127.0.0.1:9000", "auto"), ("https://s3.example.com", "virtual"), (None, "path")],
)
def test_object_url_is_where_botocore_sends_requests(endpoint: str | None, style: str) -> None:
    """The path part matches what botocore signs for the same connection."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )
    signed = client.generate_presigned_url("get_object", {"Bucket": "my-bucket", "Key": ODD_KEY})
    settings = ConnectionSettings(
        endpoint_url=endpoint,
        addressing_style=style,  # type: ignore[arg-type]
        region="eu-west-1",
    )
    assert object_url(settings, "my-bucket", ODD_KEY) == signed.split("?", 1)[0]


WEEK = 7 * 24 * 3600  # SigV4's longest link


def test_s3_uri_and_expiry_cap() -> None:
    assert object_uri(ConnectionSettings(), "b", "x/y z.txt") == "s3://b/x/y z.txt"
    assert expiry_seconds(90, ExpiryUnit.MINUTES, WEEK) == (5400, False)
    assert expiry_seconds(7, ExpiryUnit.DAYS, WEEK) == (WEEK, False)
    assert expiry_seconds(8, ExpiryUnit.DAYS, WEEK) == (WEEK, True)
    assert expiry_seconds(200, ExpiryUnit.HOURS, WEEK) == (WEEK, True)


def test_storage_classes_follow_the_provider() -> None:
    aws = ConnectionSettings(provider="aws")
    assert "GLACIER_IR" in storage_classes(aws)
    assert storage_classes(ConnectionSettings(endpoint_url="http://x", provider="r2")) == (
        "STANDARD",
    )
    # The object's own class is always offered, even one the list does not name.
    assert storage_classes(aws, "EXPRESS_ONEZONE")[0] == "EXPRESS_ONEZONE"


DETAILS = ObjectDetails(
    "b",
    "k.txt",
    10,
    1.0,
    "etag",
    content_type="text/plain",
    cache_control="max-age=60",
    content_disposition="attachment",
    storage_class="STANDARD",
    metadata={"owner": "ann"},
)


def edits(**changes: object) -> PropertyEdits:
    values: dict[str, object] = {
        "content_type": "text/plain",
        "cache_control": "max-age=60",
        "storage_class": "STANDARD",
        "metadata": (("owner", "ann"),),
        "tags": (("team", "a"),),
    }
    values.update(changes)
    return PropertyEdits(**values)  # type: ignore[arg-type]


def test_a_save_sends_only_what_changed() -> None:
    tags = {"team": "a"}
    assert plan_save(DETAILS, tags, edits()).empty
    only_tags = plan_save(DETAILS, tags, edits(tags=(("team", "b"),)))
    assert only_tags.copy_target is None and only_tags.tags == {"team": "b"}

    plan = plan_save(DETAILS, tags, edits(content_type="text/csv", metadata=()))
    assert plan.tags is None
    assert plan.copy_target is not None
    assert plan.copy_target.content_type == "text/csv"
    assert plan.copy_target.metadata == {}
    # What the dialog does not edit rides along unchanged.
    assert plan.copy_target.content_disposition == "attachment"
    assert plan.copy_target.etag == "etag"


def test_validation_names_each_problem() -> None:
    assert validate(edits()) == []
    problems = validate(
        edits(
            content_type="",
            metadata=(("has space", "v"), ("Owner", "x"), ("owner", "é")),
            tags=tuple((f"t{i}", "v") for i in range(11)),
        )
    )
    text = "\n".join(problems)
    assert "content type may not be empty" in text
    assert "“has space”" in text
    assert "appears twice" in text
    assert "plain ASCII" in text
    assert "at most 10 tags" in text


def test_gcs_metadata_takes_any_language_and_8_kib() -> None:
    """GCS's metadata goes in JSON: the ASCII rule and 2 KiB are S3's headers'."""
    words = edits(metadata=(("author", "Zoë Ångström"), ("notes", "x" * 3000)), tags=None)
    assert validate(words, "gs") == []
    assert any("plain ASCII" in p for p in validate(words, "s3"))
    too_much = validate(edits(metadata=(("notes", "x" * 9000),), tags=None), "gs")
    assert too_much == ["User metadata is 9005 bytes; Google Cloud Storage allows at most 8192."]


def test_preview_kind_from_name_type_and_bytes() -> None:
    assert sniff_kind("a.json", "application/octet-stream", b"{}") is PreviewKind.JSON
    assert sniff_kind("a.csv", "", b"a,b\n") is PreviewKind.CSV
    assert sniff_kind("README.md", "", b"# hi") is PreviewKind.MARKDOWN
    assert sniff_kind("photo", "image/png", b"\x89PNG\0") is PreviewKind.IMAGE
    assert sniff_kind("notes", "", b"plain words\n") is PreviewKind.TEXT
    # A NUL byte is binary whatever the name promises.
    assert sniff_kind("dump.txt", "text/plain", b"ab\0cd") is PreviewKind.OTHER
    assert sniff_kind("blob", "application/octet-stream", b"\xff\xfe\xfa" * 100) is (
        PreviewKind.OTHER
    )
    assert sniff_kind("empty", "", b"") is PreviewKind.OTHER


def test_text_helpers() -> None:
    # A character cut by the cap is dropped, not shown as a replacement character.
    assert decode_text("zoë".encode()[:-1], truncated=True) == "zo"
    assert decode_text(b"a\xffb", truncated=False) == "a\ufffdb"
    assert pretty_json('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_json('{"a": ') is None
    assert csv_rows("a,b\n1,2\n3,", truncated=True) == [["a", "b"], ["1", "2"]]
    assert csv_rows("a;b\n1;2\n", truncated=False) == [["a", "b"], ["1", "2"]]
    assert len(csv_rows("x\n" * 5000, truncated=False)) == 1000


def test_a_native_gcs_connection_offers_its_own_classes_not_amazons() -> None:
    """Without an endpoint a native GCS connection is Google's, not AWS: it was offered
    S3's GLACIER and DEEP_ARCHIVE (with the emulator's endpoint, STANDARD alone)."""
    offer = StorageClassOffer(names=("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"))
    for endpoint in (None, "http://127.0.0.1:4443"):
        gcs = ConnectionSettings(kind="gcs", endpoint_url=endpoint)
        assert storage_classes(gcs, "STANDARD", offer) == offer.names
        assert storage_classes(gcs, "MULTI_REGIONAL", offer) == ("MULTI_REGIONAL", *offer.names)
    # An S3 connection still goes by its provider.
    assert "GLACIER_IR" in storage_classes(ConnectionSettings(provider="aws"), "", offer)
