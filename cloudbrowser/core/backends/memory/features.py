"""What the in-memory backend offers, as :class:`~cloudbrowser.core.storage.Features`.

Plain data. The limits are Amazon S3's (see ``backends/s3/features.py``), so that what the
engine does against memory in a test is what it does against a real server: the same chunk
sizes, the same batch of 1,000 deletes, the same page of 1,000 rows. Every capability is on.
"""

from __future__ import annotations

from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.storage import COMPOSITE, MD5, Features, GiB, Limits, MiB, TiB

LIMITS = Limits(
    min_chunk=5 * MiB,
    max_chunk=5 * GiB,
    max_chunks=10_000,
    max_object=5 * TiB,
    max_single_put=5 * GiB,
    max_server_copy=5 * GiB,
    max_link_seconds=7 * 24 * 3600,
    max_delete_batch=1000,
    max_page=1000,
)

FEATURES = Features(
    uri_scheme="memory",
    limits=LIMITS,
    # ETags as S3 makes them: the MD5 of a single-request object, the MD5 of the chunks'
    # MD5s ("-N") for a chunked one.
    checksums=frozenset({MD5, COMPOSITE}),
    batch_delete=True,
    versions=True,
    tags=True,
    storage_classes=True,
    # Links are served by a small HTTP server on 127.0.0.1 in this process (links.py).
    share_links=True,
    object_acls=False,
    # As S3's (the memory backend mirrors S3's storage classes).
    archive_tiers=frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    # Tags are found by a search of the store (as Azure's blob index finds them), so that
    # the window's tag search is tested without a server.
    tag_search=True,
    # A write's If-Match is checked under the store's lock, as a server checks it.
    conditional_puts=True,
)


def features(settings: ConnectionSettings) -> Features:
    """The same for every memory connection."""
    return FEATURES
