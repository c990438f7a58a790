"""``ls`` and ``du``: listings as the window lists them (ListObjectsV2 pages, no HEAD per
object), printed page by page so that the first rows show while the rest still come."""

from __future__ import annotations

import argparse

from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.locations import Remote, is_bare_scheme, parse_remote
from cloudbrowser.cli.output import Exit, Output, UsageError, iso_time, local_time
from cloudbrowser.cli.wildcards import has_wildcard, is_pattern, matching, no_match
from cloudbrowser.core.entries import Bucket, Entry
from cloudbrowser.core.errors import AccessDenied, ConfigError, KeyNotFound
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage

_TAG_HINT = (
    "Write it as --tag NAME=VALUE (or >=, >, <, <=), e.g. --tag project=apollo; put a name "
    "or value with spaces in double quotes: --tag '\"cost center\"=R1'."
)


def run(args: argparse.Namespace, out: Output) -> int:
    if args.command == "du":
        return _du(args, out)
    if args.tag and not args.location:
        raise UsageError(
            "--tag searches one bucket: name it.", hint="ls --tag NAME=VALUE az://container/"
        )
    if not args.location or (is_bare_scheme(args.location) and not args.tag):
        backend = open_backend(args, out)
        default = backend.settings.default_bucket
        # A key that may not call ListAllMyBuckets: the connection's bucket, as the window.
        try:
            buckets = [Bucket(default)] if default else backend.list_buckets()
        except AccessDenied as error:
            # The engine's hint is the window's (the connection's default bucket).
            error.hint = _listing_denied_hint(backend.features.uri_scheme)
            raise
        for bucket in buckets:
            _print_bucket(out, bucket)
        return Exit.OK
    where = parse_remote(args.location)
    if args.tag:
        return _list_tagged(args, where, out)
    backend = open_backend(args, out)
    if is_pattern(backend, where):
        _list_matching(backend, where, out)
    elif args.recursive:
        _list_recursive(backend, where, out)
    elif where.is_folder:
        rows = _list_folder(backend, where.bucket, where.key, out)
        if not rows and where.key and not _is_listed_folder(backend, where):
            raise _no_such(where)
    else:
        _list_name(backend, where, out)
    return Exit.OK


def _listing_denied_hint(scheme: str) -> str:
    where = f"List a bucket you may read: cloudbrowser ls {scheme}://BUCKET/"
    if scheme == "gs":
        return f"{where}; or give --project ID of a project whose buckets you may list."
    return f"{where}."


def _list_folder(backend: Storage, bucket: str, prefix: str, out: Output) -> int:
    """Print the folder's rows; how many (its 0-byte marker object counts)."""
    rows = 0
    for page in iter_pages(backend, bucket, prefix):
        for entry in page.prefixes:
            _print_entry(out, bucket, entry, prefix)
        for entry in page.objects:
            if entry.key == prefix and prefix and not out.json:
                continue  # the folder's own marker: a row with no name (JSON keeps it)
            _print_entry(out, bucket, entry, prefix)
        rows += len(page.prefixes) + len(page.objects)
        out.stdout.flush()
    return rows


def _is_listed_folder(backend: Storage, where: Remote) -> bool:
    """Whether the folder ``where`` (holding nothing) is listed by the folder above it: an
    empty directory of a server on a file system (rclone) or with folders of its own."""
    folder = where.key if where.is_folder else where.key + "/"
    for page in iter_pages(backend, where.bucket, folder[:-1]):
        if any(p.key == folder for p in page.prefixes):
            return True
    return False


def _no_such(where: Remote) -> KeyNotFound:
    """Nothing at ``where``: a typo, which a script must not take for an empty folder."""
    return KeyNotFound(
        f"“{where}” does not exist.", hint="Check the name; “ls” the folder above it."
    )


def _list_name(backend: Storage, where: Remote, out: Output) -> None:
    """``s3://b/name`` without a trailing "/": the object ``name``, else the folder
    ``name/``'s contents; neither is an error naming it."""
    found: list[Entry] = []
    is_folder = False
    for page in iter_pages(backend, where.bucket, where.key):
        found.extend(e for e in page.objects if e.key == where.key)
        is_folder = is_folder or any(p.key == where.key + "/" for p in page.prefixes)
    if found:
        for entry in found:
            _print_entry(out, where.bucket, entry, where.key.rpartition("/")[0] + "/")
    elif is_folder:
        _list_folder(backend, where.bucket, where.key + "/", out)
    else:
        raise _no_such(where)


