"""“Test connection”: one request that tells the user precisely whether a connection works.

The answer names the cause a user can act on (wrong key id, wrong secret, clock skew,
unreachable host, TLS, a key that may not list buckets); the translation of botocore's
errors is the backend's (``core/backends/s3/errors.py``), so the check and a real listing
never disagree. Buckets are named as the provider names them (``features.bucket_word``:
Azure's containers).
It makes a single attempt with short timeouts: a test should answer in seconds, not after
botocore's retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import AccessDenied, Cancelled, CloudBrowserError

#: Seconds: long enough for a slow far-away server, short enough for a user who waits.
CHECK_CONNECT_TIMEOUT = 8.0
CHECK_READ_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the check found: ``ok`` with a summary, or the error and what to do."""

    ok: bool
    summary: str
    hint: str = ""
    #: The error behind a failed check (its ``detail`` has the server's code).
    error: CloudBrowserError | None = None
    #: Buckets the key may list, when it listed them.
    bucket_count: int | None = None


def _plural(word: str, count: int = 2) -> str:
    return word if count == 1 else f"{word}s"


def check_connection(
    settings: ConnectionSettings, credentials: Credentials | None = None, **backend_args: Any
) -> CheckResult:
    """Send one request with these settings and say what happened. Never raises except
    Cancelled (e.g. the user dismissed an MFA prompt). ``backend_args`` go to Storage."""
    quick = settings._replace(
        max_attempts=1,
        connect_timeout=min(settings.connect_timeout, CHECK_CONNECT_TIMEOUT),
        read_timeout=min(settings.read_timeout, CHECK_READ_TIMEOUT),
    )
    from cloudbrowser.core.backends import open_storage  # the SDK: only when a check runs

    backend = open_storage(quick, credentials, page_size=1, **backend_args)
    word = backend.features.bucket_word  # "bucket", Azure's "container"
    try:
        if settings.default_bucket:
            backend.list_page(settings.default_bucket, settings.default_prefix)
            where = settings.default_bucket + (
                f"/{settings.default_prefix}" if settings.default_prefix else ""
            )
            return CheckResult(True, f"Connected: “{where}” can be listed.")
        count = len(backend.list_buckets())
    except Cancelled:
        raise
    except AccessDenied as error:
        if settings.default_bucket:
            return _failed(error)
        # The server accepted the signature (a bad key is InvalidAccessKeyId or
        # SignatureDoesNotMatch), but the key may not call ListAllMyBuckets.
        return CheckResult(
            False,
            f"Signed in, but these credentials may not list the {_plural(word)}.",
            hint=f"Enter the {word}'s name as the default {word} to browse it directly.",
            error=error,
        )
    except CloudBrowserError as error:
        return _failed(error)
    return CheckResult(True, f"Connected: {count} {_plural(word, count)}.", bucket_count=count)


def _failed(error: CloudBrowserError) -> CheckResult:
    # The message alone: it says what happened; "title: message" says it twice
    # ("Cannot reach the server: Cannot connect to the server.").
    return CheckResult(False, error.message, hint=error.hint, error=error)
