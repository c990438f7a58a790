"""How long the GCS backend waits before asking again (backends/gcs/auth.py's retry).

fake-gcs-server never says it is busy, so a small stub on 127.0.0.1 answers an object's
metadata GET with 503 (with or without ``Retry-After``) a given number of times, then
with the object. urllib3's sleep is replaced by one that records what was asked and
returns at once: the waits are read, not sat through.
"""

from __future__ import annotations

import json
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.util.retry

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import Throttled


class _Busy(BaseHTTPRequestHandler):
    """Busy ``refusals`` times (``status``, ``Retry-After`` if set), then an object."""

    refusals = 0
    retry_after = ""
    status = 503
    seen = 0

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        cls.seen += 1
        if cls.seen <= cls.refusals:
            body = json.dumps({"error": {"code": cls.status, "message": "Slow down."}}).encode()
            self.send_response(cls.status)
            if cls.retry_after:
                self.send_header("Retry-After", cls.retry_after)
        else:
            body = json.dumps(
                {
                    "bucket": "box",
                    "name": "a.txt",
                    "size": "3",
                    "generation": "7",
                    "updated": "2024-06-01T10:00:00.000Z",
                    "md5Hash": "rL0Y20zC+Fzt72VPzMSk2A==",
                }
            ).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


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
        kind="gcs",
        endpoint_url=f"http://127.0.0.1:{port}",
        auth="anonymous",
        project="p",
        max_attempts=attempts,
    )


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits urllib3's retry asks for (none is waited)."""
    asked: list[float] = []
    clock = types.SimpleNamespace(sleep=asked.append, time=time.time, monotonic=time.monotonic)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    return asked


def test_a_busy_server_is_asked_again_after_its_retry_after(waits: list[float]) -> None:
    with _serving(refusals=2, retry_after="7") as (port, handler):
        info = open_storage(_settings(port)).head_object("box", "a.txt")
    assert info.size == 3
    assert handler.seen == 3
    assert waits == [7.0, 7.0]


def test_a_busy_server_without_retry_after_gets_waits_of_seconds(waits: list[float]) -> None:
    with _serving(refusals=3, status=429) as (port, handler):
        open_storage(_settings(port, attempts=4)).head_object("box", "a.txt")
    assert handler.seen == 4
    # urllib3 asks again at once the first time, then backs off: 2-3 s, then 4-5 s (it
    # was 0.4 s and 0.8 s, too soon for a rate limit to ease).
    nonzero = [w for w in waits if w]
    assert len(nonzero) == 2
    assert 2.0 <= nonzero[0] <= 3.0
    assert 4.0 <= nonzero[1] <= 5.0


def test_a_retry_after_beyond_a_minute_is_not_waited_in_full(waits: list[float]) -> None:
    with _serving(refusals=1, retry_after="3600") as (port, _handler):
        open_storage(_settings(port)).head_object("box", "a.txt")
    assert waits == [60.0]


def test_busy_to_the_last_attempt_says_so(waits: list[float]) -> None:
    with _serving(refusals=10, retry_after="1") as (port, handler), pytest.raises(Throttled):
        open_storage(_settings(port, attempts=3)).head_object("box", "a.txt")
    assert handler.seen == 3
    assert waits == [1.0, 1.0]
