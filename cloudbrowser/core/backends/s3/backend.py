"""S3Backend: the one place cloudbrowser talks to boto3/botocore.

Every method is safe to call from any worker thread at the same time: the botocore client
is created once (lazily, on first use, so the ~0.4 s it costs never lands on the GUI thread
or on start-up) and shared, which botocore supports for clients (not for sessions).

Path convention (as in rclone's backends): methods take a ``bucket`` and a ``key`` or
``prefix`` inside it; a prefix is "" or ends with "/" (see ``core/keys.py``). Every method
raises only :class:`~cloudbrowser.core.errors.CloudBrowserError` subclasses; the ones it may
raise are listed in each docstring. botocore exceptions never escape this module.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import threading
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import boto3
import botocore.exceptions as bx
import botocore.session
from botocore import UNSIGNED
from botocore import handlers as botocore_handlers
from botocore import utils as botocore_utils
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.parsers import ResponseParserError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import InsecureRequestWarning
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from cloudbrowser.core.backends.s3.fast import (
    FAST_PATH_ON,
    FAST_PUT_LIMIT,
    FastPath,
    fast_or,
    last_modified,
    parse_content_range,
)
from cloudbrowser.core.backends.s3.features import LIMITS, features
from cloudbrowser.core.backends.s3.listing import (
    NotAListing,
    TooManyRows,
    below,
    parse_list_objects_v2,
)
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.entries import (
    Bucket,
    Entry,
    ListPage,
    ObjectDetails,
    ObjectInfo,
    UnfinishedUpload,
    UploadedPart,
    Version,
)
from cloudbrowser.core.errors import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    Cancelled,
    CloudBrowserError,
    ConfigError,
    EndpointUnreachable,
    IntegrityError,
    InvalidCredentials,
    KeyNotFound,
    NotFound,
    NotSupported,
    NoVersioning,
    ObjectChanged,
    RequestTimeout,
    StorageError,
    Throttled,
    TLSError,
    UploadNotFound,
)
from cloudbrowser.core.inspection import MAX_COPY_OBJECT_SIZE, has_object_acls
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.paging import MAX_PAGE_ROWS, PageGuard, PageTooLarge, stopping
from cloudbrowser.core.providers import capabilities
from cloudbrowser.core.storage import (
    BatchDelete,
    ChunkedUploads,
    Features,
    ObjectProperties,
    ServerCopy,
    ShareLinks,
    Storage,
    Versions,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

T = TypeVar("T")
log = logging.getLogger(__name__)
#: S3Backend._fast when the fast path cannot be used with this client.
_NO_FAST_PATH = object()


#: The most keys S3 returns in one ListObjectsV2 page.
MAX_PAGE_SIZE = LIMITS.max_page
#: The most keys one DeleteObjects request may name.
MAX_DELETE_BATCH = 1000
#: An undelete removes at most this many delete markers stacked on one key.
_MAX_MARKERS_ON_TOP = 100

#: The most bytes read of one ListObjectsV2 reply. A real page of 1,000 keys is under 1 MiB,
#: 4 MiB with the longest keys URL-encoded; 32 MiB is eight times that. Above 4 MiB the fast
#: parser keeps its tree one row deep, so a refused page costs about twice this in memory.
MAX_LISTING_BYTES = 32 * 1024 * 1024
#: The same for listings botocore parses (versions, uploads, parts): its pure-Python parse
#: costs ~15 times the body, so the bound is nearer the largest real page (~5 MiB of versions).
MAX_OTHER_LISTING_BYTES = 8 * 1024 * 1024
#: The listing operations whose replies are read with a bound, and the bound.
_BOUNDED_LISTINGS = {
    "ListObjectsV2": MAX_LISTING_BYTES,
    "ListObjectVersions": MAX_OTHER_LISTING_BYTES,
    "ListMultipartUploads": MAX_OTHER_LISTING_BYTES,
    "ListParts": MAX_OTHER_LISTING_BYTES,
}
#: Bytes read from the socket at a time while a listing reply is bounded.
_READ_CHUNK = 64 * 1024

#: botocore's check for S3's "200 with an <Error> body" (private: None if it is renamed).
_CHECK_200_ERROR: Any = getattr(botocore_handlers, "_handle_200_error", None)
#: Where the fast parser leaves its page in the parsed response.
_FAST_PAGE = "CloudBrowserPage"
#: What botocore is given to parse instead of the real listing (see _parse_listing_fast).
_EMPTY_LISTING = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>'
)


class S3Backend:
    """Storage operations on one connection.

    ``page_size`` caps keys per listing page (tests use a small one so paging is exercised).
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        credentials: Credentials | None = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
        mfa_prompter: Callable[[str], str] | None = None,
    ) -> None:
        self.settings = settings
        self._credentials = credentials
        #: Asks the user for an MFA code when an AWS profile assumes a role with
        #: ``mfa_serial`` (botocore's default reads the terminal). Called on a worker; may
        #: raise Cancelled.
        self._mfa_prompter = mfa_prompter
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self._client: S3Client | None = None
        self._client_lock = threading.Lock()
        self._fast: FastPath | object | None = None
        #: APIs this server answered NotImplemented/MethodNotAllowed to (DESIGN §5: try
        #: once, remember): they are not asked again on this connection.
        self._lacking: set[str] = set()
        #: Buckets a HEAD's follow-up found to exist: a 404 there is the key's, at once.
        self._existing_buckets: set[str] = set()

    # ── client ──────────────────────────────────────────────────────────────────────────

    @property
    def client(self) -> S3Client:
        """The shared botocore client, created on first use.

        Raises: ConfigError (unknown AWS profile, bad endpoint URL), InvalidCredentials.
        """
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = _guard(self._make_client)
        return self._client

    def _make_client(self) -> S3Client:
        s = self.settings
        if s.verify_tls is False:
            # The user turned certificate checks off knowingly (the connection dialog
            # warns in red); urllib3 would otherwise repeat its warning on every request.
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        core_session = botocore.session.Session(profile=s.aws_profile or None)
        if self._mfa_prompter is not None:
            _use_mfa_prompter(core_session, self._mfa_prompter)
        session = boto3.session.Session(botocore_session=core_session)
        config = Config(
            region_name=s.region or None,
            # SigV4 is what botocore signs S3 requests with anyway; naming it makes presigned
            # links SigV4 too (botocore presigns with legacy SigV2 on custom endpoints,
            # which ignores the 7-day limit and newer servers and regions refuse).
            signature_version=UNSIGNED if s.anonymous else "s3v4",
            # "auto" is botocore's default: leaving it unset lets an AWS profile's own
            # ``s3 = addressing_style`` apply.
            s3={"addressing_style": s.addressing_style} if s.addressing_style != "auto" else None,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            retries={"mode": "standard", "max_attempts": s.max_attempts},
            max_pool_connections=s.max_pool_connections,
            # Only send/verify the extra CRC checksums where an operation requires them:
            # many S3-compatible servers reject or mangle them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        creds = self._credentials
        client: S3Client = session.client(
            "s3",
            endpoint_url=s.endpoint_url or None,
            verify=s.verify_tls,
            config=config,
            aws_access_key_id=creds.access_key_id if creds else None,
            aws_secret_access_key=creds.secret_access_key if creds else None,
            aws_session_token=(creds.session_token or None) if creds else None,
        )
        client.meta.events.register("before-parse.s3.ListObjectsV2", _parse_listing_fast)
        _bound_listing_replies(client)
        _skip_200_error_check_for_listings(client)
        _expect_continue_only_for_large_bodies(client)
        return client

    def _fast_path(self) -> FastPath | None:
        """The signed-urllib3 path for GetObject/PutObject (fast.py), made with the client;
        None when turned off (CLOUDBROWSER_FAST_PATH=0) or the client cannot be made (the
        botocore call then reports why)."""
        if self._fast is None and FAST_PATH_ON:
            try:
                client = self.client
            except CloudBrowserError:
                return None
            with self._client_lock:
                if self._fast is None:
                    self._fast = FastPath.with_client(self.settings, client) or _NO_FAST_PATH
        return self._fast if isinstance(self._fast, FastPath) else None

    # ── capabilities ────────────────────────────────────────────────────────────────────

    @property
    def features(self) -> Features:
        return features(self.settings)

    def lacks(self, api: str) -> bool:
        """The server answered that it does not implement ``api`` (e.g. "ListParts")."""
        return api in self._lacking

    def _unless_lacking(self, api: str, call: Callable[[], T], *, bucket: str, key: str = "") -> T:
        """``_guard`` for an API some servers lack: its NotImplemented (or MethodNotAllowed)
        becomes NotSupported, and is remembered so the next call sends no request."""
        if api in self._lacking:
            raise _not_supported(api)
        try:
            return _guard(call, bucket=bucket, key=key)
        except StorageError as error:
            if error.code not in _UNSUPPORTED_CODES:
                raise
            self._lacking.add(api)
            raise _not_supported(api, error) from error

    # ── operations ──────────────────────────────────────────────────────────────────────

    def list_buckets(self) -> list[Bucket]:
        """All buckets the credentials may list, sorted by name.

        Raises: InvalidCredentials, AccessDenied (the key may not call ListAllMyBuckets),
        EndpointUnreachable, RequestTimeout, TLSError, StorageError.
        """

        def call() -> list[Bucket]:
            reply = self.client.list_buckets()
            return sorted(
                (
                    Bucket(
                        name=b["Name"],
                        created=_timestamp(b.get("CreationDate")),
                        region=str(b.get("BucketRegion", "")),
                    )
                    for b in reply.get("Buckets", [])
                ),
                key=lambda b: b.name,
            )

        return _guard(call)

    def list_page(
        self, bucket: str, prefix: str = "", token: str = "", *, recursive: bool = False
    ) -> ListPage:
        """One page of the objects and common prefixes directly under ``prefix``.

        ``token`` is the ``next_token`` of the previous page ("" for the first page). Keys
        come in the server's order. With ``recursive`` no delimiter is sent: every key below
        ``prefix`` comes back as an object and there are no prefixes. Never sends a HEAD per
        object.

        Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
        RequestTimeout, TLSError, StorageError.
        """

        def call() -> ListPage:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": self.page_size}
            if not recursive:
                params["Delimiter"] = DELIMITER
            if token:
                params["ContinuationToken"] = token
            reply = self.client.list_objects_v2(**params)
            page = reply.get(_FAST_PAGE)
            if not isinstance(page, ListPage):
                # The fast parser passed (a body it could not read): botocore's own result.
                page = _page_from_botocore(reply)
            return below(page, prefix)

        return _guard(call, bucket=bucket)

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> ObjectInfo:
        """Metadata of one object (of one of its versions when ``version_id`` is given).

        Raises: KeyNotFound (or BucketNotFound), AccessDenied, InvalidCredentials,
        EndpointUnreachable, RequestTimeout, TLSError, StorageError.
        """

        def call() -> ObjectInfo:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if version_id:
                params["VersionId"] = version_id
            r = self.client.head_object(**params)
            return ObjectInfo(
                bucket=bucket,
                key=key,
                size=int(r.get("ContentLength", 0)),
                modified=_timestamp(r.get("LastModified")),
                etag=r.get("ETag", "").strip('"'),
                content_type=r.get("ContentType", ""),
                storage_class=r.get("StorageClass", "STANDARD"),
                version_id=r.get("VersionId", ""),
                metadata=dict(r.get("Metadata", {})),
            )

        return self._head(call, bucket, key)

    def _head(self, call: Callable[[], T], bucket: str, key: str) -> T:
        """``_guard`` for a HEAD request, whose 403 or 404 has no body to say why.

        A 404 may be a missing key or a missing bucket; a 403 a wrong secret, an unknown
        access key, or a refusal. One cheap request that does have an error body (a
        ListObjectsV2 of at most one key) tells them apart; a bucket found to exist is
        remembered, so that existence checks (a 404 per free name) cost no second request.
        """
        try:
            return _guard(call, bucket=bucket, key=key)
        except (NotFound, AccessDenied) as error:
            if error.code not in _BODILESS_CODES:
                raise
            if isinstance(error, NotFound) and bucket in self._existing_buckets:
                raise
            raise self._head_failure(bucket, key, error) from error

    def _head_failure(self, bucket: str, key: str, error: StorageError) -> StorageError:
        """The real cause of a bodiless 403/404 on HEAD ``bucket/key`` (``error``)."""
        try:
            _guard(
                lambda: self.client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1),
                bucket=bucket,
            )
        except (InvalidCredentials, BucketNotFound) as cause:
            return cause  # the wrong secret or key id, the missing bucket: named exactly
        except AccessDenied:
            return error  # may not list, but the bucket exists: the HEAD's answer stands
        except StorageError:
            return error  # nothing more to learn (the server is gone, say)
        self._existing_buckets.add(bucket)
        return error

    # ── buckets, batch deletes, links ───────────────────────────────────────────────────

    def create_bucket(self, bucket: str, region: str = "") -> None:
        """Create a bucket in ``region`` (default: the connection's region).

        On AWS a bucket in another region is created through that region's endpoint (a
        regional endpoint refuses other regions' location constraints).

        Raises: AlreadyExists, AccessDenied, InvalidCredentials, EndpointUnreachable,
        StorageError (an invalid name or region).
        """

        def call() -> None:
            client = self.client
            own = client.meta.region_name or ""
            where = region or own
            if where != own and self.settings.endpoint_url is None:
                regional = S3Backend(
                    dataclasses.replace(self.settings, region=where),
                    self._credentials,
                    mfa_prompter=self._mfa_prompter,
                )
                client = regional.client
            params: dict[str, Any] = {"Bucket": bucket}
            # us-east-1 is S3's default and must not be named (S3 refuses it as a location).
            if where and where != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": where}
            client.create_bucket(**params)

        _guard(call, bucket=bucket)

    def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket.

        Raises: BucketNotFound, StorageError (code ``BucketNotEmpty``), AccessDenied,
        InvalidCredentials, EndpointUnreachable.
        """

        def call() -> None:
            try:
                self.client.delete_bucket(Bucket=bucket)
            except bx.ClientError as exc:
                if _error_code(exc) != "BucketNotEmpty":
                    raise
                raise StorageError(
                    f"The server says the bucket “{bucket}” is not empty.",
                    hint="Delete what it holds first (rb --force does), then the bucket. "
                    "Unfinished uploads count too, even where the server cannot list them.",
                    code="BucketNotEmpty",
                ) from exc

        _guard(call, bucket=bucket)

    def delete_objects(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to 1,000 keys in one DeleteObjects request; returns the keys the server
        refused, each with its error (an empty list: all deleted). Keys that do not exist
        count as deleted, as in S3.

        Raises (for the whole request): ValueError (more than 1,000 keys), AccessDenied,
        InvalidCredentials, EndpointUnreachable, StorageError (code ``NotImplemented`` when
        the server has no DeleteObjects: use :meth:`delete_object` per key).
        """
        if len(keys) > MAX_DELETE_BATCH:
            raise ValueError(f"at most {MAX_DELETE_BATCH} keys per DeleteObjects request")
        if not keys:
            return []

        return self._delete_batch(bucket, [{"Key": k} for k in keys])

    def delete_versions(
        self, bucket: str, versions: Sequence[tuple[str, str]]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to 1,000 ``(key, version id)`` pairs (versions or delete markers) for
        good in one DeleteObjects request; returns those the server refused.

        Raises (for the whole request): as :meth:`delete_objects`.
        """
        if len(versions) > MAX_DELETE_BATCH:
            raise ValueError(f"at most {MAX_DELETE_BATCH} versions per DeleteObjects request")
        if not versions:
            return []

        return self._delete_batch(bucket, [{"Key": k, "VersionId": v} for k, v in versions])

    def _delete_batch(
        self, bucket: str, objects: list[ObjectIdentifierTypeDef]
    ) -> list[tuple[str, CloudBrowserError]]:
        """One quiet DeleteObjects request; the keys the server refused, with their errors."""

        def call() -> list[tuple[str, CloudBrowserError]]:
            reply = self.client.delete_objects(
                Bucket=bucket,
                Delete={"Objects": objects, "Quiet": True},
            )
            failed: list[tuple[str, CloudBrowserError]] = []
            for item in reply.get("Errors", []):
                key = str(item.get("Key", ""))
                error = bx.ClientError(
                    {"Error": {"Code": item.get("Code", ""), "Message": item.get("Message", "")}},
                    "DeleteObjects",
                )
                failed.append((key, translate_error(error, bucket=bucket, key=key)))
            return failed

        return _guard(call, bucket=bucket)

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str) -> str:
        """Copy an object on the server (no bytes pass through here); returns the new ETag.

        One CopyObject request: objects up to 5 GiB (S3's limit for it).
        Raises: KeyNotFound, BucketNotFound, AccessDenied, InvalidCredentials,
        EndpointUnreachable, StorageError.
        """

        def call() -> str:
            reply = self.client.copy_object(
                Bucket=bucket, Key=key, CopySource={"Bucket": src_bucket, "Key": src_key}
            )
            return str(reply.get("CopyObjectResult", {}).get("ETag", "")).strip('"')

        fast = self._fast_path()
        if fast is not None:
            return _guard(
                lambda: fast_or(lambda: fast.copy(src_bucket, src_key, bucket, key), call),
                bucket=src_bucket,
                key=src_key,
            )
        return _guard(call, bucket=src_bucket, key=src_key)

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
        """Copy bytes ``first``..``last`` (inclusive) of an object on the server into part
        ``number`` of a multipart upload: how objects above 5 GiB are copied. Returns the
        part's ETag. ``if_match`` refuses the copy if the source changed (ObjectChanged).

        Raises: KeyNotFound, UploadNotFound, ObjectChanged, AccessDenied,
        EndpointUnreachable, StorageError.
        """

        def call() -> str:
            params: dict[str, Any] = {
                "Bucket": bucket,
                "Key": key,
                "UploadId": session,
                "PartNumber": number,
                "CopySource": {"Bucket": src_bucket, "Key": src_key},
                "CopySourceRange": f"bytes={first}-{last}",
            }
            if if_match:
                params["CopySourceIfMatch"] = f'"{if_match}"'
            reply = self.client.upload_part_copy(**params)
            etag = str(reply.get("CopyPartResult", {}).get("ETag", "")).strip('"')
            if not etag:
                # rclone serve s3 answers 200 with no result and stores an empty part.
                raise StorageError(
                    "This server cannot copy objects larger than 5 GiB on its own "
                    "(it has no UploadPartCopy).",
                    hint="Download the object and upload it under the new name instead.",
                    code="NotImplemented",
                )
            return etag

        return _guard(call, bucket=src_bucket, key=src_key)

    def iter_versions(self, bucket: str, prefix: str = "") -> Iterator[list[Version]]:
        """Versions and delete markers of the keys below ``prefix``, a page at a time, newest
        first per key (never part of a normal listing: versioned buckets can hold many).

        Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
        StorageError (``NotImplemented`` on servers that keep no versions).
        """

        def call(key_marker: str, version_marker: str) -> tuple[list[Version], str, str]:
            """The page as sent (keys outside ``prefix`` included), the next markers."""
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if key_marker:
                params["KeyMarker"] = key_marker
                params["VersionIdMarker"] = version_marker
            reply = self.client.list_object_versions(**params)
            rows = [
                Version(
                    key=v["Key"],
                    version_id=str(v.get("VersionId", "")),
                    modified=_timestamp(v.get("LastModified")),
                    size=int(v.get("Size", 0)),
                    etag=str(v.get("ETag", "")).strip('"'),
                    is_latest=bool(v.get("IsLatest")),
                )
                for v in reply.get("Versions", [])
            ] + [
                Version(
                    key=m["Key"],
                    version_id=str(m.get("VersionId", "")),
                    modified=_timestamp(m.get("LastModified")),
                    is_latest=bool(m.get("IsLatest")),
                    delete_marker=True,
                )
                for m in reply.get("DeleteMarkers", [])
            ]
            # Per key: the current version (or marker) first, then newest first; the sort
            # is stable, so same-second versions keep the server's newest-first order.
            rows.sort(key=lambda v: (v.key, not v.is_latest, -v.modified))
            if not reply.get("IsTruncated"):
                return rows, "", ""
            return (
                rows,
                str(reply.get("NextKeyMarker", "")),
                str(reply.get("NextVersionIdMarker", "")),
            )

        guard = PageGuard(f"{bucket}/{prefix}", noun="version")
        yield from _pagesbelow(guard, call, bucket, prefix)

    def share_link(self, bucket: str, key: str, expires_in: int) -> str:
        """A URL that downloads ``key`` without credentials for ``expires_in`` seconds.

        No request is sent: the URL is signed locally (it may name a key that does not
        exist). Raises: InvalidCredentials (nothing to sign with), ConfigError.
        """

        def call() -> str:
            return str(
                self.client.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
                )
            )

        return _guard(call, bucket=bucket, key=key)

    # ── versions ────────────────────────────────────────────────────────────────────────
    #
    # On demand only (DESIGN §3): nothing here runs for a normal listing. Servers that keep
    # no versions (rclone serve s3) answer NotImplemented; that becomes NoVersioning.

    def bucket_versioning(self, bucket: str) -> str:
        """The bucket's versioning state: ``"Enabled"``, ``"Suspended"`` (versions kept so
        far remain) or ``""`` (never turned on: objects have only their current version).

        Raises: NoVersioning (the server keeps no versions at all), BucketNotFound,
        AccessDenied, InvalidCredentials, EndpointUnreachable, StorageError.
        """

        def call() -> str:
            return str(self.client.get_bucket_versioning(Bucket=bucket).get("Status", ""))

        return _versioned(call, bucket=bucket)

    def object_versions(
        self, bucket: str, key: str, cancel: threading.Event | None = None
    ) -> list[Version]:
        """Every version and delete marker of exactly ``key``: the current one first, then
        newest first.

        Lists by prefix with the delimiter (so ``key/...`` rolls up into one prefix) and
        stops at the first page that reaches keys after ``key`` ("key2"...), which sort
        after it. Checks ``cancel`` between pages.

        Raises: NoVersioning, BucketNotFound, AccessDenied, InvalidCredentials,
        EndpointUnreachable, Cancelled, StorageError.
        """
        found: list[Version] = []
        pages = self._version_pages(bucket, key, cancel, delimiter=DELIMITER)
        for versions, markers, _prefixes in pages:
            rows = versions + markers
            found.extend(v for v in rows if v.key == key)
            if any(v.key != key for v in rows):
                break
        found.sort(key=lambda v: (not v.is_latest, -v.modified))
        return found

    def iter_deleted(
        self, bucket: str, prefix: str = "", cancel: threading.Event | None = None
    ) -> Iterator[ListPage]:
        """The keys directly under ``prefix`` whose latest version is a delete marker, a
        page of ListObjectVersions (``page_size`` keys, delimiter "/") at a time.

        Each object's ``modified`` is when it was deleted, its ``size`` that of the version
        an undelete brings back. ``prefixes`` are every folder holding versions (the caller
        drops the ones a normal listing shows: the rest hold only deleted objects). A page
        may be empty. Checks ``cancel`` between pages.

        Raises: NoVersioning, BucketNotFound, AccessDenied, InvalidCredentials,
        EndpointUnreachable, Cancelled, StorageError.
        """
        #: Deleted keys whose older versions may still come on the next page: key → entry.
        waiting: dict[str, Entry] = {}
        for versions, markers, prefixes in self._version_pages(
            bucket, prefix, cancel, delimiter=DELIMITER
        ):
            for m in markers:
                if m.is_latest and m.key != prefix:
                    waiting[m.key] = Entry(key=m.key, modified=m.modified)
            done: list[Entry] = []
            for v in versions:  # newest first per key: the first seen is the one restored
                entry = waiting.pop(v.key, None)
                if entry is not None:
                    done.append(entry._replace(size=v.size, etag=v.etag))
            last = max((v.key for v in versions + markers), default="")
            # Keys before the page's last key have had all their versions listed.
            done.extend(waiting.pop(k) for k in [k for k in waiting if k < last])
            done.sort(key=lambda e: e.key)
            yield ListPage(prefixes=[Entry(key=p, is_prefix=True) for p in prefixes], objects=done)
        if waiting:
            yield ListPage(objects=sorted(waiting.values(), key=lambda e: e.key))

    def restore_version(self, bucket: str, key: str, version_id: str) -> str:
        """Make an old version current again by copying it over the key on the server (one
        CopyObject: versions up to 5 GiB). Every version, the replaced one included, stays
        in the history. Returns the new version's id.

        Raises: KeyNotFound (no such version), NoVersioning, AccessDenied,
        InvalidCredentials, EndpointUnreachable, StorageError.
        """

        def call() -> str:
            reply = self.client.copy_object(
                Bucket=bucket,
                Key=key,
                CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id},
            )
            return str(reply.get("VersionId", ""))

        return _versioned(call, bucket=bucket, key=key)

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one version (or delete marker) for good. Deleting the current version
        makes the one before it current; deleting the latest delete marker undeletes.

        Raises: NoVersioning, AccessDenied, InvalidCredentials, EndpointUnreachable,
        StorageError.
        """

        def call() -> None:
            self.client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)

        _versioned(call, bucket=bucket, key=key)

    def undelete(self, bucket: str, key: str) -> int:
        """Bring a deleted object back: remove the delete markers on top of its history
        (usually one), so that its newest real version is current again. Returns how many
        markers were removed (0: it was not deleted).

        Raises: KeyNotFound (only delete markers: nothing to bring back), NoVersioning,
        AccessDenied, InvalidCredentials, EndpointUnreachable, StorageError.
        """
        removed = 0
        # The server's IsLatest says what is on top (times of versions and markers stored
        # in the same second cannot order them); a marker under a marker is next.
        while removed < _MAX_MARKERS_ON_TOP:
            history = self.object_versions(bucket, key)
            latest = next((v for v in history if v.is_latest), None)
            if latest is None or not latest.delete_marker:
                return removed
            if all(v.delete_marker for v in history):
                raise KeyNotFound(
                    f"“{bucket}/{key}” has no version to bring back, only delete markers.",
                    hint="Nothing of it is kept in the bucket's version history.",
                )
            self.delete_version(bucket, key, latest.version_id)
            removed += 1
        return removed

    def _version_pages(
        self,
        bucket: str,
        prefix: str,
        cancel: threading.Event | None,
        *,
        delimiter: str = "",
    ) -> Iterator[tuple[list[Version], list[Version], list[str]]]:
        """ListObjectVersions pages: (versions, delete markers, common prefixes), each in
        the server's order (by key, newest first per key)."""

        def call(key_marker: str, version_marker: str) -> tuple[Any, ...]:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": self.page_size}
            if delimiter:
                params["Delimiter"] = delimiter
            if key_marker:
                params["KeyMarker"] = key_marker
            if version_marker:
                params["VersionIdMarker"] = version_marker
            reply = self.client.list_object_versions(**params)
            versions = [
                Version(
                    key=str(v["Key"]),
                    version_id=str(v.get("VersionId", "")),
                    modified=_timestamp(v.get("LastModified")),
                    size=int(v.get("Size", 0)),
                    etag=str(v.get("ETag", "")).strip('"'),
                    is_latest=bool(v.get("IsLatest")),
                )
                for v in reply.get("Versions", [])
                if str(v["Key"]).startswith(prefix)  # nothing outside it
            ]
            markers = [
                Version(
                    key=str(m["Key"]),
                    version_id=str(m.get("VersionId", "")),
                    modified=_timestamp(m.get("LastModified")),
                    is_latest=bool(m.get("IsLatest")),
                    delete_marker=True,
                )
                for m in reply.get("DeleteMarkers", [])
                if str(m["Key"]).startswith(prefix)
            ]
            prefixes = [
                str(p["Prefix"])
                for p in reply.get("CommonPrefixes", [])
                if p.get("Prefix") and p["Prefix"] != prefix and p["Prefix"].startswith(prefix)
            ]
            more = bool(reply.get("IsTruncated"))
            sent = (
                len(reply.get("Versions", []))
                + len(reply.get("DeleteMarkers", []))
                + len(reply.get("CommonPrefixes", []))
            )
            return (
                sent,
                versions,
                markers,
                prefixes,
                str(reply.get("NextKeyMarker", "") or "") if more else "",
                str(reply.get("NextVersionIdMarker", "") or "") if more else "",
            )

        guard = PageGuard(f"{bucket}/{prefix}", noun="version")
        key_marker = version_marker = ""
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("Listing versions cancelled.")
            sent, versions, markers, prefixes, next_key, next_version = stopping(
                guard,
                _versioned,
                functools.partial(call, key_marker, version_marker),
                bucket=bucket,
            )
            rows = len(versions) + len(markers) + len(prefixes)
            guard.page(rows, (next_key, next_version) if next_key else None, sent=sent)
            yield versions, markers, prefixes
            if not next_key:
                return
            key_marker, version_marker = next_key, next_version

    # ── transfers ───────────────────────────────────────────────────────────────────────
    #
    # The primitives of core/transfers.py. Bodies are bytes or a seekable file object (botocore
    # rewinds it to retry). ``content_md5`` is the base64 MD5 of the body ("" to send none):
    # the server refuses a body that does not match it (BadDigest).

    # ── object properties, tags and preview reads ──────────────────────────────────────
    #
    # The Properties dialog and Preview (gui/inspect_actions.py). S3 cannot edit an object's
    # metadata in place: ``replace_metadata`` copies the object onto itself with the new
    # headers (MetadataDirective=REPLACE) and sends again every header it was given, so
    # whatever the user did not change is kept.

    def object_details(self, bucket: str, key: str) -> ObjectDetails:
        """Everything HeadObject says about ``key`` (one HEAD request).

        Raises: KeyNotFound (or BucketNotFound), AccessDenied, InvalidCredentials,
        EndpointUnreachable, RequestTimeout, TLSError, StorageError.
        """

        def call() -> ObjectDetails:
            r: Any = self.client.head_object(Bucket=bucket, Key=key)
            headers = r.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            expires = str(r.get("ExpiresString") or headers.get("expires", "") or "")
            tag_count = headers.get("x-amz-tagging-count", r.get("TagCount"))
            return ObjectDetails(
                bucket=bucket,
                key=key,
                size=int(r.get("ContentLength", 0)),
                modified=_timestamp(r.get("LastModified")),
                etag=str(r.get("ETag", "")).strip('"'),
                content_type=str(r.get("ContentType", "")),
                cache_control=str(r.get("CacheControl", "")),
                content_disposition=str(r.get("ContentDisposition", "")),
                content_encoding=str(r.get("ContentEncoding", "")),
                content_language=str(r.get("ContentLanguage", "")),
                expires=expires,
                storage_class=str(r.get("StorageClass") or "STANDARD"),
                version_id=str(r.get("VersionId", "")),
                server_side_encryption=str(r.get("ServerSideEncryption", "")),
                sse_kms_key_id=str(r.get("SSEKMSKeyId", "")),
                bucket_key_enabled=bool(r.get("BucketKeyEnabled", False)),
                sse_customer_algorithm=str(r.get("SSECustomerAlgorithm", "")),
                restore=str(r.get("Restore", "")),
                website_redirect=str(r.get("WebsiteRedirectLocation", "")),
                object_lock_mode=str(r.get("ObjectLockMode", "")),
                object_lock_retain_until=_timestamp(r.get("ObjectLockRetainUntilDate")),
                object_lock_legal_hold=str(r.get("ObjectLockLegalHoldStatus", "")),
                replication_status=str(r.get("ReplicationStatus", "")),
                tag_count=int(tag_count) if tag_count not in (None, "") else -1,
                metadata={str(k): str(v) for k, v in r.get("Metadata", {}).items()},
            )

        return self._head(call, bucket, key)

    def _require_tagging(self) -> None:
        if not capabilities(self.settings).tagging:
            # Not "try and see": rclone serve s3 takes PutObjectTagging for a PutObject and
            # replaces the object's bytes with the tagging XML.
            raise ConfigError(
                "This connection's server does not support object tags.",
                hint="Tags need a provider that supports them (Amazon S3, MinIO, Ceph, …): "
                "choose it as the connection's provider.",
            )

    def get_tags(self, bucket: str, key: str) -> dict[str, str]:
        """The object's tags (GetObjectTagging), in the server's order.

        Raises: ConfigError (the provider has no tagging), KeyNotFound, AccessDenied,
        InvalidCredentials, EndpointUnreachable, StorageError.
        """
        self._require_tagging()

        def call() -> dict[str, str]:
            reply = self.client.get_object_tagging(Bucket=bucket, Key=key)
            return {str(t["Key"]): str(t.get("Value", "")) for t in reply.get("TagSet", [])}

        return _guard(call, bucket=bucket, key=key)

    def put_tags(self, bucket: str, key: str, tags: Mapping[str, str]) -> None:
        """Replace the object's tags with ``tags`` (PutObjectTagging; an empty mapping
        removes them all). The object itself is not copied.

        Raises: ConfigError (the provider has no tagging), KeyNotFound, AccessDenied,
        InvalidCredentials, EndpointUnreachable, StorageError (InvalidTag...).
        """
        self._require_tagging()

        def call() -> None:
            if tags:
                self.client.put_object_tagging(
                    Bucket=bucket,
                    Key=key,
                    Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]},
                )
            else:
                self.client.delete_object_tagging(Bucket=bucket, Key=key)

        _guard(call, bucket=bucket, key=key)

    def replace_metadata(self, target: ObjectDetails) -> str:
        """Give an object new system and user metadata by copying it onto itself.

        ``target`` is the object's :meth:`object_details` with the wanted values replaced:
        every header in it is sent again (content-type, cache-control, disposition,
        encoding, language, expires, website redirect, user metadata, storage class,
        SSE-S3/SSE-KMS), so what the caller did not change is kept. Tags are copied along
        (TaggingDirective COPY, S3's default). Where the provider has object ACLs, grants
        beyond the owner's (e.g. public read), which the copy would drop, are sent with the
        copy (one GetObjectAcl first). The copy happens only if the object still
        has ``target.etag`` (CopySourceIfMatch): a change made elsewhere since it was read
        is never overwritten. In a versioned bucket this makes a new version. Returns the
        new ETag.

        Raises: ConfigError (over 5 GiB: CopyObject's limit; an SSE-C object; an archived
        object not restored), ObjectChanged, KeyNotFound, AccessDenied, EndpointUnreachable,
        StorageError.
        """
        if target.size > MAX_COPY_OBJECT_SIZE:
            raise ConfigError(
                "Objects larger than 5 GiB cannot be changed in place: S3's CopyObject "
                "request, which rewrites an object's metadata, stops at 5 GiB.",
                hint="Tags can still be changed. To change the metadata, copy the object "
                "with a multipart copy, or upload it again with the new metadata.",
            )
        if target.sse_customer_algorithm:
            raise ConfigError(
                "This object is encrypted with a customer-provided key (SSE-C): it cannot "
                "be copied in place without that key.",
                hint="Upload it again with the new metadata and your key.",
            )
        if target.archived:
            raise ConfigError(
                f"This object is in the {target.storage_class} archive tier: its metadata "
                "cannot be changed until it is restored.",
                hint="Restore the object first, then change its metadata.",
            )

        changed = ObjectChanged(
            f"“{target.bucket}/{target.key}” was changed on the server since its properties "
            "were read; nothing was saved.",
            hint="Reopen the properties to edit the current version.",
            code="PreconditionFailed",
        )

        def call() -> str:
            # Servers that ignore CopySourceIfMatch (moto, rclone) are checked by a HEAD.
            if target.etag and self.object_details(target.bucket, target.key).etag != target.etag:
                raise changed
            params: dict[str, Any] = {
                "Bucket": target.bucket,
                "Key": target.key,
                "CopySource": {"Bucket": target.bucket, "Key": target.key},
                "MetadataDirective": "REPLACE",
                "Metadata": dict(target.metadata),
            }
            if target.storage_class and target.storage_class != "STANDARD":
                # Without it the copy lands in STANDARD, whatever the original's class (for
                # STANDARD it is left out: some providers refuse the header).
                params["StorageClass"] = target.storage_class
            optional = {
                "ContentType": target.content_type,
                "CacheControl": target.cache_control,
                "ContentDisposition": target.content_disposition,
                "ContentEncoding": target.content_encoding,
                "ContentLanguage": target.content_language,
                "Expires": target.expires,
                "WebsiteRedirectLocation": target.website_redirect,
                "ServerSideEncryption": target.server_side_encryption,
            }
            params.update({name: value for name, value in optional.items() if value})
            if target.server_side_encryption.startswith("aws:kms") and target.sse_kms_key_id:
                params["SSEKMSKeyId"] = target.sse_kms_key_id
            if target.bucket_key_enabled:
                params["BucketKeyEnabled"] = True
            if target.etag:
                params["CopySourceIfMatch"] = f'"{target.etag}"'
            params.update(self._grant_headers(target.bucket, target.key))
            try:
                reply = self.client.copy_object(**params)
            except bx.ClientError as exc:
                if _error_code(exc) == "PreconditionFailed":
                    raise changed from exc
                raise
            return str(reply.get("CopyObjectResult", {}).get("ETag", "")).strip('"')

        return _guard(call, bucket=target.bucket, key=target.key)

    def _grant_headers(self, bucket: str, key: str) -> dict[str, str]:
        """The object's ACL as CopyObject grant headers, when it grants more than the
        owner's full control (what a copy in place would otherwise drop: the copy gets the
        private default). Sent with the copy itself, so the object is never private in
        between. Empty where the provider has no object ACLs, ACLs are disabled (bucket
        owner enforced) or the ACL may not be read."""
        if not has_object_acls(self.settings):
            return {}
        try:
            reply = self.client.get_object_acl(Bucket=bucket, Key=key)
        except bx.ClientError as exc:
            if _error_code(exc) in (
                "AccessControlListNotSupported",
                "AccessDenied",
                "NotImplemented",
            ):
                return {}
            raise
        owner_id = reply.get("Owner", {}).get("ID")
        by_permission: dict[str, list[str]] = {}
        for grant in reply.get("Grants", []):
            grantee: Any = grant.get("Grantee", {})
            if grantee.get("ID"):
                who = f'id="{grantee["ID"]}"'
            elif grantee.get("URI"):
                who = f'uri="{grantee["URI"]}"'
            elif grantee.get("EmailAddress"):
                who = f'emailAddress="{grantee["EmailAddress"]}"'
            else:
                continue
            by_permission.setdefault(str(grant.get("Permission", "")), []).append(who)
        if by_permission == {"FULL_CONTROL": [f'id="{owner_id}"']} or not by_permission:
            return {}
        header = {
            "FULL_CONTROL": "GrantFullControl",
            "READ": "GrantRead",
            "READ_ACP": "GrantReadACP",
            "WRITE_ACP": "GrantWriteACP",
        }
        return {
            header[permission]: ", ".join(grantees)
            for permission, grantees in by_permission.items()
            if permission in header
        }

    def put_object(
        self, bucket: str, key: str, body: Any, *, content_md5: str, content_type: str = ""
    ) -> str:
        """Store one object in a single request; returns its ETag (without quotes).

        Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
        RequestTimeout, StorageError (BadDigest when the body changed on the way).
        """

        def call() -> str:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
            if content_md5:
                params["ContentMD5"] = content_md5
            if content_type:
                params["ContentType"] = content_type
            return str(self.client.put_object(**params).get("ETag", "")).strip('"')

        fast = self._fast_path()
        if fast is not None and isinstance(body, bytes) and len(body) < FAST_PUT_LIMIT:
            headers = {"Content-MD5": content_md5} if content_md5 else {}
            if content_type:
                headers["Content-Type"] = content_type
            return _guard(
                lambda: fast_or(lambda: fast.put(bucket, key, body, headers), call),
                bucket=bucket,
                key=key,
            )
        return _guard(call, bucket=bucket, key=key)

    def begin_upload(self, bucket: str, key: str, *, content_type: str = "") -> str:
        """Start a multipart upload; returns its UploadId.

        Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
        RequestTimeout, StorageError.
        """

        def call() -> str:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if content_type:
                params["ContentType"] = content_type
            return str(self.client.create_multipart_upload(**params)["UploadId"])

        return _guard(call, bucket=bucket, key=key)

    def upload_chunk(
        self, bucket: str, key: str, session: str, number: int, body: Any, *, content_md5: str
    ) -> str:
        """Upload part ``number`` (1-based) of a multipart upload; returns the part's ETag.

        Raises: UploadNotFound (the upload was aborted or expired), AccessDenied,
        EndpointUnreachable, RequestTimeout, StorageError.
        """

        def call() -> str:
            params: dict[str, Any] = {
                "Bucket": bucket,
                "Key": key,
                "UploadId": session,
                "PartNumber": number,
                "Body": body,
            }
            if content_md5:
                params["ContentMD5"] = content_md5
            reply = self.client.upload_part(**params)
            return str(reply.get("ETag", "")).strip('"')

        return _guard(call, bucket=bucket, key=key)

    def list_chunks(self, bucket: str, key: str, session: str) -> list[UploadedPart]:
        """The parts the server holds for an unfinished multipart upload, by number.

        Raises: UploadNotFound, NotSupported, AccessDenied, EndpointUnreachable, StorageError.
        """

        def call(marker: int) -> tuple[list[UploadedPart], int]:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key, "UploadId": session}
            if marker:
                params["PartNumberMarker"] = marker
            reply = self.client.list_parts(**params)
            page = [
                UploadedPart(
                    number=int(p["PartNumber"]),
                    etag=str(p.get("ETag", "")).strip('"'),
                    size=int(p.get("Size", 0)),
                )
                for p in reply.get("Parts", [])
            ]
            more = reply.get("IsTruncated") and reply.get("NextPartNumberMarker")
            return page, int(reply.get("NextPartNumberMarker") or 0) if more else 0

        def walk() -> list[UploadedPart]:
            guard = PageGuard(f"{bucket}/{key}", noun="part")
            parts: list[UploadedPart] = []
            marker = 0
            while True:
                page, marker = stopping(
                    guard, _guard, functools.partial(call, marker), bucket=bucket, key=key
                )
                guard.page(len(page), marker or None)
                parts.extend(page)
                if not marker:
                    return sorted(parts, key=lambda p: p.number)

        return self._unless_lacking("ListParts", walk, bucket=bucket, key=key)

    def commit_upload(
        self, bucket: str, key: str, session: str, chunks: Iterable[tuple[int, str]]
    ) -> str:
        """Assemble the object from ``(number, etag)`` parts; returns its ETag.

        Raises: UploadNotFound, StorageError (InvalidPart when a part's ETag does not match).
        """

        def call() -> str:
            reply = self.client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=session,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": f'"{etag}"'} for n, etag in sorted(chunks)]
                },
            )
            return str(reply.get("ETag", "")).strip('"')

        return _guard(call, bucket=bucket, key=key)

    def abort_upload(self, bucket: str, key: str, session: str) -> None:
        """Abort an unfinished upload and free its parts; an unknown upload is not an error.

        Raises: NotSupported, AccessDenied, EndpointUnreachable, StorageError.
        """

        def call() -> None:
            try:
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=session)
            except bx.ClientError as exc:
                if _error_code(exc) != "NoSuchUpload":
                    raise

        self._unless_lacking("AbortMultipartUpload", call, bucket=bucket, key=key)

    def list_unfinished_uploads(self, bucket: str, prefix: str = "") -> list[UnfinishedUpload]:
        """Every unfinished multipart upload under ``prefix`` (on demand only: DESIGN §3).

        Raises: BucketNotFound, NotSupported, AccessDenied, EndpointUnreachable, StorageError.
        """

        def call(key_marker: str, upload_marker: str) -> tuple[list[UnfinishedUpload], str, str]:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if key_marker:
                params["KeyMarker"] = key_marker
                params["UploadIdMarker"] = upload_marker
            try:
                reply = self.client.list_multipart_uploads(**params)
            except bx.ClientError as exc:
                # rclone serve s3 answers NoSuchUpload for a bucket that has no uploads.
                if _error_code(exc) == "NoSuchUpload":
                    return [], "", ""
                raise
            page = [
                UnfinishedUpload(
                    bucket=bucket,
                    key=str(u["Key"]),
                    upload_id=str(u["UploadId"]),
                    initiated=_timestamp(u.get("Initiated")),
                )
                for u in reply.get("Uploads", [])
            ]
            if not reply.get("IsTruncated"):
                return page, "", ""
            return (
                page,
                str(reply.get("NextKeyMarker") or ""),
                str(reply.get("NextUploadIdMarker") or ""),
            )

        def walk() -> list[UnfinishedUpload]:
            guard = PageGuard(f"{bucket}/{prefix}", noun="unfinished upload")
            return [u for page in _pagesbelow(guard, call, bucket, prefix) for u in page]

        return self._unless_lacking("ListMultipartUploads", walk, bucket=bucket)

    def get_object(
        self,
        bucket: str,
        key: str,
        *,
        start: int = 0,
        end: int | None = None,
        if_match: str = "",
        version_id: str = "",
    ) -> S3Reader:
        """Open the object (bytes ``start``..``end`` inclusive when ``end`` is given); one
        of its versions when ``version_id`` is given (else the current one).

        ``if_match`` is the ETag the caller expects: if the object changed since it was
        listed the server refuses (PreconditionFailed → ObjectChanged) instead of sending
        bytes of another version into a resumed download.

        Raises: KeyNotFound, ObjectChanged, AccessDenied, EndpointUnreachable,
        RequestTimeout, StorageError. Reading the returned stream raises the same.
        """

        def call() -> S3Reader:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if start or end is not None:
                params["Range"] = f"bytes={start}-{'' if end is None else end}"
            if if_match:
                params["IfMatch"] = f'"{if_match}"'
            if version_id:
                params["VersionId"] = version_id
            reply = self.client.get_object(**params)
            return S3Reader(
                reply["Body"],
                size=int(reply.get("ContentLength", 0)),
                etag=str(reply.get("ETag", "")).strip('"'),
                modified=_timestamp(reply.get("LastModified")),
                bucket=bucket,
                key=key,
                content_type=str(reply.get("ContentType", "")),
                content_range=str(reply.get("ContentRange", "")),
            )

        fast = self._fast_path()
        if fast is not None:
            headers: dict[str, str] = {}
            if start or end is not None:
                headers["Range"] = f"bytes={start}-{'' if end is None else end}"
            if if_match:
                headers["If-Match"] = f'"{if_match}"'

            def fast_call() -> S3Reader:
                stream, reply = fast.get(bucket, key, headers, version_id)
                return S3Reader(
                    stream,
                    size=stream._content_length,
                    etag=str(reply.get("ETag", "")).strip('"'),
                    modified=last_modified(reply),
                    bucket=bucket,
                    key=key,
                    content_type=str(reply.get("Content-Type", "")),
                    content_range=str(reply.get("Content-Range", "")),
                )

            return _guard(lambda: fast_or(fast_call, call), bucket=bucket, key=key)
        return _guard(call, bucket=bucket, key=key)

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete one object (deleting a key that does not exist succeeds, as in S3).

        Raises: AccessDenied, EndpointUnreachable, StorageError.
        """
        _guard(lambda: self.client.delete_object(Bucket=bucket, Key=key), bucket=bucket, key=key)


class S3Reader:
    """The body of a GET: read it in chunks; errors arrive translated, like every call's."""

    def __init__(
        self,
        stream: Any,
        *,
        size: int,
        etag: str,
        modified: float,
        bucket: str,
        key: str,
        content_type: str = "",
        content_range: str = "",
    ) -> None:
        self._stream = stream
        #: The reply's Content-Length: what the server says it is sending.
        self.size = size
        self.content_type = content_type
        self.etag = etag
        self.modified = modified
        #: ``(first, last, total)`` from a ranged reply's Content-Range (``total`` -1 when
        #: the server gives "*"); None when the reply has none (a whole object, or a server
        #: that ignored the Range). The caller compares it with what it asked for.
        self.content_range = parse_content_range(content_range)
        self._where = (bucket, key)
        self._aborted = False

    def read(self, amount: int) -> bytes:
        bucket, key = self._where
        try:
            data: bytes = _guard(lambda: self._stream.read(amount), bucket=bucket, key=key)
        except StorageError:
            if self._aborted:  # the broken-off read, not a network failure
                raise Cancelled("Reading was stopped.") from None
            raise
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        return data

    def abort(self) -> None:
        """Break off a read blocked in another thread (a pause or a cancel), at once.

        A thread blocked in a socket read never sees a ``threading.Event``: the socket is
        shut down under it (urllib3's ``HTTPResponse.shutdown``, made for this), so the
        read returns and raises Cancelled instead of waiting for the read timeout.
        """
        self._aborted = True
        raw = getattr(self._stream, "_raw_stream", None)
        shutdown = getattr(raw, "shutdown", None)
        try:
            if shutdown is not None:
                shutdown()
            else:  # an older urllib3: closing the response is the next best thing
                self._stream.close()
        except Exception as exc:  # released already (read to the end), or closed: fine
            log.debug("abort of a response body: %r", exc)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> S3Reader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# ── helpers ─────────────────────────────────────────────────────────────────────────────


