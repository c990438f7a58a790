"""A hostile S3 server for tests: real S3 behaviour (moto behind it), misbehaving on command.

``HostileS3`` is a stdlib HTTP server on 127.0.0.1 that forwards every request to an
upstream S3 server (moto), except where a test has installed a **rule**. A rule sees the
request and may answer it itself, or forward it and hand back a changed reply: a listing
that repeats its continuation token, a page of a million keys, a GET whose Content-Length
lies, an ``<Error>`` body with status 200, bytes that trickle, an API that is not
implemented, keys no real server would return. What the servers we test against never do,
a test can make this one do::

    def repeat_token(request: Request, forward: Forward) -> Reply | None:
        if request.method == "GET" and request.query.get("list-type") == "2":
            reply = forward()
            reply.body = reply.body.replace(b"<IsTruncated>false", b"<IsTruncated>true")
            return reply
        return None          # everything else goes to moto untouched

    hostile.rule(repeat_token)

Every request is recorded in ``requests`` (method, path, query, headers), so a test can
count what the client sent. Rules run in the order installed; the first that returns a
reply wins. Nothing in the forwarding is S3's: it fronts fake-gcs-server too
(``tests/gcs_stub.gcs_front``).
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Request:
    """One request as the client sent it (path-style addressing: ``/bucket/key``)."""

    method: str
    path: str  # the raw path, without the query
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def bucket(self) -> str:
        return urllib.parse.unquote(self.path.lstrip("/").split("/", 1)[0])

    @property
    def key(self) -> str:
        parts = self.path.lstrip("/").split("/", 1)
        return urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""

    def is_listing(self) -> bool:
        """A ListObjectsV2 request."""
        return self.method == "GET" and not self.key and self.query.get("list-type") == "2"


@dataclass
class Reply:
    """What the server sends back.

    ``length``: the Content-Length to declare (default: the body's); a larger one followed
    by the connection closing is a server that hangs up mid-body. ``trickle``: seconds to
    wait between chunks of ``chunk`` bytes. ``hang_up_after``: close the connection after
    this many body bytes, whatever was declared.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    length: int | None = None
    trickle: float = 0.0
    chunk: int = 1
    hang_up_after: int | None = None

    def header(self, name: str) -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return ""

    def set_header(self, name: str, value: str) -> None:
        for key in [k for k in self.headers if k.lower() == name.lower()]:
            del self.headers[key]
        self.headers[name] = value


Forward = Callable[[], Reply]
Rule = Callable[[Request, Forward], "Reply | None"]


def error_reply(status: int, code: str, message: str = "") -> Reply:
    """An S3 error reply, as botocore parses one from AWS."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message or code}</Message>"
        "<RequestId>HOSTILE0001</RequestId></Error>"
    ).encode()
    return Reply(status, {"Content-Type": "application/xml"}, body)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up on a lying reply is what the tests want: no traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class HostileS3:
    """Forwards to ``upstream`` (an S3 server's URL) unless a rule answers first."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.requests: list[Request] = []
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        #: Set to stop every trickling reply at once (the test is over).
        self.closing = threading.Event()
        #: Set once a trickling reply has sent its first bytes: the client is now inside a
        #: slow read (what a test of a prompt cancel waits for, instead of sleeping).
        self.trickling = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def rule(self, rule: Rule) -> Rule:
        """Install ``rule`` (usable as a decorator)."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def requests_matching(self, predicate: Callable[[Request], bool]) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    # ── serving ──────────────────────────────────────────────────────────────────────
    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            rules = list(self._rules)
        forward = lambda: self._forward(request)  # noqa: E731
        for rule in rules:
            reply = rule(request, forward)
            if reply is not None:
                return reply
        return forward()

    def _forward(self, request: Request) -> Reply:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            query = urllib.parse.urlencode(request.query, quote_via=urllib.parse.quote)
            target = request.path + (f"?{query}" if request.query else "")
            headers = {k: v for k, v in request.headers.items() if k != "connection"}
            conn.request(request.method, target, body=request.body, headers=headers)
            upstream = conn.getresponse()
            body = upstream.read()
            kept = {
                k: v
                for k, v in upstream.getheaders()
                if k.lower() not in ("transfer-encoding", "connection", "content-length")
            }
            length = None
            if request.method == "HEAD":
                length = int(upstream.getheader("Content-Length") or 0)
            return Reply(upstream.status, kept, body, length=length)
        finally:
            conn.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without it, each reply waits ~40 ms for the client's delayed ACK (Nagle).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, raw_query = self.path.partition("?")
                query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
                request = Request(
                    self.command,
                    path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                self._send(server._answer(request))

            def _send(self, reply: Reply) -> None:
                declared = reply.length if reply.length is not None else len(reply.body)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(declared))
                closes = reply.hang_up_after is not None or (
                    self.command != "HEAD" and declared != len(reply.body)
                )
                if closes:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command == "HEAD":
                    return
                body = reply.body
                if reply.hang_up_after is not None:
                    body = body[: reply.hang_up_after]
                try:
                    if not reply.trickle:
                        self.wfile.write(body)
                        return
                    for start in range(0, len(body), reply.chunk):
                        if server.closing.wait(reply.trickle):
                            break
                        self.wfile.write(body[start : start + reply.chunk])
                        self.wfile.flush()
                        server.trickling.set()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: that is what a trickle test wants

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle

        return Handler

    def __enter__(self) -> HostileS3:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def listing_body(
    bucket: str,
    keys: list[tuple[str, int]],
    *,
    prefix: str = "",
    next_token: str = "",
    common_prefixes: Sequence[str] = (),
    etag: str = '"d41d8cd98f00b204e9800998ecf8427e"',
) -> bytes:
    """A ListObjectsV2 reply listing ``keys`` (key, size), truncated if ``next_token``."""
    from xml.sax.saxutils import escape

    contents = "".join(
        f"<Contents><Key>{escape(key)}</Key><LastModified>2024-01-01T00:00:00.000Z"
        f"</LastModified><ETag>{escape(etag)}</ETag><Size>{size}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        for key, size in keys
    )
    prefixes = "".join(
        f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in common_prefixes
    )
    truncated = "true" if next_token else "false"
    token = f"<NextContinuationToken>{escape(next_token)}</NextContinuationToken>" * bool(
        next_token
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
        f"<KeyCount>{len(keys)}</KeyCount><MaxKeys>1000</MaxKeys>"
        f"<IsTruncated>{truncated}</IsTruncated>{token}{contents}{prefixes}"
        "</ListBucketResult>"
    ).encode()


def opaque_etags(request: Request, forward: Forward) -> Reply | None:
    """A rule: a server that gives no MD5. Every ETag (of objects and in listings) becomes
    an opaque token; If-Match is not passed on to moto, which knows the real ETag."""
    import re

    request.headers.pop("if-match", None)
    reply = forward()
    if reply.header("ETag"):
        reply.set_header("ETag", '"opaque0token"')
    if request.is_listing():
        reply.body = re.sub(
            rb"<ETag>[^<]*</ETag>", b"<ETag>&quot;opaque0token&quot;</ETag>", reply.body
        )
    return reply


def url_listing_body(bucket: str, keys: list[tuple[str, int]]) -> bytes:
    """A ListObjectsV2 reply as S3 sends keys that XML 1.0 cannot carry (control
    characters): ``EncodingType=url``, every key percent-encoded."""
    quoted = [(urllib.parse.quote(key, safe="/"), size) for key, size in keys]
    return listing_body(bucket, quoted).replace(
        b"<KeyCount>", b"<EncodingType>url</EncodingType><KeyCount>"
    )


def entity_bomb(root: str = "ListBucketResult") -> bytes:
    """An XML entity-expansion bomb ("billion laughs"): 10 bytes nested 10 deep, 10 GB
    once expanded, in a body of under a kilobyte."""
    entities = "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10 if i else "x" * 10}">' for i in range(10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]>'
        f'<{root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>&a9;</Name></{root}>'
    ).encode()


#: The multipart APIs some servers lack, by how a request for each one looks.
MULTIPART_APIS: dict[str, Callable[[Request], bool]] = {
    "ListParts": lambda r: r.method == "GET" and bool(r.key) and "uploadId" in r.query,
    "ListMultipartUploads": lambda r: r.method == "GET" and not r.key and "uploads" in r.query,
    "AbortMultipartUpload": lambda r: r.method == "DELETE" and "uploadId" in r.query,
}


def lacking(*apis: str, status: int = 501, code: str = "NotImplemented") -> Rule:
    """A rule: the server does not implement ``apis`` (names from ``MULTIPART_APIS``)."""

    def rule(request: Request, _forward: Forward) -> Reply | None:
        if any(MULTIPART_APIS[api](request) for api in apis):
            return error_reply(status, code)
        return None

    return rule


def trickling(
    matches: Callable[[Request], bool], *, body: bytes | None = None, every: float = 0.2
) -> Rule:
    """A rule: requests that ``matches`` are done upstream, then their reply comes back a
    byte every ``every`` seconds (``body`` replaces an empty one, e.g. the whitespace a
    slow CopyObject sends), as from a server that hardly moves."""

    def rule(request: Request, forward: Forward) -> Reply | None:
        if not matches(request):
            return None
        reply = forward()
        if body is not None:
            reply.body = body
            reply.length = None
        reply.trickle, reply.chunk = every, 1
        return reply

    return rule


def versions_body(
    bucket: str,
    versions: list[tuple[str, str, int]],
    *,
    prefix: str = "",
    next_key_marker: str = "",
    next_version_marker: str = "",
) -> bytes:
    """A ListObjectVersions reply listing ``versions`` (key, version id, size), truncated
    if ``next_key_marker``."""
    from xml.sax.saxutils import escape

    rows = "".join(
        f"<Version><Key>{escape(key)}</Key><VersionId>{escape(vid)}</VersionId>"
        "<IsLatest>true</IsLatest><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        f'<ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>{size}</Size>'
        "<StorageClass>STANDARD</StorageClass></Version>"
        for key, vid, size in versions
    )
    truncated = "true" if next_key_marker else "false"
    markers = (
        f"<NextKeyMarker>{escape(next_key_marker)}</NextKeyMarker>"
        f"<NextVersionIdMarker>{escape(next_version_marker)}</NextVersionIdMarker>"
        if next_key_marker
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
        f"<MaxKeys>1000</MaxKeys><IsTruncated>{truncated}</IsTruncated>{markers}{rows}"
        "</ListVersionsResult>"
    ).encode()


def is_versions_listing(request: Request) -> bool:
    """A ListObjectVersions request."""
    return request.method == "GET" and not request.key and "versions" in request.query


def xml_reply(body: bytes) -> Reply:
    """A 200 reply carrying ``body`` as XML."""
    return Reply(200, {"Content-Type": "application/xml"}, body)


def ignore_prefix(request: Request, forward: Forward) -> Reply | None:
    """A rule: listings answered as if no prefix had been asked (every key of the bucket)."""
    if request.is_listing() or is_versions_listing(request):
        request.query["prefix"] = ""
        return forward()
    return None


def refusing_deletes(keys: set[str], code: str = "AccessDenied") -> Rule:
    """A rule: DeleteObjects deletes all but ``keys``, which it reports refused (``code``),
    as S3 does for a key it may not delete (object lock, a denying policy)."""
    import base64
    import hashlib
    import re
    from xml.sax.saxutils import escape

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.method != "POST" or "delete" not in request.query:
            return None
        for key in keys:
            request.body = re.sub(
                rb"<Object><Key>" + re.escape(escape(key).encode()) + rb"</Key>.*?</Object>",
                b"",
                request.body,
            )
        for name in [h for h in request.headers if h.startswith(("x-amz-checksum", "x-amz-sdk"))]:
            del request.headers[name]
        request.headers["content-md5"] = base64.b64encode(
            hashlib.md5(request.body).digest()
        ).decode()
        request.headers["content-length"] = str(len(request.body))
        reply = forward()
        errors = "".join(
            f"<Error><Key>{escape(key)}</Key><Code>{code}</Code><Message>{code}</Message></Error>"
            for key in sorted(keys)
        ).encode()
        reply.body = reply.body.replace(b"</DeleteResult>", errors + b"</DeleteResult>")
        return reply

    return rule
