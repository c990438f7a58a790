"""The open connections of one process, by id: one lookup for the transfer queue, the
window's service and the CLI.

A connection is opened once (``core.backends.open_storage``: one Storage, so one shared
HTTP client, per connection) and found again by its id wherever work for it runs: the
transfer queue's threads, the window's jobs, a CLI command. Its id is the connection's
name (``ConnectionSettings.name``), made unique with " (2)", " (3)"… when the same name is
opened twice; the journal stores it with each transfer, so a resumed transfer finds its
connection again by the same id.

Thread-safe: the window opens and closes connections on the GUI thread while the queue's
workers look them up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.errors import ConfigError

if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.storage import Storage

#: Asks for an MFA code (an AWS role with ``mfa_serial``); called on a worker thread.
MfaPrompter = Callable[[str], str]


class Connection(NamedTuple):
    """An open connection: the id everything is keyed by, its settings and its storage."""

    id: str
    settings: ConnectionSettings
    storage: Storage

    @property
    def name(self) -> str:
        return self.settings.name


class Connections:
    """Open connections by id. Every method is thread-safe and sends no request.

    ``unknown_hint`` is what a front end tells the user to do when a connection it needs
    is not open (the window: open it from Connections…; the CLI: give its options).
    """

    def __init__(
        self,
        *,
        page_size: int | None = None,
        mfa_prompter: MfaPrompter | None = None,
        unknown_hint: str = "Open the connection, then try again.",
    ) -> None:
        self.page_size = page_size
        #: Used by the connections opened from now on (the window sets it once it exists).
        self.mfa_prompter = mfa_prompter
        self.unknown_hint = unknown_hint
        self._lock = threading.Lock()
        self._open: dict[str, Connection] = {}

    def open(
        self,
        settings: ConnectionSettings,
        credentials: Credentials | None = None,
        *,
        connection_id: str = "",
    ) -> Connection:
        """Open a connection under ``connection_id`` (default: its name, made unique).

        Raises ConfigError for a backend kind this version cannot open, or for a
        ``connection_id`` already open.
        """
        storage = open_storage(
            settings, credentials, page_size=self.page_size, mfa_prompter=self.mfa_prompter
        )
        with self._lock:
            if connection_id and connection_id in self._open:
                raise ConfigError(f"The connection “{connection_id}” is open already.")
            chosen = connection_id or self._free_id(settings.name)
            connection = Connection(chosen, settings, storage)
            self._open[chosen] = connection
        return connection

    def _free_id(self, name: str) -> str:
        chosen, n = name, 2
        while chosen in self._open:
            chosen = f"{name} ({n})"
            n += 1
        return chosen

    def close(self, connection_id: str) -> bool:
        """Forget a connection; False if it was not open. Work already holding its storage
        finishes with it."""
        with self._lock:
            return self._open.pop(connection_id, None) is not None

    def __contains__(self, connection_id: object) -> bool:
        with self._lock:
            return connection_id in self._open

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._open)

    def get(self, connection_id: str) -> Connection:
        """The open connection ``connection_id``. Raises ConfigError if it is not open."""
        with self._lock:
            connection = self._open.get(connection_id)
        if connection is None:
            raise ConfigError(
                f"The connection “{connection_id}” is not open.", hint=self.unknown_hint
            )
        return connection

    def storage(self, connection_id: str) -> Storage:
        """The storage of ``connection_id`` (the transfer queue's lookup). Raises
        ConfigError if it is not open."""
        return self.get(connection_id).storage
