"""The hot path of S3: GetObject, PutObject, CopyObject (and the CLI's listing) without
botocore's per-request machinery.

botocore spends ~1–1.5 ms of CPU on every request (parameter validation, the endpoint
rule set, event hooks, its parsers) while holding the GIL the window needs; a small
file's whole transfer is one such request. Here the same requests are signed (SigV4, with
the credentials object botocore refreshes, or the connection's own keys) and sent through
``backends/http_pool.py`` (the standard library's sockets; urllib3, what botocore sends
through, costs ~0.5 ms more per request there): a 4 KiB file's GET costs ~0.2 ms of CPU in
the HTTP client instead of ~1.2 in botocore.

Only what botocore decided is reused, never guessed: with a botocore client, the URL of a
bucket (endpoint rule set, addressing style) and the region it signs with come from one
presigned URL per bucket; without one (:meth:`FastPath.standalone`), only for connections
that leave botocore nothing to decide. Failures botocore retries (no connection, 5xx,
throttling) are retried here the same way, within the connection's ``max_attempts``, and
then raised as botocore's own exceptions; error replies become botocore's ``ClientError``
(:func:`fast_or`), so the S3 backend translates everything with its one table. What this
path does not handle goes to botocore instead (``Fallback``): a redirect or a
wrong-region answer (its region redirector; the bucket then stays botocore's), a reply it
cannot read, a proxy. A GET's body reads as botocore's ``StreamingBody`` does (the same
length check and exceptions), and ``abort()`` shuts its socket down the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import ipaddress
import os
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from cloudbrowser import __version__
from cloudbrowser.core.backends import http_pool
from cloudbrowser.core.backends.http_pool import Pools, Timeouts, whole_reply
from cloudbrowser.core.backends.s3.listing import NotAListing, TooManyRows, parse_list_objects_v2
from cloudbrowser.core.backends.transport import proxied
from cloudbrowser.core.checksums import content_md5, md5_of
from cloudbrowser.core.entries import ListPage
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.interrupt import pause
from cloudbrowser.core.loggers import DEBUG, logger
from cloudbrowser.core.paging import MAX_PAGE_ROWS, PageTooLarge

if TYPE_CHECKING:
    import random
    import ssl

    from mypy_boto3_s3 import S3Client

    from cloudbrowser.core.connection import ConnectionSettings, Credentials

T = TypeVar("T")
log = logger(__name__)


@functools.cache
def _jitter() -> random.Random:
    """The spread of retry waits: a generator of its own, so that the engine's threads never
    move the global ``random`` state under code that seeds it (tests, Hypothesis). Made at
    the first retry: importing ``random`` costs every command ~2 ms of its start-up."""
    import random

    return random.Random()


#: Statuses that are the server's last word on a request: raised, never sent again.
_DEFINITE = frozenset({400, 403, 404, 405, 409, 411, 412, 416, 501})
#: What botocore's "standard" retry mode retries: transient statuses, throttling codes.
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
_RETRIED_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "InternalError",
    }
)
#: botocore's longest backoff between attempts, in seconds.
_MAX_BACKOFF = 20
#: S3 error codes of a 400 that say the request went to the wrong region or host.
_WRONG_PLACE = frozenset(
    {"AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "InvalidRegion"}
)
#: At most this much of an error reply is read (S3's are under 1 KiB).
_MAX_ERROR_BODY = 64 * 1024
#: ``CLOUDBROWSER_FAST_PATH=0`` sends every request through botocore (to compare, or to
#: rule this path out when something misbehaves).
FAST_PATH_ON = os.environ.get("CLOUDBROWSER_FAST_PATH", "1") != "0"
#: Bodies from this size on go through botocore, which asks the server for
#: "100 Continue" before sending them (see backend._expect_continue_only_for_large_bodies).
FAST_PUT_LIMIT = 1024 * 1024
#: SHA-256 of no bytes, the payload hash of a request without a body.
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#: Characters SigV4 leaves unescaped in a canonical URI (S3: the key's "/" too).
_SAFE = "-_.~/"
#: What the requests of this path say they come from.
USER_AGENT = f"cloudbrowser/{__version__}"
#: Listing pages asked for before their caller asks (see FastPath.list_page): at most this
#: many wait at once, each on a connection of its own; the oldest is dropped first.
_AHEAD_MAX = 16
#: A page asked for ahead and not taken within this many seconds is dropped unread (its
#: caller stopped listing; the server may have closed the connection meanwhile).
_AHEAD_FOR = 30.0
#: What a truncated page's body says, and where its continuation token is, read before the
#: body is parsed (the parsed page has the last word).
_TRUNCATED = b"<IsTruncated>true</IsTruncated>"
_TOKEN_OPEN, _TOKEN_CLOSE = b"<NextContinuationToken>", b"</NextContinuationToken>"


_OPERATIONS = {
    ("GET", True): "GetObject",
    ("PUT", True): "PutObject",  # or CopyObject: botocore's table translates both alike
    ("GET", False): "ListObjectsV2",
    ("POST", False): "DeleteObjects",
}


@functools.cache
def _xml_safe() -> re.Pattern[str]:
    """A key or version id an XML document carries as it is: no control character (XML
    refuses most, and turns a CR into a LF), no lone surrogate. Compiled at the first
    DeleteObjects, not at every command's start."""
    return re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]*")


