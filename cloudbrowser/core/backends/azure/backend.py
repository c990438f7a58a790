"""Azure Blob Storage behind the storage interface, through azure-storage-blob.

Containers are buckets, blobs are objects, and every blob written here is a **block
blob**. A chunked upload is a set of uncommitted blocks: the session is a random block-id
prefix chosen here (nothing is created on the server until the first block), a chunk is a
Put Block whose id is ``prefix + number + MD5`` (so Get Block List alone tells which chunk
holds which bytes after a restart) and the commit is one Put Block List. Uncommitted
blocks cannot be deleted: the service drops them after 7 days, or when the blob is
committed by anyone, so aborting an upload sends nothing.

Versions and blob soft delete are account settings: a blob's history is its versions
(``include=versions``) and what soft delete keeps (``include=deleted``), restored by a
copy back, Undelete Blob first for what is soft-deleted.

Every SDK exception is translated by ``errors.py``; nothing here blocks the GUI thread.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import (
    BlobBlock,
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    generate_blob_sas,
)

from cloudbrowser.core.backends.azure import addresses, fast, pending
from cloudbrowser.core.backends.azure.errors import (
    DELEGATION_KEY,
    Where,
    guard,
    translate_error,
)
from cloudbrowser.core.backends.azure.features import LIMITS, RANGE_MD5_MAX, features
from cloudbrowser.core.backends.azure.listing import (
    BlobVersion,
    SoftDeletedBlob,
    list_page_xml,
    md5_hex,
    parse_page,
    parse_soft_deleted,
    parse_versions,
)
from cloudbrowser.core.backends.azure.pending import CopyWatch
from cloudbrowser.core.backends.azure.retries import AccountRetry
from cloudbrowser.core.checksums import md5_of
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.details import (
    ObjectDetails,
    UnfinishedUpload,
    UploadedPart,
    Version,
    VersionPage,
)
from cloudbrowser.core.entries import Bucket, ListPage, ObjectInfo
from cloudbrowser.core.errors import (
    AccessDenied,
    Cancelled,
    CloudBrowserError,
    ConfigError,
    InvalidCredentials,
    KeyNotFound,
    NotSupported,
    NoVersioning,
    ObjectChanged,
    StorageError,
    refused_as_created,
)
from cloudbrowser.core.interrupt import elsewhere, stop_point
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.storage import (
    TAG_OPERATORS,
    Features,
    LinkGrant,
    MiB,
    ShareLink,
    StorageClassOffer,
    TagCondition,
    TaggedPage,
)

if TYPE_CHECKING:
    from azure.storage.blob import (
        BlobClient,
        BlobProperties,
        ContainerClient,
        StorageStreamDownloader,
    )

    from cloudbrowser.core.storage import (
        BatchDelete,
        ChunkedUploads,
        ObjectProperties,
        ServerCopy,
        ShareLinks,
        SoftDeletes,
        Storage,
        StorageClasses,
        TagSearch,
        Versions,
    )

#: Ways of signing in whose token comes from azure-identity (entra.py).
ENTRA_AUTHS = frozenset({"azure_cli", "entra_default", "entra_device", "entra_browser"})
#: The version id of the delete marker shown for a blob deleted under versioning (Azure
#: has no markers: the blob's versions have no current one).
DELETED = "deleted"
#: The version id of a soft-deleted blob itself (deleted without versioning: Azure gives
#: it no id), and the start of a soft-deleted snapshot's (then its snapshot time).
SOFT_DELETED_BLOB = "soft-deleted"
SNAPSHOT = "snapshot:"
#: The access tiers a block blob can be moved to (the storage classes of Azure).
TIERS = ("Hot", "Cool", "Cold", "Archive")
#: Rows the first page of a folder asks for (later pages: page_size, up to 5,000). On
#: Azurite with 50,000 blobs: ~0.1 s for 1,000 rows, 0.4-1.1 s for 5,000.
FIRST_PAGE_ROWS = 1000


#: What Set Blob Tier offers, and how a blob leaves the Archive tier (rehydration).
OFFER = StorageClassOffer(
    names=TIERS,
    archive=frozenset({"Archive"}),
    priorities=("Standard", "High"),
    restore_targets=("Hot", "Cool", "Cold"),
    restore_note=(
        "Rehydration from Archive takes up to 15 hours (Standard priority); High priority "
        "may finish within an hour for blobs under 10 GB, at a higher price. The blob stays "
        "in the Archive tier, unreadable, until it is done, then is in the tier chosen."
    ),
)
#: Bytes of one GET of a read: the engine's usual range in one request, small enough that
#: a read starts soon and an abort lands soon.
_READ_CHUNK = 8 * MiB
#: Bytes azure-core reads from a reply body at a time.
_BODY_BLOCK = 1024 * 1024
#: Hex digits of a session's block-id prefix, and of a chunk number (≤ 50,000 blocks).
_SESSION_DIGITS = 16
_NUMBER_DIGITS = 5
#: How long a copy's source link (a SAS signed here) lives: long enough for one request.
_SOURCE_LINK_SECONDS = 3600
#: How long a user delegation key is asked for (Entra ID; Azure allows up to 7 days): it
#: signs the copy sources and links of a day, each no longer than the key lives.
_DELEGATION_KEY_SECONDS = 24 * 3600
#: How far the service's clock may be from ours. A SAS and a user delegation key start
#: this long before our now: one starting at our now is refused while the service's
#: clock is behind it (Microsoft advises 15 minutes in the past). Azure refuses a key
#: ending more than 7 days after *its* now: a key ends at most 7 days after its start,
#: so a clock up to this much ahead of Azure's is not refused either (a 7-day
#: user-delegation link, which cannot outlive its key, ends that much short of 7 days).
_CLOCK_SKEW = timedelta(minutes=15)
#: The MD5 part of a copied block's id before its MD5 is known (not hex: never a chunk).
_PROVISIONAL = "-" * 32
#: What a blob index tag's name and value may hold (Azure: letters, digits, space and
#: ``+ - . / : = _``), 1-128 and 0-256 characters. Nothing else can be written into a
#: Find Blobs by Tags expression, whose names are in double and values in single quotes.
_TAG_TEXT = re.compile(r"[A-Za-z0-9 +\-./:=_]*")
_MAX_TAG_NAME, _MAX_TAG_VALUE = 128, 256


class AzureBackend:
    """One Azure storage account (or an emulator) behind the storage interface."""

    def __init__(
        self, settings: ConnectionSettings, credentials: Credentials | None, *, page_size: int
    ) -> None:
        self.settings = settings
        self.page_size = page_size
        self._credentials = credentials
        self._auth = "anonymous" if settings.anonymous else (settings.auth or "key")
        self._service = _service_client(settings, credentials, self._auth)
        self.account = self._service.account_name or settings.account
        self._features = features(settings)
        #: The SAS requests are signed with: the connection's token, or the one a
        #: connection string carries instead of a key ("" for none). It signs no link.
        self._sas = _signing_sas(credentials, self._auth)
        self._sas_expiry = _sas_expiry(self._sas)
        self._sas_fields = _sas_fields(self._sas)
        if self._sas:
            # A SAS cannot sign another: a link can only carry the connection's own, and
            # grants all it grants until it ends, whatever lifetime is asked for. One that
            # only reads is handed out so; one that grants more only when the caller
            # passes back what it grants (share_link(accepted=)), after the user saw it.
            grant = addresses.link_grant(
                self._sas, bucket=settings.default_bucket, prefix=settings.default_prefix
            )
            self._features = self._features._replace(share_links=grant.reads, link_grant=grant)
        #: The account's soft delete retention as last read (None: not read yet).
        self._retention: int | None = None
        #: The user delegation key links and copy sources are signed with (Entra ID),
        #: kept while it covers them: ``_delegation_key``.
        self._delegation: Any = None
        self._delegation_lock = threading.Lock()
        self._fast = fast.FastRequests.of(
            self._service,
            verify_tls=settings.verify_tls,
            pool_size=settings.max_pool_connections,
            timeouts=(settings.connect_timeout, settings.read_timeout),
        )

    @property
    def features(self) -> Features:
        return self._features

    def _where(self, bucket: str = "", key: str = "") -> Where:
        auth = "sas" if self._sas else self._auth  # a refusal is the SAS's, not a key's
        return Where(bucket, key, auth, self._sas_expiry, *self._sas_fields)

    def _container(self, bucket: str) -> ContainerClient:
        return self._service.get_container_client(bucket)

    def _blob(self, bucket: str, key: str) -> BlobClient:
        return self._service.get_blob_client(bucket, key)

    # ── containers ──────────────────────────────────────────────────────────────────────

    def list_buckets(self) -> list[Bucket]:
        """The account's containers; a connection opened at one container (a
        container-scoped SAS cannot list the account's) shows just that one, unasked."""
        if self.settings.default_bucket:
            return [Bucket(self.settings.default_bucket)]

        def containers() -> list[Bucket]:
            return [
                Bucket(c.name, created=_seconds(c.last_modified))
                for c in self._service.list_containers()
            ]

        return sorted(guard(containers, self._where()), key=lambda b: b.name)

    def create_bucket(self, bucket: str, region: str = "") -> None:
        del region  # a container lives where its account does
        guard(lambda: self._container(bucket).create_container(), self._where(bucket))

    def delete_bucket(self, bucket: str) -> None:
        """Delete an empty container. Azure deletes a container with all its blobs: the
        emptiness S3 checks is checked here first (StorageError ``BucketNotEmpty``)."""
        page = self._list(bucket, "", "", 1, delimited=False)
        if page.objects:
            raise StorageError(
                f"The container “{bucket}” is not empty.",
                hint="Delete its blobs first.",
                code="BucketNotEmpty",
            )
        guard(lambda: self._container(bucket).delete_container(), self._where(bucket))

    # ── listing ─────────────────────────────────────────────────────────────────────────

    def list_page(
        self,
        bucket: str,
        prefix: str = "",
        token: str = "",
        *,
        recursive: bool = False,
        ahead: bool = False,
    ) -> ListPage:
        # A folder's first page is what the window shows at once: Azurite (and the
        # service) take time in proportion to the rows asked for, so the first asks for
        # as many as an S3 page holds, the rest for full pages. A recursive listing is
        # read whole (a transfer's, a delete's): full pages from the start.
        first = not token and not recursive
        size = min(self.page_size, FIRST_PAGE_ROWS) if first else self.page_size
        page = self._list(bucket, prefix, token, size, delimited=not recursive)
        return _within(page, prefix)

    def _list(
        self, bucket: str, prefix: str, token: str, size: int, *, delimited: bool
    ) -> ListPage:
        container = self._container(bucket)
        tree = guard(
            lambda: list_page_xml(container, prefix, token, size, delimited=delimited),
            self._where(bucket),
        )
        return parse_page(tree)

    # ── objects ─────────────────────────────────────────────────────────────────────────

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> ObjectInfo:
        props = self._properties(bucket, key, version_id)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(props.size),
            modified=_seconds(props.last_modified),
            etag=_etag(props.etag),
            content_type=props.content_settings.content_type or "",
            storage_class=str(props.blob_tier or ""),
            version_id=props.version_id or "",
            metadata=dict(props.metadata or {}),
            md5=md5_hex(props.content_settings.content_md5),
        )

    def _properties(self, bucket: str, key: str, version_id: str = "") -> Any:
        blob = self._blob(bucket, key)
        return guard(
            lambda: blob.get_blob_properties(version_id=version_id or None),
            self._where(bucket, key),
        )

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
    ) -> AzureReader | fast.FastReader:
        where = self._where(bucket, key)
        ranged = bool(start) or end is not None
        # x-ms-range-get-content-md5: the service answers the MD5 of a range (at most
        # RANGE_MD5_MAX; it refuses a longer one), never of a read without a range.
        range_md5 = range_md5 and end is not None and end - start < RANGE_MD5_MAX
        # Inside core/interrupt.stoppable (a transfer's read): the fast GET runs right here
        # (a stop breaks off its wait), the SDK's (which cannot be broken off) on a runner.
        if self._fast is not None:
            # One GET for the whole range, streamed (fast.py); the SDK's when it must.
            with contextlib.suppress(fast.Fallback):
                return self._fast.get(
                    bucket,
                    key,
                    start=start,
                    end=end,
                    if_match=_quoted(if_match) if if_match else "",
                    version_id=version_id,
                    where=where,
                    range_md5=range_md5,
                )
        blob = self._blob(bucket, key)
        options: dict[str, Any] = {"max_concurrency": 1}
        # The range's MD5 is the Content-MD5 of the first (for a range of at most 4 MiB
        # the only) reply: the SDK keeps the blob's own in its properties.
        first_md5: list[str] = []
        if range_md5:
            options["headers"] = {"x-ms-range-get-content-md5": "true"}

            def keep_md5(response: Any) -> None:
                reply = response.http_response
                if not first_md5 and reply.status_code == 206:
                    first_md5.append(md5_hex(reply.headers.get("Content-MD5", "")))

            options["raw_response_hook"] = keep_md5
        if version_id:
            options["version_id"] = version_id
        if if_match:
            options["etag"] = _quoted(if_match)
            options["match_condition"] = MatchConditions.IfNotModified
        length = None if end is None else end - start + 1
        downloader = elsewhere(
            lambda: guard(lambda: blob.download_blob(offset=start, length=length, **options), where)
        )
        reader = AzureReader(downloader, where, ranged=ranged)
        reader.range_md5 = first_md5[0] if first_md5 else ""
        return reader

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
        """Put Blob; ``if_match`` is sent as If-Match (the service answers 412
        ConditionNotMet, or 404 where the blob is gone: ObjectChanged, KeyNotFound),
        ``create_only`` as If-None-Match: * (409 BlobAlreadyExists: CreatedMeanwhile)."""
        with refused_as_created(create_only, bucket, key):
            return self._put(bucket, key, body, content_md5, content_type, if_match, create_only)

    def _put(
        self,
        bucket: str,
        key: str,
        body: object,
        content_md5: str,
        content_type: str,
        if_match: str,
        create_only: bool,
    ) -> str:
        data = _bytes(body)
        # Inside core/interrupt.stoppable (a transfer's PUT, Features.stoppable_puts): the
        # fast PUT runs right here (a stop breaks off its wait), the SDK's on a runner.
        if self._fast is not None:
            with contextlib.suppress(fast.Fallback):
                return self._fast.put(
                    bucket,
                    key,
                    data,
                    content_md5=content_md5,
                    content_type=content_type,
                    if_match=_quoted(if_match) if if_match else "",
                    create_only=create_only,
                )
        blob = self._blob(bucket, key)
        headers = {"Content-MD5": content_md5} if content_md5 else {}
        reply = elsewhere(
            lambda: guard(
                lambda: blob.upload_blob(
                    data,
                    blob_type="BlockBlob",
                    length=len(data),
                    overwrite=True,
                    content_settings=ContentSettings(content_type=content_type or None),
                    headers=headers,
                    **_condition(if_match, create_only),
                ),
                self._where(bucket, key),
            )
        )
        return _etag(reply["etag"])

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete a blob (with its snapshots); one that is gone already is no error."""
        blob = self._blob(bucket, key)
        try:
            guard(lambda: blob.delete_blob(delete_snapshots="include"), self._where(bucket, key))
        except KeyNotFound:
            return

    # ── chunked uploads: uncommitted blocks ─────────────────────────────────────────────

    def begin_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """A new session: a random block-id prefix, and the content type the commit sets.
        Nothing is sent: the first Put Block starts the upload on the server (``if_match``
        and ``create_only`` go with the commit, Put Block List)."""
        del if_match, create_only
        prefix = secrets.token_hex(_SESSION_DIGITS // 2)
        return f"{prefix}|{content_type}" if content_type else prefix

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
        """Put Block; the chunk's token is its hex MD5 (checked by the server, which gets
        it as Content-MD5), also written into the block id."""
        data = _bytes(body)
        md5 = _hex_md5(content_md5) if content_md5 else md5_of(data).hexdigest()
        block_id = _block_id(_session_prefix(session), number, md5)
        blob = self._blob(bucket, key)
        guard(
            lambda: blob.stage_block(
                block_id,
                data,
                length=len(data),
                headers={"Content-MD5": _b64_md5(md5)},
            ),
            self._where(bucket, key),
        )
        return md5

    def list_chunks(self, bucket: str, key: str, session: str) -> list[UploadedPart]:
        """The session's staged blocks (Get Block List, uncommitted), by number. A blob
        with no blocks (none sent yet, or dropped after 7 days) lists none."""
        prefix = _session_prefix(session)
        blob = self._blob(bucket, key)
        try:
            _committed, uncommitted = guard(
                lambda: blob.get_block_list("uncommitted"), self._where(bucket, key)
            )
        except KeyNotFound:
            return []
        parts = [
            UploadedPart(number, md5, int(block.size))
            for block in uncommitted
            if (parsed := _parse_block_id(str(block.id), prefix)) is not None
            for number, md5 in [parsed]
        ]
        return sorted(parts, key=lambda p: p.number)

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
        """Put Block List of the chunks in number order; the session's content type is
        set on the blob, and ``content_md5`` (the whole file's, base64) as its Content-MD5
        (``x-ms-blob-content-md5``): the service computes none for a blob of blocks, and
        a download is verified by it. ``if_match`` is sent as If-Match, ``create_only`` as
        If-None-Match: *."""
        prefix = _session_prefix(session)
        content_type = session.partition("|")[2]
        blocks = [BlobBlock(_block_id(prefix, n, token.lower())) for n, token in sorted(chunks)]
        blob = self._blob(bucket, key)
        settings = ContentSettings(
            content_type=content_type or None,
            content_md5=bytearray(base64.b64decode(content_md5)) if content_md5 else None,
        )
        with refused_as_created(create_only, bucket, key):
            reply = guard(
                lambda: blob.commit_block_list(
                    blocks, content_settings=settings, **_condition(if_match, create_only)
                ),
                self._where(bucket, key),
            )
        return _etag(reply["etag"])

    def abort_upload(self, bucket: str, key: str, session: str) -> None:
        """Nothing to send: Azure has no call that deletes uncommitted blocks. They are
        dropped by the service 7 days after the last one, or when the blob is committed."""
        del bucket, key, session

    def list_unfinished_uploads(self, bucket: str, prefix: str = "") -> list[UnfinishedUpload]:
        """Uploads of blobs that exist only as uncommitted blocks (List Blobs with
        ``uncommittedblobs``, then Get Block List of each), one per session prefix.

        Azure cannot list the staged blocks of a blob that is committed already (an
        overwrite in progress), nor a session that has sent no block yet."""
        container = self._container(bucket)

        def candidates() -> list[str]:
            return [
                b.name
                for b in container.list_blobs(
                    name_starts_with=prefix or None, include=["uncommittedblobs"]
                )
                if not b.etag or b.size == 0
            ]

        found: list[UnfinishedUpload] = []
        for name in guard(candidates, self._where(bucket)):
            try:
                committed, uncommitted = self._block_lists(bucket, name)
            except KeyNotFound:
                continue
            if committed:
                continue
            ids = [str(b.id) for b in uncommitted]
            sessions = {i[:_SESSION_DIGITS] for i in ids if _parse_block_id(i, i[:_SESSION_DIGITS])}
            found.extend(UnfinishedUpload(bucket, name, s) for s in sorted(sessions))
        return found

    def _block_lists(self, bucket: str, key: str) -> tuple[list[Any], list[Any]]:
        blob = self._blob(bucket, key)
        committed, uncommitted = guard(lambda: blob.get_block_list("all"), self._where(bucket, key))
        return list(committed), list(uncommitted)

    # ── server-side copy ────────────────────────────────────────────────────────────────

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        """Copy Blob within the account (content type and metadata come along); the
        service answers at once for most copies in one account, else the copy is pending
        and its status is polled (:meth:`_await_copy`): inside ``core/interrupt.stoppable``
        a stop aborts it between polls. ``create_only`` is the destination's
        If-None-Match: * (409 BlobAlreadyExists, or 412, where the name is taken)."""
        source = self._source_url(src_bucket, src_key)
        target = self._blob(bucket, key)
        where = self._where(bucket, key)
        with refused_as_created(create_only, bucket, key):
            reply = guard(
                lambda: target.start_copy_from_url(source, **_condition("", create_only)),
                where,
            )
        status = str(reply.get("copy_status") or "")
        if status == "pending":
            status = self._await_copy(target, reply, where, create_only=create_only)
        if status not in ("success", ""):
            raise StorageError(
                f"The server-side copy to “{key}” ended as “{status}”.",
                hint="Retry the copy.",
                code="CopyFailed",
            )
        return _etag(guard(lambda: target.get_blob_properties(), where).etag)

    def _await_copy(
        self, target: BlobClient, reply: Mapping[str, Any], where: Where, *, create_only: bool
    ) -> str:
        """The status a pending copy ends with, polled at growing intervals. A stop
        (``core/interrupt.stop_point``) or a copy that gets no further for
        ``pending.STALLED_SECONDS`` aborts it (:meth:`_abort_copy`)."""
        watch = CopyWatch(where.thing)
        wait = pending.FIRST_POLL
        while True:
            try:
                stop_point(wait)
            except Cancelled:
                return self._abort_copy(target, reply, where, create_only=create_only)
            props = guard(lambda: target.get_blob_properties(), where)
            status = str(props.copy.status or "")
            if status != "pending":
                return status
            if not watch.moved(str(props.copy.progress or "")):
                return self._abort_copy(
                    target, reply, where, create_only=create_only, stalled=watch
                )
            wait = pending.next_poll(wait)

    def _abort_copy(
        self,
        target: BlobClient,
        reply: Mapping[str, Any],
        where: Where,
        *,
        create_only: bool,
        stalled: CopyWatch | None = None,
    ) -> str:
        """Abort Copy Blob of the pending copy ``reply`` began; returns "success" where
        it completed meanwhile (Azure answers that no copy is pending: then it is done,
        and a move deletes its source). Azure leaves an empty blob where it aborts a
        copy: removed where the copy created it (:meth:`_remove_aborted`). Raises
        Cancelled (a stop), StorageError (``stalled``: given up; an overwritten blob,
        whose old content is gone; an abort refused: the copy may still complete)."""
        thing = where.thing
        try:
            guard(lambda: target.abort_copy(str(reply.get("copy_id") or "")), where)
        except StorageError as error:
            if error.code != "NoPendingCopyOperation":
                raise StorageError(
                    f"The copy to {thing} could not be stopped: the server may still complete it.",
                    hint="Look at the copy later; delete it if it is not wanted.",
                    detail=error.message,
                    code=error.code,
                ) from error
            return str(guard(lambda: target.get_blob_properties(), where).copy.status or "")
        left = self._remove_aborted(target, reply, where, create_only=create_only)
        if stalled is not None:
            raise StorageError(
                f"The server did not finish copying to {thing}: the copy got no further "
                f"for {pending.duration(stalled.stalled_for)}, and was aborted.{left}",
                hint="Try again later; if it stays so, tell whoever runs the storage account.",
                detail=f"{stalled.polls} polls; the last progress said “{stalled.last}”",
                code="CopyStopped",
            )
        if left:
            raise StorageError(f"The copy to {thing} was stopped.{left}", code="CopyAborted")
        raise Cancelled(f"The copy to {thing} was stopped.")

    def _remove_aborted(
        self, target: BlobClient, reply: Mapping[str, Any], where: Where, *, create_only: bool
    ) -> str:
        """Delete the empty blob an aborted copy leaves, where the copy created it: a
        create-only copy did, else where the blob's creation time is the copy's own
        (Azure keeps a blob's creation time when it is overwritten). Returns what is
        left to say ("" where nothing): an overwritten blob's old content is gone."""
        thing = where.thing
        try:
            props = guard(lambda: target.get_blob_properties(), where)
        except KeyNotFound:
            return ""
        began = reply.get("last_modified")
        # The SDK types it as always there; a server that does not send it gives None.
        created: datetime | None = props.creation_time
        if not create_only and (created is None or began is None or created < began):
            # Written over, or it cannot be told: left, as the user may have versions of it.
            return (
                f" It had already replaced the blob there, whose old content is gone: Azure "
                f"leaves {thing} empty."
                if created is not None and began is not None
                else f" Azure leaves {thing} empty; it may have replaced a blob there."
            )
        try:
            guard(
                lambda: target.delete_blob(
                    etag=_quoted(_etag(props.etag)),
                    match_condition=MatchConditions.IfNotModified,
                ),
                where,
            )
        except KeyNotFound:
            return ""
        except CloudBrowserError as error:
            # Written meanwhile (412), or not ours to delete: said, never hidden.
            return f" The empty blob Azure leaves at {thing} could not be removed: {error.message}"
        return ""

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
        """Put Block From URL: bytes ``first``..``last`` of the source as a block. Its
        token is the MD5 the service reports for the block."""
        source = self._source_url(src_bucket, src_key)
        length = last - first + 1
        target = self._blob(bucket, key)
        options: dict[str, Any] = {}
        if if_match:
            # The SDK's stage_block_from_url takes no source conditions; the service does.
            options["headers"] = {"x-ms-source-if-match": _quoted(if_match)}
        # The block's MD5 is not known before the service has read it: the block is
        # staged under a provisional id, which reports its MD5, then again under the id
        # naming that MD5 (two copies on the service; no byte passes through here). The
        # provisional block is dropped by the commit, which does not name it.
        prefix = _session_prefix(session)
        where = self._where(bucket, key)

        def stage(block_id: str) -> dict[str, Any]:
            reply: dict[str, Any] = target.stage_block_from_url(
                block_id, source, source_offset=first, source_length=length, **options
            )
            return reply

        reply = guard(lambda: stage(f"{prefix}{number:0{_NUMBER_DIGITS}d}{_PROVISIONAL}"), where)
        digest = reply.get("content_md5")
        if not digest:
            raise StorageError(
                "The server did not report the MD5 of a copied block.",
                hint="Copy through this computer instead.",
                code="NotImplemented",
            )
        md5 = bytes(digest).hex()
        guard(lambda: stage(_block_id(prefix, number, md5)), where)
        return md5

    def _source_url(self, bucket: str, key: str) -> str:
        """A URL the service may read the source blob from: signed with a short SAS
        where the connection can sign one, with the connection's own SAS, or plain."""
        blob = self._blob(bucket, key)
        url = blob.url.split("?", 1)[0]
        if self._sas:
            return f"{url}?{self._sas}"
        if self._auth in ("anonymous",):
            return url
        return f"{url}?{self._read_sas(bucket, key, _SOURCE_LINK_SECONDS)}"

    def _read_sas(self, bucket: str, key: str, seconds: int) -> str:
        """A read-only SAS for one blob: a service SAS signed with the account key, or a
        user-delegation SAS under Entra ID."""
        now = datetime.now(UTC)
        expiry = now + timedelta(seconds=seconds)
        start = now - _CLOCK_SKEW  # the service's clock may run behind ours
        account_key = self._account_key()
        if account_key:
            return generate_blob_sas(
                self.account,
                bucket,
                key,
                account_key=account_key,
                permission=BlobSasPermissions(read=True),
                expiry=expiry,
                start=start,
            )
        if self._auth in ENTRA_AUTHS:
            delegation = self._delegation_key(now, start, expiry)
            return generate_blob_sas(
                self.account,
                bucket,
                key,
                user_delegation_key=delegation,
                permission=BlobSasPermissions(read=True),
                # Never after its key (Azure would refuse it from then on).
                expiry=min(expiry, _utc(delegation.signed_expiry)),
                start=start,
            )
        raise NotSupported(
            "This connection cannot sign a link: it has no account key and no Entra ID sign-in.",
            hint="Connect with the account key or Entra ID to share links.",
            code="NotImplemented",
        )

    def _delegation_key(self, now: datetime, start: datetime, expiry: datetime) -> Any:
        """A user delegation key valid from ``start`` until ``expiry`` at least (or the
        longest a key may last, from ``start``), for a SAS that must not outlive it: the
        last one while it covers that, else a new one (Get User Delegation Key), asked
        for a day or until ``expiry`` where that is later, at most the 7 days Azure allows
        counted from ``start`` (:data:`_CLOCK_SKEW`). One key signs the sources of a
        folder's copies, not one request more per blob."""
        longest = start + timedelta(seconds=LIMITS.max_link_seconds)
        wanted = min(expiry, longest).replace(microsecond=0)
        with self._delegation_lock:
            key = self._delegation
            if key is None or _utc(key.signed_start) > start or _utc(key.signed_expiry) < wanted:
                until = max(expiry, now + timedelta(seconds=_DELEGATION_KEY_SECONDS))
                until = min(until, longest)
                where = replace(self._where(), request=DELEGATION_KEY)
                key = guard(lambda: self._service.get_user_delegation_key(start, until), where)
                self._delegation = key
            return key

    def _account_key(self) -> str:
        credential = getattr(self._service, "credential", None)
        return str(getattr(credential, "account_key", "") or "")

    # ── batch delete ────────────────────────────────────────────────────────────────────

    def delete_objects(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to 256 blobs in one Blob Batch request; a blob that is gone counts
        as deleted. Where the server has no Blob Batch, one request per blob."""
        if len(keys) > LIMITS.max_delete_batch:
            raise ValueError(f"at most {LIMITS.max_delete_batch} keys per batch")
        if not keys:
            return []
        container = self._container(bucket)
        try:
            replies = guard(
                lambda: list(
                    container.delete_blobs(
                        *keys, delete_snapshots="include", raise_on_any_failure=False
                    )
                ),
                self._where(bucket),
            )
        except NotSupported:
            return self._delete_one_by_one(bucket, keys)
        except StorageError as error:
            if error.code not in ("InvalidQueryParameterValue", "InvalidUri", "400"):
                raise
            return self._delete_one_by_one(bucket, keys)
        refused: list[tuple[str, CloudBrowserError]] = []
        for key, reply in zip(keys, replies, strict=True):
            if reply.status_code < 300 or reply.status_code == 404:
                continue
            # translate_error reads the code from the reply's x-ms-error-code header.
            failure = HttpResponseError(response=reply)
            refused.append((key, translate_error(failure, self._where(bucket, key))))
        return refused

    def _delete_one_by_one(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        refused: list[tuple[str, CloudBrowserError]] = []
        for key in keys:
            try:
                self.delete_object(bucket, key)
            except CloudBrowserError as error:
                refused.append((key, error))
        return refused

    # ── properties, tags, tiers ─────────────────────────────────────────────────────────

    def object_details(self, bucket: str, key: str) -> ObjectDetails:
        props = self._properties(bucket, key)
        content = props.content_settings
        return ObjectDetails(
            bucket=bucket,
            key=key,
            size=int(props.size),
            modified=_seconds(props.last_modified),
            etag=_etag(props.etag),
            content_type=content.content_type or "",
            cache_control=content.cache_control or "",
            content_disposition=content.content_disposition or "",
            content_encoding=content.content_encoding or "",
            content_language=content.content_language or "",
            storage_class=str(props.blob_tier or ""),
            version_id=props.version_id or "",
            server_side_encryption=_encryption(props),
            restore=str(props.archive_status or ""),
            tag_count=int(props.tag_count or 0),
            metadata=dict(props.metadata or {}),
        )

    def replace_metadata(self, target: ObjectDetails) -> str:
        """Set the content headers, then the metadata, each only if the blob is still the
        revision ``target`` describes (If-Match), then the access tier if ``target`` names
        another one (Hot, Cool, Cold, Archive); tags stay as they are."""
        blob = self._blob(target.bucket, target.key)
        where = self._where(target.bucket, target.key)
        current = self._unchanged(target)
        md5 = current.content_settings.content_md5
        headers = ContentSettings(
            content_type=target.content_type or None,
            cache_control=target.cache_control or None,
            content_disposition=target.content_disposition or None,
            content_encoding=target.content_encoding or None,
            content_language=target.content_language or None,
            # Set Blob Properties clears what it is not given: the MD5 is given back.
            content_md5=bytearray(md5) if md5 else None,
        )
        reply = guard(
            lambda: blob.set_http_headers(
                headers, etag=_quoted(target.etag), match_condition=MatchConditions.IfNotModified
            ),
            where,
        )
        reply = guard(
            lambda: blob.set_blob_metadata(
                dict(target.metadata),
                etag=reply["etag"],
                match_condition=MatchConditions.IfNotModified,
            ),
            where,
        )
        tier = target.storage_class
        if tier in TIERS and tier != str(current.blob_tier or ""):
            self.set_tier(target.bucket, target.key, tier)
        return _etag(reply["etag"])

    def _unchanged(self, target: ObjectDetails) -> Any:
        """The blob's properties now, if it is still the revision ``target`` describes."""
        props = self._properties(target.bucket, target.key)
        if _etag(props.etag) != target.etag:
            raise ObjectChanged(
                f"“{target.key}” changed while its properties were being edited.",
                hint="Open its properties again.",
                code="ConditionNotMet",
            )
        return props

    def get_tags(self, bucket: str, key: str) -> dict[str, str]:
        blob = self._blob(bucket, key)
        return dict(guard(lambda: blob.get_blob_tags(), self._where(bucket, key)))

    def put_tags(self, bucket: str, key: str, tags: Mapping[str, str]) -> None:
        """Set Blob Tags. Raises ConfigError, before any request, for a name or value
        Azure's tags cannot hold (it answers 400 with a code that does not say which)."""
        for name, value in tags.items():
            _check_tag_text(name, _MAX_TAG_NAME, name=True)
            _check_tag_text(value, _MAX_TAG_VALUE, name=False)
        blob = self._blob(bucket, key)
        guard(lambda: blob.set_blob_tags(dict(tags)), self._where(bucket, key))

    def find_tagged_page(
        self, bucket: str, conditions: Sequence[TagCondition], token: str = ""
    ) -> TaggedPage:
        """Find Blobs by Tags in Container: one page of the blobs whose index tags meet
        every condition (the blob index is updated shortly after a blob's tags change).

        Raises ConfigError for a name or value Azure's tags cannot hold, StorageError
        (code ``InvalidTagFilter``) for an expression the service refuses, NotSupported
        where the account (Data Lake Storage, with a hierarchical namespace) or the
        emulator has no blob index.
        """
        where_expression = _tag_expression(conditions)
        container = self._container(bucket)
        where = self._where(bucket)

        def one_page() -> TaggedPage:
            # by_page gives a page iterator, whose continuation_token is the next page's
            # (typed as a plain Iterator by the SDK).
            pages: Any = container.find_blobs_by_tags(
                where_expression, results_per_page=self.page_size
            ).by_page(continuation_token=token or None)
            keys = [
                str(item.name)
                for item in next(pages, [])
                if not item.container_name or item.container_name == bucket
            ]
            return TaggedPage(keys, str(pages.continuation_token or ""))

        try:
            return guard(one_page, where)
        except StorageError as error:
            raise _tag_search_error(error, conditions) from error

    def set_tier(self, bucket: str, key: str, tier: str, *, priority: str = "") -> None:
        """Move a blob to Hot, Cool, Cold or Archive; from Archive it is rehydrated with
        ``priority`` ("Standard" or "High")."""
        blob = self._blob(bucket, key)
        guard(
            lambda: blob.set_standard_blob_tier(tier, rehydrate_priority=priority or None),  # type: ignore[arg-type]
            self._where(bucket, key),
        )

    def storage_class_offer(self) -> StorageClassOffer:
        return OFFER

    def set_storage_class(self, bucket: str, key: str, storage_class: str) -> None:
        """Set Blob Tier (from Archive this starts a rehydration at Standard priority)."""
        if storage_class not in TIERS:
            raise ConfigError(
                f"“{storage_class}” is not an access tier.",
                hint="Choose one of: " + ", ".join(TIERS) + ".",
            )
        self.set_tier(bucket, key, storage_class)

    def restore_archived(
        self, bucket: str, key: str, *, days: int = 0, priority: str = "", target: str = ""
    ) -> bool:
        """Rehydrate an Archive blob to ``target`` (Hot by default) at ``priority``
        (Standard or High); one Get Blob Properties first, so that a blob in another tier
        is never moved (``days`` is S3's: a rehydrated blob stays in its new tier)."""
        if priority and priority not in OFFER.priorities:
            raise ConfigError(
                f"“{priority}” is not a rehydration priority.",
                hint="Choose Standard or High.",
            )
        if target and target not in OFFER.restore_targets:
            raise ConfigError(
                f"A blob can be rehydrated to Hot, Cool or Cold, not “{target}”.",
                hint="Choose one of those tiers.",
            )
        props = self._properties(bucket, key)
        if str(props.blob_tier or "") != "Archive":
            return False
        if str(props.archive_status or "").startswith("rehydrate-pending-to-"):
            return True  # already under way (a second Set Blob Tier is refused)
        tier = target or OFFER.restore_targets[0]
        self.set_tier(bucket, key, tier, priority=priority or OFFER.priorities[0])
        return True

    # ── share links ─────────────────────────────────────────────────────────────────────

    def share_link(
        self, bucket: str, key: str, expires_in: int, *, accepted: LinkGrant | None = None
    ) -> ShareLink:
        """A read-only SAS URL for one blob, valid ``expires_in`` seconds (1 h … 7 days):
        a service SAS signed with the account key, or a user-delegation SAS (Entra ID),
        which ends with its key where that is sooner (a 7-day link: 15 minutes short, as
        the key starts back for clock skew). Its end is what its ``se`` says.

        A connection made with a SAS has nothing to sign with: the link is the blob's URL
        with that SAS, valid as long as it is, granting all it grants
        (``features.link_grant``). A SAS that only reads is handed out so; one that grants
        more only when ``accepted`` is that grant (the user was shown it), else
        NotSupported, as for a SAS that does not even read."""
        if not 1 <= expires_in <= LIMITS.max_link_seconds:
            raise ConfigError(
                "A share link may last at most 7 days.", hint="Choose a shorter lifetime."
            )
        url = self._blob(bucket, key).url.split("?", 1)[0]
        grant = self._features.link_grant
        if grant is None:
            signed = self._read_sas(bucket, key, expires_in)
            return ShareLink(f"{url}?{signed}", _sas_expiry(signed))
        if not grant.reads:
            raise NotSupported(
                f"This connection's SAS does not grant reading ({grant.spelled}), and a SAS "
                "cannot sign another: no link can carry it.",
                hint="Connect with the account key or Entra ID to share links, or with a "
                "SAS that grants reading.",
                code="NotImplemented",
            )
        if not grant.read_only and accepted != grant:
            raise NotSupported(
                f"This connection's SAS grants more than reading ({grant.spelled}), and a "
                "SAS cannot sign another: a link would hand out all it grants.",
                hint="Connect with the account key or Entra ID to share links, or with a "
                "read-only SAS, which links can carry; or share this SAS knowingly, as it "
                "is, where you are asked to.",
                code="NotImplemented",
            )
        return ShareLink(f"{url}?{self._sas}", self._sas_expiry)

    # ── versions ────────────────────────────────────────────────────────────────────────
    #
    # Azure keeps versions per account (blob versioning, in the portal's Data protection):
    # each write makes the previous content a version; a delete leaves the versions with no
    # current one. Azure has no delete markers: a key whose versions have no current one is
    # shown as deleted by a marker made here (its id :data:`DELETED`), and "deleting" that
    # marker (the engine's undelete) copies the newest version back over the blob.

    def bucket_versioning(self, bucket: str) -> str:
        """ "Enabled" when the container's blobs carry version ids (the account keeps
        versions); "" for an account, or an emulator, that keeps none."""
        page = self.list_versions_page(bucket, limit=50, strict=False)
        return "Enabled" if page.versions or page.markers else ""

    def list_versions_page(
        self,
        bucket: str,
        prefix: str = "",
        key_marker: str = "",
        version_marker: str = "",
        *,
        delimited: bool = False,
        limit: int = 0,
        strict: bool = True,
    ) -> VersionPage:
        """One List Blobs page with ``include=versions``; ``key_marker`` is its
        continuation (Azure's marker is opaque: ``version_marker`` stays "").

        Raises NoVersioning when the listed blobs carry no version ids (``strict``)."""
        del version_marker
        container = self._container(bucket)
        size = min(limit or LIMITS.max_page, LIMITS.max_page)
        tree = guard(
            lambda: list_page_xml(
                container, prefix, key_marker, size, delimited=delimited, include=["versions"]
            ),
            self._where(bucket),
        )
        rows, prefixes, next_marker = parse_versions(tree)
        if rows and not any(r.version_id for r in rows):
            if not strict:
                return VersionPage()
            if not self._keeps_deleted(bucket):
                raise _no_versions()
            # No versioning but soft delete: each blob has only its current version (no
            # id), which the walks show above what soft delete keeps of it.
            rows = [r._replace(current=True) for r in rows]
        return _version_page(rows, prefixes, next_marker)

    def restore_version(self, bucket: str, key: str, version_id: str) -> str:
        """Make ``version_id`` the current content again: Copy Blob from that version."""
        return self._copy_back(bucket, key, "versionid", version_id)

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one version; for the marker of a deleted blob (:data:`DELETED`), bring
        its newest version back instead (what removing an S3 delete marker does)."""
        if version_id == DELETED:
            rows = [v for v in walks_of(self, bucket, key) if v.key == key and not v.delete_marker]
            if not rows:
                raise KeyNotFound(f"“{key}” has no version to bring back.", code="BlobNotFound")
            newest = max(rows, key=lambda v: (v.modified, v.version_id))
            self.restore_version(bucket, key, newest.version_id)
            return
        blob = self._blob(bucket, key)
        try:
            guard(lambda: blob.delete_blob(version_id=version_id), self._where(bucket, key))
        except KeyNotFound:
            return

    def delete_versions(
        self, bucket: str, versions: Sequence[tuple[str, str]]
    ) -> list[tuple[str, CloudBrowserError]]:
        refused: list[tuple[str, CloudBrowserError]] = []
        for key, version_id in versions:
            try:
                self.delete_version(bucket, key, version_id)
            except CloudBrowserError as error:
                refused.append((key, error))
        return refused

    # ── soft-deleted blobs ──────────────────────────────────────────────────────────────
    # Blob soft delete is an account setting (Blob service properties). Without versioning
    # a deleted blob, and the snapshot Azure takes of an overwritten one, are kept as
    # soft-deleted; with versioning a deleted blob's versions stay as versions (the walks
    # show a marker on top) and a deleted version is kept as soft-deleted. Undelete Blob
    # restores every soft-deleted snapshot and version of a blob at once (Azure cannot
    # restore just one); a version or snapshot is made current by copying it back.

    def soft_delete_retention(self, bucket: str) -> int:
        """The account's ``DeleteRetentionPolicy`` in seconds (Get Blob Service
        Properties); 0 where soft delete is off. Raises AccessDenied where the connection
        may not read the service's properties (a container or directory SAS, an account
        SAS without the service resource type, an Entra role without it): the engine then
        lists versions without what soft delete keeps. Anonymous access reads none: 0."""
        if self._auth == "anonymous":
            return 0
        where = self._where(bucket)
        try:
            props = guard(lambda: self._service.get_service_properties(), where)
        except InvalidCredentials as error:
            if not self._sas:
                raise
            # A SAS scoped to a container or directory signs no account-level request:
            # Azure answers AuthenticationFailed, which here is no bad secret.
            raise AccessDenied(
                "The SAS cannot read the storage account's soft delete setting.",
                hint="Soft-deleted blobs are listed with an account SAS that includes the "
                "service resource type (srt=s), or with the account key.",
                detail=error.detail,
                code=error.code,
            ) from error
        policy = props.get("delete_retention_policy")
        days = int(getattr(policy, "days", 0) or 0) if getattr(policy, "enabled", False) else 0
        self._retention = days * 86400
        return self._retention

    def _keeps_deleted(self, bucket: str) -> bool:
        """Whether the account keeps soft-deleted blobs, as last read (read now if never)."""
        if self._retention is None:
            try:
                self.soft_delete_retention(bucket)
            except AccessDenied:
                self._retention = 0
        return bool(self._retention)

    def list_soft_deleted_page(
        self, bucket: str, prefix: str = "", token: str = "", *, delimited: bool = False
    ) -> VersionPage:
        """One List Blobs page with ``include=deleted,versions`` (and ``snapshots`` in a
        flat listing), only its soft-deleted rows; ``token`` is Azure's marker.

        Azure lists snapshots in flat listings only ("Listing snapshots is only supported
        in flat mode"), yet one blob's history (a ``prefix`` that is no folder) must show
        the snapshots soft delete took of it when it was overwritten: that listing is
        flat, its rows deeper than ``prefix`` rolled into folders here. A folder's listing
        stays delimited, without snapshots (a deleted blob is listed by its own row).
        ``deletedwithversions`` is not asked for: a blob deleted under versioning is
        listed by the versions listing already (its versions with no current one)."""
        flat = not delimited or bool(prefix and not prefix.endswith(DELIMITER))
        include = ["deleted", "versions"] + (["snapshots"] if flat else [])
        container = self._container(bucket)
        tree = guard(
            lambda: list_page_xml(
                container, prefix, token, LIMITS.max_page, delimited=not flat, include=include
            ),
            self._where(bucket),
        )
        rows, prefixes, next_marker = parse_soft_deleted(tree)
        if delimited and flat:
            for row in rows:
                rest = row.entry.key[len(prefix) :]
                if DELIMITER in rest:
                    folder = prefix + rest[: rest.index(DELIMITER) + 1]
                    if folder not in prefixes:
                        prefixes.append(folder)
            rows = [r for r in rows if DELIMITER not in r.entry.key[len(prefix) :]]
        return VersionPage(
            versions=[_soft_version(r, time.time()) for r in rows],
            prefixes=prefixes,
            next_key_marker=next_marker,
        )

    def restore_soft_deleted(self, bucket: str, key: str, version_id: str) -> str:
        """Undelete Blob, then for a version or snapshot a copy of it over the blob (what
        Azure documents: Undelete Blob restores the blob with all its soft-deleted
        snapshots and versions, and never makes one current). So restoring one brings
        the key's other soft-deleted versions back too, as old versions or snapshots.
        Returns the blob's new ETag. Raises KeyNotFound (nothing soft-deleted to restore,
        or no such version)."""
        where = self._where(bucket, key)
        blob = self._blob(bucket, key)
        guard(lambda: blob.undelete_blob(), where)
        if version_id.startswith(SNAPSHOT):
            return self._copy_back(bucket, key, "snapshot", version_id[len(SNAPSHOT) :])
        if version_id and version_id != SOFT_DELETED_BLOB:
            return self._copy_back(bucket, key, "versionid", version_id)
        return _etag(guard(lambda: blob.get_blob_properties(), where).etag)

    def _copy_back(self, bucket: str, key: str, parameter: str, value: str) -> str:
        """Copy Blob (synchronous) from one version or snapshot of the blob onto it;
        returns the blob's new ETag."""
        target = self._blob(bucket, key)
        url = self._source_url(bucket, key)
        source = f"{url}{'&' if '?' in url else '?'}{parameter}={quote(value)}"
        where = self._where(bucket, key)
        guard(lambda: target.start_copy_from_url(source, requires_sync=True), where)
        return _etag(guard(lambda: target.get_blob_properties(), where).etag)


class AzureReader:
    """The body of a download, in chunks of at most 8 MiB (one GET each, the first
    already made; the engine's usual range is one GET), every GET pinned to the first
    reply's ETag by the SDK."""

    def __init__(
        self, downloader: StorageStreamDownloader[bytes], where: Where, *, ranged: bool
    ) -> None:
        self._downloader = downloader
        self._where = where
        props = downloader.properties
        self.size = int(downloader.size)
        self.etag = _etag(props.etag)
        self.modified = _seconds(props.last_modified)
        self.content_type = props.content_settings.content_type or ""
        self.content_range = _content_range(props.content_range) if ranged else None
        # The whole blob's MD5, also on a ranged read (the SDK puts x-ms-blob-content-md5
        # there); Azure keeps no CRC of a blob.
        self.md5 = md5_hex(props.content_settings.content_md5)
        self.crc32c = ""
        #: The range's MD5 where get_object asked for it (set there).
        self.range_md5 = ""
        self._chunks: Iterator[bytes] = iter(downloader.chunks())
        self._buffer = b""
        self._offset = 0
        self._aborted = threading.Event()

    def read(self, amount: int) -> bytes:
        """Up to ``amount`` bytes (all the rest for a negative one); b"" at the end. The
        current GET's bytes are handed out by offset, never copied as a whole again."""
        if self._aborted.is_set():
            raise Cancelled("Reading was stopped.")
        if amount < 0:
            rest = [self._buffer[self._offset :], *self._all()]
            self._buffer, self._offset = b"", 0
            return b"".join(rest)
        if self._offset >= len(self._buffer):
            self._buffer, self._offset = self._next(), 0
        data = self._buffer[self._offset : self._offset + amount]
        self._offset += len(data)
        return data

    def _all(self) -> Iterator[bytes]:
        while chunk := self._next():
            yield chunk

    def _next(self) -> bytes:
        try:
            chunk = guard(lambda: next(self._chunks, b""), self._where)
        except StorageError:
            if self._aborted.is_set():
                raise Cancelled("Reading was stopped.") from None
            raise
        if self._aborted.is_set():
            raise Cancelled("Reading was stopped.")
        return chunk

    def abort(self) -> None:
        """Stop: the read in progress ends with its current GET (at most 8 MiB)."""
        self._aborted.set()

    def close(self) -> None:
        self._chunks = iter(())

    def __enter__(self) -> AzureReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# ── helpers ─────────────────────────────────────────────────────────────────────────────


def _service_client(
    settings: ConnectionSettings, credentials: Credentials | None, auth: str
) -> BlobServiceClient:
    import requests

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=settings.max_pool_connections,
        pool_maxsize=settings.max_pool_connections,
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    transport = RequestsTransport(
        session=session,
        session_owner=True,
        connection_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        connection_verify=settings.verify_tls,
        # azure-core reads a body 4 KiB at a time by default: 2,000 Python iterations per
        # 8 MiB range, which halved download speed (tests/bench azure suite).
        connection_data_block_size=_BODY_BLOCK,
    )
    options: dict[str, Any] = {
        "transport": transport,
        # Short waits for an account that cannot be reached, longer ones (Retry-After)
        # for one that says it is busy: retries.py.
        "retry_policy": AccountRetry(settings.max_attempts),
        "max_single_put_size": LIMITS.max_single_put,
        "max_single_get_size": _READ_CHUNK,
        "max_chunk_get_size": _READ_CHUNK,
    }
    if auth == "connection_string":
        if credentials is None:
            raise _missing_secret("connection string")
        return BlobServiceClient.from_connection_string(credentials.secret_access_key, **options)
    url = _account_url(settings, credentials)
    credential: Any
    if auth == "anonymous":
        credential = None
    elif auth in ENTRA_AUTHS:
        from cloudbrowser.core.backends.azure.entra import credential as entra_credential

        credential = entra_credential(settings)
    elif auth == "sas":
        if credentials is None:
            raise _missing_secret("SAS token")
        from azure.core.credentials import AzureSasCredential

        credential = AzureSasCredential(credentials.secret_access_key.lstrip("?"))
    elif auth == "key":
        if credentials is None:
            raise _missing_secret("account key")
        from azure.core.credentials import AzureNamedKeyCredential

        account = credentials.access_key_id or settings.account
        credential = AzureNamedKeyCredential(account, credentials.secret_access_key)
    else:
        raise ConfigError(
            f"This version of cloudbrowser cannot sign Azure requests with “{auth}”.",
            hint="Edit the connection and choose another way to sign in.",
        )
    return BlobServiceClient(url, credential=credential, **options)


def _account_url(settings: ConnectionSettings, credentials: Credentials | None) -> str:
    if settings.endpoint_url:
        return settings.endpoint_url.rstrip("/")
    account = settings.account
    if not account and credentials is not None and settings.auth in ("", "key"):
        account = credentials.access_key_id
    if not account:
        raise ConfigError(
            "The connection names no storage account.",
            hint="Edit the connection and enter the storage account name.",
        )
    return f"https://{account}.blob.core.windows.net"


def _missing_secret(what: str) -> ConfigError:
    return ConfigError(
        f"The connection's {what} is missing.",
        hint="Edit the connection and enter it again (it is kept in the system keyring).",
    )


def _within(page: ListPage, prefix: str) -> ListPage:
    """The page without rows outside ``prefix`` (a server that ignored it): those are
    named in ``refused``."""
    if not prefix:
        return page
    refused = [e.key for e in (*page.prefixes, *page.objects) if not e.key.startswith(prefix)]
    if not refused:
        return page
    return ListPage(
        prefixes=[e for e in page.prefixes if e.key.startswith(prefix)],
        objects=[e for e in page.objects if e.key.startswith(prefix)],
        next_token=page.next_token,
        refused=refused,
    )


def _bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    read = getattr(body, "read", None)
    if read is not None:
        data = read()
        return data if isinstance(data, bytes) else bytes(data)
    raise TypeError(f"cannot upload a body of type {type(body).__name__}")


def _signing_sas(credentials: Credentials | None, auth: str) -> str:
    """The SAS token a connection signs its requests with, without "?"; "" for none."""
    if credentials is None:
        return ""
    if auth == "sas":
        return credentials.secret_access_key.lstrip("?")
    if auth == "connection_string":
        return addresses.connection_string_sas(credentials.secret_access_key)
    return ""


def _sas_expiry(token: str) -> float:
    """The end of a SAS's validity (its ``se`` field), so that a refusal after it can be
    called what it is; 0.0 when the token does not say (or there is none)."""
    from urllib.parse import parse_qs

    fields = parse_qs(token)
    text = (fields.get("se") or [""])[0]
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _encryption(props: BlobProperties) -> str:
    """How Azure says the blob is encrypted at rest, in its own words: S3's "AES256" would
    be shown as S3's SSE-S3, which an Azure blob is not."""
    if not props.server_encrypted:
        return ""
    if props.encryption_key_sha256:
        return "AES-256, customer-provided key"
    if props.encryption_scope:
        return f"AES-256, encryption scope “{props.encryption_scope}”"
    return "AES-256, Azure Storage encryption"


def _sas_fields(token: str) -> tuple[str, str]:
    """The SAS's ``sr`` (its scope: "" for an account SAS) and ``sp`` (what it grants), so
    that a refusal can say which of them it was."""
    from urllib.parse import parse_qs

    fields = parse_qs(token)
    return (fields.get("sr") or [""])[0], (fields.get("sp") or [""])[0]


def _content_range(text: object) -> tuple[int, int, int] | None:
    """``bytes 2-4/10`` → (2, 4, 10); None when absent or unreadable."""
    try:
        span, _, total = str(text or "").removeprefix("bytes ").partition("/")
        first, _, last = span.partition("-")
        return int(first), int(last), int(total) if total != "*" else -1
    except ValueError:
        return None


def _etag(value: object) -> str:
    return str(value or "").strip('"')


def _condition(if_match: str, create_only: bool = False) -> dict[str, Any]:
    """The SDK's keywords for a write only over revision ``if_match`` (none for ""), or
    only where no blob of the name exists (``create_only``: If-None-Match: *)."""
    if create_only:
        return {"match_condition": MatchConditions.IfMissing}
    if not if_match:
        return {}
    return {"etag": _quoted(if_match), "match_condition": MatchConditions.IfNotModified}


def _quoted(etag: str) -> str:
    return etag if etag.startswith('"') else f'"{etag}"'


def _utc(text: object) -> datetime:
    """A time the SDK gives as text ("2024-06-01T10:00:00Z"), as a UTC datetime."""
    when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _seconds(value: object) -> float:
    return value.timestamp() if isinstance(value, datetime) else 0.0


def _hex_md5(content_md5: str) -> str:
    try:
        return base64.b64decode(content_md5, validate=True).hex()
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("A chunk's Content-MD5 is not base64.") from exc


def _b64_md5(md5_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")


def _session_prefix(session: str) -> str:
    prefix = session.partition("|")[0]
    if len(prefix) != _SESSION_DIGITS or any(c not in "0123456789abcdef" for c in prefix):
        raise ConfigError(
            "The journalled upload session is not an Azure one.",
            hint="Retry the upload from the start.",
        )
    return prefix


def _block_id(prefix: str, number: int, md5: str) -> str:
    """``prefix + number + MD5``: 53 characters, the same length for every block of the
    blob (Azure requires it), within its 64 bytes."""
    if not 1 <= number < 10**_NUMBER_DIGITS:
        raise ValueError(f"chunk number {number} out of range")
    return f"{prefix}{number:0{_NUMBER_DIGITS}d}{md5}"


def _parse_block_id(block_id: str, prefix: str) -> tuple[int, str] | None:
    """(number, MD5) of a block of the session with ``prefix``; None for another's."""
    if len(block_id) != _SESSION_DIGITS + _NUMBER_DIGITS + 32 or not block_id.startswith(prefix):
        return None
    digits = block_id[_SESSION_DIGITS : _SESSION_DIGITS + _NUMBER_DIGITS]
    md5 = block_id[_SESSION_DIGITS + _NUMBER_DIGITS :]
    if not digits.isdigit() or any(c not in "0123456789abcdef" for c in md5):
        return None
    return int(digits), md5


def _version_page(rows: list[BlobVersion], prefixes: list[str], next_marker: str) -> VersionPage:
    """S3's shape of a versions page: per key the versions newest first, the current one
    marked latest, and a delete marker on top of a key that has no current version (when
    all its versions are on this page: a key cut by the page end is judged by the page
    that has its last version, which Azure sends last)."""
    by_key: dict[str, list[BlobVersion]] = {}
    for row in rows:
        by_key.setdefault(row.entry.key, []).append(row)
    versions: list[Version] = []
    markers: list[Version] = []
    last_key = rows[-1].entry.key if rows else ""
    for key, history in by_key.items():
        for row in reversed(history):  # Azure sends oldest first
            e = row.entry
            versions.append(
                Version(key, row.version_id, e.modified, e.size, e.etag, is_latest=row.current)
            )
        cut = key == last_key and bool(next_marker)
        if not cut and not any(r.current for r in history):
            newest = max(r.entry.modified for r in history)
            markers.append(Version(key, DELETED, newest, is_latest=True, delete_marker=True))
    return VersionPage(
        versions=versions, markers=markers, prefixes=prefixes, next_key_marker=next_marker
    )


def _soft_version(row: SoftDeletedBlob, now: float) -> Version:
    """A soft-deleted row as a version: its id says how it is restored (a version id, a
    snapshot, or the blob itself). Azure says how many whole days it is kept still, not
    until when: the retention it was deleted under is those days plus the whole days
    since, so the time is right to the day."""
    e = row.entry
    if row.version_id:
        version_id = row.version_id
    elif row.snapshot:
        version_id = SNAPSHOT + row.snapshot
    else:
        version_id = SOFT_DELETED_BLOB
    # (A soft-deleted row always has its DeletedTime; were one without, it is still
    # soft-deleted: never 0.0.)
    deleted_at = row.deleted_at or e.modified or 1.0
    kept_until = 0.0
    if row.remaining_days >= 0 and row.deleted_at:
        days = row.remaining_days + int(max(0.0, now - row.deleted_at) // 86400)
        kept_until = row.deleted_at + days * 86400
    return Version(
        e.key, version_id, e.modified, e.size, e.etag, deleted_at=deleted_at, kept_until=kept_until
    )


def walks_of(backend: AzureBackend, bucket: str, key: str) -> list[Version]:
    """Every version of exactly ``key`` (the engine's walk, through this backend)."""
    from cloudbrowser.core.versions import object_versions

    return object_versions(backend, bucket, key)


def _check_tag_text(text: str, most: int, *, name: bool) -> None:
    """Raises ConfigError for what an Azure blob index tag's name or value cannot hold."""
    if not _TAG_TEXT.fullmatch(text) or len(text) > most:
        what = "name" if name else "value"
        raise ConfigError(
            f"“{text}” cannot be an Azure blob index tag's {what}.",
            hint="Azure's tag names (1-128 characters) and values (up to 256) hold only "
            "letters A-Z and a-z, digits, spaces and + - . / : = _",
        )


def _tag_expression(conditions: Sequence[TagCondition]) -> str:
    """The ``where`` of Find Blobs by Tags: ``"name" >= 'value'`` joined by AND. Raises
    ConfigError for what the expression cannot hold (Azure's tags cannot hold it either)."""
    if not conditions:
        raise ConfigError("A tag search needs a condition.", hint="Write tag:NAME=VALUE.")
    parts = []
    for c in conditions:
        _check_tag_text(c.name, _MAX_TAG_NAME, name=True)
        _check_tag_text(c.value, _MAX_TAG_VALUE, name=False)
        if not c.name or c.op not in TAG_OPERATORS:
            raise ConfigError(f"“{c}” is not a tag condition.", hint="Write tag:NAME=VALUE.")
        parts.append(f"\"{c.name}\" {c.op} '{c.value}'")
    return " AND ".join(parts)


def _tag_search_error(error: StorageError, conditions: Sequence[TagCondition]) -> StorageError:
    """Find Blobs by Tags' refusals in a tag search's words."""
    shown = " ".join(f"tag:{c}" for c in conditions)
    if error.code in ("InvalidQueryParameterValue", "InvalidHeaderValue", "InvalidInput"):
        reason = error.detail.partition(": ")[2] or error.message
        return StorageError(
            f"The storage account refused the tag filter “{shown}”: {reason}",
            hint="Azure compares tags with =, >, >=, < and <= only, at most 10 of them, and "
            "a range (>, <) on one tag at a time.",
            detail=error.detail,
            code="InvalidTagFilter",
        )
    if isinstance(error, NotSupported) or "NotSupported" in error.code:
        return NotSupported(
            "This storage account cannot find blobs by their index tags.",
            hint="Find Blobs by Tags needs a general-purpose v2 or Blob Storage account "
            "without a hierarchical namespace (Data Lake Storage); an emulator may lack it. "
            "Search by name instead.",
            detail=error.detail,
            code="NotImplemented",
        )
    return error


def _no_versions() -> NoVersioning:
    return NoVersioning(
        "This storage account does not keep blob versions here.",
        hint="Turn on blob versioning for the account (Azure portal: Data protection).",
        code="NotImplemented",
    )


if TYPE_CHECKING:
    # mypy checks here that AzureBackend implements the interface and its capabilities.
    def _implements(
        backend: AzureBackend,
    ) -> tuple[
        Storage,
        ChunkedUploads,
        ServerCopy,
        BatchDelete,
        Versions,
        ShareLinks,
        ObjectProperties,
        StorageClasses,
        TagSearch,
        SoftDeletes,
    ]:
        return (
            backend,
            backend,
            backend,
            backend,
            backend,
            backend,
            backend,
            backend,
            backend,
            backend,
        )


__all__ = ["AzureBackend", "AzureReader"]
