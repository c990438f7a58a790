"""S3 specifics of storage classes on moto: above the one-request copy limit a class is
changed by a multipart copy onto itself, keeping metadata and bytes."""

from __future__ import annotations

import hashlib

import pytest

from cloudbrowser.core.backends.s3 import classes
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.backends.s3.features import features
from cloudbrowser.core.storage import Features, MiB
from tests.conftest import S3Server

pytestmark = pytest.mark.server


def test_above_the_copy_limit_a_class_change_is_a_multipart_copy(
    moto_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = moto_server.backend(provider="aws")
    bucket = moto_server.bucket()
    body = bytes(range(256)) * (11 * MiB // 256)
    moto_server.client.put_object(
        Bucket=bucket, Key="big.bin", Body=body, ContentType="application/x-big",
        Metadata={"team": "finance"},
    )  # fmt: skip
    # A 5 MiB copy limit and 5 MiB parts: 11 MiB goes as three copied parts.
    small = features(backend.settings)
    limits = small.limits._replace(max_server_copy=5 * MiB)
    smaller: Features = small._replace(limits=limits)
    monkeypatch.setattr(S3Backend, "features", property(lambda _self: smaller))
    monkeypatch.setattr(classes, "_COPY_PART", 5 * MiB)
    sent: list[str] = []
    real_copy_chunk = S3Backend.copy_chunk

    def copy_chunk(self: S3Backend, *args: object, **kwargs: object) -> str:
        sent.append("part")
        return real_copy_chunk(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(S3Backend, "copy_chunk", copy_chunk)
    backend.set_storage_class(bucket, "big.bin", "STANDARD_IA")
    assert len(sent) == 3
    head = moto_server.client.head_object(Bucket=bucket, Key="big.bin")
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["Metadata"] == {"team": "finance"}
    assert head["ContentType"] == "application/x-big"
    got = moto_server.client.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert hashlib.md5(got).digest() == hashlib.md5(body).digest()
    assert moto_server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
