"""GcsBackend: the storage interface over Google Cloud Storage's JSON API.

Requests go through one google-auth ``AuthorizedSession`` (a requests session that signs
and renews tokens itself): listing pages and bytes as plain JSON API calls, which measured
faster than google-cloud-storage's objects for the same requests (see the commit that
chose it); google-cloud-storage only signs share links.

**Revisions.** An object's revision tag (``etag`` of entries, ObjectInfo, a reader) is the
hex MD5 of its bytes where GCS keeps one — which the engine checks what a write answered
with, as S3's ETag — and its generation where it does not (composite objects). Its
checksums are data of their own: ``md5`` and ``crc32c`` (from ``md5Hash``/``crc32c``, and
a read's ``x-goog-hash``, which names the whole object's even for a range). A read's
``if_match`` is checked by the server as ``ifGenerationMatch`` for a generation, and for
an MD5 against the ``x-goog-hash`` of the very reply that carries the bytes (GCS has no
precondition on an MD5; the reply's hash describes exactly the bytes sent).
``version_id`` is a generation.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from cloudbrowser.core.backends import http_pool
from cloudbrowser.core.backends.gcs import auth, batch, fast
from cloudbrowser.core.backends.gcs.errors import (
    denied,
    no_bucket,
    reply_error,
    translate_exception,
)
from cloudbrowser.core.backends.gcs.features import FEATURES, LIMITS
from cloudbrowser.core.backends.gcs.rewrite import RewriteGuard
from cloudbrowser.core.backends.gcs.uploads import ResumableUploads
from cloudbrowser.core.backends.link_ends import v4_end
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.details import ObjectDetails, Version, VersionPage
from cloudbrowser.core.entries import Bucket, Entry, ListPage, ObjectInfo
from cloudbrowser.core.errors import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    Cancelled,
    CloudBrowserError,
    ConfigError,
    IntegrityError,
    InvalidCredentials,
    KeyNotFound,
    NoProject,
    NotFound,
    NotSupported,
    ObjectChanged,
    StorageError,
    refused_as_created,
)
from cloudbrowser.core.interrupt import elsewhere, stop_point
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.storage import Features, ShareLink, StorageClassOffer

if TYPE_CHECKING:
    from google.auth.credentials import Signing

    from cloudbrowser.core.storage import (
        BatchDelete,
        ChunkedUploads,
        LinkGrant,
        ObjectProperties,
        ServerCopy,
        ShareLinks,
        SoftDeletes,
        Storage,
        StorageClasses,
        Versions,
    )

log = logging.getLogger(__name__)

#: GCS's storage classes. ARCHIVE objects are read like any other (no restore: reads cost
#: a retrieval fee and there is a 365-day minimum storage duration), so none is "archive".
OFFER = StorageClassOffer(names=("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"))

_MD5_HEX = re.compile(r"[0-9a-f]{32}")
#: The fields of an object a listing row needs (the rest is not sent).
_ROW_FIELDS = "name,size,updated,md5Hash,generation,storageClass,timeDeleted"
#: The fields of a soft-deleted object's row.
_SOFT_FIELDS = "name,size,updated,md5Hash,generation,softDeleteTime,hardDeleteTime"


def revision(item: Mapping[str, Any]) -> str:
    """An object's revision tag: the hex MD5 of its bytes, else its generation (composite
    objects)."""
    return revision_of(_b64_hex(item.get("md5Hash")), str(item.get("generation", "")))


def revision_of(md5_hex: str, generation: str) -> str:
    return md5_hex or generation


def checksums_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """The object's (MD5, CRC32C), lower-case hex ("" where GCS keeps none)."""
    return _b64_hex(item.get("md5Hash")), _b64_hex(item.get("crc32c"))


def _b64_hex(value: object) -> str:
    if not value:
        return ""
    try:
        return base64.b64decode(str(value)).hex()
    except (ValueError, binascii.Error):
        return ""


def generation_of(tag: str) -> str:
    """The generation a revision tag names ("" for an MD5)."""
    head = tag.partition("/")[0]
    return head if head.isdigit() else ""


def timestamp(value: object) -> float:
    """POSIX seconds of an RFC 3339 time ("2024-05-01T10:00:00.123Z"); 0.0 when absent."""
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def object_path(bucket: str, key: str) -> str:
    return f"/b/{quote(bucket, safe='')}/o/{quote(key, safe='')}"


