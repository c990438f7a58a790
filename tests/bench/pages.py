"""The ``pages`` suite: what one listing page a hostile server forges costs in memory.

    python tests/bench/run.py pages [--runs N] [--json FILE]

The hostile front (``tests/hostile.py``) runs in this process and answers every listing
itself; each case lists one page in a fresh child process (``S3Backend.list_page``, the
code of the checkout on ``PYTHONPATH``, this one by default) and reports its peak RSS:

* ``a real page (1,000 keys)`` — the reference: an ordinary page;
* ``one 200 MB page`` — 200 MB of ordinary rows (issue 13 saw 1.5 GB of RSS for this);
* ``one 30 MiB page of tiny rows`` — under the byte bound, a million rows;
* ``one 30 MiB page of 9,000 long keys`` — the largest page that is still accepted:
  9,000 keys of 512 "é" (1,024 bytes), URL-encoded as botocore asks for;
* ``one 7.9 MiB versions page of tiny rows`` — ListObjectVersions, which botocore parses
  (bound: 8 MiB), ~45,000 rows.

Rows per case: ``MiB peak RSS`` (the child's maximum resident size), ``MiB over idle``
(above the child's peak after building its client and listing one small page), ``s``
(the call's wall time) — medians over ``--runs`` — and the outcome as an ``error`` row
when the page was refused (that is the expected outcome for the hostile cases).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from results import ERROR, Result, result

from tests.hostile import (
    Forward,
    HostileS3,
    Reply,
    Request,
    listing_body,
    versions_body,
    xml_reply,
)

SUITE = "pages"
TOOL = "cloudbrowser"
BUCKET = "bench-pages"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300

CHILD = """
import json, resource, sys, time
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.versions import iter_versions

url, bucket, op = sys.argv[1:4]
settings = ConnectionSettings(
    name="bench", endpoint_url=url, region="us-east-1", addressing_style="path",
    max_attempts=1, read_timeout=300.0,
)
backend = S3Backend(settings, Credentials("bench-access-key-01", "bench-secret-key-0123456789"))

def peak_mib():
    # VmHWM starts afresh at exec; ru_maxrss may carry the parent's peak over a fork.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

backend.list_page(bucket, "warm/")
idle = peak_mib()
start = time.perf_counter()
try:
    if op == "versions":
        rows = next(iter_versions(backend, bucket, "big/"))
    else:
        rows = backend.list_page(bucket, "big/").objects
    outcome = f"{len(rows):,} keys listed"
except CloudBrowserError as error:
    outcome = error.message
seconds = time.perf_counter() - start
print(json.dumps({"idle": idle, "peak": peak_mib(), "s": seconds, "outcome": outcome}))
"""


def _rows_of(total_bytes: int, key: Callable[[int], str]) -> list[tuple[str, int]]:
    """Rows with keys ``key(i)`` making a body of about ``total_bytes``."""
    row = len(listing_body(BUCKET, [(key(0), 1)])) - len(listing_body(BUCKET, []))
    return [(key(i), 1) for i in range(total_bytes // row)]


def _long_keys(count: int) -> bytes:
    from urllib.parse import quote

    body = listing_body(BUCKET, [(quote(f"big/{i:05d}" + "é" * 507), 1) for i in range(count)])
    return body.replace(b"<KeyCount>", b"<EncodingType>url</EncodingType><KeyCount>")


def _tiny_versions(total_bytes: int) -> bytes:
    row = len(versions_body(BUCKET, [("big/k", "v", 1)])) - len(versions_body(BUCKET, []))
    return versions_body(BUCKET, [("big/k", "v", 1)] * (total_bytes // row))


#: Case name → (the body of the ``big/`` page, whether it should be listed rather than
#: refused, and which listing: ``objects`` (ListObjectsV2) or ``versions``).
CASES: dict[str, tuple[Callable[[], bytes], bool, str]] = {
    "a real page (1,000 keys)": (
        lambda: listing_body(BUCKET, [(f"big/file-{i:06d}.txt", i) for i in range(1000)]),
        True,
        "objects",
    ),
    "one 200 MB page": (
        lambda: listing_body(BUCKET, _rows_of(200 * 1000 * 1000, lambda i: f"big/{i:020d}")),
        False,
        "objects",
    ),
    "one 30 MiB page of tiny rows": (
        lambda: listing_body(BUCKET, _rows_of(30 * 1024 * 1024, lambda i: "k")),
        False,
        "objects",
    ),
    "one 30 MiB page of 9,000 long keys": (lambda: _long_keys(9000), True, "objects"),
    "one 7.9 MiB versions page of tiny rows": (
        lambda: _tiny_versions(79 * 1024 * 1024 // 10),
        False,
        "versions",
    ),
}


def _measure(url: str, op: str) -> dict[str, object]:
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, BUCKET, op],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        cwd=tempfile.gettempdir(),  # `python -c` would put the current folder first
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_pages(runs: int) -> list[Result]:
    rows: list[Result] = []
    warm = listing_body(BUCKET, [("warm/a", 1)])
    # No upstream is ever reached: the rule answers every listing.
    with HostileS3("http://127.0.0.1:9") as front:
        for case, (make_body, listed, op) in CASES.items():
            big = make_body()

            def answer(request: Request, forward: Forward, big: bytes = big) -> Reply | None:
                return xml_reply(big if request.query.get("prefix") == "big/" else warm)

            front.clear_rules()
            front.rule(answer)
            body_mib = len(big) / 2**20
            del big
            print(f"{case}: {body_mib:.1f} MiB body", file=sys.stderr, flush=True)
            try:
                measured = [_measure(front.url, op) for _ in range(runs)]
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                rows.append(result(SUITE, case, TOOL, str(error), ERROR))
                continue
            outcome = str(measured[-1]["outcome"])
            print(f"  -> {outcome}", file=sys.stderr, flush=True)
            rows.append(result(SUITE, case, TOOL, body_mib, "MiB body"))
            for unit, key in (("MiB peak RSS", "peak"), ("MiB over idle", ""), ("s", "s")):
                values = [
                    float(str(m[key])) if key else float(str(m["peak"])) - float(str(m["idle"]))
                    for m in measured
                ]
                rows.append(result(SUITE, case, TOOL, statistics.median(values), unit))
            if ("keys listed" in outcome) != listed:  # the numbers stay in the JSON
                rows.append(result(SUITE, case, TOOL, f"unexpected: {outcome}", ERROR))
    return rows


def describe(runs: int) -> str:
    return (
        f"One forged listing page per case, listed in a fresh process (median of {runs}); "
        "peak RSS of that process. The hostile cases are expected to be refused."
    )
