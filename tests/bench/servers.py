"""Servers and peer tools for the benchmarks: ``rclone serve s3`` over a folder, and an
environment that keeps s5cmd, aws-cli and rclone away from the user's home and config.

Only 127.0.0.1 servers started here, stopped by their own pid in a ``finally``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.local_servers import rclone_s3 as local_rclone_s3

REGION = "us-east-1"
# rclone rejects access keys shorter than ~14 characters (InvalidAccessKeyId).
ACCESS_KEY = "cloudbrowser-bench-key"
SECRET_KEY = "cloudbrowser-bench-secret-0123456789"


@dataclass(frozen=True)
class Server:
    """A running S3 endpoint with one key pair; ``pid`` is the server process."""

    url: str
    key: str
    secret: str
    pid: int


@contextmanager
def rclone_s3(root: Path) -> Iterator[Server]:
    """``rclone serve s3 ROOT`` on a free 127.0.0.1 port; each top-level folder is a bucket.

    rclone only sees folders that exist when it starts, so seed ``root`` before calling this.
    ``--dir-cache-time 1h`` keeps the server's directory cache warm for the whole run, so a
    5-minute expiry (the default) cannot land in the middle of one tool's measurements.
    """
    with local_rclone_s3(root, ACCESS_KEY, SECRET_KEY, "--dir-cache-time", "1h") as (url, proc):
        yield Server(url, ACCESS_KEY, SECRET_KEY, proc.pid)


def isolated_env(server: Server, home: Path) -> dict[str, str]:
    """Environment for a peer CLI: credentials for ``server``, config files under ``home``.

    No AWS_* or RCLONE_* variable from the caller leaks in; aws-cli gets a config that forces
    path-style addressing; rclone gets an empty config file.
    """
    home.mkdir(parents=True, exist_ok=True)
    aws_config = home / "aws-config"
    aws_config.write_text(
        f"[default]\nregion = {REGION}\ns3 =\n    addressing_style = path\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3_"))}
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID=server.key,
        AWS_SECRET_ACCESS_KEY=server.secret,
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(aws_config),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        RCLONE_CONFIG=str(home / "rclone.conf"),
    )
    return env


def server_cpu_meter(pid: int) -> Callable[[], float]:
    """The server's CPU seconds so far (psutil), or NaN when psutil is missing."""
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return lambda: float("nan")
    proc = psutil.Process(pid)

    def cpu() -> float:
        t = proc.cpu_times()
        return float(t.user + t.system)

    return cpu


def children_cpu() -> float:
    """CPU seconds of the child processes waited for so far (the CLI tools)."""
    t = os.times()
    return t.children_user + t.children_system
