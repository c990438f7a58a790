"""``cloudbrowser presign gs://…`` end to end through the real entry point: a link signed
with a service-account key, and one signed through IAM's ``signBlob`` as the service
account a user's sign-in names (``--sign-as``, or a saved connection's "Sign links as").

Objects live in fake-gcs-server, which serves a link's path without checking its
signature: the links are downloaded with plain urllib, and an IAM-signed one is checked
against the key of the IAM stub (``tests/gcs_stub.SoftDeleteGcs``), which is also the
token endpoint of the credentials used here."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import credentials as user_credentials

from cloudbrowser.core.backends.gcs import links
from cloudbrowser.core.profiles import Profile, ProfileStore
from tests.cli.helpers import Run
from tests.conftest import GCS_PROJECT, GcsServer, service_account_json
from tests.gcs_stub import SoftDeleteGcs

LINKS = "links@my-project.iam.gserviceaccount.com"
USER = {
    "type": "authorized_user",
    "client_id": "cid.apps.googleusercontent.com",
    "client_secret": "client-secret",
    "refresh_token": "1//user-refresh",
}


@pytest.fixture
def iam(monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftDeleteGcs]:
    """IAM's signBlob and Google's token endpoint, stubbed."""
    with SoftDeleteGcs() as stub:
        stub.sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        monkeypatch.setattr(links, "IAM_ENDPOINT", stub.url)
        monkeypatch.setattr(user_credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", f"{stub.url}/token")
        yield stub


@pytest.fixture
def user_adc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A person's application default credentials (``gcloud auth application-default
    login``)."""
    path = tmp_path / "application_default_credentials.json"
    path.write_text(json.dumps(USER))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    return path


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as reply:
        data: bytes = reply.read()
        return data


def credential_of(url: str) -> str:
    return dict(parse_qsl(urlparse(url).query))["X-Goog-Credential"].split("/", 1)[0]


def test_presign_with_a_service_account_key(
    run: Run, gcs_server: GcsServer, iam: SoftDeleteGcs
) -> None:
    """A saved connection with its key in the keyring: the key signs, no IAM call."""
    key = json.loads(service_account_json())
    key["token_uri"] = f"{iam.url}/token"  # its token for the HEAD before signing
    store = ProfileStore()
    profile = store.add(
        Profile(
            "key-gcs",
            kind="gcs",
            auth="service_account",
            access_key_id=key["client_email"],
            endpoint_url=gcs_server.endpoint_url,
            project=GCS_PROJECT,
        )
    )
    store.set_secret(profile, json.dumps(key))
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"share/report é.txt": b"the report"})

    link = run("presign", "-c", "key-gcs", f"gs://{bucket}/share/report é.txt", "--expires", "2h")
    assert link.code == 0, link.err
    url = link.out.strip()
    assert url.startswith(f"{gcs_server.endpoint_url}/{bucket}/share/report%20%C3%A9.txt?")
    assert credential_of(url) == key["client_email"]
    assert dict(parse_qsl(urlparse(url).query))["X-Goog-Expires"] == "7200"
    assert download(url) == b"the report"
    assert iam.signed == []


def test_presign_sign_as_signs_a_users_link_through_iam(
    run: Run, gcs_server: GcsServer, iam: SoftDeleteGcs, user_adc: Path
) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"k.txt": b"shared"})
    where = f"gs://{bucket}/k.txt"

    # Without an account to sign as, a person's sign-in says what to add.
    refused = run("presign", "--endpoint", gcs_server.endpoint_url, where)
    assert refused.code == 1 and refused.out == ""
    assert "a user's sign-in" in refused.err and "--sign-as EMAIL" in refused.err

    link = run("presign", "--endpoint", gcs_server.endpoint_url, "--sign-as", LINKS, where)
    assert link.code == 0, link.err
    [call] = iam.signed
    assert call["account"] == LINKS
    assert call["authorization"].startswith("Bearer ya29.stub-")  # the user's token
    url = link.out.strip()
    assert credential_of(url) == LINKS
    assert download(url) == b"shared"

    # --json: the same record as any presign.
    record = run("presign", "--json", "--endpoint", gcs_server.endpoint_url,
                 "--sign-as", LINKS, where).records()  # fmt: skip
    assert [(r["bucket"], r["key"], r["expires_in"], r["size"]) for r in record] == [
        (bucket, "k.txt", 3600, 6)
    ]


def test_a_saved_connections_sign_links_as_is_used_and_sign_as_overrides_it(
    run: Run, gcs_server: GcsServer, iam: SoftDeleteGcs, user_adc: Path
) -> None:
    ProfileStore().add(
        Profile(
            "my-gcs",
            kind="gcs",
            auth="adc",
            endpoint_url=gcs_server.endpoint_url,
            project=GCS_PROJECT,
            sign_links_as=LINKS,
        )
    )
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"k.txt": b"shared"})
    link = run("presign", "-c", "my-gcs", f"gs://{bucket}/k.txt")
    assert link.code == 0, link.err
    assert credential_of(link.out.strip()) == LINKS
    other = "other@my-project.iam.gserviceaccount.com"
    again = run("presign", "-c", "my-gcs", "--sign-as", other, f"gs://{bucket}/k.txt")
    assert again.code == 0, again.err
    assert credential_of(again.out.strip()) == other
    assert [c["account"] for c in iam.signed] == [LINKS, other]


def test_iam_refusing_is_a_credentials_failure_naming_the_role(
    run: Run, gcs_server: GcsServer, iam: SoftDeleteGcs, user_adc: Path
) -> None:
    iam.sign_key = None
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"k.txt": b"shared"})
    link = run(
        "presign", "--endpoint", gcs_server.endpoint_url, "--sign-as", LINKS, f"gs://{bucket}/k.txt"
    )
    assert link.code == 3 and link.out == ""
    assert f"Service Account Token Creator role (iam.serviceAccounts.signBlob) on {LINKS}" in (
        link.err
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["s3://b/k", "--sign-as", LINKS], "--sign-as is for Google Cloud Storage (gs://) links"),
        (["gs://b/k", "--sign-as", "links"], "--sign-as takes a service account's email"),
    ],
)
def test_what_sign_as_cannot_take_is_a_usage_error(run: Run, argv: list[str], message: str) -> None:
    wrong = run("presign", *argv)
    assert wrong.code == 2 and message in wrong.err


def test_a_sign_in_google_refuses_to_renew_says_to_sign_in_again_not_a_traceback(
    run: Run, iam: SoftDeleteGcs, user_adc: Path
) -> None:
    """Application default credentials gcloud wrote for a person, revoked since (or
    expired: Google answers ``invalid_grant``): a credentials failure that names the
    command that signs in again (tests/contract/test_gcs_renewal_refused.py: the rest)."""
    iam.refuse_grants = "Token has been expired or revoked."
    iam.bucket("bkt")

    result = run("ls", "--endpoint", iam.url, "gs://bkt/")

    assert result.code == 3  # credentials (cli/output.Exit.AUTH)
    assert result.out == ""
    assert "expired or revoked" in result.err
    assert "Sign in again: run “gcloud auth application-default login”." in result.err
    assert "Traceback" not in result.err and "RefreshError" not in result.err
    assert [path for _method, path in iam.requests] == ["/token"]
