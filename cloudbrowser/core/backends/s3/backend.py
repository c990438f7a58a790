"""S3Backend: the storage interface (core/storage.py) and every capability, over S3.

Each method builds its request and reads its reply; the client and its botocore hooks are
made in ``client.py``, botocore's exceptions become cloudbrowser's errors in ``errors.py``.

Every method is safe to call from any worker thread at the same time: the botocore client
is created once (lazily, on first use, so the ~0.4 s it costs never lands on the GUI thread
or on start-up) and shared, which botocore supports for clients (not for sessions).

Path convention (as in rclone's backends): methods take a ``bucket`` and a ``key`` or
``prefix`` inside it; a prefix is "" or ends with "/" (see ``core/keys.py``). Every method
raises only :class:`~cloudbrowser.core.errors.CloudBrowserError` subclasses; the ones it may
raise are listed in each docstring. botocore exceptions never escape this package.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import botocore.exceptions as bx

from cloudbrowser.core.backends.link_ends import v4_end
from cloudbrowser.core.backends.s3 import classes
from cloudbrowser.core.backends.s3.client import FAST_PAGE, make_client
from cloudbrowser.core.backends.s3.errors import (
    UNSUPPORTED_CODES,
    error_code,
    not_supported,
    refused_keys,
    translate_error,
)
from cloudbrowser.core.backends.s3.errors import guard as _guard
from cloudbrowser.core.backends.s3.errors import versioned as _versioned
from cloudbrowser.core.backends.s3.fast import (
    FAST_PATH_ON,
    FAST_PUT_LIMIT,
    FastPath,
    fast_or,
    last_modified,
    parse_content_range,
)
from cloudbrowser.core.backends.s3.features import LIMITS, STORAGE_CLASS_OFFER, features
from cloudbrowser.core.backends.s3.listing import below
from cloudbrowser.core.checksums import etag_md5_unless_kms, md5_in_etag
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.details import (
    ObjectDetails,
    UnfinishedUpload,
    UploadedPart,
    Version,
    VersionPage,
)
from cloudbrowser.core.entries import Bucket, Entry, ListPage, ObjectInfo
from cloudbrowser.core.errors import (
    AccessDenied,
    BucketNotFound,
    Cancelled,
    CloudBrowserError,
    ConfigError,
    InvalidCredentials,
    NotFound,
    ObjectChanged,
    StorageError,
    refused_as_created,
)
from cloudbrowser.core.interrupt import elsewhere
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.paging import PageGuard, pages_below, stopping
from cloudbrowser.core.storage import (
    BatchDelete,
    ChunkedUploads,
    Features,
    LinkGrant,
    ObjectProperties,
    ServerCopy,
    ShareLink,
    ShareLinks,
    Storage,
    StorageClasses,
    StorageClassOffer,
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
MAX_DELETE_BATCH = LIMITS.max_delete_batch


#: The codes botocore makes up for an error reply without a body (HEAD's): the status.
_BODILESS_CODES = frozenset({"403", "404", "Forbidden", "NotFound"})


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
        #: APIs this server answered NotImplemented/MethodNotAllowed to (docs/architecture.md
        #: §5: try once, remember): they are not asked again on this connection.
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
                    self._client = _guard(
                        lambda: make_client(self.settings, self._credentials, self._mfa_prompter)
                    )
        return self._client

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
            raise not_supported(api)
        try:
            return _guard(call, bucket=bucket, key=key)
        except StorageError as error:
            if error.code not in UNSUPPORTED_CODES:
                raise
            self._lacking.add(api)
            raise not_supported(api, error) from error

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
        self,
        bucket: str,
        prefix: str = "",
        token: str = "",
        *,
        recursive: bool = False,
        ahead: bool = False,
    ) -> ListPage:
        """One page of the objects and common prefixes directly under ``prefix``.

        ``token`` is the ``next_token`` of the previous page ("" for the first page). Keys
        come in the server's order. With ``recursive`` no delimiter is sent: every key below
        ``prefix`` comes back as an object and there are no prefixes. Never sends a HEAD per
        object. ``ahead`` is not used here: botocore sends one request at a time (the fast
        path of ``lazy.LazyS3`` asks for the next page ahead).

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
            page = reply.get(FAST_PAGE)
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
                md5=etag_md5_unless_kms(r.get("ETag", ""), r.get("ServerSideEncryption", "")),
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
                    self.settings._replace(region=where),
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
                if error_code(exc) != "BucketNotEmpty":
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

        def call() -> list[tuple[str, str, str]]:
            reply = self.client.delete_objects(
                Bucket=bucket,
                Delete={"Objects": objects, "Quiet": True},
            )
            return [
                (str(item.get("Key", "")), item.get("Code", ""), item.get("Message", ""))
                for item in reply.get("Errors", [])
            ]

        fast = self._fast_path()
        if fast is not None:
            pairs = [(o["Key"], o.get("VersionId", "")) for o in objects]
            refused = _guard(
                lambda: fast_or(lambda: fast.delete(bucket, pairs), call), bucket=bucket
            )
        else:
            refused = _guard(call, bucket=bucket)
        return refused_keys(refused, bucket)

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        """Copy an object on the server (no bytes pass through here); returns the new ETag.
        ``create_only`` is sent as If-None-Match: * (412 where the name is taken).

        One CopyObject request: objects up to 5 GiB (S3's limit for it).
        Raises: KeyNotFound, BucketNotFound, AccessDenied, InvalidCredentials,
        EndpointUnreachable, CreatedMeanwhile (``create_only``), StorageError.
        """

        def call() -> str:
            params: dict[str, Any] = {
                "Bucket": bucket,
                "Key": key,
                "CopySource": {"Bucket": src_bucket, "Key": src_key},
            }
            if create_only:
                params["IfNoneMatch"] = "*"
            reply = self.client.copy_object(**params)
            return str(reply.get("CopyObjectResult", {}).get("ETag", "")).strip('"')

        fast = self._fast_path()
        headers = {"If-None-Match": "*"} if create_only else {}
        try:
            with refused_as_created(create_only, bucket, key):
                if fast is not None:
                    return _guard(
                        lambda: fast_or(
                            lambda: fast.copy(src_bucket, src_key, bucket, key, headers), call
                        ),
                        bucket=src_bucket,
                        key=src_key,
                    )
                return _guard(call, bucket=src_bucket, key=src_key)
        except StorageError as error:
            # A server that takes If-None-Match on PutObject may not on CopyObject:
            # NotSupported, so that the caller looks at the name instead.
            if not create_only or error.code not in UNSUPPORTED_CODES:
                raise
            raise not_supported("CopyObject with If-None-Match", error) from error

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

    def share_link(
        self, bucket: str, key: str, expires_in: int, *, accepted: LinkGrant | None = None
    ) -> ShareLink:
        """A URL that downloads ``key`` without credentials for ``expires_in`` seconds,
        ending when its signature says (botocore signs with its own clock's second).

        No request is sent: the URL is signed locally (it may name a key that does not
        exist). Raises: InvalidCredentials (nothing to sign with), ConfigError.
        """
        del accepted  # signed for itself: it never carries the connection's credential

        def call() -> str:
            return str(
                self.client.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
                )
            )

        url = _guard(call, bucket=bucket, key=key)
        return ShareLink(url, v4_end(url, "Amz"))

    # ── versions ────────────────────────────────────────────────────────────────────────
    #
    # On demand only (docs/architecture.md §3): nothing here runs for a normal listing.
    # Servers that keep no versions (rclone serve s3) answer NotImplemented; that becomes
    # NoVersioning.

    def bucket_versioning(self, bucket: str) -> str:
        """The bucket's versioning state: ``"Enabled"``, ``"Suspended"`` (versions kept so
        far remain) or ``""`` (never turned on: objects have only their current version).

        Raises: NoVersioning (the server keeps no versions at all), BucketNotFound,
        AccessDenied, InvalidCredentials, EndpointUnreachable, StorageError.
        """

        def call() -> str:
            return str(self.client.get_bucket_versioning(Bucket=bucket).get("Status", ""))

        return _versioned(call, bucket=bucket)

    def set_bucket_versioning(self, bucket: str, on: bool) -> None:
        """``Enabled``, or ``Suspended``: S3 never turns versioning off once it was on."""

        def call() -> None:
            self.client.put_bucket_versioning(
                Bucket=bucket,
                VersioningConfiguration={"Status": "Enabled" if on else "Suspended"},
            )

        _versioned(call, bucket=bucket)

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
        """One ListObjectVersions page (see :class:`~cloudbrowser.core.storage.Versions`):
        versions, delete markers and common prefixes each in the server's order (by key,
        newest first per key), rows outside ``prefix`` included.

        Raises: NoVersioning, BucketNotFound, AccessDenied, InvalidCredentials,
        EndpointUnreachable, StorageError.
        """

        def call() -> VersionPage:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if limit:
                params["MaxKeys"] = limit
            if delimited:
                params["Delimiter"] = DELIMITER
            if key_marker:
                params["KeyMarker"] = key_marker
                if version_marker:
                    params["VersionIdMarker"] = version_marker
            reply = self.client.list_object_versions(**params)
            more = bool(reply.get("IsTruncated"))
            return VersionPage(
                versions=[
                    Version(
                        key=str(v["Key"]),
                        version_id=str(v.get("VersionId", "")),
                        modified=_timestamp(v.get("LastModified")),
                        size=int(v.get("Size", 0)),
                        etag=str(v.get("ETag", "")).strip('"'),
                        is_latest=bool(v.get("IsLatest")),
                    )
                    for v in reply.get("Versions", [])
                ],
                markers=[
                    Version(
                        key=str(m["Key"]),
                        version_id=str(m.get("VersionId", "")),
                        modified=_timestamp(m.get("LastModified")),
                        is_latest=bool(m.get("IsLatest")),
                        delete_marker=True,
                    )
                    for m in reply.get("DeleteMarkers", [])
                ],
                prefixes=[
                    str(p["Prefix"]) for p in reply.get("CommonPrefixes", []) if p.get("Prefix")
                ],
                next_key_marker=str(reply.get("NextKeyMarker", "") or "") if more else "",
                next_version_marker=str(reply.get("NextVersionIdMarker", "") or "") if more else "",
            )

        return _versioned(call, bucket=bucket)

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
        if not self.features.tags:
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
        if target.size > self.features.limits.max_server_copy:
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
        if target.is_archived(self.features.archive_tiers):
            raise ConfigError(
                f"This object is in the {target.storage_class} archive tier: its metadata "
                "cannot be changed until it is restored.",
                hint="Restore the object first, then change its metadata.",
            )
        return self.copy_in_place(target)

    def copy_in_place(self, target: ObjectDetails) -> str:
        """``replace_metadata`` past its checks (also how ``set_storage_class`` moves an
        object into an archive class): CopyObject onto itself with ``target``'s headers."""
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
                if error_code(exc) == "PreconditionFailed":
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
        if not self.features.object_acls:
            return {}
        try:
            reply = self.client.get_object_acl(Bucket=bucket, Key=key)
        except bx.ClientError as exc:
            if error_code(exc) in (
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

    # ── storage classes (backends/s3/classes.py) ─────────────────────────────────────────

    def storage_class_offer(self) -> StorageClassOffer:
        return STORAGE_CLASS_OFFER

    def set_storage_class(self, bucket: str, key: str, storage_class: str) -> None:
        """A copy in place with the new class (a new version in a versioned bucket).

        Raises: ConfigError (an unknown class; an archived object not restored; SSE-C),
        ObjectChanged, KeyNotFound, AccessDenied, EndpointUnreachable, StorageError.
        """
        classes.set_storage_class(self, bucket, key, storage_class)

    def restore_archived(
        self, bucket: str, key: str, *, days: int = 0, priority: str = "", target: str = ""
    ) -> bool:
        """RestoreObject (``target`` is Azure's; S3 keeps the object in its class).

        Raises: ConfigError (an unknown retrieval tier), KeyNotFound, AccessDenied,
        EndpointUnreachable, StorageError.
        """
        return classes.restore_archived(self, bucket, key, days=days, priority=priority)

    def put_object(
        self,
        bucket: str,
        key: str,
        body: Any,
        *,
        content_md5: str,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Store one object in a single request; returns its ETag (without quotes).
        ``if_match`` is sent as If-Match (S3 answers 412, or 404 NoSuchKey where the
        object is gone), ``create_only`` as If-None-Match: * (412 where one exists).

        Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
        RequestTimeout, ObjectChanged, KeyNotFound (``if_match``), CreatedMeanwhile
        (``create_only``), StorageError (BadDigest when the body changed on the way).
        """

        def call() -> str:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
            if content_md5:
                params["ContentMD5"] = content_md5
            if content_type:
                params["ContentType"] = content_type
            if if_match:
                params["IfMatch"] = f'"{if_match}"'
            if create_only:
                params["IfNoneMatch"] = "*"
            return str(self.client.put_object(**params).get("ETag", "")).strip('"')

        # Inside core/interrupt.stoppable (a transfer's upload): what cannot be broken off
        # (making the client, botocore's PUT) runs on a runner, the fast PUT right here.
        fast = self._fast_path() if self._fast is not None else elsewhere(self._fast_path)
        slow = functools.partial(elsewhere, call)
        if fast is not None and isinstance(body, bytes) and len(body) < FAST_PUT_LIMIT:
            headers = {"Content-MD5": content_md5} if content_md5 else {}
            if content_type:
                headers["Content-Type"] = content_type
            if if_match:
                headers["If-Match"] = f'"{if_match}"'
            if create_only:
                headers["If-None-Match"] = "*"
            with refused_as_created(create_only, bucket, key):
                return _guard(
                    lambda: fast_or(lambda: fast.put(bucket, key, body, headers), slow),
                    bucket=bucket,
                    key=key,
                )
        with refused_as_created(create_only, bucket, key):
            return _guard(slow, bucket=bucket, key=key)

    def begin_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Start a multipart upload; returns its UploadId (``if_match`` and
        ``create_only`` go with the commit, CompleteMultipartUpload).

        Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
        RequestTimeout, StorageError.
        """

        del if_match, create_only

        def call() -> str:
            params: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if content_type:
                params["ContentType"] = content_type
            return str(self.client.create_multipart_upload(**params)["UploadId"])

        return _guard(call, bucket=bucket, key=key)

    def upload_chunk(
        self,
        bucket: str,
        key: str,
        session: str,
        number: int,
        body: Any,
        *,
        content_md5: str,
        offset: int = -1,
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
                    token=str(p.get("ETag", "")).strip('"'),
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
        """Assemble the object from ``(number, etag)`` parts; returns its ETag (S3 keeps
        no MD5 of the whole: ``content_md5`` is not sent). ``if_match`` and
        ``create_only`` are sent as If-Match and If-None-Match, as ``put_object``'s.

        Raises: UploadNotFound, ObjectChanged, KeyNotFound (``if_match``),
        CreatedMeanwhile (``create_only``), StorageError (InvalidPart when a part's ETag
        does not match).
        """

        del content_md5

        def call() -> str:
            params: dict[str, Any] = {
                "Bucket": bucket,
                "Key": key,
                "UploadId": session,
                "MultipartUpload": {
                    "Parts": [{"PartNumber": n, "ETag": f'"{etag}"'} for n, etag in sorted(chunks)]
                },
            }
            if if_match:
                params["IfMatch"] = f'"{if_match}"'
            if create_only:
                params["IfNoneMatch"] = "*"
            reply = self.client.complete_multipart_upload(**params)
            return str(reply.get("ETag", "")).strip('"')

        with refused_as_created(create_only, bucket, key):
            return _guard(call, bucket=bucket, key=key)

    def abort_upload(self, bucket: str, key: str, session: str) -> None:
        """Abort an unfinished upload and free its parts; an unknown upload is not an error.

        Raises: NotSupported, AccessDenied, EndpointUnreachable, StorageError.
        """

        def call() -> None:
            try:
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=session)
            except bx.ClientError as exc:
                if error_code(exc) != "NoSuchUpload":
                    raise

        self._unless_lacking("AbortMultipartUpload", call, bucket=bucket, key=key)

    def list_unfinished_uploads(self, bucket: str, prefix: str = "") -> list[UnfinishedUpload]:
        """Every unfinished multipart upload under ``prefix`` (on demand only:
        docs/architecture.md §3).

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
                if error_code(exc) == "NoSuchUpload":
                    return [], "", ""
                raise
            page = [
                UnfinishedUpload(
                    bucket=bucket,
                    key=str(u["Key"]),
                    session=str(u["UploadId"]),
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

            def page(
                key_marker: str, upload_marker: str
            ) -> tuple[list[UnfinishedUpload], str, str]:
                return _guard(lambda: call(key_marker, upload_marker), bucket=bucket)

            return [u for rows in pages_below(guard, page, prefix) for u in rows]

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
        range_md5: bool = False,  # never offered (features.range_md5_max): ignored
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
                md5=etag_md5_unless_kms(
                    str(reply.get("ETag", "")), str(reply.get("ServerSideEncryption", ""))
                ),
            )

        # Inside core/interrupt.stoppable (a transfer's read): what cannot be broken off
        # (making the client, botocore's GET) runs on a runner, the fast GET right here.
        fast = self._fast_path() if self._fast is not None else elsewhere(self._fast_path)
        slow = functools.partial(elsewhere, call, discard=_close_reader)
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
                    md5=etag_md5_unless_kms(
                        str(reply.get("ETag", "")),
                        str(reply.get("x-amz-server-side-encryption", "")),
                    ),
                )

            return _guard(lambda: fast_or(fast_call, slow), bucket=bucket, key=key)
        return _guard(slow, bucket=bucket, key=key)

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
        md5: str = "",
    ) -> None:
        self._stream = stream
        self.md5 = md5
        #: S3 sends its CRC checksums only when asked (ChecksumMode), which is not done.
        self.crc32c = ""
        self.range_md5 = ""
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


def _object_from_botocore(o: Any) -> Entry:
    etag = o.get("ETag", "").strip('"')
    return Entry(
        key=o["Key"],
        size=int(o.get("Size", 0)),
        modified=_timestamp(o.get("LastModified")),
        etag=etag,
        storage_class=sys.intern(str(o.get("StorageClass", ""))),
        md5=md5_in_etag(etag),  # the same string where the ETag is an MD5
    )


def _page_from_botocore(reply: Any) -> ListPage:
    prefixes = [
        Entry(key=p["Prefix"], is_prefix=True)
        for p in reply.get("CommonPrefixes", [])
        if p.get("Prefix")
    ]
    objects = [_object_from_botocore(o) for o in reply.get("Contents", [])]
    next_token = reply.get("NextContinuationToken", "") if reply.get("IsTruncated") else ""
    return ListPage(prefixes=prefixes, objects=objects, next_token=next_token)


def _timestamp(value: object) -> float:
    return value.timestamp() if isinstance(value, datetime) else 0.0


if TYPE_CHECKING:
    # mypy checks here that S3Backend implements the interface and every capability.
    def _implements(
        backend: S3Backend,
    ) -> tuple[
        Storage,
        ChunkedUploads,
        ServerCopy,
        BatchDelete,
        Versions,
        ShareLinks,
        ObjectProperties,
        StorageClasses,
    ]:
        return (backend, backend, backend, backend, backend, backend, backend, backend)


__all__ = ["S3Backend", "S3Reader", "parse_content_range", "translate_error"]


def _close_reader(reader: S3Reader) -> None:
    """Close the reply of a GET whose caller stopped waiting for it."""
    reader.close()
