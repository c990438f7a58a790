"""``sync``: make a prefix hold what a local folder holds, or the other way round.

The plan comes first (``core.sync``: size and time by default, ``--checksum`` for MD5 against
the ETag); ``--dry-run`` prints it and stops. Transfers run like ``put``/``get`` (journalled,
verified), then with ``--delete`` what the source does not have is removed from the
destination, and only after every transfer succeeded: a failed upload never costs the
copy that was there. Exit code 0 only when everything arrived verified.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from cloudbrowser.cli.cmd_transfer import check_part_size, execute, run_stream, transfer_options
from cloudbrowser.cli.confirm import confirm
from cloudbrowser.cli.connect import new_connections, open_connection
from cloudbrowser.cli.locations import is_remote, parse_remote, scheme_of, uri
from cloudbrowser.cli.output import Exit, Output, UsageError
from cloudbrowser.core.connections import Connections
from cloudbrowser.core.deletes import delete_keys
from cloudbrowser.core.errors import KeyNotFound, LocalFileError
from cloudbrowser.core.folders import remove_emptied_folders
from cloudbrowser.core.keys import normalize_prefix
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.sync import DownloadSync, SyncPlan, plan_upload_sync
from cloudbrowser.core.transfer_plan import ConflictPolicy, Plan, PlannedTransfer
from cloudbrowser.core.transfers import TransferOptions


def run(args: argparse.Namespace, out: Output) -> int:
    options = transfer_options(args)
    up = not is_remote(args.source)
    if up == (not is_remote(args.destination)):
        scheme = scheme_of(args.source, args.destination)
        raise UsageError(
            f"sync needs one local folder and one {scheme}:// location.",
            hint=f"cloudbrowser sync DIR {scheme}://bucket/prefix/ (or the other way round)",
        )
    remote = parse_remote(args.destination if up else args.source, bare_ok=False)
    local = Path(args.source if up else args.destination)
    prefix = normalize_prefix(remote.key)
    if up and not local.is_dir():
        raise LocalFileError(f"“{local}” is not a folder.", hint="sync copies folders.")
    if args.delete and not args.dry_run:
        confirm(args, f"Delete from {uri(remote.bucket, prefix, remote.scheme) if up else local} "
                      "what the source does not have?")  # fmt: skip
    connections = new_connections()
    connection = open_connection(args, out, connections)
    storage, connection_id = connection.storage, connection.id
    check_part_size(options, storage)
    if not up:
        return _sync_down(args, out, connections, remote.bucket, prefix, local, options)
    sync = plan_upload_sync(storage, connection_id, local, remote.bucket, prefix,
                            checksum=args.checksum, delete=args.delete)  # fmt: skip
    if args.dry_run:
        _print_deletes(out, sync, remote.bucket, "would delete")
    plan = Plan(
        items=[PlannedTransfer(r) for r in sync.transfers],
        refused=sync.refused,
        skipped=sync.skipped,
        empty_folders=sync.empty_folders,
    )
    code = execute(plan, ConflictPolicy.OVERWRITE, connections, options, out, args.dry_run,
                   up_to_date=lambda: sync.unchanged)  # fmt: skip
    if args.dry_run or not args.delete:
        return code
    if code != Exit.OK:
        out.note("cloudbrowser: nothing deleted, because not everything was transferred.")
        return code
    failed = 0
    if sync.delete_keys:
        multi = storage.features.batch_delete
        result = delete_keys(storage, remote.bucket, sync.delete_keys, multi_delete=multi)
        for key, error in result.failed:
            out.failed(out.uri(remote.bucket, key), error.message, error.hint)
        failed += len(result.failed)
    failed += _delete_files(sync.delete_files, out)
    _print_deletes(out, sync, remote.bucket, "deleted")
    return Exit.FAILED if failed else Exit.OK


def _sync_down(
    args: argparse.Namespace,
    out: Output,
    connections: Connections,
    bucket: str,
    prefix: str,
    local: Path,
    options: TransferOptions,
) -> int:
    """Down, as ``get -r`` runs: a listing page at a time, the first transfer after the
    first page, at most a bounded number unfinished; the orphans once the listing ended.
    From the one connection open in ``connections``."""
    [connection_id] = connections.ids()
    storage = connections.storage(connection_id)
    if prefix and not _holds_anything(storage, bucket, prefix):
        # A mistyped source: with --delete it would empty the local folder.
        raise KeyNotFound(
            f"There is nothing below “{out.uri(bucket, prefix)}”.",
            hint="Check the name: nothing was transferred or deleted.",
        )
    sync = DownloadSync(storage, connection_id, bucket, prefix, local, checksum=args.checksum)
    pages = (
        Plan(
            items=[PlannedTransfer(r) for r in page.transfers],
            refused=page.refused,
            folders=page.folders,
        )
        for page in sync.pages()
    )
    policy = ConflictPolicy.OVERWRITE
    code = run_stream(pages, policy, sync.claims, connections, options, out, args.dry_run,
                      up_to_date=lambda: sync.unchanged)  # fmt: skip
    if not args.delete:
        return code
    if code != Exit.OK and not args.dry_run:
        out.note("cloudbrowser: nothing deleted, because not everything was transferred.")
        return code
    unreadable: list[tuple[str, str]] = []
    orphans = sync.orphans(unreadable)
    for where, why in unreadable:
        out.failed(where, why)
    deletes = SyncPlan(delete_files=orphans, delete_folders=sync.emptied_folders(orphans))
    if args.dry_run:
        _print_deletes(out, deletes, bucket, "would delete")
        return Exit.FAILED if unreadable else code
    if unreadable:
        out.note("cloudbrowser: nothing deleted, because not every local file could be read.")
        return Exit.FAILED
    failed = _delete_files(orphans, out)
    deletes.delete_folders, kept = remove_emptied_folders(deletes.delete_folders)
    for folder, why in kept:
        out.failed(str(folder), why)
    _print_deletes(out, deletes, bucket, "deleted")
    return Exit.FAILED if failed or kept else Exit.OK


def _holds_anything(storage: Storage, bucket: str, prefix: str) -> bool:
    """Whether any object (a folder's marker too) has a key below ``prefix``."""
    return any(page.objects for page in iter_pages(storage, bucket, prefix, recursive=True))


def _print_deletes(out: Output, sync: SyncPlan, bucket: str, what: str) -> None:
    for key in sync.delete_keys:
        if out.json:
            out.record(result=what, bucket=bucket, key=key)
        else:
            out.line(f"{what}: {out.uri(bucket, key)}")
    for path in sync.delete_files:
        if out.json:
            out.record(result=what, local=str(path))
        else:
            out.line(f"{what}: {path}")
    for folder in sync.delete_folders:  # an empty folder gone from the cloud
        if out.json:
            out.record(result=what, local=str(folder), folder=True)
        else:
            out.line(f"{what}: {folder}{os.sep}")


def _delete_files(paths: Iterable[Path], out: Output) -> int:
    """Delete the local files ``paths`` (one already gone is fine); returns how many could
    not be deleted, each named."""
    failed = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            out.failed(str(path), exc.strerror or str(exc))
            failed += 1
    return failed
