"""``versions``: the versions and delete markers of an object, or of every key below a prefix,
then the soft-deleted versions the bucket keeps (GCS's and Azure's soft delete: state
``soft``, with when each was deleted and when it goes for good).

Listed only on request (docs/architecture.md §3: never part of a normal listing). Servers that
keep no versions say so with an error the user can read.

``--restore ID`` makes one of an object's versions its current one again (a copy of it over
the current one, or the restore of a soft-deleted one: ``core.versions.restore``, as the
window's Versions… dialog does); the versions before it stay in the history.
"""

from __future__ import annotations

import argparse

from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.locations import Remote, parse_remote
from cloudbrowser.cli.output import Exit, Output, UsageError, iso_time, local_time
from cloudbrowser.core.details import Version
from cloudbrowser.core.errors import KeyNotFound, StorageError
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.versions import iter_versions, object_versions, restore


def run(args: argparse.Namespace, out: Output) -> int:
    where = parse_remote(args.location)
    if args.restore is not None and where.is_folder:
        raise UsageError(
            "--restore brings back a version of one object: name its key.",
            hint=f"cloudbrowser versions --restore ID {where.scheme}://bucket/key",
        )
    backend = open_backend(args, out)
    if args.restore is not None:
        return _restore(backend, where, args.restore, out)
    # An object's name: only that key (a listing by prefix also finds "name2", "name/x").
    exact = "" if where.is_folder else where.key
    found = 0
    try:
        for page in iter_versions(backend, where.bucket, where.key, soft_deleted=True):
            for version in page:
                if exact and version.key != exact:
                    continue
                found += 1
                _print(out, where.bucket, version)
    except StorageError as error:
        if error.code in ("NotImplemented", "MethodNotAllowed"):
            raise StorageError(
                "This server does not keep object versions.",
                hint=f"Versions need a server (and a {backend.features.bucket_word}) with "
                "versioning turned on.",
                code=error.code,
            ) from error
        raise
    if exact and not found:
        raise KeyNotFound(f"“{where}” has no versions.", hint="Check the name.")
    return Exit.OK


def _restore(backend: Storage, where: Remote, version_id: str, out: Output) -> int:
    found = [
        v
        for v in object_versions(backend, where.bucket, where.key)
        if v.version_id == version_id and not v.delete_marker
    ]
    if not found:
        raise KeyNotFound(
            f"“{where}” has no version “{version_id}”.",
            hint=f"“cloudbrowser versions {where}” lists its versions and their ids.",
        )
    version = found[0]
    if version.is_latest:
        out.note(f"cloudbrowser: version {version_id} of “{where}” is already the current one.")
        return Exit.OK
    new_id = restore(backend, where.bucket, version)
    if out.json:
        out.record(
            result="restored",
            bucket=where.bucket,
            key=where.key,
            version_id=version_id,
            new_version_id=new_id,
        )
    else:
        out.line(f"restored: {where} version {version_id} is the current one (as {new_id})")
    return Exit.OK


def _print(out: Output, bucket: str, v: Version) -> None:
    if out.json:
        out.record(
            bucket=bucket,
            key=v.key,
            version_id=v.version_id,
            modified=iso_time(v.modified),
            size=v.size,
            etag=v.etag,
            latest=v.is_latest,
            delete_marker=v.delete_marker,
            soft_deleted=v.soft_deleted,
            deleted=iso_time(v.deleted_at),
            kept_until=iso_time(v.kept_until),
        )
        return
    size = "(deleted)" if v.delete_marker else out.size(v.size)
    state = "latest" if v.is_latest else "soft" if v.soft_deleted else ""
    line = f"{local_time(v.modified)}  {size:>10}  {state:<6}  {v.version_id}  {v.key}"
    if v.soft_deleted:
        # When it can still be restored: what the JSON says, which text left out.
        until = f", kept until {local_time(v.kept_until)}" if v.kept_until else ""
        line += f"  (deleted {local_time(v.deleted_at)}{until})"
    out.line(line)
