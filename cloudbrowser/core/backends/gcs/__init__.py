"""The Google Cloud Storage backend: GCS's JSON API over google-auth's session.

The only package that imports google.* (import-linter). ``backend`` is the storage class,
``auth`` the credentials (application default credentials, a service-account key, an
authorized-user record, unsigned) and the HTTP session, ``uploads`` the resumable upload
sessions, ``errors`` the translation of replies and exceptions (tables), ``features`` the
limits and flags as data. Importing this package loads no SDK: :func:`open_storage` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cloudbrowser.core.backends.gcs.features import LIMITS, features

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
    from cloudbrowser.core.backends.gcs.backend import GcsBackend

    return GcsBackend(settings, credentials, page_size=page_size or LIMITS.max_page)
