"""Share links: V4 signed URLs (google-cloud-storage signs them; no request is sent for a
service-account key, one IAM signBlob request for other credentials of a service
account)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from google.auth.transport.requests import Request
from google.cloud.storage._signing import generate_signed_url_v4

from cloudbrowser.core.backends.gcs.errors import translate_exception
from cloudbrowser.core.errors import CloudBrowserError, NotSupported

if TYPE_CHECKING:
    from cloudbrowser.core.backends.gcs.backend import GcsBackend


def signed_url(backend: GcsBackend, bucket: str, key: str, expires_in: int) -> str:
    """A GET URL for ``expires_in`` seconds. Raises NotSupported where nothing can sign."""
    who = backend.identity
    resource = f"/{quote(bucket, safe='')}/{quote(key, safe='/~')}"
    # An emulator serves path-style object URLs at its own address.
    endpoint = backend.base if backend.emulator else "https://storage.googleapis.com"
    try:
        if who.signer is not None:
            return str(
                generate_signed_url_v4(
                    who.signer,
                    resource,
                    expiration=timedelta(seconds=expires_in),
                    api_access_endpoint=endpoint,
                )
            )
        if who.credentials is None:  # an emulator's or a public bucket's unsigned requests
            raise NotSupported(
                "This connection sends unsigned requests: without a key it cannot sign share "
                "links.",
                hint="Use a connection with a service-account key (or application default "
                "credentials of a service account).",
                code="NotImplemented",
            )
        email = str(getattr(who.credentials, "service_account_email", "") or "")
        if not email or "@" not in email:
            raise NotSupported(
                "These credentials cannot sign share links: they are a user's sign-in, not "
                "a service account's.",
                hint="Use a connection with a service-account key (or ADC of a service "
                "account with the iam.serviceAccounts.signBlob permission).",
                code="NotImplemented",
            )
        who.credentials.refresh(Request())  # type: ignore[no-untyped-call]
        return str(
            generate_signed_url_v4(
                who.credentials,
                resource,
                expiration=timedelta(seconds=expires_in),
                service_account_email=email,
                access_token=who.credentials.token,
                api_access_endpoint=endpoint,
            )
        )
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise translate_exception(exc, bucket=bucket, key=key) from exc
