"""Reads of a byte range of an object, written once for every backend (previews, sniffing)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from cloudbrowser.core.errors import Cancelled, StorageError

if TYPE_CHECKING:
    from cloudbrowser.core.storage import Storage


def read_range(
    storage: Storage,
    bucket: str,
    key: str,
    start: int,
    length: int,
    cancel: threading.Event | None = None,
) -> bytes:
    """At most ``length`` bytes of the object from ``start`` (one ranged GET: never
    more than that is transferred). Fewer bytes come back at the object's end; none
    past it. Checks ``cancel`` between 64 KiB chunks and raises Cancelled.

    Raises: KeyNotFound, AccessDenied, EndpointUnreachable, RequestTimeout,
    StorageError (InvalidObjectState for an archived object), Cancelled.
    """
    if length <= 0:
        return b""
    try:
        reader = storage.get_object(bucket, key, start=start, end=start + length - 1)
    except StorageError as exc:
        if exc.code == "InvalidRange":  # ``start`` at or past the end (an empty object)
            return b""
        raise
    chunks: list[bytes] = []
    got = 0
    with reader:
        while got < length:
            if cancel is not None and cancel.is_set():
                raise Cancelled("Reading cancelled.")
            chunk = reader.read(min(64 * 1024, length - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    return b"".join(chunks)
