"""The S3 fast path signs with CPython's own SHA-256 and an HMAC of its own (hashlib would
load OpenSSL at every command's start): they must give what hmac and hashlib give."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from cloudbrowser.core.backends.s3 import fast


@given(key=st.binary(max_size=200), message=st.binary(max_size=2000))
def test_hmac_is_the_standard_librarys(key: bytes, message: bytes) -> None:
    assert fast._hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


@given(text=st.binary(max_size=2000))
def test_sha256_is_hashlibs(text: bytes) -> None:
    assert fast._sha256()(text).hexdigest() == hashlib.sha256(text).hexdigest()
    assert fast._body_sha256(text) == hashlib.sha256(text).hexdigest()


def test_the_empty_payloads_hash() -> None:
    assert hashlib.sha256(b"").hexdigest() == fast._EMPTY_SHA256


def test_the_signing_key_is_sigv4s() -> None:
    """SigV4's derived key: HMACs of the day, region, service and "aws4_request"."""
    secret, day, region = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1"
    expected = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        expected = hmac.new(expected, part.encode(), hashlib.sha256).digest()
    assert fast._signing_key(secret, day, region) == expected
