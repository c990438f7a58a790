"""GCS object reads and small uploads through http_pool (core/backends/gcs/fast.py),
against a small stub that answers as GCS's download and upload endpoints do: the bearer
token goes with every request,
an answer the fast path does not handle is asked again through ``requests`` (and
translated by the backend's one table), a proxy in the environment leaves reads to
``requests``. The emulator runs the same path in the conformance suite."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from google.oauth2.credentials import Credentials as UserCredentials

from cloudbrowser.core.backends.gcs import auth
from cloudbrowser.core.backends.gcs import backend as gcs
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import EndpointUnreachable, KeyNotFound

BODY = b"stored bytes" * 100
MD5_B64 = base64.b64encode(hashlib.md5(BODY).digest()).decode()


class Stub:
    """What the stub saw, and what it answers next."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (path, Authorization, User-Agent)
        self.fail_next: list[int] = []
        #: The next reads' bodies stop after this many bytes (the server dies mid-body).
        self.cut_next: list[int] = []


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append(
                (
                    self.path,
                    self.headers.get("Authorization", ""),
                    self.headers.get("User-Agent", ""),
                )
            )
            status = state.fail_next.pop(0) if state.fail_next else 0
            if status or "/o/missing" in self.path:
                body = b'{"error": {"code": 404, "message": "No such object: b/missing"}}'
                self.send_response(status or 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.send_header("x-goog-hash", f"crc32c=AAAAAA==,md5={MD5_B64}")
            self.send_header("x-goog-generation", "7")
            self.end_headers()
            if state.cut_next:
                self.wfile.write(BODY[: state.cut_next.pop(0)])
                self.close_connection = True
                return
            self.wfile.write(BODY)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.seen.append(
                (
                    self.path,
                    self.headers.get("Authorization", ""),
                    self.headers.get("User-Agent", ""),
                )
            )
            status = state.fail_next.pop(0) if state.fail_next else 200
            if "/b/missing/" in self.path:
                status = 404
            if status == 404:
                answer = (
                    b'{"error": {"code": 404, "message": "The specified bucket does not exist."}}'
                )
            elif status == 200 and b"garbled" in body:
                answer = b"<html>not GCS</html>"
            elif status == 200:
                md5 = base64.b64encode(hashlib.md5(BODY).digest()).decode()
                answer = f'{{"name": "k", "generation": "9", "md5Hash": "{md5}"}}'.encode()
            else:
                answer = b'{"error": {"code": 503, "message": "try again"}}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def backend_at(url: str, token: str = "") -> gcs.GcsBackend:
    settings = ConnectionSettings(name="stub", kind="gcs", endpoint_url=url, auth="anonymous")
    backend = gcs.GcsBackend(settings, None, page_size=1000)
    if token:
        # A user's sign-in whose token is current: google-auth adds it, renews nothing.
        signed_in = UserCredentials(token=token)  # type: ignore[no-untyped-call]
        backend.__dict__["identity"] = auth.Identity(signed_in, "project", None)
    return backend


def test_a_read_skips_requests_and_carries_the_bearer_token(stub: tuple[Stub, str]) -> None:
    state, url = stub
    backend = backend_at(url, token="tok-123")
    with backend.get_object("b", "dir/../k.txt") as reader:
        assert reader.read(-1) == BODY
        assert reader.etag == hashlib.md5(BODY).hexdigest()
        assert reader.size == len(BODY)
    path, authorization, agent = state.seen[-1]
    # The key's "/" and "." arrive quoted, as one object name.
    assert path == "/download/storage/v1/b/b/o/dir%2F..%2Fk.txt?alt=media"
    assert authorization == "Bearer tok-123"
    assert "python-requests" not in agent  # http_pool's own request, not requests'
    assert backend.fast is not None


def test_an_error_is_asked_again_through_requests_and_translated(
    stub: tuple[Stub, str],
) -> None:
    state, url = stub
    backend = backend_at(url)
    with pytest.raises(KeyNotFound):
        backend.get_object("b", "missing")
    agents = [agent for _path, _auth, agent in state.seen]
    assert len(agents) == 2 and "python-requests" in agents[1]
    # A transient failure on the fast path: requests' retry gets the bytes.
    state.fail_next = [503]
    with backend.get_object("b", "k") as reader:
        assert reader.read(-1) == BODY


def test_a_body_that_breaks_off_is_a_passing_failure_the_transfer_retries(
    stub: tuple[Stub, str],
) -> None:
    state, url = stub
    backend = backend_at(url)
    state.cut_next = [100]
    with backend.get_object("b", "k") as reader, pytest.raises(EndpointUnreachable) as caught:
        while reader.read(64):
            pass
    assert caught.value.retryable
    assert "broke off" in caught.value.message
    # The next read is whole: the broken connection was not used again.
    with backend.get_object("b", "k") as reader:
        assert reader.read(-1) == BODY


def test_a_proxy_in_the_environment_leaves_reads_to_requests(
    stub: tuple[Stub, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = stub
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    backend = backend_at(url)
    assert backend.fast is None
    monkeypatch.delenv("HTTP_PROXY")
    with backend_at(url).get_object("b", "k") as reader:
        assert reader.read(-1) == BODY
    assert "python-requests" not in state.seen[-1][2]


def test_an_upload_skips_requests_and_carries_the_bearer_token(stub: tuple[Stub, str]) -> None:
    state, url = stub
    backend = backend_at(url, token="tok-456")
    assert backend.put_object("b", "k", BODY, content_md5=MD5_B64) == hashlib.md5(BODY).hexdigest()
    path, authorization, agent = state.seen[-1]
    assert path == "/upload/storage/v1/b/b/o?uploadType=multipart"
    assert authorization == "Bearer tok-456"
    assert "python-requests" not in agent


def test_a_refused_upload_is_sent_again_through_requests_and_translated(
    stub: tuple[Stub, str],
) -> None:
    from cloudbrowser.core.errors import StorageError

    state, url = stub
    backend = backend_at(url)
    with pytest.raises(StorageError, match="missing"):
        backend.put_object("missing", "k", BODY, content_md5=MD5_B64)
    agents = [agent for _path, _auth, agent in state.seen]
    assert len(agents) == 2 and "python-requests" in agents[1]
    # A transient failure on the fast path: requests' retry stores it.
    state.fail_next = [503]
    assert backend.put_object("b", "k", BODY, content_md5=MD5_B64)
    # A 200 that is not an object's resource is said to be unreadable, not a traceback.
    with pytest.raises(StorageError, match="could not be read") as caught:
        backend.put_object("b", "k", b"garbled", content_md5="")
    assert caught.value.code == "UnreadableReply"
