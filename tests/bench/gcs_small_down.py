"""Where a small GCS download's time goes: ``--files`` 4 KiB objects (and ``--others``
1-byte keys beside them, as the ``gcs`` suite's listing keys) on a fake-gcs-server of its
own, seeded as ``tests/bench/gcs.py`` seeds them, then downloaded by each variant in turn,
``--pairs`` rounds, each round starting one variant later.

    python tests/bench/gcs_small_down.py [--files 2000] [--others 2000] [--pairs 3]
        [--profile FILE] [--count] [VARIANT ...]

Variants (default: ``engine rclone``):

* ``engine``: the ``gcs`` suite's download (``TransferQueue`` with default options,
  every file DONE and verified); ``engine:c=N`` with N files at once; ``engine:mem=1``
  from the in-memory backend holding the same objects: the engine's own cost, no HTTP;
  ``engine:rr=0`` resolves the folder for every key, as the suite did before 2026-12-07.
* ``rclone``: the suite's ``rclone copy`` with its defaults; ``rclone:t=N`` with
  ``--transfers N``.
* ``raw:c=N``: the backend's GETs alone (``storage.get_object``, read whole, dropped; N
  threads, 8 by default): no disk, no journal, no verification.
* ``list``: the engine's listing of the files alone (``list:flat=0``: delimited, as
  rclone lists).
* ``bare:c=N``: ``http.client`` GETs of the same URLs from N threads (4 by default), kept
  alive: the emulator's serving with the least a Python client can do; ``bare:gz=1``
  with the backend's ``Accept-Encoding: gzip``.

Each row: seconds, files/s, the client's user and system CPU (this process for in-process
variants, the child's for rclone) and the emulator's, and the emulator's CPU per file.
``--profile FILE`` runs the engine rows under cProfile in every thread and writes the
merged statistics (pstats) to FILE, printing the top of them (``--timer cpu``, the
default: each thread's CPU time; ``wall``: with its waits); ``--count`` first counts the
requests each of ``engine`` and ``rclone`` sends per file (the engine's at its HTTP
clients, rclone's from ``--dump headers``) in a run of its own. Measurements, not tests.
``PYTHONPATH=OTHER_CHECKOUT`` runs another revision's engine (before/after).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

# The sibling modules first; the checkout's cloudbrowser after PYTHONPATH, so that
# PYTHONPATH=OTHER_CHECKOUT measures another revision's engine with the same script.
_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))
sys.path.append(str(_HERE.parents[1]))

import gcs  # noqa: E402

import cloudbrowser  # noqa: E402
from cloudbrowser.core.backends import open_storage  # noqa: E402
from cloudbrowser.core.connection import ConnectionSettings  # noqa: E402
from cloudbrowser.core.paging import iter_pages  # noqa: E402
from cloudbrowser.core.storage import Storage  # noqa: E402
from tests.local_servers import fake_gcs, tool  # noqa: E402

PREFIX = "seed/small/"
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """A running process's CPU seconds (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _client_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of this process and its waited-for children: the
    emulator, never waited for until the end, is not among them."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + kids.ru_utime, own.ru_stime + kids.ru_stime


def _options(spec: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in spec.split(":")[1:])


def _seed(storage: Storage, work: Path, files: int, others: int) -> None:
    """As the ``gcs`` suite seeds (its ``seed``), without the big file."""
    storage.create_bucket(gcs.BUCKET)
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda i: storage.put_object(gcs.BUCKET, f"list/k{i:07d}", b"x", content_md5=""),
                range(others),
            )
        )
    small = work / "small"
    small.mkdir()
    for i in range(files):
        (small / f"f{i:05d}.bin").write_bytes(os.urandom(gcs.SMALL_SIZE))
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda p: storage.put_object(
                    gcs.BUCKET, f"{PREFIX}{p.name}", p.read_bytes(), content_md5=""
                ),
                sorted(small.iterdir()),
            )
        )


