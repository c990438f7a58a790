"""Saved GCS connections: kind, sign-in and project in the file; the credentials' JSON in
the keyring; files written before these fields existed still load."""

from __future__ import annotations

import json

import pytest

from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.profiles import PROFILES_FILE, Profile, ProfileStore
from tests.conftest import MemoryKeyring

KEY_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "proj-from-key",
        "client_email": "robot@proj-from-key.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    }
)


def gcs(name: str = "gcs", **overrides: object) -> Profile:
    values: dict[str, object] = {"name": name, "kind": "gcs"}
    values.update(overrides)
    return Profile(**values)  # type: ignore[arg-type]


def test_gcs_fields_round_trip_and_reach_the_settings() -> None:
    store = ProfileStore()
    saved = store.add(
        gcs(
            auth="service_account",
            access_key_id="robot@proj-from-key.iam.gserviceaccount.com",
            project="my-project",
            default_bucket="b",
            default_prefix="team",
        )
    )
    on_disk = json.loads((config_dir() / PROFILES_FILE).read_text("utf-8"))
    stored = on_disk["connections"][0]
    assert (stored["kind"], stored["auth"], stored["project"]) == (
        "gcs",
        "service_account",
        "my-project",
    )
    loaded = ProfileStore().load()
    assert loaded == [saved]
    settings = loaded[0].settings()
    assert settings.kind == "gcs"
    assert settings.auth == "service_account"
    assert settings.project == "my-project"
    # No S3 preset leaks into a GCS connection: Google's endpoint is the backend's default.
    assert settings.endpoint_url is None
    assert settings.region is None
    assert settings.provider == ""
    assert (settings.default_bucket, settings.default_prefix) == ("b", "team/")


def test_a_gcs_connection_needs_no_endpoint_and_defaults_to_adc() -> None:
    profile = gcs()
    profile.validate()
    settings = profile.settings()
    assert settings.auth == "adc"
    assert settings.anonymous is False
    assert settings.project == ""


def test_an_emulator_endpoint_and_anonymous_sign_in() -> None:
    profile = gcs(auth="anonymous", endpoint_url="http://127.0.0.1:4443")
    profile.validate()
    settings = profile.settings()
    assert settings.endpoint_url == "http://127.0.0.1:4443"
    assert settings.anonymous is True
    with pytest.raises(ConfigError, match="http:// or https://"):
        gcs(endpoint_url="127.0.0.1:4443").validate()


def test_sign_links_as_is_saved_in_the_file_and_reaches_the_settings() -> None:
    """Not a secret (an email): it goes to connections.json like the project."""
    email = "links@my-project.iam.gserviceaccount.com"
    saved = ProfileStore().add(gcs(project="my-project", sign_links_as=email))
    on_disk = json.loads((config_dir() / PROFILES_FILE).read_text("utf-8"))
    assert on_disk["connections"][0]["sign_links_as"] == email
    assert ProfileStore().load() == [saved]
    assert saved.settings().sign_links_as == email
    with pytest.raises(ConfigError, match="not a service account's email"):
        gcs(sign_links_as="links-at-my-project").validate()
    gcs(sign_links_as="").validate()  # optional


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ("service_account", "needs a service-account key"),
        ("oauth", "OAuth client ID"),
        ("hmac", "Unknown way to sign in"),
    ],
)
def test_gcs_validation_names_what_is_missing(auth: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        gcs(auth=auth).validate()


def test_unknown_kind_is_refused_when_saved_but_loaded_when_read() -> None:
    with pytest.raises(ConfigError, match="cannot save “ftp” connections"):
        gcs(kind="ftp").validate()
    # A newer version's kind must not make the file look damaged.
    path = config_dir() / PROFILES_FILE
    path.write_text(json.dumps({"version": 1, "connections": [{"name": "x", "kind": "ftp"}]}))
    assert [p.kind for p in ProfileStore().load()] == ["ftp"]


def test_an_old_file_without_the_new_fields_still_loads() -> None:
    path = config_dir() / PROFILES_FILE
    old = {
        "name": "minio",
        "preset": "minio",
        "endpoint_url": "http://127.0.0.1:9000",
        "region": "us-east-1",
        "addressing_style": "path",
        "access_key_id": "AKIA",
        "anonymous": False,
        "default_bucket": "",
        "default_prefix": "",
        "verify_tls": True,
        "ca_bundle": "",
        "account_id": "",
        "id": "0123456789abcdef",
    }
    path.write_text(json.dumps({"version": 1, "connections": [old]}))
    (profile,) = ProfileStore().load()
    assert (profile.kind, profile.auth, profile.project, profile.account) == ("s3", "", "", "")
    assert profile.settings().kind == "s3"
    assert profile.settings().endpoint_url == "http://127.0.0.1:9000"
    assert path.exists()  # read as it is: not moved aside as damaged


def test_a_service_account_key_lives_in_the_keyring(isolated_environment: MemoryKeyring) -> None:
    store = ProfileStore()
    email = "robot@proj-from-key.iam.gserviceaccount.com"
    saved = store.add(gcs(auth="service_account", access_key_id=email))
    store.set_secret(saved, KEY_JSON)
    creds = store.credentials(saved)
    assert creds is not None
    assert (creds.access_key_id, creds.secret_access_key) == (email, KEY_JSON)
    assert "private_key" not in (config_dir() / PROFILES_FILE).read_text("utf-8")
    assert KEY_JSON in isolated_environment.store.values()
    assert "not-a-real-key" not in repr(creds)


def test_an_oauth_connection_gives_its_authorized_user_record() -> None:
    store = ProfileStore()
    saved = store.add(gcs(auth="oauth", access_key_id="client-id.apps.googleusercontent.com"))
    record = json.dumps({"type": "authorized_user", "client_id": "client-id", "refresh_token": "r"})
    store.set_secret(saved, record)
    creds = store.credentials(saved)
    assert creds is not None and creds.secret_access_key == record


def test_application_default_credentials_have_no_secret_of_their_own() -> None:
    store = ProfileStore()
    # A key id left over from an earlier choice does not make the keyring matter.
    saved = store.add(gcs(auth="adc", access_key_id="robot@example.com"))
    store.set_secret(saved, KEY_JSON)
    assert store.credentials(saved) is None
    assert not saved.needs_secret
    anonymous = store.add(gcs("public", auth="anonymous"))
    assert store.credentials(anonymous) is None