#: The most bytes read of a DeleteObjects reply (1,000 refused keys of 1 KiB each).
_MAX_DELETE_REPLY = 4 * 1024 * 1024


class Fallback(Exception):
    """This request is botocore's to make (see the module's docstring)."""


class ServerSaid(Exception):
    """A definite error reply, raised as botocore's ClientError by :func:`fast_or` (botocore
    is imported for it then: a command that meets no error never loads it)."""

    def __init__(self, operation: str, status: int, code: str, message: str, headers: Any):
        super().__init__(f"{operation}: {status} {code}")
        self.operation, self.status, self.code, self.message = operation, status, code, message
        self.headers = {k.lower(): v for k, v in headers.items()}

    def as_client_error(self) -> Exception:
        from botocore.exceptions import ClientError

        return ClientError(
            {
                "Error": {"Code": self.code or str(self.status), "Message": self.message},
                "ResponseMetadata": {
                    "RequestId": self.headers.get("x-amz-request-id", ""),
                    "HostId": self.headers.get("x-amz-id-2", ""),
                    "HTTPStatusCode": self.status,
                    "HTTPHeaders": self.headers,
                    "RetryAttempts": 0,
                },
            },
            self.operation,
        )


class _Retryable(Exception):
    """A failure botocore retries; ``final`` is what is raised when no attempt is left."""

    def __init__(self, final: Exception) -> None:
        super().__init__(repr(final))
        self.final = final


def _network_error(exc: http_pool.HTTPError, url: str) -> Exception:
    """botocore's exception for a failure of the connection (as its HTTP session raises
    them for urllib3's)."""
    import botocore.exceptions as bx

    if isinstance(exc, http_pool.TLSFailed):
        return bx.SSLError(endpoint_url=url, error=exc)
    if isinstance(exc, http_pool.ConnectFailed):
        return bx.EndpointConnectionError(endpoint_url=url, error=exc)
    if isinstance(exc, http_pool.ConnectTimedOut):
        return bx.ConnectTimeoutError(endpoint_url=url, error=exc)
    if isinstance(exc, http_pool.ReadTimedOut):
        return bx.ReadTimeoutError(endpoint_url=url, error=exc)
    if isinstance(exc, http_pool.ConnectionBroken):
        return bx.ConnectionClosedError(endpoint_url=url, request=None, error=exc)
    return bx.HTTPClientError(error=exc)


class Unreadable(Exception):
    """A complete listing reply that is not S3's XML: the S3 backend's UnreadableReply."""

    def __init__(self, reason: str, body: bytes) -> None:
        super().__init__(reason)
        self.reason, self.body = reason, body


def declared_longer(response: Any, body: bytes) -> bool:
    """Whether ``body`` may be less than the server sent (see backend._cut_short)."""
    if response.headers.get("Content-Encoding", "identity") not in ("", "identity"):
        return True
    declared = response.headers.get("Content-Length")
    return declared is not None and declared.isdigit() and int(declared) > len(body)


class _Static:
    """Keys given with the connection, in the shape of botocore's credentials object."""

    def __init__(self, credentials: Credentials) -> None:
        self.access_key = credentials.access_key_id
        self.secret_key = credentials.secret_access_key
        self.token = credentials.session_token

    def get_frozen_credentials(self) -> _Static:
        return self


