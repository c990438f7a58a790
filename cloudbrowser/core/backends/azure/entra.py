"""Entra ID sign-in for Azure connections: the one door to azure-identity.

The backend asks :func:`credential` for a token credential when a connection signs in
with Entra ID (``auth`` "azure_cli", "entra_*"); the window and the CLI may use this
module too (the connection dialog signs in through it). azure-identity caches tokens
itself; nothing here writes one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudbrowser.core.errors import ConfigError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from cloudbrowser.core.connection import ConnectionSettings


def credential(settings: ConnectionSettings) -> TokenCredential:
    """The azure-identity credential for the connection's ``auth``."""
    if settings.auth == "azure_cli":
        from azure.identity import AzureCliCredential

        return AzureCliCredential()
    if settings.auth == "entra_default":
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()
    raise ConfigError(
        f"This version of cloudbrowser cannot sign in to Azure with “{settings.auth}”.",
        hint="Edit the connection and choose another way to sign in.",
    )
