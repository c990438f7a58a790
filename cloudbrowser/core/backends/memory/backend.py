"""MemoryStorage: the storage interface and every capability, on a :class:`MemoryStore`.

Semantics are S3's, as ``S3Backend`` documents them, so that the engine, the window and the
CLI behave on memory as on a server (tests/conformance checks both against one contract):
keys listed in UTF-8 byte order, delimited listings with common prefixes, pages of
``page_size`` rows (objects and prefixes together) behind opaque tokens, ETags that are MD5s
(``md5-of-md5s-N`` for a chunked object), version ids, delete markers and the three
versioning states, chunks of at least ``limits.min_chunk`` but the last, and the same error
classes and codes. No I/O: every call runs under the store's one lock and returns at once.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from cloudbrowser.core.backends.memory import classes, links
from cloudbrowser.core.backends.memory.features import FEATURES, LIMITS
from cloudbrowser.core.backends.memory.store import (
    ENABLED,
    NULL_VERSION,
    SUSPENDED,
    UNVERSIONED,
    MemoryStore,
    StoredBucket,
    StoredVersion,
    Upload,
)
from cloudbrowser.core.checksums import md5_in_etag
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.details import (
    ObjectDetails,
    UnfinishedUpload,
    UploadedPart,
    Version,
    VersionPage,
)
from cloudbrowser.core.entries import Bucket, Entry, ListPage, ObjectInfo
from cloudbrowser.core.errors import (
    AlreadyExists,
    BucketNotFound,
    Cancelled,
    CloudBrowserError,
    ConfigError,
    IntegrityError,
    KeyNotFound,
    ObjectChanged,
    StorageError,
    UploadNotFound,
    created_meanwhile,
)
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.storage import (
    TAG_OPERATORS,
    Features,
    ShareLink,
    StorageClassOffer,
    TagCondition,
    TaggedPage,
)

if TYPE_CHECKING:
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
        TagSearch,
        Versions,
    )


#: S3's rules for bucket names (3 to 63 lowercase letters, digits, dots and hyphens).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
#: S3's longest key, in UTF-8 bytes.
_MAX_KEY_BYTES = 1024
#: S3's limits on tags: how many per object, and the longest key and value.
_MAX_TAGS, _MAX_TAG_KEY, _MAX_TAG_VALUE = 10, 128, 256
#: Prefix of listing tokens (what follows is the base64 of the key to list after).
_TOKEN = "m1."
#: After every key that starts with a given prefix (0xFF never occurs in UTF-8).
_AFTER = b"\xff"
_DELIMITER = DELIMITER.encode()


class MemoryStorage:
    """One connection to an in-memory server (:class:`MemoryStore`).

    ``credentials`` are not checked: anyone may use a memory server.
    """

    def __init__(self, settings: ConnectionSettings, store: MemoryStore, *, page_size: int) -> None:
        self.settings = settings
        self.page_size = max(1, min(page_size, LIMITS.max_page))
        self.store = store

    @property
    def features(self) -> Features:
        return FEATURES

    # ── buckets ─────────────────────────────────────────────────────────────────────────

    def list_buckets(self) -> list[Bucket]:
        """Every bucket, sorted by name."""
        with self.store.lock:
            return [
                Bucket(name=b.name, created=b.created, region=b.region)
                for b in sorted(self.store.buckets.values(), key=lambda b: b.name)
            ]

    def create_bucket(self, bucket: str, region: str = "") -> None:
        """Raises: AlreadyExists, StorageError (code ``InvalidBucketName``)."""
        if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
            raise StorageError(
                f"The server refused the request for bucket “{bucket}”: "
                "The specified bucket is not valid.",
                hint="Use 3 to 63 lowercase letters, digits, dots and hyphens.",
                code="InvalidBucketName",
            )
        with self.store.lock:
            if bucket in self.store.buckets:
                raise AlreadyExists(
                    f"The bucket “{bucket}” already exists.",
                    hint="Bucket names are global: choose another name.",
                    code="BucketAlreadyOwnedByYou",
                )
            self.store.buckets[bucket] = StoredBucket(
                bucket, self.store.clock(), region or self.settings.region or ""
            )

    def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket: no object, version, delete marker or unfinished upload.

        Raises: BucketNotFound, StorageError (code ``BucketNotEmpty``).
        """
        with self.store.lock:
            b = self._bucket(bucket)
            if b.histories or b.uploads:
                raise StorageError(
                    f"The server says the bucket “{bucket}” is not empty.",
                    hint="Delete what it holds first (rb --force does), then the bucket. "
                    "Unfinished uploads count too, even where the server cannot list them.",
                    code="BucketNotEmpty",
                )
            del self.store.buckets[bucket]

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
        """One page of at most ``page_size`` rows (objects and common prefixes together)
        directly under ``prefix`` (every key below it with ``recursive``), in UTF-8 byte
        order. Delete markers are not listed, nor a prefix that holds only deleted keys.
        ``ahead`` is not used: there is no server to ask before the caller asks.

        Raises: BucketNotFound, StorageError (code ``InvalidArgument``: a token that is
        not one of this backend's).
        """
        after = _token_marker(token)
        raw_prefix = prefix.encode()
        with self.store.lock:
            b = self._bucket(bucket)
            # Each row with the marker to list after it; one row more than a page says
            # that there is a next page.
            rows: list[tuple[Entry, bytes]] = []
            while len(rows) <= self.page_size:
                raw = b.next_key(raw_prefix, after)
                if raw is None:
                    break
                folder = None if recursive else _folder_of(raw, raw_prefix)
                if folder is not None:
                    after = folder + _AFTER  # past everything in the folder
                    if any(b.current(k.decode()) for k in b.keys_from(folder)):
                        rows.append((Entry(key=folder.decode(), is_prefix=True), after))
                    continue
                after = raw
                key = raw.decode()
                current = b.current(key)
                if current is not None:
                    entry = _entry(key, current)
                    if current.restore_asked:  # the listing says where a restore stands
                        entry = entry._replace(restore=classes.restore_header(self.store, current))
                    rows.append((entry, raw))
        page = rows[: self.page_size]
        next_token = _make_token(page[-1][1]) if len(rows) > self.page_size else ""
        return ListPage(
            prefixes=[entry for entry, _ in page if entry.is_prefix],
            objects=[entry for entry, _ in page if not entry.is_prefix],
            next_token=next_token,
        )

    # ── objects ─────────────────────────────────────────────────────────────────────────

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> ObjectInfo:
        """Raises: KeyNotFound, BucketNotFound."""
        with self.store.lock:
            b = self._bucket(bucket)
            v = self._version(b, key, version_id)
            shown_id = v.version_id if b.versioning != UNVERSIONED else ""
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=len(v.data),
            modified=v.modified,
            etag=v.etag,
            content_type=v.content_type,
            storage_class=v.storage_class,
            version_id=shown_id,
            metadata=dict(v.metadata),
            md5=md5_in_etag(v.etag),
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
    ) -> MemoryReader:
        """Bytes ``start``..``end`` (inclusive; an ``end`` past the object is its end).

        Raises: KeyNotFound, BucketNotFound, ObjectChanged (``if_match`` is not the
        object's ETag), StorageError (code ``InvalidRange``: ``start`` past the end).
        """
        with self.store.lock:
            v = self._version(self._bucket(bucket), key, version_id)
        if if_match and if_match != v.etag:
            raise ObjectChanged(
                f"“{bucket}/{key}” changed on the server since the transfer began.",
                hint="Retry to transfer the current version from the start.",
                code="PreconditionFailed",
            )
        size = len(v.data)
        ranged = bool(start) or end is not None
        if ranged and start >= size and not (start == 0 and size == 0):
            raise StorageError(
                f"The server refused the request for “{bucket}/{key}”: "
                "The requested range is not satisfiable.",
                code="InvalidRange",
            )
        if classes.unreadable(self.store, v):
            raise StorageError(
                f"“{bucket}/{key}” is in the {v.storage_class} archive class: its bytes "
                "cannot be read until it is restored.",
                hint="Select it and choose Edit › Restore… (or run “cloudbrowser restore”), "
                "then retry once the restore is done (hours).",
                code="InvalidObjectState",
            )
        last = size - 1 if end is None else min(end, size - 1)
        body = v.data[start : last + 1]
        return MemoryReader(
            body,
            etag=v.etag,
            modified=v.modified,
            content_type=v.content_type,
            content_range=(start, last, size) if ranged and size else None,
            md5=md5_in_etag(v.etag),
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
        """Store one object (up to ``limits.max_single_put``); returns its ETag.

        Raises: BucketNotFound, IntegrityError (``content_md5`` does not match),
        ObjectChanged, KeyNotFound (``if_match`` names a revision the key is not, or it is
        gone: as S3 answers), CreatedMeanwhile (``create_only`` and the key exists),
        StorageError (codes ``EntityTooLarge``, ``KeyTooLongError``).
        """
        data = _read_body(body)
        _check_digest(data, content_md5, bucket, key)
        if len(data) > LIMITS.max_single_put:
            raise _too_large(bucket, key, LIMITS.max_single_put)
        _check_key(bucket, key)
        etag = hashlib.md5(data).hexdigest()
        with self.store.lock:
            b = self._bucket(bucket)
            if if_match:
                _still(self._version(b, key, ""), if_match, bucket, key)
            if create_only:
                _absent(b, key)
            b.add(key, self._new_version(b, data=data, etag=etag, content_type=content_type))
        return etag

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete the key: gone for good where versioning is off, else hidden behind a new
        delete marker. A key that does not exist is deleted already.

        Raises: BucketNotFound.
        """
        with self.store.lock:
            self._delete(self._bucket(bucket), key)

    def _delete(self, b: StoredBucket, key: str) -> None:
        if b.versioning == UNVERSIONED:
            b.drop(key)
        else:
            b.add(key, self._new_version(b, delete_marker=True))

    # ── batch delete ────────────────────────────────────────────────────────────────────

    def delete_objects(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to ``limits.max_delete_batch`` keys; returns those refused (only
        what ``MemoryStore.refuse_delete`` refuses), each with its error.

        Raises: ValueError (too many keys), BucketNotFound.
        """
        if len(keys) > LIMITS.max_delete_batch:
            raise ValueError(f"at most {LIMITS.max_delete_batch} keys per batch delete")
        refused: list[tuple[str, CloudBrowserError]] = []
        with self.store.lock:
            b = self._bucket(bucket)
            for key in keys:
                error = self._refusal(bucket, key)
                if error is not None:
                    refused.append((key, error))
                else:
                    self._delete(b, key)
        return refused

    def _refusal(self, bucket: str, key: str) -> CloudBrowserError | None:
        refuse = self.store.refuse_delete
        return refuse(bucket, key) if refuse is not None else None

    # ── chunked uploads ─────────────────────────────────────────────────────────────────

    def begin_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str = "",
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Returns the new session. Raises: BucketNotFound, StorageError.

        ``if_match`` and ``create_only`` are checked by the commit, as S3 does."""
        del if_match, create_only
        _check_key(bucket, key)
        with self.store.lock:
            b = self._bucket(bucket)
            session = self.store.new_id()
            b.uploads[session] = Upload(session, key, self.store.clock(), content_type)
        return session

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
        """Store chunk ``number`` (1 to ``limits.max_chunks``; again: replaced); returns
        its token (the MD5 of its bytes, as S3's part ETag).

        Raises: UploadNotFound, BucketNotFound, IntegrityError, StorageError (codes
        ``InvalidArgument``, ``EntityTooLarge``).
        """
        data = _read_body(body)
        _check_digest(data, content_md5, bucket, key)
        _check_chunk_number(number)
        if len(data) > LIMITS.max_chunk:
            raise _too_large(bucket, key, LIMITS.max_chunk)
        token = hashlib.md5(data).hexdigest()
        with self.store.lock:
            self._upload(bucket, key, session).chunks[number] = (data, token)
        return token

    def list_chunks(self, bucket: str, key: str, session: str) -> list[UploadedPart]:
        """Raises: UploadNotFound, BucketNotFound."""
        with self.store.lock:
            upload = self._upload(bucket, key, session)
            return [
                UploadedPart(number=n, token=token, size=len(data))
                for n, (data, token) in sorted(upload.chunks.items())
            ]

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
        """Make the object of the named chunks, in number order; returns its ETag.

        Raises: UploadNotFound, BucketNotFound, ObjectChanged and KeyNotFound (as
        ``put_object``'s ``if_match``), CreatedMeanwhile (its ``create_only``),
        StorageError (codes ``InvalidPart``: a chunk not uploaded or another token;
        ``EntityTooSmall``: a chunk but the last under ``limits.min_chunk``;
        ``MalformedXML``: no chunks).
        """
        del content_md5  # like S3: a joined object's checksum is its composite ETag
        named = sorted(chunks)
        where = f"“{bucket}/{key}”"
        if not named:
            raise StorageError(
                f"The server refused the request for {where}: no chunks were named.",
                code="MalformedXML",
            )
        with self.store.lock:
            b = self._bucket(bucket)
            upload = self._upload(bucket, key, session)
            parts: list[tuple[bytes, str]] = []
            for number, token in named:
                stored = upload.chunks.get(number)
                if stored is None or stored[1] != token.strip('"'):
                    raise StorageError(
                        f"The server refused the request for {where}: chunk {number} "
                        "was not uploaded, or its token is not the one named.",
                        hint="Upload the chunk again.",
                        code="InvalidPart",
                    )
                parts.append(stored)
            if any(len(data) < LIMITS.min_chunk for data, _ in parts[:-1]):
                raise StorageError(
                    f"The server refused the request for {where}: a chunk other than the "
                    f"last is smaller than {LIMITS.min_chunk} bytes.",
                    code="EntityTooSmall",
                )
            if if_match:
                _still(self._version(b, key, ""), if_match, bucket, key)
            if create_only:
                _absent(b, key)
            data = b"".join(d for d, _ in parts)
            digests = b"".join(binascii.unhexlify(token) for _, token in parts)
            etag = f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"
            version = self._new_version(b, data=data, etag=etag, content_type=upload.content_type)
            b.add(key, version)
            del b.uploads[session]
        return etag

    def abort_upload(self, bucket: str, key: str, session: str) -> None:
        """Forget the session and its chunks; an unknown session is not an error.

        Raises: BucketNotFound.
        """
        with self.store.lock:
            b = self._bucket(bucket)
            upload = b.uploads.get(session)
            if upload is not None and upload.key == key:
                del b.uploads[session]

    def list_unfinished_uploads(self, bucket: str, prefix: str = "") -> list[UnfinishedUpload]:
        """Every session under ``prefix``, by key (UTF-8 order), then by start.

        Raises: BucketNotFound.
        """
        with self.store.lock:
            uploads = [u for u in self._bucket(bucket).uploads.values() if u.key.startswith(prefix)]
        uploads.sort(key=lambda u: (u.key.encode(), u.initiated, u.session))
        return [UnfinishedUpload(bucket, u.key, u.session, u.initiated) for u in uploads]

    # ── server copy ─────────────────────────────────────────────────────────────────────

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        """Copy the current version, with its content headers, metadata and tags (the
        storage class is the default, as S3's copy without one); returns the new ETag.

        Raises: KeyNotFound, BucketNotFound, CreatedMeanwhile (``create_only`` and the key
        exists), StorageError (code ``InvalidRequest``: above ``limits.max_server_copy``).
        """
        _check_key(bucket, key)
        with self.store.lock:
            source = self._version(self._bucket(src_bucket), src_key, "")
            if len(source.data) > LIMITS.max_server_copy:
                raise StorageError(
                    f"The server refused to copy “{src_bucket}/{src_key}” in one request: "
                    f"it is larger than {LIMITS.max_server_copy} bytes.",
                    hint="Copy it in chunks.",
                    code="InvalidRequest",
                )
            b = self._bucket(bucket)
            if create_only:
                _absent(b, key)
            etag = hashlib.md5(source.data).hexdigest()
            copy = self._new_version(b, data=source.data, etag=etag)
            b.add(key, _with_headers_of(copy, source, storage_class="STANDARD"))
        return etag

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
        """Bytes ``first``..``last`` of the source as chunk ``number``; returns its token.

        Raises: KeyNotFound, UploadNotFound, ObjectChanged, BucketNotFound, StorageError
        (code ``InvalidRange``, ``InvalidArgument``).
        """
        _check_chunk_number(number)
        with self.store.lock:
            source = self._version(self._bucket(src_bucket), src_key, "")
            if if_match and if_match != source.etag:
                raise ObjectChanged(
                    f"“{src_bucket}/{src_key}” changed on the server since the copy began.",
                    hint="Retry to copy the current version from the start.",
                    code="PreconditionFailed",
                )
            if not 0 <= first <= last < len(source.data):
                raise StorageError(
                    f"The server refused the request for “{src_bucket}/{src_key}”: "
                    f"bytes {first}-{last} are not inside its {len(source.data)} bytes.",
                    code="InvalidRange",
                )
            data = source.data[first : last + 1]
            token = hashlib.md5(data).hexdigest()
            self._upload(bucket, key, session).chunks[number] = (data, token)
        return token

    # ── versions ────────────────────────────────────────────────────────────────────────

    def bucket_versioning(self, bucket: str) -> str:
        """``"Enabled"``, ``"Suspended"`` or ``""`` (never turned on). Raises: BucketNotFound."""
        with self.store.lock:
            return self._bucket(bucket).versioning

    def set_bucket_versioning(self, bucket: str, on: bool) -> None:
        """As S3: ``Enabled``, or ``Suspended`` once it was on. Raises: BucketNotFound."""
        with self.store.lock:
            self._bucket(bucket).versioning = ENABLED if on else SUSPENDED

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
        """One page of versions and delete markers below ``prefix`` as S3's
        ListObjectVersions pages them: by key (UTF-8 bytes), newest first per key, at most
        ``limit`` rows (prefixes count), after ``key_marker`` (all of its versions, or
        those after ``version_marker`` when given). With ``delimited`` the folders directly
        under ``prefix`` come as prefixes.

        Raises: BucketNotFound.
        """
        limit = min(limit or self.page_size, LIMITS.max_page)
        raw_prefix = prefix.encode()
        page = VersionPage()
        rows = 0
        with self.store.lock:
            b = self._bucket(bucket)
            after = key_marker.encode() if key_marker else b""
            if delimited and after.endswith(_DELIMITER) and not version_marker:
                after += _AFTER  # past the folder the previous page ended with
            pending: list[Version] = []
            if key_marker and version_marker:
                history = _versions(key_marker, b.histories.get(key_marker, []))
                ids = [v.version_id for v in history]
                if version_marker in ids:
                    pending = history[ids.index(version_marker) + 1 :]
                else:  # the marker was removed since: the versions older than it were
                    older = b.removed.get((key_marker, version_marker), frozenset())
                    pending = [v for v in history if v.version_id in older]
            while True:
                if not pending:
                    raw = b.next_key(raw_prefix, after)
                    if raw is None:
                        return page
                    folder = _folder_of(raw, raw_prefix) if delimited else None
                    if folder is not None:
                        if rows == limit:
                            return _continued(
                                page, key_marker=key_marker, version_marker=version_marker
                            )
                        page.prefixes.append(folder.decode())
                        rows += 1
                        after = folder + _AFTER
                        key_marker, version_marker = folder.decode(), ""
                        continue
                    after = raw
                    pending = _versions(raw.decode(), b.histories[raw.decode()])
                if rows == limit:
                    return _continued(page, key_marker=key_marker, version_marker=version_marker)
                row = pending.pop(0)
                (page.markers if row.delete_marker else page.versions).append(row)
                rows += 1
                key_marker, version_marker = row.key, row.version_id

    def restore_version(self, bucket: str, key: str, version_id: str) -> str:
        """Copy an old version over the key (a new current version; the history stays).
        Returns the new version's id.

        Raises: KeyNotFound (no such version), BucketNotFound, StorageError (code
        ``InvalidRequest``: a delete marker cannot be copied).
        """
        with self.store.lock:
            b = self._bucket(bucket)
            old = self._any_version(b, key, version_id)
            if old.delete_marker:
                raise StorageError(
                    f"The server refused the request for “{bucket}/{key}”: "
                    "a delete marker cannot be restored.",
                    code="InvalidRequest",
                )
            new = _with_headers_of(self._new_version(b, data=old.data, etag=old.etag), old)
            b.add(key, new)
            return new.version_id if b.versioning != UNVERSIONED else ""

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one version or marker for good (an unknown one: nothing happens).

        Raises: BucketNotFound.
        """
        with self.store.lock:
            self._bucket(bucket).remove(key, version_id)

    def delete_versions(
        self, bucket: str, versions: Sequence[tuple[str, str]]
    ) -> list[tuple[str, CloudBrowserError]]:
        """Delete up to ``limits.max_delete_batch`` ``(key, version id)`` for good; returns
        the keys refused, as :meth:`delete_objects`.

        Raises: ValueError (too many), BucketNotFound.
        """
        if len(versions) > LIMITS.max_delete_batch:
            raise ValueError(f"at most {LIMITS.max_delete_batch} versions per batch delete")
        refused: list[tuple[str, CloudBrowserError]] = []
        with self.store.lock:
            b = self._bucket(bucket)
            for key, version_id in versions:
                error = self._refusal(bucket, key)
                if error is not None:
                    refused.append((key, error))
                else:
                    b.remove(key, version_id)
        return refused

    # ── soft-deleted objects ────────────────────────────────────────────────────────────

    def soft_delete_retention(self, bucket: str) -> int:
        """Seconds the bucket keeps what is deleted (``MemoryStore.set_soft_delete``).

        Raises: BucketNotFound.
        """
        with self.store.lock:
            return self._bucket(bucket).soft_delete_seconds

    def list_soft_deleted_page(
        self, bucket: str, prefix: str = "", token: str = "", *, delimited: bool = False
    ) -> VersionPage:
        """Soft-deleted versions below ``prefix`` by key (the last deleted first per key),
        ``page_size`` rows (folders count) a page; the token is the count of rows before.

        Raises: BucketNotFound.
        """
        with self.store.lock:
            b = self._bucket(bucket)
            rows: list[Version | str] = []
            for key in sorted(b.soft, key=lambda k: k.encode()):
                if not key.startswith(prefix):
                    continue
                kept = b.soft_kept(key)
                rest = key[len(prefix) :]
                if delimited and DELIMITER in rest:
                    folder = prefix + rest[: rest.index(DELIMITER) + 1]
                    if kept and folder not in rows:
                        rows.append(folder)
                    continue
                for k in sorted(kept, key=lambda k: -k.deleted_at):
                    rows.append(
                        Version(
                            key=key,
                            version_id=k.soft_id,
                            modified=k.version.modified,
                            size=len(k.version.data),
                            etag=k.version.etag,
                            deleted_at=k.deleted_at,
                            kept_until=k.deleted_at + b.soft_delete_seconds,
                        )
                    )
        start = int(token or 0)
        page = rows[start : start + self.page_size]
        more = start + self.page_size < len(rows)
        return VersionPage(
            versions=[r for r in page if isinstance(r, Version)],
            prefixes=[r for r in page if isinstance(r, str)],
            next_key_marker=str(start + self.page_size) if more else "",
        )

    def restore_soft_deleted(self, bucket: str, key: str, version_id: str) -> str:
        """A copy of the soft-deleted version becomes the key's current one, as GCS's
        restore makes one (the soft-deleted one stays until its time is up; the old
        current one leaves the history as any replaced version does). Returns the new
        version's id.

        Raises: KeyNotFound (no such soft-deleted version, or kept no longer),
        BucketNotFound.
        """
        with self.store.lock:
            b = self._bucket(bucket)
            kept = b.soft_kept(key)
            found = next((k for k in kept if k.soft_id == version_id), None)
            if found is None:
                raise KeyNotFound(
                    f"“{bucket}/{key}” has no soft-deleted version {version_id}.",
                    hint="It may have been restored already, or kept no longer.",
                    code="NoSuchVersion",
                )
            old = found.version
            new = _with_headers_of(self._new_version(b, data=old.data, etag=old.etag), old)
            b.add(key, new)
            return new.version_id if b.versioning != UNVERSIONED else ""

    # ── share links ─────────────────────────────────────────────────────────────────────

    def share_link(
        self, bucket: str, key: str, expires_in: int, *, accepted: LinkGrant | None = None
    ) -> ShareLink:
        """A URL on 127.0.0.1 that serves the key's current bytes for ``expires_in``
        seconds (by the store's clock, which its end is in). Like a presigned URL, nothing
        is checked now.

        Raises: ConfigError (a lifetime of 0 or more than ``limits.max_link_seconds``).
        """
        del accepted  # signed for itself: it never carries the connection's credential
        if not 0 < expires_in <= LIMITS.max_link_seconds:
            raise ConfigError(
                f"A share link can last from 1 second to {LIMITS.max_link_seconds} seconds.",
                hint="Choose a shorter lifetime.",
            )
        expires = self.store.clock() + expires_in
        return ShareLink(links.make_link(self.store, bucket, key, expires), expires)

    # ── properties ──────────────────────────────────────────────────────────────────────

    def object_details(self, bucket: str, key: str) -> ObjectDetails:
        """Raises: KeyNotFound, BucketNotFound."""
        with self.store.lock:
            b = self._bucket(bucket)
            v = self._version(b, key, "")
            shown_id = v.version_id if b.versioning != UNVERSIONED else ""
        return ObjectDetails(
            bucket=bucket,
            key=key,
            size=len(v.data),
            modified=v.modified,
            etag=v.etag,
            content_type=v.content_type,
            cache_control=v.cache_control,
            content_disposition=v.content_disposition,
            content_encoding=v.content_encoding,
            content_language=v.content_language,
            expires=v.expires,
            storage_class=v.storage_class,
            version_id=shown_id,
            website_redirect=v.website_redirect,
            restore=classes.restore_header(self.store, v),
            tag_count=len(v.tags),
            metadata=dict(v.metadata),
        )

    def replace_metadata(self, target: ObjectDetails) -> str:
        """Give the object ``target``'s headers, metadata and storage class (a new version
        where versioning is on; tags kept), only if it still has ``target.etag``.

        Raises: ObjectChanged, KeyNotFound, BucketNotFound, ConfigError (above
        ``limits.max_server_copy``, or archived), as ``S3Backend.replace_metadata``.
        """
        if target.size > LIMITS.max_server_copy:
            raise ConfigError(
                "Objects larger than 5 GiB cannot be changed in place.",
                hint="Tags can still be changed. To change the metadata, upload the object "
                "again with the new metadata.",
            )
        with self.store.lock:
            b = self._bucket(target.bucket)
            current = self._version(b, target.key, "")
            if classes.unreadable(self.store, current):  # (moving into one is allowed)
                raise ConfigError(
                    f"This object is in the {current.storage_class} archive tier: its "
                    "metadata cannot be changed until it is restored.",
                    hint="Restore the object first, then change its metadata.",
                )
            if target.etag and current.etag != target.etag:
                raise ObjectChanged(
                    f"“{target.bucket}/{target.key}” was changed on the server since its "
                    "properties were read; nothing was saved.",
                    hint="Reopen the properties to edit the current version.",
                    code="PreconditionFailed",
                )
            new = self._new_version(b, data=current.data, etag=current.etag).but(
                content_type=target.content_type,
                cache_control=target.cache_control,
                content_disposition=target.content_disposition,
                content_encoding=target.content_encoding,
                content_language=target.content_language,
                expires=target.expires,
                website_redirect=target.website_redirect,
                storage_class=target.storage_class or "STANDARD",
                metadata=dict(target.metadata),
                tags=dict(current.tags),
            )
            b.add(target.key, new)
            return new.etag

    def get_tags(self, bucket: str, key: str) -> dict[str, str]:
        """Raises: KeyNotFound, BucketNotFound."""
        with self.store.lock:
            return dict(self._version(self._bucket(bucket), key, "").tags)

    def put_tags(self, bucket: str, key: str, tags: Mapping[str, str]) -> None:
        """Replace the current version's tags (no new version; {} removes them all).

        Raises: KeyNotFound, BucketNotFound, StorageError (code ``InvalidTag``: S3's
        limits of 10 tags, keys of 128 and values of 256 characters).
        """
        if len(tags) > _MAX_TAGS or any(
            not k or len(k) > _MAX_TAG_KEY or len(v) > _MAX_TAG_VALUE for k, v in tags.items()
        ):
            raise StorageError(
                f"The server refused the tags of “{bucket}/{key}”: at most {_MAX_TAGS} tags, "
                f"keys of 1 to {_MAX_TAG_KEY} and values of up to {_MAX_TAG_VALUE} characters.",
                code="InvalidTag",
            )
        with self.store.lock:
            b = self._bucket(bucket)
            current = self._version(b, key, "")
            history = b.histories[key]
            history[-1] = current.but(tags=dict(tags))

    def find_tagged_page(
        self, bucket: str, conditions: Sequence[TagCondition], token: str = ""
    ) -> TaggedPage:
        """Up to ``page_size`` keys whose current version's tags meet every condition
        (compared as UTF-8 bytes, as Azure's blob index compares text), in key order.

        Raises: BucketNotFound, ConfigError (no condition, or an operator not in
        ``TAG_OPERATORS``), StorageError (code ``InvalidArgument``: a foreign token).
        """
        if not conditions or any(c.op not in TAG_OPERATORS for c in conditions):
            raise ConfigError(
                "A tag search needs conditions of the form NAME=VALUE (or >, >=, <, <=).",
                hint="Write tag:NAME=VALUE.",
            )
        after = _token_marker(token)
        keys: list[str] = []
        last = b""
        with self.store.lock:
            b = self._bucket(bucket)
            for raw in b.keys_from(b"", after):
                current = b.current(raw.decode())
                if current is not None and _tags_meet(current.tags, conditions):
                    if len(keys) == self.page_size:
                        return TaggedPage(keys, _make_token(last))
                    keys.append(raw.decode())
                    last = raw
        return TaggedPage(keys)

    # ── storage classes ─────────────────────────────────────────────────────────────────

    def storage_class_offer(self) -> StorageClassOffer:
        return classes.OFFER

    def set_storage_class(self, bucket: str, key: str, storage_class: str) -> None:
        """A copy in place with the new class (a new version where versioning is on), as
        S3's CopyObject: an archived object not restored is refused.

        Raises: ConfigError (an unknown class, an archived object), KeyNotFound,
        BucketNotFound.
        """
        if storage_class not in classes.OFFER.names:
            raise ConfigError(
                f"“{storage_class}” is not a storage class of this connection.",
                hint="Choose one of: " + ", ".join(classes.OFFER.names) + ".",
            )
        with self.store.lock:
            b = self._bucket(bucket)
            current = self._version(b, key, "")
            if current.storage_class == storage_class:
                return
            if classes.unreadable(self.store, current):
                raise ConfigError(
                    f"“{key}” is in the {current.storage_class} archive class: its class "
                    "cannot be changed until it is restored.",
                    hint="Restore it first, then change its class.",
                )
            new = self._new_version(b, data=current.data, etag=current.etag)
            b.add(key, _with_headers_of(new, current, storage_class=storage_class))

    def restore_archived(
        self, bucket: str, key: str, *, days: int = 0, priority: str = "", target: str = ""
    ) -> bool:
        """Start (or, for a restored copy, prolong) a restore of an archived object; it is
        in progress for ``store.restore_seconds`` of the store's clock.

        Raises: ConfigError (a priority S3 has not), KeyNotFound, BucketNotFound.
        """
        if priority and priority not in classes.OFFER.priorities:
            raise ConfigError(
                f"“{priority}” is not a retrieval tier.",
                hint="Choose one of: " + ", ".join(classes.OFFER.priorities) + ".",
            )
        with self.store.lock:
            b = self._bucket(bucket)
            current = self._version(b, key, "")
            if current.storage_class not in classes.ARCHIVE:
                return False
            header = classes.restore_header(self.store, current)
            if header.startswith('ongoing-request="true"'):
                return True  # already under way (S3: RestoreAlreadyInProgress)
            asked = self.store.clock()
            if header:  # a restored copy: S3 prolongs it from now, at once
                asked -= self.store.restore_seconds
            history = b.histories[key]
            history[-1] = current.but(
                restore_asked=asked, restore_days=days or classes.OFFER.restore_days
            )
            return True

    # ── helpers ─────────────────────────────────────────────────────────────────────────

    def _bucket(self, bucket: str) -> StoredBucket:
        """The bucket (caller holds the lock). Raises: BucketNotFound."""
        b = self.store.buckets.get(bucket)
        if b is None:
            raise BucketNotFound(
                f"The bucket “{bucket}” does not exist (it may have been deleted).",
                hint="Check the name, and list the buckets again to see which there are.",
                code="NoSuchBucket",
            )
        return b

    def _version(self, b: StoredBucket, key: str, version_id: str) -> StoredVersion:
        """The current version of ``key``, or the one named (not a marker).

        Raises: KeyNotFound."""
        v = self._any_version(b, key, version_id) if version_id else b.current(key)
        if v is None or v.delete_marker:
            raise _no_key(b.name, key)
        return v

    def _any_version(self, b: StoredBucket, key: str, version_id: str) -> StoredVersion:
        for v in b.histories.get(key, []):
            if v.version_id == version_id:
                return v
        raise KeyNotFound(
            f"“{b.name}/{key}” has no version {version_id}.",
            hint="Refresh the list of versions.",
            code="NoSuchVersion",
        )

    def _upload(self, bucket: str, key: str, session: str) -> Upload:
        """The session of ``key`` (caller holds the lock). Raises: UploadNotFound."""
        upload = self._bucket(bucket).uploads.get(session)
        if upload is None or upload.key != key:
            raise UploadNotFound(
                f"The multipart upload of “{bucket}/{key}” no longer exists on the server.",
                hint="It was aborted or expired; the file is uploaded again from the start.",
                code="NoSuchUpload",
            )
        return upload

    def _new_version(self, b: StoredBucket, **values: object) -> StoredVersion:
        """A version stamped now, with an id as the bucket's versioning state gives."""
        version_id = self.store.new_id() if b.versioning == ENABLED else NULL_VERSION
        return StoredVersion(version_id, self.store.clock()).but(**values)


class MemoryReader:
    """The body of a read: bytes already in hand, read in chunks."""

    def __init__(
        self,
        body: bytes,
        *,
        etag: str,
        modified: float,
        content_type: str,
        content_range: tuple[int, int, int] | None,
        md5: str = "",
    ) -> None:
        self._body = memoryview(body)
        self.md5 = md5
        self.crc32c = ""
        self.range_md5 = ""
        self._at = 0
        self.size = len(body)
        self.etag = etag
        self.modified = modified
        self.content_type = content_type
        self.content_range = content_range
        self._aborted = False

    def read(self, amount: int) -> bytes:
        """Up to ``amount`` bytes (all that remain for a negative ``amount``); b"" at the end.
        Raises Cancelled after :meth:`abort`."""
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        end = self.size if amount < 0 else min(self.size, self._at + amount)
        chunk = bytes(self._body[self._at : end])
        self._at = end
        return chunk

    def abort(self) -> None:
        self._aborted = True

    def close(self) -> None:
        self._at = len(self._body)  # nothing more to read

    def __enter__(self) -> MemoryReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# ── helpers ─────────────────────────────────────────────────────────────────────────────


def _folder_of(raw: bytes, raw_prefix: bytes) -> bytes | None:
    """The folder directly under ``raw_prefix`` that holds key ``raw`` (None: the key
    itself is directly under it)."""
    cut = raw.find(_DELIMITER, len(raw_prefix))
    return None if cut < 0 else raw[: cut + 1]


def _entry(key: str, v: StoredVersion) -> Entry:
    return Entry(key, len(v.data), v.modified, v.etag, v.storage_class, md5=md5_in_etag(v.etag))


def _versions(key: str, history: list[StoredVersion]) -> list[Version]:
    """A key's history as Versions: the current one (or marker) first, then newest first."""
    newest_first = list(reversed(history))
    return [
        Version(
            key=key,
            version_id=v.version_id,
            modified=v.modified,
            size=len(v.data),
            etag=v.etag,
            is_latest=i == 0,
            delete_marker=v.delete_marker,
        )
        for i, v in enumerate(newest_first)
    ]


def _deleted_entry(key: str, history: list[StoredVersion]) -> Entry | None:
    """The row of a deleted key (its latest is a marker), else None."""
    if not history or not history[-1].delete_marker:
        return None
    restored = next((v for v in reversed(history) if not v.delete_marker), None)
    entry = Entry(key=key, modified=history[-1].modified)
    if restored is None:
        return entry
    return entry._replace(
        size=len(restored.data), etag=restored.etag, md5=md5_in_etag(restored.etag)
    )


def _with_headers_of(
    v: StoredVersion, source: StoredVersion, *, storage_class: str = ""
) -> StoredVersion:
    return v.but(
        content_type=source.content_type,
        cache_control=source.cache_control,
        content_disposition=source.content_disposition,
        content_encoding=source.content_encoding,
        content_language=source.content_language,
        expires=source.expires,
        website_redirect=source.website_redirect,
        storage_class=storage_class or source.storage_class,
        metadata=dict(source.metadata),
        tags=dict(source.tags),
    )


def _tags_meet(tags: Mapping[str, str], conditions: Sequence[TagCondition]) -> bool:
    for c in conditions:
        if c.name not in tags:
            return False
        have, want = tags[c.name].encode(), c.value.encode()
        met = {
            "=": have == want,
            ">": have > want,
            ">=": have >= want,
            "<": have < want,
            "<=": have <= want,
        }[c.op]
        if not met:
            return False
    return True


def _make_token(after: bytes) -> str:
    return _TOKEN + base64.urlsafe_b64encode(after).decode()


def _token_marker(token: str) -> bytes:
    """The key bytes a token lists after (b"" for no token). Raises StorageError."""
    if not token:
        return b""
    try:
        if not token.startswith(_TOKEN):
            raise ValueError(token)
        return base64.urlsafe_b64decode(token[len(_TOKEN) :].encode())
    except (ValueError, binascii.Error) as exc:
        raise StorageError(
            "The server refused the listing: the continuation token is not valid.",
            hint="Check the name, and list its folder again to see what is there now.",
            code="InvalidArgument",
        ) from exc


def _read_body(body: object) -> bytes:
    """The bytes of a body: bytes-like, or a file object read from where it stands."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    read: Callable[[], object] | None = getattr(body, "read", None)
    if read is None:
        raise TypeError(f"a body is bytes or a readable file, not {type(body).__name__}")
    data = read()
    if not isinstance(data, bytes | bytearray):
        raise TypeError("a body's read() must return bytes")
    return bytes(data)


def _check_digest(data: bytes, content_md5: str, bucket: str, key: str) -> None:
    if content_md5 and base64.b64encode(hashlib.md5(data).digest()).decode() != content_md5:
        raise IntegrityError(
            f"The server received different bytes than were sent for “{bucket}/{key}”.",
            hint="The file may have changed while it was read, or the network corrupted it; retry.",
            code="BadDigest",
        )


def _check_key(bucket: str, key: str) -> None:
    if not key or len(key.encode()) > _MAX_KEY_BYTES:
        raise StorageError(
            f"The server refused the name of “{bucket}/{key[:80]}”: a key is 1 to "
            f"{_MAX_KEY_BYTES} bytes long.",
            hint="Choose a shorter name.",
            code="KeyTooLongError",
        )


def _check_chunk_number(number: int) -> None:
    if not 1 <= number <= LIMITS.max_chunks:
        raise StorageError(
            f"Chunk numbers go from 1 to {LIMITS.max_chunks}, not {number}.",
            code="InvalidArgument",
        )


def _check_cancel(cancel: threading.Event | None, message: str) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(message)


def _no_key(bucket: str, key: str) -> KeyNotFound:
    return KeyNotFound(
        f"“{bucket}/{key}” does not exist (it may have been deleted or moved).",
        hint="Check the name, and list its folder again to see what is there now.",
        code="NoSuchKey",
    )


def _too_large(bucket: str, key: str, limit: int) -> StorageError:
    return StorageError(
        f"The server refused “{bucket}/{key}”: it is larger than {limit} bytes.",
        hint="Larger objects are uploaded in chunks.",
        code="EntityTooLarge",
    )


if TYPE_CHECKING:
    # mypy checks here that MemoryStorage implements the interface and every capability.
    def _implements(
        storage: MemoryStorage,
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
        TagSearch,
    ]:
        return (
            storage,
            storage,
            storage,
            storage,
            storage,
            storage,
            storage,
            storage,
            storage,
            storage,
        )


def _continued(page: VersionPage, *, key_marker: str, version_marker: str = "") -> VersionPage:
    """``page`` with the markers where the next page starts."""
    return dataclasses.replace(page, next_key_marker=key_marker, next_version_marker=version_marker)


def _absent(b: StoredBucket, key: str) -> None:
    """A create-only write's check (the caller holds the lock, so nothing writes between
    it and the write): no current object of the name (a delete marker is none)."""
    v = b.current(key)
    if v is not None and not v.delete_marker:
        raise created_meanwhile(b.name, key, f"the server has {v.etag}")


def _still(v: StoredVersion, if_match: str, bucket: str, key: str) -> None:
    """A conditional write's check (the caller holds the lock, so nothing writes between
    it and the write): the object must still be revision ``if_match``."""
    if v.etag != if_match.strip('"'):
        raise ObjectChanged(
            f"“{bucket}/{key}” changed on the server: it is not the revision this upload "
            "may replace.",
            hint="Look at the object on the server before writing over it.",
            code="PreconditionFailed",
        )
