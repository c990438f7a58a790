"""Entra ID sign-in (core/backends/azure/entra.py) with azure-identity's own classes where
they work offline (a device-code credential without a record, the Azure CLI's credential
without ``az``), and fakes in the place of the sign-in itself: no request leaves the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.identity
import azure.identity._persistent_cache as persistent_cache
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AuthenticationRecord

from cloudbrowser.core.backends.azure import entra
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import Cancelled, ConfigError, InvalidCredentials
from cloudbrowser.core.paths import data_dir

RECORD = AuthenticationRecord(
    tenant_id="tenant-1",
    client_id="client-1",
    authority="login.microsoftonline.com",
    home_account_id="home-1",
    username="ada@example.com",
)


def settings(auth: str = "entra_device", name: str = "work blobs") -> ConnectionSettings:
    return ConnectionSettings(name=name, kind="azure", auth=auth, account="acct1")


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    entra.reset_token_cache_probe()
    monkeypatch.setattr(entra, "_signed_in", {})
    yield
    entra.reset_token_cache_probe()


class FakeSignIn:
    """Stands in for DeviceCodeCredential: shows a code, then waits to be approved."""

    def __init__(self, prompt: Callable[[str, str, datetime], None] | None) -> None:
        self.prompt = prompt
        self.approve = threading.Event()
        self.outcome: AuthenticationRecord | Exception = RECORD
        self.scopes: list[str] = []

    def authenticate(self, *, scopes: list[str]) -> AuthenticationRecord:
        self.scopes = scopes
        assert self.prompt is not None
        self.prompt(
            "https://microsoft.com/devicelogin", "ABCD-EFGH", datetime(2030, 1, 1, tzinfo=UTC)
        )
        assert self.approve.wait(10)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        return AccessToken("token-from-the-sign-in", 2_000_000_000)


def builder(made: list[FakeSignIn]) -> Callable[..., FakeSignIn]:
    def build(
        _settings: ConnectionSettings,
        *,
        record: object,
        prompt: Any = None,
        stop: threading.Event | None = None,
    ) -> FakeSignIn:
        assert record is None  # a sign-in starts afresh
        assert stop is not None and not stop.is_set()  # its transport's, set when given up
        made.append(FakeSignIn(prompt))
        return made[-1]

    return build


# ── which credential ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("auth", "cls"),
    [
        ("azure_cli", azure.identity.AzureCliCredential),
        ("entra_default", azure.identity.DefaultAzureCredential),
        ("entra_device", azure.identity.DeviceCodeCredential),
        ("entra_browser", azure.identity.InteractiveBrowserCredential),
    ],
)
def test_each_auth_gets_its_azure_identity_credential(auth: str, cls: type) -> None:
    cred = entra.credential(settings(auth))
    assert isinstance(cred, entra._Translated)
    assert isinstance(cred.inner, cls)


@pytest.mark.parametrize("auth", ["key", "sas", "", "anonymous"])
def test_other_auths_are_not_entra(auth: str) -> None:
    with pytest.raises(ConfigError):
        entra.credential(settings(auth))


def test_device_code_never_prompts_on_its_own() -> None:
    # A real DeviceCodeCredential, no record: it must ask for a sign-in, not print a code
    # from a worker (and it needs no network to say so).
    with pytest.raises(InvalidCredentials, match="needs an Entra ID sign-in") as info:
        entra.credential(settings("entra_device")).get_token(entra.STORAGE_SCOPE)
    assert info.value.code == "SignInRequired"
    assert "device code" in info.value.hint


def test_browser_sign_in_required_says_browser() -> None:
    with pytest.raises(InvalidCredentials) as info:
        entra.credential(settings("entra_browser")).get_token(entra.STORAGE_SCOPE)
    assert "browser" in info.value.hint


def test_azure_cli_not_signed_in_says_az_login(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ``az`` anywhere
    with pytest.raises(InvalidCredentials, match="Azure CLI") as info:
        entra.credential(settings("azure_cli")).get_token(entra.STORAGE_SCOPE)
    assert "az login" in info.value.hint
    assert info.value.code == "NoAzureSignIn"


def test_a_refused_token_is_invalid_credentials() -> None:
    class Refusing:
        def get_token(self, *_scopes: str, **_kw: Any) -> AccessToken:
            raise ClientAuthenticationError("AADSTS50105: not assigned\nmore\nlines")

    cred = entra._Translated(Refusing(), settings())
    with pytest.raises(InvalidCredentials, match="refused") as info:
        cred.get_token(entra.STORAGE_SCOPE)
    assert "AADSTS50105" in info.value.detail


# ── the token cache: encrypted or in memory, never in plain text by us ─────────────────


def test_without_an_encrypted_store_tokens_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libsecret(options: Any, is_cae: bool = False) -> None:
        assert options.allow_unencrypted_storage is False
        raise ValueError("Cache encryption is impossible because libsecret…")

    monkeypatch.setattr(persistent_cache, "_load_persistent_cache", no_libsecret)
    options, note = entra.token_cache()
    assert options is None
    assert "in memory only" in note
    made: list[Any] = []
    monkeypatch.setattr(azure.identity, "DeviceCodeCredential", _recorder(made))
    entra.credential(settings())
    assert "cache_persistence_options" not in made[0]


def test_with_an_encrypted_store_the_cache_persists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(persistent_cache, "_load_persistent_cache", lambda options, **_: object())
    options, note = entra.token_cache()
    assert options is not None and note == ""
    assert (options.name, options.allow_unencrypted_storage) == ("cloudbrowser", False)
    made: list[Any] = []
    monkeypatch.setattr(azure.identity, "InteractiveBrowserCredential", _recorder(made))
    entra.credential(settings("entra_browser"))
    cache = made[0]["cache_persistence_options"]
    assert (cache.name, cache.allow_unencrypted_storage) == ("cloudbrowser", False)
    assert made[0]["disable_automatic_authentication"] is True


def test_the_probe_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(
        persistent_cache, "_load_persistent_cache", lambda options, **_: calls.append(options)
    )
    entra.token_cache()
    entra.token_cache()
    assert len(calls) == 1


def _recorder(made: list[Any]) -> Callable[..., object]:
    def make(**kwargs: Any) -> object:
        made.append(kwargs)
        return object()

    return make


# ── signing in, and silently the next time ─────────────────────────────────────────────


def test_device_code_sign_in_shows_the_code_and_keeps_the_record() -> None:
    made: list[FakeSignIn] = []
    shown: list[entra.DeviceCode] = []

    def show(code: entra.DeviceCode) -> None:
        shown.append(code)
        made[0].approve.set()

    record = entra.sign_in(settings(), show, threading.Event(), build=builder(made))
    assert record.username == "ada@example.com"
    assert shown == [
        entra.DeviceCode(
            "ABCD-EFGH", "https://microsoft.com/devicelogin", datetime(2030, 1, 1, tzinfo=UTC)
        )
    ]
    assert made[0].scopes == [entra.STORAGE_SCOPE]
    # Kept where the next start finds it: ids, no secret.
    path = entra.record_path(settings())
    assert path.parent == data_dir() / entra.RECORDS_DIR
    text = path.read_text(encoding="utf-8")
    assert "ada@example.com" in text and "token" not in text.lower()
    assert entra.signed_in_as(settings()) == "ada@example.com"
    # This process goes on with the credential that signed in (its tokens, even in memory).
    token = entra.credential(settings()).get_token(entra.STORAGE_SCOPE)
    assert token.token == "token-from-the-sign-in"


def test_the_next_start_signs_in_silently_with_the_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entra.save_record(settings(), RECORD)
    made: list[Any] = []
    monkeypatch.setattr(azure.identity, "DeviceCodeCredential", _recorder(made))
    entra.credential(settings())
    assert made[0]["authentication_record"].home_account_id == "home-1"
    assert made[0]["tenant_id"] == "tenant-1"


def test_records_are_per_connection() -> None:
    entra.save_record(settings(name="a"), RECORD)
    assert entra.load_record(settings(name="b")) is None
    assert entra.load_record(settings(name="a")) is not None
    entra.forget_record(settings(name="a"))
    assert entra.load_record(settings(name="a")) is None


def test_a_damaged_record_only_costs_a_sign_in() -> None:
    path = entra.record_path(settings())
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert entra.load_record(settings()) is None


def test_cancel_stops_waiting_at_once_and_keeps_nothing() -> None:
    made: list[FakeSignIn] = []
    cancel = threading.Event()

    def show(_code: entra.DeviceCode) -> None:
        cancel.set()  # the user pressed Cancel while the code is shown

    with pytest.raises(Cancelled):
        entra.sign_in(settings(), show, cancel, build=builder(made))
    made[0].approve.set()  # let the abandoned sign-in end
    assert entra.load_record(settings()) is None


def test_a_refused_sign_in_says_so() -> None:
    made: list[FakeSignIn] = []

    def show(_code: entra.DeviceCode) -> None:
        made[0].outcome = ClientAuthenticationError("AADSTS70016: expired")
        made[0].approve.set()

    with pytest.raises(InvalidCredentials, match="did not complete") as info:
        entra.sign_in(settings(), show, threading.Event(), build=builder(made))
    assert "AADSTS70016" in info.value.detail
    assert entra.load_record(settings()) is None


def test_only_interactive_ways_sign_in() -> None:
    with pytest.raises(ConfigError):
        entra.sign_in(settings("azure_cli"), lambda _c: None, threading.Event())


def test_needs_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not entra.needs_sign_in(settings("azure_cli"))
    assert not entra.needs_sign_in(settings("entra_default"))
    assert entra.needs_sign_in(settings())  # never signed in
    entra.save_record(settings(), RECORD)
    # Signed in by an earlier run: silent with an encrypted cache, not with a memory one.
    monkeypatch.setattr(persistent_cache, "_load_persistent_cache", lambda options, **_: None)
    assert not entra.needs_sign_in(settings())
    entra.reset_token_cache_probe()

    def no_store(options: Any, **_: Any) -> None:
        raise ValueError("no libsecret")

    monkeypatch.setattr(persistent_cache, "_load_persistent_cache", no_store)
    assert entra.needs_sign_in(settings())
    # Signed in by this run: its credential holds the tokens.
    made: list[FakeSignIn] = []

    def show(_code: entra.DeviceCode) -> None:
        made[0].approve.set()

    entra.sign_in(settings(), show, threading.Event(), build=builder(made))
    assert not entra.needs_sign_in(settings())
