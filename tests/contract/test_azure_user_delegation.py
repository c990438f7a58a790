"""What an Entra ID connection signs with its user delegation key: share links and the
source URLs of server-side copies (Copy Blob, Put Block From URL), each a read-only
user-delegation SAS whose signature verifies with the key, never outliving it; and what a
user is told when Azure refuses them the key.

Every test runs against a stub (tests/azure_entra_stub.py) because Azurite lacks Entra ID:
it takes no bearer token and gives no user delegation key. The stub verifies each SAS as
Azure does; the tests also compute its signature themselves, from Azure's documented
string to sign, and with azure-storage-blob's own ``generate_blob_sas``.
"""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from azure.storage.blob import UserDelegationKey, generate_blob_sas

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.errors import AccessDenied, ConfigError
from cloudbrowser.core.storage import (
    Storage,
    chunked_uploads_of,
    server_copy_of,
    share_links_of,
)
from tests.azure_entra_stub import (
    ACCOUNT,
    CONTAINER,
    OID,
    TID,
    TOKEN,
    Account,
    Key,
    Served,
    serving,
    signature,
    stand_in_signed,
    string_to_sign,
    when,
)
from tests.contract.test_tls import self_signed

DAY = 24 * 3600
#: The clock-skew allowance a SAS and a key start with, before now (Microsoft's 15 min).
SKEW = 15 * 60
REPORT = "docs/report #1.txt"  # a name that is quoted in the URL, not in what is signed
BIG = bytes(range(256)) * 64


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("entra-stub-tls"))


@pytest.fixture
def account() -> Account:
    return Account(
        blobs={f"{CONTAINER}/{REPORT}": b"quarterly figures", f"{CONTAINER}/big.bin": BIG}
    )


@pytest.fixture
def stub(account: Account, certificate: tuple[Path, Path]) -> Iterator[Served]:
    with serving(account, *certificate) as served:
        yield served


