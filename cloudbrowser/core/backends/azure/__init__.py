"""The Azure Blob Storage backend, through azure-storage-blob.

The only package that imports the Azure SDK (import-linter). ``backend`` is the storage
class, ``errors`` the translation of the SDK's exceptions (a table of error codes),
``listing`` the List Blobs reader, ``features`` the limits and flags as data, ``entra``
the Entra ID sign-in (the door the window and the CLI may use).
Importing this package itself loads no SDK: :func:`open_storage` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cloudbrowser.core.backends.azure.features import LIMITS, features

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
    from cloudbrowser.core.backends.azure.backend import AzureBackend

    del mfa_prompter  # Entra ID's own prompts are azure-identity's (entra.py)
    return AzureBackend(
        settings, credentials, page_size=min(page_size or LIMITS.max_page, LIMITS.max_page)
    )