class FastPath:
    """Signed GET, PUT and listing requests on one connection, shared by every worker thread.

    Made two ways: :meth:`with_client` beside a botocore client (its credentials, its URL of
    each bucket), or :meth:`standalone` before any botocore is loaded, for a connection that
    leaves nothing to botocore's judgement (keys given, an endpoint URL with path-style
    addressing, a region known).
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        credentials: Any,
        finder: Callable[[str], tuple[str, str] | None],
        ca_bundle: Callable[[], str | None],
    ) -> None:
        self._anonymous = settings.anonymous
        self._max_attempts = max(1, settings.max_attempts)
        #: botocore's credentials object (refreshed by botocore when temporary), or _Static.
        self._credentials = credentials
        self._finder = finder
        self._timeouts = Timeouts(settings.connect_timeout, settings.read_timeout)
        self._maxsize = max(1, settings.max_pool_connections)
        self._verify = settings.verify_tls
        self._ca_bundle = ca_bundle
        self._pool: Pools | None = None
        #: bucket → (URL of the bucket without a trailing "/", signing region), or None when
        #: the bucket is botocore's (a proxy, a redirect seen, an unusual URL).
        self._places: dict[str, tuple[str, str] | None] = {}
        self._lock = threading.Lock()
        #: (bucket, listing query) → (when it was sent, the request, its URL): the listing
        #: pages asked for ahead, oldest first.
        self._ahead: dict[tuple[str, tuple[tuple[str, str], ...]], _Ahead] = {}

    @classmethod
    def with_client(cls, settings: ConnectionSettings, client: S3Client) -> FastPath | None:
        credentials = None
        if not settings.anonymous:
            signer = getattr(client, "_request_signer", None)
            credentials = getattr(signer, "_credentials", None)
            if credentials is None:
                return None

        def finder(bucket: str) -> tuple[str, str] | None:
            return _place_from_presign(client, bucket, settings.anonymous)

        return cls(settings, credentials, finder, lambda: _botocore_ca_bundle(client))

    @classmethod
    def standalone(
        cls, settings: ConnectionSettings, credentials: Credentials | None
    ) -> FastPath | None:
        """The fast path without botocore, or None when botocore must decide something:
        the URL (virtual-hosted addressing, AWS's own endpoints), the region (an AWS config
        file may name one), the keys (a profile, SSO, the environment), a proxy."""
        if not FAST_PATH_ON or settings.aws_profile or not settings.endpoint_url:
            return None
        if credentials is None and not settings.anonymous:
            return None
        parts = urlsplit(settings.endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        if parts.path.strip("/") or parts.query:
            return None
        if settings.addressing_style != "path" and not (
            settings.addressing_style == "auto" and _is_ip(parts.hostname)
        ):
            return None
        if proxied(parts.hostname):
            return None
        region = _region_without_botocore(settings)
        if not region:
            return None
        base = f"{parts.scheme}://{parts.netloc}"
        static = _Static(credentials) if credentials is not None else None

        def finder(bucket: str) -> tuple[str, str] | None:
            return f"{base}/{quote(bucket, safe='')}", region

        def ca_bundle() -> str | None:
            bundle = os.environ.get("AWS_CA_BUNDLE")
            if bundle:
                return bundle
            import certifi  # botocore's default bundle

            return str(certifi.where())

        return cls(settings, static, finder, ca_bundle)

    def _connections(self) -> Pools:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    verify = self._verify
                    bundle = verify if isinstance(verify, str) else None

                    def tls() -> ssl.SSLContext:
                        if verify is False:
                            return http_pool.tls_context(False)
                        return http_pool.tls_context(True, bundle or self._ca_bundle())

                    # Its connections' sending and wait for a reply a stop breaks off: a
                    # GET then needs no thread of its own.
                    self._pool = Pools(
                        self._timeouts, tls=tls, maxsize=self._maxsize, user_agent=USER_AGENT
                    )
        return self._pool

    # ── where a bucket is ──────────────────────────────────────────────────────────────

    def _place(self, bucket: str) -> tuple[str, str]:
        place = self._places.get(bucket, ())
        if place == ():
            place = self._finder(bucket)
            with self._lock:
                self._places.setdefault(bucket, place)
        if place is None:
            raise Fallback
        return place  # type: ignore[return-value]

    def _forget(self, bucket: str) -> None:
        with self._lock:
            self._places[bucket] = None

    # ── requests ───────────────────────────────────────────────────────────────────────

    def get(
        self, bucket: str, key: str, headers: dict[str, str], version_id: str
    ) -> tuple[FastBody, Any]:
        """GET an object; returns its body and the reply's headers. Raises Fallback,
        ServerSaid."""
        query = {"versionId": version_id} if version_id else {}
        response = self._send("GET", bucket, key, headers, b"", query)
        length = response.headers.get("Content-Length")
        if length is None or not length.isdigit():
            response.close()
            raise Fallback  # chunked or odd: botocore's way of reading it
        return FastBody(response, int(length), f"{bucket}/{key}"), response.headers

    def list_page(
        self,
        bucket: str,
        prefix: str,
        token: str,
        *,
        recursive: bool,
        page_size: int,
        ahead: bool = False,
    ) -> ListPage:
        """One ListObjectsV2 page, as the S3 backend asks for it (keys URL-encoded, as
        botocore asks too), read up to MAX_LISTING_BYTES and parsed by the fast parser; the
        caller drops what is not below ``prefix``. Raises Fallback, ServerSaid,
        PageTooLarge.

        With ``ahead`` (the caller will ask for the next page too) the next page is asked
        for as soon as this one's body is here, before it is parsed: the server makes the
        next page while this one is parsed and used, instead of after (a listing of 100k
        keys spent as much time in the server as in the parser, one after the other). The
        continuation token is read from the raw body; where the parsed page says another
        one, the page asked for ahead is dropped unread."""
        query = _listing_query(prefix, token, recursive, page_size)
        sent = self._take_ahead(bucket, query)
        response = self._send("GET", bucket, "", {}, b"", query, ahead=sent)
        body = _read_bounded(response, MAX_LISTING_BYTES)
        guess = _next_token_in(body) if ahead else ""
        if not guess or guess == token:  # (the token it was sent: PageGuard stops that)
            return self._parse_page(response, body)
        next_query = _listing_query(prefix, guess, recursive, page_size)
        self._ask_ahead(bucket, next_query)
        try:
            page = self._parse_page(response, body)
        except BaseException:
            self._drop_ahead(bucket, next_query)
            raise
        if page.next_token != guess:
            self._drop_ahead(bucket, next_query)
        return page

    def _parse_page(self, response: Any, body: bytes) -> ListPage:
        try:
            return parse_list_objects_v2(body, max_rows=MAX_PAGE_ROWS)
        except TooManyRows as error:
            raise PageTooLarge(f"The server sent a listing page with {error}") from None
        except ET.ParseError as exc:
            if declared_longer(response, body):
                raise Fallback from None  # cut short by the network: botocore retries it
            raise Unreadable(f"it is not well-formed XML ({exc})", body) from exc
        except NotAListing as exc:
            if exc.args and exc.args[0] == "Error":
                raise Fallback from None  # S3's "200 with an <Error>": botocore retries it
            raise Unreadable(f"it is a <{exc}>, not a listing", body) from exc

    def _ask_ahead(self, bucket: str, query: dict[str, str]) -> None:
        """Send the listing request ``query`` now and keep it for the caller's next call;
        a request that cannot be sent (no connection, keys that cannot be refreshed) is
        left to that call, which says why: this page is the caller's all the same."""
        try:
            pool, target, headers, url = self._prepared("GET", bucket, "", {}, b"", query)
            sent = pool.send("GET", target, headers)
        except Cancelled:
            raise
        except Exception as exc:
            log.debug("the next page of %s is asked for by its own call: %r", bucket, exc)
            return
        dropped: list[_Ahead] = []
        with self._lock:
            self._ahead[bucket, tuple(query.items())] = _Ahead(time.monotonic(), sent, url)
            while len(self._ahead) > _AHEAD_MAX:
                dropped.append(self._ahead.pop(next(iter(self._ahead))))
        for ahead in dropped:
            ahead.sent.drop()

    def _take_ahead(self, bucket: str, query: dict[str, str]) -> _Ahead | None:
        with self._lock:
            ahead = self._ahead.pop((bucket, tuple(query.items())), None)
        if ahead is not None and time.monotonic() - ahead.when > _AHEAD_FOR:
            ahead.sent.drop()
            return None
        return ahead

    def _drop_ahead(self, bucket: str, query: dict[str, str]) -> None:
        with self._lock:
            ahead = self._ahead.pop((bucket, tuple(query.items())), None)
        if ahead is not None:
            ahead.sent.drop()

    def put(self, bucket: str, key: str, body: bytes, headers: dict[str, str]) -> str:
        """PUT an object; returns its ETag without quotes. Raises Fallback, ServerSaid."""
        response = self._send("PUT", bucket, key, headers, body, {})
        data = _read_all(response)
        if data.strip():
            raise Fallback  # a 200 with an <Error> (or anything) in it: botocore decides
        return str(response.headers.get("ETag", "")).strip('"')

    def delete(self, bucket: str, objects: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """One quiet DeleteObjects request for ``(key, version id)`` pairs (no version id:
        the key's current object); returns ``(key, code, message)`` of each one refused.
        botocore spends ~1 ms of CPU per key serialising and validating the request. Raises
        Fallback (a key XML cannot carry as it is, a reply that is not a DeleteResult),
        ServerSaid."""
        parts = ["<Delete><Quiet>true</Quiet>"]
        for key, version in objects:
            if not (_xml_safe().fullmatch(key) and _xml_safe().fullmatch(version)):
                raise Fallback  # botocore's serialiser decides what to do with it
            parts.append(f"<Object><Key>{xml_escape(key)}</Key>")
            if version:
                parts.append(f"<VersionId>{xml_escape(version)}</VersionId>")
            parts.append("</Object>")
        parts.append("</Delete>")
        body = "".join(parts).encode()
        headers = {
            "Content-MD5": content_md5(md5_of(body).digest()),
            "Content-Type": "application/xml",
        }
        response = self._send("POST", bucket, "", headers, body, {"delete": ""})
        data = whole_reply(response, _MAX_DELETE_REPLY)
        if data is None:
            raise Fallback  # broke off: botocore asks again (a delete may be repeated)
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            raise Fallback from None  # cut at the limit, or not XML: botocore says what
        if not root.tag.endswith("DeleteResult"):
            raise Fallback  # S3's "200 with an <Error>": botocore retries it
        refused: list[tuple[str, str, str]] = []
        for item in root:
            if item.tag.rpartition("}")[2] == "Error":
                found = {child.tag.rpartition("}")[2]: child.text or "" for child in item}
                refused.append(
                    (found.get("Key", ""), found.get("Code", ""), found.get("Message", ""))
                )
        return refused

    def copy(
        self,
        src_bucket: str,
        src_key: str,
        bucket: str,
        key: str,
        conditions: dict[str, str] | None = None,
    ) -> str:
        """CopyObject on the server, with the copy's ``conditions`` (If-None-Match);
        returns the new ETag. Raises Fallback, ServerSaid."""
        source = quote(f"{src_bucket}/{src_key}", safe="-._~/")
        headers = {**(conditions or {}), "x-amz-copy-source": source}
        attempt = 1
        while True:
            response = self._send("PUT", bucket, key, headers, b"", {})
            try:
                root = ET.fromstring(_read_all(response))
            except ET.ParseError:
                raise Fallback from None  # botocore says what it is
            if root.tag.endswith("CopyObjectResult"):
                etag = next((e.text for e in root if e.tag.endswith("ETag")), "") or ""
                return etag.strip('"')
            if root.tag != "Error":
                raise Fallback  # not S3's XML: botocore says what it is
            # S3's "200 with an <Error>": a failed copy, which botocore retries as a 500.
            if attempt >= self._max_attempts:
                code, message = root.findtext("Code") or "", root.findtext("Message") or ""
                raise ServerSaid("CopyObject", 500, code, message, response.headers)
            pause(_jitter().random() * min(_MAX_BACKOFF, 2 ** (attempt - 1)))
            attempt += 1

    def _send(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: dict[str, str],
        body: bytes,
        query: dict[str, str],
        *,
        ahead: _Ahead | None = None,
    ) -> Any:
        """One request, tried up to the connection's ``max_attempts`` times as botocore's
        "standard" retry mode does (the same failures, the same jittered backoff), so that
        a request is never sent more often than the setting says. ``ahead``: the same
        request, sent already (its reply is the first attempt's)."""
        attempt = 1
        while True:
            try:
                if ahead is not None:
                    return self._reply_of(ahead, bucket, method, bool(key))
                return self._send_once(method, bucket, key, headers, body, query)
            except _Retryable as failure:
                if attempt >= self._max_attempts:
                    raise failure.final from None
                log.debug("fast %s %s/%s, attempt %d: %r", method, bucket, key, attempt, failure)
                pause(_jitter().random() * min(_MAX_BACKOFF, 2 ** (attempt - 1)))
                attempt += 1
                ahead = None

    def _send_once(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: dict[str, str],
        body: bytes,
        query: dict[str, str],
    ) -> Any:
        pool, target, headers, url = self._prepared(method, bucket, key, headers, body, query)
        try:
            response = pool.request(method, target, headers, body)  # its body unread
        except http_pool.HTTPError as exc:
            raise _Retryable(_network_error(exc, url)) from exc
        return self._accepted(response, bucket, method, bool(key))

    def _reply_of(self, ahead: _Ahead, bucket: str, method: str, has_key: bool) -> Any:
        """The reply of a request sent ahead, as :meth:`_send_once` takes a reply."""
        try:
            response = ahead.sent.reply()
        except http_pool.HTTPError as exc:
            raise _Retryable(_network_error(exc, ahead.url)) from exc
        return self._accepted(response, bucket, method, has_key)

    def _accepted(self, response: Any, bucket: str, method: str, has_key: bool) -> Any:
        if 200 <= response.status < 300:
            return response
        self._refuse(response, bucket, _OPERATIONS[method, has_key])
        raise AssertionError("unreachable")

    def _prepared(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: dict[str, str],
        body: bytes,
        query: dict[str, str],
    ) -> tuple[http_pool.HostPool, str, dict[str, str], str]:
        """A request ready to send: its host's pool, its target, its signed headers and its
        URL (for messages). Raises Fallback (the bucket is botocore's)."""
        base, region = self._place(bucket)
        url = f"{base}/{quote(key, safe=_SAFE)}" if key else f"{base}/"
        parts = urlsplit(url)
        headers = dict(headers)
        if body or method == "PUT":
            headers["Content-Length"] = str(len(body))
        if not self._anonymous:
            self._sign(method, parts, query, headers, body, region)
        target = parts.path
        if query:
            target += "?" + _query_string(query)
        if log.isEnabledFor(DEBUG):  # as botocore logs what it sends (redacted)
            log.debug(
                "Sending %s %s://%s%s headers=%r",
                method,
                parts.scheme,
                parts.netloc,
                target,
                headers,
            )
        # The pool of the host, given the path as it is: a PoolManager would parse the
        # whole URL and drop "." and ".." segments, which are a key's own characters.
        pool = self._connections().to(parts.scheme, parts.hostname or "", parts.port)
        return pool, target, headers, url

    def _refuse(self, response: Any, bucket: str, operation: str) -> None:
        """Raise what botocore would for an error reply: ServerSaid, _Retryable where it
        retries, Fallback where it follows (a redirect, another region)."""
        status = response.status
        try:
            body = response.read(_MAX_ERROR_BODY)
        except http_pool.HTTPError:
            body = b""
        finally:
            response.release()
        code, message = _error_of(body)
        if status in (301, 302, 307) or code in _WRONG_PLACE or code == "PermanentRedirect":
            self._forget(bucket)  # botocore's region redirector knows what to do
            raise Fallback
        said = ServerSaid(operation, status, code, message, response.headers)
        if status in _TRANSIENT_STATUSES or code in _RETRIED_CODES:
            raise _Retryable(said)
        if status not in _DEFINITE:
            raise Fallback
        raise said

    def _sign(
        self,
        method: str,
        parts: Any,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        region: str,
    ) -> None:
        """SigV4, as botocore's s3v4 signer does it (payload hashed over http, not https)."""
        frozen = self._credentials.get_frozen_credentials()
        now = dt.datetime.now(dt.UTC)
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        if parts.scheme == "https":
            payload = "UNSIGNED-PAYLOAD"
        else:
            payload = _body_sha256(body) if body else _EMPTY_SHA256
        headers["x-amz-date"] = stamp
        headers["x-amz-content-sha256"] = payload
        if frozen.token:
            headers["x-amz-security-token"] = frozen.token
        signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
        signed["host"] = parts.netloc
        names = sorted(signed)
        canonical_query = _query_string(dict(sorted(query.items())))
        canonical = "\n".join(
            [
                method,
                parts.path,  # quoted as SigV4 wants it for S3: once, "/" kept
                canonical_query,
                "".join(f"{n}:{signed[n]}\n" for n in names),
                ";".join(names),
                payload,
            ]
        )
        scope = f"{day}/{region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", stamp, scope, _sha256()(canonical.encode()).hexdigest()]
        )
        key = _signing_key(frozen.secret_key, day, region)
        signature = _hmac_sha256(key, to_sign.encode()).hex()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={frozen.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )


