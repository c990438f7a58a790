"""MD5 and ETag arithmetic for verifying transfers.

S3's ETag of an object stored in one request is the hex MD5 of its bytes (unless it is
encrypted with KMS or the server does something else). For a multipart upload it is the
MD5 of the concatenated binary MD5s of the parts, then "-" and the part count: checkable
only by someone who knows where the parts began. Other providers' revision tags are no
MD5 at all: :func:`etag_md5` and :func:`etag_chunks` read an ETag only as the checksums the
connection's :attr:`~cloudbrowser.core.storage.Features.checksums` say it offers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Set

from cloudbrowser.core.storage import COMPOSITE, CRC32C, MD5

_MD5_HEX = re.compile(r"[0-9a-f]{32}")
_MULTIPART = re.compile(r"([0-9a-f]{32})-(\d+)")
#: A revision that carries a CRC32C (GCS objects without an MD5: ``<generation>/crc32c:<hex>``).
_CRC32C_REVISION = re.compile(r"(?:.*/)?crc32c:([0-9a-f]{8})")


def md5_of(data: bytes | memoryview) -> hashlib._Hash:
    # usedforsecurity=False: an integrity check, allowed on FIPS systems.
    return hashlib.md5(data, usedforsecurity=False)


def content_md5(digest: bytes) -> str:
    """The Content-MD5 header value (base64 of the binary digest)."""
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


def etag_md5(etag: str, checksums: Set[str]) -> str:
    """The object's MD5 (lower-case hex) told by its ``etag``, where the provider's
    ``checksums`` say an ETag can be one; "" when it is not one."""
    etag = etag.lower()
    return etag if MD5 in checksums and is_plain_md5(etag) else ""


def etag_chunks(etag: str, checksums: Set[str]) -> int:
    """The chunk count of a composite ``etag`` (a checksum of the chunks' MD5s, see
    :func:`composite_etag`), where the provider's ``checksums`` offer one; else 0."""
    return multipart_part_count(etag) if COMPOSITE in checksums else 0


def etag_crc32c(etag: str, checksums: Set[str]) -> str:
    """The object's CRC32C (8 lower-case hex digits) told by its revision tag, where the
    provider's ``checksums`` offer one (GCS's composite objects have no MD5); else ""."""
    match = _CRC32C_REVISION.fullmatch(etag.lower())
    return match.group(1) if match and CRC32C in checksums else ""


class Crc32c:
    """A running CRC32C (Castagnoli), as GCS keeps one for every object."""

    def __init__(self) -> None:
        import google_crc32c  # a C checksum; loaded when an object needs it

        self._sum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]

    def update(self, data: bytes | memoryview) -> None:
        self._sum.update(bytes(data))  # type: ignore[no-untyped-call]

    def hexdigest(self) -> str:
        return bytes(self._sum.digest()).hex()  # type: ignore[no-untyped-call]
