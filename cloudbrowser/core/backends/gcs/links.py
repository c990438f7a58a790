"""Share links: V4 signed URLs (google-cloud-storage builds them).

Who signs (:func:`signer_of`, decided at a connection's first link):

* a service-account key signs here, no request sent, as its own account;
* anything else asks IAM Credentials' ``signBlob`` (:class:`IamSigner`; the private key
  stays with Google) to sign as a service account:

  - the one the connection's ``sign_links_as`` names ("Sign links as", ``presign
    --sign-as``): how a user's own sign-in (a user's application default credentials, the
    browser sign-in) shares links, since a person has no key. The signed-in account needs
    the Service Account Token Creator role on it;
  - else, for an ``impersonated_service_account`` credentials file (gcloud's
    ``--impersonate-service-account``), the account it impersonates (the file's
    ``service_account_impersonation_url``);
  - else the credentials' own service account (a metadata server's, Cloud Shell's,
    workload identity).

  A user's sign-in that names no account cannot sign, and says what to set.

Who asks IAM: a person (a user's sign-in, or the one who impersonates) with their own
token, renewed by google-auth, scoped for IAM (the connection's storage token is scoped to
storage alone: ``auth.SCOPES``); a service account with the connection's own session. Each
through ``auth.session`` (the connection's TLS settings, proxy and retries) and
``GcsBackend.send``; :data:`IAM_ENDPOINT` is where, which tests point at a stub.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from google.auth import impersonated_credentials
from google.auth.credentials import Credentials as GoogleCredentials
from google.auth.credentials import Signing
from google.auth.transport.requests import Request
from google.cloud.storage._signing import generate_signed_url_v4
from google.oauth2 import credentials as user_credentials

from cloudbrowser.core.backends.gcs import auth
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
#: What a person's token needs for ``signBlob`` (Google: iam or cloud-platform); the
#: browser sign-in and ``gcloud auth application-default login`` consent to it.
IAM_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
#: Where "Sign links as" is set, for messages.
SIGN_AS_HINT = (
    "set “Sign links as” in the connection (on the command line: presign --sign-as EMAIL) "
    "to a service account on which you have the Service Account Token Creator role"
)


def signed_url(backend: GcsBackend, bucket: str, key: str, expires_in: int) -> str:
    """A GET URL for ``expires_in`` seconds. Raises NotSupported where nothing can sign,
    AccessDenied where IAM refuses to sign for the service account, NotFound where there is
    no such service account."""
    resource = f"/{quote(bucket, safe='')}/{quote(key, safe='/~')}"
    # An emulator serves path-style object URLs at its own address.
    endpoint = backend.base if backend.emulator else "https://storage.googleapis.com"
    try:
        return str(
            generate_signed_url_v4(
                backend.link_signer,
                resource,
                expiration=timedelta(seconds=expires_in),
                api_access_endpoint=endpoint,
            )
        )
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise backend.translated(exc, bucket, key) from exc


def signer_of(backend: GcsBackend) -> Signing:
    """What signs the connection's share links (see the module's docstring)."""
    who = backend.identity
    if who.signer is not None:
        return who.signer  # a key: it signs as its own account
    credentials = who.credentials
    if credentials is None:  # an emulator's or a public bucket's unsigned requests
        raise NotSupported(
            "This connection sends unsigned requests: without a key it cannot sign share links.",
            hint="Use a connection with a service-account key (or application default "
            "credentials of a service account).",
            code="NotImplemented",
        )
    named = backend.settings.sign_links_as.strip()
    if isinstance(credentials, impersonated_credentials.Credentials):
        # The one who impersonates asks IAM, as google-auth's own signing does.
        source: GoogleCredentials = credentials._source_credentials
        caller = _person_for_iam(source) or source
        if named:
            return IamSigner(backend, named, caller)
        return IamSigner(
            backend,
            str(credentials.signer_email),
            caller,
            delegates=credentials._delegates or (),
        )
    if named:
        return IamSigner(backend, named, _person_for_iam(credentials))
    if isinstance(credentials, Signing):  # credentials that sign by themselves
        return credentials
    return IamSigner(backend, _service_account_email(credentials))


def _person_for_iam(credentials: GoogleCredentials) -> GoogleCredentials | None:
    """A person's sign-in that can renew its token, as a sign-in whose tokens IAM takes:
    the same user, scoped for IAM. None for others (they ask with the connection's own
    session)."""
    if not isinstance(credentials, user_credentials.Credentials) or not credentials.refresh_token:
        return None
    scoped: GoogleCredentials = user_credentials.Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=credentials.refresh_token,
        token_uri=credentials.token_uri,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        scopes=IAM_SCOPES,
        quota_project_id=credentials.quota_project_id,
        rapt_token=credentials.rapt_token,
    )
    return scoped


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
            hint=f"To share links, {SIGN_AS_HINT}; or use a connection with a service-account key.",
            code="NotImplemented",
        )
    return email


class IamSigner(Signing):
    """Signs as ``email`` through IAM Credentials' ``signBlob`` (the private key stays
    with Google): what google-cloud-storage's V4 signing asks of a key.

    ``caller``: the credentials that ask (a person's, scoped for IAM), through a session of
    their own; None: the connection's own session. ``delegates``: the chain of an
    impersonated account (IAM's ``delegates``)."""

    def __init__(
        self,
        backend: GcsBackend,
        email: str,
        caller: GoogleCredentials | None = None,
        *,
        delegates: Sequence[str] = (),
    ) -> None:
        self._backend = backend
        self._email = email
        self._caller = caller
        self._delegates = list(delegates)
        self._lock = threading.Lock()
        self._http: requests.Session | None = None

    @property
    def signer_email(self) -> str:
        return self._email

    @property
    def signer(self) -> None:
        return None  # no google.auth signer object: sign_bytes asks IAM

    def _session(self) -> requests.Session | None:
        if self._caller is None:
            return None
        with self._lock:
            if self._http is None:
                who = auth.Identity(self._caller, "", None)
                self._http = auth.session(self._backend.settings, who)
            return self._http

    def sign_bytes(self, message: bytes) -> bytes:
        """The RSA-SHA256 signature IAM makes with the service account's key."""
        url = (
            f"{IAM_ENDPOINT}/v1/projects/-/serviceAccounts/{quote(self._email, safe='@')}:signBlob"
        )
        payload: dict[str, Any] = {"payload": base64.b64encode(message).decode("ascii")}
        if self._delegates:
            payload["delegates"] = self._delegates
        try:
            reply = self._backend.send("POST", url, json=payload, via=self._session())
        except AccessDenied as error:
            raise self._denied(error) from error
        except NotFound as error:
            raise NotFound(
                f"There is no service account {self._email} to sign share links as.",
                hint="Check the email in the connection's “Sign links as” (presign "
                "--sign-as): a service account's is NAME@PROJECT.iam.gserviceaccount.com.",
                detail=error.detail,
                code="NoSuchServiceAccount",
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

    def _denied(self, error: AccessDenied) -> AccessDenied:
        if "scope" in error.detail.lower():
            # A sign-in that consented to storage alone: IAM takes none of its tokens.
            return AccessDenied(
                f"This sign-in may not ask Google's IAM to sign share links as {self._email}: "
                "it was given access to storage only.",
                hint="Sign in again with access to Google Cloud (“gcloud auth "
                "application-default login”, or the connection's browser sign-in).",
                detail=error.detail,
                code="SignBlobDenied",
            )
        return AccessDenied(
            f"Google's IAM refused to sign a share link as {self._email}.",
            hint="The signed-in account needs the Service Account Token Creator role "
            f"(iam.serviceAccounts.signBlob) on {self._email}: Google Cloud console → IAM & "
            "Admin → Service accounts → that account → Permissions. Or use a connection "
            "with a service-account key.",
            detail=error.detail,
            code="SignBlobDenied",
        )
