"""The ``azure`` suite: cloudbrowser's Azure backend beside rclone's azureblob backend and
AzCopy, on one Azurite (the blob emulator, in memory, on 127.0.0.1).

Cases: a recursive listing of ``keys`` blobs and the first page of that folder (what the
window shows first), the real window listing that folder (``gui_listing.py`` in a process of
its own: first rows painted, event-loop stalls, RSS; issue 16's bar: the first page on
screen in under 1 s), ``files`` small files up and down, one big file up and down. Each
tool runs every case ``runs`` times; the median is reported. cloudbrowser is the engine as
the window and the CLI use it (TransferQueue, default options, verified); rclone is
``rclone lsf`` / ``rclone copy`` with its defaults, configured by environment variables
(no config file); AzCopy (from npm: scripts/setup installs it with the bench extra) is
``azcopy list`` / ``azcopy copy`` with a container SAS, 16 connections and ``--put-md5``
(see ``_AzCopy``), and is left out, with the reason printed, where it is missing or does
not run. Seeding goes through cloudbrowser's backend, untimed. After every transfer the
result is counted, untimed, for every tool: a wrong count or size is an error row.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import limits
import listing
from results import ERROR, Result, result

from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from tests.local_servers import azurite_blob, tool

SUITE = "azure"
CONTAINER = "bench"
LIST_PREFIX = "many/"
CLI_TIMEOUT = 1800.0
SMALL = 4096


def run_azure(keys: int, files: int, big_mib: int, runs: int) -> list[Result]:
    rows: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="cb-bench-azure-") as tmp:
        work = Path(tmp)
        with azurite_blob(work) as (url, proc):
            storage = _storage(url)
            storage.create_bucket(CONTAINER)
            _progress(f"seeding {keys:,} blobs")
            _seed(storage, keys)
            rclone = _Rclone(url, work / "home")
            azcopy = _AzCopy.start(url, work / "azcopy")
            rows += _listing(storage, rclone, azcopy, keys, runs)
            # Before the transfers: the container holds the listed blobs alone.
            rows += _window(url, proc.pid, keys, work / "gui-home")
            rows += _transfers(storage, rclone, azcopy, work, files, big_mib, runs)
    return rows


# ── the tools ────────────────────────────────────────────────────────────────────────────


def _storage(url: str, pool: int = 32) -> Any:
    from cloudbrowser.core.backends import open_storage
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

    settings = ConnectionSettings(
        name="bench-azure",
        kind="azure",
        endpoint_url=url,
        auth="key",
        account=AZURITE_ACCOUNT,
        max_pool_connections=pool,
    )
    return open_storage(settings, Credentials(AZURITE_ACCOUNT, AZURITE_KEY))


class _Rclone:
    """rclone's azureblob backend as an on-the-fly remote, configured by environment."""

    def __init__(self, url: str, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        self.env.update(
            HOME=str(home),
            RCLONE_CONFIG=str(home / "rclone.conf"),
            RCLONE_AZUREBLOB_ACCOUNT=AZURITE_ACCOUNT,
            RCLONE_AZUREBLOB_KEY=AZURITE_KEY,
            RCLONE_AZUREBLOB_ENDPOINT=url,
        )
        self.exe = tool("rclone")

    def run(self, *args: str) -> bytes:
        return _run_tool("rclone", [self.exe, *args], self.env)

    def remote(self, path: str = "") -> str:
        return f":azureblob:{CONTAINER}/{path}"


#: AzCopy's binary inside its npm package, installed by scripts/setup (bench extra) into
#: ``<venv>/azcopy``. The package ships the file without its execute bit (setup sets it).
AZCOPY_IN_VENV = "azcopy/node_modules/@azure-tools/azcopy-linux/dist/bin/azcopy_linux_amd64"
#: AzCopy's HTTP connections (AZCOPY_CONCURRENCY_VALUE). Its default on a machine of up to
#: 4 cores is 32; 16 is what rclone's azureblob backend sends one file's blocks with
#: (``upload_concurrency``), and cloudbrowser moves 8 files and 8 parts at once.
AZCOPY_CONNECTIONS = 16


class _AzCopy:
    """AzCopy with a container SAS (the well-known Azurite key signs it): AzCopy signs with
    nothing but a SAS or Entra ID. Azurite's URL is not one AzCopy can tell the kind of
    (``*.blob.core.windows.net``), so ``--location Blob`` / ``--from-to`` say it. Its logs
    and job plans go to a folder of the run, HOME too; it checks for a newer version only
    when asked (``--check-version``), so it sends nothing anywhere but Azurite."""

    def __init__(self, exe: str, url: str, home: Path) -> None:
        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        self.exe = exe
        self.base = url.rstrip("/")
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
        self.sas = generate_container_sas(
            AZURITE_ACCOUNT,
            CONTAINER,
            account_key=AZURITE_KEY,
            permission=ContainerSasPermissions(
                read=True, add=True, create=True, write=True, delete=True, list=True
            ),
            expiry=expiry,
        )
        self.env = _azcopy_env(home)

    @classmethod
    def start(cls, url: str, home: Path) -> _AzCopy | None:
        """AzCopy where it is installed and runs; else None, and the reason printed."""
        exe, reason = find_azcopy(home)
        if exe is None:
            _progress(f"azcopy rows skipped: {reason}")
            return None
        return cls(exe, url, home)

    def url(self, path: str = "") -> str:
        return f"{self.base}/{CONTAINER}/{path}?{self.sas}"

    def run(self, *args: str) -> bytes:
        # AzCopy writes its errors to stdout; the SAS is redacted in them by AzCopy.
        return _run_tool("azcopy", [self.exe, *args], self.env, errors_on_stdout=True)


def _run_tool(
    name: str, command: list[str], env: dict[str, str], *, errors_on_stdout: bool = False
) -> bytes:
    """A peer's command: its stdout, or RuntimeError with the last lines it wrote."""
    proc = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        said = (proc.stdout + proc.stderr) if errors_on_stdout else proc.stderr
        tail = said.decode(errors="replace").strip().splitlines()[-2:]
        raise RuntimeError(f"{name} exit {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def _azcopy_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZCOPY_")}
    env.update(
        HOME=str(home),  # AzCopy keeps ~/.azcopy
        AZCOPY_LOG_LOCATION=str(home / "logs"),
        AZCOPY_JOB_PLAN_LOCATION=str(home / "plans"),
        AZCOPY_DISABLE_SYSLOG="true",
        AZCOPY_CONCURRENCY_VALUE=str(AZCOPY_CONNECTIONS),
    )
    return env


