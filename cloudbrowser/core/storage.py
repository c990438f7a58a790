"""The storage interface: what the engine, the window and the CLI may ask of any provider.

Every provider (S3 and the S3-compatible services, Google Cloud Storage, Azure Blob) is one
class behind :class:`Storage`, in its own package under ``core/backends/``, opened by kind
through :func:`cloudbrowser.core.backends.open_storage`. Nothing outside a backend's package
names its class, imports its SDK or asks ``isinstance`` of it (import-linter contracts in
``pyproject.toml``); what differs between providers is said by :attr:`Storage.features` and
by which **capability** interfaces below the backend implements.

Path convention (as in rclone's backends): calls take a ``bucket`` (a GCS bucket, an Azure
container) and a ``key`` or ``prefix`` inside it; a prefix is "" or ends with "/" (see
``core/keys.py``). Every call may be made from any worker thread at the same time and raises
only :class:`~cloudbrowser.core.errors.CloudBrowserError` subclasses (the SDK's exceptions
never escape a backend). Nothing here is called on the GUI thread (docs/architecture.md).

The capability interfaces are ``runtime_checkable`` so the engine can ask "can this backend
do X" (``isinstance(storage, Versions)``, or :func:`versions_of` and its siblings, which
raise NotSupported) without naming a provider; whether the *server* does it too is
:attr:`Features` (a preset's flags, and what the backend learned by asking once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings
    from cloudbrowser.core.details import ObjectDetails, UnfinishedUpload, UploadedPart, VersionPage
    from cloudbrowser.core.entries import Bucket, ListPage, ObjectInfo
    from cloudbrowser.core.errors import CloudBrowserError, NotSupported

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB


class LinkGrant(NamedTuple):
    """What a share link grants whoever holds it when it carries the connection's own
    credential (``Features.link_grant``), in words every provider's can be said in: the
    window and the CLI show it before such a link is handed out."""

    #: What it allows, from :data:`GRANT_WORDS`, in that order ("read", "write", …).
    permissions: tuple[str, ...]
    #: What it covers: "account" (every bucket the account has), "bucket" (a whole
    #: bucket, its objects to come too), "folder" (a prefix), "object" (one object).
    scope: str
    #: The bucket, folder or object it covers, as the credential names it ("" for an
    #: account, or where it does not say).
    scope_name: str = ""
    #: When it ends, POSIX seconds; 0.0: the credential names no end (``policy`` may).
    ends: float = 0.0
    #: A policy kept on the server that may set its end and permissions (an Azure stored
    #: access policy, ``si``); "" for none.
    policy: str = ""
    #: The addresses it may be used from (``168.1.5.60-168.1.5.70``); "" for any.
    addresses: str = ""
    #: The protocols it may be used over ("https", "https,http"); "" for any.
    protocols: str = ""
    #: The grant as the provider writes it ("sp=racwdl sr=c"), shown beside the words.
    spelled: str = ""

    @property
    def reads(self) -> bool:
        """It may let the link's holder read: it says so, or leaves what it grants to its
        server-side ``policy``, which is not known here."""
        return "read" in self.permissions or bool(self.policy and not self.permissions)

    @property
    def read_only(self) -> bool:
        """It lets the link's holder read (and list), nothing else."""
        return "read" in self.permissions and set(self.permissions) <= {"read", "list"}


#: The words a LinkGrant's permissions are said in, in the order they are listed.
GRANT_WORDS = (
    "read",
    "add",
    "create",
    "write",
    "update",
    "delete",
    "delete versions",
    "delete permanently",
    "list",
    "read and write tags",
    "find by tags",
    "move",
    "execute",
    "change owner",
    "change permissions",
    "set immutability policy",
    "process messages",
)


class Limits(NamedTuple):
    """The provider's documented limits, in one place (the engine sizes chunks, refuses a
    server-side copy and bounds a share link's lifetime by these)."""

    #: Smallest chunk of a chunked upload except the last one.
    min_chunk: int
    #: Largest chunk.
    max_chunk: int
    #: Most chunks in one upload.
    max_chunks: int
    #: Largest object.
    max_object: int
    #: Largest object one single request may store (larger ones go in chunks).
    max_single_put: int
    #: Largest object one server-side copy request may copy (larger: copied in chunks).
    max_server_copy: int
    #: Longest lifetime of a share link, seconds.
    max_link_seconds: int
    #: Most keys one batch delete may name.
    max_delete_batch: int
    #: Most rows of one listing page.
    max_page: int
    #: The chunk size uploads use unless the user chose one (0: the engine's default):
    #: where chunks go one after another (``Features.chunks_in_order``) a larger chunk
    #: means fewer round trips per file.
    upload_chunk: int = 0


