"""What S3 and each S3-compatible service offer, as :class:`~cloudbrowser.core.storage.Features`.

Plain data, no boto3: the window reads a connection's features (share-link lifetime, copy
limits) without loading the SDK.
"""

from __future__ import annotations

import functools

from cloudbrowser.core.backends.s3.presets import capabilities, preset
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.storage import (
    COMPOSITE,
    MD5,
    Features,
    GiB,
    Limits,
    MiB,
    StorageClassOffer,
    TiB,
)

#: Amazon S3's documented limits, which S3-compatible servers take over.
LIMITS = Limits(
    min_chunk=5 * MiB,
    max_chunk=5 * GiB,
    max_chunks=10_000,
    max_object=5 * TiB,
    max_single_put=5 * GiB,
    # CopyObject copies up to 5 GiB; larger objects are copied in parts (UploadPartCopy).
    max_server_copy=5 * GiB,
    # SigV4's longest validity of a presigned URL: 7 days.
    max_link_seconds=7 * 24 * 3600,
    max_delete_batch=1000,
    max_page=1000,
)

#: Providers whose objects carry ACLs that a copy in place would reset (S3 gives the copy
#: the default, private ACL). Only these are asked for an object's ACL: rclone serve s3,
#: for one, takes PutObjectAcl for a PutObject and empties the object.
_OBJECT_ACL_PROVIDERS = frozenset({"aws", "ceph", "wasabi", "spaces"})


_ARCHIVE = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: S3's storage classes and Glacier restores (plain data: the window asks for them
#: without loading botocore; backends/s3/classes.py does the requests).
STORAGE_CLASS_OFFER = StorageClassOffer(
    names=(
        "STANDARD",
        "INTELLIGENT_TIERING",
        "STANDARD_IA",
        "ONEZONE_IA",
        "GLACIER_IR",
        "GLACIER",
        "DEEP_ARCHIVE",
    ),
    archive=_ARCHIVE,
    # RestoreObject's retrieval tiers; Standard is S3's default.
    priorities=("Standard", "Expedited", "Bulk"),
    restore_days=7,
    restore_note=(
        "Glacier Flexible Retrieval: 1–5 minutes (Expedited), 3–5 hours (Standard), "
        "5–12 hours (Bulk). Deep Archive: within 12 hours (Standard) or 48 hours (Bulk). "
        "The restored copy is readable for the days chosen; the object stays archived."
    ),
)


@functools.lru_cache(maxsize=64)
def features(settings: ConnectionSettings) -> Features:
    """The features of an S3 connection: S3's limits and its preset's capability flags.

    Cached (settings are frozen, Features immutable): the transfer queue asks for them
    several times per file, and building them was ~5% of a small file's client CPU."""
    caps = capabilities(settings)
    provider = settings.provider or ("aws" if settings.endpoint_url is None else "")
    return Features(
        uri_scheme="s3",
        limits=LIMITS,
        # The ETag is the MD5 of a single-request object and a checksum of the parts'
        # MD5s for a multipart one. Full-object CRCs are asked for only where required
        # (many compatible servers mangle them), so none is counted on here.
        checksums=frozenset({MD5, COMPOSITE}),
        batch_delete=caps.multi_object_delete,
        versions=caps.versioning,
        tags=caps.tagging,
        storage_classes=caps.storage_classes,
        share_links=caps.presigned_urls,
        object_acls=provider in _OBJECT_ACL_PROVIDERS,
        # Glacier Flexible Retrieval and Deep Archive: restored before they can be read
        # (Glacier Instant Retrieval reads at once).
        archive_tiers=frozenset({"GLACIER", "DEEP_ARCHIVE"}),
        # AWS's regions without an endpoint; else the preset's (Wasabi, R2…), or none: a
        # server of unknown kind decides.
        bucket_locations=preset("aws" if settings.endpoint_url is None else provider).regions,
        # A GET's wait for its reply is broken off by shutting its socket down (fast.py),
        # or runs on a runner (botocore's way): see core/interrupt.py.
        stoppable_reads=True,
        # So does a small object's PUT (the fast path's), botocore's on a runner.
        stoppable_puts=True,
        # If-Match on PutObject and CompleteMultipartUpload, where the preset says the
        # server honours it (elsewhere the engine checks by a HEAD just before).
        conditional_puts=caps.conditional_writes,
    )
