"""Local file errors say what happened: a full disk is not a file too large for its disk."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from cloudbrowser.core.errors import LocalFileError
from cloudbrowser.core.localfs import check_free_space, local_error


def test_efbig_is_too_large_for_the_file_system_not_a_full_disk(tmp_path: Path) -> None:
    error = local_error(OSError(errno.EFBIG, "File too large"), tmp_path / "big.iso", writing=True)
    assert error.message == "“big.iso” is too large for this file system."
    assert "disk is full" not in error.message


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_no_space_is_a_full_disk(tmp_path: Path, code: int) -> None:
    error = local_error(OSError(code, "No space"), tmp_path / "a.bin", writing=True)
    assert error.message == "The disk is full: “a.bin” could not be written completely."


@pytest.mark.parametrize(("resumable", "said"), [(True, "continues from there"), (False, "again")])
def test_the_hint_says_what_a_retry_does(tmp_path: Path, resumable: bool, said: str) -> None:
    error = local_error(
        OSError(errno.ENOSPC, "No space"), tmp_path / "a.bin", writing=True, resumable=resumable
    )
    assert said in error.hint


def test_free_space_is_checked_before_writing(tmp_path: Path) -> None:
    check_free_space(tmp_path, "small.bin", 1)
    with pytest.raises(LocalFileError, match=r"The disk is full: “huge\.bin” needs .* free\."):
        check_free_space(tmp_path, "huge.bin", 2**60)
