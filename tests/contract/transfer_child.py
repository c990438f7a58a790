"""A process that runs the real transfer engine, for tests that kill it or starve its disk.

    python -m tests.contract.transfer_child SPEC.json

The spec (written by ``test_transfer_faults.py``) names the server, the journal file, the
queue's options and either the requests to add or ``"resume": true`` (restore the journal's
unfinished transfers and resume them all). With ``fsize_limit`` the process may not write
files larger than that many bytes (``RLIMIT_FSIZE``), with SIGXFSZ ignored so that a write
past the limit fails with EFBIG, as on a full disk, instead of killing the process.

When every transfer has settled it prints one JSON line: per transfer its state, the class
name of its error, the error's message and hint. A test that kills the process mid-transfer
never reads that line.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
from pathlib import Path

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.journal import Direction, Journal
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    if spec.get("fsize_limit"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = int(spec["fsize_limit"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    settings = ConnectionSettings(**spec["settings"])
    credentials = Credentials(*spec["credentials"])
    backend: Storage = (
        S3Backend(settings, credentials)
        if settings.kind == "s3"
        else open_storage(settings, credentials)  # Azure: tests/contract/test_azure_resume.py
    )

    def lookup(name: str) -> Storage:
        if name != settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    queue = TransferQueue(
        lookup, Journal(Path(spec["journal"])), TransferOptions(**spec["options"])
    )
    if spec.get("resume"):
        transfers = queue.restore()
        queue.resume([t.id for t in transfers])
    else:
        transfers = queue.add(
            TransferRequest(
                Direction(r["direction"]),
                settings.name,
                r["bucket"],
                r["key"],
                Path(r["local_path"]),
                r["size"],
                r["mtime"],
                r.get("etag", ""),
            )
            for r in spec["requests"]
        )
    queue.wait(transfers)
    report = [
        {
            "state": t.state.value,
            "error_type": type(t.error).__name__ if t.error else "",
            "message": t.error.message if t.error else "",
            "hint": t.error.hint if t.error else "",
        }
        for t in transfers
    ]
    print(json.dumps(report), flush=True)
    queue.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
