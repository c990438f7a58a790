"""The registry of backends: opens a connection's storage by kind.

A backend package is imported only when a connection of its kind is opened, so start-up
loads no SDK (docs/architecture.md §7 start-up bar). Adding a provider is a package under
``core/backends/`` with an ``open_storage`` function and a line in :data:`KINDS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from cloudbrowser.core.errors import ConfigError

if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.storage import Features, Storage

#: Backend kind → the package that implements it.
KINDS: dict[str, str] = {
    "s3": "cloudbrowser.core.backends.s3",
    "azure": "cloudbrowser.core.backends.azure",
    "gcs": "cloudbrowser.core.backends.gcs",
    # Every capability, no server: for tests (shared per endpoint URL within a process).
    "memory": "cloudbrowser.core.backends.memory",
}


class _BackendPackage(Protocol):
    def open_storage(
        self,
        settings: ConnectionSettings,
        credentials: Credentials | None,
        *,
        page_size: int | None,
        mfa_prompter: Callable[[str], str] | None,
    ) -> Storage: ...

    def features(self, settings: ConnectionSettings) -> Features: ...


def open_storage(
    settings: ConnectionSettings,
    credentials: Credentials | None = None,
    *,
    page_size: int | None = None,
    mfa_prompter: Callable[[str], str] | None = None,
) -> Storage:
    """The storage of one connection, of the backend its ``kind`` names.

    No request is sent here. ``page_size`` caps the rows of a listing page (default: the
    most the provider sends). ``mfa_prompter`` asks for an MFA code where a provider's
    sign-in needs one (called on a worker; may raise Cancelled).
    Raises ConfigError for an unknown kind.
    """
    return _package(settings).open_storage(
        settings, credentials, page_size=page_size, mfa_prompter=mfa_prompter
    )


def features_of(settings: ConnectionSettings) -> Features:
    """A connection's features without opening it (no SDK is loaded): for dialogs that
    show limits before any request. Raises ConfigError for an unknown kind."""
    return _package(settings).features(settings)


def _package(settings: ConnectionSettings) -> _BackendPackage:
    package = KINDS.get(settings.kind)
    if package is None:
        raise ConfigError(
            f"This version of cloudbrowser cannot open “{settings.kind}” connections.",
            hint="The connection was saved by a newer version, or its file was edited.",
        )
    return cast(_BackendPackage, importlib.import_module(package))
