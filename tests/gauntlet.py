"""The traps of issue 13 in one bucket, for one recursive download through the CLI
(tests/cli/test_hostile_gauntlet.py) and through the window (tests/gui/test_hostile_gauntlet.py).
"""

from __future__ import annotations

from pathlib import Path

from cloudbrowser.core.downloads import is_temporary_name
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, error_reply

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


def seed(server: S3Server) -> str:
    """A bucket holding GOOD and BAD (each bad key with 1,000 bytes of its own)."""
    bucket = server.bucket()
    bad_bodies = {key: b"x" * 1000 for key in BAD}
    bad_bodies["want/error.txt"] = b"the real text, never delivered by this server"
    server.put(bucket, {**GOOD, **bad_bodies})
    return bucket


def plant(out: Path, tmp_path: Path) -> None:
    """Files someone else left in the download folder at the names older releases used for
    temporary files: a link to a file outside the folder, and a user's own file."""
    (out / "want").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    (out / "want" / "a.txt.part").symlink_to(outside)
    (out / "want" / "doc.part.part").write_bytes(b"the user's own file")


def assert_only_good_files_and_planted_ones_untouched(out: Path, tmp_path: Path) -> None:
    """The good files byte-identical, nothing of a bad key saved, nothing outside the folder
    changed, nobody's file opened, no temporary file left."""
    for key, body in GOOD.items():
        assert (out / key).read_bytes() == body, key
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted([*GOOD, "want/doc.part.part", "want/a.txt.part"])
    assert (tmp_path / "outside.txt").read_bytes() == b"precious"
    assert (out / "want" / "a.txt.part").is_symlink()
    assert (out / "want" / "doc.part.part").read_bytes() == b"the user's own file"
    assert [p.name for p in out.rglob("*") if is_temporary_name(p.name)] == []
