"""A listing asks for its next page before its caller does (``Storage.list_page(ahead=True)``,
which ``paging.iter_pages`` passes): S3's fast path sends the next page's request as soon
as a page's body is here, so the server makes that page while this one is parsed and used.

Against moto behind the hostile front (``tests/hostile.py``), which records every request
as it arrives: the tests see a page asked for ahead, a page never asked for twice, one that
fails retried, a token read wrongly from the raw body never used, and the wait for a page
asked ahead broken off by a stop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudbrowser.core.backends import http_pool, open_storage
from cloudbrowser.core.backends.s3 import fast
from cloudbrowser.core.errors import Cancelled, CloudBrowserError
from cloudbrowser.core.interrupt import Interrupts, stoppable
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage
from tests.conftest import S3Server
from tests.hostile import Forward, HostileS3, Reply, Request, error_reply, listing_body

pytestmark = pytest.mark.server

KEYS = [f"k{i}.txt" for i in range(7)]
#: Rows per page: seven keys make four pages.
PAGE = 2


def storage_of(server: S3Server, **overrides: object) -> Storage:
    """The connection as the window and the CLI open it (the registry: S3's fast path)."""
    return open_storage(server.settings(**overrides), server.credentials, page_size=PAGE)


def front_of(server: S3Server) -> HostileS3:
    assert server.hostile is not None
    return server.hostile


def continuations(front: HostileS3) -> list[str]:
    """The continuation tokens of the listing requests that arrived, in order."""
    return [
        r.query.get("continuation-token", "")
        for r in front.requests_matching(lambda r: r.is_listing())
    ]


def arrival_of(front: HostileS3, picks: Callable[[Request], bool]) -> threading.Event:
    """An event set when a request ``picks`` takes arrives at the front."""
    arrived = threading.Event()

    def note(request: Request, _forward: Forward) -> Reply | None:
        if picks(request):
            arrived.set()
        return None

    front.rule(note)
    return arrived


def test_the_next_page_is_asked_for_before_the_caller_asks(hostile_server: S3Server) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, KEYS)
    front = front_of(hostile_server)
    storage = storage_of(hostile_server)
    second = arrival_of(front, lambda r: r.is_listing() and "continuation-token" in r.query)

    first = storage.list_page(bucket, "", ahead=True)

    assert [e.key for e in first.objects] == KEYS[:2]
    assert second.wait(10), "the second page was not asked for before the caller asked"
    assert continuations(front) == ["", first.next_token]
    # The caller's own request for it is the one sent ahead: the server sees no other.
    page = storage.list_page(bucket, "", first.next_token)
    assert [e.key for e in page.objects] == KEYS[2:4]
    assert continuations(front) == ["", first.next_token]


def test_a_whole_listing_asks_for_each_page_once(hostile_server: S3Server) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, KEYS)
    front = front_of(hostile_server)

    pages = list(iter_pages(storage_of(hostile_server), bucket, "", recursive=True))

    assert [e.key for p in pages for e in p.objects] == KEYS
    tokens = continuations(front)
    assert len(tokens) == len(pages) == 4, tokens  # the last page asks for none after it
    assert tokens == [""] + [p.next_token for p in pages[:-1]]


