"""The hot path of Azure: Get Blob, and a small file's Put Blob, signed here and sent
through ``backends/http_pool.py`` (the standard library's sockets: urllib3 cost ~0.3–0.5 ms
more CPU per request, all of it holding the interpreter lock).

azure-core's pipeline spends ~2 ms of CPU on every request (a dozen policies, the
StorageStreamDownloader's first-range dance, its deserializer), and reads a blob in
8 MiB GETs joined into new bytes: a small file's download is one such request, a big
one many. Here one GET asks for the whole range the engine wants and its body is
streamed as it arrives; a small file's upload is one PUT (~1.8 ms of the client's CPU
through the SDK). Signed as the SDK signs (``SharedKey``: HMAC-SHA256 of the
canonical request with the account key; a SAS: its query string; anonymous: nothing).
Only the success is handled here: any other answer (an error, a 304/412, a 416) and any
failure to connect give :class:`Fallback`, and the backend asks again through the SDK,
whose errors its one table translates; every retry is the SDK's. Entra ID sign-ins
(tokens), a proxy in the environment, and ``CLOUDBROWSER_FAST_PATH=0`` leave every
request to the SDK.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import threading
from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from cloudbrowser import __version__
from cloudbrowser.core.backends import http_pool
from cloudbrowser.core.backends.azure.errors import Where, translate_error
from cloudbrowser.core.backends.azure.listing import md5_hex
from cloudbrowser.core.backends.http_pool import Pools, Timeouts, whole_reply
from cloudbrowser.core.backends.transport import ca_bundle, proxied
from cloudbrowser.core.errors import Cancelled

if TYPE_CHECKING:
    import ssl

#: ``CLOUDBROWSER_FAST_PATH=0`` sends every request through the SDK.
FAST_PATH_ON = os.environ.get("CLOUDBROWSER_FAST_PATH", "1") != "0"
#: What the requests of this path say they come from.
USER_AGENT = f"cloudbrowser/{__version__}"
#: The standard headers in a SharedKey string to sign, in order.
_SIGNED = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)


#: A Put Blob's reply has no body; more than this is not the service's answer.
_MAX_REPLY = 64 * 1024


class Fallback(Exception):
    """This request is the SDK's to make (see the module's docstring)."""


class FastRequests:
    """Get Blob and Put Blob for one account: its URL, how requests are signed, one
    connection pool."""

    def __init__(
        self,
        account_url: str,
        *,
        account: str = "",
        key: str = "",
        sas: str = "",
        api_version: str,
        verify_tls: bool | str,
        pool_size: int,
        timeouts: tuple[float, float],
    ) -> None:
        parts = urlsplit(account_url)
        self._scheme, self._host, self._port = parts.scheme, parts.hostname or "", parts.port
        self._root = parts.path.rstrip("/")
        self._account = account
        self._key = base64.b64decode(key) if key else b""
        self._sas = sas.lstrip("?")
        self._version = api_version
        self._verify = verify_tls
        self._pool_size = pool_size
        self._timeouts = Timeouts(*timeouts)
        self._lock = threading.Lock()
        self._pool: Pools | None = None

    @classmethod
    def of(
        cls, service: Any, *, verify_tls: bool | str, pool_size: int, timeouts: tuple[float, float]
    ) -> FastRequests | None:
        """The fast path of a BlobServiceClient, or None when the SDK must read: a token
        credential (Entra ID), a proxy, the environment's switch."""
        if not FAST_PATH_ON:
            return None
        url, _, query = service.primary_endpoint.partition("?")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or proxied(parts.hostname):
            return None
        credential = service.credential
        options: dict[str, str] = {}
        if credential is None:
            # Anonymous, or a connection string's SAS, which the SDK keeps in its URL.
            options = {"sas": query} if query else {}
        elif hasattr(credential, "account_key") and hasattr(credential, "account_name"):
            options = {"account": credential.account_name, "key": credential.account_key}
        elif hasattr(credential, "signature"):  # AzureSasCredential
            options = {"sas": credential.signature}
        else:
            return None
        return cls(
            url,
            api_version=service.api_version,
            verify_tls=verify_tls,
            pool_size=pool_size,
            timeouts=timeouts,
            **options,
        )

    def _connections(self) -> Pools:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    verify = self._verify

                    def tls() -> ssl.SSLContext:
                        bundle = ca_bundle(verify) if verify else None
                        return http_pool.tls_context(bool(verify), bundle)

                    # Its connections' sending and wait for a reply a stop breaks off: a
                    # transfer's GET needs no thread of its own.
                    self._pool = Pools(
                        self._timeouts,
                        tls=tls,
                        maxsize=max(4, self._pool_size),
                        user_agent=USER_AGENT,
                    )
        return self._pool

    def get(
        self,
        container: str,
        blob: str,
        *,
        start: int,
        end: int | None,
        if_match: str,
        version_id: str,
        where: Where,
        range_md5: bool = False,
    ) -> FastReader:
        """Get Blob (bytes ``start``..``end``; with ``range_md5``, and a range, the MD5 of
        those bytes). Raises Fallback."""
        headers: dict[str, str] = {}
        if start or end is not None:
            headers["x-ms-range"] = f"bytes={start}-{'' if end is None else end}"
            if range_md5:
                headers["x-ms-range-get-content-md5"] = "true"
        if if_match:
            headers["If-Match"] = if_match
        query: list[tuple[str, str]] = [("versionid", version_id)] if version_id else []
        reply = self._send("GET", container, blob, headers, query, b"")
        length = reply.headers.get("content-length", "")
        if reply.status not in (200, 206) or not length.isdigit():
            reply.close()
            raise Fallback
        ranged = reply.status == 206
        return FastReader(reply, int(length), where, ranged=ranged, range_md5=ranged and range_md5)

    def put(
        self,
        container: str,
        blob: str,
        data: bytes,
        *,
        content_md5: str,
        content_type: str,
        if_match: str = "",
        create_only: bool = False,
    ) -> str:
        """Put Blob: a block blob of ``data`` over whatever blob has the name (as the SDK's
        ``upload_blob(overwrite=True)`` sends it), or only where none has it
        (``create_only``); its ETag. Raises Fallback (the SDK then sends it again: a
        refusal is its to say), Cancelled (a stop inside ``core/interrupt.stoppable``)."""
        headers = {"x-ms-blob-type": "BlockBlob", "Content-Length": str(len(data))}
        if content_md5:
            headers["Content-MD5"] = content_md5  # the service refuses a body that differs
        if content_type:
            headers["x-ms-blob-content-type"] = content_type
        if if_match:
            headers["If-Match"] = if_match
        if create_only:
            headers["If-None-Match"] = "*"
        reply = self._send("PUT", container, blob, headers, [], data)
        if reply.status != 201:
            reply.close()  # an error's body is read when the SDK asks again
            raise Fallback
        # None, or nothing that matters: drained, so that the connection is reused.
        if whole_reply(reply, _MAX_REPLY) is None:
            raise Fallback
        return str(reply.headers.get("etag", "")).strip('"')

    def _send(
        self,
        method: str,
        container: str,
        blob: str,
        headers: dict[str, str],
        query: list[tuple[str, str]],
        body: bytes,
    ) -> http_pool.Reply:
        """One request for a blob, dated and signed; its reply, unread, whatever its
        status. Raises Fallback when it could not be sent or answered."""
        # Quoted as the SDK quotes a container and a blob name in its URLs.
        path = f"{self._root}/{quote(container)}/{quote(blob, safe='~/')}"
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": self._version, **headers}
        if self._key:
            headers["Authorization"] = self._shared_key(method, path, headers, query)
        search = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
        if self._sas:
            search = f"{self._sas}&{search}" if search else self._sas
        target = f"{path}?{search}" if search else path
        try:
            pool = self._connections().to(self._scheme, self._host, self._port)
            # Not retried here: a failure falls back to the SDK, which retries it.
            return pool.request(method, target, headers, body)
        except http_pool.HTTPError as exc:
            raise Fallback from exc

    def _shared_key(
        self, method: str, path: str, headers: dict[str, str], query: list[tuple[str, str]]
    ) -> str:
        """``SharedKey account:signature``, the string to sign built as the SDK's
        SharedKeyCredentialPolicy builds it."""
        lowered = {name.lower(): value for name, value in headers.items()}
        if lowered.get("content-length") == "0":
            lowered["content-length"] = ""  # signed empty since version 2015-02-21
        lines = [method, *(lowered.get(name, "") for name in _SIGNED)]
        canonical_headers = "".join(
            f"{name}:{value}\n"
            for name, value in sorted(lowered.items())
            if name.startswith("x-ms-")
        )
        resource = f"/{self._account}{path}" + "".join(
            f"\n{name.lower()}:{unquote(value)}" for name, value in sorted(query)
        )
        to_sign = "\n".join(lines) + "\n" + canonical_headers + resource
        digest = hmac.new(self._key, to_sign.encode(), hashlib.sha256).digest()
        return f"SharedKey {self._account}:{base64.b64encode(digest).decode()}"