def find_azcopy(home: Path) -> tuple[str | None, str]:
    """AzCopy's path (the venv's npm package, else ``azcopy`` on PATH) once ``--version``
    ran, or None and why not."""
    candidate = Path(sys.prefix) / AZCOPY_IN_VENV
    exe = str(candidate) if candidate.exists() else shutil.which("azcopy")
    if exe is None:
        return None, f"not installed (neither {candidate} nor azcopy on PATH: scripts/setup bench)"
    try:
        proc = subprocess.run(
            [exe, "--version"],
            env=_azcopy_env(home),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except OSError as exc:  # not executable, wrong architecture
        return None, f"{exe} does not start: {exc}"
    if proc.returncode != 0:
        # e.g. libsecret-1.so.0 missing: the npm build links it (apt package libsecret-1-0).
        tail = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()[-1:]
        return None, f"{exe} --version failed ({proc.returncode}): {' '.join(tail)}"
    _progress(proc.stdout.decode(errors="replace").strip())
    return exe, ""


# ── seeding ──────────────────────────────────────────────────────────────────────────────


def _seed(storage: Any, keys: int) -> None:
    def put(i: int) -> None:
        storage.put_object(CONTAINER, f"{LIST_PREFIX}k{i:07d}.txt", b"x", content_md5="")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(keys)))


# ── listing ──────────────────────────────────────────────────────────────────────────────


