"""A small stand-in for Google Cloud Storage's resumable upload protocol, as GCS documents
it (fake-gcs-server's sessions are weaker: see core/backends/gcs/uploads.py).

* ``POST /upload/storage/v1/b/B/o?uploadType=resumable&name=K`` → 200, ``Location``: the
  session URI.
* ``PUT <session>`` with ``Content-Range: bytes A-B/*`` appends when A is the committed
  offset (else 400), answers 308 and ``Range: bytes=0-N``; ``bytes A-B/T`` with B+1 = T
  and ``bytes */T`` with T = committed finish the object (200 and its JSON resource);
  ``bytes */*`` is the status query (308 and the Range, no Range when nothing is held).
* ``DELETE <session>`` → 499.

``keep_next`` makes the next chunk be committed only in part (GCS may keep fewer bytes
than were sent); ``received`` counts the bytes of chunk bodies that arrived.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from tests.hostile import Forward, HostileS3, Reply, Request

_IDS = itertools.count(1)
#: The scopes IAM takes a token with.
_CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_IAM = "https://www.googleapis.com/auth/iam"


@contextlib.contextmanager
def gcs_front(upstream: str) -> Iterator[HostileS3]:
    """fake-gcs-server (``upstream``) behind a recording front: every request a backend
    on ``front.url`` sends is in ``front.requests``, and a test's rules may answer some
    themselves. A resumable session's URI names the front, so its chunks pass it too."""
    with HostileS3(upstream) as front:

        def sessions_through_front(request: Request, forward: Forward) -> Reply | None:
            if request.method != "POST" or request.query.get("uploadType") != "resumable":
                return None
            reply = forward()
            session = reply.header("Location")
            if session.startswith(upstream):
                reply.set_header("Location", front.url + session.removeprefix(upstream))
            return reply

        front.rule(sessions_through_front)
        yield front


