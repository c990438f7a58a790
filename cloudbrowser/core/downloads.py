"""Downloading one object: into ``name.part`` beside the target, verified, then renamed.

Called by :class:`~cloudbrowser.core.transfers.TransferQueue` on a transfer worker thread.
The real name only ever holds a complete, verified file: bytes go to ``name.part``, which
is fsynced and atomically renamed over the target once its MD5 matches the ETag. A full
disk, a dead server or a kill leaves the ``.part`` file for the next attempt.

* Small objects (up to the part size) are fetched in one GET.
* Larger ones in ranged GETs of ``Transfer.part_size`` on the shared part pool, written in
  place with ``pwrite``; each finished range is journalled with its MD5, so a resumed
  download fetches only the ranges it lacks. Every GET carries If-Match with the ETag the
  download began with: bytes of two versions never mix.

Verification: a plain-MD5 ETag is compared with the file's MD5. A multipart ETag is the MD5
of the part MD5s, checkable only with the uploader's part size; the range size is chosen
as the most likely one (:func:`guess_part_size`) so the check is free, and a few other
likely sizes are tried before the download is reported as unverifiable.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from cloudbrowser.core.checksums import composite_etag, is_plain_md5, md5_of, multipart_part_count
from cloudbrowser.core.errors import IntegrityError, StorageError
from cloudbrowser.core.journal import JournalPart
from cloudbrowser.core.localfs import local_error, make_folder, replace_durably
from cloudbrowser.core.transfers import (
    MIN_PART_SIZE,
    MiB,
    RunContext,
    Stopped,
    Transfer,
    choose_part_size,
    part_count,
)

PARTIAL_SUFFIX = ".part"
#: Bytes read from the network per write.
CHUNK = 1 * MiB
#: Part sizes other tools use by default (aws-cli/boto3 8 MiB, rclone 5 MiB, s5cmd 50 MiB).
_COMMON_PART_SIZES = [8 * MiB, 5 * MiB, 16 * MiB, 50 * MiB, 64 * MiB, 10 * MiB, 100 * MiB]


def partial_path(target: Path) -> Path:
    """Where the bytes of ``target`` are gathered until the download is verified."""
    return target.with_name(target.name + PARTIAL_SUFFIX)


def guess_part_size(size: int, etag: str, preferred: int = 0) -> int:
    """The range size for downloading an object: its uploader's part size if it can be told
    from a multipart ETag (so the ETag can be checked from the ranges' MD5s), else ours."""
    count = multipart_part_count(etag)
    if count > 1:
        for candidate in _candidates(size, count):
            return candidate
    return choose_part_size(size, preferred)


def _candidates(size: int, count: int) -> Iterator[int]:
    """Part sizes that split ``size`` bytes into ``count`` parts, most likely first."""
    seen: set[int] = set()
    smallest = max(MIN_PART_SIZE, math.ceil(size / count / MiB) * MiB)
    for candidate in [*_COMMON_PART_SIZES, choose_part_size(size), smallest]:
        if candidate not in seen and part_count(size, candidate) == count:
            seen.add(candidate)
            yield candidate


def run_download(ctx: RunContext) -> None:
    t = ctx.transfer
    t.bytes_done = 0
    target = t.local_path
    partial = partial_path(target)
    make_folder(target.parent)
    try:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise local_error(exc, target, writing=True) from exc
    try:
        if t.multipart:
            md5s, whole = _fetch_ranges(ctx, fd)
        else:
            whole = _fetch_whole(ctx, fd)
            md5s = [whole]
        _fsync(fd, target)
        _verify(ctx, fd, md5s, whole)
    except IntegrityError:
        os.close(fd)
        # Wrong bytes must not be continued from: the next attempt starts clean.
        partial.unlink(missing_ok=True)
        ctx.journal.clear_parts(t.id)
        raise
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    try:
        replace_durably(partial, target)
        if t.mtime:
            os.utime(target, (t.mtime, t.mtime))
    except OSError as exc:
        raise local_error(exc, target, writing=True) from exc


def _fsync(fd: int, target: Path) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        raise local_error(exc, target, writing=True) from exc


def _write(fd: int, t: Transfer, data: bytes, offset: int) -> None:
    try:
        written = os.pwrite(fd, data, offset)
        while written < len(data):  # pwrite may write less than asked (signals, limits)
            written += os.pwrite(fd, data[written:], offset + written)
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True, resumable=t.multipart) from exc


