"""Share links: V4 signed URLs (google-cloud-storage builds them).

Who signs: a service-account key signs here, no request sent; credentials of a service
account without its key (a metadata server's, Cloud Shell's, workload identity) have the
IAM Credentials API sign for them, one ``signBlob`` request sent through the connection's
own session (its token, TLS settings and proxy; :data:`IAM_ENDPOINT` is where, which tests
point at a stub); impersonated credentials sign through google-auth's own IAM call. A
user's own sign-in names no service account: it cannot sign, and says so.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from google.auth.credentials import Signing
from google.auth.transport.requests import Request
from google.cloud.storage._signing import generate_signed_url_v4

from cloudbrowser.core.backends.gcs.errors import translate_exception
from cloudbrowser.core.errors import (
    AccessDenied,
    CloudBrowserError,
    NotFound,
    NotSupported,
    StorageError,
)

if TYPE_CHECKING:
    from cloudbrowser.core.backends.gcs.backend import GcsBackend

#: The IAM Credentials API (``…/v1/projects/-/serviceAccounts/SA:signBlob``).
IAM_ENDPOINT = "https://iamcredentials.googleapis.com"


def signed_url(backend: GcsBackend, bucket: str, key: str, expires_in: int) -> str:
    """A GET URL for ``expires_in`` seconds. Raises NotSupported where nothing can sign,
    AccessDenied where IAM refuses to sign for the service account."""
    who = backend.identity
    resource = f"/{quote(bucket, safe='')}/{quote(key, safe='/~')}"
    # An emulator serves path-style object URLs at its own address.
    endpoint = backend.base if backend.emulator else "https://storage.googleapis.com"
    try:
        signer: Signing
        if who.signer is not None:
            signer = who.signer
        elif who.credentials is None:  # an emulator's or a public bucket's unsigned requests
            raise NotSupported(
                "This connection sends unsigned requests: without a key it cannot sign share "
                "links.",
                hint="Use a connection with a service-account key (or application default "
                "credentials of a service account).",
                code="NotImplemented",
            )
        elif isinstance(who.credentials, Signing):
            signer = who.credentials  # impersonated: google-auth asks IAM itself
        else:
            signer = IamSigner(backend, _service_account_email(who.credentials))
        return str(
            generate_signed_url_v4(
                signer,
                resource,
                expiration=timedelta(seconds=expires_in),
                api_access_endpoint=endpoint,
            )
        )
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise translate_exception(exc, bucket=bucket, key=key) from exc


def _service_account_email(credentials: Any) -> str:
    """The service account the credentials act as; NotSupported for a user's sign-in."""
    email = str(getattr(credentials, "service_account_email", "") or "")
    if email and "@" not in email:
        # A metadata server's credentials say "default" until their first token.
        credentials.refresh(Request())
        email = str(getattr(credentials, "service_account_email", "") or "")
    if "@" not in email:
        raise NotSupported(
            "These credentials cannot sign share links: they are a user's sign-in, not "
            "a service account's.",
            hint="Use a connection with a service-account key (or application default "
            "credentials of a service account, with the iam.serviceAccounts.signBlob "
            "permission on it).",
            code="NotImplemented",
        )
    return email


class IamSigner(Signing):
    """Signs as ``email`` through IAM Credentials' ``signBlob`` (the private key stays
    with Google): what google-cloud-storage's V4 signing asks of a key."""

    def __init__(self, backend: GcsBackend, email: str) -> None:
        self._backend = backend
        self._email = email

    @property
    def signer_email(self) -> str:
        return self._email

    @property
    def signer(self) -> None:
        return None  # no google.auth signer object: sign_bytes asks IAM

    def sign_bytes(self, message: bytes) -> bytes:
        """The RSA-SHA256 signature IAM makes with the service account's key."""
        url = (
            f"{IAM_ENDPOINT}/v1/projects/-/serviceAccounts/{quote(self._email, safe='@')}:signBlob"
        )
        payload = {"payload": base64.b64encode(message).decode("ascii")}
        try:
            reply = self._backend.send("POST", url, json=payload)
        except (AccessDenied, NotFound) as error:
            raise AccessDenied(
                f"Google's IAM refused to sign a share link as {self._email}.",
                hint="Share links without a service-account key need the "
                "iam.serviceAccounts.signBlob permission on that service account (the "
                "Service Account Token Creator role); or use a connection with its key.",
                detail=error.detail,
                code="SignBlobDenied",
            ) from error
        try:
            return base64.b64decode(str(reply.json()["signedBlob"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise StorageError(
                "Google's IAM answered the request to sign a share link with something "
                "that is not a signature.",
                detail=reply.text[:200],
                code="UnreadableReply",
            ) from exc
