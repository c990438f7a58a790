"""The S3 backend: Amazon S3 and every S3-compatible service, through boto3/botocore.

The only package that imports boto3 and botocore (import-linter). ``backend`` is the
storage class, ``client`` the botocore client and its hooks, ``errors`` the translation of
botocore's exceptions (tables of codes), ``listing`` the fast ListObjectsV2 parser,
``aws_auth`` the AWS shared config and IAM Identity Center sign-in, ``features`` the limits
and flags as data.
Importing this package itself loads no SDK: :func:`open_storage` does, when a connection
is first used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cloudbrowser.core.backends.s3.features import LIMITS, features

__all__ = ["features", "open_storage"]

if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.storage import Storage


def open_storage(
    settings: ConnectionSettings,
    credentials: Credentials | None,
    *,
    page_size: int | None,
    mfa_prompter: Callable[[str], str] | None,
) -> Storage:
    from cloudbrowser.core.backends.s3.fast import FastPath

    fast = FastPath.standalone(settings, credentials)
    if fast is not None:  # botocore is loaded when a call needs it, not before
        from cloudbrowser.core.backends.s3.lazy import LazyS3

        return LazyS3(
            settings,
            credentials,
            fast,
            page_size=page_size or LIMITS.max_page,
            mfa_prompter=mfa_prompter,
        )
    from cloudbrowser.core.backends.s3.backend import S3Backend  # boto3: ~0.1 s

    return S3Backend(
        settings, credentials, page_size=page_size or LIMITS.max_page, mfa_prompter=mfa_prompter
    )
