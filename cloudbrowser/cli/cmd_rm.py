"""``rm``: delete objects, or with ``-r`` everything below a prefix.

Keys stream from the listing into ``core.deletes`` (DeleteObjects, 1,000 keys a request;
single deletes where the provider has no multi-object delete), so deleting a large prefix
starts at once and never holds the whole listing. ``--dry-run`` lists what would go and
sends no delete; without ``--yes`` a terminal is asked and a script is refused.

Asked on a terminal, ``rm -r`` lists first and asks with what it found (objects and
bytes), then deletes exactly the keys it counted: what the user agreed to, nothing that
arrived meanwhile.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator

from cloudbrowser.cli.confirm import confirm, ensure_askable
from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.folders import missing_object
from cloudbrowser.cli.locations import Remote, parse_remote
from cloudbrowser.cli.output import Exit, Output, UsageError, human_size
from cloudbrowser.cli.progress import ProgressLine
from cloudbrowser.cli.wildcards import is_pattern, matching, no_match
from cloudbrowser.core.deletes import delete_keys
from cloudbrowser.core.errors import CloudBrowserError, KeyNotFound
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage


def run(args: argparse.Namespace, out: Output) -> int:
    targets = [parse_remote(text) for text in args.locations]
    for target in targets:
        if target.is_folder and not args.recursive:
            raise UsageError(
                f"“{target}” is a folder.", hint="Use rm -r to delete everything below it."
            )
    ask = not args.dry_run and not args.yes
    if ask and not args.recursive:
        _confirm_targets(args, targets)
    elif ask:
        ensure_askable(args)  # a script is refused before anything is listed
    backend = open_backend(args, out)
    multi = backend.features.batch_delete
    deleted = 0
    failed: list[tuple[str, CloudBrowserError]] = []
    counted: list[list[str]] | None = None
    if ask and args.recursive:
        counted = _count_then_confirm(args, backend, targets, failed)
    for number, target in enumerate(targets):
        keys: Iterable[str] = (
            counted[number]
            if counted is not None
            else _keys(backend, target, args.recursive, failed)
        )
        if args.dry_run:
            for key in keys:
                deleted += 1
                _report(out, target.bucket, key, "would delete")
            continue
        line = ProgressLine(out.stderr, files=0) if out.progress else None
        done = 0

        def progress(
            count: int, line: ProgressLine | None = line, bucket: str = target.bucket
        ) -> None:
            nonlocal done
            done += count
            if line is not None:
                line.draw(f"deleted {done:,} objects from {out.uri(bucket, None)}/ …")

        try:
            result = delete_keys(
                backend, target.bucket, keys, multi_delete=multi, progress=progress
            )
        finally:
            if line is not None:
                line.clear()
        # The server has no DeleteObjects: later targets go one by one from the start.
        multi = multi and not result.multi_delete_unsupported
        deleted += result.deleted
        failed.extend((out.uri(target.bucket, key), error) for key, error in result.failed)
    for what, error in failed:
        out.failed(what, error.message, error.hint)
    verb = "would delete" if args.dry_run else "deleted"
    if out.json:
        out.record(result=verb, objects=deleted, failed=len(failed))
    elif not out.quiet:
        out.line(f"{verb} {deleted} object{'s' if deleted != 1 else ''}")
    return Exit.FAILED if failed else Exit.OK


def _confirm_targets(args: argparse.Namespace, targets: list[Remote]) -> None:
    what = ", ".join(str(t) for t in targets[:3])
    more = f" and {len(targets) - 3} more" if len(targets) > 3 else ""
    confirm(args, f"Delete {what}{more}?")


def _count_then_confirm(
    args: argparse.Namespace,
    backend: Storage,
    targets: list[Remote],
    failed: list[tuple[str, CloudBrowserError]],
) -> list[list[str]]:
    """List every target, ask with the objects and bytes found; the keys of each target."""
    counted: list[list[str]] = []
    size = 0
    for target in targets:
        keys: list[str] = []
        for key, object_size in _objects(backend, target, True, failed):
            keys.append(key)
            size += object_size
        counted.append(keys)
    total = sum(len(keys) for keys in counted)
    if total:
        what = ", ".join(str(t) for t in targets[:3])
        more = f" and {len(targets) - 3} more" if len(targets) > 3 else ""
        objects = f"{total:,} object{'s' if total != 1 else ''}"
        confirm(args, f"Delete {objects} ({human_size(size)}) below {what}{more}?")
    return counted


def _keys(
    backend: Storage,
    target: Remote,
    recursive: bool,
    failed: list[tuple[str, CloudBrowserError]],
) -> Iterator[str]:
    return (key for key, _size in _objects(backend, target, recursive, failed))


def _objects(
    backend: Storage,
    target: Remote,
    recursive: bool,
    failed: list[tuple[str, CloudBrowserError]],
) -> Iterator[tuple[str, int]]:
    """The objects ``target`` names, as (key, size): one object (which must exist), or
    with ``recursive`` the object of that name and everything below it as a folder."""
    if is_pattern(backend, target):
        found = False
        for entry in matching(backend, target):
            found = True
            yield entry.key, entry.size
        if not found:
            failed.append((str(target), no_match(target)))
        return
    if not recursive:
        try:
            info = backend.head_object(target.bucket, target.key)
        except KeyNotFound as error:
            hint = "Use rm -r to delete everything below it."
            failed.append((str(target), missing_object(backend, target, error, hint)))
            return
        yield target.key, info.size
        return
    exact = "" if target.is_folder else target.key
    for page in iter_pages(backend, target.bucket, target.key, recursive=True):
        for entry in page.objects:
            if not exact or entry.key == exact or entry.key.startswith(exact + "/"):
                yield entry.key, entry.size


def _report(out: Output, bucket: str, key: str, what: str) -> None:
    if out.json:
        out.record(result=what, bucket=bucket, key=key)
    else:
        out.line(f"{what} {out.uri(bucket, key)}")
