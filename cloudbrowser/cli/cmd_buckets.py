"""``mb``, ``rb``, ``versioning``, ``presign`` and ``connections``: the small commands."""

from __future__ import annotations

import argparse
import math
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cloudbrowser.cli.confirm import confirm, confirm_by_name
from cloudbrowser.cli.connect import open_backend
from cloudbrowser.cli.locations import parse_remote
from cloudbrowser.cli.output import Exit, Output, UsageError, iso_time
from cloudbrowser.core.storage import share_links_of, versioning_switch_of, versions_of

if TYPE_CHECKING:
    from cloudbrowser.core.profiles import Profile
    from cloudbrowser.core.storage import Features, LinkGrant

#: S3's limit for a presigned URL signed with SigV4.
MAX_EXPIRY = 7 * 24 * 3600
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def run(args: argparse.Namespace, out: Output) -> int:
    if args.command == "connections":
        return _connections(out)
    if args.command == "presign":
        return _presign(args, out)
    where = parse_remote(args.bucket)
    if where.key.strip("/"):
        raise UsageError(
            f"“{args.bucket}” names a key, not a bucket.",
            hint=f"Write {where.scheme}://{where.bucket}.",
        )
    if args.command == "mb":
        return _make(args, out, where.bucket)
    if args.command == "versioning":
        return _versioning(args, out, where.bucket)
    return _remove(args, out, where.bucket)


def _make(args: argparse.Namespace, out: Output, bucket: str) -> int:
    """``mb``: ``--location`` and ``--storage-class`` reach ``create_bucket`` as the
    window's New bucket sends them (``"LOCATION/CLASS"``), checked against what the
    connection's features say a new bucket can be given."""
    backend = open_backend(args, out)
    features = backend.features
    location = _bucket_location(args.bucket_location, features)
    storage_class = _bucket_class(args.bucket_class, features)
    backend.create_bucket(bucket, f"{location}/{storage_class}" if storage_class else location)
    given = {"location": location, "storage_class": storage_class}
    if out.json:
        out.record(bucket=bucket, result="created", **{k: v for k, v in given.items() if v})
        return Exit.OK
    text = f"created {features.bucket_word} {out.uri(bucket, None)}"
    if location:
        text += f" in {location}"
    if storage_class:
        text += f", default {features.storage_class_word} {storage_class}"
    out.line(text)
    return Exit.OK


def _bucket_location(text: str, features: Features) -> str:
    """``--location`` as ``create_bucket`` takes it ("" where not given). Any location
    may be named where the provider has them (the window's list is not all of them: one
    newer can be typed there too); the server judges it. Raises UsageError."""
    location = text.strip()
    if not text:
        return ""
    word = features.bucket_word
    if not features.bucket_locations:
        raise UsageError(
            f"A new {word} here cannot be given a location: the server decides where it is kept.",
            hint="Leave --location out.",
        )
    if not location or "/" in location or any(c.isspace() for c in location):
        raise UsageError(
            f"“{text}” is not a location.",
            hint="Name one like " + ", ".join(features.bucket_locations[:3]) + ".",
        )
    return location


def _bucket_class(text: str, features: Features) -> str:
    """``--storage-class`` as the provider spells it ("" where not given): one of
    ``features.bucket_classes``, in any case. Raises UsageError."""
    if not text:
        return ""
    word, what = features.bucket_word, features.storage_class_word
    if not features.bucket_classes:
        hint = "Leave --storage-class out"
        if features.storage_classes:
            hint += "; objects are given theirs with the storage-class command"
        raise UsageError(f"A new {word} here cannot be given a default {what}.", hint=hint + ".")
    for name in features.bucket_classes:
        if name.lower() == text.strip().lower():
            return name
    raise UsageError(
        f"“{text}” is not a {what} a new {word} can have here.",
        hint="Choose one of " + ", ".join(features.bucket_classes) + ".",
    )


#: A bucket's versioning state (``Versions.bucket_versioning``) as a person says it.
_STATES = {"Enabled": "on", "Suspended": "suspended", "": "off"}


def _versioning(args: argparse.Namespace, out: Output, bucket: str) -> int:
    """``versioning``: the state, or ``--on`` / ``--off`` then the state it is in now."""
    backend = open_backend(args, out)
    if args.switch is not None:
        versioning_switch_of(backend).set_bucket_versioning(bucket, args.switch == "on")
    state = versions_of(backend).bucket_versioning(bucket)
    if out.json:
        out.record(bucket=bucket, versioning=_STATES.get(state, state))
    else:
        out.line(f"{out.uri(bucket, None)}\tversioning {_STATES.get(state, state)}")
    return Exit.OK


