"""Saved Azure connections: the new fields round-trip, are checked per kind, reach the
settings, and the secret of each way of signing in comes back from the keyring as the
backend expects it; files written before these fields still load."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cloudbrowser.core.backends.azure.addresses import AZURITE_ENDPOINT, AZURITE_KEY
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.profiles import PROFILES_FILE, Profile, ProfileStore
from tests.conftest import MemoryKeyring

KEY = AZURITE_KEY


def azure(name: str = "blobs", **overrides: object) -> Profile:
    values: dict[str, object] = {"name": name, "kind": "azure", "auth": "key", "account": "acct1"}
    values.update(overrides)
    return Profile(**values)  # type: ignore[arg-type]


def sas_token(expires: datetime, permissions: str = "rl") -> str:
    return f"sv=2022-11-02&sp={permissions}&sr=c&se={expires:%Y-%m-%dT%H:%M:%SZ}&sig=abc%3D"


def test_azure_fields_round_trip_and_reach_the_settings() -> None:
    store = ProfileStore()
    saved = store.add(azure(default_bucket="photos", default_prefix="2024"))
    loaded = ProfileStore().load()
    assert loaded == [saved]
    settings = loaded[0].settings()
    assert (settings.kind, settings.auth, settings.account) == ("azure", "key", "acct1")
    assert settings.endpoint_url is None  # the backend builds the public one
    assert (settings.default_bucket, settings.default_prefix) == ("photos", "2024/")
    assert settings.region is None and settings.provider == ""
    assert loaded[0].endpoint() == "https://acct1.blob.core.windows.net"
    raw = json.loads((config_dir() / PROFILES_FILE).read_text(encoding="utf-8"))
    assert raw["connections"][0]["kind"] == "azure"
    assert raw["connections"][0]["account"] == "acct1"


def test_a_file_written_before_these_fields_still_loads() -> None:
    path = config_dir() / PROFILES_FILE
    old = {
        "name": "old",
        "preset": "minio",
        "endpoint_url": "http://127.0.0.1:9000",
        "region": "us-east-1",
        "addressing_style": "path",
        "access_key_id": "AKIAOLD",
        "anonymous": False,
        "default_bucket": "",
        "default_prefix": "",
        "verify_tls": True,
        "ca_bundle": "",
        "account_id": "",
        "id": "0123456789abcdef",
    }
    path.write_text(json.dumps({"version": 1, "connections": [old]}), encoding="utf-8")
    (profile,) = ProfileStore().load()
    assert (profile.kind, profile.auth, profile.project, profile.account) == ("s3", "", "", "")
    settings = profile.settings()
    assert (settings.kind, settings.auth, settings.account) == ("s3", "", "")
    assert settings.endpoint_url == "http://127.0.0.1:9000"


def test_s3_profiles_keep_their_settings() -> None:
    settings = Profile(name="s3", preset="aws", region="eu-west-1", access_key_id="AK").settings()
    assert (settings.kind, settings.provider, settings.region) == ("s3", "aws", "eu-west-1")


def test_a_new_field_of_the_wrong_type_is_named() -> None:
    path = config_dir() / PROFILES_FILE
    bad = {"name": "typo", "kind": "azure", "account": 7}
    path.write_text(json.dumps({"version": 1, "connections": [bad]}), encoding="utf-8")
    assert ProfileStore().load() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"account": ""}, "No storage account name"),
        ({"account": "My_Account"}, "“My_Account” is not a storage account name"),
        ({"account": "ab"}, "not a storage account name"),
        ({"auth": "password"}, "Unknown way to sign in to Azure “password”"),
        ({"auth": "entra_device", "account": ""}, "No storage account name"),
        ({"endpoint_url": "127.0.0.1:10000"}, "must start with http:// or https://"),
        ({"default_bucket": "Photos"}, "“Photos” is not a container name"),
        ({"default_prefix": "x/"}, "needs a default container"),
    ],
)
def test_azure_validation_names_the_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        azure(**overrides).validate()


def test_who_needs_an_account_name() -> None:
    # A connection string names its account; a SAS or a public container behind a custom
    # address needs only that address.
    azure(auth="connection_string", account="").validate()
    azure(auth="sas", account="", endpoint_url="https://files.example.com").validate()
    azure(auth="anonymous", account="", endpoint_url="https://files.example.com").validate()
    with pytest.raises(ConfigError):
        azure(auth="sas", account="").validate()


def test_every_auth_is_accepted_and_anonymous_is_unsigned() -> None:
    for auth in ("", "key", "connection_string", "sas", "azure_cli", "entra_default"):
        azure(auth=auth).validate()
    assert azure(auth="").settings().auth == "key"
    assert azure(auth="anonymous").settings().anonymous


def test_azurite_profile() -> None:
    profile = azure(account="devstoreaccount1", endpoint_url=AZURITE_ENDPOINT)
    profile.validate()
    assert profile.settings().endpoint_url == AZURITE_ENDPOINT


@pytest.mark.parametrize(
    ("auth", "secret", "public"),
    [
        ("key", KEY, "acct1"),
        ("connection_string", f"AccountName=acct1;AccountKey={KEY}", "acct1"),
        ("sas", "sv=2022-11-02&sp=rl&se=2099-01-01&sig=abc", "sas"),
    ],
)
def test_secrets_come_back_as_the_contract_says(
    auth: str, secret: str, public: str, isolated_environment: MemoryKeyring
) -> None:
    store = ProfileStore()
    saved = store.add(azure(auth=auth))
    store.set_secret(saved, secret)
    creds = store.credentials(saved)
    assert creds is not None
    assert (creds.access_key_id, creds.secret_access_key) == (public, secret)
    assert secret not in (config_dir() / PROFILES_FILE).read_text(encoding="utf-8")
    assert secret in isolated_environment.store.values()


def test_connection_string_without_account_field_gives_an_empty_public_half() -> None:
    store = ProfileStore()
    saved = store.add(azure(auth="connection_string", account=""))
    store.set_secret(saved, f"AccountName=acct1;AccountKey={KEY}")
    creds = store.credentials(saved)
    assert creds is not None and creds.access_key_id == ""


@pytest.mark.parametrize("auth", ["azure_cli", "entra_default", "entra_device", "entra_browser"])
def test_entra_connections_have_no_secret(auth: str) -> None:
    store = ProfileStore()
    saved = store.add(azure(auth=auth))
    store.set_secret(saved, "left over from an earlier way")  # never handed out
    assert not saved.needs_secret
    assert store.credentials(saved) is None


def test_duplicate_copies_an_azure_secret() -> None:
    store = ProfileStore()
    saved = store.add(azure())
    store.set_secret(saved, KEY)
    copy = store.duplicate("blobs")
    creds = store.credentials(copy)
    assert copy.kind == "azure" and creds is not None and creds.secret_access_key == KEY


def test_check_secret_refuses_an_expired_sas_and_warns_about_a_near_one() -> None:
    profile = azure(auth="sas")
    now = datetime.now(UTC)
    with pytest.raises(ConfigError, match="expired on"):
        profile.check_secret(sas_token(now - timedelta(hours=1)))
    warnings = profile.check_secret(sas_token(now + timedelta(days=2)))
    assert any("expires on" in w for w in warnings)
    assert profile.check_secret(sas_token(now + timedelta(days=90))) == ()
    assert any("cannot" in w or "not list" in w for w in profile.check_secret(
        sas_token(now + timedelta(days=90), permissions="r")
    ))  # fmt: skip


def test_check_secret_per_auth() -> None:
    with pytest.raises(ConfigError, match="not a storage account key"):
        azure(auth="key").check_secret("hunter2")
    with pytest.raises(ConfigError, match="not a connection string"):
        azure(auth="connection_string").check_secret("hunter2")
    assert azure(auth="key").check_secret(KEY) == ()
    assert Profile(name="s3", access_key_id="AK").check_secret("anything") == ()
    assert azure(auth="entra_default").check_secret("") == ()


def test_credential_id_and_needs_secret() -> None:
    assert azure().credential_id == "acct1" and azure().needs_secret
    assert azure(auth="sas").credential_id == "sas"
    assert not azure(anonymous=True).needs_secret
    s3 = Profile(name="s3", access_key_id="AK")
    assert s3.credential_id == "AK" and s3.needs_secret
    assert not replace(s3, access_key_id="").needs_secret
