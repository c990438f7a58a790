"""The hot path of S3: GetObject and PutObject without botocore's per-request machinery.

botocore spends ~1–1.5 ms of CPU on every request (parameter validation, the endpoint
rule set, event hooks, its parsers) while holding the GIL the window needs; a small
file's whole transfer is one such request. Here the same two requests are signed
(SigV4, with the same credentials object botocore refreshes) and sent through urllib3
(what botocore itself sends through), ~0.2 ms each.

Only what botocore decided is reused, never guessed: the URL of a bucket (endpoint rule
set, addressing style) and the region it signs with are taken from one presigned URL that
botocore builds per bucket. Anything this path does not handle itself goes back to the
botocore client, unchanged: a retryable failure (no connection, 5xx, throttling — botocore
retries them with backoff), a redirect or a wrong-region answer (botocore's region
redirector; the bucket is then left to botocore for good), a 200 reply with an ``<Error>``
body, a proxy in the environment. Definite answers (403, 404, 412, 416, a bad digest…)
are raised as botocore's own ``ClientError``, so the S3 backend translates them with the
same table as every other call. A GET's body is botocore's ``StreamingBody`` over the
urllib3 response, exactly what botocore returns: length checks, read timeouts and
``abort()`` (socket shutdown) behave the same.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import logging
import os
import threading
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import urllib3
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from cloudbrowser.core.connection import ConnectionSettings

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Statuses that are the server's last word on a request: raised, never sent again.
_DEFINITE = frozenset({400, 403, 404, 405, 409, 411, 412, 416, 501})
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
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Characters SigV4 leaves unescaped in a canonical URI (S3: the key's "/" too).
_SAFE = "-_.~/"


class Fallback(Exception):
    """This request is botocore's to make (see the module's docstring)."""


class FastPath:
    """Signed GET and PUT of objects on one connection, shared by every worker thread."""

    def __init__(self, settings: ConnectionSettings, client: S3Client) -> None:
        self._client = client
        self._anonymous = settings.anonymous
        #: botocore's credentials object (refreshed by botocore when temporary).
        self._credentials: Any = None
        if not settings.anonymous:
            signer = getattr(client, "_request_signer", None)
            self._credentials = getattr(signer, "_credentials", None)
        self._usable = settings.anonymous or self._credentials is not None
        verify = settings.verify_tls
        pool_options: dict[str, Any] = {
            "maxsize": max(1, settings.max_pool_connections),
            "timeout": urllib3.Timeout(
                connect=settings.connect_timeout, read=settings.read_timeout
            ),
            "retries": False,
            "block": False,
        }
        if verify is False:
            pool_options["cert_reqs"] = "CERT_NONE"
        else:
            pool_options["cert_reqs"] = "CERT_REQUIRED"
            if isinstance(verify, str):
                pool_options["ca_certs"] = verify
            else:
                # botocore's bundle (certifi's) unless AWS_CA_BUNDLE... say the same file.
                pool_options["ca_certs"] = _botocore_ca_bundle(client)
        self._pool = urllib3.PoolManager(num_pools=16, **pool_options)
        #: bucket → (URL of the bucket without a trailing "/", signing region), or None when
        #: the bucket is botocore's (a proxy, a redirect seen, an unusual URL).
        self._places: dict[str, tuple[str, str] | None] = {}
        self._lock = threading.Lock()

    # ── where a bucket is ──────────────────────────────────────────────────────────────

    def _place(self, bucket: str) -> tuple[str, str]:
        place = self._places.get(bucket, ())
        if place == ():
            place = self._find_place(bucket)
            with self._lock:
                self._places.setdefault(bucket, place)
        if place is None:
            raise Fallback
        return place  # type: ignore[return-value]

    def _find_place(self, bucket: str) -> tuple[str, str] | None:
        """The bucket's URL and signing region, as botocore would send a request there."""
        if not self._usable:
            return None
        probe = "cloudbrowser-probe"
        try:
            url = self._client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": probe}, ExpiresIn=60
            )
        except Exception as exc:  # botocore's to report, on the real request
            log.debug("no fast path for %s: %r", bucket, exc)
            return None
        parts = urlsplit(url)
        path = parts.path
        if not path.endswith("/" + probe) or parts.scheme not in ("http", "https"):
            return None
        if urllib.request.getproxies() and not urllib.request.proxy_bypass(parts.hostname or ""):
            return None  # botocore applies the proxy settings
        region = self._client.meta.region_name or "us-east-1"
        credential = parse_qs(parts.query).get("X-Amz-Credential", [""])[0].split("/")
        if len(credential) == 5:
            region = credential[2]
        elif not self._anonymous:
            return None
        base = f"{parts.scheme}://{parts.netloc}{path[: -len(probe) - 1]}"
        return base, region

    def _forget(self, bucket: str) -> None:
        with self._lock:
            self._places[bucket] = None

    # ── requests ───────────────────────────────────────────────────────────────────────

    def get(self, bucket: str, key: str, headers: dict[str, str], version_id: str) -> Any:
        """GET an object; returns (StreamingBody, response headers). Raises Fallback,
        ClientError."""
        query = {"versionId": version_id} if version_id else {}
        response = self._send("GET", bucket, key, headers, b"", query, stream=True)
        length = response.headers.get("Content-Length")
        if length is None or not length.isdigit():
            response.release_conn()
            raise Fallback  # chunked or odd: botocore's way of reading it
        return StreamingBody(response, int(length)), response.headers

    def put(self, bucket: str, key: str, body: bytes, headers: dict[str, str]) -> str:
        """PUT an object; returns its ETag without quotes. Raises Fallback, ClientError."""
        response = self._send("PUT", bucket, key, headers, body, {}, stream=False)
        data = response.data
        if data.strip():
            raise Fallback  # a 200 with an <Error> (or anything) in it: botocore decides
        return str(response.headers.get("ETag", "")).strip('"')

    def _send(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: dict[str, str],
        body: bytes,
        query: dict[str, str],
        *,
        stream: bool,
    ) -> Any:
        base, region = self._place(bucket)
        parts = urlsplit(f"{base}/{quote(key, safe=_SAFE)}")
        headers = dict(headers)
        if body or method == "PUT":
            headers["Content-Length"] = str(len(body))
        if not self._anonymous:
            self._sign(method, parts, query, headers, body, region)
        target = parts.path
        if query:
            target += "?" + _query_string(query)
        try:
            # The pool of the host, given the path as it is: a PoolManager would parse the
            # whole URL and drop "." and ".." segments, which are a key's own characters.
            pool = self._pool.connection_from_host(parts.hostname or "", parts.port, parts.scheme)
            response = pool.urlopen(
                method,
                target,
                body=body or None,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=not stream,
                decode_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            log.debug("fast %s %s/%s: %r, botocore retries", method, bucket, key, exc)
            raise Fallback from exc
        status = response.status
        if 200 <= status < 300:
            return response
        self._refuse(response, bucket, "GetObject" if method == "GET" else "PutObject")
        raise AssertionError("unreachable")

    def _refuse(self, response: Any, bucket: str, operation: str) -> None:
        """Raise what botocore would for an error reply, or Fallback where it would retry."""
        status = response.status
        try:
            body = response.read(_MAX_ERROR_BODY, decode_content=False) or b""
        except urllib3.exceptions.HTTPError:
            body = b""
        finally:
            response.release_conn()
        code, message = _error_of(body)
        if status in (301, 302, 307) or code in _WRONG_PLACE or code == "PermanentRedirect":
            self._forget(bucket)  # botocore's region redirector knows what to do
            raise Fallback
        if status not in _DEFINITE or code in ("RequestTimeout", "SlowDown", "Throttling"):
            raise Fallback
        headers = {k.lower(): v for k, v in response.headers.items()}
        raise ClientError(
            {
                "Error": {"Code": code or str(status), "Message": message},
                "ResponseMetadata": {
                    "RequestId": headers.get("x-amz-request-id", ""),
                    "HostId": headers.get("x-amz-id-2", ""),
                    "HTTPStatusCode": status,
                    "HTTPHeaders": headers,
                    "RetryAttempts": 0,
                },
            },
            operation,
        )

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
            payload = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
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
            ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = _signing_key(frozen.secret_key, day, region)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={frozen.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )


def _query_string(query: dict[str, str]) -> str:
    """``k=v&…``, every character but SigV4's unreserved ones percent-encoded."""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query.items())


