"""Share links of GCS credentials that have no private key: IAM Credentials' ``signBlob``
signs them (a metadata server's credentials, workload identity), and a user's own sign-in
is told it cannot sign.

The IAM endpoint is a stub (``tests/gcs_stub.SoftDeleteGcs``) answering
``POST /v1/projects/-/serviceAccounts/SA:signBlob`` as IAM does, signing with a key made
here; ``links.IAM_ENDPOINT`` points at it. The URL is checked against a string-to-sign
rebuilt here from the URL alone (V4: canonical request, scope, SHA-256), and its signature
against the stub's public key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlparse

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth import credentials as google_credentials
from google.oauth2 import credentials as user_credentials

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.gcs import auth, links
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import AccessDenied, NotSupported
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
        yield stub


def storage_with(stub: SoftDeleteGcs, credentials: Any) -> Storage:
    settings = ConnectionSettings(
        name="keyless", kind="gcs", endpoint_url=stub.url, auth="anonymous", max_attempts=1
    )
    storage = open_storage(settings, None, page_size=1000)
    storage.__dict__["identity"] = auth.Identity(credentials, "", None)
    return storage


def test_a_link_without_a_key_is_signed_by_iam_sign_blob(iam: SoftDeleteGcs) -> None:
    iam.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    storage = storage_with(iam, KeylessServiceAccount())
    url = share_links_of(storage).share_link("my-bucket", "docs/r é.txt", 900)

    [call] = iam.signed
    assert call["account"] == ACCOUNT
    assert call["authorization"] == "Bearer stub-token"  # the connection's own token

    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}" == iam.url  # an emulator's own address
    assert parsed.path == "/my-bucket/docs/r%20%C3%A9.txt"
    query = dict(parse_qsl(parsed.query, keep_blank_values=True))
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "900"
    assert query["X-Goog-SignedHeaders"] == "host"
    account, scope = query["X-Goog-Credential"].split("/", 1)
    assert account == ACCOUNT
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


def test_iam_refusing_to_sign_says_which_permission_is_missing(iam: SoftDeleteGcs) -> None:
    iam.sign_key = None
    storage = storage_with(iam, KeylessServiceAccount())
    with pytest.raises(AccessDenied) as denied:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert ACCOUNT in denied.value.message
    assert "iam.serviceAccounts.signBlob" in denied.value.hint
    assert "signBlob' denied" in denied.value.detail  # what IAM said, for the details


def test_a_users_own_sign_in_cannot_sign_and_says_so(iam: SoftDeleteGcs) -> None:
    user = user_credentials.Credentials(token="user-token")  # type: ignore[no-untyped-call]
    storage = storage_with(iam, user)
    with pytest.raises(NotSupported) as refused:
        share_links_of(storage).share_link("my-bucket", "k.txt", 60)
    assert "a user's sign-in" in refused.value.message
    assert "service-account key" in refused.value.hint
    assert iam.signed == [] and iam.requests == []  # nothing was asked of IAM
