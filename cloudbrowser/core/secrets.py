"""SecretStore: the only module that touches the OS keyring.

Secrets live in the OS keyring and nowhere else. When no usable keyring exists (a headless
Linux box without a Secret Service, a locked keychain), every call raises KeyringUnavailable
with a message saying so; callers offer a session-only secret. There is deliberately no
plaintext fallback. Keyring calls may block on D-Bus or a password prompt: call them from a
worker, never from the GUI thread.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.redaction import register_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "cloudbrowser"
#: Windows Credential Manager keeps at most 2,560 bytes per secret, 1,280 characters of
#: UTF-16 (jaraco/keyring#540): a longer secret (a GCS service-account key is ~2,300) is
#: kept in pieces of this many characters, under ``name``, ``name#2``, ``name#3``…
PIECE = 1000
#: The first entry of a secret kept in pieces: ``cloudbrowser-pieces:<count>\n<piece 1>``.
_PIECES = "cloudbrowser-pieces:"


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
        """The stored secret, or None if there is none (or a piece of it is missing).
        Raises KeyringUnavailable."""
        from keyring.errors import KeyringError

        try:
            kr = _keyring()
            value: str | None = kr.get_password(self.service, name)
            if value and value.startswith(_PIECES):
                value = self._joined(kr, name, value)
        except KeyringError as exc:
            raise _unavailable(exc) from None
        if value:
            register_secret(value)  # never logged, whatever it is used for next
        return value

    def _joined(self, kr: KeyringBackend, name: str, first: str) -> str | None:
        header, _, value = first.partition("\n")
        for n in range(2, _count(header) + 1):
            piece = kr.get_password(self.service, f"{name}#{n}")
            if piece is None:
                return None  # half a key is no key
            value += piece
        return value

    def set(self, name: str, secret: str) -> None:
        """Store or replace the secret. Raises KeyringUnavailable."""
        from keyring.errors import KeyringError

        register_secret(secret)
        pieces = [secret[i : i + PIECE] for i in range(0, len(secret), PIECE)] or [""]
        try:
            kr = _keyring()
            before = self._pieces(kr, name)
            if len(pieces) == 1:
                kr.set_password(self.service, name, secret)
            else:
                # The later pieces first: the first entry, which says how many there are,
                # is written only when they all are.
                for n, piece in enumerate(pieces[1:], start=2):
                    kr.set_password(self.service, f"{name}#{n}", piece)
                kr.set_password(self.service, name, f"{_PIECES}{len(pieces)}\n{pieces[0]}")
            self._delete_pieces(kr, name, len(pieces) + 1, before)
        except KeyringError as exc:
            raise _unavailable(exc) from None

    def delete(self, name: str) -> None:
        """Forget the secret; nothing happens if there is none. Raises KeyringUnavailable."""
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            kr = _keyring()
            count = self._pieces(kr, name)
            with contextlib.suppress(PasswordDeleteError):
                kr.delete_password(self.service, name)
            self._delete_pieces(kr, name, 2, count)
        except KeyringError as exc:
            raise _unavailable(exc) from None

    def _pieces(self, kr: KeyringBackend, name: str) -> int:
        """How many pieces the stored secret has (1 when it is whole or absent)."""
        first = kr.get_password(self.service, name) or ""
        return _count(first.partition("\n")[0]) if first.startswith(_PIECES) else 1

    def _delete_pieces(self, kr: KeyringBackend, name: str, start: int, end: int) -> None:
        from keyring.errors import PasswordDeleteError

        for n in range(start, end + 1):
            with contextlib.suppress(PasswordDeleteError):
                kr.delete_password(self.service, f"{name}#{n}")


def _count(header: str) -> int:
    try:
        return max(1, int(header.removeprefix(_PIECES)))
    except ValueError:
        return 1


def _unavailable(exc: BaseException) -> KeyringUnavailable:
    # The keyring's own message never contains the secret, but keep only its type to be sure.
    return KeyringUnavailable(
        "No usable system keyring was found, so the secret cannot be stored safely.",
        hint="Unlock or install a keyring (GNOME Keyring, KWallet, macOS Keychain, "
        "Windows Credential Manager), or use the secret for this session only.",
        detail=type(exc).__name__,
    )