def _use_mfa_prompter(session: botocore.session.Session, prompter: Callable[[str], str]) -> None:
    """Make botocore's assume-role provider ask ``prompter`` instead of the terminal.

    botocore takes a prompter only as a constructor argument of its AssumeRoleProvider,
    built inside the session's credential resolver; it is swapped in place here. If a
    future botocore renames it, the profile still works without a GUI prompt (the
    terminal's), so this fails soft.
    """
    resolver = session.get_component("credential_provider")
    provider = resolver.get_provider("assume-role") if resolver is not None else None
    if provider is not None and hasattr(provider, "_prompter"):
        provider._prompter = prompter


def _parse_listing_fast(
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    operation_model: Any = None,
    **_kwargs: Any,
) -> None:
    """botocore hook: parse a successful ListObjectsV2 body with the fast parser.

    botocore still signs, sends, retries and raises for error replies; only the parsing of
    a 200 body is replaced. botocore then parses an empty listing in its place, and the
    page rides along in the parsed response under ``_FAST_PAGE``.
    """
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes) or not body:
        return
    try:
        page = parse_list_objects_v2(body, max_rows=MAX_PAGE_ROWS)
    except TooManyRows as error:
        raise PageTooLarge(f"The server sent a listing page with {error}") from None
    except ET.ParseError as exc:
        if _cut_short(response_dict, body):
            response_dict["status_code"] = 500  # the network's fault: retried, as botocore does
            return
        raise UnreadableReply("ListObjectsV2", f"it is not well-formed XML ({exc})", body) from exc
    except NotAListing as exc:
        if exc.args and exc.args[0] == "Error":
            response_dict["status_code"] = 500  # S3's "200 with an <Error>": retried as a 500
            return
        raise UnreadableReply("ListObjectsV2", f"it is a <{exc}>, not a listing", body) from exc
    customized_response_dict[_FAST_PAGE] = page
    response_dict["body"] = _EMPTY_LISTING


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=_Keyed)