class FastBody:
    """A GET's body, read as botocore's ``StreamingBody`` reads one (the same length check,
    the same exceptions, imported only when raised); ``_raw_stream`` is the reply
    (http_pool's), which S3Reader.abort shuts down from another thread."""

    def __init__(self, response: http_pool.Reply, length: int, where: str) -> None:
        self._raw_stream = response
        self._content_length = length
        self._amount_read = 0
        self._where = where

    def read(self, amount: int | None = None) -> bytes:
        try:
            chunk: bytes = self._raw_stream.read(amount)
        except http_pool.ReadTimedOut as exc:
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url=self._where, error=exc) from exc
        except http_pool.HTTPError as exc:
            from botocore.exceptions import ResponseStreamingError

            raise ResponseStreamingError(error=exc) from exc
        self._amount_read += len(chunk)
        if amount is None or (not chunk and amount > 0):
            self._verify_content_length()
        return chunk

    def _verify_content_length(self) -> None:
        if self._amount_read != self._content_length:
            from botocore.exceptions import IncompleteReadError

            raise IncompleteReadError(
                actual_bytes=self._amount_read, expected_bytes=self._content_length
            )

    def close(self) -> None:
        self._raw_stream.close()


#: The most bytes read of one ListObjectsV2 reply (as backend.MAX_LISTING_BYTES).
MAX_LISTING_BYTES = 32 * 1024 * 1024