class _ThreadProfiles:
    """cProfile in every thread started meanwhile (the queue's workers, the journal's
    flusher, runners), merged at the end: cProfile alone sees only its own thread."""

    def __init__(self, cpu: bool) -> None:
        #: cpu: each thread's CPU time (time.thread_time: user + system, no waits), else
        #: wall time (waits for the network, the disk and the interpreter lock included).
        self._timer = time.thread_time if cpu else time.perf_counter
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    @contextmanager
    def active(self) -> Iterator[None]:
        run = threading.Thread.run
        profiles = self

        def profiled(thread: threading.Thread) -> None:
            profile = cProfile.Profile(profiles._timer)
            with profiles._lock:
                profiles.profiles.append(profile)
            profile.enable()
            try:
                run(thread)
            finally:
                profile.disable()

        main = cProfile.Profile(self._timer)
        self.profiles.append(main)
        threading.Thread.run = profiled  # type: ignore[method-assign]
        main.enable()
        try:
            yield
        finally:
            main.disable()
            threading.Thread.run = run  # type: ignore[method-assign]

    def stats(self) -> pstats.Stats:
        out = io.StringIO()
        stats = pstats.Stats(self.profiles[0], stream=out)
        for profile in self.profiles[1:]:
            stats.add(profile)
        return stats


class _Probe:
    def __init__(self, storage: Storage, url: str, work: Path, files: int) -> None:
        self.storage, self.url, self.work, self.files = storage, url, work, files
        self.runs = 0
        self.profiles: _ThreadProfiles | None = None
        self._memory: Storage | None = None
        self.keys = [
            e.key
            for page in iter_pages(storage, gcs.BUCKET, PREFIX, recursive=True)
            for e in page.objects
        ]
        if len(self.keys) != files:
            raise RuntimeError(f"listed {len(self.keys)} objects under {PREFIX}, not {files}")

    def target(self) -> Path:
        self.runs += 1
        return self.work / "out" / f"run-{self.runs}"

    def _counted(self, dst: Path) -> None:
        got = sum(1 for p in dst.rglob("*") if p.is_file())
        if got != self.files:
            raise RuntimeError(f"{got} files arrived, not {self.files}")

    def engine(self, spec: str) -> Callable[[], str]:
        from cloudbrowser.core.journal import Direction, Journal, State
        from cloudbrowser.core.keys import local_path_for
        from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest

        opts = _options(spec)
        concurrency = int(opts.get("c", 0))
        options = TransferOptions(concurrency=concurrency) if concurrency else None
        storage = self.in_memory() if opts.get("mem") == "1" else self.storage
        once = opts.get("rr") != "0"

        def down(dst: Path) -> None:
            """The ``gcs`` suite's download (its ``cloudbrowser_ops``), with ``options``."""
            resolved = dst.resolve() if once else None
            requests = [
                TransferRequest(
                    Direction.DOWNLOAD,
                    "bench",
                    gcs.BUCKET,
                    e.key,
                    local_path_for(e.key, PREFIX, dst, resolved_root=resolved),
                    e.size,
                    e.modified,
                    e.etag,
                )
                for page in iter_pages(storage, gcs.BUCKET, PREFIX, recursive=True)
                for e in page.objects
            ]
            journal = Journal(self.work / f"journal-{time.time_ns()}")
            queue = TransferQueue(lambda _name: storage, journal, options)
            try:
                transfers = queue.add(requests)
                queue.wait(transfers)
            finally:
                queue.shutdown()
            bad = [t for t in transfers if t.state is not State.DONE or not t.verified]
            if bad:
                raise RuntimeError(f"{len(bad)} not done and verified: {bad[0].error}")

        def run() -> str:
            dst = self.target()
            if self.profiles is not None:
                with self.profiles.active():
                    down(dst)
            else:
                down(dst)
            self._counted(dst)
            return ""

        return run

    def in_memory(self) -> Storage:
        """The in-memory backend holding the same objects (copied once)."""
        if self._memory is None:
            settings = ConnectionSettings(
                name="bench-mem", kind="memory", endpoint_url=f"memory://gcs-down-{os.getpid()}"
            )
            memory = open_storage(settings)
            memory.create_bucket(gcs.BUCKET)
            for key in self.keys:
                with self.storage.get_object(gcs.BUCKET, key) as body:
                    data = body.read(-1)
                memory.put_object(gcs.BUCKET, key, data, content_md5="")
            self._memory = memory
        return self._memory

    def rclone(self, spec: str) -> Callable[[], str]:
        transfers = _options(spec).get("t")
        if transfers:
            env = _rclone_env(self.url)

            def down(dst: Path) -> None:
                command = [tool("rclone"), "copy", f"--transfers={transfers}"]
                source = f":gcs:{gcs.BUCKET}/{PREFIX}"
                subprocess.run([*command, source, str(dst)], env=env, check=True)

        else:
            down = gcs.rclone_ops(self.url, self.work)[gcs.DOWN_MANY]  # the suite's

        def run() -> str:
            dst = self.target()
            down(dst)
            self._counted(dst)
            return ""

        return run

    def _read_all(self, one: Callable[[str], int], concurrency: int) -> str:
        """Every file read by ``one`` (its byte count) from ``concurrency`` threads; the
        total checked."""
        with ThreadPoolExecutor(concurrency) as pool:
            total = sum(pool.map(one, self.keys))
        if total != self.files * gcs.SMALL_SIZE:
            raise RuntimeError(f"{total} bytes")
        return ""

    def raw(self, spec: str) -> Callable[[], str]:
        concurrency = int(_options(spec).get("c", 8))

        def one(key: str) -> int:
            with self.storage.get_object(gcs.BUCKET, key) as body:
                return len(body.read(-1))

        return lambda: self._read_all(one, concurrency)

    def listing(self, spec: str) -> Callable[[], str]:
        """The engine's listing of the files (recursive, as the suite's download lists)."""
        recursive = _options(spec).get("flat", "1") == "1"

        def run() -> str:
            pages = iter_pages(self.storage, gcs.BUCKET, PREFIX, recursive=recursive)
            count = sum(len(page.objects) for page in pages)
            if count != self.files:
                raise RuntimeError(f"listed {count}")
            return ""

        return run

    def bare(self, spec: str) -> Callable[[], str]:
        opts = _options(spec)
        concurrency = int(opts.get("c", 4))
        # gz=1: the Accept-Encoding the backend sends (rclone's too), else http.client's none
        headers = {"Accept-Encoding": "gzip"} if opts.get("gz") == "1" else {}
        host, _, port = self.url.removeprefix("http://").partition(":")
        local = threading.local()

        def one(key: str) -> int:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(host, int(port))
            path = f"/download/storage/v1/b/{gcs.BUCKET}/o/{quote(key, safe='')}?alt=media"
            conn.request("GET", path, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            if reply.status != 200:
                raise RuntimeError(f"{reply.status} for {key}")
            return len(data)

        return lambda: self._read_all(one, concurrency)


def _rclone_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "RCLONE_CONFIG": os.devnull,
        "RCLONE_GCS_ENDPOINT": f"{url}/storage/v1/",
        "RCLONE_GCS_ANONYMOUS": "true",
        "RCLONE_GCS_BUCKET_POLICY_ONLY": "true",
        "RCLONE_GCS_PROJECT_NUMBER": "bench",
    }


