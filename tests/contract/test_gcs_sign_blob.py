"""Share links of GCS credentials that have no private key: IAM Credentials' ``signBlob``
signs them — as the credentials' own service account (a metadata server's credentials,
workload identity), as the account an ``impersonated_service_account`` file names, or as
the service account a user's sign-in is set to sign links as ("Sign links as") — and a
user's own sign-in without one is told what to set.

The IAM endpoint is a stub (``tests/gcs_stub.SoftDeleteGcs``) answering
``POST /v1/projects/-/serviceAccounts/SA:signBlob`` as IAM does, signing with a key made
here; ``links.IAM_ENDPOINT`` points at it. It is also the token endpoint of the users'
credentials files, and refuses a token it gave without an IAM scope, as IAM does. The URL
is checked against a string-to-sign rebuilt here from the URL alone (V4: canonical request,
scope, SHA-256), and its signature against the stub's public key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlparse

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth import credentials as google_credentials
from google.oauth2 import credentials as user_credentials

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.gcs import auth, links
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import AccessDenied, NotFound, NotSupported
from cloudbrowser.core.storage import Storage, share_links_of
from tests.gcs_stub import SoftDeleteGcs

ACCOUNT = "runner@my-project.iam.gserviceaccount.com"


class KeylessServiceAccount(google_credentials.Credentials):
    """A service account's credentials without its key, as a metadata server gives them:
    the account is "default" until the first token names it."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.email = "default"

    @property
    def service_account_email(self) -> str:
        return self.email

    def refresh(self, request: Any) -> None:
        self.token = "stub-token"
        self.email = ACCOUNT


