"""How long the Azure backend waits before asking again (backends/azure/retries.py).

Azurite never says it is busy, so a small stub on 127.0.0.1 answers Get Blob Properties
with 503 ServerBusy (with or without ``Retry-After``) a given number of times, then with
the blob. The transport's sleep is replaced by one that records what was asked and returns
at once: the waits are read, not sat through.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from azure.core.pipeline.transport import HttpTransport

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import EndpointUnreachable, Throttled

ACCOUNT = "stubaccount"
KEY = "a2V5LWZvci10aGUtc3R1Yi1hY2NvdW50LW5vdC1yZWFs"


class _Busy(BaseHTTPRequestHandler):
    """Busy ``refusals`` times (503 ServerBusy, ``Retry-After`` if set), then a blob."""

    refusals = 0
    retry_after = ""
    status = 503
    code = "ServerBusy"
    seen = 0

    def log_message(self, *_args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        cls = type(self)
        cls.seen += 1
        if cls.seen <= cls.refusals:
            self.send_response(cls.status)
            self.send_header("x-ms-error-code", cls.code)
            if cls.retry_after:
                self.send_header("Retry-After", cls.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        for name, value in {
            "Content-Length": "3",
            "ETag": '"0x1"',
            "Last-Modified": "Sat, 01 Jun 2024 10:00:00 GMT",
            "x-ms-blob-type": "BlockBlob",
        }.items():
            self.send_header(name, value)
        self.end_headers()


@contextmanager
def _serving(**answers: object) -> Iterator[tuple[int, type[_Busy]]]:
    handler = type("Handler", (_Busy,), dict(answers))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, handler
    finally:
        server.shutdown()
        server.server_close()


def _settings(port: int, attempts: int = 3) -> ConnectionSettings:
    return ConnectionSettings(
        name="busy",
        kind="azure",
        endpoint_url=f"http://127.0.0.1:{port}/{ACCOUNT}",
        auth="key",
        account=ACCOUNT,
        max_attempts=attempts,
        connect_timeout=2,
        read_timeout=2,
    )


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retry policy asks the transport for (none is waited)."""
    asked: list[float] = []
    monkeypatch.setattr(HttpTransport, "sleep", lambda _self, seconds: asked.append(seconds))
    return asked


def test_a_busy_account_is_asked_again_after_its_retry_after(waits: list[float]) -> None:
    with _serving(refusals=2, retry_after="7") as (port, handler):
        storage = open_storage(_settings(port), Credentials(ACCOUNT, KEY))
        info = storage.head_object("box", "a.txt")
    assert info.size == 3
    assert handler.seen == 3
    assert waits == [7.0, 7.0]


def test_a_busy_account_without_retry_after_gets_growing_waits(waits: list[float]) -> None:
    with _serving(refusals=2) as (port, handler):
        storage = open_storage(_settings(port), Credentials(ACCOUNT, KEY))
        storage.head_object("box", "a.txt")
    assert handler.seen == 3
    first, second = waits
    # Longer than the ~3 s after a failure to connect, and growing: 3-4 s, then 6-8 s.
    assert 3.0 <= first <= 4.0
    assert 6.0 <= second <= 8.0


def test_a_retry_after_beyond_a_minute_is_not_waited_in_full(waits: list[float]) -> None:
    with _serving(refusals=1, retry_after="3600") as (port, _handler):
        storage = open_storage(_settings(port), Credentials(ACCOUNT, KEY))
        storage.head_object("box", "a.txt")
    assert waits == [60.0]


def test_busy_to_the_last_attempt_says_so(waits: list[float]) -> None:
    with _serving(refusals=10, retry_after="1") as (port, handler):
        storage = open_storage(_settings(port, attempts=3), Credentials(ACCOUNT, KEY))
        with pytest.raises(Throttled) as caught:
            storage.head_object("box", "a.txt")
    assert handler.seen == 3
    assert waits == [1.0, 1.0]
    assert "busy" in caught.value.message


def test_an_unreachable_account_keeps_short_waits(waits: list[float]) -> None:
    with socket.socket() as sock:  # a port nobody listens on: refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    storage = open_storage(_settings(port), Credentials(ACCOUNT, KEY))
    with pytest.raises(EndpointUnreachable):
        storage.head_object("box", "a.txt")
    assert len(waits) == 2
    assert all(w <= 6.0 for w in waits), waits
