"""The hot path of GCS: an object's bytes (``alt=media``) read, and a small object's
multipart upload sent, through ``backends/http_pool.py`` (the standard library's sockets).

``requests`` spends ~0.6 ms of CPU on every request (merging the environment's proxy and
CA settings, hooks, its own Response) and urllib3 under it ~0.3–0.5 more, http_pool ~0.2
in all: a small file's download is one such request, so this is most of the backend's
cost per file (tests/bench/run.py gcs); a small file's upload likewise.
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

from cloudbrowser import __version__
from cloudbrowser.core.backends import http_pool
from cloudbrowser.core.backends.http_pool import Pools, Timeouts, whole_reply
from cloudbrowser.core.backends.transport import ca_bundle, proxied
from cloudbrowser.core.interrupt import elsewhere

if TYPE_CHECKING:
    import ssl

    from google.auth.credentials import Credentials as GoogleCredentials

    from cloudbrowser.core.connection import ConnectionSettings

#: ``CLOUDBROWSER_FAST_PATH=0`` sends every request through ``requests`` (to compare, or
#: to rule this path out when something misbehaves); the S3 backend honours it too.
FAST_PATH_ON = os.environ.get("CLOUDBROWSER_FAST_PATH", "1") != "0"
#: What the requests of this path say they come from.
USER_AGENT = f"cloudbrowser/{__version__}"


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
        self._timeouts = Timeouts(settings.connect_timeout, settings.read_timeout)
        self._lock = threading.Lock()
        self._pool: Pools | None = None
        self._auth_request: Any = None

    @staticmethod
    def usable(base: str) -> bool:
        """Whether requests to ``base`` may skip ``requests``: an HTTP(S) URL with a host
        (``requests`` says what is wrong with any other), and no proxy from the environment
        that ``requests`` would go through."""
        parts = urlsplit(base)
        if not FAST_PATH_ON or parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        return not proxied(parts.hostname)

    def _connections(self) -> Pools:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    verify = self._settings.verify_tls

                    def tls() -> ssl.SSLContext:
                        bundle = ca_bundle(verify) if verify else None
                        return http_pool.tls_context(bool(verify), bundle)

                    # Its connections' sending and wait for a reply a stop breaks off: a
                    # transfer's GET needs no thread of its own.
                    self._pool = Pools(
                        self._timeouts,
                        tls=tls,
                        maxsize=max(4, self._settings.max_pool_connections),
                        user_agent=USER_AGENT,
                    )
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
    ) -> http_pool.Reply:
        """GET ``base`` + ``path`` (already quoted) with ``params``: the reply, unread, when
        the server answered 200 or 206 with a length. Raises Fallback, and google-auth's
        errors (renewing a token)."""
        reply = self._send("GET", base, path, params, headers, b"")
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
        body: bytes,
    ) -> http_pool.Reply:
        """The request, authorized; its reply, unread, whatever its status. Raises
        Fallback when it could not be sent or answered."""
        parts = urlsplit(base)
        target = f"{parts.path}{path}?{urlencode(params)}"
        headers = dict(headers)
        self._authorize(method, f"{base}{path}", headers)
        try:
            pool = self._connections().to(parts.scheme, parts.hostname or "", parts.port)
            # Not retried here: a failure falls back to requests, which retries it.
            return pool.request(method, target, headers, body)
        except http_pool.HTTPError as exc:
            raise Fallback from exc
