"""``cp`` and ``mv`` between locations of one connection: copies made by the server.

No bytes pass through this machine (CopyObject), so copying between buckets or renaming a
prefix costs requests, not bandwidth. ``mv`` deletes a source only after its copy was
made. Names follow ``put``/``get``: a prefix is copied as a folder into the destination
prefix, an object to a key ending in "/" keeps its name. Objects above 5 GiB (CopyObject's
limit) are refused with a message; for local files use ``put`` and ``get``.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.locations import Remote, is_remote, parse_remote
from cloudbrowser.cli.output import Exit, Output, UsageError
from cloudbrowser.core.checksums import is_plain_md5
from cloudbrowser.core.deletes import delete_keys
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import CloudBrowserError, IntegrityError, KeyNotFound, StorageError
from cloudbrowser.core.providers import capabilities
from cloudbrowser.core.s3 import S3Backend

#: CopyObject copies at most 5 GiB in one request.
MAX_COPY = 5 * 1024**3
#: Copy requests at once: each is a round trip with the server doing the work.
COPIES_AT_ONCE = 8


def run(args: argparse.Namespace, out: Output) -> int:
    if not (is_remote(args.source) and is_remote(args.destination)):
        raise UsageError(
            f"{args.command} copies between s3:// locations on one connection.",
            hint="For local files use put (upload) or get (download).",
        )
    src = parse_remote(args.source)
    dest = parse_remote(args.destination)
    if src.is_folder and not args.recursive:
        raise UsageError(f"“{src}” is a folder.", hint=f"Use {args.command} -r to copy it.")
    backend = open_backend(args, out)
    pairs = _pairs(backend, src, dest, args.recursive)
    if not pairs:
        raise KeyNotFound(f"There is nothing at “{src}”.", hint="Check the name.")
    verb = "move" if args.command == "mv" else "copy"
    if args.dry_run:
        for entry, key in pairs:
            _report(out, f"would {verb}", src.bucket, entry.key, dest.bucket, key)
        return Exit.OK

    def copy(pair: tuple[Entry, str]) -> CloudBrowserError | None:
        entry, key = pair
        if entry.size > MAX_COPY:
            return StorageError(
                f"“{entry.key}” is larger than 5 GiB, the most one server-side copy can take.",
                hint="Download and upload it instead (get, then put).",
            )
        try:
            etag = backend.copy_object(src.bucket, entry.key, dest.bucket, key)
        except CloudBrowserError as error:
            return error
        # A single-part object's copy has the same MD5: check it where both are MD5s.
        if is_plain_md5(entry.etag) and is_plain_md5(etag) and etag != entry.etag:
            return IntegrityError(f"The copy of “{entry.key}” does not match the original.")
        return None

    with ThreadPoolExecutor(COPIES_AT_ONCE) as pool:
        results = list(pool.map(copy, pairs))
    copied = [pair for pair, error in zip(pairs, results, strict=True) if error is None]
    failed = [(pair, error) for pair, error in zip(pairs, results, strict=True) if error]
    for (entry, _), error in failed:
        out.failed(f"s3://{src.bucket}/{entry.key}", error.message, error.hint)
    moved_failed = 0
    if args.command == "mv" and copied:
        # Never delete a source onto itself (mv to the same key is a no-op).
        sources = [e.key for e, key in copied if (src.bucket, e.key) != (dest.bucket, key)]
        multi = capabilities(backend.settings).multi_object_delete
        result = delete_keys(backend, src.bucket, sources, multi_delete=multi)
        for key, error in result.failed:
            out.failed(f"s3://{src.bucket}/{key}", f"copied but not deleted: {error.message}")
        moved_failed = len(result.failed)
    for entry, key in copied:
        _report(out, "moved" if verb == "move" else "copied", src.bucket, entry.key,
                dest.bucket, key)  # fmt: skip
    return Exit.FAILED if failed or moved_failed else Exit.OK


def _pairs(
    backend: S3Backend, src: Remote, dest: Remote, recursive: bool
) -> list[tuple[Entry, str]]:
    """(source object, destination key) for everything ``src`` names."""
    if not recursive or not src.is_folder:
        try:
            info = backend.head_object(src.bucket, src.key)
        except KeyNotFound:
            if not recursive:
                raise
        else:
            leaf = src.key.rpartition("/")[2]
            key = dest.key + leaf if dest.is_folder else dest.key
            return [(Entry(src.key, info.size, info.modified, info.etag), key)]
    prefix = src.key if src.is_folder else src.key + "/"
    # The prefix arrives as a folder of its name below the destination (the root: its keys).
    name = prefix[:-1].rpartition("/")[2]
    base = dest.key if dest.is_folder else dest.key + "/"
    target = f"{base}{name}/" if name else base
    pairs: list[tuple[Entry, str]] = []
    for page in backend.iter_pages(src.bucket, prefix, recursive=True):
        pairs.extend((e, target + e.key[len(prefix) :]) for e in page.objects)
    return pairs


def _report(out: Output, what: str, sb: str, sk: str, db: str, dk: str) -> None:
    if out.json:
        out.record(result=what, source=f"s3://{sb}/{sk}", destination=f"s3://{db}/{dk}")
    elif not out.quiet:
        out.line(f"{what}: s3://{sb}/{sk} → s3://{db}/{dk}")
