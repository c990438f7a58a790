"""Which connection a command uses for ``az://`` locations: the Azure CLI's variables
without ``-c``, a saved Azure connection with it. What comes out is checked here (settings
and credentials); running the commands end to end against Azurite needs the Azure backend
(tests/cli, once it is merged)."""

from __future__ import annotations

import io
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from azure.identity import AuthenticationRecord

from cloudbrowser.cli import connect_azure
from cloudbrowser.cli.app import build_parser
from cloudbrowser.cli.connect import names_azure, resolve
from cloudbrowser.cli.output import Output, UsageError
from cloudbrowser.core.backends.azure import entra
from cloudbrowser.core.backends.azure.addresses import AZURITE_ENDPOINT, AZURITE_KEY
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import ConfigError, InvalidCredentials
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.core.secrets import KeyringUnavailable

KEY = AZURITE_KEY
SAS = "sv=2022-11-02&sp=rl&sr=c&se=2099-01-01T00:00:00Z&sig=c2ln%3D"
VARIABLES = (
    "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_AUTH_MODE",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_azure_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(entra, "_signed_in", {})


def out() -> Output:
    return Output(json_mode=False, progress=False, stdout=io.StringIO(), stderr=io.StringIO())


def resolved(*argv: str) -> tuple[ConnectionSettings, Credentials | None]:
    args = build_parser().parse_args(list(argv))
    result = resolve(args, out())
    return result.settings, result.credentials


# ── without -c: the Azure CLI's variables ─────────────────────────────────────────────


def test_connection_string_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={KEY}"
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", text)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "other")
    monkeypatch.setenv("AZURE_STORAGE_KEY", KEY)
    settings, creds = resolved("ls", "az://box/dir/")
    assert (settings.kind, settings.auth, settings.account) == (
        "azure",
        "connection_string",
        "acct1",
    )
    assert settings.endpoint_url is None
    assert creds == Credentials("acct1", text)


def test_development_storage_reaches_azurite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    settings, creds = resolved("get", "az://box/a.txt", ".")
    assert settings.endpoint_url == AZURITE_ENDPOINT
    assert creds is not None and creds.secret_access_key == "UseDevelopmentStorage=true"


def test_account_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct1")
    monkeypatch.setenv("AZURE_STORAGE_KEY", KEY)
    settings, creds = resolved("put", "file.txt", "az://box/")
    assert (settings.auth, settings.account, settings.name) == ("key", "acct1", "Azure (acct1)")
    assert creds == Credentials("acct1", KEY)


def test_account_and_sas_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct1")
    monkeypatch.setenv("AZURE_STORAGE_SAS_TOKEN", "?" + SAS)
    settings, creds = resolved("rm", "az://box/a", "az://box/b")
    assert settings.auth == "sas"
    assert creds == Credentials("sas", SAS)


def test_account_alone_signs_in_with_entra_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct1")
    settings, creds = resolved("ls", "az://box")
    assert (settings.auth, settings.account, creds) == ("entra_default", "acct1", None)


def test_auth_mode_login_prefers_entra_over_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct1")
    monkeypatch.setenv("AZURE_STORAGE_KEY", KEY)
    monkeypatch.setenv("AZURE_STORAGE_AUTH_MODE", "login")
    settings, creds = resolved("ls", "az://box")
    assert (settings.auth, creds) == ("entra_default", None)


def test_no_account_says_which_variables() -> None:
    with pytest.raises(ConfigError, match="needs an Azure storage account") as info:
        resolved("ls", "az://box")
    assert "AZURE_STORAGE_CONNECTION_STRING" in info.value.hint
    assert "-c NAME" in info.value.hint


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"AZURE_STORAGE_CONNECTION_STRING": "AccountName=acct1"},
            "$AZURE_STORAGE_CONNECTION_STRING: ",
        ),
        ({"AZURE_STORAGE_ACCOUNT": "Bad_Name"}, "$AZURE_STORAGE_ACCOUNT: “Bad_Name” is not a"),
        (
            {"AZURE_STORAGE_ACCOUNT": "acct1", "AZURE_STORAGE_KEY": "x"},
            "$AZURE_STORAGE_KEY: This is not a storage account key",
        ),
        (
            {
                "AZURE_STORAGE_ACCOUNT": "acct1",
                "AZURE_STORAGE_SAS_TOKEN": SAS.replace("2099", "2001"),
            },
            "$AZURE_STORAGE_SAS_TOKEN: This shared access signature expired on 2001-01-01",
        ),
        (
            {"AZURE_STORAGE_ACCOUNT": "acct1", "AZURE_STORAGE_SAS_TOKEN": "garbage"},
            "$AZURE_STORAGE_SAS_TOKEN: “garbage” is neither",
        ),
    ],
)
def test_bad_variables_are_named(variables: dict[str, str], message: str) -> None:
    """Each message names the variable that is wrong (several may be set), and no hint
    speaks of a dialog's field (“paste it here”)."""
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        connect_azure.from_environment(variables)
    assert "here" not in info.value.hint


