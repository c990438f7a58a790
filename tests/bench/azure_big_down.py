"""Where a big Azure download's time goes: one blob of ``--mib`` MiB on an Azurite of its
own, seeded as the ``azure`` suite seeds it (the engine's chunked upload: Put Block List
with the file's MD5), then downloaded by each variant in turn, ``--pairs`` rounds.

    python tests/bench/azure_big_down.py [--mib 256] [--pairs 3] [VARIANT ...]

Variants (default: ``engine rclone``):

* ``engine``: TransferQueue with default options, as the window and the CLI; options as
  ``engine:ps=MIB:pc=N:verify=0`` (part size, part concurrency, verification);
  ``engine:late=1`` starts a range's write-out only once it is hashed (as before).
* ``rclone``: ``rclone copyto`` with its defaults.
* ``curl``: one GET of the whole blob (SAS) to /dev/null: Azurite's serving alone.
* ``raw:ps=MIB:pc=N``: the fast path's GETs (``storage.get_object``) of ranges, read in
  1 MiB pieces and dropped: no disk, no hash.

Each row: seconds, MB/s, the client's CPU seconds (this process for in-process variants,
the child's for a command) and Azurite's; an engine row also says where its time went
(``bytes in``: first GET to last range written; ``hash wait``: the whole-file MD5 after
that; ``fsync``), what it read back from the disk and its page faults. Measurements, not
tests. ``PYTHONPATH=OTHER_CHECKOUT`` runs another revision's engine (before/after).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# The sibling modules first; the checkout's cloudbrowser after PYTHONPATH, so that
# PYTHONPATH=OTHER_CHECKOUT measures another revision's engine with the same script.
_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))
sys.path.append(str(_HERE.parents[1]))

import azure_suite  # noqa: E402

import cloudbrowser  # noqa: E402
from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY  # noqa: E402
from tests.local_servers import azurite_blob  # noqa: E402

KEY = "src-big/big.bin"
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """A running process's CPU seconds (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _dirty_mib() -> str:
    """The machine's dirty and under-write-out page cache, MiB (/proc/meminfo)."""
    found = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Dirty", "Writeback"):
            found[name] = int(value.split()[0]) >> 10
    return f"{found.get('Dirty', 0)}+{found.get('Writeback', 0)}"


