"""Looking at one object: its addresses, edits of its properties, and what a preview shows.

Pure functions, no I/O: the GUI's Properties, Share and Preview dialogs
(``gui/inspect_actions.py``) call them on the GUI thread, the storage calls they plan go
through :class:`~cloudbrowser.core.backends.s3.backend.Storage` on a worker.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from urllib.parse import quote, urlsplit

from cloudbrowser.core.backends import features_of
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.details import ObjectDetails
from cloudbrowser.core.keys import remote_uri
from cloudbrowser.core.storage import StorageClassOffer

# ── addresses ───────────────────────────────────────────────────────────────────────────

#: A bucket name that can be a DNS label (virtual-hosted addressing over https).
_DNS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def object_uri(settings: ConnectionSettings, bucket: str, key: str) -> str:
    """``s3://bucket/key`` (the connection's scheme) as the AWS CLI, s5cmd and
    cloudbrowser's own CLI take it."""
    return remote_uri(features_of(settings).uri_scheme, bucket, key)


def object_url(settings: ConnectionSettings, bucket: str, key: str) -> str:
    """The object's plain (unsigned) URL as this connection addresses it.

    It opens without credentials only where the object is public. Follows botocore's
    choice of addressing: Amazon S3 (no endpoint) is virtual-hosted unless the connection
    says "path" or the bucket name is not a DNS label (dots break the TLS certificate);
    a custom endpoint is path-style unless the connection says "virtual". Amazon S3 URLs
    name the region, so they need no redirect.
    """
    quoted = quote(key, safe="/~")
    style = settings.addressing_style
    virtual_ok = bool(_DNS_BUCKET.match(bucket))
    if settings.endpoint_url is None:
        region = settings.region or "us-east-1"
        host = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
        if style != "path" and virtual_ok:
            return f"https://{bucket}.{host}/{quoted}"
        return f"https://{host}/{bucket}/{quoted}"
    endpoint = settings.endpoint_url.rstrip("/")
    if style == "virtual" and virtual_ok:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{bucket}.{parts.netloc}{parts.path}/{quoted}"
    return f"{endpoint}/{bucket}/{quoted}"


class ExpiryUnit(Enum):
    MINUTES = 60
    HOURS = 3600
    DAYS = 86400


def expiry_seconds(amount: int, unit: ExpiryUnit, longest: int) -> tuple[int, bool]:
    """Seconds for a custom share-link expiry, capped at ``longest`` (the provider's
    ``limits.max_link_seconds``: SigV4's 7 days); the flag says whether it was capped."""
    seconds = max(1, amount) * unit.value
    if seconds > longest:
        return longest, True
    return seconds, False


# ── editing properties ──────────────────────────────────────────────────────────────────

#: S3's limits on object tags.
MAX_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
#: S3's limit on the user metadata of one object (keys and values, UTF-8 bytes).
MAX_METADATA_BYTES = 2048
#: Google Cloud Storage's (custom metadata, keys and values).
MAX_GCS_METADATA_BYTES = 8192

#: Storage classes to offer per provider preset (the user picks one of these). Amazon S3's
#: archive tiers are offered: CopyObject may move an object into them (not out of them).
_STORAGE_CLASSES: dict[str, tuple[str, ...]] = {
    "aws": (
        "STANDARD",
        "INTELLIGENT_TIERING",
        "STANDARD_IA",
        "ONEZONE_IA",
        "GLACIER_IR",
        "GLACIER",
        "DEEP_ARCHIVE",
        "REDUCED_REDUNDANCY",
    ),
    "gcs": ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"),
    "minio": ("STANDARD", "REDUCED_REDUNDANCY"),
    "ceph": ("STANDARD",),
}

#: An HTTP header token: what a user metadata key may be made of.
_HEADER_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def storage_classes(
    settings: ConnectionSettings, current: str = "", offer: StorageClassOffer | None = None
) -> tuple[str, ...]:
    """The storage classes a connection's provider offers (with ``current`` if missing);
    just ``current`` (or STANDARD) where the provider has no choice of class.

    An S3 connection's depend on its provider preset (MinIO has two); another kind's
    (native GCS, Azure) are its backend's ``offer``, which has no preset to go by: without
    an endpoint it is Google's or Azure's own, not AWS.
    """
    current = current or "STANDARD"
    if not features_of(settings).storage_classes:
        return (current,)
    if settings.kind != "s3" and offer is not None:
        offered = offer.names
    else:
        provider = settings.provider or ("aws" if settings.endpoint_url is None else "")
        offered = _STORAGE_CLASSES.get(provider, ("STANDARD",))
    return offered if current in offered else (current, *offered)