def test_s3_flags_do_not_apply_to_az() -> None:
    with pytest.raises(UsageError, match="for s3:// locations"):
        resolved("ls", "--endpoint", "http://127.0.0.1:9000", "az://box")


def test_s3_locations_are_left_to_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "acct1")
    settings, _creds = resolved("ls", "s3://bucket")
    assert settings.kind == "s3"


def test_which_commands_name_az() -> None:
    parse = build_parser().parse_args
    assert names_azure(parse(["cp", "AZ://a/b", "az://a/c"]))
    assert names_azure(parse(["sync", "./here", "az://box/there/"]))
    assert names_azure(parse(["mb", "az://newbox"]))
    assert not names_azure(parse(["ls"]))
    assert not names_azure(parse(["get", "s3://b/az://x", "."]))


# ── -c NAME: a saved Azure connection ─────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("auth", "secret", "expected"),
    [
        ("key", KEY, Credentials("acct1", KEY)),
        ("sas", SAS, Credentials("sas", SAS)),
        (
            "connection_string",
            f"AccountName=acct1;AccountKey={KEY}",
            Credentials("acct1", f"AccountName=acct1;AccountKey={KEY}"),
        ),
    ],
)
def test_saved_connection_takes_the_keyring_secret(
    auth: str, secret: str, expected: Credentials
) -> None:
    store = ProfileStore()
    saved = store.add(
        Profile("blobs", kind="azure", auth=auth, account="acct1", default_bucket="box")
    )
    store.set_secret(saved, secret)
    settings, creds = resolved("ls", "-c", "blobs")
    assert (settings.kind, settings.auth, settings.default_bucket) == ("azure", auth, "box")
    assert creds == expected


def test_saved_connection_without_its_secret_in_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    ProfileStore().add(Profile("blobs", kind="azure", auth="key", account="acct1"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(KeyringUnavailable, match="No account key is stored for “blobs”"):
        resolved("ls", "-c", "blobs")


def test_saved_connection_without_its_secret_asks_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ProfileStore().add(Profile("blobs", kind="azure", auth="sas", account="acct1"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    url = f"https://acct1.blob.core.windows.net/box?{SAS}"
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or url)
    _settings, creds = resolved("ls", "-c", "blobs")
    assert creds == Credentials("sas", SAS)  # the token out of the pasted URL
    assert asked[0].endswith("\nSAS token for “blobs”: "), asked  # not "Sas token"


def test_saved_azure_cli_connection_has_no_secret() -> None:
    ProfileStore().add(Profile("az", kind="azure", auth="azure_cli", account="acct1"))
    settings, creds = resolved("ls", "-c", "az")
    assert (settings.auth, creds) == ("azure_cli", None)


def test_saved_device_code_connection_in_a_script_says_sign_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ProfileStore().add(Profile("dev", kind="azure", auth="entra_device", account="acct1"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(InvalidCredentials, match="needs an Entra ID sign-in") as info:
        resolved("ls", "-c", "dev")
    assert "terminal" in info.value.hint


def test_saved_device_code_connection_signs_in_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ProfileStore().add(Profile("dev", kind="azure", auth="entra_device", account="acct1"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    record = AuthenticationRecord("t", "c", "login.microsoftonline.com", "h", "ada@example.com")
    shown: list[str] = []

    def sign_in(
        settings: ConnectionSettings,
        show: Callable[[entra.DeviceCode], None],
        _cancel: threading.Event,
    ) -> AuthenticationRecord:
        # The real flow is tested with azure-identity's classes in tests/unit/test_azure_entra.py.
        show(entra.DeviceCode("ABCD-EFGH", "https://microsoft.com/devicelogin", datetime.now(UTC)))
        shown.append(settings.name)
        return record

    monkeypatch.setattr(entra, "sign_in", sign_in)
    printed = out()
    args = build_parser().parse_args(["ls", "-c", "dev"])
    result = resolve(args, printed)
    assert result.credentials is None and shown == ["dev"]
    notes = printed.stderr.getvalue()  # type: ignore[attr-defined]
    assert "ABCD-EFGH" in notes and "microsoft.com/devicelogin" in notes
    assert "Signed in as ada@example.com" in notes
