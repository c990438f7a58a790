"""What Azure Blob Storage offers, as :class:`~cloudbrowser.core.storage.Features`.

Plain data, no SDK: the window reads a connection's limits (share-link lifetime, chunk
sizes) without loading azure-storage-blob. Figures are Microsoft's documented limits for
block blobs (service version 2019-12-12 and later).
"""

from __future__ import annotations

from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.storage import MD5, Features, Limits, MiB

#: The largest block (Put Block) and the most blocks one blob may have.
MAX_BLOCK = 4000 * MiB
MAX_BLOCKS = 50_000
#: The largest range whose MD5 Get Blob computes when asked (x-ms-range-get-content-md5).
RANGE_MD5_MAX = 4 * MiB

LIMITS = Limits(
    # Azure has no smallest block; 1 MiB keeps a part count sane and ``--part-size`` in MiB.
    min_chunk=1 * MiB,
    max_chunk=MAX_BLOCK,
    max_chunks=MAX_BLOCKS,
    # 50,000 blocks of 4,000 MiB: about 190.7 TiB.
    max_object=MAX_BLOCKS * MAX_BLOCK,
    # One Put Blob request.
    max_single_put=5000 * MiB,
    # Copy Blob From URL (synchronous) copies up to 256 MiB; larger blobs are copied block
    # by block (Put Block From URL).
    max_server_copy=256 * MiB,
    # A SAS may be valid longer, but a user-delegation key lives at most 7 days: one bound
    # for both kinds of link.
    max_link_seconds=7 * 24 * 3600,
    # One Blob Batch request holds at most 256 sub-requests.
    max_delete_batch=256,
    # List Blobs answers at most 5,000 rows per request.
    max_page=5000,
)

#: Azurite's well-known development account.
EMULATOR_ACCOUNT = "devstoreaccount1"

#: Kinds of sign-in whose links can be signed here: with the account key (service SAS) or
#: with Entra ID (user-delegation SAS). A SAS cannot sign another; anonymous signs nothing.
_LINK_SIGNERS = frozenset(
    {"key", "", "connection_string", "azure_cli", "entra_default", "entra_device", "entra_browser"}
)


def features(settings: ConnectionSettings) -> Features:
    """The features of an Azure connection."""
    return Features(
        uri_scheme="az",
        limits=LIMITS,
        # A blob stored by one Put Blob has its Content-MD5 set by the service; a blob made
        # of blocks has one only when the uploader set it. The ETag is an opaque revision
        # ("0x8DC…"), never an MD5: the engine does not read it as one.
        checksums=frozenset({MD5}),
        # …which the engine sets: it gives the whole file's MD5 to Put Block List.
        md5_on_commit=True,
        batch_delete=True,
        # Blob versions are an account setting: the Versions calls say NoVersioning where
        # the account keeps none. Azurite (its development account) keeps none at all.
        versions=settings.account != EMULATOR_ACCOUNT,
        tags=True,
        # Find Blobs by Tags (the blob index): Azure, and Azurite since 3.x. An account
        # with a hierarchical namespace has no blob index: the search says so then.
        tag_search=True,
        # Access tiers: Hot, Cool, Cold, Archive.
        storage_classes=True,
        storage_class_word="access tier",
        share_links=settings.auth in _LINK_SIGNERS and not settings.anonymous,
        object_acls=False,
        # An Archive blob is offline until rehydrated to another tier (hours).
        archive_tiers=frozenset({"Archive"}),
        bucket_word="container",
        versioning_elsewhere=(
            "Azure keeps versions for a whole storage account: turn them on or off in the "
            "Azure portal, under the account's Data protection (Enable versioning for blobs)."
        ),
        # A Get Blob's wait for its reply is broken off by shutting its socket down
        # (fast.py), the SDK's runs on a runner: see core/interrupt.py.
        stoppable_reads=True,
        # A small file's Put Blob likewise (fast.py); the SDK's on a runner.
        stoppable_puts=True,
        # If-Match on Put Blob and Put Block List.
        conditional_puts=True,
        # Get Blob with x-ms-range-get-content-md5 answers the MD5 of a range of at most
        # 4 MiB: a blob without a Content-MD5 (blocks committed without one) is checked
        # range by range.
        range_md5_max=RANGE_MD5_MAX,
    )