class _Ahead(NamedTuple):
    """A listing request sent before its caller asked for it."""

    when: float
    sent: http_pool.Sent
    url: str


def _listing_query(prefix: str, token: str, recursive: bool, page_size: int) -> dict[str, str]:
    query = {"list-type": "2", "encoding-type": "url", "prefix": prefix}
    query["max-keys"] = str(page_size)
    if not recursive:
        query["delimiter"] = "/"
    if token:
        query["continuation-token"] = token
    return query


def _next_token_in(body: bytes) -> str:
    """The continuation token a listing body holds where it says it is truncated, read
    without parsing it; "" where it cannot be read so (the token is then the parser's)."""
    if _TRUNCATED not in body:
        return ""
    start = body.find(_TOKEN_OPEN)
    end = body.find(_TOKEN_CLOSE, start)
    if start < 0 or end < 0:
        return ""
    token = body[start + len(_TOKEN_OPEN) : end]
    if b"&" in token or b"<" in token:
        return ""  # an escaped character: the parser reads it
    try:
        return token.decode().strip()
    except UnicodeDecodeError:
        return ""


def _read_bounded(response: Any, limit: int) -> bytes:
    """A listing reply's body, or PageTooLarge past ``limit`` (see backend._read_bounded);
    a body that breaks off is botocore's to retry."""
    too_large = PageTooLarge(
        f"The server sent a listing page larger than {limit // (1024 * 1024)} MiB "
        "(a real page is a few MiB at most)"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()  # drop the connection: its unread body must not be reused
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > limit:
                response.close()
                raise too_large
            chunks.append(chunk)
    except http_pool.HTTPError as exc:
        response.close()
        raise Fallback from exc
    response.release()
    return b"".join(chunks)


def _read_all(response: Any) -> bytes:
    """A small reply's whole body (a PUT's, a copy's); a body that breaks off is botocore's
    to ask again for."""
    data = whole_reply(response, _MAX_ERROR_BODY)
    if data is None:
        raise Fallback
    return data


def _query_string(query: dict[str, str]) -> str:
    """``k=v&…``, every character but SigV4's unreserved ones percent-encoded."""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query.items())