def _pagesbelow(
    guard: PageGuard,
    call: Callable[[str, str], tuple[list[K], str, str]],
    bucket: str,
    prefix: str,
) -> Iterator[list[K]]:
    """The pages of a listing paged by two markers (a key and a version or upload id):
    ``call(key_marker, second_marker)`` gives a page's rows and the next markers ("" after
    the last page). Rows the server sent from outside ``prefix`` are dropped; ``guard``
    stops a listing that would never end."""
    key_marker = second_marker = ""
    while True:
        rows, key_marker, second_marker = stopping(
            guard, _guard, functools.partial(call, key_marker, second_marker), bucket=bucket
        )
        kept = [row for row in rows if row.key.startswith(prefix)]  # nothing outside it
        guard.page(len(kept), (key_marker, second_marker) if key_marker else None, sent=len(rows))
        yield kept
        if not key_marker:
            return


class _ReadBody:
    """A body already read, in the shape AWSResponse reads it from (``stream()``)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_args: Any, **_kwargs: Any) -> Iterator[bytes]:
        yield self._body


def _bound_listing_replies(client: Any) -> None:
    """Read each listing reply with a bound on its size (_BOUNDED_LISTINGS).

    botocore reads a whole reply body into memory before anything may look at it, however
    long it is: one 200 MB page took 1.5 GB (issue 13). For listing operations this sends
    the request itself (botocore's "before-send" hook may answer in its place) and reads
    the body up to the bound; a larger reply closes the connection and fails the page.
    Signing, retries and error parsing stay botocore's. botocore's HTTP session is private:
    if it is renamed, replies are read unbounded as before.
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    if session is None or not hasattr(session, "send"):
        return

    def send_bounded(request: Any, event_name: str = "", **_kwargs: Any) -> AWSResponse | None:
        limit = _BOUNDED_LISTINGS.get(event_name.rpartition(".")[2])
        if limit is None:
            return None
        request.stream_output = True  # or the session reads the whole body itself
        response = session.send(request)
        return AWSResponse(
            response.url,
            response.status_code,
            response.headers,
            _ReadBody(_read_bounded(response, limit, request.url)),
        )

    for operation in _BOUNDED_LISTINGS:
        client.meta.events.register(f"before-send.s3.{operation}", send_bounded)


def _read_bounded(response: Any, limit: int, url: str) -> bytes:
    """The body of ``response`` (a streaming AWSResponse), or PageTooLarge past ``limit``."""
    too_large = PageTooLarge(
        f"The server sent a listing page larger than {limit // (1024 * 1024)} MiB "
        "(a real page is a few MiB at most)"
    )
    raw = response.raw
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raw.close()  # drop the connection: its unread body must not be reused
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in raw.stream(_READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raw.close()
                raise too_large
            chunks.append(chunk)
    except Urllib3ReadTimeout as exc:
        raise bx.ReadTimeoutError(endpoint_url=url, error=exc) from exc
    except Urllib3Error as exc:
        raise bx.ConnectionClosedError(endpoint_url=url) from exc
    return b"".join(chunks)


def _skip_200_error_check_for_listings(client: Any) -> None:
    """Check 200 replies our way: listings once, garbage never retried.

    botocore's S3 handler for "200 with an <Error> body" parses each full response body
    with ElementTree before anything else may look at it: ~40% of a listing's client CPU.
    For ListObjectsV2 the fast parser sees the root element anyway (see
    _parse_listing_fast); every other operation gets :func:`_check_200_reply`, botocore's
    check except that a body which is not XML fails at once instead of after every retry.
    Only this client's handlers are swapped.
    """

    def check_unless_listing(operation_model: Any, response_dict: Any, **kwargs: Any) -> None:
        if operation_model.name != "ListObjectsV2":
            _check_200_reply(operation_model, response_dict)

    events = client.meta.events
    if _CHECK_200_ERROR is not None:
        events.unregister("before-parse.s3.*", _CHECK_200_ERROR)
    events.register_first("before-parse.s3.*", check_unless_listing)


#: The codes botocore makes up for an error reply without a body (HEAD's): the status.
_BODILESS_CODES = frozenset({"403", "404", "Forbidden", "NotFound"})


class UnreadableReply(Exception):
    """A complete 200 reply whose body is not S3's XML (garbage, an entity-expansion bomb,
    a proxy's HTML page). Raised from a botocore hook, so it is never retried: the same
    request would get the same body (a reply cut short is retried, see _cut_short)."""

    def __init__(self, operation: str, reason: str, body: bytes) -> None:
        super().__init__(f"{operation}: {reason}")
        self.operation = operation
        self.reason = reason
        self.start = body[:120]


def _check_200_reply(operation_model: Any, response_dict: Any) -> None:
    """botocore's check of a 200 XML body, except that garbage is not retried.

    S3 may answer 200 with an ``<Error>`` body: that becomes a 500, retried as botocore
    does. botocore also treats a body that is not XML at all as a reply cut short by the
    network: a 500, retried with backoff, to end after every attempt as "Internal Server
    Error". That is kept for a body that did arrive short; one that arrived whole is
    UnreadableReply at once.
    """
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes) or not body.strip():
        return
    output = operation_model.output_shape
    if output is None or operation_model.has_event_stream_output:
        return
    payload = output.serialization.get("payload")
    if payload is not None and output.members[payload].type_name in ("blob", "string"):
        return  # the body is the object's own bytes (GetObject and the like)
    parser = ET.XMLParser(target=ET.TreeBuilder())
    try:
        parser.feed(body)
        root = parser.close()
    except ET.ParseError as exc:
        if _cut_short(response_dict, body):
            response_dict["status_code"] = 500  # the network's fault: retried, as botocore does
            return
        raise UnreadableReply(
            operation_model.name, f"it is not well-formed XML ({exc})", body
        ) from exc
    if root.tag == "Error":
        response_dict["status_code"] = 500


def _cut_short(response_dict: Any, body: bytes) -> bool:
    """Whether ``body`` may be less than the server sent: shorter than its Content-Length
    (botocore reads what arrives before the connection closes), or encoded so that its
    length cannot be compared. Otherwise the body is whole and asking again is pointless."""
    headers = response_dict.get("headers") or {}
    if headers.get("content-encoding", "identity") not in ("", "identity"):
        return True
    declared = headers.get("content-length")
    return declared is not None and declared.isdigit() and int(declared) > len(body)


#: Bodies below this go without "Expect: 100-continue" (see the function below).
_EXPECT_CONTINUE_MIN = 1024 * 1024


def _expect_continue_only_for_large_bodies(client: Any) -> None:
    """Send small bodies at once instead of waiting for the server's "100 Continue".

    botocore asks for 100-continue on every PUT with a body: a whole round trip before
    each small file is sent, for a benefit (the server refusing before the body is sent)
    that only matters for large bodies. Only this client's handler is swapped.
    """
    add_expect = getattr(botocore_handlers, "add_expect_header", None)
    if add_expect is None:
        return

    def add_expect_for_large(model: Any, params: Any, **kwargs: Any) -> None:
        body = params.get("body")
        length = botocore_utils.determine_content_length(body) if body is not None else None
        if length is not None and length < _EXPECT_CONTINUE_MIN:
            return
        add_expect(model, params, **kwargs)

    events = client.meta.events
    events.unregister("before-call.s3", add_expect)
    events.register("before-call.s3", add_expect_for_large)


def _page_from_botocore(reply: Any) -> ListPage:
    prefixes = [
        Entry(key=p["Prefix"], is_prefix=True)
        for p in reply.get("CommonPrefixes", [])
        if p.get("Prefix")
    ]
    objects = [
        Entry(
            key=o["Key"],
            size=int(o.get("Size", 0)),
            modified=_timestamp(o.get("LastModified")),
            etag=o.get("ETag", "").strip('"'),
            storage_class=sys.intern(str(o.get("StorageClass", ""))),
        )
        for o in reply.get("Contents", [])
    ]
    next_token = reply.get("NextContinuationToken", "") if reply.get("IsTruncated") else ""
    return ListPage(prefixes=prefixes, objects=objects, next_token=next_token)


def _timestamp(value: object) -> float:
    return value.timestamp() if isinstance(value, datetime) else 0.0


def _guard(call: Callable[[], T], *, bucket: str = "", key: str = "") -> T:
    """Run ``call`` and translate whatever botocore raises into our own errors."""
    try:
        return call()
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise translate_error(exc, bucket=bucket, key=key) from exc


def _versioned(call: Callable[[], T], *, bucket: str = "", key: str = "") -> T:
    """``_guard`` for version calls: a server that keeps no versions says so plainly."""
    try:
        return _guard(call, bucket=bucket, key=key)
    except StorageError as error:
        if error.code not in ("NotImplemented", "MethodNotAllowed"):
            raise
        raise NoVersioning(
            "This server does not keep object versions.",
            hint="Versions need a server (and a bucket) with versioning turned on.",
            detail=error.detail,
            code=error.code,
        ) from error


#: How a server says it has no such API (the codes, or only the status without a body).
_UNSUPPORTED_CODES = frozenset({"NotImplemented", "MethodNotAllowed", "501", "405"})

_UNSUPPORTED = {
    "ListParts": (
        "This server cannot list the parts of an incomplete upload (no ListParts).",
        "An interrupted upload to it starts again from the beginning.",
    ),
    "ListMultipartUploads": (
        "This server does not support listing incomplete uploads (no ListMultipartUploads).",
        "They cannot be cleaned up from here; the server's own tools may do it.",
    ),
    "AbortMultipartUpload": (
        "This server does not support aborting incomplete uploads (no AbortMultipartUpload).",
        "Their parts stay until the server expires them; its own tools may remove them.",
    ),
}


def _not_supported(api: str, error: StorageError | None = None) -> NotSupported:
    message, hint = _UNSUPPORTED.get(api, (f"This server does not support {api}.", ""))
    return NotSupported(
        message,
        hint=hint,
        detail=error.detail if error else f"{api}: not implemented (remembered)",
        code=error.code if error else "NotImplemented",
    )


_CREDENTIAL_CODES = {
    "InvalidAccessKeyId": (
        "The server does not know this access key ID.",
        "Check the access key ID of this connection.",
    ),
    "SignatureDoesNotMatch": (
        "The secret key does not match the access key ID.",
        "Check the secret access key of this connection.",
    ),
    "ExpiredToken": (
        "The session token has expired.",
        "Sign in again or renew the temporary credentials.",
    ),
    "InvalidToken": ("The session token is not valid.", "Check or renew the session token."),
    "TokenRefreshRequired": ("The session token must be renewed.", "Sign in again."),
    "RequestTimeTooSkewed": (
        "Your computer's clock differs too much from the server's.",
        "Set the system clock to the correct time (enable network time).",
    ),
    "InvalidClientTokenId": (
        "The server does not know these credentials.",
        "Check the access key ID.",
    ),
}


def translate_error(exc: BaseException, *, bucket: str = "", key: str = "") -> CloudBrowserError:
    """Map a botocore/urllib3 exception to the cloudbrowser error a user can act on."""
    where = f"“{bucket}/{key}”" if key else (f"bucket “{bucket}”" if bucket else "the server")
    if isinstance(exc, UnreadableReply | ResponseParserError):
        operation = exc.operation if isinstance(exc, UnreadableReply) else "the request"
        detail = (
            f"{exc.reason}; the reply began with {exc.start!r}"
            if isinstance(exc, UnreadableReply)
            else str(exc)
        )
        return StorageError(
            f"The server's reply to {operation} for {where} could not be read.",
            hint="The server (or a proxy in front of it) sent something other than S3's XML. "
            "Check the endpoint URL; if it is right, the server is at fault: report it to "
            "its operator.",
            detail=detail,
            code="UnreadableReply",
        )
    if isinstance(exc, bx.ClientError):
        return _translate_client_error(exc, bucket=bucket, key=key, where=where)
    if isinstance(exc, bx.SSLError):
        return TLSError(
            "The secure (TLS) connection to the server failed.",
            hint="Check the endpoint URL (http vs https) and the server's certificate.",
            detail=str(exc),
        )
    if isinstance(exc, bx.ConnectTimeoutError):
        return EndpointUnreachable(
            "The server did not accept a connection in time.",
            hint="Check the endpoint URL and your network connection.",
            detail=str(exc),
        )
    if isinstance(exc, bx.ReadTimeoutError):
        return RequestTimeout(
            "The server accepted the request but did not answer in time.",
            hint="Try again; if it keeps happening, the server may be overloaded.",
            detail=str(exc),
        )
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError | bx.HTTPClientError):
        return EndpointUnreachable(
            "Cannot connect to the server.",
            hint="Check the endpoint URL, that the server is running, and your network.",
            detail=str(exc),
        )
    if isinstance(exc, bx.IncompleteReadError):
        # The server closed the connection in the middle of a body (it died or restarted).
        return EndpointUnreachable(
            "The connection to the server broke off in the middle of a reply.",
            hint="Check that the server is running and your network, then retry.",
            detail=str(exc),
        )
    if isinstance(
        exc, bx.SSOTokenLoadError | bx.UnauthorizedSSOTokenError | bx.TokenRetrievalError
    ):
        return InvalidCredentials(
            "The IAM Identity Center (SSO) sign-in is missing or has expired.",
            hint="Connect to this AWS profile again to sign in (or run “aws sso login”).",
            detail=str(exc),
            code="SSOLoginRequired",
        )
    if isinstance(exc, bx.RefreshWithMFAUnsupportedError):
        return InvalidCredentials(
            "The role's temporary credentials need a new MFA code.",
            hint="Close the connection and open it again to enter a fresh code.",
            detail=str(exc),
        )
    if isinstance(exc, bx.CredentialRetrievalError | bx.InvalidConfigError):
        return InvalidCredentials(
            "The AWS profile's credentials could not be obtained.",
            hint="Check its credential_process, role or source_profile in ~/.aws/config.",
            detail=str(exc),
        )
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return InvalidCredentials(
            "No credentials were found for this connection.",
            hint="Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose an AWS profile.",
            detail=str(exc),
        )
    if isinstance(exc, bx.ProfileNotFound):
        return ConfigError(
            f"The AWS profile was not found: {exc.kwargs.get('profile', '')}.",
            hint="Check the profile name in ~/.aws/config.",
        )
    if isinstance(exc, bx.NoRegionError):
        return ConfigError("No region is set for this connection.", hint="Choose a region.")
    if (
        isinstance(exc, bx.InvalidEndpointConfigurationError | ValueError)
        and "endpoint" in str(exc).lower()
    ):
        return ConfigError(
            "The endpoint URL is not valid.",
            hint="Write it like https://s3.example.com or http://127.0.0.1:9000.",
            detail=str(exc),
        )
    if isinstance(exc, bx.BotoCoreError):
        return StorageError(f"Request to {where} failed.", detail=str(exc))
    return StorageError(f"Request to {where} failed unexpectedly.", detail=repr(exc))


