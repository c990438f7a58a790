"""A hostile server cannot drive the terminal: keys print escaped, JSON keeps them exact."""

from __future__ import annotations

import pytest

from cloudbrowser.core.printable import has_unsafe
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, url_listing_body

#: An OSC sequence that retitles the terminal, a C1 CSI, a newline forging a line, and a
#: right-to-left override that makes "gpj.exe" read as "exe.jpg".
HOSTILE_KEYS = [
    "title\x1b]0;owned\x07.txt",
    "csi\x9b2J.txt",
    "two\ncloudbrowser: all verified.txt",
    "photo\u202egpj.exe",
]


@pytest.fixture
def hostile_cli(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(hostile_server, capsys, monkeypatch)


def _serve_keys(server: S3Server, bucket: str) -> None:
    def listing(request: Request, forward: Forward) -> Reply | None:
        if request.is_listing() and request.bucket == bucket:
            body = url_listing_body(bucket, [(k, 5) for k in HOSTILE_KEYS])
            return Reply(200, {"Content-Type": "application/xml"}, body)
        return None

    assert server.hostile is not None
    server.hostile.rule(listing)


def test_ls_text_escapes_what_json_keeps(hostile_server: S3Server, hostile_cli: Cli) -> None:
    bucket = hostile_server.bucket()
    _serve_keys(hostile_server, bucket)

    text = hostile_cli("ls", "--text", f"s3://{bucket}/")
    assert text.code == 0, text.err
    for char in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert char not in text.out
    assert "title\\x1b]0;owned\\x07.txt" in text.out
    assert "csi\\x9b2J.txt" in text.out
    assert "photo\\u202egpj.exe" in text.out
    # One line per key: the newline in a key cannot forge a line of its own.
    assert len(text.out.splitlines()) == len(HOSTILE_KEYS)
    assert "two\\ncloudbrowser: all verified.txt" in text.out

    as_json = hostile_cli("ls", "--json", f"s3://{bucket}/")
    assert as_json.code == 0, as_json.err
    assert sorted(r["key"] for r in as_json.records()) == sorted(HOSTILE_KEYS)
    # The strings are exact, yet the terminal sees only JSON escapes, one record a line.
    assert len(as_json.out.splitlines()) == len(HOSTILE_KEYS)
    assert not has_unsafe(as_json.out.replace("\n", ""))
    assert "\\u202e" in as_json.out and "\\u009b" in as_json.out


def test_error_messages_escape_keys(hostile_server: S3Server, hostile_cli: Cli) -> None:
    bucket = hostile_server.bucket()
    result = hostile_cli("ls", "--text", f"s3://{bucket}/no\x1b]0;owned\x07such")
    assert result.code == 1
    assert "\x1b" not in result.err and "\x07" not in result.err
    assert "no\\x1b]0;owned\\x07such" in result.err