_KEYS: dict[tuple[str, str, str], bytes] = {}


def _signing_key(secret: str, day: str, region: str) -> bytes:
    """SigV4's derived key, the same for a day: four HMACs saved per request."""
    cached = _KEYS.get((secret, day, region))
    if cached is None:
        k = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
        for part in (region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        if len(_KEYS) > 64:
            _KEYS.clear()
        _KEYS[(secret, day, region)] = cached = k
    return cached


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


def _botocore_ca_bundle(client: Any) -> str | None:
    """The CA bundle botocore verifies with (AWS_CA_BUNDLE, the profile's, or certifi's)."""
    endpoint = getattr(client, "_endpoint", None)
    verify = getattr(getattr(endpoint, "http_session", None), "_verify", True)
    if isinstance(verify, str):
        return verify
    from botocore.httpsession import get_cert_path

    path = get_cert_path(True)
    return path if isinstance(path, str) else None


def last_modified(headers: Any) -> float:
    """A reply's Last-Modified as a POSIX timestamp (0 when absent or unreadable)."""
    value = headers.get("Last-Modified")
    if not value:
        return 0.0
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return 0.0


def fast_or(fast: Callable[[], T], slow: Callable[[], T]) -> T:
    """``fast()``, or ``slow()`` (botocore) when the fast path hands the request back."""
    try:
        return fast()
    except Fallback:
        return slow()