class GcsBackend:
    """One connection to Google Cloud Storage (or an emulator of it)."""

    def __init__(
        self, settings: ConnectionSettings, credentials: Credentials | None, *, page_size: int
    ) -> None:
        self.settings = settings
        self.page_size = max(1, min(page_size, LIMITS.max_page))
        self._secret = credentials
        self.base, self.emulator = auth.endpoint(settings)
        self._lock = threading.Lock()
        self.uploads = ResumableUploads(self)
        #: The server refused a batch request: deletes go one by one.
        self._no_batch = False

    @property
    def features(self) -> Features:
        return FEATURES

    # ── transport ───────────────────────────────────────────────────────────────────────

    @functools.cached_property
    def identity(self) -> auth.Identity:
        """The credentials, loaded at the first request (files only, no request)."""
        return auth.identity(self.settings, self._secret, emulator=self.emulator)

    @functools.cached_property
    def http(self) -> requests.Session:
        with self._lock:
            return auth.session(self.settings, self.identity)

    @functools.cached_property
    def fast(self) -> fast.FastRequests | None:
        """Object reads and small uploads without ``requests`` (fast.py), unless the
        environment says proxy."""
        if not fast.FastRequests.usable(self.base):
            return None
        return fast.FastRequests(self.settings, self.identity.credentials)

    @functools.cached_property
    def link_signer(self) -> Signing:
        """What signs share links (links.py), decided at the first link: one IAM session
        (and token) for all the links of a connection. Raises NotSupported."""
        from cloudbrowser.core.backends.gcs.links import signer_of

        return signer_of(self)

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.settings.connect_timeout, self.settings.read_timeout)

    def send(
        self,
        method: str,
        url: str,
        *,
        bucket: str = "",
        key: str = "",
        ok: Iterable[int] = (200,),
        listing_buckets: bool = False,
        via: requests.Session | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request; a reply outside ``ok`` and every exception raise our errors.
        ``via``: a session of other credentials than the connection's (links.py)."""
        try:
            http = self.http if via is None else via
            reply = http.request(method, url, timeout=self.timeout, **kwargs)
        except CloudBrowserError:
            raise
        except Exception as exc:
            raise self.translated(exc, bucket, key) from exc
        if reply.status_code not in tuple(ok):
            error = reply_error(reply, bucket=bucket, key=key, listing_buckets=listing_buckets)
            reply.close()
            raise error
        return reply

    def translated(self, exc: BaseException, bucket: str = "", key: str = "") -> CloudBrowserError:
        """An exception raised before any reply as our error; a refused renewal of the
        token says what renews these credentials."""
        return translate_exception(exc, bucket=bucket, key=key, renew_hint=self.identity.renew_hint)

    def api(self, path: str) -> str:
        return f"{self.base}/storage/v1{path}"

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A JSON API call; its JSON reply ({} for none)."""
        reply = self.send(method, self.api(path), **kwargs)
        if not reply.content:
            return {}
        try:
            body = reply.json()
        except ValueError as exc:
            raise StorageError(
                "The server's reply could not be read.",
                hint="Check the endpoint URL: it does not look like Google Cloud Storage.",
                detail=reply.text[:200],
                code="UnreadableReply",
            ) from exc
        return body if isinstance(body, dict) else {}

    # ── buckets ─────────────────────────────────────────────────────────────────────────

    def _project(self) -> str:
        project = self.settings.project or self.identity.project
        if not project:
            raise NoProject(
                "This connection names no Google Cloud project, and the credentials name none.",
                hint="Set the connection's project (to list and create buckets), or a default "
                "bucket to open directly.",
            )
        return project

    def list_buckets(self) -> list[Bucket]:
        """The project's buckets, by name. Raises AccessDenied (with a hint to set a
        default bucket), InvalidCredentials, ConfigError (no project)."""
        buckets: list[Bucket] = []
        token = ""
        while True:
            params = {
                "project": self._project(),
                "fields": "items(name,timeCreated,location),nextPageToken",
            }
            if token:
                params["pageToken"] = token
            body = self.call("GET", "/b", params=params, listing_buckets=True)
            for item in body.get("items", []):
                buckets.append(
                    Bucket(
                        name=str(item["name"]),
                        created=timestamp(item.get("timeCreated")),
                        region=str(item.get("location", "")).lower(),
                    )
                )
            token = str(body.get("nextPageToken", ""))
            if not token:
                return sorted(buckets, key=lambda b: b.name)

    def create_bucket(self, bucket: str, region: str = "") -> None:
        """A new bucket of the project in ``region`` (a GCS location: "EU", "us-east1"; ""
        is GCS's default, US). ``region`` may name a storage class after a "/"
        ("EU/NEARLINE"). Raises AlreadyExists, StorageError."""
        location, _, storage_class = region.partition("/")
        resource: dict[str, Any] = {"name": bucket}
        if location:
            resource["location"] = location.upper()
        if storage_class:
            resource["storageClass"] = storage_class.upper()
        self.call("POST", "/b", params={"project": self._project()}, json=resource, bucket=bucket)

    def delete_bucket(self, bucket: str) -> None:
        """Raises BucketNotFound, StorageError (code ``BucketNotEmpty``)."""
        try:
            self.call("DELETE", f"/b/{quote(bucket, safe='')}", bucket=bucket, ok=(200, 204))
        except (AlreadyExists, ObjectChanged) as error:
            # GCS answers 409 (fake-gcs-server 412) for a bucket that holds objects.
            raise StorageError(
                f"The server says the bucket “{bucket}” is not empty.",
                hint="Delete what it holds first (rb --force does), then the bucket.",
                detail=error.detail,
                code="BucketNotEmpty",
            ) from error

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
        """One page: ``maxResults`` is always sent (the server pages only then)."""
        params: dict[str, Any] = {
            "prefix": prefix,
            "maxResults": self.page_size,
            "fields": f"items({_ROW_FIELDS}),prefixes,nextPageToken",
        }
        if not recursive:
            params["delimiter"] = DELIMITER
        if token:
            params["pageToken"] = token
        body = self.call("GET", f"/b/{quote(bucket, safe='')}/o", params=params, bucket=bucket)
        refused: list[str] = []
        objects: list[Entry] = []
        for item in body.get("items", []):
            key = str(item["name"])
            if not key.startswith(prefix):
                refused.append(key)
                continue
            objects.append(_entry(item))
        prefixes: list[Entry] = []
        for name in body.get("prefixes", []):
            if str(name).startswith(prefix):
                prefixes.append(Entry(key=str(name), is_prefix=True))
            else:
                refused.append(str(name))
        return ListPage(
            prefixes=prefixes,
            objects=objects,
            next_token=str(body.get("nextPageToken", "")),
            refused=refused,
        )

    # ── objects ─────────────────────────────────────────────────────────────────────────

    def _resource(self, bucket: str, key: str, version_id: str = "") -> dict[str, Any]:
        params = {"generation": version_id} if version_id else {}
        return self.call("GET", object_path(bucket, key), params=params, bucket=bucket, key=key)

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> ObjectInfo:
        item = self._resource(bucket, key, version_id)
        md5, crc32c = checksums_of(item)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(item.get("size", 0)),
            modified=timestamp(item.get("updated")),
            etag=revision(item),
            content_type=str(item.get("contentType", "")),
            storage_class=str(item.get("storageClass", "")),
            # Every GCS object has a generation: reading it by that is reading that one.
            version_id=str(item.get("generation", "")),
            metadata={str(k): str(v) for k, v in (item.get("metadata") or {}).items()},
            md5=md5,
            crc32c=crc32c,
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
        range_md5: bool = False,  # never offered (features.range_md5_max): ignored
    ) -> GcsReader:
        """Bytes ``start``..``end`` as stored (no decompressive transcoding).

        Raises KeyNotFound, ObjectChanged, StorageError (code ``InvalidRange``)."""
        params: dict[str, str] = {"alt": "media"}
        if version_id:
            params["generation"] = version_id
        if generation_of(if_match):
            params["ifGenerationMatch"] = generation_of(if_match)
        # "gzip": an object stored gzip-compressed comes as stored (its listed size and
        # checksums); "identity" would have GCS decompress it on the way.
        headers = {"Accept-Encoding": "gzip"}
        ranged = bool(start) or end is not None
        if ranged:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        path = f"/download/storage/v1{object_path(bucket, key)}"
        # Inside core/interrupt.stoppable (a transfer's read): the fast GET runs right here
        # (a stop breaks off its wait), what cannot be broken off (requests) on a runner.
        quick = self._fast_get(path, params, headers, bucket, key)
        if quick is not None:
            return self._reader(quick, quick.status, quick.headers, bucket, key, if_match, ranged)
        reply = elsewhere(
            lambda: self.send(
                "GET",
                f"{self.base}{path}",
                params=params,
                headers=headers,
                stream=True,
                bucket=bucket,
                key=key,
                ok=(200, 206, 416),
            ),
            discard=lambda abandoned: abandoned.close(),
        )
        if reply.status_code == 416:
            reply.close()
            raise StorageError(
                f"The server refused the request for “{bucket}/{key}”: "
                "The requested range is not satisfiable.",
                code="InvalidRange",
            )
        return self._reader(
            RequestsBody(reply.raw),
            reply.status_code,
            reply.headers,
            bucket,
            key,
            if_match,
            ranged,
        )

    def _fast_get(
        self, path: str, params: dict[str, str], headers: dict[str, str], bucket: str, key: str
    ) -> http_pool.Reply | None:
        """The reply of fast.py's GET (http_pool's), or None: then ``requests`` sends it."""
        if self.fast is None:
            return None
        try:
            return self.fast.get(self.base, path, params, headers)
        except fast.Fallback:
            return None
        except Exception as exc:  # renewing the token
            raise self.translated(exc, bucket, key) from exc

    def _reader(
        self,
        raw: http_pool.Reply | RequestsBody,
        status: int,
        headers: Mapping[str, str],
        bucket: str,
        key: str,
        if_match: str,
        ranged: bool,
    ) -> GcsReader:
        """The reader of a successful reply (``raw``: its body, unread), after checking the
        MD5 the transfer expects."""
        hashes = _hashes(headers.get("x-goog-hash", ""))
        generation = headers.get("x-goog-generation", "")
        etag = revision_of(hashes.get("md5", ""), generation)
        md5_expected = bool(_MD5_HEX.fullmatch(if_match.lower()))
        if md5_expected and etag != if_match.lower():
            raw.release()
            raise ObjectChanged(
                f"“{bucket}/{key}” changed on the server since the transfer began.",
                hint="Retry to transfer the current version from the start.",
                detail=f"expected MD5 {if_match}, the server sent {etag}",
                code="PreconditionFailed",
            )
        return GcsReader(
            raw,
            headers,
            etag=etag,
            ranged=ranged and status == 206,
            md5=hashes.get("md5", ""),
            crc32c=hashes.get("crc32c", ""),
        )

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
        """One multipart upload (metadata and bytes); GCS checks ``content_md5`` (sent as
        the object's md5Hash). Returns the revision (the MD5). ``if_match`` becomes
        ifGenerationMatch (:meth:`generation_matching`), ``create_only``
        ifGenerationMatch=0 (no live generation). Raises IntegrityError, ObjectChanged,
        KeyNotFound, CreatedMeanwhile."""
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
        params = {"uploadType": "multipart"}
        if create_only:
            params["ifGenerationMatch"] = "0"
        if if_match:
            # A request that cannot be broken off: on a runner inside a transfer's PUT.
            params["ifGenerationMatch"] = elsewhere(
                lambda: self.generation_matching(bucket, key, if_match)
            )
        data = _read_body(body)
        meta: dict[str, Any] = {"name": key}
        if content_type:
            meta["contentType"] = content_type
        if content_md5:
            meta["md5Hash"] = content_md5
        boundary = uuid.uuid4().hex
        payload = b"".join(
            [
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
                json.dumps(meta).encode(),
                f"\r\n--{boundary}\r\nContent-Type: "
                f"{content_type or 'application/octet-stream'}\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        path = f"/upload/storage/v1/b/{quote(bucket, safe='')}/o"
        headers = {"Content-Type": f"multipart/related; boundary={boundary}"}
        # Inside core/interrupt.stoppable (a transfer's PUT, Features.stoppable_puts): the
        # fast POST runs right here (a stop breaks off its wait), requests on a runner.
        item = self._fast_upload(path, params, headers, payload, bucket, key)
        if item is None:
            try:
                reply = elsewhere(
                    lambda: self.send(
                        "POST",
                        f"{self.base}{path}",
                        params=params,
                        data=payload,
                        headers=headers,
                        bucket=bucket,
                        key=key,
                    )
                )
            except KeyNotFound as error:
                raise no_bucket(bucket, error) from error
            item = _object_resource(reply.content, bucket, key)
        stored = revision(item)
        if content_md5:
            try:
                check_md5(stored, content_md5, bucket, key)
            except IntegrityError:
                # GCS refuses such a body itself; a server that stored it anyway
                # (fake-gcs-server) must not keep bad bytes under the name.
                with contextlib.suppress(StorageError):
                    elsewhere(
                        lambda: self.call(
                            "DELETE",
                            object_path(bucket, key),
                            params={"ifGenerationMatch": str(item.get("generation", ""))},
                            ok=(200, 204),
                        )
                    )
                raise
        return stored

    def _fast_upload(
        self,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        payload: bytes,
        bucket: str,
        key: str,
    ) -> dict[str, Any] | None:
        """The object resource fast.py's POST (http_pool's) got back, or None: then
        ``requests`` sends the upload."""
        if self.fast is None:
            return None
        try:
            data = self.fast.post(self.base, path, params, headers, payload)
        except fast.Fallback:
            return None
        except CloudBrowserError:
            raise  # Cancelled
        except Exception as exc:  # renewing the token
            raise self.translated(exc, bucket, key) from exc
        return _object_resource(data, bucket, key)

    def generation_matching(self, bucket: str, key: str, if_match: str) -> str:
        """The generation a write's ``ifGenerationMatch`` names for revision ``if_match``.

        A revision is mostly an MD5, which GCS cannot take as a precondition: the live
        generation is looked up, and must have that MD5. A write between this look and
        the write changes the generation, so the server refuses it (412): the check and
        the write are one as far as anyone else's write goes. Raises ObjectChanged,
        KeyNotFound (the object is gone)."""
        generation = generation_of(if_match)
        if generation:
            return generation
        item = self.call(
            "GET",
            object_path(bucket, key),
            params={"fields": "generation,md5Hash"},
            bucket=bucket,
            key=key,
        )
        found = _b64_hex(item.get("md5Hash"))
        if found != if_match.lower() or not item.get("generation"):
            raise ObjectChanged(
                f"“{bucket}/{key}” changed on the server: it is not the revision this "
                "upload may replace.",
                hint="Look at the object on the server before writing over it.",
                detail=f"expected MD5 {if_match}, the server has {found or 'none'}",
                code="PreconditionFailed",
            )
        return str(item["generation"])

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete the live generation; a key that does not exist is deleted already."""
        with contextlib.suppress(KeyNotFound):
            self.call("DELETE", object_path(bucket, key), bucket=bucket, key=key, ok=(200, 204))

    # ── batch delete ────────────────────────────────────────────────────────────────────

    def delete_objects(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to ``limits.max_delete_batch`` keys in one JSON batch request (one
        request per key where the server refuses batches); returns the refused ones."""
        if len(keys) > LIMITS.max_delete_batch:
            raise ValueError(f"at most {LIMITS.max_delete_batch} keys per batch delete")
        if not keys:
            return []
        answers = None if self._no_batch else self._batch_delete(bucket, keys)
        if answers is None:
            return self._delete_each(bucket, keys)
        again: list[str] = []
        refused: list[tuple[str, CloudBrowserError]] = []
        for key, (status, body) in zip(keys, answers, strict=True):
            if status in (200, 204):
                continue
            error = batch.sub_error(bucket, key, status, body)
            if status == 404 or error.retryable:
                again.append(key)  # confirmed (or retried) by a request of its own
            else:
                refused.append((key, error))
        return refused + self._delete_each(bucket, again)

    def _batch_delete(self, bucket: str, keys: Sequence[str]) -> list[tuple[int, bytes]] | None:
        """The sub-requests' answers, or None: then the keys are deleted one by one. Only
        a server that has no batch endpoint (batch.endpoint_refused) is never asked again
        on this connection; any other failed batch is this batch's alone (each key then
        gets its own answer). Raises a passing failure, or a refusal of the credentials,
        as the singles would meet it too."""
        body, content_type = batch.request_body(bucket, keys)
        reply = self.send(
            "POST",
            f"{self.base}/batch/storage/v1",
            data=body,
            headers={"Content-Type": content_type},
            bucket=bucket,
            ok=range(200, 600),
        )
        if batch.endpoint_refused(reply):
            log.info("The server takes no JSON batch: deleting one by one from now on")
            self._no_batch = True
            return None
        if reply.status_code < 300:
            try:
                return batch.statuses(reply, len(keys))
            except StorageError as unreadable:  # some answers missing: this batch only
                log.warning("A batch delete in %s was not understood: %s", bucket, unreadable)
                return None
        error = reply_error(reply, bucket=bucket)
        if error.retryable or isinstance(error, AccessDenied | InvalidCredentials):
            raise error
        log.warning("A batch delete in %s was refused: %s", bucket, error.detail)
        return None

    def _delete_each(self, bucket: str, keys: Sequence[str]) -> list[tuple[str, CloudBrowserError]]:
        refused: list[tuple[str, CloudBrowserError]] = []
        for key in keys:
            try:
                self.delete_object(bucket, key)
            except StorageError as error:
                if error.retryable:
                    raise
                refused.append((key, error))
        return refused

    # ── chunked uploads: resumable sessions (uploads.py) ────────────────────────────────

    def begin_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """A resumable session; its precondition is fixed now (``ifGenerationMatch`` of
        the initiation: 0 for ``create_only``), checked by the server when the last byte
        makes the object."""
        generation = self.generation_matching(bucket, key, if_match) if if_match else ""
        if create_only:
            generation = "0"
        with refused_as_created(create_only, bucket, key):  # GCS may check it already
            return self.uploads.begin(bucket, key, content_type, generation)

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
        return self.uploads.chunk(
            bucket, key, session, number, _read_body(body), content_md5, offset
        )

    def list_chunks(self, bucket: str, key: str, session: str) -> list[Any]:
        return self.uploads.chunks(bucket, key, session)

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
        """Finish the resumable session; GCS computes the object's MD5 itself (the engine
        checks it against the whole file's), so ``content_md5`` is not sent. The session
        carries ``begin_upload``'s precondition (``if_match``, ``create_only`` are that
        one; the latter still says what a refusal means)."""
        del content_md5, if_match
        with refused_as_created(create_only, bucket, key):
            return self.uploads.commit(bucket, key, session, list(chunks))

    def abort_upload(self, bucket: str, key: str, session: str) -> None:
        self.uploads.abort(bucket, key, session)

    def list_unfinished_uploads(self, bucket: str, prefix: str = "") -> list[Any]:
        """GCS keeps no list of resumable sessions (they cost nothing and expire after a
        week): raises NotSupported."""
        raise NotSupported(
            "Google Cloud Storage does not list unfinished resumable uploads.",
            hint="They hold no storage and expire on their own after a week.",
            code="NotImplemented",
        )

    # ── server-side copy: rewrite ───────────────────────────────────────────────────────

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        """A rewrite, repeated with its token until done (any size, across buckets,
        locations and storage classes). Returns the copy's revision. ``create_only`` is
        the destination's ifGenerationMatch=0 (412 where the name is taken)."""
        params = {"ifGenerationMatch": "0"} if create_only else None
        with refused_as_created(create_only, bucket, key):
            return revision(self.rewrite(src_bucket, src_key, bucket, key, params=params))

    def rewrite(
        self,
        src_bucket: str,
        src_key: str,
        bucket: str,
        key: str,
        *,
        resource: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """``objects.rewrite``, sent again with each ``rewriteToken`` until done; returns
        the new object's resource. GCS writes the destination only in the round that says
        done, so inside ``core/interrupt.stoppable`` a stop ends the loop between rounds
        (Cancelled) with nothing written; a round in flight is never abandoned here (it
        may be the last). A server that stops progressing is given up (RewriteStopped).
        Raises what a round raises, naming the side (source or destination) it is about."""
        path = f"{object_path(src_bucket, src_key)}/rewriteTo{object_path(bucket, key)}"
        query: dict[str, str] = dict(params or {})
        guard = RewriteGuard(f"“{src_bucket}/{src_key}” to “{bucket}/{key}”")
        while True:
            try:
                body = self.call(
                    "POST",
                    path,
                    params=query,
                    json=dict(resource or {}),
                    bucket=src_bucket,
                    key=src_key,
                )
            except (NotFound, AccessDenied) as error:
                raise self._rewrite_refusal(
                    error, src_bucket, src_key, bucket, key, query
                ) from error
            if body.get("done") in (True, "true"):
                result = body.get("resource")
                return result if isinstance(result, dict) else {}
            token = str(body.get("rewriteToken", ""))
            if not token:
                raise StorageError(
                    f"The server's reply to the copy of “{src_bucket}/{src_key}” was neither "
                    "done nor continued.",
                    detail=json.dumps(body)[:200],
                    code="UnreadableReply",
                )
            guard.round(body, token)
            stop_point()  # nothing is written at the destination before the last round
            query["rewriteToken"] = token

    def _rewrite_refusal(
        self,
        error: StorageError,
        src_bucket: str,
        src_key: str,
        bucket: str,
        key: str,
        query: Mapping[str, str],
    ) -> StorageError:
        """A rewrite's 404 or 403 is about its source or its destination, and the reply
        does not always say which (fake-gcs-server: "Not Found" for either; GCS's denial
        names a permission): the source is looked at to tell. The source's own error
        where it cannot be read, else the destination's (its bucket missing, or no
        permission to write there). The refusal as it came where the look cannot tell."""
        try:
            self._resource(src_bucket, src_key, query.get("sourceGeneration", ""))
        except (NotFound, AccessDenied) as about_source:
            if isinstance(about_source, KeyNotFound) and self._bucket_missing(src_bucket):
                return no_bucket(src_bucket, about_source)
            return about_source
        except CloudBrowserError:
            return error
        if isinstance(error, NotFound):
            return no_bucket(bucket, error)  # a rewrite's destination is missing only so
        return denied(bucket, key, error)

    def _bucket_missing(self, bucket: str) -> bool:
        """Whether the server says ``bucket`` does not exist (an object's 404 may not say
        which is missing); False where it cannot tell (no permission to look)."""
        try:
            self.call(
                "GET", f"/b/{quote(bucket, safe='')}", params={"fields": "name"}, bucket=bucket
            )
        except BucketNotFound:
            return True
        except CloudBrowserError:
            return False
        return False

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
        """GCS copies whole objects only (rewrite copies any size, so the engine never
        needs chunks): raises NotSupported."""
        raise NotSupported(
            "Google Cloud Storage copies whole objects only (rewrite), not byte ranges.",
            hint="Copy the whole object.",
            code="NotImplemented",
        )

    # ── versions: generations ───────────────────────────────────────────────────────────

    def bucket_versioning(self, bucket: str) -> str:
        """ "Enabled" where the bucket keeps noncurrent generations, else "" (GCS has no
        suspended state)."""
        body = self.call(
            "GET", f"/b/{quote(bucket, safe='')}", params={"fields": "versioning"}, bucket=bucket
        )
        return "Enabled" if (body.get("versioning") or {}).get("enabled") else ""

    def set_bucket_versioning(self, bucket: str, on: bool) -> None:
        """A patch of the bucket's ``versioning.enabled`` (noncurrent generations kept so
        far stay when it is turned off)."""
        self.call(
            "PATCH",
            f"/b/{quote(bucket, safe='')}",
            params={"fields": "versioning"},
            json={"versioning": {"enabled": on}},
            bucket=bucket,
        )

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
        """One page of generations (``versions=true``, lowercase: fake-gcs-server honours
        only that), by pages of ``limits.max_page`` whatever ``limit`` asks.
        ``key_marker`` carries GCS's page token. A key whose generations are
        all noncurrent is deleted: a delete marker (version id "") stands for that. A
        bucket that keeps no old generations (now) lists its live objects, and those it
        kept while it did."""
        params: dict[str, Any] = {
            "versions": "true",
            "prefix": prefix,
            # Always a full page: fake-gcs-server's page token of a listing of generations
            # is a key name, so a page that ends inside one key's generations comes again.
            "maxResults": LIMITS.max_page,
            "fields": f"items({_ROW_FIELDS}),prefixes,nextPageToken",
        }
        if delimited:
            params["delimiter"] = DELIMITER
        if key_marker:
            params["pageToken"] = key_marker
        body = self.call("GET", f"/b/{quote(bucket, safe='')}/o", params=params, bucket=bucket)
        by_key: dict[str, list[dict[str, Any]]] = {}
        for item in body.get("items", []):
            by_key.setdefault(str(item["name"]), []).append(item)
        versions: list[Version] = []
        markers: list[Version] = []
        for key, items in by_key.items():
            items.sort(key=lambda i: int(i.get("generation", 0)), reverse=True)
            live = not items[0].get("timeDeleted")
            if not live:
                markers.append(
                    Version(
                        key=key,
                        version_id="",
                        modified=timestamp(items[0].get("timeDeleted")),
                        is_latest=True,
                        delete_marker=True,
                    )
                )
            for i, item in enumerate(items):
                versions.append(
                    Version(
                        key=key,
                        version_id=str(item.get("generation", "")),
                        modified=timestamp(item.get("updated")),
                        size=int(item.get("size", 0)),
                        etag=revision(item),
                        is_latest=live and i == 0,
                    )
                )
        return VersionPage(
            versions=versions,
            markers=markers,
            prefixes=[str(p) for p in body.get("prefixes", [])],
            next_key_marker=str(body.get("nextPageToken", "")),
        )

    def restore_version(self, bucket: str, key: str, version_id: str) -> str:
        """The generation copied over the live object; returns the new generation."""
        item = self.rewrite(bucket, key, bucket, key, params={"sourceGeneration": version_id})
        return str(item.get("generation", ""))

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one generation for good; the delete marker (version id "") of a deleted
        key is removed by restoring its newest generation (undelete)."""
        if not version_id:
            self._undelete(bucket, key)
            return
        with contextlib.suppress(KeyNotFound):
            self.call(
                "DELETE",
                object_path(bucket, key),
                params={"generation": version_id},
                bucket=bucket,
                key=key,
                ok=(200, 204),
            )

    def _undelete(self, bucket: str, key: str) -> None:
        page = self.list_versions_page(bucket, key)
        newest = [v for v in page.versions if v.key == key]
        if not newest or any(v.is_latest for v in newest):
            return  # nothing deleted: no marker to remove
        self.restore_version(bucket, key, newest[0].version_id)

    def delete_versions(
        self, bucket: str, versions: Sequence[tuple[str, str]]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete generations for good (deleting a whole history: markers included)."""
        if len(versions) > LIMITS.max_delete_batch:
            raise ValueError(f"at most {LIMITS.max_delete_batch} versions per batch delete")
        refused: list[tuple[str, CloudBrowserError]] = []
        for key, version_id in versions:
            if not version_id:
                # A stand-in delete marker: it goes with its generations (removing it one
                # by one would undelete the key, as S3's marker removal does).
                continue
            try:
                self.delete_version(bucket, key, version_id)
            except StorageError as error:
                if error.retryable:
                    raise
                refused.append((key, error))
        return refused

    # ── soft-deleted objects ────────────────────────────────────────────────────────────

    def soft_delete_retention(self, bucket: str) -> int:
        """The bucket's soft delete policy: seconds a deleted or replaced generation
        (versioning off), or a noncurrent one deleted (on), is kept; 0 where none.
        New GCS buckets keep them 7 days; an emulator answers no policy."""
        body = self.call(
            "GET",
            f"/b/{quote(bucket, safe='')}",
            params={"fields": "softDeletePolicy"},
            bucket=bucket,
        )
        policy = body.get("softDeletePolicy") or {}
        try:
            return max(0, int(policy.get("retentionDurationSeconds") or 0))
        except (TypeError, ValueError):
            return 0

    def list_soft_deleted_page(
        self, bucket: str, prefix: str = "", token: str = "", *, delimited: bool = False
    ) -> VersionPage:
        """One page of ``softDeleted=true`` (a listing of its own: GCS refuses it with
        ``versions=true``); ``token`` is GCS's page token. Each row's version id is the
        generation ``objects.restore`` takes."""
        params: dict[str, Any] = {
            "softDeleted": "true",
            "prefix": prefix,
            "maxResults": LIMITS.max_page,
            "fields": f"items({_SOFT_FIELDS}),prefixes,nextPageToken",
        }
        if delimited:
            params["delimiter"] = DELIMITER
        if token:
            params["pageToken"] = token
        body = self.call("GET", f"/b/{quote(bucket, safe='')}/o", params=params, bucket=bucket)
        versions = [
            Version(
                key=str(item["name"]),
                version_id=str(item.get("generation", "")),
                modified=timestamp(item.get("updated")),
                size=int(item.get("size", 0)),
                etag=revision(item),
                # (A soft-deleted row always has its softDeleteTime; were one without, it
                # is still soft-deleted: never 0.0.)
                deleted_at=timestamp(item.get("softDeleteTime"))
                or timestamp(item.get("updated"))
                or 1.0,
                kept_until=timestamp(item.get("hardDeleteTime")),
            )
            for item in body.get("items", [])
        ]
        return VersionPage(
            versions=versions,
            prefixes=[str(p) for p in body.get("prefixes", [])],
            next_key_marker=str(body.get("nextPageToken", "")),
        )

    def restore_soft_deleted(self, bucket: str, key: str, version_id: str) -> str:
        """``objects.restore`` of the generation: a new live generation with its bytes and
        metadata (a live object becomes noncurrent, or soft-deleted where versioning is
        off). Returns the new generation. Raises KeyNotFound."""
        item = self.call(
            "POST",
            f"{object_path(bucket, key)}/restore",
            params={"generation": version_id},
            bucket=bucket,
            key=key,
        )
        return str(item.get("generation", ""))

    # ── share links ─────────────────────────────────────────────────────────────────────

    def share_link(
        self, bucket: str, key: str, expires_in: int, *, accepted: LinkGrant | None = None
    ) -> ShareLink:
        """A V4 signed URL, signed with the service-account key (no request), or by IAM's
        signBlob as the service account ``settings.sign_links_as`` names, else as the
        credentials' own (impersonated) service account; else NotSupported. It ends when
        its signature says (signing date plus lifetime)."""
        del accepted  # signed for itself: it never carries the connection's credential
        if not 0 < expires_in <= LIMITS.max_link_seconds:
            raise ConfigError(
                f"A share link can last from 1 second to {LIMITS.max_link_seconds} seconds "
                "(7 days).",
                hint="Choose a shorter lifetime.",
            )
        from cloudbrowser.core.backends.gcs.links import signed_url

        url = signed_url(self, bucket, key, expires_in)
        return ShareLink(url, v4_end(url, "Goog"))

    # ── properties ──────────────────────────────────────────────────────────────────────

    def object_details(self, bucket: str, key: str) -> ObjectDetails:
        item = self._resource(bucket, key)
        return details_of(bucket, key, item)

    def replace_metadata(self, target: ObjectDetails) -> str:
        """Patch content headers and custom metadata in place (a new metageneration, no
        copy), only if the object is still ``target.etag``; a new storage class is a
        rewrite of the object onto itself. Raises ObjectChanged."""
        bucket, key = target.bucket, target.key
        current = self._resource(bucket, key)
        if target.etag and revision(current) != target.etag:
            raise ObjectChanged(
                f"“{bucket}/{key}” was changed on the server since its properties were read; "
                "nothing was saved.",
                hint="Reopen the properties to edit the current version.",
                code="PreconditionFailed",
            )
        old_meta = current.get("metadata") or {}
        metadata: dict[str, str | None] = {k: None for k in old_meta if k not in target.metadata}
        metadata.update(target.metadata)
        patch = {
            "contentType": target.content_type or None,
            "cacheControl": target.cache_control or None,
            "contentDisposition": target.content_disposition or None,
            "contentEncoding": target.content_encoding or None,
            "contentLanguage": target.content_language or None,
            "metadata": metadata or None,
        }
        preconditions = {
            "ifGenerationMatch": str(current.get("generation", "")),
            "ifMetagenerationMatch": str(current.get("metageneration", "")),
        }
        item = self.call(
            "PATCH",
            object_path(bucket, key),
            params=preconditions,
            json=patch,
            bucket=bucket,
            key=key,
        )
        wanted_class = (target.storage_class or "STANDARD").upper()
        if wanted_class != str(item.get("storageClass", "STANDARD")).upper():
            item = self.rewrite(
                bucket,
                key,
                bucket,
                key,
                resource={"storageClass": wanted_class},
                params={"ifSourceGenerationMatch": str(item.get("generation", ""))},
            )
        return revision(item) or revision(current)

    def storage_class_offer(self) -> StorageClassOffer:
        return OFFER

    def set_storage_class(self, bucket: str, key: str, storage_class: str) -> None:
        """A rewrite of the object onto itself with the new ``storageClass`` (metadata and
        content headers are kept by the rewrite), pinned to its generation."""
        wanted = storage_class.upper()
        if wanted not in OFFER.names:
            raise ConfigError(
                f"“{storage_class}” is not a Google Cloud Storage class.",
                hint="Choose one of: " + ", ".join(OFFER.names) + ".",
            )
        current = self._resource(bucket, key)
        if str(current.get("storageClass", "STANDARD")).upper() == wanted:
            return
        self.rewrite(
            bucket,
            key,
            bucket,
            key,
            resource={"storageClass": wanted},
            params={"ifSourceGenerationMatch": str(current.get("generation", ""))},
        )

    def restore_archived(
        self, bucket: str, key: str, *, days: int = 0, priority: str = "", target: str = ""
    ) -> bool:
        """Nothing to restore: every GCS class (ARCHIVE too) is readable at once."""
        self._resource(bucket, key)  # (KeyNotFound for a key that is not there)
        return False

    def get_tags(self, bucket: str, key: str) -> dict[str, str]:
        raise _no_tags()

    def put_tags(self, bucket: str, key: str, tags: Mapping[str, str]) -> None:
        raise _no_tags()


class RequestsBody:
    """The body of a reply of ``requests`` (urllib3's, ``Response.raw``) read as a reply of
    fast.py's (http_pool's) is read: the reader knows the one way, the fast path's."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def read(self, amount: int | None = None) -> bytes:
        data: bytes = self._raw.read(amount, decode_content=False)
        return data

    def shutdown(self) -> None:
        self._raw.shutdown()

    def release(self) -> None:
        """As requests.Response.close: a body read to its end has given its connection
        back to the pool already (urllib3 does), one left unread closes it."""
        self._raw.close()
        self._raw.release_conn()


class GcsReader:
    """The body of a read, streamed from the reply as stored."""

    def __init__(
        self,
        raw: http_pool.Reply | RequestsBody,
        headers: Mapping[str, str],
        *,
        etag: str,
        ranged: bool,
        md5: str,
        crc32c: str,
    ) -> None:
        self._raw = raw
        #: The whole object's checksums (x-goog-hash names them even for a range).
        self.md5, self.crc32c = md5, crc32c
        self.range_md5 = ""
        self._aborted = False
        self.size = int(headers.get("content-length", 0) or 0)
        self.etag = etag
        self.modified = _http_date(headers.get("last-modified", ""))
        self.content_type = headers.get("content-type", "")
        self.content_range = _content_range(headers.get("content-range", "")) if ranged else None

    def read(self, amount: int) -> bytes:
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        try:
            data = self._raw.read(None if amount < 0 else amount)
        except Exception as exc:
            if self._aborted:
                raise Cancelled("Reading was stopped.") from exc
            raise translate_exception(exc) from exc
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        return data

    def abort(self) -> None:
        self._aborted = True
        with contextlib.suppress(Exception):
            self._raw.shutdown()

    def close(self) -> None:
        self._raw.release()

    def __enter__(self) -> GcsReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# ── helpers ─────────────────────────────────────────────────────────────────────────────


def details_of(bucket: str, key: str, item: Mapping[str, Any]) -> ObjectDetails:
    return ObjectDetails(
        bucket=bucket,
        key=key,
        size=int(item.get("size", 0)),
        modified=timestamp(item.get("updated")),
        etag=revision(item),
        content_type=str(item.get("contentType", "")),
        cache_control=str(item.get("cacheControl", "")),
        content_disposition=str(item.get("contentDisposition", "")),
        content_encoding=str(item.get("contentEncoding", "")),
        content_language=str(item.get("contentLanguage", "")),
        storage_class=str(item.get("storageClass", "STANDARD")) or "STANDARD",
        version_id=str(item.get("generation", "")),
        server_side_encryption=_encryption(item),
        sse_kms_key_id=str(item.get("kmsKeyName", "")),
        metadata={str(k): str(v) for k, v in (item.get("metadata") or {}).items()},
    )


def _encryption(item: Mapping[str, Any]) -> str:
    """How GCS says the object is encrypted at rest, in its own words. Every object is:
    with a key Google manages unless the resource names another ("" would read "none")."""
    if item.get("customerEncryption"):
        return "AES-256, customer-supplied key"
    if item.get("kmsKeyName"):
        return "Cloud KMS, customer-managed key"
    return "AES-256, Google-managed key"


def _entry(item: Mapping[str, Any]) -> Entry:
    md5, crc32c = checksums_of(item)
    return Entry(
        str(item["name"]),
        int(item.get("size", 0)),
        timestamp(item.get("updated")),
        revision(item),
        str(item.get("storageClass", "")),
        md5=md5,
        crc32c=crc32c,
    )


def _hashes(header: str) -> dict[str, str]:
    """``x-goog-hash: crc32c=…,md5=…`` as {"md5": hex, "crc32c": hex}."""
    found: dict[str, str] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "md5" and value:
            try:
                found["md5"] = base64.b64decode(value).hex()
            except (ValueError, binascii.Error):
                continue
        elif name == "crc32c" and value:
            found["crc32c"] = _b64_hex(value)
    return found


def _content_range(header: str) -> tuple[int, int, int] | None:
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", header.strip())
    if not match:
        return None
    first, last, total = (int(g) for g in match.groups())
    return first, last, total


def _http_date(value: str) -> float:
    try:
        return parsedate_to_datetime(value).timestamp() if value else 0.0
    except (TypeError, ValueError):
        return 0.0


def _read_body(body: object) -> bytes:
    """The bytes of a body: bytes-like, or a file object read from where it stands."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    read = getattr(body, "read", None)
    if read is None:
        raise TypeError(f"a body is bytes or a readable file, not {type(body).__name__}")
    data = read()
    if not isinstance(data, bytes | bytearray):
        raise TypeError("a body's read() must return bytes")
    return bytes(data)


def _object_resource(data: bytes, bucket: str, key: str) -> dict[str, Any]:
    """An upload's answer, the object's resource (JSON); anything else is not GCS's."""
    try:
        item = json.loads(data)
    except ValueError:
        item = None
    if not isinstance(item, dict):
        raise StorageError(
            f"The server's answer to the upload of “{bucket}/{key}” could not be read.",
            hint="Check the endpoint URL: it does not look like Google Cloud Storage.",
            detail=data[:200].decode("utf-8", "replace"),
            code="UnreadableReply",
        )
    return item


def check_md5(stored: str, content_md5: str, bucket: str, key: str) -> None:
    """The server's MD5 of what it stored is the one sent: else IntegrityError."""
    sent = base64.b64decode(content_md5).hex()
    if _MD5_HEX.fullmatch(stored) and stored != sent:
        raise IntegrityError(
            f"The server received different bytes than were sent for “{bucket}/{key}”.",
            hint="The file may have changed while it was read, or the network corrupted it; retry.",
            detail=f"sent MD5 {sent}, stored {stored}",
            code="BadDigest",
        )


def _no_tags() -> NotSupported:
    return NotSupported(
        "Google Cloud Storage objects have no tags.",
        hint="Use custom metadata (Properties) instead.",
        code="NotImplemented",
    )


if TYPE_CHECKING:

    def _implements(
        storage: GcsBackend,
    ) -> tuple[
        Storage,
        ChunkedUploads,
        ServerCopy,
        BatchDelete,
        Versions,
        ShareLinks,
        ObjectProperties,
        StorageClasses,
        SoftDeletes,
    ]:
        return (storage, storage, storage, storage, storage, storage, storage, storage, storage)