_KEYS: dict[tuple[str, str, str], bytes] = {}


def _signing_key(secret: str, day: str, region: str) -> bytes:
    """SigV4's derived key, the same for a day: four HMACs saved per request."""
    cached = _KEYS.get((secret, day, region))
    if cached is None:
        k = _hmac_sha256(f"AWS4{secret}".encode(), day.encode())
        for part in (region, "s3", "aws4_request"):
            k = _hmac_sha256(k, part.encode())
        if len(_KEYS) > 64:
            _KEYS.clear()
        _KEYS[(secret, day, region)] = cached = k
    return cached


@functools.cache
def _sha256() -> Any:
    """SHA-256 for the signature's short strings: CPython's own (``_sha2``; ``_sha256``
    before 3.12), imported in ~0.2 ms, where hashlib loads OpenSSL (``_hashlib``: ~5 ms
    of every command's start-up, for an ls of one object). hashlib's where a build has
    neither."""
    for name in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(name).sha256
        except ImportError:
            continue
    import hashlib

    return hashlib.sha256


#: HMAC's inner and outer pads (RFC 2104), as ``hmac`` makes them.
_INNER = bytes(b ^ 0x36 for b in range(256))
_OUTER = bytes(b ^ 0x5C for b in range(256))


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    """``hmac.new(key, message, hashlib.sha256).digest()``, over :func:`_sha256`."""
    sha256 = _sha256()
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(key.translate(_INNER) + message).digest()
    digest: bytes = sha256(key.translate(_OUTER) + inner).digest()
    return digest