def _error_code(exc: bx.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate_client_error(
    exc: bx.ClientError, *, bucket: str, key: str, where: str
) -> CloudBrowserError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    meta = exc.response.get("ResponseMetadata", {})
    detail = (
        f"{code or status}: {error.get('Message', '')} (request id {meta.get('RequestId', '-')})"
    )
    if code in _CREDENTIAL_CODES:
        message, hint = _CREDENTIAL_CODES[code]
        return InvalidCredentials(message, hint=hint, detail=detail, code=code)
    if code == "NoSuchUpload":
        return UploadNotFound(
            f"The multipart upload of {where} no longer exists on the server.",
            hint="It was aborted or expired; the file is uploaded again from the start.",
            detail=detail,
            code=code,
        )
    if code == "PreconditionFailed" or status == 412:
        return ObjectChanged(
            f"{where} changed on the server since the transfer began.",
            hint="Retry to transfer the current version from the start.",
            detail=detail,
            code=code,
        )
    if code in ("BadDigest", "InvalidDigest"):
        return IntegrityError(
            f"The server received different bytes than were sent for {where}.",
            hint="The file may have changed while it was read, or the network corrupted it; retry.",
            detail=detail,
            code=code,
        )
    if code == "NoSuchBucket" or (code in ("404", "NotFound") and not key):
        return BucketNotFound(
            f"The bucket “{bucket}” does not exist (it may have been deleted).",
            hint="Refresh the bucket list.",
            detail=detail,
            code=code,
        )
    if code in ("NoSuchKey", "404", "NotFound") or status == 404:
        return (
            KeyNotFound(
                f"{where} does not exist (it may have been deleted or moved).",
                hint="Refresh the listing.",
                detail=detail,
                code=code,
            )
            if key
            else NotFound(f"{where} was not found.", detail=detail, code=code)
        )
    if code in ("AccessDenied", "AllAccessDisabled", "403", "Forbidden") or status == 403:
        return AccessDenied(
            f"Access to {where} is denied.",
            hint="These credentials lack permission; ask the bucket's owner for access.",
            detail=detail,
            code=code,
        )
    if code in ("SlowDown", "Throttling", "ThrottlingException", "TooManyRequests") or status in (
        429,
        503,
    ):
        return Throttled(
            "The server is busy and asked to slow down.",
            hint="Try again in a moment.",
            detail=detail,
            code=code,
        )
    if code in ("BucketAlreadyExists", "BucketAlreadyOwnedByYou"):
        return AlreadyExists(
            f"The bucket “{bucket}” already exists.",
            hint="Bucket names are global: choose another name.",
            detail=detail,
            code=code,
        )
    if code in ("RequestTimeout",):
        return RequestTimeout("The request timed out on the server.", detail=detail, code=code)
    if code == "PermanentRedirect" or status == 301:
        return ConfigError(
            f"The {where} is in another region than this connection.",
            hint="Set the connection's region to the bucket's region.",
            detail=detail,
        )
    message = str(error.get("Message") or code or f"HTTP {status}")
    return StorageError(
        f"The server refused the request for {where}: {message}", detail=detail, code=code
    )


if TYPE_CHECKING:
    # mypy checks here that S3Backend implements the interface and every capability.
    def _implements(
        backend: S3Backend,
    ) -> tuple[
        Storage, ChunkedUploads, ServerCopy, BatchDelete, Versions, ShareLinks, ObjectProperties
    ]:
        return (backend, backend, backend, backend, backend, backend, backend)