#: Checksums a provider may store for an object (:attr:`Features.checksums`).
#:
#: An object's checksums are data of their own, apart from its revision (the ETag or
#: generation a read is pinned to, never parsed for a checksum): ``Entry``, ``ObjectInfo``
#: and ``ObjectReader`` carry ``md5`` and ``crc32c``, the whole object's, lower-case hex
#: ("" when the provider keeps none for that object). S3 fills ``md5`` from an ETag that
#: is one (a single-request object), GCS from ``md5Hash``/``crc32c``, Azure from
#: Content-MD5 (a ranged read reports the whole blob's, ``x-ms-blob-content-md5``).
#: :data:`COMPOSITE` alone is still read from the revision: S3's multipart ETag is it.
MD5 = "md5"
CRC32C = "crc32c"
CRC64NVME = "crc64nvme"
#: A checksum of the chunks' checksums (S3's multipart ETag, GCS's composite CRC32C).
COMPOSITE = "composite"


class Features(NamedTuple):
    """What one connection's backend and server offer; consulted before relying on a
    capability (rclone's ``Features``). Flags are what the provider documents: where it is
    vague they are False and the engine takes the safe path."""

    #: The URI scheme of this provider's addresses: ``s3`` (``s3://bucket/key``), ``gs``,
    #: ``az``.
    uri_scheme: str
    limits: Limits
    #: Checksums the server keeps for objects (names above), strongest first.
    checksums: frozenset[str]
    #: Several keys deleted by one request (:class:`BatchDelete`); else one call per key.
    batch_delete: bool = True
    #: Versions are kept and can be listed and restored (:class:`Versions`).
    versions: bool = True
    #: Objects carry tags (:class:`ObjectProperties` ``get_tags``/``put_tags``).
    tags: bool = True
    #: Objects have storage classes or tiers that can be chosen.
    storage_classes: bool = True
    #: What the provider calls them, as a menu says it: "storage class" (S3, GCS),
    #: "access tier" (Azure).
    storage_class_word: str = "storage class"
    #: Share links (presigned URLs, signed URLs, SAS) work.
    share_links: bool = True
    #: Set where a link can only carry the connection's own credential (an Azure SAS: a
    #: SAS cannot sign another): what whoever holds the link may do, and until when,
    #: whatever lifetime is asked for. None: a link is signed for itself, read-only, for
    #: the lifetime asked. A grant of more than reading (``LinkGrant.read_only`` False) is
    #: handed out only when the caller passes it back to ``share_link(accepted=)``, after
    #: the user was shown it.
    link_grant: LinkGrant | None = None
    #: Per-object ACL grants that a metadata rewrite must carry over.
    object_acls: bool = False
    #: The chunks of one upload must be sent one after another, in number order (a GCS
    #: resumable session is one stream of bytes at an offset): never several at once.
    chunks_in_order: bool = False
    #: Storage classes (tiers) whose objects are offline until restored or rehydrated, as
    #: the provider spells them: S3's GLACIER and DEEP_ARCHIVE, Azure's Archive; none for
    #: GCS (its ARCHIVE class reads at once). See ``ObjectDetails.is_archived``.
    archive_tiers: frozenset[str] = frozenset()
    #: Where a new bucket can be made, offered by the New bucket dialog (regions, GCS
    #: locations; one newer than the list can be typed); () = the server decides (Azure: a
    #: container lives in its account's region).
    bucket_locations: tuple[str, ...] = ()
    #: Default storage classes a new bucket can be given (GCS); () = none to choose. The
    #: chosen one goes to ``create_bucket`` as ``region="LOCATION/CLASS"``.
    bucket_classes: tuple[str, ...] = ()
    #: The commit of a chunked upload stores the whole object's MD5 the engine gives it
    #: (``commit_upload(content_md5=)``, Azure's ``x-ms-blob-content-md5``): the server
    #: computes none of its own for an object put together from chunks.
    md5_on_commit: bool = False
    #: ``get_object`` honours ``core/interrupt.stoppable``: a stop breaks off its wait for
    #: the reply, so the engine opens reads on its own thread (no hand-over to a runner).
    stoppable_reads: bool = False
    #: ``put_object`` honours ``core/interrupt.stoppable`` the same way: a whole small file's
    #: upload is sent on the transfer's own thread.
    stoppable_puts: bool = False
    #: Objects can be found by their tags on the server (:class:`TagSearch`: Azure's Find
    #: Blobs by Tags over its blob index); the search offers ``tag:`` terms only then.
    tag_search: bool = False
    #: What the provider calls a bucket, as a sentence says it ("bucket"; Azure's
    #: "container"): messages about a connection's buckets use it.
    bucket_word: str = "bucket"
    #: What the provider calls one of an object's versions' ids, as a label says it:
    #: "version" (S3, Azure: a version ID), "generation" (GCS: a generation number).
    version_word: str = "version"
    #: ``put_object`` and a chunked upload's commit honour ``if_match`` and
    #: ``create_only``: the server itself refuses to replace an object that is no longer
    #: that revision (S3's If-Match on PutObject and CompleteMultipartUpload, GCS's
    #: ifGenerationMatch, Azure's If-Match on Put Blob and Put Block List), or any object
    #: at all (If-None-Match: *, ifGenerationMatch=0), so nobody's write between a check
    #: and the upload is lost. Where False the engine looks by a HEAD just before it writes.
    conditional_puts: bool = False
    #: A bucket's unfinished chunked uploads can be listed (``list_unfinished_uploads``),
    #: so that Clean up incomplete uploads… finds them; GCS keeps no list of its resumable
    #: sessions (they hold no storage and expire after a week).
    unfinished_uploads: bool = True
    #: Where the user turns versioning on or off when the provider offers no switch for a
    #: bucket through its storage API (:class:`VersioningSwitch`), as a hint says it
    #: (Azure: the storage account's data protection); "" where it does.
    versioning_elsewhere: str = ""
    #: The largest range whose MD5 the server computes for a read that asks for it
    #: (``get_object(range_md5=True)``: Azure's ``x-ms-range-get-content-md5``, ranges of
    #: at most 4 MiB); 0: none. The engine reads an object the server keeps no checksum of
    #: in ranges of this size and checks each one against the server's MD5.
    range_md5_max: int = 0


