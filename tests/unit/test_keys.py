"""Key and location helpers: pure functions, so exhaustive cases are cheap."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.errors import ConfigError, UnsafeKey
from cloudbrowser.core.keys import (
    USABLE_NAME_BYTES,
    leaf_name,
    local_path_for,
    normalize_prefix,
    parent_prefix,
    parse_location,
    prefix_parts,
    remote_uri,
    split_scheme,
    usable_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bucket", ("bucket", "")),
        ("bucket/", ("bucket", "")),
        ("bucket/a/b", ("bucket", "a/b/")),
        ("s3://bucket/a/b/", ("bucket", "a/b/")),
        ("S3://bucket/a", ("bucket", "a/")),
        ("  /bucket/a b/ ", ("bucket", "a b/")),
        ("bucket/100% #1 + x/", ("bucket", "100% #1 + x/")),
    ],
)
def test_parse_location(text: str, expected: tuple[str, str]) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["", "s3://", "/", "   "])
def test_parse_location_without_bucket_is_a_clear_error(text: str) -> None:
    with pytest.raises(ConfigError, match="bucket"):
        parse_location(text)


def test_prefix_helpers() -> None:
    assert normalize_prefix("a/b") == "a/b/"
    assert normalize_prefix("") == ""
    assert parent_prefix("a/b/") == "a/"
    assert parent_prefix("a/") == ""
    assert parent_prefix("") == ""
    assert prefix_parts("a/b c/") == [("a", "a/"), ("b c", "a/b c/")]
    assert prefix_parts("") == []
    assert leaf_name("a/b/") == "b"
    assert leaf_name("a/b.txt") == "b.txt"


def test_local_path_stays_inside_root(tmp_path: Path) -> None:
    target = local_path_for("photos/2024/a b.jpg", "photos/", tmp_path)
    assert target == tmp_path / "2024" / "a b.jpg"


#: Refused everywhere: they leave the folder, name it, or are no name anyone typed.
REFUSED_EVERYWHERE = [
    "../escape.txt",
    "a/../../escape.txt",
    "/etc/passwd",
    "a//b.txt",
    "a/./b.txt",
    "back\\slash.txt",
    "bell\x07.txt",
    "folder/",
]
#: Refused where file names follow Windows' rules; plain names elsewhere.
REFUSED_ON_WINDOWS = [
    "con.txt",
    "dir/LPT1",
    "what?.txt",
    "logs/2024-01-01T10:00:00.gz",
    "trailing-dot./x",
    "trailing space ",
]


@pytest.mark.parametrize("windows", [True, False])
@pytest.mark.parametrize("key", REFUSED_EVERYWHERE)
def test_hostile_keys_are_refused(tmp_path: Path, key: str, windows: bool) -> None:
    with pytest.raises(UnsafeKey) as caught:
        local_path_for(key, "", tmp_path, windows=windows)
    assert key in caught.value.message


@pytest.mark.parametrize("key", REFUSED_ON_WINDOWS)
def test_names_windows_forbids_are_refused_there_and_kept_elsewhere(
    tmp_path: Path, key: str
) -> None:
    """A Linux or macOS user downloads logs/10:00:00.gz as aws s3 cp and rclone do."""
    with pytest.raises(UnsafeKey) as caught:
        local_path_for(key, "", tmp_path, windows=True)
    assert key in caught.value.message
    assert local_path_for(key, "", tmp_path, windows=False) == tmp_path.joinpath(*key.split("/"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fine.txt", "fine.txt"),
        ("a:b?.txt", "a_b_.txt"),
        ("CON.txt", "_CON.txt"),
        ("ends with dots...", "ends with dots"),
        ("", "download"),
    ],
)
def test_usable_name_cleans_what_a_disk_refuses(name: str, expected: str) -> None:
    assert usable_name(name) == expected


def test_usable_name_shortens_long_names_keeping_the_extension() -> None:
    name = "é" * 300 + ".pdf"
    short = usable_name(name)
    assert len(short.encode()) <= USABLE_NAME_BYTES
    assert short.endswith(".pdf") and short.startswith("é") and "…" in short


def test_remote_addresses_in_a_connections_scheme() -> None:
    assert remote_uri("s3", "b", "x/y z.txt") == "s3://b/x/y z.txt"
    assert remote_uri("gs", "b", "") == "gs://b/"
    assert remote_uri("s3", "b", None) == "s3://b"
    assert split_scheme("S3://b/k") == ("s3", "b/k")  # typed in any case
    assert split_scheme("http://b/k") == ("", "http://b/k")  # not a scheme of ours
    assert split_scheme("b/k") == ("", "b/k")
    assert parse_location("s3://b/dir") == ("b", "dir/")


def test_the_cli_keeps_the_scheme_a_location_was_written_with() -> None:
    from cloudbrowser.cli.locations import is_remote, parse_remote, uri

    where = parse_remote("S3://bucket/a/b.txt")
    assert (where.bucket, where.key, where.scheme) == ("bucket", "a/b.txt", "s3")
    assert str(where) == "s3://bucket/a/b.txt" == uri("bucket", "a/b.txt")
    assert is_remote("s3://b") and not is_remote("http://b") and not is_remote("b/k")


@pytest.mark.parametrize("plan", [False, True], ids=["one key", "a plan's folders"])
def test_a_link_below_the_root_never_leads_a_file_outside(tmp_path: Path, plan: bool) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (root / "away").symlink_to(outside)
    (root / "real" / "named").symlink_to(outside / "x")
    folders: dict[Path, Path] | None = {} if plan else None
    inside = local_path_for("real/a.txt", "", root, folders=folders)
    assert inside == root / "real" / "a.txt"
    for key in ["away/a.txt", "away/deeper/b.txt", "real/named", "away/c"]:
        with pytest.raises(UnsafeKey, match="outside"):
            local_path_for(key, "", root, folders=folders)
    # A name no disk holds is mapped all the same: its download fails alone, saying why.
    long = "n" * 300
    assert local_path_for(f"real/{long}", "", root, folders=folders) == root / "real" / long


def test_a_plan_resolves_each_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving a key's path looks up every folder of it (an lstat each): a plan of many
    keys in one folder looks the folder's path up once, and each key's own name."""
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    resolved = root.resolve()
    looked_up: list[object] = []
    lstat = os.lstat

    def counting(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        looked_up.append(path)
        return lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", counting)
    folders: dict[Path, Path] = {}
    for i in range(100):
        target = local_path_for(f"a/b/f{i}.txt", "", root, resolved_root=resolved, folders=folders)
        assert target == root / "a" / "b" / f"f{i}.txt"
    assert len(looked_up) <= 100 + len((root / "a" / "b").parts)
