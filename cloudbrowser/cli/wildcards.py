"""Wildcards in remote keys: ``s3://logs/2024-*/app?.gz``, as s5cmd users write them.

``*`` matches any run of characters *including* "/" (so ``dir/*`` is everything below
``dir/``), ``?`` one character, ``[abc]`` one of a set (Python's ``fnmatchcase``). The
listing starts at the literal part before the first wildcard and is filtered here: one
recursive listing, never a request per match.

A key may hold those characters itself (``report[1].pdf``): where an object has the very
key typed, it is that object (one HEAD says so), not a pattern that would miss it.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from cloudbrowser.cli.locations import Remote
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import AccessDenied, KeyNotFound
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage

_WILDCARDS = "*?["


def has_wildcard(key: str) -> bool:
    return any(c in key for c in _WILDCARDS)


def is_pattern(backend: Storage, where: Remote) -> bool:
    """True when ``where.key`` holds a wildcard and no object has that very key."""
    if not has_wildcard(where.key):
        return False
    try:
        backend.head_object(where.bucket, where.key)
    except (KeyNotFound, AccessDenied):  # a key that may list but not read: a pattern still
        return True
    return False


def literal_prefix(key: str) -> str:
    """The part of ``key`` before its first wildcard: where the listing starts."""
    cut = min((i for i in (key.find(c) for c in _WILDCARDS) if i >= 0), default=len(key))
    return key[:cut]


def folder_of_pattern(key: str) -> str:
    """The folder the matches are named relative to: the literal prefix up to its last "/"."""
    literal = literal_prefix(key)
    return literal[: literal.rfind("/") + 1]


def matching(backend: Storage, where: Remote) -> Iterator[Entry]:
    """The objects whose keys match ``where.key``, in the server's order."""
    for page in iter_pages(backend, where.bucket, literal_prefix(where.key), recursive=True):
        for entry in page.objects:
            if fnmatchcase(entry.key, where.key):
                yield entry


def no_match(where: Remote) -> KeyNotFound:
    return KeyNotFound(
        f"Nothing matches “{where}”.", hint="Check the pattern (“*” also matches “/”)."
    )
