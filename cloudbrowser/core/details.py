"""Plain, immutable values that describe remote things beyond a listing's rows: versions,
unfinished chunked uploads, everything ``HeadObject`` says, where a restore stands.

Apart from ``entries.py`` (a listing's values), which the window's first frame imports:
these are compiled only when a feature needs them (a frozen dataclass costs ~0.5 ms to make).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """One chunk of an unfinished upload as the server lists it (S3: ``ListParts``)."""

    number: int
    #: What the server answered for the chunk, needed to commit (S3: the part's ETag).
    token: str
    size: int


@dataclass(frozen=True, slots=True)
class UnfinishedUpload:
    """An unfinished chunked upload (S3: ``ListMultipartUploads``): storage billed, no object."""

    bucket: str
    key: str
    #: The server's id of the upload (S3: its UploadId).
    session: str
    #: When it was started, POSIX seconds (UTC); 0.0 when the server does not say.
    initiated: float = 0.0


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an object, or a delete marker (``ListObjectVersions``)."""

    key: str
    version_id: str
    #: POSIX seconds (UTC) the version was stored.
    modified: float
    size: int = 0
    etag: str = ""
    is_latest: bool = False
    #: A delete marker: the object looks deleted from this version on.
    delete_marker: bool = False
    #: POSIX seconds (UTC) it was soft-deleted: a version gone from the bucket's history
    #: that the bucket keeps for a while (GCS, Azure soft delete; :class:`SoftDeletes`), which
    #: only a restore brings back (it cannot be read or deleted); 0.0: not soft-deleted.
    deleted_at: float = 0.0
    #: When a soft-deleted version goes for good (0.0: unknown, or not soft-deleted).
    kept_until: float = 0.0

    @property
    def soft_deleted(self) -> bool:
        return self.deleted_at > 0.0


@dataclass(frozen=True, slots=True)
class VersionPage:
    """One page of a listing of versions, as the server sent it (rows outside the asked
    prefix included: the engine drops them), each list in the server's order (by key,
    newest first per key)."""

    versions: list[Version] = field(default_factory=list)
    #: Delete markers (``delete_marker`` set).
    markers: list[Version] = field(default_factory=list)
    #: Common prefixes of a delimited listing.
    prefixes: list[str] = field(default_factory=list)
    #: Where the next page starts ("" after the last page): a key and a version id.
    next_key_marker: str = ""
    next_version_marker: str = ""


@dataclass(frozen=True, slots=True)
class ObjectDetails:
    """Everything ``HeadObject`` says about one object: what the Properties dialog shows and
    what a copy in place must send again so that nothing the user left alone is lost.

    Header values are as the server sent them ("" when absent); ``metadata`` holds the user
    metadata (``x-amz-meta-*``) without the prefix, keys as the server spells them.
    """

    bucket: str
    key: str
    size: int
    #: POSIX seconds (UTC); 0.0 when the server does not say.
    modified: float
    etag: str
    content_type: str = ""
    cache_control: str = ""
    content_disposition: str = ""
    content_encoding: str = ""
    content_language: str = ""
    #: The ``Expires`` header as sent (an HTTP date), "" when absent.
    expires: str = ""
    #: ``STANDARD`` when the server omits it (S3 does for STANDARD).
    storage_class: str = "STANDARD"
    version_id: str = ""
    #: S3's ``AES256``, ``aws:kms``, ``aws:kms:dsse``; another provider's own words
    #: (GCS "customer-managed", Azure "AES-256, Azure Storage encryption"); "" for none.
    server_side_encryption: str = ""
    sse_kms_key_id: str = ""
    bucket_key_enabled: bool = False
    #: Set for SSE-C objects (encrypted with a key the client holds): ``AES256``.
    sse_customer_algorithm: str = ""
    #: ``x-amz-restore`` of an archived object (``ongoing-request="false", expiry-date=…``).
    restore: str = ""
    website_redirect: str = ""
    object_lock_mode: str = ""
    object_lock_retain_until: float = 0.0
    object_lock_legal_hold: str = ""
    replication_status: str = ""
    #: ``x-amz-tagging-count``; -1 when the server does not say.
    tag_count: int = -1
    metadata: dict[str, str] = field(default_factory=dict)

    def is_archived(self, archive_tiers: frozenset[str]) -> bool:
        """In one of the provider's archive tiers (``Features.archive_tiers``) and not
        restored: its bytes cannot be read or copied until it is restored (S3) or
        rehydrated (Azure, whose blob leaves the Archive tier when it is)."""
        if self.storage_class not in archive_tiers:
            return False
        return 'ongoing-request="false"' not in self.restore


@dataclass(frozen=True, slots=True)
class RestoreState:
    """Where the restore of an archived object stands, whatever the provider."""

    #: Asked for and still going on (S3 ``ongoing-request="true"``; Azure
    #: ``rehydrate-pending-to-…``).
    in_progress: bool
    #: A restored copy (S3) is readable until then, POSIX seconds; 0.0 when none is, or
    #: the object leaves the archive for good (Azure).
    ready_until: float = 0.0
    #: The class the object is being moved to (Azure: ``Hot``, ``Cool``, ``Cold``), else "".
    target: str = ""


_AZURE_PENDING = "rehydrate-pending-to-"


def restore_state(restore: str) -> RestoreState | None:
    """``ObjectDetails.restore`` read: S3's ``x-amz-restore`` (``ongoing-request="false",
    expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"``) or Azure's ``x-ms-archive-status``
    (``rehydrate-pending-to-hot``); None when no restore was asked for (or it is not
    understood)."""
    text = restore.strip()
    if text.lower().startswith(_AZURE_PENDING):
        return RestoreState(True, target=text[len(_AZURE_PENDING) :].capitalize())
    if 'ongoing-request="true"' in text:
        return RestoreState(True)
    if 'ongoing-request="false"' in text:
        until = 0.0
        _, found, rest = text.partition('expiry-date="')
        if found:
            # email.utils (socket, calendar, locale: ~8 ms) only for a restored object, not
            # at every start: the window's first frame imports this module.
            from email.utils import parsedate_to_datetime

            try:
                until = parsedate_to_datetime(rest.split('"', 1)[0]).timestamp()
            except (TypeError, ValueError):
                until = 0.0
        return RestoreState(False, ready_until=until)
    return None
