"""MD5 and ETag arithmetic for verifying transfers.

S3's ETag of an object stored in one request is the hex MD5 of its bytes (unless it is
encrypted with KMS or the server does something else). For a multipart upload it is the
MD5 of the concatenated binary MD5s of the parts, then "-" and the part count: checkable
only by someone who knows where the parts began. Other providers' revision tags are no
MD5 at all: an object's checksums are its ``md5`` and ``crc32c`` (see
``core/storage.py``); :func:`etag_md5` and :func:`etag_chunks` read what a write answered
(a revision) only as the checksums the connection's
:attr:`~cloudbrowser.core.storage.Features.checksums` say it offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from typing import TYPE_CHECKING

from cloudbrowser.core.storage import COMPOSITE, MD5

if TYPE_CHECKING:
    import hashlib

_MD5_HEX = re.compile(r"[0-9a-f]{32}")
_MULTIPART = re.compile(r"([0-9a-f]{32})-(\d+)")


def md5_of(data: bytes | memoryview) -> hashlib._Hash:
    import hashlib  # here: a listing, which hashes nothing, does not load OpenSSL for it

    # usedforsecurity=False: an integrity check, allowed on FIPS systems.
    return hashlib.md5(data, usedforsecurity=False)


def content_md5(digest: bytes) -> str:
    """The Content-MD5 header value (base64 of the binary digest)."""
    import base64  # here: a listing, which never sends one, need not import it

    return base64.b64encode(digest).decode("ascii")


def is_plain_md5(etag: str) -> bool:
    """The ETag is an MD5 of the whole body (a single-request object)."""
    return bool(_MD5_HEX.fullmatch(etag.lower()))


def multipart_part_count(etag: str) -> int:
    """The part count of a multipart ETag (``…-12`` → 12), or 0 if it is not one."""
    match = _MULTIPART.fullmatch(etag.lower())
    return int(match.group(2)) if match else 0


def composite_etag(part_md5s: Iterable[str]) -> str:
    """The ETag S3 gives a multipart upload of parts with these hex MD5s."""
    hexes = list(part_md5s)
    joined = b"".join(bytes.fromhex(h) for h in hexes)
    return f"{md5_of(joined).hexdigest()}-{len(hexes)}"


def md5_in_etag(etag: str) -> str:
    """The MD5 (lower-case hex) an S3-style ETag is, "" when it is none (a multipart
    ETag): how S3 and the memory backend fill an object's ``md5``. The ``etag`` string
    itself where it is in lower case already (S3's are): a listed row then keeps one copy
    of the 32 digits, not two (~80 bytes a row, 8 MB of each 100,000 rows, measured)."""
    lowered = etag.lower()
    if not is_plain_md5(lowered):
        return ""
    return etag if lowered == etag else lowered


def etag_md5_unless_kms(etag: str, encryption: str) -> str:
    """:func:`md5_in_etag`, but "" for an object encrypted with KMS (SSE-KMS, DSSE-KMS),
    whose S3 ETag is no MD5 of its bytes even from a single request."""
    return "" if encryption.lower().startswith("aws:kms") else md5_in_etag(etag.strip('"'))


def etag_md5(etag: str, checksums: Set[str]) -> str:
    """The object's MD5 (lower-case hex) told by its ``etag``, where the provider's
    ``checksums`` say an ETag can be one; "" when it is not one."""
    etag = etag.lower()
    return etag if MD5 in checksums and is_plain_md5(etag) else ""


def etag_chunks(etag: str, checksums: Set[str]) -> int:
    """The chunk count of a composite ``etag`` (a checksum of the chunks' MD5s, see
    :func:`composite_etag`), where the provider's ``checksums`` offer one; else 0."""
    return multipart_part_count(etag) if COMPOSITE in checksums else 0


class Crc32c:
    """A running CRC32C (Castagnoli), as GCS keeps one for every object."""

    def __init__(self) -> None:
        import google_crc32c  # a C checksum; loaded when an object needs it

        self._sum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]

    def update(self, data: bytes | memoryview) -> None:
        self._sum.update(bytes(data))  # type: ignore[no-untyped-call]

    def hexdigest(self) -> str:
        return bytes(self._sum.digest()).hex()  # type: ignore[no-untyped-call]


class CompositeCheck:
    """A stream's composite ETag (:func:`composite_etag`) for each part size that may have
    made it: a stream cannot be read again with another guess, so every candidate hashes
    the bytes as they pass (the first ``limit`` of them: each costs one more MD5 pass)."""

    def __init__(self, etag: str, part_sizes: Iterable[int], limit: int = 3) -> None:
        self._etag = etag.lower()
        self._sizes = list(part_sizes)[:limit]
        self._done: list[list[str]] = [[] for _ in self._sizes]
        self._open = [md5_of(b"") for _ in self._sizes]
        self._filled = [0] * len(self._sizes)

    def update(self, data: bytes | memoryview) -> None:
        for i, size in enumerate(self._sizes):
            view = memoryview(data)
            while view:
                piece = view[: size - self._filled[i]]
                self._open[i].update(piece)
                self._filled[i] += len(piece)
                view = view[len(piece) :]
                if self._filled[i] == size:
                    self._done[i].append(self._open[i].hexdigest())
                    self._open[i], self._filled[i] = md5_of(b""), 0

    def matches(self) -> bool:
        """Whether one of the part sizes gives the ETag (False: damaged bytes, or parts of
        a size not among the candidates; a composite ETag cannot tell which)."""
        for done, current, filled in zip(self._done, self._open, self._filled, strict=True):
            parts = [*done, current.hexdigest()] if filled else done
            if parts and composite_etag(parts) == self._etag:
                return True
        return False


def crc32c_is_fast() -> bool:
    """Whether CRC32C runs as compiled code (~5 GB/s, ten times MD5's speed); the library's
    pure-Python fallback is far slower than MD5."""
    try:
        import google_crc32c
    except ImportError:
        return False
    return bool(google_crc32c.implementation == "c")
