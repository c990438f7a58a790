"""``ls --tag``: objects found by their tags through the server's tag index, on Azurite
(Find Blobs by Tags in Container), and what a connection without one says."""

from __future__ import annotations

import pytest

from cloudbrowser.core.storage import properties_of
from tests.cli.helpers import Cli, Run
from tests.cli.test_other_clouds import azure_connection_string
from tests.conftest import AzuriteServer, S3Server


def test_ls_tag_lists_the_tagged_blobs_below_the_location(
    run: Run,
    azurite_server: AzuriteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["docs/a.txt", "docs/b.txt", "docs2/c.txt", "d.txt"])
    props = properties_of(azurite_server.backend())
    for key, year in (("docs/a.txt", "2023"), ("docs/b.txt", "2024"), ("docs2/c.txt", "2024")):
        props.put_tags(bucket, key, {"project": "apollo", "year": year})

    every = run("ls", "--tag", "project=apollo", f"az://{bucket}")
    assert every.code == 0, every.err
    assert [r["key"] for r in every.records()] == ["docs/a.txt", "docs/b.txt", "docs2/c.txt"]
    assert every.records()[0]["size"] == len(b"docs/a.txt")
    # Below a folder ("docs" is the folder docs/, not docs2/), two conditions joined by AND.
    newer = run("ls", "--tag", "project=apollo", "--tag", "year>=2024", f"az://{bucket}/docs")
    assert [r["key"] for r in newer.records()] == ["docs/b.txt"]
    text = run("ls", "--text", "--tag", "year<2024", f"az://{bucket}/docs/")
    assert text.out.strip().endswith("docs/a.txt")

    bad = run("ls", "--tag", "project", f"az://{bucket}")
    assert bad.code != 0
    assert "“--tag project” compares the tag with nothing." in bad.err
    assert "--tag NAME=VALUE" in bad.err
    refused = run("ls", "--tag", "pro'ject=x", f"az://{bucket}")
    assert refused.code != 0 and "cannot be an Azure blob index tag" in refused.err


def test_ls_tag_where_the_server_has_no_tag_index(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a.txt"])
    result = cli("ls", "--tag", "project=apollo", f"s3://{bucket}")
    assert result.code != 0
    assert "has no search by tags" in result.err
    assert cli("ls", "--tag", "a=b").code == 2  # names no bucket: a usage error
