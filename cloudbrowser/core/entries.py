"""Plain, immutable values that describe remote things.

They are what the storage layer returns and what the GUI models and the CLI hold, so they
stay small: a listing of a million keys is a million ``Entry`` rows (times as POSIX floats,
storage classes interned).

NamedTuples, not dataclasses: they are built at every command's start, where a dataclass
costs ~1 ms to build and ``dataclasses`` itself (with ``inspect``) ~10 ms to import. Where
a field's default is a fresh list or dict, the class's ``__new__`` makes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple


class Bucket(NamedTuple):
    """A bucket as ``ListBuckets`` reports it."""

    name: str
    #: Creation time, POSIX seconds (UTC); 0.0 when the server does not say.
    created: float = 0.0
    #: Region when the server reports it (``BucketRegion``), else "".
    region: str = ""


class Entry(NamedTuple):
    """One row of a listing: an object, or a common prefix ("folder").

    Path convention: ``key`` is the full key inside the bucket. A prefix ends with the
    delimiter (``photos/2024/``) and has ``is_prefix`` set, size 0 and no time.

    A NamedTuple so that a holder of many rows can keep them as plain tuples
    (``tuple(entry)``, back with ``Entry._make``): CPython's garbage collector stops
    tracking an exact tuple of str/int/float, so a million listed rows do not make every
    full collection (which holds the GIL and so stalls the GUI thread) a million objects
    longer. Instances of this subclass are tracked; plain tuples are not.
    """

    key: str
    size: int = 0
    #: Last-modified time, POSIX seconds (UTC); 0.0 for prefixes.
    modified: float = 0.0
    #: ETag without the surrounding quotes; "" for prefixes.
    etag: str = ""
    #: ``STANDARD``, ``GLACIER``... ; "" for prefixes or when the server omits it.
    storage_class: str = ""
    is_prefix: bool = False
    #: The object's checksums as the provider reports them ("" when it keeps none):
    #: the whole object's MD5 and CRC32C, lower-case hex (see ``core/storage.py``).
    md5: str = ""
    crc32c: str = ""
    #: Where a restore of an archived object stands, where the listing says it (Azure's
    #: ArchiveStatus; the memory backend's ``x-amz-restore``): read by ``restore_state``.
    #: "" when no restore is on, or the listing does not say (S3's ListObjects).
    restore: str = ""

    def name(self, prefix: str) -> str:
        """The key relative to ``prefix`` (what a file manager shows), without a trailing '/'."""
        rel = self.key[len(prefix) :] if self.key.startswith(prefix) else self.key
        return rel[:-1] if self.is_prefix and rel.endswith("/") else rel

    @property
    def modified_datetime(self) -> datetime | None:
        return datetime.fromtimestamp(self.modified, UTC) if self.modified else None


class _ListPageFields(NamedTuple):
    prefixes: list[Entry]
    objects: list[Entry]
    next_token: str
    refused: list[str]


class ListPage(_ListPageFields):
    """One page of a delimited listing, in the server's order (UTF-8 byte order of keys).

    ``prefixes`` and ``objects`` are kept apart because a file manager shows folders first;
    ``next_token`` is "" on the last page. ``refused`` are keys the server listed that are
    not below the requested prefix: left out of ``prefixes`` and ``objects`` (a download
    would write them where nobody asked), kept here so that callers can name them.
    """

    __slots__ = ()

    def __new__(
        cls,
        prefixes: list[Entry] | None = None,
        objects: list[Entry] | None = None,
        next_token: str = "",
        refused: list[str] | None = None,
    ) -> ListPage:
        return super().__new__(
            cls,
            [] if prefixes is None else prefixes,
            [] if objects is None else objects,
            next_token,
            [] if refused is None else refused,
        )

    @property
    def is_last(self) -> bool:
        return not self.next_token


class _ObjectInfoFields(NamedTuple):
    bucket: str
    key: str
    size: int
    modified: float
    etag: str
    content_type: str
    storage_class: str
    version_id: str
    metadata: dict[str, str]
    #: The whole object's MD5 and CRC32C, lower-case hex; "" when the provider keeps none.
    md5: str
    crc32c: str


class ObjectInfo(_ObjectInfoFields):
    """What ``HeadObject`` says about one object."""

    __slots__ = ()

    def __new__(
        cls,
        bucket: str,
        key: str,
        size: int,
        modified: float,
        etag: str,
        content_type: str = "",
        storage_class: str = "",
        version_id: str = "",
        metadata: dict[str, str] | None = None,
        md5: str = "",
        crc32c: str = "",
    ) -> ObjectInfo:
        return super().__new__(
            cls,
            bucket,
            key,
            size,
            modified,
            etag,
            content_type,
            storage_class,
            version_id,
            {} if metadata is None else metadata,
            md5,
            crc32c,
        )
