"""List Blobs pages read straight from the reply's XML into ``Entry`` rows.

The SDK's own listing turns each ``<Blob>`` into a ``BlobProperties`` object of ~40
attributes through its generic deserializer, in pure Python: most of the time of a large
listing (the SDK's own fix for names only is Azure/azure-sdk-for-python PR #25747). Here
the reply goes through the SDK's pipeline (signing, retries, its C-accelerated
ElementTree parse) and the tree is read directly, taking only what a row shows: name,
size, time, ETag, tier. The same trick the SDK's ``list_blob_names`` uses.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import functools
import sys
import xml.etree.ElementTree as ET
from typing import Any, NamedTuple
from urllib.parse import unquote

from cloudbrowser.core.entries import Entry, ListPage

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def list_page_xml(
    container: Any,
    prefix: str,
    marker: str,
    maxresults: int,
    *,
    delimited: bool,
    include: list[str] | None = None,
) -> ET.Element:
    """One List Blobs reply of ``container`` (a ContainerClient) as an ElementTree."""
    from azure.storage.blob._shared.response_handlers import return_raw_deserialized

    # A one-off generated client whose deserializer leaves the listing alone: the reply
    # is returned as the tree the pipeline parsed (the SDK's list_blob_names does this).
    client = container._build_generated_client()
    client.container._deserialize = _SkipListings()
    options: dict[str, Any] = {
        "prefix": prefix or None,
        "marker": marker or None,
        "maxresults": maxresults,
        "cls": return_raw_deserialized,
    }
    if include:
        options["include"] = include
    if delimited:
        _location, tree = client.container.list_blob_hierarchy_segment(delimiter="/", **options)
    else:
        _location, tree = client.container.list_blob_flat_segment(**options)
    return tree  # type: ignore[no-any-return]


@functools.cache
def _skip_listings_class() -> type:
    from azure.storage.blob._list_blobs_helper import IgnoreListBlobsDeserializer

    class SkipListings(IgnoreListBlobsDeserializer):
        """Leaves both kinds of List Blobs reply undeserialized (the SDK's own class
        skips only the flat one)."""

        def __call__(self, target_obj: Any, response_data: Any, content_type: Any = None) -> Any:
            if target_obj in _LISTINGS:
                return None
            return super().__call__(target_obj, response_data, content_type)  # type: ignore[no-untyped-call]

    return SkipListings


_LISTINGS = frozenset({"ListBlobsFlatSegmentResponse", "ListBlobsHierarchySegmentResponse"})


def _SkipListings() -> Any:
    return _skip_listings_class()()


def parse_page(root: ET.Element) -> ListPage:
    """The rows and continuation of one List Blobs reply, in the server's order."""
    prefixes: list[Entry] = []
    objects: list[Entry] = []
    blobs = root.find("Blobs")
    for element in blobs if blobs is not None else ():
        name = _name(element)
        if element.tag == "BlobPrefix":
            prefixes.append(Entry(key=name, is_prefix=True))
        elif element.tag == "Blob":
            props = element.find("Properties")
            objects.append(_entry(name, props) if props is not None else Entry(key=name))
    return ListPage(
        prefixes=prefixes, objects=objects, next_token=root.findtext("NextMarker") or ""
    )


def _name(element: ET.Element) -> str:
    name = element.find("Name")
    if name is None:
        return ""
    text = name.text or ""
    # Names with characters XML cannot carry come URL-encoded, and say so.
    return unquote(text) if name.get("Encoded") == "true" else text


def _entry(name: str, props: ET.Element) -> Entry:
    etag = props.findtext("Etag") or ""
    return Entry(
        key=name,
        size=int(props.findtext("Content-Length") or 0),
        modified=http_time(props.findtext("Last-Modified") or ""),
        etag=etag.strip('"'),
        storage_class=sys.intern(props.findtext("AccessTier") or ""),
        md5=md5_hex(props.findtext("Content-MD5") or ""),
        restore=sys.intern(props.findtext("ArchiveStatus") or ""),
    )