def json_reply(status: int, body: dict[str, Any]) -> Reply:
    """A JSON API reply, as GCS sends one."""
    return Reply(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


class GcsStub:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], bytes] = {}
        self.received = 0
        self.status_queries = 0
        self.begun = 0
        self.keep_next: int | None = None
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                stub.post(self)

            def do_PUT(self) -> None:
                stub.put(self)

            def do_DELETE(self) -> None:
                stub.delete(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> GcsStub:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ── the protocol ────────────────────────────────────────────────────────────────────

    def post(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        query = parse_qs(url.query)
        bucket = url.path.split("/")[5]
        length = int(h.headers.get("Content-Length", 0))
        h.rfile.read(length)
        sid = str(next(_IDS))
        with self.lock:
            self.begun += 1
            self.sessions[sid] = {"bucket": bucket, "key": query["name"][0], "data": b""}
        h.send_response(200)
        h.send_header("Location", f"{self.url}/upload/session/{sid}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def put(self, h: BaseHTTPRequestHandler) -> None:
        sid = h.path.rsplit("/", 1)[-1]
        body = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        content_range = h.headers.get("Content-Range", "")
        with self.lock:
            session = self.sessions.get(sid)
            if session is None:
                self._reply(h, 404, b'{"error": {"code": 404, "message": "No such upload"}}')
                return
            if content_range == "bytes */*":
                self.status_queries += 1
                self._incomplete(h, session)
                return
            finish = re.fullmatch(r"bytes \*/(\d+)", content_range)
            if finish:
                if int(finish.group(1)) != len(session["data"]):
                    self._reply(h, 400, b'{"error": {"code": 400, "message": "bad total"}}')
                    return
                self._finish(h, sid, session)
                return
            chunk = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
            if not chunk or int(chunk.group(1)) != len(session["data"]):
                self._reply(h, 400, b'{"error": {"code": 400, "message": "bad offset"}}')
                return
            self.received += len(body)
            keep = len(body) if self.keep_next is None else self.keep_next
            self.keep_next = None
            session["data"] += body[:keep]
            total = chunk.group(3)
            if total != "*" and int(total) == len(session["data"]):
                self._finish(h, sid, session)
            else:
                self._incomplete(h, session)

    def delete(self, h: BaseHTTPRequestHandler) -> None:
        sid = h.path.rsplit("/", 1)[-1]
        with self.lock:
            self.sessions.pop(sid, None)
        self._reply(h, 499, b"")

    def _incomplete(self, h: BaseHTTPRequestHandler, session: dict[str, Any]) -> None:
        h.send_response(308)
        if session["data"]:
            h.send_header("Range", f"bytes=0-{len(session['data']) - 1}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _finish(self, h: BaseHTTPRequestHandler, sid: str, session: dict[str, Any]) -> None:
        data: bytes = session["data"]
        self.objects[(session["bucket"], session["key"])] = data
        del self.sessions[sid]
        resource = {
            "name": session["key"],
            "bucket": session["bucket"],
            "size": str(len(data)),
            "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "generation": "1",
        }
        self._reply(h, 200, json.dumps(resource).encode())

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


# ── soft delete and generations: the JSON API as GCS answers it ─────────────────────────


class SoftDeleteGcs:
    """A small stand-in for GCS's JSON API where fake-gcs-server has nothing: buckets with a
        **soft delete policy** (``softDeletePolicy.retentionDurationSeconds``), soft-deleted
        generations listed with ``objects.list?softDeleted=true`` (refused together with
        ``versions=true``, and on a bucket without a policy, as GCS refuses them) and brought
        back by ``POST …/o/NAME/restore?generation=G`` (a new live generation, a copy: the
        soft-deleted one stays until its hard delete time; a live object it replaces becomes
        noncurrent where versioning is on, else soft-deleted). Deleting the live object makes it
        noncurrent (versioning on) or soft-deleted; deleting a generation soft-deletes it.
    A rewrite within a bucket copies a live or noncurrent generation in one call.

        Also IAM Credentials' ``signBlob`` (``POST /v1/projects/-/serviceAccounts/SA:signBlob``,
        JSON ``{"payload": base64}`` → ``{"keyId", "signedBlob"}``): it signs with ``sign_key``
        (an RSA key the test made) and records each request in ``signed``; 403 without a
        key (as IAM answers a caller without the permission), 404 for an account not in
        ``accounts`` (where that is not None), 403 for a token it gave without an IAM scope.
        And an OAuth token endpoint (``POST /token``, a refresh token or a JWT grant): each
        request in ``token_requests``, each token it gives with its scope in ``issued``;
        every grant refused (``invalid_grant``) while ``refuse_grants`` is set.

        Objects are seeded with :meth:`write` (the server's side: what an upload does).
    """

    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, Any]] = {}
        #: (bucket, name) → generations, oldest first; each a resource with "state":
        #: "live", "noncurrent" or "soft".
        self.objects: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.signed: list[dict[str, Any]] = []
        self.sign_key: Any = None
        self.accounts: set[str] | None = None
        self.token_requests: list[dict[str, str]] = []
        self.issued: dict[str, str] = {}
        #: Set: the token endpoint refuses every grant with this ``error_description``
        #: (``invalid_grant``, as Google answers a revoked or expired sign-in, or a
        #: deleted service-account key).
        self.refuse_grants = ""
        self.lock = threading.Lock()
        self._generation = itertools.count(1_700_000_000_000_001)
        self.clock = 1_750_000_000.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                stub.answer(self, "GET")

            def do_POST(self) -> None:
                stub.answer(self, "POST")

            def do_DELETE(self) -> None:
                stub.answer(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SoftDeleteGcs:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ── the server's side ───────────────────────────────────────────────────────────────

    def bucket(self, name: str, *, versioning: bool = False, retention: int = 604800) -> str:
        self.buckets[name] = {"versioning": versioning, "retention": retention}
        return name

    def write(self, bucket: str, name: str, data: bytes) -> str:
        """A new live generation of ``name``; returns its generation."""
        with self.lock:
            self._replace_live(bucket, name)
            return self._add(bucket, name, data)

    def live(self, bucket: str, name: str) -> bytes | None:
        found = [g for g in self.objects.get((bucket, name), []) if g["state"] == "live"]
        return found[0]["data"] if found else None

    def _tick(self) -> str:
        self.clock += 1.0
        return _rfc3339(self.clock)

    def _add(self, bucket: str, name: str, data: bytes) -> str:
        generation = str(next(self._generation))
        self.objects.setdefault((bucket, name), []).append(
            {
                "name": name,
                "bucket": bucket,
                "generation": generation,
                "metageneration": "1",
                "size": str(len(data)),
                "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
                "updated": self._tick(),
                "storageClass": "STANDARD",
                "state": "live",
                "data": data,
            }
        )
        return generation

    def _replace_live(self, bucket: str, name: str) -> None:
        for g in self.objects.get((bucket, name), []):
            if g["state"] == "live":
                self._leave(bucket, g, noncurrent=self.buckets[bucket]["versioning"])

    def _leave(self, bucket: str, g: dict[str, Any], *, noncurrent: bool) -> None:
        """A generation stops being live (or noncurrent): kept as noncurrent, soft-deleted
        where the bucket has a policy, else gone."""
        retention = int(self.buckets[bucket]["retention"])
        when = self._tick()
        if noncurrent:
            g["state"], g["timeDeleted"] = "noncurrent", when
        elif retention:
            g["state"], g["softDeleteTime"] = "soft", when
            g["hardDeleteTime"] = _rfc3339(self.clock + retention)
        else:
            self.objects[(bucket, g["name"])].remove(g)

    # ── the protocol ────────────────────────────────────────────────────────────────────

    def answer(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(h.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = h.rfile.read(int(h.headers.get("Content-Length", 0) or 0))
        parts = [unquote(p) for p in url.path.split("/")]
        with self.lock:
            self.requests.append((method, h.path))
            if url.path.endswith(":signBlob") and method == "POST":
                self._sign_blob(h, parts, body)
                return
            if url.path == "/token" and method == "POST":
                self._token(h, body)
                return
            if parts[1:4] != ["storage", "v1", "b"] or parts[4] not in self.buckets:
                self._error(h, 404, "The specified bucket does not exist.")
                return
            bucket = parts[4]
            if len(parts) == 5 and method == "GET":
                self._bucket_resource(h, bucket)
            elif len(parts) == 6 and method == "GET":
                self._list(h, bucket, query)
            elif len(parts) == 7 and method == "DELETE":
                self._delete(h, bucket, parts[6], query)
            elif len(parts) == 8 and parts[7] == "restore" and method == "POST":
                self._restore(h, bucket, parts[6], query)
            elif len(parts) == 12 and parts[7] == "rewriteTo" and parts[9] == bucket:
                self._rewrite(h, bucket, parts[6], parts[11], query)
            else:
                self._error(h, 400, f"The stub does not answer {method} {url.path}.")

    def _bucket_resource(self, h: BaseHTTPRequestHandler, bucket: str) -> None:
        b = self.buckets[bucket]
        resource: dict[str, Any] = {
            "name": bucket,
            "versioning": {"enabled": b["versioning"]},
            "softDeletePolicy": {
                "retentionDurationSeconds": str(b["retention"]),
                "effectiveTime": "2024-03-01T08:00:00.000Z",
            },
        }
        self._json(h, 200, resource)

    def _list(self, h: BaseHTTPRequestHandler, bucket: str, query: dict[str, str]) -> None:
        soft = query.get("softDeleted") == "true"
        versions = query.get("versions") == "true"
        if soft and versions:
            self._error(h, 400, "Cannot set both softDeleted and versions.")
            return
        if soft and not self.buckets[bucket]["retention"]:
            self._error(h, 400, "Soft delete is not enabled for this bucket.")
            return
        wanted = {"soft"} if soft else {"live", "noncurrent"} if versions else {"live"}
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        rows: list[dict[str, Any] | str] = []
        for (b, name), generations in sorted(self.objects.items()):
            if b != bucket or not name.startswith(prefix):
                continue
            kept: list[dict[str, Any]] = [g for g in generations if g["state"] in wanted]
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                folder = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                if kept and folder not in rows:
                    rows.append(folder)
                continue
            kept.sort(key=lambda item: int(item["generation"]))
            rows.extend(kept)
        start = int(query.get("pageToken") or 0)
        size = int(query.get("maxResults") or 1000)
        page = rows[start : start + size]
        reply: dict[str, Any] = {
            "kind": "storage#objects",
            "items": [_public(r) for r in page if isinstance(r, dict)],
            "prefixes": [r for r in page if isinstance(r, str)],
        }
        if start + size < len(rows):
            reply["nextPageToken"] = str(start + size)
        self._json(h, 200, reply)

    def _delete(
        self, h: BaseHTTPRequestHandler, bucket: str, name: str, query: dict[str, str]
    ) -> None:
        generations = self.objects.get((bucket, name), [])
        generation = query.get("generation", "")
        if generation:
            found = [
                g
                for g in generations
                if g["generation"] == generation and g["state"] in ("live", "noncurrent")
            ]
        else:
            found = [g for g in generations if g["state"] == "live"]
        if not found:
            self._error(h, 404, f"No such object: {bucket}/{name}")
            return
        versioned = self.buckets[bucket]["versioning"] and not generation
        self._leave(bucket, found[0], noncurrent=versioned)
        h.send_response(204)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _restore(
        self, h: BaseHTTPRequestHandler, bucket: str, name: str, query: dict[str, str]
    ) -> None:
        generation = query.get("generation", "")
        if not generation:
            self._error(h, 400, "Required parameter: generation")
            return
        found = [
            g
            for g in self.objects.get((bucket, name), [])
            if g["generation"] == generation and g["state"] == "soft"
        ]
        if not found:
            self._error(h, 404, f"No such object: {bucket}/{name}")
            return
        self._replace_live(bucket, name)
        new = self._add(bucket, name, found[0]["data"])
        [resource] = [g for g in self.objects[(bucket, name)] if g["generation"] == new]
        self._json(h, 200, _public(resource))

    def _rewrite(
        self, h: BaseHTTPRequestHandler, bucket: str, name: str, to: str, query: dict[str, str]
    ) -> None:
        """A rewrite within the bucket, done in one call (the copy of a generation)."""
        generation = query.get("sourceGeneration", "")
        found = [
            g
            for g in self.objects.get((bucket, name), [])
            if g["state"] in ("live", "noncurrent")
            and (g["generation"] == generation or (not generation and g["state"] == "live"))
        ]
        if not found:
            self._error(h, 404, f"No such object: {bucket}/{name}")
            return
        self._replace_live(bucket, to)
        new = self._add(bucket, to, found[0]["data"])
        [resource] = [g for g in self.objects[(bucket, to)] if g["generation"] == new]
        self._json(
            h, 200, {"kind": "storage#rewriteResponse", "done": True, "resource": _public(resource)}
        )

    def _sign_blob(self, h: BaseHTTPRequestHandler, parts: list[str], body: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        account = parts[-1].removesuffix(":signBlob")
        request = json.loads(body)
        payload = base64.b64decode(request["payload"])
        self.signed.append(
            {
                "account": account,
                "payload": payload,
                "authorization": h.headers.get("Authorization", ""),
                "delegates": request.get("delegates"),
            }
        )
        bearer = h.headers.get("Authorization", "").removeprefix("Bearer ")
        scope = self.issued.get(bearer)
        if scope is not None and not {_CLOUD_PLATFORM, _IAM} & set(scope.split()):
            self._json(
                h,
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "Request had insufficient authentication scopes.",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )
            return
        if self.accounts is not None and account not in self.accounts:
            self._json(
                h,
                404,
                {
                    "error": {
                        "code": 404,
                        "message": f"Not found; Gaia id not found for email {account}",
                        "status": "NOT_FOUND",
                    }
                },
            )
            return
        if self.sign_key is None:  # as IAM answers a caller without the permission
            self._json(
                h,
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "Permission 'iam.serviceAccounts.signBlob' denied on "
                        "resource (or it may not exist).",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )
            return
        signature = self.sign_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        self._json(
            h, 200, {"keyId": "stub-key", "signedBlob": base64.b64encode(signature).decode()}
        )

    def _token(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        """An OAuth token endpoint: a token for whatever grant, with the scope asked
        (none asked: the consented ones, here cloud-platform)."""
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_requests.append(form)
        if self.refuse_grants:
            self._json(h, 400, {"error": "invalid_grant", "error_description": self.refuse_grants})
            return
        token = f"ya29.stub-{len(self.token_requests)}"
        self.issued[token] = form.get("scope", _CLOUD_PLATFORM)
        self._json(
            h,
            200,
            {
                "access_token": token,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": self.issued[token],
            },
        )

    def _json(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _error(self, h: BaseHTTPRequestHandler, status: int, message: str) -> None:
        self._json(h, status, {"error": {"code": status, "message": message}})


def _public(g: dict[str, Any]) -> dict[str, Any]:
    """The resource as the API shows it (without the stub's own fields)."""
    return {k: v for k, v in g.items() if k not in ("state", "data")}


def _rfc3339(posix: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(posix, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
