"""TLS settings of a saved connection against rclone serving HTTPS with a private CA."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloudbrowser.core.check import check_connection
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import TLSError
from cloudbrowser.core.profiles import Profile
from tests.conftest import ACCESS_KEY, SECRET_KEY
from tests.local_servers import rclone_s3


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself (a private CA of one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloudbrowser test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    (folder / "data" / "tls-bucket").mkdir(parents=True)
    cert, key = self_signed(folder)
    with rclone_s3(
        folder / "data", ACCESS_KEY, SECRET_KEY, "--cert", str(cert), "--key", str(key)
    ) as (url, _process):
        yield url.replace("http://", "https://"), cert


def profile(endpoint: str, **tls: object) -> Profile:
    return Profile(
        "tls",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id=ACCESS_KEY,
        **tls,  # type: ignore[arg-type]
    )


CREDS = Credentials(ACCESS_KEY, SECRET_KEY)


def test_unknown_ca_is_refused(https_server: tuple[str, Path]) -> None:
    url, _cert = https_server
    result = check_connection(profile(url).settings(), CREDS)
    assert not result.ok and isinstance(result.error, TLSError)
    assert "certificate" in result.error.detail.lower()


def test_ca_bundle_is_trusted(https_server: tuple[str, Path]) -> None:
    url, cert = https_server
    result = check_connection(profile(url, ca_bundle=str(cert)).settings(), CREDS)
    assert result.ok, result
    assert result.bucket_count == 1


def test_verification_off_connects(https_server: tuple[str, Path]) -> None:
    url, cert = https_server
    # The CA bundle is ignored when checks are off (the form greys it out).
    settings = profile(url, verify_tls=False, ca_bundle=str(cert)).settings()
    assert settings.verify_tls is False
    result = check_connection(settings, CREDS)
    assert result.ok, result
