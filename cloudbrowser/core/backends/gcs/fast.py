"""The hot path of GCS: an object's bytes (``alt=media``) read, and a small object's
multipart upload sent, through urllib3 directly.

``requests`` spends ~0.6 ms of CPU on every request (merging the environment's proxy and
CA settings, hooks, its own Response), urllib3 alone ~0.3: a small file's download is one
such request, so this is half of the backend's cost per file (tests/bench/run.py gcs);
a small file's upload likewise.
The request is the one the ``requests`` session would send — the same URL, headers,
bearer token (google-auth's ``before_request``, which renews it) or none — and only its
success is handled here, once (retries are the session's): any other answer (an error, a
416, a 401 that wants a renewed token) and any failure to connect give
:class:`Fallback`, and the backend sends the request again through ``requests``, whose
replies its one error table translates. A proxy in the environment leaves every read to
``requests``; a CA bundle it names (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) is honoured here.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import urllib3

from cloudbrowser.core.backends.breakable import BREAKABLE_POOLS, whole_reply
from cloudbrowser.core.backends.transport import ca_options, proxied
from cloudbrowser.core.interrupt import elsewhere

if TYPE_CHECKING:
    from google.auth.credentials import Credentials as GoogleCredentials

    from cloudbrowser.core.connection import ConnectionSettings

#: ``CLOUDBROWSER_FAST_PATH=0`` sends every request through ``requests`` (to compare, or
#: to rule this path out when something misbehaves); the S3 backend honours it too.
FAST_PATH_ON = os.environ.get("CLOUDBROWSER_FAST_PATH", "1") != "0"


#: An upload's reply is its object's resource (~1 KB of JSON); more is not GCS's answer.
_MAX_REPLY = 1 << 20


class Fallback(Exception):
    """This request is the ``requests`` session's to make (see the module's docstring)."""


class FastRequests:
    """One connection's pool for object reads and small uploads (made at the first)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        credentials: GoogleCredentials | None,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._timeout = urllib3.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout
        )
        self._lock = threading.Lock()
        self._pool: urllib3.PoolManager | None = None
        self._auth_request: Any = None

    @staticmethod
    def usable(base: str) -> bool:
        """Whether requests to ``base`` may skip ``requests``: no proxy from the environment
        that ``requests`` would go through."""
        return FAST_PATH_ON and not proxied(urlsplit(base).hostname or "")

    def _connections(self) -> urllib3.PoolManager:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    options: dict[str, Any] = {
                        "maxsize": max(4, self._settings.max_pool_connections)
                    }
                    if self._settings.verify_tls:
                        options.update(
                            cert_reqs="CERT_REQUIRED", **ca_options(self._settings.verify_tls)
                        )
                    else:
                        options["cert_reqs"] = "CERT_NONE"
                    pool = urllib3.PoolManager(num_pools=4, **options)
                    # Connections whose wait for a reply a stop breaks off (see
                    # backends/breakable.py): a transfer's GET needs no thread of its own.
                    pool.pool_classes_by_scheme = BREAKABLE_POOLS
                    self._pool = pool
        return self._pool

    def _authorize(self, method: str, url: str, headers: dict[str, str]) -> None:
        """The bearer token (renewed by google-auth when due), as AuthorizedSession adds it.
        A renewal is a request of its own that cannot be broken off: inside a transfer's
        read (``core/interrupt.stoppable``) it runs on a runner."""
        credentials = self._credentials
        if credentials is None:
            return
        if self._auth_request is None:
            from google.auth.transport.requests import Request

            self._auth_request = Request()
        request = self._auth_request

        def authorize() -> None:
            credentials.before_request(request, method, url, headers)  # type: ignore[no-untyped-call]

        if credentials.valid:
            authorize()  # the token it holds: no request
        else:
            elsewhere(authorize)

    def get(
        self, base: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> urllib3.BaseHTTPResponse:
        """GET ``base`` + ``path`` (already quoted) with ``params``: the reply, unread, when
        the server answered 200 or 206 with a length. Raises Fallback, and google-auth's
        errors (renewing a token)."""
        reply = self._send("GET", base, path, params, headers, None)
        length = reply.headers.get("content-length", "")
        if reply.status not in (200, 206) or not length.isdigit():
            reply.close()  # its body unread (an error's, or one of unknown length)
            raise Fallback
        return reply

    def post(
        self, base: str, path: str, params: dict[str, str], headers: dict[str, str], body: bytes
    ) -> bytes:
        """POST ``body`` to ``base`` + ``path`` (already quoted) with ``params``: the reply's
        body when the server answered 200. Raises Fallback (then ``requests`` sends the
        upload again: a new object of the same bytes, as its own retry would),
        Cancelled (a stop inside ``core/interrupt.stoppable``), and google-auth's errors."""
        reply = self._send("POST", base, path, params, headers, body)
        if reply.status != 200:
            reply.close()  # an error's body is read when requests asks again
            raise Fallback
        data = whole_reply(reply, _MAX_REPLY)
        if data is None:
            raise Fallback
        return data

    def _send(
        self,
        method: str,
        base: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        body: bytes | None,
    ) -> urllib3.BaseHTTPResponse:
        """The request, authorized; its reply, unread, whatever its status. Raises
        Fallback when it could not be sent or answered."""
        parts = urlsplit(base)
        target = f"{parts.path}{path}?{urlencode(params)}"
        headers = dict(headers)
        self._authorize(method, f"{base}{path}", headers)
        try:
            # The pool of the host, given the path as it is: a PoolManager would parse the
            # URL again and drop "." and ".." segments (already quoted here, but cheaper).
            pool = self._connections().connection_from_host(
                parts.hostname or "", parts.port, parts.scheme
            )
            return pool.urlopen(
                method,
                target,
                body=body,
                headers=headers,
                redirect=False,
                # Not retried here: a failure falls back to requests, which retries it.
                retries=False,
                timeout=self._timeout,
                preload_content=False,
                decode_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise Fallback from exc
