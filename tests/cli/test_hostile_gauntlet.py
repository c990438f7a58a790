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
from cloudbrowser.core.printable import printable
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.gauntlet import (
    BAD,
    GOOD,
    assert_only_good_files_and_planted_ones_untouched,
    hostile_gets,
    plant,
    seed,
)
from tests.hostile import ignore_prefix


@pytest.fixture
def cli(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(hostile_server, capsys, monkeypatch)


def test_a_recursive_download_through_every_trap_delivers_the_good_and_names_the_bad(
    cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = seed(hostile_server)
    front = hostile_server.hostile
    assert front is not None
    front.rule(ignore_prefix)
    front.rule(hostile_gets)
    out = tmp_path / "out"
    plant(out, tmp_path)

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
    assert_only_good_files_and_planted_ones_untouched(out, tmp_path)
