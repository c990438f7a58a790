from __future__ import annotations

import pytest

from tests.cli.helpers import Cli, Run
from tests.conftest import S3Server


@pytest.fixture
def cli(
    server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """``cloudbrowser COMMAND ... --endpoint <server>`` in process, on moto and on rclone."""
    return Cli(server, capsys, monkeypatch)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``cloudbrowser ...`` in process, connected as its arguments and environment say."""
    return Run(capsys)