def _fetch_whole(ctx: RunContext, fd: int) -> str:
    """GET the object in one request; returns the MD5 of what was written."""
    t = ctx.transfer
    try:
        os.ftruncate(fd, 0)
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True) from exc
    with ctx.reading(
        lambda: ctx.backend.get_object(t.bucket, t.key, if_match=t.etag, version_id=t.version_id)
    ) as body:
        if not t.etag:
            t.etag = body.etag
            ctx.journal.update(t.id, etag=t.etag)
        t.size = body.size
        digest = md5_of(b"")
        offset = 0
        while True:
            ctx.check()
            data = body.read(CHUNK)
            if not data:
                break
            ctx.throttle(len(data))
            _write(fd, t, data, offset)
            digest.update(data)
            offset += len(data)
            ctx.progress(len(data))
    _check_length(t, offset, t.size)
    return digest.hexdigest()


def _fetch_ranges(ctx: RunContext, fd: int) -> tuple[list[str], str]:
    """GET the object in ranges on the part pool.

    Returns each range's MD5 (only computed when the ETag is a composite of part MD5s,
    else "") and the whole file's MD5 (only when the ETag is a plain MD5, else "").
    Each MD5 is computed once, while the bytes arrive; written ranges are handed to the
    kernel for writing back at once, so the final fsync has little left to do.
    """
    t = ctx.transfer
    count = part_count(t.size, t.part_size)
    verify = ctx.options.verify
    hash_ranges = verify and multipart_part_count(t.etag) > 1
    kept = _ranges_kept(ctx, fd, count)
    ctx.progress(sum(p.size for p in kept.values()))
    abort = threading.Event()
    in_order = _InOrderHasher(fd, t, set(kept), abort) if verify and is_plain_md5(t.etag) else None

    def fetch(number: int) -> JournalPart:
        if abort.is_set():
            raise Stopped
        ctx.check()
        offset = (number - 1) * t.part_size
        end = min(offset + t.part_size, t.size) - 1
        digest = md5_of(b"") if hash_ranges else None
        position = offset
        with ctx.reading(
            lambda: ctx.backend.get_object(
                t.bucket, t.key, start=offset, end=end, if_match=t.etag, version_id=t.version_id
            )
        ) as body:
            while position <= end:
                if abort.is_set():
                    raise Stopped
                ctx.check()
                data = body.read(min(CHUNK, end + 1 - position))
                if not data:
                    break
                ctx.throttle(len(data))
                _write(fd, t, data, position)
                if digest is not None:
                    digest.update(data)
                position += len(data)
                ctx.progress(len(data))
        _check_length(t, position - offset, end + 1 - offset)
        part = JournalPart(number, "", digest.hexdigest() if digest else "", end + 1 - offset)
        ctx.journal.add_part(t.id, part)
        if in_order is not None:
            in_order.written(number)  # it releases the range once hashed
        else:
            _write_back(fd, offset, end + 1 - offset)
        return part

    if in_order is not None:
        in_order.start()
    try:
        missing = [n for n in range(1, count + 1) if n not in kept]
        for part in ctx.run_parts(fetch, missing, abort):
            kept[part.number] = part
        whole = in_order.result() if in_order is not None else ""
    finally:
        abort.set()
        if in_order is not None:
            in_order.join()
    return [kept[n].md5 for n in range(1, count + 1)], whole


class _InOrderHasher(threading.Thread):
    """The MD5 of the whole file while its ranges arrive out of order.

    Hashes each range from the file (still in the page cache) as soon as every range
    before it is written, on its own thread, so the digest is ready when the last range
    lands instead of costing a second pass over the file afterwards.
    """

    def __init__(self, fd: int, t: Transfer, written: set[int], abort: threading.Event):
        super().__init__(name="download-md5", daemon=True)
        self._fd, self._t, self._abort = fd, t, abort
        self._written = set(written)
        self._changed = threading.Condition()
        self._digest = md5_of(b"")
        self._error: BaseException | None = None
        self._done = threading.Event()

    def written(self, number: int) -> None:
        with self._changed:
            self._written.add(number)
            self._changed.notify()

    def run(self) -> None:
        t = self._t
        try:
            for number in range(1, part_count(t.size, t.part_size) + 1):
                with self._changed:
                    while number not in self._written and not self._abort.is_set():
                        self._changed.wait(0.5)
                if number not in self._written:
                    return  # aborted: the download failed or was stopped
                offset = (number - 1) * t.part_size
                length = min(t.part_size, t.size - offset)
                position = offset
                while position < offset + length:
                    data = os.pread(self._fd, min(CHUNK * 8, offset + length - position), position)
                    if not data:
                        break
                    self._digest.update(data)
                    position += len(data)
                _write_back(self._fd, offset, length)
        except OSError as exc:
            self._error = local_error(exc, t.local_path, writing=False)
        finally:
            self._done.set()

    def result(self) -> str:
        """The digest, once every range is written (call after all were)."""
        with self._changed:
            self._changed.notify()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()