def _list_matching(backend: Storage, where: Remote, out: Output) -> None:
    found = 0
    for entry in matching(backend, where):
        found += 1
        _print_entry(out, where.bucket, entry, "")
    if not found:
        raise no_match(where)


def _list_recursive(backend: Storage, where: Remote, out: Output) -> None:
    # "s3://b/dir" means the folder dir/ and an object named dir, not dir2/...
    exact = "" if where.is_folder else where.key
    rows = 0
    for page in iter_pages(backend, where.bucket, where.key, recursive=True):
        for entry in page.objects:
            if not exact or entry.key == exact or entry.key.startswith(exact + "/"):
                _print_entry(out, where.bucket, entry, "")
                rows += 1
        out.stdout.flush()
    if not rows and where.key and not _is_listed_folder(backend, where):
        raise _no_such(where)


def _list_tagged(args: argparse.Namespace, where: Remote, out: Output) -> int:
    """``ls --tag NAME=VALUE``: every object below the location whose tags match, found by
    the server's tag index (no listing of the bucket), a page of its answer at a time."""
    # Here: the search's module (its dataclasses, regexes, a queue) is no cost to the
    # listings, of one object above all (the start-up bar, docs/architecture.md §7).
    from cloudbrowser.core.prefix_scan import SearchQuery, parse_tag_condition, search_tagged

    try:
        conditions = tuple(parse_tag_condition(t, shown=f"--tag {t}") for t in args.tag)
    except ConfigError as error:  # the engine's hint is the search box's (tag:NAME=VALUE)
        raise UsageError(error.message, hint=_TAG_HINT) from None
    if has_wildcard(where.key):
        raise UsageError(
            "--tag lists every tagged object below a folder: it takes no wildcard.",
            hint="Leave out the * or ?, e.g. ls --tag project=apollo az://container/folder/",
        )
    backend = open_backend(args, out)
    exact = "" if where.is_folder else where.key
    query = SearchQuery("", conditions)
    for rows, _found in search_tagged(backend, where.bucket, where.key, query):
        for entry in rows:
            if not exact or entry.key == exact or entry.key.startswith(exact + "/"):
                _print_entry(out, where.bucket, entry, "")
        out.stdout.flush()
    return Exit.OK


def _du(args: argparse.Namespace, out: Output) -> int:
    where = parse_remote(args.location)
    backend = open_backend(args, out)
    exact = "" if where.is_folder else where.key
    count = size = 0
    if is_pattern(backend, where):
        for entry in matching(backend, where):
            count += 1
            size += entry.size
    else:
        for page in iter_pages(backend, where.bucket, where.key, recursive=True):
            for entry in page.objects:
                if not exact or entry.key == exact or entry.key.startswith(exact + "/"):
                    count += 1
                    size += entry.size
    if out.json:
        out.record(location=str(where), objects=count, size=size)
    else:
        objects = f"{count} object{'s' if count != 1 else ''}"
        out.line(f"{out.size(size)}\t{objects}\t{where}")
    return Exit.OK


def _print_bucket(out: Output, bucket: Bucket) -> None:
    if out.json:
        out.record(type="bucket", name=bucket.name, created=iso_time(bucket.created))
    else:
        out.line(f"{local_time(bucket.created)}  {bucket.name}")


def _print_entry(out: Output, bucket: str, entry: Entry, prefix: str) -> None:
    if out.json:
        if entry.is_prefix:
            out.record(type="prefix", bucket=bucket, key=entry.key)
        else:
            out.record(
                type="object",
                bucket=bucket,
                key=entry.key,
                size=entry.size,
                modified=iso_time(entry.modified),
                etag=entry.etag,
                storage_class=entry.storage_class,
            )
        return
    name = entry.name(prefix) + ("/" if entry.is_prefix else "")
    if entry.is_prefix:
        out.line(f"{'':19}  {'DIR':>10}  {name}")
    else:
        out.line(f"{local_time(entry.modified)}  {out.size(entry.size):>10}  {name}")
