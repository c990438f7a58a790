"""``cloudbrowser --smoke-test`` (unfrozen, in a child): the packaged build's own check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def smoke(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudbrowser", "--smoke-test"],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=170,  # the smoke test bounds itself at 150 s
        cwd=tmp_path,
    )


def test_smoke_test_passes_every_step(tmp_path: Path) -> None:
    done = smoke(
        tmp_path,
        PYTHON_KEYRING_BACKEND="tests.conftest.MemoryKeyring",
        CLOUDBROWSER_SMOKE_EXPECT_KEYRING="tests.conftest.MemoryKeyring",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    steps = [line.split()[1] for line in lines if line.startswith("ok ")]
    assert steps == [
        "qt", "keyring", "window", "demo", "list", "upload", "download", "gcs", "azure",
    ]  # fmt: skip
    assert "keyring    tests.conftest.MemoryKeyring (usable)" in done.stdout
    assert "in parts, verified" in done.stdout  # the multipart path, in 5 MiB parts
    assert "bytes back, verified, identical" in done.stdout
    assert lines[-1].startswith("smoke test: PASS (9 steps passed")
    # Throw-away dirs: nothing landed in the (test's) real config, data or log dirs.
    for name in ("CONFIG", "DATA", "LOG"):
        assert not any(Path(os.environ[f"CLOUDBROWSER_{name}_DIR"]).iterdir()), name


def test_smoke_test_fails_when_the_keyring_the_unfrozen_app_has_is_missing(
    tmp_path: Path,
) -> None:
    # What a bundle without its keyring backends looks like: only "fail" resolves.
    done = smoke(
        tmp_path,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        CLOUDBROWSER_SMOKE_EXPECT_KEYRING="keyring.backends.SecretService.Keyring",
    )
    assert done.returncode == 1
    assert "FAIL  keyring    StepFailed: resolved keyring.backends.fail.Keyring" in done.stdout
    assert "smoke test: FAIL" in done.stdout


def test_no_usable_keyring_is_reported_not_failed_when_none_is_expected(tmp_path: Path) -> None:
    done = smoke(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "keyring.backends.fail.Keyring (none usable" in done.stdout


def test_the_keyring_round_trip_is_opt_in(tmp_path: Path) -> None:
    done = smoke(
        tmp_path,
        PYTHON_KEYRING_BACKEND="tests.conftest.MemoryKeyring",
        CLOUDBROWSER_SMOKE_KEYRING_WRITE="1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(usable; a secret stored, read back and deleted)" in done.stdout
