"""``cp`` and ``mv``: copies made by the server within one connection, and streamed
through this machine between two.

Within one connection no bytes pass through this machine (CopyObject; UploadPartCopy
above 5 GiB), so copying between buckets or renaming a prefix costs requests, not
bandwidth. Between connections (another cloud, or ``--to NAME``) each object is read from
one and written to the other, verified, as the window's drag between connections does;
the command line's connection options are the source's, and the destination's connection
is ``--to NAME`` or what its scheme finds by itself (cli/connect.py). ``mv`` deletes a
source only after its copy was made (core/operations.py, shared with the window). Names
follow ``put``/``get``: a prefix is copied as a folder into the destination prefix, an
object to a key ending in "/" keeps its name. ``--skip``, ``--newer`` and ``--rename``
look at the destination first (a prefix listed once, an object's name looked up):
``--skip`` leaves what exists alone, ``--newer`` replaces only what is older than its
source, ``--rename`` copies to a free "name (1).ext" beside it. A copy to a name found
free may only create its object, so that one made there meanwhile is left alone too.
"""

from __future__ import annotations

import argparse
import queue
from functools import partial

from cloudbrowser.cli.connect import (
    new_connections,
    open_connection,
    open_destination,
    open_source,
)
from cloudbrowser.cli.folders import missing_object
from cloudbrowser.cli.locations import Remote, is_remote, parse_remote, scheme_of
from cloudbrowser.cli.output import Exit, Output, UsageError, human_size
from cloudbrowser.cli.progress import format_line
from cloudbrowser.cli.watch import Reports, run_watched
from cloudbrowser.cli.wildcards import has_wildcard
from cloudbrowser.core.errors import (
    CloudBrowserError,
    ConfigError,
    CreatedMeanwhile,
    KeyNotFound,
)
from cloudbrowser.core.operations import (
    Operation,
    OpItem,
    OpKind,
    OpProgress,
    SourceObject,
    check_items,
    iter_sources,
)
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfer_plan import is_newer, renames


def run(args: argparse.Namespace, out: Output) -> int:
    if not (is_remote(args.source) and is_remote(args.destination)):
        raise UsageError(
            f"{args.command} copies between {scheme_of(args.source, args.destination)}:// "
            "locations.",
            hint="For local files use put (upload) or get (download).",
        )
    src = parse_remote(args.source)
    dest = parse_remote(args.destination)
    if src.is_folder and not args.recursive:
        raise UsageError(f"“{src}” is a folder.", hint=f"Use {args.command} -r to copy it.")
    if (args.to and args.to != args.connection) or src.scheme != dest.scheme:
        connections = new_connections()
        source = open_source(args, out, connections)
        target = open_destination(args, args.to, out, connections)
    else:
        source = target = open_connection(args, out)
    backend, dest_backend = source.storage, target.storage
    item = _item(backend, src, dest, args.recursive, args.command)
    kind = OpKind.MOVE if args.command == "mv" else OpKind.COPY
    moving = args.command == "mv"
    if target is source:
        try:
            check_items(kind, src.bucket, [item], dest.bucket)
        except ConfigError as refused:  # the command line asks for it: a usage error, exit 2
            raise UsageError(refused.message, hint=refused.hint) from None
        if (dest.bucket, item.target) == (src.bucket, item.source):
            if moving:  # nothing to do, and said so (it printed nothing)
                out.note(f"cloudbrowser: “{src}” is already there: nothing moved.")
                return Exit.OK
            raise UsageError(
                f"“{src}” would be copied onto itself.", hint="Name another destination."
            )

    def report(object_: SourceObject, what: str) -> None:
        _report(
            out, what, out.uri(src.bucket, object_.key, source.id),
            out.uri(dest.bucket, object_.target, target.id),
        )  # fmt: skip

    items: list[OpItem] = [item]
    left: list[tuple[SourceObject, str]] = []
    if args.policy in ("skip", "newer", "rename"):
        items, left = _against_destination(
            backend, src.bucket, item, dest_backend, dest.bucket, args.policy
        )
        if not items and not left:
            raise _nothing_at(src)
    if args.dry_run:
        found = 0
        for found_object, why in left:
            report(found_object, f"would skip ({why})")
        for found_object in iter_sources(backend, src.bucket, items):
            report(found_object, f"would {'move' if moving else 'copy'}")
            found += 1
        if not found and not left:
            raise _nothing_at(src)
        return Exit.OK

    for found_object, why in left:
        report(found_object, f"skipped ({why})")
    if not items:
        return Exit.OK
    reports: Reports = queue.SimpleQueue()

    def failed_late(late: SourceObject, error: CloudBrowserError | None) -> None:
        """A copy under way at Ctrl+C that failed after the operation returned (one made
        after all is reported copied, by on_copied)."""
        if error is not None:
            where = out.uri(src.bucket, late.key, source.id)
            reports.put(partial(out.failed, where, error.message, error.hint))

    operation = Operation(
        backend,
        kind,
        src.bucket,
        items,
        dest_backend=dest_backend,
        dest_bucket=dest.bucket,
        on_copied=lambda done: reports.put(partial(report, done, "moved" if moving else "copied")),
        on_late=failed_late,
    )
    result = run_watched(operation, out, _describe, reports)
    if operation.progress().found == 0 and not result.failed and not (left or result.cancelled):
        raise _nothing_at(src)
    failed = False
    by_key = {i.source: i for i in items}
    for key, error in result.failed:
        where = out.uri(src.bucket, key, source.id)
        if isinstance(error, CreatedMeanwhile) and key in by_key:
            # Made there meanwhile, at a name found free: it exists and is left alone.
            there = out.uri(dest.bucket, by_key[key].target, target.id)
            _report(out, "skipped (exists)", where, there)
            continue
        out.failed(where, error.message, error.hint)
        failed = True
    if result.cancelled:  # the copies sent were let finish: nothing is left half-done
        return Exit.INTERRUPTED
    return Exit.FAILED if failed else Exit.OK


