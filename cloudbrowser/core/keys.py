"""Pure helpers for keys, prefixes and locations. No I/O, no boto3.

Conventions used across cloudbrowser:

* A *prefix* is "" (the bucket root) or ends with the delimiter "/": ``photos/2024/``.
* A *location* is what a user types or sees in the path bar: ``bucket/prefix/``, optionally
  written as ``s3://bucket/prefix/``.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

from cloudbrowser.core.errors import ConfigError, UnsafeKey

DELIMITER = "/"
#: The URI schemes of remote addresses (``s3://bucket/key``), one per provider: each
#: connection writes its own (``features.uri_scheme``); a location may be typed with any.
URI_SCHEMES = ("s3", "gs", "az")


def remote_uri(scheme: str, bucket: str, key: str | None = "") -> str:
    """``scheme://bucket/key`` as the AWS CLI, s5cmd and cloudbrowser's CLI take it;
    ``scheme://bucket`` (the bucket itself) when ``key`` is None."""
    return f"{scheme}://{bucket}" if key is None else f"{scheme}://{bucket}/{key}"


def split_scheme(text: str) -> tuple[str, str]:
    """``"s3://b/k"`` → ``("s3", "b/k")`` for any scheme of :data:`URI_SCHEMES` (in any
    case); ``("", text)`` when ``text`` starts with none."""
    head, sep, rest = text.partition("://")
    if sep and head.lower() in URI_SCHEMES:
        return head.lower(), rest
    return "", text


def normalize_prefix(prefix: str) -> str:
    """``"a/b"`` → ``"a/b/"``; ``""`` stays the bucket root. Leading slashes are dropped."""
    prefix = prefix.lstrip(DELIMITER)
    if prefix and not prefix.endswith(DELIMITER):
        prefix += DELIMITER
    return prefix


def parse_location(text: str) -> tuple[str, str]:
    """Split ``[s3://]bucket[/prefix]`` into ``(bucket, normalized prefix)``.

    Raises ConfigError when no bucket name is given.
    """
    _scheme, text = split_scheme(text.strip())
    text = text.lstrip(DELIMITER)
    bucket, _, prefix = text.partition(DELIMITER)
    if not bucket:
        raise ConfigError(
            "No bucket name in the location.", hint="Type it as bucket/folder/ or s3://bucket/."
        )
    return bucket, normalize_prefix(prefix)


def format_location(bucket: str, prefix: str = "") -> str:
    """The inverse of :func:`parse_location`, as shown in the path bar."""
    return f"{bucket}/{prefix}"


def parent_prefix(prefix: str) -> str:
    """``"a/b/"`` → ``"a/"``, ``"a/"`` → ``""``; the root is its own parent."""
    if not prefix:
        return ""
    head, sep, _ = prefix[:-1].rpartition(DELIMITER)
    return head + sep


def prefix_parts(prefix: str) -> list[tuple[str, str]]:
    """Breadcrumbs: ``"a/b/"`` → ``[("a", "a/"), ("b", "a/b/")]``."""
    parts: list[tuple[str, str]] = []
    start = 0
    while start < len(prefix):
        end = prefix.find(DELIMITER, start)
        if end < 0:
            end = len(prefix) - 1
        parts.append((prefix[start:end], prefix[: end + 1]))
        start = end + 1
    return parts


def leaf_name(key: str) -> str:
    """The last path segment of a key or prefix, without the trailing delimiter."""
    stripped = key[:-1] if key.endswith(DELIMITER) else key
    return stripped.rpartition(DELIMITER)[2]


#: Names Windows refuses whatever the extension (CON.txt is as bad as CON).
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}
_CONTROLS = {chr(c) for c in range(32)}
_WINDOWS_ILLEGAL = set('<>:"|?*\\') | _CONTROLS
#: Whether this machine's file names follow Windows' rules. Elsewhere a key's ":", "?",
#: "*" or trailing dot (an ISO timestamp: logs/10:00:00.gz) is a plain file name, saved
#: as aws s3 cp and rclone save it, not refused; a disk that refuses it (a FAT or SMB
#: mount) fails that one file with the system's reason, and the window offers Save as….
WINDOWS_NAMES = sys.platform == "win32"


