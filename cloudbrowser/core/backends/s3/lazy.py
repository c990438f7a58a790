"""S3 storage that loads botocore only when a call needs it.

Importing boto3 and building its client cost ~0.5 s of CPU (the service model is a large
JSON file); a command like ``cloudbrowser ls s3://bucket/key`` or a ``get -r`` of small
files needs none of it when the connection leaves nothing for botocore to decide (see
:meth:`FastPath.standalone`): listing, GetObject and PutObject then go through
:mod:`fast`, and everything else (and whatever the fast path hands back: retries,
redirects, odd replies) through a full :class:`S3Backend`, made on first need. Errors are
translated by the backend's table either way (botocore is imported for an error reply).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from cloudbrowser.core.backends.s3.fast import (
    FAST_PUT_LIMIT,
    Fallback,
    FastBody,
    FastPath,
    ServerSaid,
    Unreadable,
    last_modified,
    parse_content_range,
)
from cloudbrowser.core.backends.s3.features import LIMITS, STORAGE_CLASS_OFFER, features
from cloudbrowser.core.backends.s3.listing import below
from cloudbrowser.core.checksums import etag_md5_unless_kms
from cloudbrowser.core.errors import (
    Cancelled,
    CloudBrowserError,
    StorageError,
    refused_as_created,
)
from cloudbrowser.core.interrupt import elsewhere
from cloudbrowser.core.storage import (
    BatchDelete,
    ChunkedUploads,
    Features,
    ObjectProperties,
    ObjectReader,
    ServerCopy,
    ShareLinks,
    Storage,
    StorageClasses,
    StorageClassOffer,
    Versions,
)

if TYPE_CHECKING:
    from cloudbrowser.core.backends.s3.backend import S3Backend
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.entries import ListPage

T = TypeVar("T")


class LazyS3:
    """The S3 storage of one connection: the fast path first, a full S3Backend behind it.

    Every call of the storage interfaces (and any other S3Backend attribute, through
    ``__getattr__``) is the backend's unless it is one of the three the fast path makes.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        credentials: Credentials | None,
        fast: FastPath,
        *,
        page_size: int,
        mfa_prompter: Callable[[str], str] | None,
    ) -> None:
        self.settings = settings
        self.page_size = max(1, min(page_size, LIMITS.max_page))
        self._credentials = credentials
        self._mfa_prompter = mfa_prompter
        self._fast = fast
        self._backend: S3Backend | None = None
        self._lock = threading.Lock()

    @property
    def features(self) -> Features:
        return features(self.settings)

    def backend(self) -> S3Backend:
        """The full backend (boto3 is imported now, its client made on its first call)."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    from cloudbrowser.core.backends.s3.backend import S3Backend

                    self._backend = S3Backend(
                        self.settings,
                        self._credentials,
                        page_size=self.page_size,
                        mfa_prompter=self._mfa_prompter,
                    )
        return self._backend

    def storage_class_offer(self) -> StorageClassOffer:
        """Plain data: asked by the window on its thread, so no backend is made for it."""
        return STORAGE_CLASS_OFFER

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.backend(), name)

    # ── the fast path ──────────────────────────────────────────────────────────────────

    def list_page(
        self,
        bucket: str,
        prefix: str = "",
        token: str = "",
        *,
        recursive: bool = False,
        ahead: bool = False,
    ) -> ListPage:
        def fast() -> ListPage:
            return below(
                self._fast.list_page(
                    bucket,
                    prefix,
                    token,
                    recursive=recursive,
                    page_size=self.page_size,
                    ahead=ahead,
                ),
                prefix,
            )

        def slow() -> ListPage:
            return self.backend().list_page(bucket, prefix, token, recursive=recursive)

        return _fast_or_backend(fast, slow, bucket, "")

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
    ) -> ObjectReader:
        headers: dict[str, str] = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        if if_match:
            headers["If-Match"] = f'"{if_match}"'

        def fast() -> ObjectReader:
            body, reply = self._fast.get(bucket, key, headers, version_id)
            return LiteReader(body, reply, bucket, key)

        def slow() -> ObjectReader:
            # Inside core/interrupt.stoppable: on a runner (botocore's wait cannot be broken
            # off; making the backend imports boto3).
            return elsewhere(
                lambda: self.backend().get_object(
                    bucket, key, start=start, end=end, if_match=if_match, version_id=version_id
                ),
                discard=_close,
            )

        return _fast_or_backend(fast, slow, bucket, key)

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
        def slow() -> str:
            return self.backend().put_object(
                bucket,
                key,
                body,
                content_md5=content_md5,
                content_type=content_type,
                if_match=if_match,
                create_only=create_only,
            )

        if not (isinstance(body, bytes) and len(body) < FAST_PUT_LIMIT):
            return slow()
        headers = {"Content-MD5": content_md5} if content_md5 else {}
        if content_type:
            headers["Content-Type"] = content_type
        if if_match:
            headers["If-Match"] = f'"{if_match}"'
        if create_only:
            headers["If-None-Match"] = "*"
        with refused_as_created(create_only, bucket, key):
            return _fast_or_backend(
                lambda: self._fast.put(bucket, key, body, headers), slow, bucket, key
            )

    def delete_objects(
        self, bucket: str, keys: Sequence[str]
    ) -> list[tuple[str, CloudBrowserError]]:
        def slow() -> list[tuple[str, CloudBrowserError]]:
            return self.backend().delete_objects(bucket, keys)

        if not 0 < len(keys) <= LIMITS.max_delete_batch:
            return slow()  # says what is wrong
        return self._delete(bucket, [(key, "") for key in keys], slow)

    def delete_versions(
        self, bucket: str, versions: Sequence[tuple[str, str]]
    ) -> list[tuple[str, CloudBrowserError]]:
        def slow() -> list[tuple[str, CloudBrowserError]]:
            return self.backend().delete_versions(bucket, versions)

        if not 0 < len(versions) <= LIMITS.max_delete_batch:
            return slow()
        return self._delete(bucket, list(versions), slow)

    def _delete(
        self,
        bucket: str,
        objects: list[tuple[str, str]],
        slow: Callable[[], list[tuple[str, CloudBrowserError]]],
    ) -> list[tuple[str, CloudBrowserError]]:
        """One quiet DeleteObjects of ``(key, version id)`` pairs through the fast path, or
        ``slow()`` (the full backend's same call) where it hands the request back."""

        def fast() -> list[tuple[str, CloudBrowserError]]:
            refused = self._fast.delete(bucket, objects)
            if not refused:
                return []
            from cloudbrowser.core.backends.s3.errors import refused_keys  # loads botocore

            return refused_keys(refused, bucket)

        return _fast_or_backend(fast, slow, bucket, "")


def _fast_or_backend(fast: Callable[[], T], slow: Callable[[], T], bucket: str, key: str) -> T:
    """``fast()``, or ``slow()`` (the full backend) when it hands the request back; every
    failure translated by the backend's table, as the backend's own calls are."""
    try:
        return fast()
    except Fallback:
        return slow()
    except CloudBrowserError:
        raise
    except ServerSaid as said:
        raise _translated(said.as_client_error(), bucket, key) from None
    except Unreadable as unreadable:
        from cloudbrowser.core.backends.s3.errors import UnreadableReply

        reply = UnreadableReply("ListObjectsV2", unreadable.reason, unreadable.body)
        raise _translated(reply, bucket, key) from None
    except Exception as exc:
        raise _translated(exc, bucket, key) from exc


def _forward(name: str) -> Callable[..., Any]:
    def call(self: LazyS3, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.backend(), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


# Every call of the interfaces is a method of the class itself, so that ``isinstance(storage,
# Versions)`` and the like answer without making the backend (S3Backend has them all).
for _protocol in (
    Storage,
    ChunkedUploads,
    ServerCopy,
    BatchDelete,
    Versions,
    ShareLinks,
    ObjectProperties,
    StorageClasses,
):
    for _name, _value in vars(_protocol).items():
        if callable(_value) and not _name.startswith("_") and not hasattr(LazyS3, _name):
            setattr(LazyS3, _name, _forward(_name))


def _translated(exc: Exception, bucket: str, key: str) -> CloudBrowserError:
    from cloudbrowser.core.backends.s3.errors import translate_error

    return translate_error(exc, bucket=bucket, key=key)


class LiteReader:
    """The body of a fast GET: S3Reader's behaviour without botocore loaded (it is loaded
    to translate an error)."""

    def __init__(self, body: FastBody, reply: Any, bucket: str, key: str) -> None:
        self._stream = body
        self.size = body._content_length
        self.etag = str(reply.get("ETag", "")).strip('"')
        self.modified = last_modified(reply)
        self.content_type = str(reply.get("Content-Type", ""))
        self.content_range = parse_content_range(str(reply.get("Content-Range", "")))
        self.md5 = etag_md5_unless_kms(
            self.etag, str(reply.get("x-amz-server-side-encryption", ""))
        )
        self.crc32c = ""  # sent only when asked (ChecksumMode), which is not done
        self.range_md5 = ""
        self._where = (bucket, key)
        self._aborted = False

    def read(self, amount: int) -> bytes:
        try:
            data = self._stream.read(amount)
        except Exception as exc:
            error = _translated(exc, *self._where)
            if self._aborted and isinstance(error, StorageError):
                raise Cancelled("Reading was stopped.") from None  # the broken-off read
            raise error from exc
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        return data

    def abort(self) -> None:
        """Break off a read blocked in another thread: the socket is shut down under it."""
        self._aborted = True
        raw = self._stream._raw_stream
        with contextlib.suppress(Exception):  # released already (read to the end): fine
            shutdown = getattr(raw, "shutdown", None)
            if shutdown is not None:
                shutdown()
            else:  # an older urllib3: closing the response is the next best thing
                raw.close()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> LiteReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _close(reader: ObjectReader) -> None:
    """Close the reply of a GET whose caller stopped waiting for it."""
    reader.close()