@dataclass(frozen=True, slots=True)
class PropertyEdits:
    """What the user wants an object's editable properties to be."""

    content_type: str
    cache_control: str
    storage_class: str
    metadata: tuple[tuple[str, str], ...]
    #: None: tags are not editable here (the provider has none, or they were not read).
    tags: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True, slots=True)
class SavePlan:
    """The requests a save takes: a copy in place onto ``copy_target`` (None: no metadata
    changed), then a PutObjectTagging of ``tags`` (None: tags unchanged)."""

    copy_target: ObjectDetails | None
    tags: dict[str, str] | None

    @property
    def empty(self) -> bool:
        return self.copy_target is None and self.tags is None


def validate(edits: PropertyEdits, scheme: str = "s3") -> list[str]:
    """Why these edits cannot be saved (an empty list: they can), by the rules of the
    provider whose ``features.uri_scheme`` is ``scheme``: GCS's JSON API takes metadata
    values in any language and 8 KiB of them; S3's headers (and others') only ASCII, 2 KiB."""
    gcs = scheme == "gs"
    problems: list[str] = []
    if not edits.content_type.strip():
        problems.append("The content type may not be empty (e.g. application/octet-stream).")
    for label, value in (
        ("content type", edits.content_type),
        ("cache control", edits.cache_control),
    ):
        if not value.isascii() or any(c in value for c in "\r\n"):
            problems.append(f"The {label} may only hold plain ASCII characters on one line.")
    seen: set[str] = set()
    size = 0
    for name, value in edits.metadata:
        if not name:
            problems.append("A metadata row has no name.")
            continue
        if not _HEADER_TOKEN.match(name):
            problems.append(
                f"Metadata name “{name}” may hold only letters, digits and - _ . (no spaces)."
            )
        if name.lower() in seen:
            problems.append(f"Metadata name “{name}” appears twice (names ignore case).")
        seen.add(name.lower())
        if not gcs and (not value.isascii() or any(c in value for c in "\r\n")):
            problems.append(
                f"The value of metadata “{name}” may only hold plain ASCII on one line "
                "(S3 sends metadata as HTTP headers)."
            )
        size += len(name.encode()) + len(value.encode())
    if gcs and size > MAX_GCS_METADATA_BYTES:
        problems.append(
            f"User metadata is {size} bytes; Google Cloud Storage allows at most "
            f"{MAX_GCS_METADATA_BYTES}."
        )
    elif not gcs and size > MAX_METADATA_BYTES:
        problems.append(f"User metadata is {size} bytes; S3 allows at most {MAX_METADATA_BYTES}.")
    if edits.tags is not None:
        if len(edits.tags) > MAX_TAGS:
            problems.append(f"An object may have at most {MAX_TAGS} tags.")
        tag_keys: set[str] = set()
        for name, value in edits.tags:
            if not name:
                problems.append("A tag has no key.")
                continue
            if name in tag_keys:
                problems.append(f"Tag “{name}” appears twice.")
            tag_keys.add(name)
            if len(name) > MAX_TAG_KEY:
                problems.append(f"Tag key “{name[:20]}…” is longer than {MAX_TAG_KEY} characters.")
            if len(value) > MAX_TAG_VALUE:
                problems.append(f"The value of tag “{name}” is longer than {MAX_TAG_VALUE}.")
    return problems