@pytest.fixture
def storage(stub: Served, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """A connection signed in with Entra ID ("entra_default"), its credential the
    stand-in, as a sign-in earlier in this run would have left it."""
    settings = stub.settings()
    stand_in_signed(monkeypatch, settings)
    return open_storage(settings, None)


def sas_fields(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def key_of(account: Account, fields: dict[str, str]) -> Key:
    return next(k for k in account.keys if k.named_by(fields))


def assert_user_delegation_sas(
    fields: dict[str, str], key: Key, blob: str, lifetime: float, asked: float
) -> None:
    """A read-only blob SAS signed by ``key``, ending ``lifetime`` seconds after it was
    asked for (``se`` has whole seconds) and not after its key."""
    for name in ("skoid", "sktid", "skt", "ske", "sks", "skv", "sv", "se", "sig"):
        assert fields.get(name), f"no {name} in the SAS"
    assert (fields["skoid"], fields["sktid"], fields["sks"]) == (OID, TID, "b")
    assert (fields["sp"], fields["sr"]) == ("r", "b"), "read-only, one blob"
    assert fields["skv"] == key.version and fields["ske"] == key.expiry
    ends = when(fields["se"]).timestamp()
    # The lifetime asked for, or until its key ends where that is sooner (a 7-day link).
    least = min(asked + lifetime, when(fields["ske"]).timestamp())
    assert least - 1 <= ends <= time.time() + lifetime, (asked, ends)
    assert when(fields["se"]) <= when(fields["ske"]), "never beyond the delegation key"
    # Both start well before now: a service's clock behind the machine's accepts them.
    assert when(fields["skt"]) <= when(fields["st"])
    assert when(fields["st"]).timestamp() <= asked - SKEW + 1
    # The signature, computed here from Azure's string to sign for this SAS version…
    canonical = f"/blob/{ACCOUNT}/{CONTAINER}/{blob}"
    assert fields["sig"] == signature(key.value, string_to_sign(fields, canonical))
    # …and by azure-storage-blob with the same key and times.
    sdk_key = UserDelegationKey()
    sdk_key.signed_oid, sdk_key.signed_tid = key.oid, key.tid
    sdk_key.signed_start, sdk_key.signed_expiry = key.start, key.expiry
    sdk_key.signed_service, sdk_key.signed_version = key.service, key.version
    sdk_key.value = key.value
    again = generate_blob_sas(
        ACCOUNT,
        CONTAINER,
        blob,
        user_delegation_key=sdk_key,
        permission="r",
        start=fields.get("st"),
        expiry=fields["se"],
    )
    assert parse_qs(again)["sig"] == [fields["sig"]]


@pytest.mark.parametrize("lifetime", [3600, 7 * DAY], ids=["1 h", "7 days"])
def test_an_entra_share_link_is_a_read_only_user_delegation_sas(
    stub: Served, account: Account, storage: Storage, lifetime: int
) -> None:
    """A stub, because Azurite lacks Entra ID. The link of an Entra ID connection is a
    user-delegation SAS: the key is asked for with the connection's token, the SAS
    grants reading one blob for the lifetime chosen (1 hour to 7 days), no longer than
    its key, and is signed with the key's value; the stub, verifying it as Azure does,
    serves the blob through it and refuses a write."""
    assert storage.features.share_links
    asked = time.time()
    link = share_links_of(storage).share_link(CONTAINER, REPORT, lifetime)
    url = link.url
    assert url.startswith(f"https://127.0.0.1:{stub.port}/{ACCOUNT}/{CONTAINER}/")
    assert urlsplit(url).path.endswith(quote(REPORT))
    fields = sas_fields(url)
    [key] = account.keys
    assert_user_delegation_sas(fields, key, REPORT, lifetime, asked)
    # The end it comes with is the one it names (a week's: its key's, 15 minutes short).
    assert link.expires == when(fields["se"]).timestamp()
    [asked_with] = account.key_requests()
    assert asked_with["authorization"] == f"Bearer {TOKEN}"

    with urllib.request.urlopen(url, timeout=10, context=stub.ssl_context()) as reply:
        assert reply.read() == b"quarterly figures"
    put = urllib.request.Request(
        url, data=b"overwritten", method="PUT", headers={"x-ms-blob-type": "BlockBlob"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(put, timeout=10, context=stub.ssl_context())
    assert refused.value.code == 403
    refused.value.close()
    assert account.blobs[f"{CONTAINER}/{REPORT}"] == b"quarterly figures"


def test_a_link_never_outlives_its_delegation_key(account: Account, storage: Storage) -> None:
    """A stub, because Azurite lacks Entra ID. One key signs the links it covers; a link
    that would end after it gets a key of its own, so that no SAS ends after its key
    (Azure would refuse it from then on). Beyond 7 days nothing is asked for."""
    links = share_links_of(storage)
    short = sas_fields(links.share_link(CONTAINER, REPORT, 3600).url)
    again = sas_fields(links.share_link(CONTAINER, REPORT, 2 * 3600).url)
    week = sas_fields(links.share_link(CONTAINER, REPORT, 7 * DAY).url)
    for fields in (short, again, week):
        key = key_of(account, fields)
        assert when(fields["se"]) <= when(key.expiry)
        assert fields["sig"] == signature(
            key.value, string_to_sign(fields, f"/blob/{ACCOUNT}/{CONTAINER}/{REPORT}")
        )
    assert short["ske"] == again["ske"], "a key that covers the link signs it"
    assert len(account.keys) == 2, "the week's link needed a key of its own"
    assert when(week["ske"]) >= when(week["se"])
    requests = len(account.requests)
    for wrong in (7 * DAY + 1, 0):
        with pytest.raises(ConfigError):
            links.share_link(CONTAINER, REPORT, wrong)
    assert len(account.requests) == requests


def test_a_week_long_link_is_given_a_key_by_a_service_whose_clock_is_behind(
    stub: Served, account: Account, storage: Storage
) -> None:
    """A stub, because Azurite lacks Entra ID. Azure refuses a user delegation key that
    ends more than 7 days after its own now: a 7-day link asked for a key ending exactly
    our now + 7 days, which a service whose clock is behind the machine's refused (400
    InvalidXmlNodeValue). The key and the SAS start 15 minutes back and the key lasts
    at most 7 days from its start; the link ends with it, 15 minutes short of a week."""
    account.clock_behind = timedelta(minutes=10)
    asked = time.time()
    url = share_links_of(storage).share_link(CONTAINER, REPORT, 7 * DAY).url
    fields = sas_fields(url)
    [key] = account.keys
    assert when(key.expiry) - when(key.start) <= timedelta(days=7)
    assert when(key.start).timestamp() <= asked - SKEW + 1
    assert abs(when(fields["se"]).timestamp() - (asked - SKEW + 7 * DAY)) < 5
    assert_user_delegation_sas(fields, key, REPORT, 7 * DAY, asked)
    with urllib.request.urlopen(url, timeout=10, context=stub.ssl_context()) as reply:
        assert reply.read() == b"quarterly figures"


def test_a_copy_under_entra_signs_its_source_with_the_user_delegation_key(
    account: Account, storage: Storage
) -> None:
    """A stub, because Azurite lacks Entra ID. Copy Blob and Put Block From URL read
    their source through a URL the service is given: under Entra ID (no account key) a
    read-only user-delegation SAS of an hour, which the stub verifies before it copies.
    One key signs them all: a folder of a thousand blobs is not a thousand more
    requests."""
    copy = server_copy_of(storage)
    asked = time.time()
    copy.copy_object(CONTAINER, REPORT, CONTAINER, "copies/report.txt")
    assert account.blobs[f"{CONTAINER}/copies/report.txt"] == b"quarterly figures"
    session = chunked_uploads_of(storage).begin_upload(CONTAINER, "copies/big.bin")
    token = copy.copy_chunk(CONTAINER, "big.bin", CONTAINER, "copies/big.bin", session, 1, 0, 4095)
    assert token == hashlib.md5(BIG[:4096]).hexdigest()
    copy.copy_object(CONTAINER, "big.bin", CONTAINER, "copies/whole.bin")

    targets = [target for target, _source in account.copies]
    # Put Block From URL stages each block twice (under a provisional id, then its MD5's).
    assert targets == [
        f"{CONTAINER}/copies/report.txt",
        f"{CONTAINER}/copies/big.bin",
        f"{CONTAINER}/copies/big.bin",
        f"{CONTAINER}/copies/whole.bin",
    ]
    [key] = account.keys
    for (_target, source), blob in zip(
        account.copies, [REPORT, "big.bin", "big.bin", "big.bin"], strict=True
    ):
        assert urlsplit(source).path.endswith(quote(blob))
        assert_user_delegation_sas(sas_fields(source), key, blob, 3600, asked)


def test_a_user_without_a_role_that_may_delegate_is_told_which_role(
    account: Account, storage: Storage
) -> None:
    """A stub, because Azurite lacks Entra ID. Azure answers a user delegation key
    request from an account without a role that may get one (Storage Blob Delegator, or
    a data role) with 403 AuthorizationPermissionMismatch: a link and a copy say so and
    name the roles, instead of "Not allowed to do this with the storage account"."""
    account.refuse_key = "AuthorizationPermissionMismatch"
    with pytest.raises(AccessDenied) as refused:
        share_links_of(storage).share_link(CONTAINER, REPORT, 3600)
    assert refused.value.code == "AuthorizationPermissionMismatch"
    assert "user delegation key" in refused.value.message
    assert "Storage Blob Delegator" in refused.value.hint
    assert "Storage Blob Data Reader" in refused.value.hint
    with pytest.raises(AccessDenied) as copy_refused:
        server_copy_of(storage).copy_object(CONTAINER, REPORT, CONTAINER, "copy.txt")
    assert copy_refused.value.message == refused.value.message
    assert "Storage Blob Delegator" in copy_refused.value.hint
    assert account.copies == [] and account.keys == []