def _remove(args: argparse.Namespace, out: Output, bucket: str) -> int:
    """``rb``: never trusts the server to refuse a non-empty bucket (some delete everything
    in it); a bucket with anything in it goes only with ``--force``, counted and confirmed
    as the window's Delete bucket… does."""
    from cloudbrowser.core import bucket_removal as removal

    backend = open_backend(args, out)
    word = backend.features.bucket_word  # "bucket", Azure's "container"
    remains = removal.what_remains(backend, bucket)
    if not remains:
        if args.dry_run:
            _done(out, "would delete", bucket, word)
            return Exit.OK
        confirm(args, f"Delete the empty {word} “{bucket}”?")
        removal.remove_bucket(backend, bucket)  # looks again: something may have arrived
        _done(out, "deleted", bucket, word)
        return Exit.OK
    if not args.force:
        error = removal.not_empty(bucket, remains, word=word)
        error.hint = f"Pass --force to delete them with the {word} (--dry-run --force counts them)."
        raise error
    count = removal.count_bucket(backend, bucket)
    what = removal.describe(count, out.size)
    if args.dry_run:
        if out.json:
            out.record(
                bucket=bucket,
                result="would delete",
                objects=count.objects,
                size=count.bytes,
                versions=count.versions,
                uploads=count.uploads,
            )
        else:
            out.line(f"would delete {word} {out.uri(bucket, None)} and {what}")
        return Exit.OK
    confirm_by_name(
        args,
        f"The {word} “{bucket}” holds {what}. Deleting it deletes all of them; "
        "this cannot be undone.",
        bucket,
    )
    operation, not_aborted = removal.empty_bucket(backend, bucket, count)
    failed = [*operation.result.failed, *not_aborted]
    for key, failure in failed:
        out.failed(out.uri(bucket, key), failure.message, failure.hint)
    if operation.result.cancelled or failed:
        where = out.uri(bucket, None)
        out.note(f"cloudbrowser: the {word} {where} was not deleted: it is not empty.")
        return Exit.FAILED
    removal.remove_bucket(backend, bucket)
    _done(out, "deleted", bucket, word)
    return Exit.OK


def _done(out: Output, what: str, bucket: str, word: str) -> None:
    """``word``: the provider's word for a bucket (text only: JSON keeps "bucket")."""
    if out.json:
        out.record(bucket=bucket, result=what)
    else:
        out.line(f"{what} {word} {out.uri(bucket, None)}")


