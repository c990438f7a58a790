"""``storage-class`` and ``restore``: give objects (``-r``: everything below a prefix) a
storage class (Azure: access tier), or ask for archived ones to be restored.

Both are :class:`~cloudbrowser.core.operations.Operation` runs, as in the window: the
listing feeds the requests while it goes on, every failed key is named on stderr, and
the exit code is 1 when any failed. A restore passes over objects that are not archived
and says how many it passed over.
"""

from __future__ import annotations

import argparse

from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.locations import Remote, parse_remote, uri
from cloudbrowser.cli.output import Exit, Output, UsageError
from cloudbrowser.cli.watch import run_watched
from cloudbrowser.core.errors import KeyNotFound
from cloudbrowser.core.operations import (
    Operation,
    OperationResult,
    OpItem,
    OpKind,
    RestoreRequest,
)
from cloudbrowser.core.storage import Storage, StorageClassOffer, storage_classes_of


def run(args: argparse.Namespace, out: Output) -> int:
    target = parse_remote(args.location)
    if target.is_folder and not args.recursive:
        raise UsageError(f"“{target}” is a folder.", hint="Use -r for everything below it.")
    backend = open_backend(args, out)
    offer = storage_classes_of(backend).storage_class_offer()
    items = _items(backend, target, args.recursive)
    if args.command == "restore":
        if args.days and not offer.restore_days:
            # Azure's rehydration moves the blob out of the archive for good: a number of
            # days would be dropped without a word, and the user would expect it back.
            raise UsageError(
                "--days is for a temporary restored copy (S3); a restore here moves the "
                "object out of the archive for good.",
                hint="Leave --days out; --tier chooses where it goes.",
            )
        request = RestoreRequest(
            days=args.days,
            priority=_one_of(args.priority, offer.priorities, "priority") if args.priority else "",
            target=_one_of(args.tier, offer.restore_targets, "tier") if args.tier else "",
        )
        operation = Operation(backend, OpKind.RESTORE, target.bucket, items, restore=request)
    else:
        chosen = _one_of(args.storage_class, offer.names, backend.features.storage_class_word)
        operation = Operation(
            backend, OpKind.STORAGE_CLASS, target.bucket, items, storage_class=chosen
        )
    result = _run(operation, out)
    for key, error in result.failed:
        out.failed(uri(target.bucket, key, target.scheme), error.message, error.hint)
    _summary(args, out, operation, offer)
    if result.cancelled:
        return Exit.INTERRUPTED
    return Exit.FAILED if result.failed else Exit.OK


def _items(backend: Storage, target: Remote, recursive: bool) -> list[OpItem]:
    """The object named, or with ``recursive`` it (if it exists) and everything below it."""
    if not recursive:
        return [OpItem(target.key)]
    if target.is_folder:
        return [OpItem(target.key)]
    items = [OpItem(target.key + "/")]
    try:
        backend.head_object(target.bucket, target.key)
    except KeyNotFound:
        return items
    return [OpItem(target.key), *items]


def _one_of(given: str, names: tuple[str, ...], what: str) -> str:
    """``given`` as the provider spells it (case does not matter), or a usage error."""
    for name in names:
        if name.lower() == given.lower():
            return name
    choices = ", ".join(names) or "none on this connection"
    article = "an" if what[:1] in "aeiou" else "a"  # Azure's "access tier"
    raise UsageError(f"“{given}” is not {article} {what} here.", hint=f"Choose one of: {choices}.")


def _run(operation: Operation, out: Output) -> OperationResult:
    """Run on a thread of its own, so that Ctrl+C cancels it (the requests already sent
    finish) and progress is drawn."""
    return run_watched(operation, out, lambda p, _rate: f"{p.done:,} of {p.found:,} objects …")


def _summary(
    args: argparse.Namespace, out: Output, operation: Operation, offer: StorageClassOffer
) -> None:
    result = operation.result
    acted = result.done - result.passed
    if out.json:
        record: dict[str, object] = {"objects": acted, "failed": len(result.failed)}
        if args.command == "restore":
            out.record(result="restore asked", passed_over=result.passed, **record)
        else:
            out.record(result="changed", storage_class=operation.storage_class, **record)
        return
    if out.quiet:
        return
    plural = "s" if acted != 1 else ""
    if args.command == "restore":
        text = f"asked to restore {acted} object{plural}"
        if result.passed:
            text += f"; {result.passed} not archived, passed over"
        out.line(text)
        if acted and offer.restore_note:
            out.note(offer.restore_note)
    else:
        out.line(f"changed {acted} object{plural} to {operation.storage_class}")
