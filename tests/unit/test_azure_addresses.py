"""What a user pastes to reach Azure (connection strings, SAS URLs and tokens) read into
connection fields, and precise messages for what cannot be used."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudbrowser.core.backends.azure.addresses import (
    AZURITE_ACCOUNT,
    AZURITE_ENDPOINT,
    AZURITE_KEY,
    account_url,
    azurite_address,
    check_account_key,
    check_account_name,
    is_container_name,
    parse_sas,
    read_any,
    read_connection_string,
    read_sas,
)
from cloudbrowser.core.errors import ConfigError

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
SIG = "sig=Zm9vYmFy%2Bc2lnbmF0dXJl%3D"
LIST_READ = f"sv=2022-11-02&sp=rl&st=2026-12-01T00:00:00Z&se=2027-06-01T00:00:00Z&{SIG}"
KEY = AZURITE_KEY  # any valid base64 of 64 bytes


def sas(**fields: str) -> str:
    values = {"sv": "2022-11-02", "sp": "rl", "se": "2027-06-01T00:00:00Z", **fields}
    return "&".join(f"{k}={v}" for k, v in values.items()) + f"&{SIG}"


# ── SAS URLs at every scope ─────────────────────────────────────────────────────────────


def test_container_sas_url_opens_at_its_container() -> None:
    address = read_sas(f"https://myacct.blob.core.windows.net/photos?{sas(sr='c')}", now=NOW)
    assert (address.auth, address.account, address.endpoint_url) == ("sas", "myacct", "")
    assert (address.default_bucket, address.default_prefix) == ("photos", "")
    assert address.secret == sas(sr="c")  # the token without "?", as signed
    assert address.sas is not None and address.sas.scope == "container"
    assert address.sas.expires == datetime(2027, 6, 1, tzinfo=UTC)
    assert address.warnings == ()


def test_directory_sas_opens_at_its_folder() -> None:
    address = read_sas(
        f"https://myacct.blob.core.windows.net/photos/2024/jan%20trip?{sas(sr='d', sdd='2')}",
        now=NOW,
    )
    assert (address.default_bucket, address.default_prefix) == ("photos", "2024/jan trip/")


def test_blob_sas_opens_at_the_blob_folder_and_says_it_cannot_list() -> None:
    address = read_sas(
        f"https://myacct.blob.core.windows.net/docs/a/b.pdf?{sas(sr='b', sp='r')}", now=NOW
    )
    assert (address.default_bucket, address.default_prefix) == ("docs", "a/")
    assert any("can read but not list" in w for w in address.warnings)
    assert any("open a container/blob directly" in w for w in address.warnings)


def test_account_sas_url_opens_the_container_list() -> None:
    address = read_sas(f"https://myacct.blob.core.windows.net/?{sas(ss='b', srt='sco')}", now=NOW)
    assert (address.account, address.default_bucket, address.default_prefix) == (
        "myacct", "", "",
    )  # fmt: skip
    assert address.sas is not None and address.sas.scope == "account"


def test_azurite_sas_url_is_path_style() -> None:
    address = read_sas(f"{AZURITE_ENDPOINT}/box?{sas(sr='c')}", now=NOW)
    assert address.account == AZURITE_ACCOUNT
    assert address.endpoint_url == AZURITE_ENDPOINT
    assert address.default_bucket == "box"


def test_other_clouds_keep_their_endpoint() -> None:
    address = read_sas(f"https://cn1.blob.core.chinacloudapi.cn/c?{sas(sr='c')}", now=NOW)
    assert (address.account, address.endpoint_url) == (
        "cn1", "https://cn1.blob.core.chinacloudapi.cn",
    )  # fmt: skip


def test_a_custom_domain_keeps_its_address_and_the_account_given() -> None:
    address = read_sas(f"https://files.example.com/c?{sas(sr='c')}", account="acct", now=NOW)
    assert (address.account, address.endpoint_url) == ("acct", "https://files.example.com")


def test_bare_token_with_or_without_question_mark() -> None:
    for text in (sas(sr="c"), "?" + sas(sr="c"), f"  {sas(sr='c')}\n"):
        address = read_sas(text, account="acct", now=NOW)
        assert (address.auth, address.account, address.secret) == ("sas", "acct", sas(sr="c"))


# ── what cannot be used, said precisely ─────────────────────────────────────────────────


def test_expired_sas_says_when() -> None:
    with pytest.raises(ConfigError, match="expired on 2026-11-30 10:00 UTC") as info:
        read_sas(f"https://a1b.blob.core.windows.net/c?{sas(se='2026-11-30T10:00:00Z')}", now=NOW)
    assert "new SAS" in info.value.hint


def test_day_only_expiry_is_read_as_utc() -> None:
    assert parse_sas(sas(se="2027-01-02"), now=NOW).expires == datetime(2027, 1, 2, tzinfo=UTC)


def test_expiring_soon_is_a_warning() -> None:
    address = read_sas(sas(se="2026-12-07T00:00:00Z"), account="acct", now=NOW)
    assert address.warnings == ("This shared access signature expires on 2026-12-07 00:00 UTC.",)


def test_not_yet_valid_is_a_warning() -> None:
    address = read_sas(sas(st="2026-12-24T00:00:00Z"), account="acct", now=NOW)
    assert any("valid only from 2026-12-24" in w for w in address.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste a SAS URL or token"),
        ("hello", "neither a SAS URL nor a SAS token"),
        ("sv=2022-11-02&sp=rl&se=2027-01-01", "no signature"),
        ("https://a1b.blob.core.windows.net/c?sv=2022&sp=rl&sig=", "no signature"),
        ("https://a1b.blob.core.windows.net/c", "nothing after “?”"),
        ("ftp://a1b.blob.core.windows.net/c?" + LIST_READ, "not a web address"),
        ("https://a1b.blob.core.windows.net/?" + sas(sr="c"), "without its container's address"),
        (sas(se="tomorrow"), "“tomorrow” is not a date"),
        (sas(ss="q", srt="sco"), "does not cover Blob storage"),
    ],
)
def test_bad_sas_input_is_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        read_sas(text, account="acct", now=NOW)


def test_messages_never_quote_a_signature() -> None:
    with pytest.raises(ConfigError) as info:
        read_sas("ftp://a1b.blob.core.windows.net/c?" + LIST_READ, now=NOW)
    assert "Zm9vYmFy" not in str(info.value)


# ── connection strings ──────────────────────────────────────────────────────────────────


def test_connection_string_with_key() -> None:
    text = (
        f"DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={KEY};"
        "EndpointSuffix=core.windows.net"
    )
    address = read_connection_string(text)
    assert (address.auth, address.account, address.endpoint_url) == (
        "connection_string", "acct1", "",
    )  # fmt: skip
    assert address.secret == text


def test_connection_string_keys_are_case_insensitive_and_order_free() -> None:
    text = f"accountkey={KEY};  ACCOUNTNAME=acct1 ;defaultendpointsprotocol=http;"
    address = read_connection_string(text)
    assert (address.account, address.endpoint_url) == (
        "acct1",
        "http://acct1.blob.core.windows.net",
    )


def test_connection_string_with_sovereign_suffix() -> None:
    text = f"AccountName=gov1;AccountKey={KEY};EndpointSuffix=core.usgovcloudapi.net"
    assert read_connection_string(text).endpoint_url == "https://gov1.blob.core.usgovcloudapi.net"


def test_connection_string_with_blob_endpoint_and_sas() -> None:
    text = (
        "BlobEndpoint=https://acct2.blob.core.windows.net/;"
        f"SharedAccessSignature={sas(ss='b', srt='sco')}"
    )
    address = read_connection_string(text, now=NOW)
    assert (address.account, address.endpoint_url) == ("acct2", "")
    assert address.sas is not None and address.sas.can_list


def test_connection_string_with_expired_sas() -> None:
    text = f"BlobEndpoint=https://acct2.blob.core.windows.net;SharedAccessSignature={sas(se='2020-01-01')}"
    with pytest.raises(ConfigError, match="expired on 2020-01-01"):
        read_connection_string(text, now=NOW)


def test_development_storage_is_azurite() -> None:
    address = read_connection_string("UseDevelopmentStorage=true")
    assert (address.account, address.endpoint_url) == (AZURITE_ACCOUNT, AZURITE_ENDPOINT)
    proxied = read_connection_string(
        "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://10.0.0.5:10000/"
    )
    assert proxied.endpoint_url == f"http://10.0.0.5:10000/{AZURITE_ACCOUNT}"


def test_azurite_connection_string_as_written_by_its_docs() -> None:
    text = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://127.0.0.1:10000/{AZURITE_ACCOUNT};"
    )
    address = read_connection_string(text)
    assert (address.account, address.endpoint_url) == (AZURITE_ACCOUNT, AZURITE_ENDPOINT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just words", "not a connection string"),
        ("AccountName=acct1;garbage;AccountKey=x", "not “Name=value”"),
        ("AccountKey=" + KEY, "names no account"),
        ("AccountName=acct1", "neither AccountKey= nor SharedAccessSignature="),
        ("AccountName=acct1;AccountKey=notbase64!!", "not a storage account key"),
        ("AccountName=Bad_Name;AccountKey=" + KEY, "“Bad_Name” is not a storage account name"),
        ("DefaultEndpointsProtocol=ftp;AccountName=acct1;AccountKey=" + KEY, "https or http"),
    ],
)
def test_bad_connection_strings_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        read_connection_string(text)


def test_a_bad_part_is_not_quoted_back() -> None:
    with pytest.raises(ConfigError) as info:
        read_connection_string("AccountName=acct1;secretlookingpart;AccountKey=" + KEY)
    assert "secretlookingpart" not in str(info.value)


def test_read_any_tells_a_connection_string_from_a_sas() -> None:
    assert read_any(f"AccountName=acct1;AccountKey={KEY}").auth == "connection_string"
    assert read_any("UseDevelopmentStorage=true").auth == "connection_string"
    assert read_any(sas(), account="acct1", now=NOW).auth == "sas"
    assert read_any(f"https://acct1.blob.core.windows.net/c?{sas(sr='c')}", now=NOW).auth == "sas"


# ── names, keys and the emulator ────────────────────────────────────────────────────────


@given(st.from_regex(r"[a-z0-9]{3,24}", fullmatch=True))
def test_every_valid_account_name_is_accepted(name: str) -> None:
    check_account_name(name)
    assert account_url(name) == f"https://{name}.blob.core.windows.net"


@given(
    st.one_of(
        st.text(max_size=2),
        st.text(min_size=25),
        st.from_regex(r"[a-z0-9]{1,10}[A-Z_.\- ][a-z0-9]{1,10}", fullmatch=True),
    )
)
def test_invalid_account_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="account name"):
        check_account_name(name)


@given(st.binary(min_size=3, max_size=40).map(lambda b: quote(b.hex())))
def test_any_signature_survives_as_typed(sig: str) -> None:
    token = f"sv=2022-11-02&sp=rl&sr=c&se=2030-01-01&sig={sig}"
    assert read_sas(token, account="acct", now=NOW).secret == token


def test_container_names() -> None:
    assert all(map(is_container_name, ["abc", "a-b-c", "x" * 63, "$root", "$web"]))
    assert not any(map(is_container_name, ["ab", "-ab", "ab-", "a--b", "ABC", "x" * 64]))


def test_account_key_check() -> None:
    check_account_key(KEY)
    with pytest.raises(ConfigError, match="Access keys"):
        check_account_key("short==")


def test_azurite_preset_is_the_well_known_account() -> None:
    address = azurite_address()
    assert (address.auth, address.account, address.endpoint_url) == (
        "key", "devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1",
    )  # fmt: skip
    check_account_key(address.secret)
    assert azurite_address("http://127.0.0.1:4567/devstoreaccount1/").endpoint_url.endswith(
        ":4567/devstoreaccount1"
    )


@given(
    account=st.from_regex(r"[a-z0-9]{3,24}", fullmatch=True),
    key=st.binary(min_size=32, max_size=64).map(lambda b: base64.b64encode(b).decode()),
    protocol=st.sampled_from(["https", "http"]),
    suffix=st.sampled_from(["core.windows.net", "core.chinacloudapi.cn"]),
    order=st.permutations(range(4)),
    upper=st.booleans(),
    trailing=st.booleans(),
)
def test_any_well_formed_connection_string_reads_back(
    account: str,
    key: str,
    protocol: str,
    suffix: str,
    order: list[int],
    upper: bool,
    trailing: bool,
) -> None:
    pairs = [
        ("DefaultEndpointsProtocol", protocol),
        ("AccountName", account),
        ("AccountKey", key),
        ("EndpointSuffix", suffix),
    ]
    text = ";".join(
        f"{name.upper() if upper else name}={value}" for name, value in (pairs[i] for i in order)
    ) + (";" if trailing else "")
    address = read_connection_string(text)
    assert (address.auth, address.account, address.secret) == (
        "connection_string", account, text,
    )  # fmt: skip
    standard = (protocol, suffix) == ("https", "core.windows.net")
    expected = "" if standard else f"{protocol}://{account}.blob.{suffix}"
    assert address.endpoint_url == expected
