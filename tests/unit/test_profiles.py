"""Saved connections: the file round trip, edits, and secrets that live only in the keyring."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cloudbrowser.core import local_state
from cloudbrowser.core.backends.s3.presets import PRESETS, capabilities, preset
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.local_state import DAMAGED_SUFFIX, DamagedFile
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.profiles import PROFILES_FILE, Profile, ProfileStore
from tests.conftest import MemoryKeyring

SECRET = "s3cr3t-value-that-must-stay-in-the-keyring"


def profile(name: str = "work", **overrides: object) -> Profile:
    values: dict[str, object] = {
        "name": name,
        "preset": "minio",
        "endpoint_url": "http://127.0.0.1:9000",
        "region": "us-east-1",
        "access_key_id": "AKIAEXAMPLEKEYID",
    }
    values.update(overrides)
    return Profile(**values)  # type: ignore[arg-type]


def test_profiles_round_trip_through_the_file() -> None:
    store = ProfileStore()
    saved = store.add(profile(default_bucket="only-this", default_prefix="team/"))
    store.add(profile("archive", preset="b2", endpoint_url="", region="eu-central-003"))
    assert store.path == config_dir() / PROFILES_FILE
    loaded = ProfileStore().load()
    assert [p.name for p in loaded] == ["work", "archive"]
    assert loaded[0] == saved
    settings = loaded[1].settings()
    assert settings.endpoint_url == "https://s3.eu-central-003.backblazeb2.com"
    assert settings.provider == "b2"
    assert loaded[0].settings().default_prefix == "team/"


def test_edit_rename_keeps_the_secret(isolated_environment: MemoryKeyring) -> None:
    store = ProfileStore()
    saved = store.add(profile())
    store.set_secret(saved, SECRET)
    renamed = store.update(replace(saved, name="renamed", region="eu-west-1"))
    assert [p.name for p in store.load()] == ["renamed"]
    creds = store.credentials(store.get("renamed"))
    assert creds is not None and creds.secret_access_key == SECRET
    assert renamed.id == saved.id


def test_duplicate_copies_the_secret_under_a_new_id() -> None:
    store = ProfileStore()
    saved = store.add(profile())
    store.set_secret(saved, SECRET, "a-session-token")
    copy = store.duplicate("work")
    again = store.duplicate("work")
    assert (copy.name, again.name) == ("work (copy)", "work (copy 2)")
    assert copy.id != saved.id
    creds = store.credentials(copy)
    assert creds is not None
    assert (creds.secret_access_key, creds.session_token) == (SECRET, "a-session-token")


def test_remove_deletes_the_keyring_entry(isolated_environment: MemoryKeyring) -> None:
    store = ProfileStore()
    saved = store.add(profile())
    store.set_secret(saved, SECRET, "token")
    other = store.add(profile("other"))
    store.set_secret(other, "other-secret")
    assert len(isolated_environment.store) == 3
    store.remove("work")
    assert [p.name for p in store.load()] == ["other"]
    assert list(isolated_environment.store.values()) == ["other-secret"]


def test_secrets_are_never_in_the_file() -> None:
    store = ProfileStore()
    saved = store.add(profile())
    store.set_secret(saved, SECRET, "session-token-value")
    text = store.path.read_text()
    assert SECRET not in text and "session-token-value" not in text
    assert SECRET not in repr(store.credentials(saved))


def test_names_are_unique_and_fields_validated() -> None:
    store = ProfileStore()
    store.add(profile())
    with pytest.raises(ConfigError, match="already exists"):
        store.add(profile())
    other = store.add(profile("other"))
    with pytest.raises(ConfigError, match="already exists"):
        store.update(replace(other, name="work"))
    with pytest.raises(ConfigError, match="address"):
        profile("x", endpoint_url="").validate()
    with pytest.raises(ConfigError, match="http"):
        profile("x", endpoint_url="s3.example.com").validate()
    with pytest.raises(ConfigError, match="access key ID"):
        profile("x", access_key_id="").validate()
    profile("x", access_key_id="", anonymous=True).validate()
    with pytest.raises(ConfigError, match="name"):
        profile(" ").validate()


def moved_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}{DAMAGED_SUFFIX}*"))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe\x00\x81 binary garbage", "not text"),
        (b'{"connections": [{"name": "cut', "not JSON"),
        (b"", "not JSON"),
        (b"[1, 2]", "no list"),
        (b'{"connections": "x"}', "no list"),
        (b'"just a string"', "no list"),
    ],
)
def test_an_unreadable_file_is_moved_aside_and_the_store_starts_empty(
    raw: bytes, reason: str
) -> None:
    store = ProfileStore()
    store.path.write_bytes(raw)
    assert store.load() == []
    [aside] = moved_aside(store.path)
    assert aside.read_bytes() == raw, "the original bytes survive, untouched"
    assert not store.path.exists()
    [notice] = local_state.take_pending()
    assert isinstance(notice, DamagedFile)
    assert str(store.path) in notice.message and reason in notice.message
    assert str(aside) in notice.hint and notice.moved_to == [aside]
    # The store works again: a new connection is saved beside the moved-aside file.
    store.add(profile())
    assert [p.name for p in ProfileStore().load()] == ["work"]
    assert aside.read_bytes() == raw


@pytest.mark.parametrize(
    "bad",
    [
        None,
        3,
        "text",
        {"preset": "minio"},  # no name
        {"name": ""},
        {"name": 7},
        {"name": "typed", "anonymous": "yes"},
        {"name": "typed", "verify_tls": 1},
        {"name": "typed", "endpoint_url": ["http://x"]},
        {"name": "typed", "access_key_id": None},
        {"name": "typed", "addressing_style": "sideways"},
    ],
)
def test_bad_entries_are_left_out_and_the_good_ones_kept(bad: object) -> None:
    store = ProfileStore()
    good = [profile("first").to_json(), profile("second", anonymous=True).to_json()]
    raw = json.dumps({"version": 1, "connections": [good[0], bad, good[1]]}).encode()
    store.path.write_bytes(raw)
    assert [p.name for p in store.load()] == ["first", "second"]
    [aside] = moved_aside(store.path)
    assert aside.read_bytes() == raw
    [notice] = local_state.take_pending()
    assert str(store.path) in notice.message and "1 saved connection" in notice.message
    assert "connection 2" in notice.detail
    assert str(aside) in notice.hint
    # The file now holds the good ones only; loading again reports nothing new.
    assert [p.name for p in ProfileStore().load()] == ["first", "second"]
    assert local_state.take_pending() == [] and moved_aside(store.path) == [aside]


def test_a_second_damage_never_overwrites_the_first_moved_aside_file() -> None:
    store = ProfileStore()
    store.path.write_bytes(b"first garbage")
    store.load()
    store.path.write_bytes(b"second garbage")
    store.load()
    assert sorted(p.read_bytes() for p in moved_aside(store.path)) == [
        b"first garbage",
        b"second garbage",
    ]


def test_notices_reach_the_reporter_once_it_is_set() -> None:
    store = ProfileStore()
    store.path.write_bytes(b"\x00")
    store.load()
    seen: list[DamagedFile] = []
    local_state.set_reporter(seen.append)
    assert len(seen) == 1, "the notice found before waited for the reporter"
    store.path.write_bytes(b"\x00")
    store.load()
    assert len(seen) == 2 and local_state.take_pending() == []


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "sub" / "c.json")
    for i in range(3):
        store.add(profile(f"p{i}"))
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["c.json"]
    data = json.loads(store.path.read_text())
    assert data["version"] == 1 and len(data["connections"]) == 3


def test_unknown_fields_from_a_newer_version_are_ignored() -> None:
    store = ProfileStore()
    store.path.write_text(
        json.dumps({"version": 2, "connections": [{"name": "n", "future": 1, "preset": "zzz"}]})
    )
    (loaded,) = store.load()
    assert loaded.name == "n"
    assert preset(loaded.preset).id == "other"


def test_tls_settings() -> None:
    assert profile(verify_tls=False, ca_bundle="/ca.pem").settings().verify_tls is False
    assert profile(ca_bundle="/ca.pem").settings().verify_tls == "/ca.pem"
    assert profile().settings().verify_tls is True


@pytest.mark.parametrize(
    ("preset_id", "region", "account", "endpoint"),
    [
        ("aws", "", "", ""),
        ("gcs", "", "", "https://storage.googleapis.com"),
        ("r2", "", "0123abcd", "https://0123abcd.r2.cloudflarestorage.com"),
        ("b2", "us-west-004", "", "https://s3.us-west-004.backblazeb2.com"),
        ("wasabi", "eu-central-1", "", "https://s3.eu-central-1.wasabisys.com"),
        ("spaces", "ams3", "", "https://ams3.digitaloceanspaces.com"),
    ],
)
def test_presets_build_endpoints(preset_id: str, region: str, account: str, endpoint: str) -> None:
    assert preset(preset_id).endpoint(region, account) == endpoint
    p = Profile("x", preset=preset_id, region=region, account_id=account, access_key_id="k")
    assert (p.settings().endpoint_url or "") == endpoint
    if preset_id == "r2":
        assert p.settings().region == "auto"


def test_presets_are_data_with_capabilities() -> None:
    ids = [p.id for p in PRESETS]
    assert ids == [
        "aws", "gcs", "minio", "r2", "b2", "wasabi", "spaces", "ceph", "seaweedfs", "other"
    ]  # fmt: skip
    assert not preset("gcs").capabilities.multi_object_delete
    assert preset("aws").capabilities.multi_object_delete
    with pytest.raises(ConfigError, match="account ID"):
        preset("r2").endpoint("auto", "")


def test_capabilities_of_a_connection() -> None:
    assert not capabilities(profile(preset="gcs").settings()).multi_object_delete
    assert capabilities(ConnectionSettings()).versioning  # no endpoint: AWS itself
    other = capabilities(ConnectionSettings(endpoint_url="http://127.0.0.1:9000"))
    assert other == preset("other").capabilities and not other.versioning


def test_moving_aside_without_hard_links_still_never_replaces_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_links(_src: object, _dst: object) -> None:
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr(local_state.os, "link", no_links)
    store = ProfileStore()
    taken = local_state.aside_name(store.path, "20261204T000000Z", 0)
    taken.write_bytes(b"an earlier damaged file")
    store.path.write_bytes(b"garbage")
    moved = local_state.move_aside(store.path, "20261204T000000Z")
    assert moved == local_state.aside_name(store.path, "20261204T000000Z", 1)
    assert moved.read_bytes() == b"garbage"
    assert taken.read_bytes() == b"an earlier damaged file"
    assert not store.path.exists()
