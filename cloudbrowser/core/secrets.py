"""SecretStore: the only module that touches the OS keyring.

Secrets live in the OS keyring and nowhere else. When no usable keyring exists (a headless
Linux box without a Secret Service, a locked keychain), every call raises KeyringUnavailable
with a message saying so; callers offer a session-only secret. There is deliberately no
plaintext fallback. Keyring calls may block on D-Bus or a password prompt: call them from a
worker, never from the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.logs import register_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "cloudbrowser"


def _keyring() -> KeyringBackend:
    """The resolved keyring backend. keyring is imported here, on first use (a worker),
    not with this module: importing it and its backends costs ~50 ms that would otherwise
    delay the window's first paint (docs/architecture.md §7 start-up bar)."""
    import keyring

    return keyring.get_keyring()


class KeyringUnavailable(CloudBrowserError):
    title = "No usable keyring"


class SecretStore:
    """Secrets keyed by connection name, in the OS keyring under service ``cloudbrowser``."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def backend_name(self) -> str:
        """Which keyring backend resolved, e.g. ``SecretService Keyring`` or ``fail Keyring``."""
        kr = _keyring()
        return f"{type(kr).__module__}.{type(kr).__name__}"

    def backend_usable(self) -> bool:
        """False when no real keyring resolved: keyring's ``fail`` backend (nothing viable
        was found: a headless box, or a frozen bundle missing its backends), or a chainer
        with nothing in its chain."""
        kr = _keyring()
        module = type(kr).__module__
        if module.endswith(".fail") or module.endswith(".null"):
            return False
        chained = getattr(kr, "backends", None)
        return not (module.endswith(".chainer") and not chained)

    def get(self, name: str) -> str | None:
        """The stored secret, or None if there is none. Raises KeyringUnavailable."""
        from keyring.errors import KeyringError

        try:
            value: str | None = _keyring().get_password(self.service, name)
        except KeyringError as exc:
            raise _unavailable(exc) from None
        if value:
            register_secret(value)  # never logged, whatever it is used for next
        return value

    def set(self, name: str, secret: str) -> None:
        """Store or replace the secret. Raises KeyringUnavailable."""
        from keyring.errors import KeyringError

        register_secret(secret)
        try:
            _keyring().set_password(self.service, name, secret)
        except KeyringError as exc:
            raise _unavailable(exc) from None

    def delete(self, name: str) -> None:
        """Forget the secret; nothing happens if there is none. Raises KeyringUnavailable."""
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            _keyring().delete_password(self.service, name)
        except PasswordDeleteError:
            return
        except KeyringError as exc:
            raise _unavailable(exc) from None


def _unavailable(exc: BaseException) -> KeyringUnavailable:
    # The keyring's own message never contains the secret, but keep only its type to be sure.
    return KeyringUnavailable(
        "No usable system keyring was found, so the secret cannot be stored safely.",
        hint="Unlock or install a keyring (GNOME Keyring, KWallet, macOS Keychain, "
        "Windows Credential Manager), or use the secret for this session only.",
        detail=type(exc).__name__,
    )
