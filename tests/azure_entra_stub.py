"""A small stand-in for Azure Blob Storage signed into with Entra ID, for what Azurite
cannot show: it has no Entra ID (no bearer tokens without TLS and ``--oauth``) and gives
no user delegation keys, so the user-delegation SAS that an Entra ID connection signs its
share links and copy sources with cannot be checked against it.

Served over HTTPS (azure-core sends a bearer token over TLS only) with a certificate made
for 127.0.0.1. What it answers, as Azure documents it:

* Every request without a SAS must carry ``Authorization: Bearer`` :data:`TOKEN` (401
  ``InvalidAuthenticationInfo`` otherwise).
* Get User Delegation Key (``POST ?restype=service&comp=userdelegationkey``, a
  ``KeyInfo`` body): the ``UserDelegationKey`` XML in the shape Azure's reference records
  (``SignedOid``, ``SignedTid``, ``SignedStart``/``SignedExpiry`` as asked,
  ``SignedService`` b, ``SignedVersion``, and a ``Value`` derived from those, as Azure
  derives it: the same fields give the same key); or 403 with
  ``Account.refuse_key`` as its error code, as Azure answers a user without a role that
  may get one. A key ending beyond 7 days after the stub's now (``Account.clock_behind``:
  Azure's clock behind the machine's), or lasting longer than 7 days, is refused (400),
  as Azure refuses it.
* Get Blob with a SAS, Copy Blob and Put Block From URL (``x-ms-copy-source``, whose SAS
  is the source's): the user-delegation SAS is verified as Azure verifies one (its key
  fields name a key given out here, it is within its times and its key's, it grants
  reading, and its signature is the HMAC-SHA256, by the key's value, of the string to sign
  of its version: :func:`string_to_sign`), 403 ``AuthenticationFailed`` otherwise (for a
  copy, ``CannotVerifyCopySource``). A Put Blob through a SAS without ``w`` is 403
  ``AuthorizationPermissionMismatch``.
* HEAD: a blob's properties.
* Entra ID's device-code sign-in, at ``https://127.0.0.1:PORT/`` :data:`TID` as its
  authority: the OpenID configuration MSAL reads first, the device code
  (``oauth2/v2.0/devicecode``: a code that lasts 15 minutes, polled every
  ``Account.poll_interval`` seconds), and the token endpoint, which answers
  ``authorization_pending`` to every poll (nobody approves): a sign-in polls it until it
  is stopped or the code expires. ``Account.token_polls`` counts the polls.

``Account.requests`` records what was sent, ``Account.keys`` each key given out and
``Account.copies`` each copy's source URL, for the tests to read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import ssl
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from azure.core.credentials import AccessToken

from cloudbrowser.core.backends.azure import entra
from cloudbrowser.core.connection import ConnectionSettings

ACCOUNT = "stubaccount"
CONTAINER = "papers"
#: The access token the tests' stand-in credential gives and the stub expects.
TOKEN = "entra-token-for-the-stub"
#: The Entra ID object and tenant a key is given for.
OID = "6f1a2b3c-0000-4000-8000-00000000a11c"
TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
#: The first SAS version whose user-delegation string to sign has the delegated-user
#: fields (skdutid, sduoid); the SDK signs with a later one.
SIGNED_FIELDS_SINCE = "2025-07-05"
_WHEN = "%Y-%m-%dT%H:%M:%SZ"
#: Entra ID's token endpoint, below the tenant.
_TOKEN = "oauth2/v2.0/token"
#: What the stub's keys are derived from (the account's secret, in Azure).
_SECRET = os.urandom(32)


def when(text: str) -> datetime:
    return datetime.strptime(text, _WHEN).replace(tzinfo=UTC)


def string_to_sign(fields: Mapping[str, str], canonical: str) -> str:
    """The string a user-delegation SAS signs, for version 2025-07-05 and later, field by
    field as Azure's "Create a user delegation SAS" lists it; ``canonical`` is
    ``/blob/ACCOUNT/CONTAINER/BLOB``. Fields the SAS does not carry are empty lines."""
    names = (
        "sp st se",
        None,  # the canonicalized resource
        "skoid sktid skt ske sks skv saoid suoid scid skdutid sduoid",
        "sip spr sv sr snapshot ses srh srq rscc rscd rsce rscl rsct",
    )
    lines: list[str] = []
    for group in names:
        if group is None:
            lines.append(canonical)
        else:
            lines.extend(fields.get(name, "") for name in group.split())
    return "\n".join(lines)


def signature(key_value: str, text: str) -> str:
    """HMAC-SHA256 of ``text`` by the (base64) key, base64: a SAS's ``sig``."""
    digest = hmac.new(base64.b64decode(key_value), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Key:
    """A user delegation key the stub gave out."""

    oid: str
    tid: str
    start: str
    expiry: str
    service: str
    version: str
    value: str

    def named_by(self, fields: Mapping[str, str]) -> bool:
        return (
            fields.get("skoid"),
            fields.get("sktid"),
            fields.get("skt"),
            fields.get("ske"),
            fields.get("sks"),
            fields.get("skv"),
        ) == (self.oid, self.tid, self.start, self.expiry, self.service, self.version)


@dataclass
class Account:
    #: "container/blob" → its bytes.
    blobs: dict[str, bytes] = field(default_factory=dict)
    #: The error code Get User Delegation Key answers 403 with ("": it gives a key).
    refuse_key: str = ""
    keys: list[Key] = field(default_factory=list)
    #: (method, path, query, headers) of every request.
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = field(
        default_factory=list
    )
    #: (the copy's target "container/blob", its x-ms-copy-source) of every copy made.
    copies: list[tuple[str, str]] = field(default_factory=list)
    #: How far Azure's clock is behind the machine's (a machine clock ahead of Azure's).
    clock_behind: timedelta = timedelta(0)
    #: Seconds between a device-code sign-in's polls for its token, as Entra ID says.
    poll_interval: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> datetime:
        """Azure's time, by which it judges keys and SAS."""
        return datetime.now(UTC) - self.clock_behind

    def token_polls(self) -> int:
        """How many times a device-code sign-in has asked for its token."""
        with self.lock:
            return sum(1 for m, p, _q, _h in self.requests if m == "POST" and p.endswith(_TOKEN))

    def key_requests(self) -> list[dict[str, str]]:
        return [h for m, _p, q, h in self.requests if q.get("comp") == ["userdelegationkey"]]

    def verify(self, query: Mapping[str, list[str]], path: str, permission: str) -> str:
        """Why Azure would refuse this user-delegation SAS for ``path`` ("container/blob")
        and ``permission`` ("r", "w"); "" when it verifies."""
        fields = {name: values[0] for name, values in query.items()}
        if "skoid" not in fields:
            return "not a user-delegation SAS"
        if fields.get("sv", "") < SIGNED_FIELDS_SINCE:
            return f"a SAS version this stub does not verify: {fields.get('sv')}"
        with self.lock:
            key = next((k for k in self.keys if k.named_by(fields)), None)
        if key is None:
            return "its key fields name no key given out"
        now = self.now()
        expiry = when(fields["se"])
        if "st" in fields and now < when(fields["st"]):
            return "not valid yet"
        if now > expiry or now > when(key.expiry) or now < when(key.start):
            return "expired, or its key is"
        if expiry > when(key.expiry):
            return "it ends after its delegation key"
        if fields.get("sr") != "b":
            return "not a blob SAS"
        if permission not in fields.get("sp", ""):
            return f"it does not grant {permission}"
        text = string_to_sign(fields, f"/blob/{ACCOUNT}/{path}")
        if not hmac.compare_digest(signature(key.value, text), fields.get("sig", "")):
            return "Signature did not match"
        return ""


class _Stub(BaseHTTPRequestHandler):
    account: Account

    def log_message(self, *_args: object) -> None:
        pass

    def _record(self) -> tuple[str, dict[str, list[str]], bytes]:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = unquote(url.path).removeprefix(f"/{ACCOUNT}").lstrip("/")
        with self.account.lock:
            self.account.requests.append((self.command, path, query, headers))
        return path, query, body

    def _reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        sent = {
            "x-ms-version": self.headers.get("x-ms-version", "2026-10-06"),
            "x-ms-request-id": "stub",
            "Content-Length": str(len(body)),
        }
        # A HEAD's Content-Length is the blob's, given in ``headers``.
        sent.update({name.replace("_", "-"): value for name, value in headers.items()})
        for name, value in sent.items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>"
        ).encode()
        self._reply(status, body, Content_Type="application/xml", x_ms_error_code=code)

    def _signed_in(self, query: Mapping[str, list[str]]) -> bool:
        if "sig" in query:
            return True  # a SAS: verified where it is used
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self._error(401, "InvalidAuthenticationInfo", "Authentication information is not given.")
        return False

    def _entra(self, path: str) -> bool:
        """Entra ID's answers to a device-code sign-in (True), or not Entra's path."""
        if not path.startswith(f"{TID}/"):
            return False
        base = f"https://127.0.0.1:{self.server.server_port}/{TID}"
        if path.endswith("/.well-known/openid-configuration"):
            reply = {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/{_TOKEN}",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            }
        elif path.endswith("/oauth2/v2.0/devicecode"):
            reply = {
                "device_code": "stub-device-code",
                "user_code": "STUB-CODE",
                "verification_uri": f"{base}/devicelogin",
                "expires_in": 900,
                "interval": self.account.poll_interval,
                "message": "Enter STUB-CODE.",
            }
        elif path.endswith(_TOKEN):
            body = {"error": "authorization_pending", "error_description": "Not approved yet."}
            self._reply(400, json.dumps(body).encode(), Content_Type="application/json")
            return True
        else:
            self._error(404, "UnsupportedByStub", "Not answered by the stub.")
            return True
        self._reply(200, json.dumps(reply).encode(), Content_Type="application/json")
        return True

    def do_POST(self) -> None:
        path, query, body = self._record()
        if self._entra(path):
            return
        if not self._signed_in(query):
            return
        if query.get("comp") != ["userdelegationkey"] or query.get("restype") != ["service"]:
            self._error(400, "UnsupportedByStub", "Not answered by the stub.")
            return
        if self.account.refuse_key:
            self._error(
                403,
                self.account.refuse_key,
                "This request is not authorized to perform this operation using this permission.",
            )
            return
        text = body.decode()
        start, expiry = (
            re.search(f"<{tag}>([^<]*)</{tag}>", text).group(1)  # type: ignore[union-attr]
            for tag in ("Start", "Expiry")
        )
        # Azure: a key ends within 7 days of its own now, and lasts at most 7 days.
        week = timedelta(days=7)
        if when(expiry) > self.account.now() + week or when(expiry) - when(start) > week:
            self._error(
                400,
                "InvalidXmlNodeValue",
                "The value for one of the XML nodes is not in the correct format.",
            )
            return
        version = self.headers.get("x-ms-version", "")
        # Azure derives the key from what names it (a SAS carries those fields and the
        # service finds the key again from them): the same fields, the same value.
        named = "\n".join((OID, TID, start, expiry, "b", version)).encode()
        value = base64.b64encode(hmac.new(_SECRET, named, hashlib.sha256).digest()).decode()
        key = Key(OID, TID, start, expiry, "b", version, value)
        with self.account.lock:
            self.account.keys.append(key)
        reply = (
            '<?xml version="1.0" encoding="utf-8"?><UserDelegationKey>'
            f"<SignedOid>{key.oid}</SignedOid><SignedTid>{key.tid}</SignedTid>"
            f"<SignedStart>{key.start}</SignedStart><SignedExpiry>{key.expiry}</SignedExpiry>"
            f"<SignedService>{key.service}</SignedService>"
            f"<SignedVersion>{key.version}</SignedVersion><Value>{key.value}</Value>"
            "</UserDelegationKey>"
        ).encode()
        self._reply(200, reply, Content_Type="application/xml")

    def do_GET(self) -> None:
        path, query, _body = self._record()
        if self._entra(path):
            return
        if not self._signed_in(query):
            return
        if "sig" in query:
            refused = self.account.verify(query, path, "r")
            if refused:
                self._error(403, "AuthenticationFailed", refused)
                return
        data = self.account.blobs.get(path)
        if data is None:
            self._error(404, "BlobNotFound", "The specified blob does not exist.")
            return
        self._reply(200, data, Content_Type="application/octet-stream", **self._properties(data))

    def do_HEAD(self) -> None:
        path, query, _body = self._record()
        if not self._signed_in(query):
            return
        data = self.account.blobs.get(path)
        if data is None:
            self._reply(404, x_ms_error_code="BlobNotFound")
            return
        self._reply(200, **self._properties(data))

    def do_PUT(self) -> None:
        path, query, body = self._record()
        if not self._signed_in(query):
            return
        source = self.headers.get("x-ms-copy-source", "")
        if "sig" in query:
            refused = self.account.verify(query, path, "w")
            if refused:
                code = "AuthorizationPermissionMismatch" if "grant" in refused else ""
                self._error(403, code or "AuthenticationFailed", refused)
                return
        if not source:
            self.account.blobs[path] = body
            self._reply(201, ETag='"0xPUT"', Last_Modified=_modified())
            return
        parts = urlsplit(source)
        source_path = unquote(parts.path).removeprefix(f"/{ACCOUNT}").lstrip("/")
        refused = self.account.verify(parse_qs(parts.query), source_path, "r")
        if refused:
            self._error(
                403 if query.get("comp") == ["block"] else 409,
                "CannotVerifyCopySource",
                f"Server failed to authenticate the request. {refused}",
            )
            return
        data = self.account.blobs.get(source_path, b"")
        with self.account.lock:
            self.account.copies.append((path, source))
        if query.get("comp") == ["block"]:  # Put Block From URL
            first, _, last = (
                self.headers.get("x-ms-source-range", "").removeprefix("bytes=").partition("-")
            )
            block = data[int(first) : int(last) + 1]
            md5 = base64.b64encode(hashlib.md5(block).digest()).decode()
            self._reply(201, Content_MD5=md5, x_ms_request_server_encrypted="true")
            return
        self.account.blobs[path] = data  # Copy Blob, done at once within one account
        self._reply(
            202,
            ETag='"0xC0PY"',
            Last_Modified=_modified(),
            x_ms_copy_id=str(uuid.uuid4()),
            x_ms_copy_status="success",
        )

    @staticmethod
    def _properties(data: bytes) -> dict[str, str]:
        return {
            "Content_Length": str(len(data)),
            "ETag": '"0x8DC0FFEE"',
            "Last_Modified": _modified(),
            "x_ms_blob_type": "BlockBlob",
            "Content_MD5": base64.b64encode(hashlib.md5(data).digest()).decode(),
        }


def _modified() -> str:
    return "Sat, 01 Jun 2024 10:00:00 GMT"


class StandInEntra:
    """azure-identity's credential stood in for (no sign-in): a fixed token."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


def stand_in_signed(monkeypatch: pytest.MonkeyPatch, settings: ConnectionSettings) -> None:
    """The connection of ``settings`` signed in, its credential the stand-in, as a
    sign-in earlier in this run would have left it."""
    monkeypatch.setattr(entra, "_signed_in", {entra.record_path(settings): StandInEntra()})


@dataclass
class Served:
    """The stub serving an account over HTTPS: the settings of an Entra ID connection to it
    (``verify_tls``: the stub's own certificate) and an SSL context that trusts it."""

    port: int
    cert: Path

    def settings(self, auth: str = "entra_default") -> ConnectionSettings:
        return ConnectionSettings(
            name="stub entra",
            kind="azure",
            endpoint_url=f"https://127.0.0.1:{self.port}/{ACCOUNT}",
            auth=auth,
            account=ACCOUNT,
            verify_tls=str(self.cert),
            max_attempts=1,
            connect_timeout=5.0,
            read_timeout=10.0,
        )

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@contextmanager
def serving(account: Account, cert: Path, key: Path) -> Iterator[Served]:
    """The stub on https://127.0.0.1 for the time of the ``with``."""
    handler = type("Handler", (_Stub,), {"account": account})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server.server_port, cert)
    finally:
        server.shutdown()
        server.server_close()
