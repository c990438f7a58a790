"""The issue's "done when", as a new user would try it: with the connection saved in the
window, script an upload, a sync and a share link, with no display."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.cli.helpers import Cli
from tests.cli.test_ls import save_connection
from tests.conftest import S3Server


def test_upload_sync_and_share_with_the_saved_connection(
    cli: Cli, server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "CLOUDBROWSER_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    save_connection(server, "work")  # secret in the (test's) keyring, as the window saves it
    bucket = server.bucket()
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.7 quarterly")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_bytes(b"<h1>hello</h1>")

    def run(*argv: str) -> list[dict[str, object]]:
        result = cli(*argv, "-c", "work", connect=False)
        assert result.code == 0, result.err
        return result.records()

    [upload] = run("put", str(report), f"s3://{bucket}/reports/")
    assert upload["verified"] is True
    [synced] = run("sync", str(site), f"s3://{bucket}/www/")
    assert synced["key"] == "www/index.html"
    assert run("sync", str(site), f"s3://{bucket}/www/") == []
    [link] = run("presign", "--json", f"s3://{bucket}/reports/report.pdf")
    with urllib.request.urlopen(str(link["url"]), timeout=10) as reply:
        assert reply.read() == b"%PDF-1.7 quarterly"
