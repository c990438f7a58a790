"""What Google Cloud Storage offers, as :class:`~cloudbrowser.core.storage.Features`.

Plain data, no SDK: the window reads a connection's features without loading google.*.
"""

from __future__ import annotations

from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.storage import CRC32C, MD5, Features, KiB, Limits, MiB, TiB

#: A resumable upload's chunks (but the last) are multiples of this (GCS documents it).
CHUNK_GRANULE = 256 * KiB

#: Google Cloud Storage's documented limits.
LIMITS = Limits(
    # A resumable session takes chunks of any multiple of 256 KiB; the engine's own chunk
    # size (tens of MiB) is a multiple of it.
    min_chunk=CHUNK_GRANULE,
    # No limit per request; one chunk is held in memory while it is sent.
    max_chunk=5 * TiB,
    # A session is one stream: the count of chunks is bounded by the object's size only.
    max_chunks=10_000_000,
    max_object=5 * TiB,
    max_single_put=5 * TiB,
    # Rewrite copies any size, in as many calls as it takes (the token loop).
    max_server_copy=5 * TiB,
    # A V4 signed URL lives at most 7 days.
    max_link_seconds=7 * 24 * 3600,
    # A JSON batch holds at most 100 calls.
    max_delete_batch=100,
    max_page=1000,
    # A session's chunks go one after another, each waiting for the server's answer:
    # larger chunks than the engine's 8 MiB (Google's own client sends 100 MiB; rclone
    # 16 MiB). One chunk per file is in memory while it is sent, within the queue's
    # memory budget (core/transfers.py, MEMORY_BUDGET: four such chunks at once).
    upload_chunk=64 * MiB,
)

#: Multi-regions, dual-regions and the most used regions, for a new bucket (any other can
#: be typed); GCS's default is US.
LOCATIONS = (
    "US", "EU", "ASIA", "NAM4", "EUR4", "ASIA1",
    "us-central1", "us-east1", "us-east4", "us-west1", "northamerica-northeast1",
    "southamerica-east1", "europe-west1", "europe-west2", "europe-west3",
    "europe-west4", "europe-north1", "asia-east1", "asia-northeast1", "asia-south1",
    "asia-southeast1", "australia-southeast1",
)  # fmt: skip

FEATURES = Features(
    uri_scheme="gs",
    limits=LIMITS,
    # MD5 for objects stored in one go (uploads, resumable sessions, rewrites); composite
    # objects (compose) carry only CRC32C.
    checksums=frozenset({MD5, CRC32C}),
    batch_delete=True,
    versions=True,
    # GCS has custom metadata but no tags.
    tags=False,
    storage_classes=True,
    share_links=True,
    object_acls=False,
    chunks_in_order=True,
    bucket_locations=LOCATIONS,
    bucket_classes=("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"),
    # A GET's wait for its reply is broken off by shutting its socket down (fast.py), or
    # runs on a runner (requests, a token's renewal): see core/interrupt.py. A small
    # file's download then has no thread hand-over: ~25% more files a second.
    stoppable_reads=True,
    # A small file's upload likewise (fast.py's POST; requests' on a runner).
    stoppable_puts=True,
    # ifGenerationMatch on an upload (a resumable one's from its start).
    conditional_puts=True,
    # An object's versions are its generations, named by number.
    version_word="generation",
    # No list of resumable sessions (list_unfinished_uploads raises NotSupported).
    unfinished_uploads=False,
)


def features(settings: ConnectionSettings) -> Features:
    """The same for every GCS connection."""
    return FEATURES