def _describe(progress: OpProgress, rate: float) -> str:
    """The progress line: bytes and objects, once counted, as put and get show files."""
    if not progress.counted:
        done, found = progress.done, progress.found
        return f"{human_size(progress.done_bytes)}  {done:,} of {found:,}+ objects"
    return format_line(
        progress.done_bytes, progress.found_bytes, rate, progress.done, progress.found,
        noun="objects",
    )  # fmt: skip


def _against_destination(
    backend: Storage,
    bucket: str,
    item: OpItem,
    dest_backend: Storage,
    dest_bucket: str,
    policy: str,
) -> tuple[list[OpItem], list[tuple[SourceObject, str]]]:
    """``--skip``, ``--newer`` or ``--rename``: what to copy of ``item``, one item per
    object, and what to leave with the reason. A prefix's destination is listed once; an
    object's is looked up (and for ``--rename`` each name tried). Every copy to a name
    found free is create-only; ``--newer`` replaces an older object where it is."""
    sources = list(iter_sources(backend, bucket, [item], look_up=True))
    if item.is_prefix:
        pages = iter_pages(dest_backend, dest_bucket, item.target, recursive=True)
        listed = {e.key: e.modified for page in pages for e in page.objects}

        def modified_at(key: str) -> float | None:
            return listed.get(key)
    else:

        def modified_at(key: str) -> float | None:
            try:
                return dest_backend.head_object(dest_bucket, key).modified
            except KeyNotFound:
                return None

    planned: set[str] = set()  # --rename: names given to earlier sources of this run
    copies: list[OpItem] = []
    left: list[tuple[SourceObject, str]] = []
    for s in sources:
        there = modified_at(s.target)
        if there is None:
            copies.append(_copy(s, s.target, create_only=True))
        elif policy == "newer" and is_newer(s.modified, there):
            copies.append(_copy(s, s.target, create_only=False))
        elif policy == "rename":
            free = next(
                (n for n in renames(s.target) if n not in planned and modified_at(n) is None),
                None,
            )
            if free is None:
                left.append((s, "no free name"))
                continue
            planned.add(free)
            copies.append(_copy(s, free, create_only=True))
        else:
            left.append((s, "not newer" if policy == "newer" else "exists"))
    return copies, left


def _copy(source: SourceObject, target: str, *, create_only: bool) -> OpItem:
    return OpItem(
        source.key, target, source.size, source.etag, source.md5, create_only, source.modified
    )


def _item(backend: Storage, src: Remote, dest: Remote, recursive: bool, command: str) -> OpItem:
    """What ``src`` names, and where it goes."""
    if not recursive or not src.is_folder:
        try:
            info = backend.head_object(src.bucket, src.key)
        except KeyNotFound as error:
            if has_wildcard(src.key) and not recursive:
                raise UsageError(
                    f"{command} takes no wildcards, and no object is named “{src}”.",
                    hint=f"Name one object, or a folder with {command} -r.",
                ) from None
            if not recursive:
                hint = f"Use {command} -r to copy it."
                raise missing_object(backend, src, error, hint) from None
        else:
            leaf = src.key.rpartition("/")[2]
            key = dest.key + leaf if dest.is_folder else dest.key
            return OpItem(src.key, key, info.size, info.etag, info.md5, modified=info.modified)
    prefix = src.key if src.is_folder else src.key + "/"
    # The prefix arrives as a folder of its name below the destination (the root: its keys).
    name = prefix[:-1].rpartition("/")[2]
    base = dest.key if dest.is_folder else dest.key + "/"
    return OpItem(prefix, f"{base}{name}/" if name else base)


def _nothing_at(src: Remote) -> KeyNotFound:
    return KeyNotFound(f"There is nothing at “{src}”.", hint="Check the name.")


def _report(out: Output, what: str, source: str, destination: str) -> None:
    if out.json:
        out.record(result=what, source=source, destination=destination)
    elif not out.quiet:
        out.line(f"{what}: {source} → {destination}")