@runtime_checkable
class ObjectReader(Protocol):
    """The body of a read: read it in chunks; errors arrive translated, like every call's.

    ``size`` is what the server says it is sending, ``content_range`` the ``(first, last,
    total)`` of a ranged reply (None for a whole object or a server that ignored the
    range): the caller compares both with what it asked for.
    """

    size: int
    etag: str
    modified: float
    content_type: str
    content_range: tuple[int, int, int] | None
    #: The whole object's checksums (also on a ranged read), "" where the server gave none.
    md5: str
    crc32c: str
    #: The server's MD5 of the bytes of this reply (lower-case hex): only where the read
    #: asked for it (``get_object(range_md5=True)``) and the server gave it, else "".
    range_md5: str

    def read(self, amount: int) -> bytes: ...

    def abort(self) -> None:
        """Break off a read blocked in another thread at once (it raises Cancelled)."""

    def close(self) -> None: ...

    def __enter__(self) -> ObjectReader: ...

    def __exit__(self, *_exc: object) -> None: ...


@runtime_checkable
class Storage(Protocol):
    """The calls every provider has."""

    settings: ConnectionSettings
    #: Keys per listing page (tests use small pages so paging is exercised).
    page_size: int

    @property
    def features(self) -> Features: ...

    def list_buckets(self) -> list[Bucket]: ...

    def create_bucket(self, bucket: str, region: str = "") -> None:
        """``region``: one of ``features.bucket_locations`` (or typed), "" for the server's
        default; ``"LOCATION/CLASS"`` with one of ``features.bucket_classes``."""

    def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket (StorageError code ``BucketNotEmpty`` otherwise)."""

    def list_page(
        self,
        bucket: str,
        prefix: str = "",
        token: str = "",
        *,
        recursive: bool = False,
        ahead: bool = False,
    ) -> ListPage:
        """One page directly under ``prefix`` (every key below it with ``recursive``);
        ``token`` is the previous page's ``next_token``. Keys outside ``prefix`` are left
        out into ``ListPage.refused``. ``ahead``: the caller will ask for the next page as
        well, so a backend may ask the server for it now (the server then makes it while
        this one is parsed and used); a backend may ignore it."""

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> ObjectInfo: ...

    def get_object(
        self,
        bucket: str,
        key: str,
        *,
        start: int = 0,
        end: int | None = None,
        if_match: str = "",
        version_id: str = "",
        range_md5: bool = False,
    ) -> ObjectReader:
        """Open bytes ``start``..``end`` (inclusive) of the object. ``if_match`` is the
        revision (ETag, generation) the caller expects: another one raises ObjectChanged.
        ``range_md5`` asks the server for the MD5 of the bytes it sends (the reader's
        ``range_md5``) where ``features.range_md5_max`` covers the range; else ignored."""

    def put_object(
        self,
        bucket: str,
        key: str,
        body: object,
        *,
        content_md5: str,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Store one object in one request (up to ``limits.max_single_put``); returns its
        revision tag. ``if_match`` (where ``features.conditional_puts``) is the revision the
        object must still be: another one raises ObjectChanged, none KeyNotFound or
        ObjectChanged (as the server says it). ``create_only`` (likewise): the write may
        only create the object; where one of its name exists, CreatedMeanwhile."""

    def delete_object(self, bucket: str, key: str) -> None: ...