def _count_requests(probe: _Probe) -> None:
    """Requests per file of the engine (at http_pool and requests) and of rclone (its
    ``--dump headers``), each in a run of its own: counting is not free."""
    import requests

    from cloudbrowser.core.backends import http_pool

    seen: Counter[str] = Counter()
    lock = threading.Lock()
    pool_request = http_pool.HostPool.request
    pool_connect = http_pool.HostPool.connect
    session_request = requests.Session.request

    def shape(method: str, target: str) -> str:
        path = target.split("?", 1)[0]
        path = re.sub(r"/o/[^/]+$", "/o/KEY", path)
        query = "&".join(sorted(p.split("=")[0] for p in target.partition("?")[2].split("&") if p))
        return f"{method} {path.split('://')[-1]}?{query}"

    def counted_pool(self: Any, method: str, target: str, *args: Any, **kwargs: Any) -> Any:
        with lock:
            seen["http_pool " + shape(method, target)] += 1
        return pool_request(self, method, target, *args, **kwargs)

    def counted_session(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        with lock:
            seen["requests " + shape(method, url)] += 1
        return session_request(self, method, url, *args, **kwargs)

    def counted_connect(self: Any) -> Any:
        with lock:
            seen["http_pool connections opened"] += 1
        return pool_connect(self)

    http_pool.HostPool.request = counted_pool  # type: ignore[method-assign]
    http_pool.HostPool.connect = counted_connect  # type: ignore[method-assign]
    requests.Session.request = counted_session  # type: ignore[method-assign]
    try:
        probe.engine("engine")()
    finally:
        http_pool.HostPool.request = pool_request  # type: ignore[method-assign]
        http_pool.HostPool.connect = pool_connect  # type: ignore[method-assign]
        requests.Session.request = session_request  # type: ignore[method-assign]
    requests_sent = sum(n for what, n in seen.items() if "connections" not in what)
    print(f"engine: {requests_sent} requests for {probe.files} files")
    for what, n in seen.most_common():
        print(f"  {n:6} {what}")
    dst = probe.target()
    proc = subprocess.run(
        [
            tool("rclone"), "copy", "-vv", "--dump", "headers",
            f":gcs:{gcs.BUCKET}/{PREFIX}", str(dst),
        ],
        env=_rclone_env(probe.url), capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = re.findall(r"((?:GET|POST|PUT|HEAD|DELETE|PATCH) \S+) HTTP/1", proc.stderr)
    shapes = Counter(shape(*line.split(" ", 1)) for line in lines)
    print(f"rclone: {len(lines)} requests for {probe.files} files")
    for what, n in shapes.most_common():
        print(f"  {n:6} {what}")
    subprocess.run(["rm", "-rf", str(probe.work / "out")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--others", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="cProfile the engine rows into FILE")
    parser.add_argument(
        "--timer", choices=["cpu", "wall"], default="cpu", help="what --profile measures"
    )
    parser.add_argument("--count", action="store_true", help="count requests per file first")
    parser.add_argument("variants", nargs="*", default=["engine", "rclone"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cb-gcsdown-") as tmp:
        work = Path(tmp)
        with fake_gcs() as (url, proc):
            settings = ConnectionSettings(
                name="bench", kind="gcs", endpoint_url=url, auth="anonymous", project="bench"
            )
            storage = open_storage(settings)
            _seed(storage, work, args.files, args.others)
            print(
                f"seeded {args.files} x {gcs.SMALL_SIZE} B under {PREFIX} and {args.others}"
                f" other keys; engine of {Path(cloudbrowser.__file__).parents[1]}",
                flush=True,
            )
            probe = _Probe(storage, url, work, args.files)
            if args.count:
                _count_requests(probe)
            if args.profile:
                probe.profiles = _ThreadProfiles(args.timer == "cpu")
            makers: dict[str, Callable[[str], Callable[[], str]]] = {
                "engine": probe.engine,
                "rclone": probe.rclone,
                "raw": probe.raw,
                "bare": probe.bare,
                "list": probe.listing,
            }
            runs = [(v, makers[v.split(":")[0]](v)) for v in args.variants]
            rows: dict[str, list[tuple[float, float, float, float]]] = {v: [] for v, _ in runs}
            for round_ in range(args.pairs):
                shift = round_ % len(runs)
                for name, run in runs[shift:] + runs[:shift]:
                    user, system = _client_cpu()
                    server = _cpu_of(proc.pid)
                    started = time.perf_counter()
                    said = run()
                    seconds = time.perf_counter() - started
                    user_after, system_after = _client_cpu()
                    row = (
                        seconds,
                        user_after - user,
                        system_after - system,
                        _cpu_of(proc.pid) - server,
                    )
                    rows[name].append(row)
                    print(f"{name:16} {_said(row, args.files)} {said}", flush=True)
                    subprocess.run(["rm", "-rf", str(work / "out")], check=True)
            print("median:" if args.pairs else "", end="\n" if args.pairs else "")
            for name, got in rows.items() if args.pairs else ():
                median = tuple(statistics.median(r[i] for r in got) for i in range(4))
                print(f"{name:16} {_said(median, args.files)}")  # type: ignore[arg-type]
            if probe.profiles is not None:
                stats = probe.profiles.stats()
                stats.dump_stats(args.profile)
                stats.stream = sys.stdout  # type: ignore[attr-defined]
                stats.sort_stats("tottime").print_stats(35)


def _said(row: tuple[float, float, float, float], files: int) -> str:
    seconds, user, system, server = row
    ms = 1000 / files
    return (
        f"{seconds:6.2f} s {files / seconds:6.0f} files/s"
        f"  client user {user:5.2f} s sys {system:5.2f} s"
        f" ({user * ms:4.2f}+{system * ms:4.2f} ms/file)"
        f"  emulator {server:5.2f} s ({server * ms:4.2f} ms/file)"
    )


if __name__ == "__main__":
    main()