@pytest.fixture
def iam(monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftDeleteGcs]:
    with SoftDeleteGcs() as stub:
        monkeypatch.setattr(links, "IAM_ENDPOINT", stub.url)
        # google-auth gives every user's sign-in Google's token endpoint (whatever its file
        # says): the stub's here.
        monkeypatch.setattr(user_credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", f"{stub.url}/token")
        yield stub


def storage_with(stub: SoftDeleteGcs, credentials: Any) -> Storage:
    settings = ConnectionSettings(
        name="keyless", kind="gcs", endpoint_url=stub.url, auth="anonymous", max_attempts=1
    )
    storage = open_storage(settings, None, page_size=1000)
    storage.__dict__["identity"] = auth.Identity(credentials, "", None)
    return storage


def check_signed(url: str, call: dict[str, Any], iam: SoftDeleteGcs, account: str) -> None:
    """``url`` is a V4 signed URL at the stub's address naming ``account`` as credential,
    IAM was asked to sign exactly its string-to-sign, and its signature is IAM's."""
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}" == iam.url  # an emulator's own address
    query = dict(parse_qsl(parsed.query, keep_blank_values=True))
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "900"
    assert query["X-Goog-SignedHeaders"] == "host"
    credential, scope = query["X-Goog-Credential"].split("/", 1)
    assert credential == account
    assert scope == f"{query['X-Goog-Date'][:8]}/auto/storage/goog4_request"

    # What was signed is V4's string-to-sign for exactly this URL.
    unsigned = sorted((k, v) for k, v in parse_qsl(parsed.query) if k != "X-Goog-Signature")
    canonical_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in unsigned)
    canonical_request = "\n".join(
        [
            "GET",
            parsed.path,
            canonical_query,
            f"host:{parsed.netloc}",
            "",
            "host",
            "UNSIGNED-PAYLOAD",
        ]
    )
    string_to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            query["X-Goog-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    assert call["payload"] == string_to_sign.encode()
    # ... and the signature in it is the stub's, valid for the service account's key.
    signature = bytes.fromhex(query["X-Goog-Signature"])
    iam.sign_key.public_key().verify(
        signature, string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_a_link_without_a_key_is_signed_by_iam_sign_blob(iam: SoftDeleteGcs) -> None:
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    storage = storage_with(iam, KeylessServiceAccount())
    url = share_links_of(storage).share_link("my-bucket", "docs/r é.txt", 900).url

    [call] = iam.signed
    assert call["account"] == ACCOUNT
    assert call["authorization"] == "Bearer stub-token"  # the connection's own token
    assert urlparse(url).path == "/my-bucket/docs/r%20%C3%A9.txt"
    check_signed(url, call, iam, ACCOUNT)


def test_iam_refusing_to_sign_says_which_permission_is_missing(iam: SoftDeleteGcs) -> None:
    iam.sign_key = None
    storage = storage_with(iam, KeylessServiceAccount())
    with pytest.raises(AccessDenied) as denied:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert ACCOUNT in denied.value.message
    assert "iam.serviceAccounts.signBlob" in denied.value.hint
    assert f"Service Account Token Creator role (iam.serviceAccounts.signBlob) on {ACCOUNT}" in (
        denied.value.hint
    )
    assert "signBlob' denied" in denied.value.detail  # what IAM said, for the details


def test_a_users_own_sign_in_cannot_sign_and_says_so(iam: SoftDeleteGcs) -> None:
    user = user_credentials.Credentials(token="user-token")  # type: ignore[no-untyped-call]
    storage = storage_with(iam, user)
    with pytest.raises(NotSupported) as refused:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert "a user's sign-in" in refused.value.message
    assert "“Sign links as”" in refused.value.hint  # the window's setting
    assert "presign --sign-as EMAIL" in refused.value.hint  # the command line's
    assert "Service Account Token Creator" in refused.value.hint
    assert "service-account key" in refused.value.hint
    assert iam.signed == [] and iam.requests == []  # nothing was asked of IAM


# ── a user's sign-in, signing as a service account it may impersonate ────────────────────

LINKS = "links@my-project.iam.gserviceaccount.com"
#: The scope a user's storage token is given (auth.SCOPES): IAM refuses such tokens.
STORAGE_SCOPE = "https://www.googleapis.com/auth/devstorage.full_control"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


#: A person's sign-in as gcloud writes it (its tokens come from the stub: see ``iam``).
USER = {
    "type": "authorized_user",
    "client_id": "cid.apps.googleusercontent.com",
    "client_secret": "client-secret",
    "refresh_token": "1//user-refresh",
}


def adc_storage(
    stub: SoftDeleteGcs,
    adc: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sign_links_as: str = "",
) -> Storage:
    """A connection on application default credentials (the file ``adc``), as the window
    and ``gs://`` open one; its storage requests and links go to the stub."""
    path = tmp_path / "application_default_credentials.json"
    path.write_text(json.dumps(adc))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    settings = ConnectionSettings(
        name="adc",
        kind="gcs",
        endpoint_url=stub.url,
        auth="adc",
        max_attempts=1,
        sign_links_as=sign_links_as,
    )
    return open_storage(settings, None, page_size=1000)


def test_a_users_sign_in_signs_as_the_service_account_it_is_set_to(
    iam: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    storage = adc_storage(iam, USER, tmp_path, monkeypatch, sign_links_as=LINKS)
    links = share_links_of(storage)
    url = links.share_link("my-bucket", "docs/r é.txt", 900).url

    [call] = iam.signed
    assert call["account"] == LINKS
    # The user's own token, renewed by google-auth from the sign-in with a scope IAM takes
    # (the storage token's would be refused: see the stub).
    [renewal] = iam.token_requests
    assert (renewal["grant_type"], renewal["refresh_token"]) == ("refresh_token", "1//user-refresh")
    assert renewal["scope"] == CLOUD_PLATFORM
    [token] = iam.issued
    assert call["authorization"] == f"Bearer {token}"
    check_signed(url, call, iam, LINKS)
    # The next link asks IAM again, with the same token: no sign-in per link.
    links.share_link("my-bucket", "other.txt", 900)
    assert [c["authorization"] for c in iam.signed] == [f"Bearer {token}"] * 2
    assert len(iam.token_requests) == 1


def test_the_browser_sign_in_signs_as_the_service_account_it_is_set_to(
    iam: SoftDeleteGcs,
) -> None:
    """The window's own sign-in ("oauth": the record in the keyring) does the same."""
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings = ConnectionSettings(
        name="signed-in",
        kind="gcs",
        endpoint_url=iam.url,
        auth="oauth",
        max_attempts=1,
        sign_links_as=LINKS,
    )
    record = Credentials("cid.apps.googleusercontent.com", json.dumps(USER))
    url = (
        share_links_of(open_storage(settings, record, page_size=1000))
        .share_link("my-bucket", "k.txt", 900)
        .url
    )
    [call] = iam.signed
    assert call["account"] == LINKS
    assert iam.issued[call["authorization"].removeprefix("Bearer ")] == CLOUD_PLATFORM
    check_signed(url, call, iam, LINKS)


def impersonation(delegates: list[str] | None = None) -> dict[str, Any]:
    """An ``impersonated_service_account`` file, as ``gcloud auth application-default login
    --impersonate-service-account ACCOUNT`` writes it."""
    adc: dict[str, Any] = {
        "type": "impersonated_service_account",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
        f"projects/-/serviceAccounts/{ACCOUNT}:generateAccessToken",
        "source_credentials": USER,
    }
    if delegates is not None:
        adc["delegates"] = delegates
    return adc


def test_impersonated_credentials_sign_as_the_account_they_impersonate(
    iam: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    chain = [f"projects/-/serviceAccounts/middle@{ACCOUNT.split('@')[1]}"]
    storage = adc_storage(iam, impersonation(chain), tmp_path, monkeypatch)
    url = share_links_of(storage).share_link("my-bucket", "docs/r é.txt", 900).url

    [call] = iam.signed
    assert call["account"] == ACCOUNT  # from the file's service_account_impersonation_url
    assert call["delegates"] == chain
    # Asked by the one who impersonates, with their own token (as google-auth signs).
    [renewal] = iam.token_requests
    assert renewal["refresh_token"] == "1//user-refresh"
    assert call["authorization"] == f"Bearer {next(iter(iam.issued))}"
    check_signed(url, call, iam, ACCOUNT)


def test_impersonated_credentials_sign_as_another_account_when_set_to(
    iam: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    storage = adc_storage(iam, impersonation(), tmp_path, monkeypatch, sign_links_as=LINKS)
    url = share_links_of(storage).share_link("my-bucket", "k.txt", 900).url
    [call] = iam.signed
    assert (call["account"], call["delegates"]) == (LINKS, None)
    check_signed(url, call, iam, LINKS)


def test_no_token_creator_role_on_the_account_says_so(
    iam: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.sign_key = None  # IAM answers 403: the caller may not sign as that account
    storage = adc_storage(iam, USER, tmp_path, monkeypatch, sign_links_as=LINKS)
    with pytest.raises(AccessDenied) as denied:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert denied.value.message == f"Google's IAM refused to sign a share link as {LINKS}."
    assert (
        f"The signed-in account needs the Service Account Token Creator role "
        f"(iam.serviceAccounts.signBlob) on {LINKS}"
    ) in denied.value.hint
    assert "HTTP 403" in denied.value.detail


def test_no_such_service_account_says_so(
    iam: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    iam.accounts = {ACCOUNT}
    typo = "lnks@my-project.iam.gserviceaccount.com"
    storage = adc_storage(iam, USER, tmp_path, monkeypatch, sign_links_as=typo)
    with pytest.raises(NotFound) as missing:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert missing.value.message == f"There is no service account {typo} to sign share links as."
    assert "“Sign links as”" in missing.value.hint and "--sign-as" in missing.value.hint
    assert missing.value.code == "NoSuchServiceAccount"
    assert "Gaia id not found" in missing.value.detail


def test_a_sign_in_for_storage_only_is_told_to_sign_in_again(iam: SoftDeleteGcs) -> None:
    """A token IAM takes none of (no cloud-platform scope: a sign-in that consented to
    storage alone) is not a missing role."""
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    iam.issued["narrow-token"] = STORAGE_SCOPE
    settings = ConnectionSettings(
        name="narrow", kind="gcs", endpoint_url=iam.url, auth="anonymous", max_attempts=1,
        sign_links_as=LINKS,
    )  # fmt: skip
    storage = open_storage(settings, None, page_size=1000)
    user = user_credentials.Credentials(token="narrow-token")  # type: ignore[no-untyped-call]
    storage.__dict__["identity"] = auth.Identity(user, "", None)
    with pytest.raises(AccessDenied) as denied:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert "access to storage only" in denied.value.message
    assert "Sign in again" in denied.value.hint
    assert "Token Creator" not in denied.value.hint