def local_path_for(
    key: str,
    prefix: str,
    root: Path,
    *,
    resolved_root: Path | None = None,
    folders: dict[Path, Path] | None = None,
    windows: bool = WINDOWS_NAMES,
) -> Path:
    """Where ``key`` (listed under ``prefix``) is written below the local folder ``root``.

    The mapping can never leave ``root``: the relative part must not be absolute, contain
    ``..`` or ``.`` segments, empty segments, backslashes or control characters; with
    ``windows`` (:data:`WINDOWS_NAMES`) not either the characters or names that Windows
    forbids, or segments ending in a dot or space. Such keys raise UnsafeKey with a message
    naming the key, rather than being silently rewritten onto another file.
    ``resolved_root``: ``root.resolve()``, when the caller maps many keys below one root;
    ``folders``: the folders resolved so far, kept by such a caller for one plan, so that
    each folder is resolved once (resolving a key's path looks up each of its folders: an
    lstat each, thousands of keys in a plan).
    """
    rel = key[len(prefix) :] if key.startswith(prefix) else key
    problem = _unsafe_reason(rel, windows)
    if problem:
        raise UnsafeKey(
            f"The object “{key}” cannot be saved safely: {problem}.",
            hint="Rename the object in the bucket, or download it on its own under a new name.",
        )
    target = root.joinpath(*PurePosixPath(rel).parts)
    # Belt and braces: the checks above leave only a link in a folder of ``root`` (or the
    # name itself, a link) to lead the file elsewhere.
    if not _real(target, folders).is_relative_to(resolved_root or root.resolve()):
        raise UnsafeKey(f"The object “{key}” would be written outside {root}.")
    return target


def _real(target: Path, folders: dict[Path, Path] | None) -> Path:
    """``target.resolve()``, its folder looked up in (and added to) ``folders``."""
    if folders is None:
        return target.resolve()
    parent = target.parent
    real_parent = folders.get(parent)
    if real_parent is None:
        real_parent = folders[parent] = parent.resolve()
    real = real_parent / target.name
    try:
        is_link = target.is_symlink()
    except OSError:
        is_link = False  # nothing the disk could hold (a name too long): the download says so
    return real.resolve() if is_link else real


def _unsafe_reason(rel: str, windows: bool) -> str:
    if not rel or rel.endswith(DELIMITER):
        return "it names a folder, not a file"
    if rel.startswith(DELIMITER):
        return "it is an absolute path"
    for segment in rel.split(DELIMITER):
        if segment == "":
            return "it contains an empty path segment (“//”)"
        if segment in (".", ".."):
            return f"it contains a “{segment}” path segment"
        # A backslash is a folder separator to Windows and to anyone copying the folder
        # there; control characters are never part of a name anyone typed.
        if any(ch in _CONTROLS or ch == "\\" for ch in segment):
            return "it contains a character that is not allowed in file names"
        if not windows:
            continue
        if any(ch in _WINDOWS_ILLEGAL for ch in segment):
            return "it contains a character that is not allowed in file names"
        if segment[-1] in ". ":
            return "a path segment ends with a dot or a space"
        if segment.split(".")[0].upper() in _WINDOWS_RESERVED:
            return f"“{segment}” is a reserved file name on Windows"
    return ""


#: The longest local name offered for a key, in UTF-8 bytes: common file systems allow
#: 255, and the temporary name a download is written under is a little longer.
USABLE_NAME_BYTES = 200


def usable_name(name: str, limit: int = USABLE_NAME_BYTES) -> str:
    """A file name close to ``name`` that any common disk accepts, to offer ("Save as…")
    where the object's own name cannot be used: characters Windows forbids become "_",
    a reserved name gets a "_" in front, a trailing dot or space goes, and a name longer
    than ``limit`` bytes is shortened in its middle, keeping its extension."""
    cleaned = "".join("_" if ch in _WINDOWS_ILLEGAL or ch == DELIMITER else ch for ch in name)
    cleaned = cleaned.rstrip(". ") or "download"
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    if len(cleaned.encode()) <= limit:
        return cleaned
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or not stem or len(suffix.encode()) > 20:
        stem, suffix = cleaned, ""
    ending = f".{suffix}" if suffix else ""
    room = limit - len(ending.encode()) - len("…".encode())
    head = stem.encode()[: room // 2 + room % 2].decode(errors="ignore")
    tail = stem.encode()[len(stem.encode()) - room // 2 :].decode(errors="ignore")
    return f"{head}…{tail}{ending}".rstrip(". ")
