"""Issue 13's promise in one run: a recursive download that meets a hostile server, hostile
keys and damaged local state at once delivers every good file byte-identical and names every
bad one, each with its reason, while nothing outside the target folder is touched.

The single classes are tested one by one elsewhere (test_download_safety, test_batch_errors,
test_hostile_listings, test_hostile_text); this checks that they hold together, in one batch,
through the real command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbrowser.cli.output import Exit
from cloudbrowser.core.downloads import is_temporary_name
from cloudbrowser.core.printable import printable
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, error_reply, ignore_prefix

GOOD = {
    "want/a.txt": b"alpha " * 100,
    "want/doc": b"D" * 3000,
    "want/doc.part": b"P" * 2000,  # an object, not our temporary file
    "want/sub/b.bin": bytes(range(256)) * 40,
    "want/spaces and ünïcode #%+.txt": b"names people use",
}
#: Each bad key, and a piece of the reason it must be named with.
BAD = {
    "want/.a.txt.cbpart-1": "reserves for temporary files",
    "want/" + "n" * 300: "too long",
    "want/liar.bin": "reply of 5368709120 bytes",  # its GET claims 5 GiB for 1,000 bytes
    # A 200 whose body is an S3 <Error> document, without an ETag: not saved as the file.
    "want/error.txt": "sent a reply of",
    # Terminal controls: refused as a file name, and named with the controls escaped.
    "want/trick\x1b]0;pwned\x07.txt": "not allowed in file names",
    "other/x": "listed it under",  # the server lists keys outside the prefix asked for
    "wantX/y": "listed it under",
}


def hostile_gets(request: Request, forward: Forward) -> Reply | None:
    """A GET that lies about its length, and one that sends an error document as 200."""
    if request.method != "GET" or not request.key:
        return None
    if request.key == "want/liar.bin":
        reply = forward()
        reply.length = 5 * 1024**3  # then the connection closes after the real 1,000 bytes
        return reply
    if request.key == "want/error.txt":
        body = error_reply(500, "InternalError", "We encountered an internal error.").body
        return Reply(200, {"Content-Type": "application/xml"}, body)
    return None


@pytest.fixture
def cli(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(hostile_server, capsys, monkeypatch)


def test_a_recursive_download_through_every_trap_delivers_the_good_and_names_the_bad(
    cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    bad_bodies = {key: b"x" * 1000 for key in BAD}
    bad_bodies["want/error.txt"] = b"the real text, never delivered by this server"
    hostile_server.put(bucket, {**GOOD, **bad_bodies})
    front = hostile_server.hostile
    assert front is not None
    front.rule(ignore_prefix)
    front.rule(hostile_gets)

    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    (out / "want").mkdir()
    # Planted by someone else at the names older releases used for temporary files.
    (out / "want" / "a.txt.part").symlink_to(outside)
    (out / "want" / "doc.part.part").write_bytes(b"the user's own file")

    result = cli("get", "-r", f"s3://{bucket}/want/", str(out))

    assert result.code == Exit.FAILED, "bad keys make a failed batch, never a quiet success"
    for key, body in GOOD.items():
        assert (out / key).read_bytes() == body, key
    records = {r["key"]: r for r in result.records()}
    for key in GOOD:
        assert (records[key]["state"], records[key]["verified"]) == ("done", True), key
    assert "\x1b" not in result.err and "\x07" not in result.err, "a key drove the terminal"
    # Every bad key is named on stderr with its reason, and nothing of it is saved.
    for key, reason in BAD.items():
        lines = [line for line in result.err.splitlines() if printable(key) in line]
        assert lines, f"{key!r} is not named"
        assert reason in " ".join(lines), (key, lines)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        [*GOOD, "want/doc.part.part", "want/a.txt.part"]  # the two planted files
    )
    assert not (out / "want" / "liar.bin").exists()
    assert not (out / "want" / "error.txt").exists()
    assert not (out / "other").exists() and not (out / "wantX").exists()
    # Nothing outside the folder changed, nobody's file was opened, no temporary file is left.
    assert outside.read_bytes() == b"precious"
    assert (out / "want" / "a.txt.part").is_symlink()
    assert (out / "want" / "doc.part.part").read_bytes() == b"the user's own file"
    assert [p.name for p in out.rglob("*") if is_temporary_name(p.name)] == []