@runtime_checkable
class ChunkedUploads(Protocol):
    """Resumable uploads in numbered chunks (S3 multipart, GCS XML multipart, Azure blocks).

    A **session** is the server's id of one unfinished upload; a chunk's **token** is what
    the server answered for it (S3's part ETag), needed to commit."""

    def begin_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Start a session. ``if_match``, ``create_only``: as ``commit_upload``'s, given
        here too because a provider may fix a session's precondition when it begins (a GCS
        resumable upload)."""

    def upload_chunk(
        self,
        bucket: str,
        key: str,
        session: str,
        number: int,
        body: object,
        *,
        content_md5: str,
        offset: int = -1,
    ) -> str:
        """Send chunk ``number`` (1-based); returns its token. ``offset`` is where its
        bytes start in the object (-1: not said). A session that is one stream
        (``chunks_in_order``: GCS) needs it: the last chunk is shorter than the others, so
        its number and length do not say where it starts."""

    def list_chunks(self, bucket: str, key: str, session: str) -> list[UploadedPart]: ...

    def commit_upload(
        self,
        bucket: str,
        key: str,
        session: str,
        chunks: Iterable[tuple[int, str]],
        *,
        content_md5: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Join the chunks into the object; returns its revision. ``content_md5`` (base64,
        "" when unknown) is the whole object's MD5, stored where ``features.md5_on_commit``.
        ``if_match``, ``create_only`` (where ``features.conditional_puts``; the same ones
        ``begin_upload`` was given): as for ``put_object``."""

    def abort_upload(self, bucket: str, key: str, session: str) -> None: ...

    def list_unfinished_uploads(self, bucket: str, prefix: str = "") -> list[UnfinishedUpload]: ...


@runtime_checkable
class ServerCopy(Protocol):
    """Copies made by the server: no byte passes through here."""

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        """Copy the object within the provider; returns the copy's revision. With
        ``create_only`` (where ``features.conditional_puts``) the copy is made only where
        no object has the name: else CreatedMeanwhile, and nothing is overwritten."""

    def copy_chunk(
        self,
        src_bucket: str,
        src_key: str,
        bucket: str,
        key: str,
        session: str,
        number: int,
        first: int,
        last: int,
        *,
        if_match: str = "",
    ) -> str:
        """Bytes ``first``..``last`` of the source as chunk ``number`` of ``session``."""