def test_without_ahead_the_next_page_waits_for_its_caller(
    hostile_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller that reads one page (a folder's check, a bucket's count) costs the server
    one request: nothing is sent ahead (counted where requests are sent ahead)."""
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, KEYS)
    sent_ahead: list[str] = []
    send = http_pool.HostPool.send

    def counting(pool: http_pool.HostPool, method: str, target: str, *a: Any) -> Any:
        sent_ahead.append(target)
        return send(pool, method, target, *a)

    monkeypatch.setattr(http_pool.HostPool, "send", counting)
    storage = storage_of(hostile_server)

    first = storage.list_page(bucket, "")
    storage.list_page(bucket, "", first.next_token)
    assert sent_ahead == []
    storage.list_page(bucket, "", first.next_token, ahead=True)
    assert len(sent_ahead) == 1  # the counting sees what is sent ahead


def test_a_page_asked_for_ahead_that_fails_is_asked_again(hostile_server: S3Server) -> None:
    """The page sent ahead is the first attempt of its request: a 503 is retried within
    max_attempts, as any request is."""
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, KEYS)
    front = front_of(hostile_server)
    failed: list[str] = []

    def busy_once(request: Request, _forward: Forward) -> Reply | None:
        if request.is_listing() and "continuation-token" in request.query and not failed:
            failed.append(request.query["continuation-token"])
            return error_reply(503, "SlowDown", "Please reduce your request rate.")
        return None

    front.rule(busy_once)
    pages = list(iter_pages(storage_of(hostile_server, max_attempts=2), bucket, ""))

    assert [e.key for p in pages for e in p.objects] == KEYS
    tokens = continuations(front)
    assert tokens.count(failed[0]) == 2, tokens  # the failed page, asked once more
    assert len(tokens) == 5


def test_a_page_asked_for_ahead_that_fails_fails_as_any_request(
    hostile_server: S3Server,
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, KEYS)
    front = front_of(hostile_server)

    def busy(request: Request, _forward: Forward) -> Reply | None:
        if request.is_listing() and "continuation-token" in request.query:
            return error_reply(503, "SlowDown", "Please reduce your request rate.")
        return None

    front.rule(busy)
    storage = storage_of(hostile_server, max_attempts=1)
    first = storage.list_page(bucket, "", ahead=True)
    with pytest.raises(CloudBrowserError):
        storage.list_page(bucket, "", first.next_token, ahead=True)
    assert continuations(front) == ["", first.next_token]  # one attempt: sent once


def test_a_token_read_wrongly_from_the_body_is_never_used(hostile_server: S3Server) -> None:
    """The token is read from the raw body before it is parsed; a comment that looks like
    one (any text a server sends) makes a wrong guess, which the parsed page overrules."""
    bucket = hostile_server.bucket()
    front = front_of(hostile_server)
    decoy = "<!-- <NextContinuationToken>decoy</NextContinuationToken> -->"

    def two_pages(request: Request, _forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        if request.query.get("continuation-token") == "real":
            body = listing_body(bucket, [("b.txt", 2)])
        else:
            body = listing_body(bucket, [("a.txt", 1)], next_token="real")
            body = body.replace(b"<IsTruncated>", decoy.encode() + b"<IsTruncated>")
        return Reply(headers={"Content-Type": "application/xml"}, body=body)

    front.rule(two_pages)
    pages = list(iter_pages(storage_of(hostile_server), bucket, ""))

    assert [e.key for p in pages for e in p.objects] == ["a.txt", "b.txt"]
    tokens = continuations(front)
    assert tokens[0] == "" and tokens.count("real") == 1, tokens
    assert tokens.count("decoy") <= 1, tokens  # asked ahead at most, then dropped


def test_waiting_for_a_page_asked_ahead_is_broken_off_by_a_stop(
    hostile_server: S3Server,
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, KEYS)
    front = front_of(hostile_server)
    answer, arrived = threading.Event(), threading.Event()

    def late(request: Request, _forward: Forward) -> Reply | None:
        if request.is_listing() and "continuation-token" in request.query:
            arrived.set()
            answer.wait(30)  # holds the reply back until the test ends
        return None

    front.rule(late)
    storage = storage_of(hostile_server)
    stop, interrupts = threading.Event(), Interrupts()

    def stopping() -> None:  # as a transfer's cancel does
        stop.set()
        interrupts.fire()

    try:
        first = storage.list_page(bucket, "", ahead=True)
        assert arrived.wait(10), "the second page was not asked for ahead"
        threading.Timer(0.2, stopping).start()
        started = time.monotonic()
        with pytest.raises(Cancelled), stoppable(interrupts, stop):
            storage.list_page(bucket, "", first.next_token, ahead=True)
        assert time.monotonic() - started < 5.0
    finally:
        answer.set()


def test_a_body_says_its_token_only_plainly() -> None:
    """The raw read gives up where the parser must decide: no truncation said, an
    escaped character, no token."""
    truncated = listing_body("b", [("a", 1)], next_token="tok+/=")
    assert fast._next_token_in(truncated) == "tok+/="
    assert fast._next_token_in(listing_body("b", [("a", 1)])) == ""
    assert fast._next_token_in(listing_body("b", [("a", 1)], next_token="a&b")) == ""
    no_token = truncated.replace(b"NextContinuationToken", b"Other")
    assert fast._next_token_in(no_token) == ""


def test_pages_asked_ahead_and_never_taken_are_dropped_oldest_first(
    hostile_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Callers that stop after one page (a search's first match, a Stop) leave pages asked
    ahead: at most ``_AHEAD_MAX`` wait, each on a connection, and the oldest is closed."""
    monkeypatch.setattr(fast, "_AHEAD_MAX", 2)
    dropped: list[http_pool.Sent] = []
    drop = http_pool.Sent.drop

    def counting(sent: http_pool.Sent) -> None:
        dropped.append(sent)
        drop(sent)

    monkeypatch.setattr(http_pool.Sent, "drop", counting)
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, [f"{folder}/{key}" for folder in "abc" for key in KEYS[:3]])
    storage = storage_of(hostile_server)
    firsts = {folder: storage.list_page(bucket, f"{folder}/", ahead=True) for folder in "abc"}

    assert len(dropped) == 1  # "a/"'s second page: the oldest of three
    # The two kept are used (each page asked for once); the dropped one is asked again.
    for folder in "abc":
        page = storage.list_page(bucket, f"{folder}/", firsts[folder].next_token)
        assert [e.key for e in page.objects] == [f"{folder}/{KEYS[2]}"]
    tokens = continuations(front_of(hostile_server))
    assert [tokens.count(firsts[folder].next_token) for folder in "bc"] == [1, 1], tokens