def _write_back(fd: int, offset: int, length: int) -> None:
    """Start writing a finished range to disk now (Linux: POSIX_FADV_DONTNEED starts the
    write-back of dirty pages), so the fsync at the end does not wait for a whole GiB."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):  # only a hint
            advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _ranges_kept(ctx: RunContext, fd: int, count: int) -> dict[int, JournalPart]:
    """Ranges a previous attempt wrote (journalled after the write), if the file is intact."""
    t = ctx.transfer
    try:
        length = os.fstat(fd).st_size
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=True) from exc
    kept = {p.number: p for p in ctx.journal.parts(t.id) if p.number <= count}
    if length != t.size:
        # A new download, or the .part file was truncated or replaced: start clean.
        kept = {}
        ctx.journal.clear_parts(t.id)
        try:
            os.ftruncate(fd, t.size)
        except OSError as exc:
            raise local_error(exc, t.local_path, writing=True) from exc
    return kept


def _check_length(t: Transfer, got: int, expected: int) -> None:
    if got != expected:
        raise StorageError(
            f"The server ended the download of “{t.key}” early ({got} of {expected} bytes).",
            hint="Retry: the download continues from what was received.",
        )


def _verify(ctx: RunContext, fd: int, range_md5s: list[str], whole: str) -> None:
    """Compare with the ETag: ``whole`` is the file's MD5 if it was computed on the way
    (else ""), ``range_md5s`` the ranges' MD5s ("" where not computed)."""
    t = ctx.transfer
    if not ctx.options.verify:
        t.verified, t.note = False, "Not verified (verification is off)."
        return
    etag = t.etag.lower()
    if is_plain_md5(etag):
        whole = whole or _md5_of_file(ctx, fd, t.size)
        if whole != etag:
            raise IntegrityError(
                f"The downloaded “{t.name}” does not match the object on the server.",
                hint="Retry: the download starts again.",
                detail=f"local MD5 {whole}, server ETag {t.etag}",
            )
        t.verified = True
        return
    count = multipart_part_count(etag)
    if count:
        complete = all(range_md5s)
        ranges_match = t.multipart and complete and len(range_md5s) == count
        if ranges_match and composite_etag(range_md5s) == etag:
            t.verified = True
            return
        for size in _candidates(t.size, count):
            if (size != t.part_size or not complete) and _composite_of_file(ctx, fd, size) == etag:
                t.verified = True
                return
        t.verified = False
        t.note = "Not verified: the object was uploaded in parts of a size that is not known."
        return
    t.verified = False
    t.note = "Not verified: the server gives no MD5 checksum for this object."


def _md5_of_file(ctx: RunContext, fd: int, size: int) -> str:
    return _composite_parts(ctx, fd, size, size)[0] if size else md5_of(b"").hexdigest()


def _composite_of_file(ctx: RunContext, fd: int, part_size: int) -> str:
    return composite_etag(_composite_parts(ctx, fd, ctx.transfer.size, part_size))


def _composite_parts(ctx: RunContext, fd: int, size: int, part_size: int) -> list[str]:
    """MD5 of each ``part_size`` span of the first ``size`` bytes of ``fd``."""
    md5s: list[str] = []
    for start in range(0, size, part_size):
        digest = md5_of(b"")
        position, end = start, min(start + part_size, size)
        while position < end:
            ctx.check()
            try:
                data = os.pread(fd, min(CHUNK * 8, end - position), position)
            except OSError as exc:
                raise local_error(exc, ctx.transfer.local_path, writing=False) from exc
            if not data:
                break
            digest.update(data)
            position += len(data)
        md5s.append(digest.hexdigest())
    return md5s
