"""core.sources: names to sources, the same rule for the window and the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3.aws_auth import aws_profile
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.core.sources import find_source, source_of_connection_name


def test_saved_connections_win_over_aws_profiles_of_the_same_name() -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[profile dev]\nregion = eu-west-1\n[profile both]\n", encoding="utf-8"
    )
    store = ProfileStore()
    store.add(Profile(name="both", endpoint_url="http://127.0.0.1:9", access_key_id="k" * 16))
    assert find_source("both", store) == "saved:both"
    assert find_source("dev", store) == "aws:dev"
    with pytest.raises(ConfigError, match="no saved connection or AWS profile named “x”"):
        find_source("x", store)


def test_a_journalled_connection_name_leads_back_to_its_source() -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile dev]\n", encoding="utf-8")
    store = ProfileStore()
    store.add(Profile(name="minio", endpoint_url="http://127.0.0.1:9", access_key_id="k" * 16))
    # The journal records a transfer by its connection's settings name.
    assert source_of_connection_name("minio", store) == "saved:minio"
    assert source_of_connection_name(aws_profile("dev").settings().name, store) == "aws:dev"
    assert source_of_connection_name("http://127.0.0.1:9", store) is None
    assert source_of_connection_name("nobody (AWS)", store) is None
