"""``versions``: the versions and delete markers of an object, or of every key below a prefix,
then the soft-deleted versions the bucket keeps (GCS's and Azure's soft delete: state
``soft``, with when each was deleted and when it goes for good).

Listed only on request (docs/architecture.md §3: never part of a normal listing). Servers that
keep no versions say so with an error the user can read.
"""

from __future__ import annotations

import argparse

from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.locations import parse_remote
from cloudbrowser.cli.output import Exit, Output, iso_time, local_time
from cloudbrowser.core.details import Version
from cloudbrowser.core.errors import KeyNotFound, StorageError
from cloudbrowser.core.versions import iter_versions


def run(args: argparse.Namespace, out: Output) -> int:
    where = parse_remote(args.location)
    backend = open_backend(args, out)
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
    out.line(f"{local_time(v.modified)}  {size:>10}  {state:<6}  {v.version_id}  {v.key}")