def _body_sha256(body: bytes) -> str:
    """A body's SHA-256 (a plain-HTTP PUT's payload hash): OpenSSL's, several times
    CPython's own on a large body."""
    import hashlib

    return hashlib.sha256(body).hexdigest()


def _error_of(body: bytes) -> tuple[str, str]:
    """``(Code, Message)`` of an S3 ``<Error>`` document; empty strings when it is none."""
    import xml.etree.ElementTree as ET

    if not body.strip():
        return "", ""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return "", ""
    if root.tag != "Error":
        return "", ""
    return root.findtext("Code") or "", root.findtext("Message") or ""


def _place_from_presign(client: Any, bucket: str, anonymous: bool) -> tuple[str, str] | None:
    """The bucket's URL and signing region, as botocore would send a request there: from
    one presigned URL, which goes through botocore's endpoint rules and addressing style."""
    probe = "cloudbrowser-probe"
    try:
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": probe}, ExpiresIn=60
        )
    except Exception as exc:  # botocore's to report, on the real request
        log.debug("no fast path for %s: %r", bucket, exc)
        return None
    parts = urlsplit(url)
    path = parts.path
    if not path.endswith("/" + probe) or parts.scheme not in ("http", "https"):
        return None
    if proxied(parts.hostname or ""):
        return None  # botocore applies the proxy settings
    region = client.meta.region_name or "us-east-1"
    credential = parse_qs(parts.query).get("X-Amz-Credential", [""])[0].split("/")
    if len(credential) == 5:
        region = credential[2]
    elif not anonymous:
        return None
    return f"{parts.scheme}://{parts.netloc}{path[: -len(probe) - 1]}", region


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _region_without_botocore(settings: ConnectionSettings) -> str:
    """The region botocore would sign with, when it can be told without botocore: the
    connection's, the environment's, or us-east-1 when no AWS config file could name one."""
    if settings.region:
        return settings.region
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    if Path(config).expanduser().exists():
        return ""
    return "us-east-1"