def _disk_reads() -> int:
    """Bytes this process had read from the disk (not the page cache)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("read_bytes:"):
            return int(line.split()[1])
    return 0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Stages:
    """Seconds the engine spends in the steps after the bytes (patched in: a probe)."""

    def __init__(self) -> None:
        from cloudbrowser.core import downloads

        self.spent: dict[str, float] = {}
        for module, name, label in [
            (downloads, "_fsync", "fsync"),
            (downloads, "rename", "rename"),
            (downloads._InOrderHasher, "result", "hash wait"),
            (downloads, "_verify", "verify"),
        ]:
            setattr(module, name, self._timed(getattr(module, name), label))
        self.first = self.last = 0.0
        self.dirty_at_last = ""
        get_range, written = downloads._get_range, downloads._InOrderHasher.written

        def timed_get(*args: Any, **kwargs: Any) -> Any:
            self.first = self.first or time.perf_counter()
            return get_range(*args, **kwargs)

        def timed_written(hasher: Any, number: int) -> None:
            self.last = time.perf_counter()
            self.dirty_at_last = _dirty_mib()
            written(hasher, number)

        downloads._get_range = timed_get  # type: ignore[assignment]
        downloads._InOrderHasher.written = timed_written  # type: ignore[method-assign]

    def _timed(self, func: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - started

        return timed

    def take(self) -> str:
        said = " ".join(f"{k} {v:.2f}" for k, v in self.spent.items())
        if self.first and self.last:
            said = f"bytes in {self.last - self.first:.2f} " + said
            said += f" dirty+writeback MiB at last byte {self.dirty_at_last}"
        self.spent.clear()
        self.first = self.last = 0.0
        return said


def _options(spec: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in spec.split(":")[1:])


class _Probe:
    def __init__(self, storage: Any, url: str, work: Path, size: int) -> None:
        self.storage, self.url, self.work, self.size = storage, url, work, size
        self.rclone = azure_suite._Rclone(url, work / "home")
        self.runs = 0
        self.stages = _Stages()

    def target(self) -> Path:
        self.runs += 1
        out = self.work / "out" / f"run-{self.runs}"
        out.mkdir(parents=True)
        return out / "big.bin"

    def engine(self, spec: str) -> Callable[[], str]:
        from cloudbrowser.core.journal import Direction, Journal, State
        from cloudbrowser.core.transfers import MiB, TransferOptions, TransferQueue, TransferRequest

        opts = _options(spec)
        options = TransferOptions(
            part_size=int(opts.get("ps", 0)) * MiB,
            part_concurrency=int(opts.get("pc", 8)),
            verify=opts.get("verify", "1") != "0",
        )
        info = self.storage.head_object(azure_suite.CONTAINER, KEY)

        from cloudbrowser.core import downloads

        write_back = downloads._write_back

        def hasher_only(fd: int, offset: int, length: int) -> None:
            if threading.current_thread().name == "download-checksum":
                write_back(fd, offset, length)

        def run() -> str:
            # late=1: a range's write-out starts only once hashed, as before 90090c3.
            downloads._write_back = hasher_only if opts.get("late") == "1" else write_back
            dst = self.target()
            reads = _disk_reads()
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            queue = TransferQueue(
                lambda _name: self.storage, Journal(self.work / f"j{self.runs}.db"), options
            )
            request = TransferRequest(
                Direction.DOWNLOAD, "bench-azure", azure_suite.CONTAINER, KEY, dst,
                info.size, info.modified, info.etag,
            )  # fmt: skip
            [t] = queue.add([request])
            queue.wait([t])
            queue.shutdown()
            if t.state is not State.DONE or dst.stat().st_size != self.size:
                raise RuntimeError(f"{t.state} {t.error}")
            reread = (_disk_reads() - reads) >> 20
            return (
                f"part {t.part_size >> 20} MiB, verified={t.verified} {self.stages.take()}"
                f" disk reads {reread} MiB"
                f" faults {resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults}"
            )

        return run

    def rclone_copyto(self, _spec: str) -> Callable[[], str]:
        def run() -> str:
            dst = self.target()
            self.rclone.run("copyto", self.rclone.remote(KEY), str(dst))
            if dst.stat().st_size != self.size:
                raise RuntimeError("wrong size")
            return ""

        return run

    def curl(self, _spec: str) -> Callable[[], str]:
        import datetime

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        sas = generate_blob_sas(
            AZURITE_ACCOUNT, azure_suite.CONTAINER, KEY, account_key=AZURITE_KEY,
            permission=BlobSasPermissions(read=True),
            expiry=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2),
        )  # fmt: skip
        url = f"{self.url}/{azure_suite.CONTAINER}/{KEY}?{sas}"

        def run() -> str:
            subprocess.run(["curl", "-sS", "-o", "/dev/null", url], check=True)
            return ""

        return run

    def raw(self, spec: str) -> Callable[[], str]:
        opts = _options(spec)
        part = int(opts.get("ps", 8)) << 20
        concurrency = int(opts.get("pc", 8))

        def one(offset: int) -> int:
            end = min(offset + part, self.size) - 1
            got = 0
            with self.storage.get_object(azure_suite.CONTAINER, KEY, start=offset, end=end) as body:
                while data := body.read(1 << 20):
                    got += len(data)
            return got

        def run() -> str:
            with ThreadPoolExecutor(concurrency) as pool:
                total = sum(pool.map(one, range(0, self.size, part)))
            if total != self.size:
                raise RuntimeError(f"{total} bytes")
            return ""

        return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("variants", nargs="*", default=["engine", "rclone"])
    args = parser.parse_args()
    size = args.mib << 20
    with tempfile.TemporaryDirectory(prefix="cb-azdown-") as tmp:
        work = Path(tmp)
        with azurite_blob(work) as (url, proc):
            storage = azure_suite._storage(url)
            storage.create_bucket(azure_suite.CONTAINER)
            big = work / "big.bin"
            with big.open("wb") as out:
                block = hashlib.shake_256(b"big").digest(1 << 20)
                for _ in range(args.mib):
                    out.write(block)
            seeder = azure_suite._Engine(storage, work / "seed.sqlite3")
            seeder.up_one(big, KEY)
            seeder.close()
            big.unlink()
            info = storage.head_object(azure_suite.CONTAINER, KEY)
            print(
                f"seeded {KEY}: {info.size} bytes, Content-MD5 {info.md5 or 'none'};"
                f" engine of {Path(cloudbrowser.__file__).parents[1]}"
            )
            probe = _Probe(storage, url, work, size)
            makers = {
                "engine": probe.engine,
                "rclone": probe.rclone_copyto,
                "curl": probe.curl,
                "raw": probe.raw,
            }
            runs = [(v, makers[v.split(":")[0]](v)) for v in args.variants]
            rows: dict[str, list[tuple[float, float, float]]] = {v: [] for v, _ in runs}
            for round_ in range(args.pairs):
                shift = round_ % len(runs)
                for name, run in runs[shift:] + runs[:shift]:
                    own, kids, server = _own_cpu(), _children_cpu(), _cpu_of(proc.pid)
                    started = time.perf_counter()
                    said = run()
                    seconds = time.perf_counter() - started
                    client = (_own_cpu() - own) + (_children_cpu() - kids)
                    served = _cpu_of(proc.pid) - server
                    rows[name].append((seconds, client, served))
                    print(
                        f"{name:28} {seconds:6.2f} s {size / seconds / 1e6:6.0f} MB/s"
                        f"  client CPU {client:5.2f} s  Azurite CPU {served:5.2f} s  {said}",
                        flush=True,
                    )
                    subprocess.run(["rm", "-rf", str(work / "out")], check=True)
            print("median:")
            for name, got in rows.items():
                seconds = statistics.median(r[0] for r in got)
                print(
                    f"{name:28} {seconds:6.2f} s {size / seconds / 1e6:6.0f} MB/s"
                    f"  client CPU {statistics.median(r[1] for r in got):5.2f} s"
                    f"  Azurite CPU {statistics.median(r[2] for r in got):5.2f} s"
                )


if __name__ == "__main__":
    main()