class FastReader:
    """A Get Blob reply's body, streamed; the same attributes as AzureReader's."""

    def __init__(
        self,
        reply: http_pool.Reply,
        length: int,
        where: Where,
        *,
        ranged: bool,
        range_md5: bool = False,
    ) -> None:
        self._reply = reply
        self._where = where
        self._aborted = False
        headers = reply.headers
        self.size = length
        self.etag = headers.get("etag", "").strip('"')
        self.modified = _http_date(headers.get("last-modified", ""))
        self.content_type = headers.get("content-type", "")
        self.content_range = _content_range(headers.get("content-range", "")) if ranged else None
        # The whole blob's MD5 (a ranged reply names it in x-ms-blob-content-md5; a whole
        # one's Content-MD5 is the blob's own); Azure keeps no CRC of a blob.
        stored = headers.get("x-ms-blob-content-md5") or (
            "" if ranged else headers.get("content-md5", "")
        )
        self.md5 = md5_hex(stored)
        self.crc32c = ""
        # A ranged reply's Content-MD5 is its range's, and only when asked for.
        self.range_md5 = md5_hex(headers.get("content-md5", "")) if range_md5 else ""

    def read(self, amount: int) -> bytes:
        """Up to ``amount`` bytes (the rest for a negative one); b"" at the end. Raises
        Cancelled after abort(), and the SDK's errors translated (a body cut short)."""
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        try:
            # No count of its own: a body that ends before its length raises BodyCutShort.
            data = self._reply.read(None if amount < 0 else amount)
        except Exception as exc:
            if self._aborted:
                raise Cancelled("Reading was stopped.") from exc
            from azure.core.exceptions import ServiceResponseError

            failure = ServiceResponseError(f"The reply broke off: {exc}", error=exc)
            raise translate_error(failure, self._where) from exc
        if self._aborted:
            raise Cancelled("Reading was stopped.")
        return data

    def abort(self) -> None:
        self._aborted = True
        with contextlib.suppress(Exception):  # already closed: nothing to stop
            self._reply.shutdown()

    def __enter__(self) -> FastReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        # A body read to its end has given its connection back already; one left
        # unread closes it (never reused with bytes in flight).
        self._reply.release()


def _content_range(text: str) -> tuple[int, int, int] | None:
    """``bytes 2-4/10`` → (2, 4, 10); None when absent or unreadable."""
    try:
        span, _, total = text.removeprefix("bytes ").partition("/")
        first, _, last = span.partition("-")
        return int(first), int(last), int(total) if total != "*" else -1
    except ValueError:
        return None


def _http_date(value: str) -> float:
    try:
        return parsedate_to_datetime(value).timestamp() if value else 0.0
    except (TypeError, ValueError):
        return 0.0
