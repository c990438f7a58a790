"""Secrets longer than Windows Credential Manager keeps (1,280 characters) are kept in
pieces: a GCS service-account key (~2,300 characters) must survive a keyring that refuses
anything longer, and nothing of it may stay behind when it is replaced or deleted."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.errors import PasswordSetError

from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.core.secrets import PIECE, SecretStore
from tests.conftest import MemoryKeyring

#: CRED_MAX_CREDENTIAL_BLOB_SIZE is 5 * 512 bytes of UTF-16.
WINDOWS_LIMIT = 2560 // 2


class WindowsSizedKeyring(MemoryKeyring):
    """The in-memory keyring with Windows Credential Manager's size limit."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password) > WINDOWS_LIMIT:
            raise PasswordSetError("The stub received bad data")
        super().set_password(service, username, password)


@pytest.fixture
def windows_keyring() -> WindowsSizedKeyring:
    kr = WindowsSizedKeyring()
    keyring.set_keyring(kr)  # the autouse fixture puts the previous one back
    return kr


def service_account_text() -> str:
    pem = "-----BEGIN PRIVATE KEY-----\n" + ("A" * 64 + "\n") * 26 + "-----END PRIVATE KEY-----\n"
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "my-project",
            "private_key_id": "f" * 40,
            "private_key": pem,
            "client_email": "robot@my-project.iam.gserviceaccount.com",
            "client_id": "1" * 21,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        },
        indent=2,
    )


def test_a_service_account_key_fits_a_windows_sized_keyring(
    windows_keyring: WindowsSizedKeyring,
) -> None:
    text = service_account_text()
    assert len(text) > 2 * PIECE  # three pieces
    store = ProfileStore()
    profile = store.add(
        Profile(
            "gcs",
            kind="gcs",
            auth="service_account",
            access_key_id="robot@my-project.iam.gserviceaccount.com",
        )
    )
    store.set_secret(profile, text)
    assert all(len(v) <= WINDOWS_LIMIT for v in windows_keyring.store.values())
    assert len(windows_keyring.store) == 3
    creds = ProfileStore().credentials(profile)
    assert creds is not None and creds.secret_access_key == text
    # Replaced by a shorter secret: no piece of the old one stays behind.
    store.set_secret(profile, "short")
    assert list(windows_keyring.store.values()) == ["short"]
    store.set_secret(profile, text)
    store.remove("gcs")
    assert windows_keyring.store == {}


def test_short_secrets_are_stored_as_before(isolated_environment: MemoryKeyring) -> None:
    secrets = SecretStore()
    secrets.set("profile:x", "s3-secret")
    assert isolated_environment.store == {("cloudbrowser", "profile:x"): "s3-secret"}
    assert secrets.get("profile:x") == "s3-secret"
    secrets.delete("profile:x")
    secrets.delete("profile:x")  # nothing there: nothing happens
    assert isolated_environment.store == {}


def test_a_missing_piece_is_no_secret(isolated_environment: MemoryKeyring) -> None:
    secrets = SecretStore()
    secrets.set("k", "x" * (PIECE * 2 + 5))
    del isolated_environment.store[("cloudbrowser", "k#2")]
    assert secrets.get("k") is None