def plan_save(
    details: ObjectDetails, tags: Mapping[str, str] | None, edits: PropertyEdits
) -> SavePlan:
    """The requests that turn ``details`` (and its ``tags``) into ``edits``: nothing for
    what did not change. Everything else in ``details`` (disposition, encoding, expiry,
    encryption...) rides along unchanged in the copy."""
    metadata = dict(edits.metadata)
    target = replace(
        details,
        content_type=edits.content_type.strip(),
        cache_control=edits.cache_control.strip(),
        storage_class=edits.storage_class or details.storage_class,
        metadata=metadata,
    )
    metadata_changed = (
        target.content_type != details.content_type
        or target.cache_control != details.cache_control
        or target.storage_class != details.storage_class
        or metadata != details.metadata
    )
    new_tags = dict(edits.tags) if edits.tags is not None else None
    tags_changed = new_tags is not None and new_tags != dict(tags or {})
    return SavePlan(target if metadata_changed else None, new_tags if tags_changed else None)


# ── preview ─────────────────────────────────────────────────────────────────────────────

#: The most bytes a text preview reads (one ranged GET).
TEXT_PREVIEW_BYTES = 256 * 1024
#: The largest image a preview downloads.
IMAGE_PREVIEW_BYTES = 20 * 1024 * 1024
#: The most CSV rows a preview shows.
CSV_PREVIEW_ROWS = 1000


class PreviewKind(Enum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    IMAGE = "image"
    #: Anything else: the preview shows the properties and offers a download.
    OTHER = "other"


_IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp", "bmp", "svg"}
_TEXT_EXTENSIONS = {
    "txt", "log", "text", "ini", "cfg", "conf", "toml", "yaml", "yml", "xml", "html", "htm",
    "css", "js", "ts", "py", "sh", "c", "h", "cpp", "java", "go", "rs", "rb", "sql", "tsv",
    "env", "properties", "tf", "gitignore", "dockerfile", "jsonl", "ndjson",
}  # fmt: skip
_TEXT_TYPES = ("text/", "application/xml", "application/javascript", "application/x-yaml")
_BY_EXTENSION = {
    "json": PreviewKind.JSON,
    "geojson": PreviewKind.JSON,
    "csv": PreviewKind.CSV,
    "md": PreviewKind.MARKDOWN,
    "markdown": PreviewKind.MARKDOWN,
}


def _extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1].lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


def guess_kind(key: str, content_type: str) -> PreviewKind:
    """What a preview should be, from the name and content type alone (before any byte is
    read): decides how much to read."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    ext = _extension(key)
    if ctype.startswith("image/") or ext in _IMAGE_EXTENSIONS:
        return PreviewKind.IMAGE
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    if ctype == "application/json" or ctype.endswith("+json"):
        return PreviewKind.JSON
    if ctype == "text/csv":
        return PreviewKind.CSV
    if ctype == "text/markdown":
        return PreviewKind.MARKDOWN
    if ctype.startswith(_TEXT_TYPES) or ctype.endswith("+xml") or ext in _TEXT_EXTENSIONS:
        return PreviewKind.TEXT
    return PreviewKind.OTHER


def looks_binary(head: bytes) -> bool:
    """NUL bytes in the first 8 KiB mean binary (what git and file(1) go by)."""
    return b"\0" in head[:8192]


def sniff_kind(key: str, content_type: str, head: bytes) -> PreviewKind:
    """The preview kind once the first bytes are known: a name or type that promises text
    is overruled by binary bytes; an unknown type whose bytes are text shows as text."""
    kind = guess_kind(key, content_type)
    if kind is PreviewKind.IMAGE:
        return kind
    if looks_binary(head):
        return PreviewKind.OTHER
    if kind is PreviewKind.OTHER:
        try:
            head[:8192].decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(head[:8192]) - 4:
                return PreviewKind.OTHER
        return PreviewKind.TEXT if head else PreviewKind.OTHER
    return kind


def decode_text(data: bytes, *, truncated: bool) -> str:
    """UTF-8 with replacement characters; a character cut by the size cap is dropped."""
    if truncated:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":
                data = data[: exc.start]
    return data.decode("utf-8", errors="replace")


def pretty_json(text: str) -> str | None:
    """``text`` indented, or None when it does not parse (e.g. cut by the size cap)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return None


def csv_rows(text: str, *, truncated: bool, limit: int = CSV_PREVIEW_ROWS) -> list[list[str]]:
    """The first ``limit`` rows; a last line cut by the size cap is left out."""
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text), dialect):
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows
