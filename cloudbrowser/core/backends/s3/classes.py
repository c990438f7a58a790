"""S3 storage classes: a copy in place with the new class (CopyObject, or a multipart copy
above CopyObject's 5 GiB), and Glacier restores (RestoreObject)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import botocore.exceptions as bx

from cloudbrowser.core.backends.s3.errors import error_code
from cloudbrowser.core.backends.s3.errors import guard as _guard
from cloudbrowser.core.backends.s3.features import STORAGE_CLASS_OFFER as OFFER
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.storage import MiB

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import RestoreRequestTypeDef

    from cloudbrowser.core.backends.s3.backend import S3Backend
    from cloudbrowser.core.details import ObjectDetails

#: Part size of a copy in place above CopyObject's limit (the server copies: big is fine).
_COPY_PART = 512 * MiB


def set_storage_class(backend: S3Backend, bucket: str, key: str, storage_class: str) -> None:
    """Copy the object onto itself with ``storage_class``, every header and the user
    metadata sent again (``replace_metadata``); above 5 GiB a multipart copy does it."""
    if storage_class not in OFFER.names:
        raise ConfigError(
            f"“{storage_class}” is not an S3 storage class.",
            hint="Choose one of: " + ", ".join(OFFER.names) + ".",
        )
    details = backend.object_details(bucket, key)
    if details.storage_class == storage_class:
        return
    if details.is_archived(OFFER.archive) or details.sse_customer_algorithm:
        backend.replace_metadata(details)  # refused, saying why (restore first; SSE-C)
    target = dataclasses.replace(details, storage_class=storage_class)
    if details.size <= backend.features.limits.max_server_copy:
        backend.copy_in_place(target)  # (replace_metadata's checks are of ``details``)
    else:
        _copy_in_parts(backend, target)


def _copy_in_parts(backend: S3Backend, target: ObjectDetails) -> None:
    """A multipart copy of the object onto itself with ``target``'s headers and class,
    each part pinned to the object's ETag (a change meanwhile fails the copy)."""
    client = backend.client
    params: dict[str, Any] = {
        "Bucket": target.bucket,
        "Key": target.key,
        "Metadata": dict(target.metadata),
        "StorageClass": target.storage_class,
    }
    optional = {
        "ContentType": target.content_type,
        "CacheControl": target.cache_control,
        "ContentDisposition": target.content_disposition,
        "ContentEncoding": target.content_encoding,
        "ContentLanguage": target.content_language,
        "WebsiteRedirectLocation": target.website_redirect,
        "ServerSideEncryption": target.server_side_encryption,
    }
    params.update({name: value for name, value in optional.items() if value})
    if target.server_side_encryption.startswith("aws:kms") and target.sse_kms_key_id:
        params["SSEKMSKeyId"] = target.sse_kms_key_id
    session = _guard(
        lambda: str(client.create_multipart_upload(**params)["UploadId"]),
        bucket=target.bucket,
        key=target.key,
    )
    try:
        part = max(_COPY_PART, -(-target.size // backend.features.limits.max_chunks))
        parts: list[tuple[int, str]] = []
        for n, first in enumerate(range(0, target.size, part), start=1):
            last = min(target.size, first + part) - 1
            token = backend.copy_chunk(
                target.bucket, target.key, target.bucket, target.key, session, n, first, last,
                if_match=target.etag,
            )  # fmt: skip
            parts.append((n, token))
        backend.commit_upload(target.bucket, target.key, session, parts)
    except BaseException:
        backend.abort_upload(target.bucket, target.key, session)
        raise


def restore_archived(
    backend: S3Backend, bucket: str, key: str, *, days: int, priority: str
) -> bool:
    """RestoreObject: a readable copy of a Glacier/Deep Archive object for ``days``."""
    if priority and priority not in OFFER.priorities:
        raise ConfigError(
            f"“{priority}” is not an S3 retrieval tier.",
            hint="Choose one of: " + ", ".join(OFFER.priorities) + ".",
        )
    request: RestoreRequestTypeDef = {
        "Days": days or OFFER.restore_days,
        "GlacierJobParameters": {"Tier": priority or OFFER.priorities[0]},  # type: ignore[typeddict-item]
    }

    def call() -> bool:
        try:
            backend.client.restore_object(Bucket=bucket, Key=key, RestoreRequest=request)
        except bx.ClientError as exc:
            code = error_code(exc)
            if code == "RestoreAlreadyInProgress":
                return True
            if code == "InvalidObjectState":  # not in an archive class: nothing to restore
                return False
            raise
        return True

    # A server without RestoreObject (rclone serve s3) answers MethodNotAllowed:
    # NotSupported, and not asked again on this connection.
    return backend._unless_lacking("RestoreObject", call, bucket=bucket, key=key)