def parse_duration(text: str) -> int:
    """``3600``, ``90m``, ``12h``, ``7d``, ``1w`` (as gcloud writes it) → seconds. Raises
    UsageError."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", text.lower())
    if not match:
        raise UsageError(
            f"“{text}” is not a duration.", hint="Write it like 3600, 90m, 12h, 7d or 1w."
        )
    return int(match.group(1)) * _UNITS[match.group(2)]


def _presign(args: argparse.Namespace, out: Output) -> int:
    where = parse_remote(args.location)
    if where.is_folder:
        raise UsageError(
            "A link is for one object: name its key.", hint=f"{where.scheme}://bucket/key"
        )
    seconds = parse_duration(args.expires)
    if not 1 <= seconds <= MAX_EXPIRY:
        raise UsageError(
            "A link works for at most 7 days (and at least a second).",
            hint="Choose --expires between 1 and 7d.",
        )
    backend = open_backend(args, out)
    features = backend.features
    grant = features.link_grant
    # A link that can only carry the connection's own credential, granting more than
    # reading, is handed out only when asked for by name, knowing what it grants.
    broader = grant is not None and grant.reads and not grant.read_only
    if broader and not args.with_connection_sas:
        assert grant is not None
        raise UsageError(
            f"This connection's SAS grants more than reading ({grant.spelled}), and a SAS "
            "cannot sign another: a link would carry it, and whoever has the link could "
            f"{grant_text(grant, features.bucket_word)}.",
            hint="Add --with-connection-sas to print that link anyway, or connect with the "
            "account key or Entra ID for a read-only link that ends when --expires says.",
        )
    # The link is signed offline and would be made for a typo too: check it exists.
    info = backend.head_object(where.bucket, where.key)
    asked = time.time()
    link = share_links_of(backend).share_link(
        where.bucket, where.key, seconds, accepted=grant if broader else None
    )
    if info.storage_class in features.archive_tiers:
        # Signed all the same (a restore may be under way), but whoever opens the link
        # would get an error instead of the bytes: the one who shares it is told now.
        out.note(
            f"note: “{where}” is in the {info.storage_class} {features.storage_class_word}: "
            "the link gives an error instead of its bytes until it is restored "
            "(cloudbrowser restore)."
        )
    # The end the link names (None: none), never asked + --expires: a link may end
    # sooner (an Azure user delegation key ends first), and one carrying the connection's
    # SAS ends when the SAS does. A signature's time is a whole second, up to one before
    # ``asked``: rounded up, and a link signed here never counts more than --expires.
    expires_in: int | None = None
    if link.expires:
        expires_in = max(0, math.ceil(link.expires - asked))
        if grant is None:
            expires_in = min(expires_in, seconds)
            if expires_in < seconds - 60:
                out.note(
                    f"note: the link expires on {_utc(link.expires)}, "
                    f"{_duration(seconds - expires_in)} before --expires: the key that "
                    "signs it ends then."
                )
    if grant is not None:
        if broader:
            out.note(
                "warning: the link carries the connection's SAS: whoever has it may "
                f"{grant_text(grant, features.bucket_word)}, not after --expires."
            )
        else:
            out.note(
                "note: the link carries the connection's SAS, which grants only reading: "
                f"it expires {_grant_end(grant)}, not after --expires, and reads all that "
                "the SAS covers, not only this object."
            )
    # A bare URL even when piped (URL=$(cloudbrowser presign ...)); --json asks for more.
    if args.json:
        out.record(
            url=link.url,
            bucket=where.bucket,
            key=where.key,
            expires_in=expires_in,
            expires=iso_time(link.expires) or None,
            size=info.size,
        )
    else:
        out.line(link.url)
    return Exit.OK


def grant_text(grant: LinkGrant, bucket_word: str) -> str:
    """What whoever holds a link carrying ``grant`` may do, where and until when, as the
    end of a sentence: "read, write and list the whole container “c” until …"."""
    words = list(grant.permissions)
    if words:
        what = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    else:
        what = f"do what the stored access policy “{grant.policy}” grants"
    name = f" “{grant.scope_name}”" if grant.scope_name else ""
    scope = {
        "account": f"in every {bucket_word} of the account",
        "bucket": f"in the whole {bucket_word}{name} (every object, and those added later)",
        "folder": f"in everything under{name or ' its folder'}",
    }.get(grant.scope, "on the one object it is for")
    limits = "".join(
        (
            f", only from {grant.addresses}" if grant.addresses else "",
            f", only over {grant.protocols}" if grant.protocols else "",
        )
    )
    return f"{what} ({grant.spelled}) {scope}{limits}, {_grant_end(grant, until=True)}"


def _utc(posix: float) -> str:
    return f"{datetime.fromtimestamp(posix, UTC):%Y-%m-%d %H:%M} UTC"


def _duration(seconds: int) -> str:
    """A shortfall in words: "15 minutes", "2 hours", "90 seconds"."""
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def _grant_end(grant: LinkGrant, *, until: bool = False) -> str:
    if grant.ends:
        return f"{'until' if until else 'on'} {_utc(grant.ends)}"
    if grant.policy:
        return f"when its stored access policy “{grant.policy}” says (kept on the server)"
    return "with no expiry stated" if until else "when the connection's SAS does (it names no end)"


def _gcs_connection(out: Output, p: Profile) -> None:
    auth = p.gcs_auth()
    if out.json:
        out.record(
            type="saved",
            name=p.name,
            kind=p.kind,
            auth=auth,
            project=p.project,
            endpoint=p.endpoint_url,
            account=p.access_key_id,
            default_bucket=p.default_bucket,
            sign_links_as=p.sign_links_as,
        )
    else:
        where = p.endpoint_url or "Google Cloud Storage"
        out.line(f"{p.name}\tGoogle Cloud Storage ({auth.replace('_', ' ')})\t{where}")


#: How an Azure connection signs in, as ``connections`` shows it.
_AZURE_AUTH = {
    "key": "account key",
    "connection_string": "connection string",
    "sas": "SAS",
    "azure_cli": "Azure CLI sign-in",
    "entra_default": "Entra ID",
    "entra_device": "Entra ID, device code",
    "entra_browser": "Entra ID, browser",
    "anonymous": "anonymous",
}


def _azure_connection(out: Output, p: Profile) -> None:
    auth = p.auth or "key"
    if out.json:
        out.record(
            type="saved",
            name=p.name,
            kind=p.kind,
            auth=auth,
            account=p.account,
            endpoint=p.endpoint(),
            default_bucket=p.default_bucket,
        )
    else:
        label = _AZURE_AUTH.get(auth, auth)
        where = p.endpoint() or "Azure Blob Storage"
        out.line(f"{p.name}	Azure Blob Storage ({label})	{where}")


def _connections(out: Output) -> int:
    from cloudbrowser.core.backends.s3.aws_auth import list_aws_profiles
    from cloudbrowser.core.backends.s3.presets import preset
    from cloudbrowser.core.profiles import ProfileStore

    # Only the file and the AWS config are read: listing names never touches the keyring.
    for p in ProfileStore().load():
        if p.kind == "gcs":
            _gcs_connection(out, p)
            continue
        if p.kind == "azure":
            _azure_connection(out, p)
            continue
        endpoint = p.endpoint() if not preset(p.preset).needs_account or p.account_id else ""
        if out.json:
            out.record(
                type="saved",
                name=p.name,
                provider=p.preset,
                endpoint=endpoint,
                region=p.region,
                access_key_id=p.access_key_id,
                anonymous=p.anonymous,
                default_bucket=p.default_bucket,
            )
        else:
            out.line(f"{p.name}\t{preset(p.preset).label}\t{endpoint or 'Amazon S3'}")
    for a in list_aws_profiles():
        if out.json:
            out.record(
                type="aws",
                name=a.name,
                kind=a.kind,
                region=a.region,
                endpoint=a.endpoint_url,
            )
        else:
            out.line(f"{a.name}\tAWS profile ({a.kind_label})\t{a.endpoint_url or 'Amazon S3'}")
    return Exit.OK