def _listing(
    storage: Any, rclone: _Rclone, azcopy: _AzCopy | None, keys: int, runs: int
) -> list[Result]:
    def ours_all() -> int:
        count, token = 0, ""
        while True:
            page = storage.list_page(CONTAINER, LIST_PREFIX, token, recursive=True)
            count += len(page.objects)
            token = page.next_token
            if not token:
                return count

    def ours_first() -> int:
        return len(storage.list_page(CONTAINER, LIST_PREFIX).objects)

    def rclone_all() -> int:
        return len(rclone.run("lsf", "-R", "--files-only", rclone.remote(LIST_PREFIX)).splitlines())

    def rclone_first() -> int:
        # rclone has no "first page": its first output line is the first one it prints.
        proc = subprocess.Popen(
            [rclone.exe, "lsf", rclone.remote(LIST_PREFIX)],
            env=rclone.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        proc.kill()
        proc.wait()
        return 1 if line else 0

    rows: list[Result] = []
    case = f"list {keys:,} blobs (recursive)"
    rows += _measure(case, "cloudbrowser", ours_all, runs, keys, "keys/s", expect=keys)
    rows += _measure(case, "rclone lsf -R", rclone_all, runs, keys, "keys/s", expect=keys)
    if azcopy is not None:
        rows += _measure(
            case, "azcopy", lambda: _azcopy_all(azcopy), runs, keys, "keys/s", expect=keys
        )
    first = "first page of that folder"
    rows += _measure(first, "cloudbrowser", ours_first, runs, 0, "s", expect=None)
    rows += _measure(first, "rclone lsf (first line)", rclone_first, runs, 0, "s", expect=1)
    if azcopy is not None:
        first_line = "azcopy list (first line)"
        rows += _measure(first, first_line, lambda: _azcopy_first(azcopy), runs, 0, "s", expect=1)
    return rows


#: What ends each of ``azcopy list``'s blob lines (its other lines are notes: "INFO: …").
_AZCOPY_BLOB_LINE = b"; Content Length: "


def _azcopy_all(azcopy: _AzCopy) -> int:
    # azcopy list lists without a delimiter: every blob below the prefix, a line each.
    out = azcopy.run("list", azcopy.url(LIST_PREFIX), "--location", "Blob", "--machine-readable")
    return sum(1 for line in out.splitlines() if _AZCOPY_BLOB_LINE in line)


def _azcopy_first(azcopy: _AzCopy) -> int:
    """Like rclone's first line: AzCopy prints each page as it comes; the first blob's
    line, past its notes, is what a user sees first."""
    proc = subprocess.Popen(
        [azcopy.exe, "list", azcopy.url(LIST_PREFIX), "--location", "Blob"],
        env=azcopy.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    found = 0
    for line in proc.stdout:
        if _AZCOPY_BLOB_LINE in line:
            found = 1
            break
    proc.kill()
    proc.wait()
    return found


# ── the window ───────────────────────────────────────────────────────────────────────────

WINDOW = "cloudbrowser window"
#: The reference row beside the window's first rows: the same first page, no GUI.
WINDOW_FIRST_PAGE = "AzureBackend.list_page, no GUI"


def _window(url: str, server_pid: int, keys: int, home: Path) -> list[Result]:
    """The real window (offscreen, a process of its own) opens ``many/``, where all ``keys``
    blobs lie in one flat folder: ms to the first rows painted (median of
    ``listing.GUI_RUNS``, each from the connection root), beside the same first page with
    no GUI; then the event loop's longest stall while every row streams in, the load's time
    and CPU, and RSS per 100,000 rows. See ``gui_listing.py`` and the listing suite."""
    first = f"first rows painted, {keys:,} blobs"
    loaded = f"window: all {keys:,} blobs loaded"
    _progress(f"the window lists {CONTAINER}/{LIST_PREFIX} ({keys:,} blobs, offscreen)")
    try:
        g = listing.run_gui_listing(
            [
                "--kind=azure",
                f"--url={url}",
                f"--key={AZURITE_ACCOUNT}",
                f"--secret={AZURITE_KEY}",
                f"--bucket={CONTAINER}",
                f"--flat-prefix={LIST_PREFIX}",
                f"--flat-keys={keys}",
                "--small-keys=0",  # the S3 suite's one-page folder: not seeded here
                f"--runs={listing.GUI_RUNS}",
                f"--server-pid={server_pid}",
            ],
            timeout=listing.gui_timeout(keys),
            home=home,
        )
    except listing.GuiListingError as exc:
        return [result(SUITE, first, WINDOW, str(exc), ERROR)]
    _progress(f"window figures: {g}")
    median = statistics.median
    return [
        result(SUITE, first, WINDOW, median(g["flat_first_rows_ms"]), "ms"),
        result(SUITE, first, WINDOW_FIRST_PAGE, median(g["flat_first_page_ms"]), "ms"),
        result(SUITE, loaded, WINDOW, g["max_stall_ms"], "ms max stall"),
        result(SUITE, loaded, WINDOW, g["p99_stall_ms"], "ms p99 stall"),
        result(SUITE, loaded, WINDOW, g["load_s"], "s load all"),
        result(SUITE, loaded, WINDOW, g["rows_per_s"], "rows/s"),
        result(SUITE, loaded, WINDOW, g["rss_mb_per_100k_rows"], "MB RSS per 100k rows"),
        result(SUITE, loaded, WINDOW, g["client_cpu_s"], "s client CPU"),
        result(SUITE, loaded, WINDOW, g["server_cpu_s"], "s server CPU"),
    ]


# ── transfers ────────────────────────────────────────────────────────────────────────────


def _transfers(
    storage: Any,
    rclone: _Rclone,
    azcopy: _AzCopy | None,
    work: Path,
    files: int,
    big_mib: int,
    runs: int,
) -> list[Result]:
    small = work / "small"
    small.mkdir()
    for i in range(files):
        (small / f"f{i:05d}.bin").write_bytes(hashlib.shake_256(str(i).encode()).digest(SMALL))
    big = work / "big" / "big.bin"
    big.parent.mkdir()
    with big.open("wb") as out:
        block = hashlib.shake_256(b"big").digest(1 << 20)
        for _ in range(big_mib):
            out.write(block)
    big_size = big_mib << 20
    engine = _Engine(storage, work / "journal.sqlite3")
    # The download sources, uploaded once, untimed.
    engine.up_many(small, "src/")
    engine.up_one(big, "src-big/big.bin")
    rows: list[Result] = []
    mb_small = files * SMALL / (1 << 20)

    runs_made = itertools.count()

    def new_prefix(stem: str) -> str:
        """A destination of its own per run: rclone copy skips files already there."""
        return f"{stem}-{next(runs_made)}/"

    def fresh(name: str) -> Path:
        path = work / "out" / f"{name}-{time.monotonic_ns()}"
        path.mkdir(parents=True)
        return path

    # Each op returns where it wrote; its check counts that, untimed.
    def up_many(run: Callable[[str], object]) -> Callable[[], str]:
        def op() -> str:
            prefix = new_prefix("up")
            run(prefix)
            return prefix

        return op

    def down_many(run: Callable[[Path], object]) -> Callable[[], Path]:
        def op() -> Path:
            dst = fresh("down")
            run(dst)
            return dst

        return op

    def up_one(run: Callable[[str], object]) -> Callable[[], str]:
        def op() -> str:
            key = f"{new_prefix('big')}big.bin"
            run(key)
            return key

        return op

    def down_one(run: Callable[[Path], object]) -> Callable[[], Path]:
        def op() -> Path:
            dst = fresh("down") / "big.bin"
            run(dst)
            return dst

        return op

    def blobs_of(prefix: str) -> list[tuple[str, int]]:
        from cloudbrowser.core.paging import iter_pages

        return [
            (e.key, e.size)
            for page in iter_pages(storage, CONTAINER, prefix, recursive=True)
            for e in page.objects
        ]

    def check_up_many(prefix: str) -> str | None:
        got = blobs_of(prefix)
        wrong = [k for k, size in got if size != SMALL or "/" in k[len(prefix) :]]
        if len(got) != files or wrong:
            return f"{len(got)} blobs below {prefix} (expected {files}), {len(wrong)} misplaced"
        return None

    def check_down_many(dst: Path) -> str | None:
        got = [p for p in dst.rglob("*") if p.is_file()]
        wrong = [p for p in got if p.parent != dst or p.stat().st_size != SMALL]
        if len(got) != files or wrong:
            return f"{len(got)} files in {dst} (expected {files}), {len(wrong)} misplaced"
        return None

    def check_up_one(key: str) -> str | None:
        got = blobs_of(_folder(key))
        if got != [(key, big_size)]:
            return f"{got[:2]} below {key}, expected one blob of {big_size} bytes"
        return None

    def check_down_one(dst: Path) -> str | None:
        size = dst.stat().st_size if dst.is_file() else None
        return None if size == big_size else f"{dst.name}: {size} bytes, expected {big_size}"

    up_case, down_case = f"upload {files:,} × 4 KiB", f"download {files:,} × 4 KiB"
    big_up, big_down = f"upload {big_mib} MiB", f"download {big_mib} MiB"
    ours, rc, az = "cloudbrowser", "rclone copy", "azcopy copy"
    cases: list[_Case] = [
        (up_case, ours, up_many(lambda p: engine.up_many(small, p)), check_up_many, mb_small),
        (
            up_case,
            rc,
            up_many(lambda p: rclone.run("copy", str(small), rclone.remote(p))),
            check_up_many,
            mb_small,
        ),
        (
            down_case,
            ours,
            down_many(lambda d: engine.down_many("src/", d)),
            check_down_many,
            mb_small,
        ),
        (
            down_case,
            rc,
            down_many(lambda d: rclone.run("copy", rclone.remote("src/"), str(d))),
            check_down_many,
            mb_small,
        ),
        (big_up, ours, up_one(lambda k: engine.up_one(big, k)), check_up_one, big_mib),
        (
            big_up,
            rc,
            up_one(lambda k: rclone.run("copy", str(big), rclone.remote(_folder(k)))),
            check_up_one,
            big_mib,
        ),
        (
            big_down,
            ours,
            down_one(lambda d: engine.down_one("src-big/big.bin", d)),
            check_down_one,
            big_mib,
        ),
        (
            big_down,
            rc,
            down_one(lambda d: rclone.run("copy", rclone.remote("src-big/big.bin"), str(d.parent))),
            check_down_one,
            big_mib,
        ),
    ]
    if azcopy is not None:
        # --put-md5: AzCopy stores no Content-MD5 by default; rclone and cloudbrowser do.
        # Downloads check a blob's MD5 where it has one (AzCopy's default, FailIfDifferent).
        up, down = ("--from-to", "LocalBlob", "--put-md5"), ("--from-to", "BlobLocal")
        cases += [
            (
                up_case,
                az,
                up_many(
                    lambda p: azcopy.run("copy", f"{small}/*", azcopy.url(p), "--recursive", *up)
                ),
                check_up_many,
                mb_small,
            ),
            (
                down_case,
                az,
                down_many(
                    lambda d: azcopy.run("copy", azcopy.url("src/*"), str(d), "--recursive", *down)
                ),
                check_down_many,
                mb_small,
            ),
            (
                big_up,
                az,
                up_one(lambda k: azcopy.run("copy", str(big), azcopy.url(k), *up)),
                check_up_one,
                big_mib,
            ),
            (
                big_down,
                az,
                down_one(
                    lambda d: azcopy.run("copy", azcopy.url("src-big/big.bin"), str(d), *down)
                ),
                check_down_one,
                big_mib,
            ),
        ]
    # Not a client: the downloads' bound on this disk (limits.py); neither rclone's nor
    # AzCopy's downloads fsync.
    cases += [
        (
            down_case,
            limits.LOCAL_LIMIT,
            down_many(lambda d: limits.durable_copies(small, d)),
            check_down_many,
            mb_small,
        ),
        (
            big_down,
            limits.LOCAL_LIMIT,
            down_one(lambda d: limits.durable_copy(big, d)),
            check_down_one,
            big_mib,
        ),
    ]
    # The table keeps a case's rows together, in the order the cases first appear. A
    # case's tools take turns run by run, so that what one leaves the server doing (an
    # emulator freeing a GiB of deleted uploads, the disk writing back) does not fall on
    # the runs of whichever tool comes first.
    for case in dict.fromkeys(c[0] for c in cases):
        rows += _measure_in_turns(case, [c[1:] for c in cases if c[0] == case], runs)
        _clean(work / "out")
    engine.close()
    return rows


#: A case, a tool, what it runs, what checks its result, the MB it moves.
_Case = tuple[str, str, Callable[[], Any], Callable[[Any], str | None], float]


def _folder(key: str) -> str:
    return key.rpartition("/")[0] + "/"


def _clean(out: Path) -> None:
    """Downloads are removed after their check, so a 1 GiB file per run per tool does not
    fill the disk; uploads stay (Azurite holds them in memory, as rclone's did before)."""
    shutil.rmtree(out, ignore_errors=True)


class _Engine:
    """TransferQueue with default options, as the window and the CLI run it."""

    def __init__(self, storage: Any, journal: Path) -> None:
        from cloudbrowser.core.journal import Journal
        from cloudbrowser.core.transfers import TransferQueue

        self.storage = storage
        self.queue = TransferQueue(lambda _name: storage, Journal(journal))

    def _run(self, requests: list[Any]) -> None:
        from cloudbrowser.core.journal import State

        transfers = self.queue.add(requests)
        self.queue.wait(transfers)
        bad = [t for t in transfers if t.state is not State.DONE]
        self.queue.forget_finished()
        if bad:
            raise RuntimeError(f"{len(bad)} not done, first: {bad[0].state} {bad[0].error}")

    def _upload(self, path: Path, key: str) -> Any:
        from cloudbrowser.core.journal import Direction
        from cloudbrowser.core.transfers import TransferRequest

        st = path.stat()
        return TransferRequest(
            Direction.UPLOAD, "bench-azure", CONTAINER, key, path, st.st_size, st.st_mtime
        )

    def up_many(self, src: Path, prefix: str) -> None:
        self._run([self._upload(p, f"{prefix}{p.name}") for p in sorted(src.iterdir())])

    def up_one(self, src: Path, key: str) -> None:
        self._run([self._upload(src, key)])

    def down_many(self, prefix: str, dst: Path) -> None:
        from cloudbrowser.core.keys import local_path_for
        from cloudbrowser.core.paging import iter_pages

        resolved = dst.resolve()  # as the engine's plans resolve it: once, not per key
        self._run(
            [
                self._download(
                    e.key,
                    local_path_for(e.key, prefix, dst, resolved_root=resolved),
                    e.size,
                    e.modified,
                    e.etag,
                )
                for page in iter_pages(self.storage, CONTAINER, prefix, recursive=True)
                for e in page.objects
            ]
        )

    def down_one(self, key: str, dst: Path) -> None:
        info = self.storage.head_object(CONTAINER, key)
        self._run([self._download(key, dst, info.size, info.modified, info.etag)])

    def _download(self, key: str, dst: Path, size: int, modified: float, etag: str) -> Any:
        from cloudbrowser.core.journal import Direction
        from cloudbrowser.core.transfers import TransferRequest

        return TransferRequest(
            Direction.DOWNLOAD, "bench-azure", CONTAINER, key, dst, size, modified, etag
        )

    def close(self) -> None:
        self.queue.shutdown()


# ── measuring ────────────────────────────────────────────────────────────────────────────


def _measure(
    case: str,
    tool_name: str,
    op: Callable[[], Any],
    runs: int,
    amount: float,
    unit: str,
    *,
    expect: int | None,
    check: Callable[[Any], str | None] | None = None,
) -> list[Result]:
    """``op`` ``runs`` times: the median rate (``amount`` per second), or seconds.

    ``expect`` is what ``op`` must return; ``check``, called untimed with what it returned,
    says what is wrong with the result (None: nothing)."""
    times: list[float] = []
    for _ in range(runs):
        _progress(f"{case}: {tool_name}")
        started = time.perf_counter()
        try:
            got = op()
        except Exception as exc:  # a tool's failure is a row, not the end of the suite
            return [result(SUITE, case, tool_name, f"{type(exc).__name__}: {exc}"[:200], ERROR)]
        times.append(time.perf_counter() - started)
        if expect is not None and got != expect:
            return [result(SUITE, case, tool_name, f"got {got}, expected {expect}", ERROR)]
        wrong = check(got) if check is not None else None
        if wrong:
            return [result(SUITE, case, tool_name, wrong[:200], ERROR)]
    median = statistics.median(times)
    rows = [result(SUITE, case, tool_name, median, "s")]
    if unit != "s" and median > 0:
        rows.append(result(SUITE, case, tool_name, amount / median, unit))
    return rows


def _measure_in_turns(
    case: str,
    tools: list[tuple[str, Callable[[], Any], Callable[[Any], str | None], float]],
    runs: int,
) -> list[Result]:
    """Each tool's ``op`` ``runs`` times, the tools taking turns (round-robin): each
    tool's median rate in MB/s, or its error row (a tool that failed runs no more)."""
    times: dict[str, list[float]] = {name: [] for name, *_ in tools}
    errors: dict[str, str] = {}
    for run in range(runs):
        # Each run starts one tool later: the first runs right after the last case's
        # clean-up, which the emulator and the disk may still be paying for.
        shift = run % len(tools)
        for name, op, check, _mb in tools[shift:] + tools[:shift]:
            if name in errors:
                continue
            _progress(f"{case}: {name}")
            started = time.perf_counter()
            try:
                got = op()
            except Exception as exc:  # a tool's failure is a row, not the end of the suite
                errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            times[name].append(time.perf_counter() - started)
            wrong = check(got)
            if wrong:
                errors[name] = wrong
    rows: list[Result] = []
    for name, _op, _check, mb in tools:
        if name in errors:
            rows.append(result(SUITE, case, name, errors[name][:200], ERROR))
            continue
        median = statistics.median(times[name])
        rows.append(result(SUITE, case, name, median, "s"))
        if median > 0:
            rows.append(result(SUITE, case, name, mb / median, "MB/s"))
    return rows


def _progress(message: str) -> None:
    print(f"[azure] {message}", file=sys.stderr, flush=True)


def describe(keys: int, files: int, big_mib: int, runs: int) -> str:
    return "\n".join(
        [
            f"azure: cloudbrowser's Azure backend beside rclone's azureblob backend and AzCopy, "
            f"on one Azurite (in memory) at 127.0.0.1; median of {runs} (a transfer case's "
            "tools take turns, run by run); MB = 2^20 bytes.",
            "  cloudbrowser = the backend's list_page, and TransferQueue with default options "
            "(verified); rclone = lsf / copy with its defaults; azcopy = list / copy with a "
            f"container SAS, {AZCOPY_CONNECTIONS} connections, --put-md5 on uploads "
            "(no rows where it is not installed: see stderr).",
            f"  {keys:,} blobs listed; {files:,} files of 4 KiB; one file of {big_mib} MiB; "
            "every result counted (and sized) after its run, untimed.",
            f"  window = the real MainWindow (offscreen, its own process) opening {LIST_PREFIX} "
            f"({keys:,} blobs in one flat folder): ms from navigate() to the first paint with "
            f"rows, median of {listing.GUI_RUNS} from the connection root (issue 16's bar: "
            "< 1 s), beside the same first page with no GUI; stalls = gaps between ticks of a "
            "5 ms heartbeat while every row loads; RSS growth per 100k rows after gc.collect(); "
            "server CPU = Azurite's.",
        ]
    )