@runtime_checkable
class BatchDelete(Protocol):
    def delete_objects(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to ``limits.max_delete_batch`` keys; returns the refused ones."""


@runtime_checkable
class Versions(Protocol):
    """Object versions and delete markers (S3 versions, GCS generations, Azure versions)."""

    def bucket_versioning(self, bucket: str) -> str: ...

    def list_versions_page(
        self,
        bucket: str,
        prefix: str = "",
        key_marker: str = "",
        version_marker: str = "",
        *,
        delimited: bool = False,
        limit: int = 0,
    ) -> VersionPage:
        """One request's page of the versions and delete markers below ``prefix``
        (directly under it, folders as prefixes, with ``delimited``), after the markers of
        the previous page, at most ``limit`` rows (0: the server's most). Rows come as the
        server sent them; the walks (``core/versions.py``) page, guard and filter.
        Raises NoVersioning where the server keeps no versions."""

    def restore_version(self, bucket: str, key: str, version_id: str) -> str: ...

    def delete_version(self, bucket: str, key: str, version_id: str) -> None: ...

    def delete_versions(
        self, bucket: str, versions: Sequence[tuple[str, str]]
    ) -> list[tuple[str, CloudBrowserError]]: ...


@runtime_checkable
class VersioningSwitch(Protocol):
    """Turning a bucket's versioning on, or off: S3 suspends it, GCS disables it; the
    versions kept so far stay either way. Azure has no such switch for a container: its
    storage account keeps versions or not, set in the account's management, never through
    the blob service (its backend does not implement this)."""

    def set_bucket_versioning(self, bucket: str, on: bool) -> None:
        """Turn versioning of ``bucket`` on (``on``) or off. Raises NoVersioning (the
        server keeps no versions at all), BucketNotFound, AccessDenied."""


@runtime_checkable
class SoftDeletes(Protocol):
    """Soft-deleted objects: versions gone from a bucket (deleted, replaced, or removed
    from its version history) that the bucket still keeps for a retention period, where
    only a restore brings them back (GCS soft delete, Azure blob soft delete). Listed
    apart from the versions (``core/versions.py`` merges them into its walks), on demand
    only."""

    def soft_delete_retention(self, bucket: str) -> int:
        """How many seconds the bucket keeps what is deleted (0: it keeps nothing)."""

    def list_soft_deleted_page(
        self, bucket: str, prefix: str = "", token: str = "", *, delimited: bool = False
    ) -> VersionPage:
        """One page of the soft-deleted versions below ``prefix`` (directly under it,
        folders as prefixes, with ``delimited``), after ``token`` (the previous page's
        ``next_key_marker``): each a :class:`~cloudbrowser.core.entries.Version` with
        ``deleted_at`` (and ``kept_until``) set, never latest. Rows come as the server
        sent them (not necessarily by key across pages)."""

    def restore_soft_deleted(self, bucket: str, key: str, version_id: str) -> str:
        """Bring a soft-deleted version back as the key's current version (a live one
        is replaced: kept as an old version where the bucket keeps them); returns the new
        version's id. Raises KeyNotFound (no such soft-deleted version)."""


class ShareLink(NamedTuple):
    """A URL that downloads one object without credentials, and when it stops working."""

    url: str
    #: The end the link itself names, POSIX seconds (the signature's: S3's and GCS's
    #: signing date plus lifetime, a SAS's ``se``, in whole seconds): it may come before
    #: the lifetime asked (an Azure user delegation key ends first; a link that carries
    #: the connection's SAS ends with it). 0.0: the link names no end (a SAS that leaves
    #: it to a stored access policy).
    expires: float


@runtime_checkable
class ShareLinks(Protocol):
    def share_link(
        self, bucket: str, key: str, expires_in: int, *, accepted: LinkGrant | None = None
    ) -> ShareLink:
        """A URL that downloads ``key`` without credentials for ``expires_in`` seconds at
        most, with the end it names (which the window and the CLI show: never their own
        sum of now and ``expires_in``).

        Where ``features.link_grant`` grants more than reading, the link is that
        credential as it is: made only when ``accepted`` is that grant (the user was shown
        it and agreed), else NotSupported; backends that sign their own links ignore it."""


@runtime_checkable
class ObjectProperties(Protocol):
    """Metadata, content headers and tags of one object."""

    def object_details(self, bucket: str, key: str) -> ObjectDetails: ...

    def replace_metadata(self, target: ObjectDetails) -> str: ...

    def get_tags(self, bucket: str, key: str) -> dict[str, str]: ...

    def put_tags(self, bucket: str, key: str, tags: Mapping[str, str]) -> None: ...


class StorageClassOffer(NamedTuple):
    """The storage classes (tiers) a connection offers, and how an archived object comes
    back (:class:`StorageClasses`)."""

    #: The classes an object may be given, most readily readable first.
    names: tuple[str, ...]
    #: Those of ``names`` (and of what a listing may show) whose bytes cannot be read until
    #: restored (S3 GLACIER, DEEP_ARCHIVE; Azure Archive). GCS's ARCHIVE is readable: none.
    archive: frozenset[str] = frozenset()
    #: Retrieval priorities of a restore, the default first (S3: Standard, Expedited,
    #: Bulk; Azure: Standard, High); empty where nothing needs restoring.
    priorities: tuple[str, ...] = ()
    #: A restore makes a temporary copy that lasts this many days by default (S3); 0: a
    #: restore moves the object out of the archive for good (Azure's rehydration).
    restore_days: int = 0
    #: The classes a restore may move the object to (Azure: Hot, Cool, Cold); empty: the
    #: object stays in its class (S3's temporary copy).
    restore_targets: tuple[str, ...] = ()
    #: How long a restore takes, for the user (plain English, shown as given).
    restore_note: str = ""


@runtime_checkable
class StorageClasses(Protocol):
    """Choosing an object's storage class (access tier) and bringing archived objects back
    (S3 storage classes and Glacier restores, GCS storage classes, Azure access tiers and
    rehydration)."""

    def storage_class_offer(self) -> StorageClassOffer: ...

    def set_storage_class(self, bucket: str, key: str, storage_class: str) -> None:
        """Give the object ``storage_class`` (one of the offer's names), keeping its bytes,
        metadata and tags. Raises ConfigError for an archived object (restore it first)
        where the provider cannot move it while archived."""

    def restore_archived(
        self, bucket: str, key: str, *, days: int = 0, priority: str = "", target: str = ""
    ) -> bool:
        """Ask for an archived object to be made readable: for ``days`` (S3), or by moving
        it to ``target`` (Azure), at ``priority`` (one of the offer's, "" its default).
        Returns once the server accepted (True; also when a restore is already under way)
        or False when the object is not archived (nothing asked: a folder's readable
        objects are passed over). The restore itself takes hours
        (:func:`~cloudbrowser.core.details.restore_state` tells how it goes)."""


#: How a tag search compares an object's tag with a value (as text, in byte order).
TAG_OPERATORS = ("=", ">", ">=", "<", "<=")


class TagCondition(NamedTuple):
    """One condition of a tag search: the object's tag ``name`` compared by ``op`` (one of
    :data:`TAG_OPERATORS`) with ``value``, as text. An object without the tag does not
    meet it."""

    name: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


class TaggedPage(NamedTuple):
    """One page of a tag search: the keys found, and the token of the next page ("" on
    the last). A page may hold no key and still have a next one."""

    keys: list[str]
    next_token: str = ""


@runtime_checkable
class TagSearch(Protocol):
    """Finding objects by their tags on the server, without listing the bucket (Azure's
    Find Blobs by Tags in Container, over the account's blob index)."""

    def find_tagged_page(
        self, bucket: str, conditions: Sequence[TagCondition], token: str = ""
    ) -> TaggedPage:
        """One page of the keys of ``bucket`` whose tags meet every condition, in no
        promised order, after ``token`` (the previous page's ``next_token``). Raises
        ConfigError for a condition the provider cannot express, StorageError (code
        ``InvalidTagFilter``) where the server refuses the filter, NotSupported where the
        server (or account) has no tag index."""


def _lacking(storage: Storage, what: str) -> NotSupported:
    from cloudbrowser.core.errors import NotSupported

    return NotSupported(
        f"This kind of storage ({storage.settings.kind}) has no {what}.",
        hint="The connection's provider does not offer it.",
    )


# One accessor per capability: ``storage`` as that interface, or NotSupported saying what
# the provider lacks. (To ask without raising, ``isinstance(storage, Versions)``.)


def chunked_uploads_of(storage: Storage) -> ChunkedUploads:
    if isinstance(storage, ChunkedUploads):
        return storage
    raise _lacking(storage, "resumable uploads")


def server_copy_of(storage: Storage) -> ServerCopy:
    if isinstance(storage, ServerCopy):
        return storage
    raise _lacking(storage, "server-side copy")


def versions_of(storage: Storage) -> Versions:
    if isinstance(storage, Versions):
        return storage
    raise _lacking(storage, "versions")


def versioning_switch_of(storage: Storage) -> VersioningSwitch:
    if isinstance(storage, VersioningSwitch):
        return storage
    lacking = _lacking(storage, "versioning switch for a bucket")
    lacking.hint = storage.features.versioning_elsewhere or lacking.hint
    raise lacking


def soft_deletes_of(storage: Storage) -> SoftDeletes:
    if isinstance(storage, SoftDeletes):
        return storage
    raise _lacking(storage, "soft-deleted objects")


def share_links_of(storage: Storage) -> ShareLinks:
    if isinstance(storage, ShareLinks):
        return storage
    raise _lacking(storage, "share links")


def storage_classes_of(storage: Storage) -> StorageClasses:
    if isinstance(storage, StorageClasses):
        return storage
    raise _lacking(storage, "storage classes to choose")


def tag_search_of(storage: Storage) -> TagSearch:
    if isinstance(storage, TagSearch) and storage.features.tag_search:
        return storage
    raise _lacking(storage, "search by tags")


def properties_of(storage: Storage) -> ObjectProperties:
    if isinstance(storage, ObjectProperties):
        return storage
    raise _lacking(storage, "editable object properties")
