"""Locations on the command line: ``s3://bucket/key`` (remote) or a local path.

A remote key is kept as typed (not normalized): ``s3://b/dir`` and ``s3://b/dir/`` mean
different things to ``ls`` and ``put`` (an object or prefix named ``dir`` vs. the folder).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cloudbrowser.cli.output import UsageError
from cloudbrowser.core.keys import URI_SCHEMES, remote_uri, split_scheme

#: Liberal on purpose (S3-compatible servers allow more than AWS's rules), but enough to
#: tell a mistyped URL (``http://...``, ``s3:/b``) from a bucket name.
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Remote(NamedTuple):
    """A remote location as written: its bucket, key and scheme. A NamedTuple, not a
    dataclass: made at every command's start, where a dataclass costs ~1 ms to build."""

    bucket: str
    key: str = ""
    #: The scheme it was written with ("s3").
    scheme: str = URI_SCHEMES[0]

    @property
    def is_folder(self) -> bool:
        """The bucket root or a key ending in "/": a folder, not an object."""
        return not self.key or self.key.endswith("/")

    def __str__(self) -> str:
        return remote_uri(self.scheme, self.bucket, self.key)


def uri(bucket: str, key: str | None = "", scheme: str = URI_SCHEMES[0]) -> str:
    """A remote address as the CLI prints it: ``s3://bucket/key`` (``s3://bucket`` when
    ``key`` is None), in ``scheme`` (a connection's ``features.uri_scheme``)."""
    return remote_uri(scheme, bucket, key)


#: The arguments of the commands that hold locations (``cli/app.py``).
LOCATION_ARGS = ("location", "locations", "source", "sources", "destination", "bucket")


def written_scheme(text: str) -> str:
    """The scheme a location is written with (``gs://b/k`` → "gs"), lowercased, whether
    or not this build knows it; "" for a local path or a bare ``bucket/key``."""
    head, sep, _ = text.partition("://")
    # One letter is a Windows drive (C://folder), not a scheme.
    return head.lower() if sep and head.isalnum() and len(head) > 1 else ""


def scheme_of(*texts: str) -> str:
    """The scheme the user wrote on the first remote of ``texts``, for a usage hint in
    their words (``gs://bucket/key``, not ``s3://``); S3's when none is remote."""
    for text in texts:
        if is_remote(text):
            return split_scheme(text)[0]
    return URI_SCHEMES[0]


def schemes_named(args: object) -> set[str]:
    """The schemes of every location on the command line (``args`` as parsed)."""
    found: set[str] = set()
    for name in LOCATION_ARGS:
        value = getattr(args, name, None)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and written_scheme(text):
                found.add(written_scheme(text))
    return found


def is_remote(text: str) -> bool:
    return bool(split_scheme(text)[0])


def is_bare_scheme(text: str) -> bool:
    """``s3://``, ``gs://``, ``az://``: a cloud, no bucket (``ls`` lists its buckets, as
    ``aws s3 ls s3://`` and ``gsutil ls gs://`` do)."""
    scheme, rest = split_scheme(text)
    return bool(scheme) and not rest.strip("/")


def parse_remote(text: str, *, bare_ok: bool = True) -> Remote:
    """``s3://bucket/key`` (or ``bucket/key`` when ``bare_ok``) → Remote. Raises UsageError."""
    scheme, rest = split_scheme(text)
    if not is_remote(text) and not bare_ok:
        raise UsageError(
            f"“{text}” is not a cloud location.",
            hint="Write it as s3://bucket/key (gs:// for Google Cloud, az:// for Azure).",
        )
    # Hints in the scheme the user wrote (gs://, az://), S3's for a bare bucket/key; a
    # scheme with a slash missing (gs:/b, gs:b) is still the user's.
    mistyped = rest.partition(":")[0].lower() if ":" in rest.partition("/")[0] else ""
    shown = scheme or (mistyped if mistyped in URI_SCHEMES else URI_SCHEMES[0])
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise UsageError(
            f"No bucket name in “{text}”.",
            hint=f"Write it as {shown}://bucket or {shown}://bucket/key.",
        )
    if not _BUCKET.match(bucket):
        raise UsageError(
            f"“{bucket}” in “{text}” is not a bucket name.",
            hint=f"Write the location as {shown}://bucket/key.",
        )
    return Remote(bucket, key, scheme or URI_SCHEMES[0])
