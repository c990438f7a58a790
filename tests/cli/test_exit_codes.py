"""Exit code 3 is "credentials or configuration" (``--help``): a command line that asks
for what cannot be done is a usage error (2), even where the engine says so with its
ConfigError (a folder copied into itself, a tag filter that does not parse)."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Cli
from tests.conftest import S3Server


@pytest.mark.parametrize("command", ["cp", "mv"])
def test_a_folder_copied_into_itself_is_a_usage_error(
    cli: Cli, server: S3Server, command: str
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["src/a.txt"])
    result = cli(command, "-r", f"s3://{bucket}/src/", f"s3://{bucket}/src/inner/")
    assert result.code == 2, result.err
    assert "into itself" in result.err


@pytest.mark.parametrize("condition", ["project", 'project="apollo'])
def test_a_tag_filter_that_does_not_parse_is_a_usage_error(
    cli: Cli, server: S3Server, condition: str
) -> None:
    result = cli("ls", "--tag", condition, f"s3://{server.bucket()}/")
    assert result.code == 2, result.err
    # The flag's own syntax, not the window's search box's ("tag:NAME=VALUE").
    assert "--tag project=apollo" in result.err
    assert "tag:" not in result.err