def md5_hex(digest: object) -> str:
    """A blob's Content-MD5 (base64 text as listed, or the SDK's bytearray) as lower-case
    hex; "" when it has none or it is no MD5."""
    if isinstance(digest, str):
        try:
            digest = base64.b64decode(digest, validate=True)
        except (ValueError, binascii.Error):
            return ""
    if not isinstance(digest, bytes | bytearray) or len(digest) != 16:
        return ""
    return bytes(digest).hex()


@functools.lru_cache(maxsize=4096)
def http_time(text: str) -> float:
    """``Wed, 09 Sep 2009 09:20:02 GMT`` as POSIX seconds; 0.0 when it is not one.

    Rows of one page share few distinct times (a folder uploaded in one go): cached."""
    parts = text.split()
    try:
        day, month, year = int(parts[1]), _MONTHS[parts[2]], int(parts[3])
        hour, minute, second = (int(p) for p in parts[4].split(":"))
    except (IndexError, KeyError, ValueError):
        return 0.0
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


def parse_versions(root: ET.Element) -> tuple[list[BlobVersion], list[str], str]:
    """The blob versions of a List Blobs reply with ``include=versions`` (each blob's
    versions oldest first, as Azure sends them), its folders and its continuation."""
    versions: list[BlobVersion] = []
    prefixes: list[str] = []
    blobs = root.find("Blobs")
    for element in blobs if blobs is not None else ():
        name = _name(element)
        if element.tag == "BlobPrefix":
            prefixes.append(name)
            continue
        props = element.find("Properties")
        entry = _entry(name, props) if props is not None else Entry(key=name)
        versions.append(
            BlobVersion(
                entry,
                element.findtext("VersionId") or "",
                (element.findtext("IsCurrentVersion") or "").lower() == "true",
            )
        )
    return versions, prefixes, root.findtext("NextMarker") or ""


class BlobVersion(NamedTuple):
    """One row of a versions listing: the blob as a row, its version id, whether it is
    the current version (a blob deleted under versioning has none)."""

    entry: Entry
    version_id: str
    current: bool


def parse_soft_deleted(root: ET.Element) -> tuple[list[SoftDeletedBlob], list[str], str]:
    """The soft-deleted rows of a List Blobs reply with ``include=deleted`` (``<Deleted>``
    true: a deleted blob, snapshot or version), its folders and its continuation. Live
    rows the same reply holds (the blobs, their versions and snapshots) are left out."""
    rows: list[SoftDeletedBlob] = []
    prefixes: list[str] = []
    blobs = root.find("Blobs")
    for element in blobs if blobs is not None else ():
        name = _name(element)
        if element.tag == "BlobPrefix":
            prefixes.append(name)
            continue
        if (element.findtext("Deleted") or "").lower() != "true":
            continue
        props = element.find("Properties")
        entry = _entry(name, props) if props is not None else Entry(key=name)
        deleted = (props.findtext("DeletedTime") if props is not None else "") or ""
        remaining = (props.findtext("RemainingRetentionDays") if props is not None else "") or ""
        rows.append(
            SoftDeletedBlob(
                entry,
                version_id=element.findtext("VersionId") or "",
                snapshot=element.findtext("Snapshot") or "",
                deleted_at=http_time(deleted),
                remaining_days=int(remaining) if remaining.isdigit() else -1,
            )
        )
    return rows, prefixes, root.findtext("NextMarker") or ""


class SoftDeletedBlob(NamedTuple):
    """One soft-deleted row: a blob (neither id), one of its snapshots (a blob
    overwritten or deleted without versioning) or one of its versions (deleted under
    versioning); when it was deleted and how many days Azure keeps it still (-1: not
    said)."""

    entry: Entry
    version_id: str
    snapshot: str
    deleted_at: float
    remaining_days: int