def _botocore_ca_bundle(client: Any) -> str | None:
    """The CA bundle botocore verifies with (AWS_CA_BUNDLE, the profile's, or certifi's)."""
    endpoint = getattr(client, "_endpoint", None)
    verify = getattr(getattr(endpoint, "http_session", None), "_verify", True)
    if isinstance(verify, str):
        return verify
    from botocore.httpsession import get_cert_path

    path = get_cert_path(True)
    return path if isinstance(path, str) else None


@functools.cache
def _content_range() -> re.Pattern[str]:
    """Compiled at the first ranged read, not at every command's start."""
    return re.compile(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", re.IGNORECASE)


def parse_content_range(header: str) -> tuple[int, int, int] | None:
    """``"bytes 0-999/5000"`` → ``(0, 999, 5000)``; None when absent or not of that form."""
    match = _content_range().fullmatch(header) if header else None
    if match is None:
        return None
    total = -1 if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), int(match.group(2)), total


def xml_escape(text: str) -> str:
    """``text`` as XML character data. Not xml.sax.saxutils.escape: importing it brings
    urllib.request, http.client and the email package, ~30 ms of every command's start-up."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def last_modified(headers: Any) -> float:
    """A reply's Last-Modified as a POSIX timestamp (0 when absent or unreadable)."""
    value = headers.get("Last-Modified")
    if not value:
        return 0.0
    # Imported here: email.utils costs a command's start-up ~10 ms and most never need it.
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return 0.0


def fast_or(fast: Callable[[], T], slow: Callable[[], T]) -> T:
    """``fast()``, or ``slow()`` (botocore) when the fast path hands the request back."""
    try:
        return fast()
    except Fallback:
        return slow()
    except ServerSaid as said:
        raise said.as_client_error() from None
