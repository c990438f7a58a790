"""How long the GCS and Azure backends wait before asking a busy server again
(backends/gcs/auth.py's retry, backends/azure/retries.py).

fake-gcs-server and Azurite never say they are busy, so they sit behind the hostile front
(``tests/hostile.py``), whose rule answers an object's HEAD (Azure) or metadata GET (GCS)
with 503, with or without ``Retry-After``, a given number of times, then forwards it. The
waits the retry asks for are recorded and not sat through: the Azure SDK sleeps through its
transport, urllib3 (under GCS's requests session) through its ``time`` module.
"""

from __future__ import annotations

import json
import time
import types
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import urllib3.util.retry
from azure.core.pipeline.transport import HttpTransport

from cloudbrowser.core.errors import Throttled
from cloudbrowser.core.storage import Storage
from tests.conftest import TestServer
from tests.hostile import Forward, HostileS3, Reply, Request

pytestmark = pytest.mark.server

KEY = "busy/a.txt"


@pytest.fixture(params=["gcs", "azure"])
def server(request: pytest.FixtureRequest) -> TestServer:
    name = {"gcs": "gcs_server", "azure": "azurite_server"}[request.param]
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def front(server: TestServer) -> Iterator[HostileS3]:
    with HostileS3(server.endpoint_url) as hostile:
        yield hostile


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retries ask for (none is waited)."""
    asked: list[float] = []
    monkeypatch.setattr(HttpTransport, "sleep", lambda _self, seconds: asked.append(seconds))
    clock = types.SimpleNamespace(sleep=asked.append, time=time.time, monotonic=time.monotonic)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    return asked


def busy_storage(
    server: TestServer, front: HostileS3, *, refusals: int, retry_after: str = "", attempts: int = 3
) -> tuple[Storage, str, list[Request]]:
    """An object on ``server``, and the backend that reaches it through ``front``, whose
    first ``refusals`` requests are answered 503 (the refused ones are returned)."""
    bucket = server.bucket()
    server.put(bucket, {KEY: b"abc"})
    refused: list[Request] = []

    def busy(request: Request, _forward: Forward) -> Reply | None:
        if len(refused) >= refusals:
            return None
        refused.append(request)
        headers = {"Retry-After": retry_after} if retry_after else {}
        if server.kind == "azure":
            headers["x-ms-error-code"] = "ServerBusy"
            body = b"<?xml version='1.0'?><Error><Code>ServerBusy</Code></Error>"
        else:
            body = json.dumps({"error": {"code": 503, "message": "Slow down."}}).encode()
        return Reply(503, headers, body)

    front.rule(busy)
    path = urlsplit(server.endpoint_url).path  # Azurite's account stays in the path
    storage = server.backend(
        name=f"{server.kind}-busy", endpoint_url=front.url + path, max_attempts=attempts
    )
    return storage, bucket, refused


def test_a_busy_server_is_asked_again_after_its_retry_after(
    server: TestServer, front: HostileS3, waits: list[float]
) -> None:
    storage, bucket, refused = busy_storage(server, front, refusals=2, retry_after="7")
    assert storage.head_object(bucket, KEY).size == 3
    assert len(refused) == 2
    assert waits == [7.0, 7.0]


def test_a_busy_server_without_retry_after_gets_waits_of_seconds(
    server: TestServer, front: HostileS3, waits: list[float]
) -> None:
    """Not the ~0.2-0.4 s (GCS) or ~1-3 s (Azure, the wait for an unreachable account)
    that came back before a rate limit could ease: seconds, growing."""
    storage, bucket, refused = busy_storage(server, front, refusals=3, attempts=4)
    assert storage.head_object(bucket, KEY).size == 3
    assert len(refused) == 3
    if server.kind == "azure":
        # 4 s, 8 s, 16 s, each up to a quarter less (spread).
        first, second, third = waits
        assert 3.0 <= first <= 4.0 and 6.0 <= second <= 8.0 and 12.0 <= third <= 16.0
    else:
        # urllib3 asks again at once the first time, then 2 s, 4 s (plus up to 1 s).
        first, second = waits
        assert 2.0 <= first <= 3.0 and 4.0 <= second <= 5.0


def test_a_retry_after_beyond_a_minute_is_not_waited_in_full(
    server: TestServer, front: HostileS3, waits: list[float]
) -> None:
    storage, bucket, _refused = busy_storage(server, front, refusals=1, retry_after="3600")
    assert storage.head_object(bucket, KEY).size == 3
    assert waits == [60.0]


def test_busy_to_the_last_attempt_says_so(
    server: TestServer, front: HostileS3, waits: list[float]
) -> None:
    storage, bucket, refused = busy_storage(server, front, refusals=10, retry_after="1")
    with pytest.raises(Throttled) as caught:
        storage.head_object(bucket, KEY)
    assert len(refused) == 3
    assert waits == [1.0, 1.0]
    assert "busy" in caught.value.message
