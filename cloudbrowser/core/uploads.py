"""Uploading one file: a single verified PUT, or a resumable multipart upload.

Called by :class:`~cloudbrowser.core.transfers.TransferQueue` on a transfer worker thread.

* Small files (up to the part size) go in one PutObject with Content-MD5: the server
  refuses a body whose MD5 differs, and its ETag is compared with the local MD5.
* Larger files go in parts of ``Transfer.part_size`` on the shared part pool, each with
  Content-MD5, each journalled once the server confirmed it. On resume the session (S3's
  UploadId) from the journal is asked for its chunks (ListParts): parts the server holds
  with the token (S3's part ETag) the journal recorded are not sent again, and no second
  upload is ever begun while the first one exists. The object's ETag is checked against
  the composite MD5.
* An upload with ``Transfer.if_match`` replaces only that revision of the object: a HEAD
  right before the write compares it, and the server refuses the write itself where
  ``features.conditional_puts`` (If-Match, ifGenerationMatch). Another revision raises
  ObjectChanged, a deleted object KeyNotFound (or ObjectChanged).
* A **create-only** upload (``Transfer.create_only``) is the same for "no object of the
  name": the HEAD must answer not found, and the server refuses the write itself where
  ``features.conditional_puts`` (If-None-Match: *, ifGenerationMatch=0). An object there
  raises CreatedMeanwhile, unless it holds exactly the file's bytes: a write of this
  upload whose answer was lost (the SDK's retry, the user's) made it, so it is done.
* A whole-object PUT stopped (paused, cancelled) after it was sent may be stored all the
  same (the server had it; a PUT dropped on a runner ends in the background): once it
  has ended (a bounded wait) the object is looked at, and where it holds exactly the
  file's bytes the upload is done and verified, never reported stopped.
* Where a session is one stream of bytes (``features.chunks_in_order``: GCS resumable
  sessions) parts go one after another, the resume keeps the journalled parts that end
  within the bytes the server holds, and the object's MD5 is checked against the file's.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from cloudbrowser.core.checksums import (
    composite_etag,
    content_md5,
    etag_chunks,
    etag_md5,
    md5_of,
)
from cloudbrowser.core.details import UploadedPart
from cloudbrowser.core.entries import ObjectInfo
from cloudbrowser.core.errors import (
    CloudBrowserError,
    ConfigError,
    CreatedMeanwhile,
    IntegrityError,
    KeyNotFound,
    LocalFileError,
    NotSupported,
    ObjectChanged,
    UploadNotFound,
)
from cloudbrowser.core.interrupt import Abandoned, interruptible
from cloudbrowser.core.journal import JournalPart, State
from cloudbrowser.core.localfs import local_error
from cloudbrowser.core.storage import TiB, chunked_uploads_of
from cloudbrowser.core.transfers import (
    RunContext,
    Stage,
    Stopped,
    Transfer,
    part_count,
    upload_part_size,
)

#: How long a stopped whole-object PUT is waited for, and then the look at what the
#: server holds, each at most (seconds): a stop is still prompt where the server hangs.
STOPPED_PUT_WAIT = 5.0


def run_upload(ctx: RunContext) -> None:
    t = ctx.transfer
    t.bytes_done = 0
    _check_unchanged(ctx)
    limits = ctx.backend.features.limits
    if t.size > limits.max_object:
        raise ConfigError(
            f"“{t.name}” is larger than {limits.max_object / TiB:g} TiB, the most this "
            "storage keeps in one object.",
            hint="Split the file before uploading it.",
        )
    content_type = mimetypes.guess_type(t.local_path.name)[0] or ""
    try:
        fd = os.open(t.local_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=False) from exc
    try:
        if t.multipart:
            _upload_parts(ctx, fd, content_type)
        else:
            _upload_whole(ctx, fd, content_type)
    finally:
        os.close(fd)


def _check_unchanged(ctx: RunContext) -> None:
    """A file that changed since it was queued starts over: parts of two versions never mix."""
    t = ctx.transfer
    try:
        st = t.local_path.stat()
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=False) from exc
    if st.st_size == t.size and st.st_mtime == t.mtime:
        return
    if t.session:
        _abort_if_supported(ctx)
    t.size, t.mtime, t.session = st.st_size, st.st_mtime, ""
    multipart = t.size > ctx.options.multipart_threshold
    t.part_size = (
        upload_part_size(t.size, ctx.options, ctx.backend.features.limits) if multipart else 0
    )
    ctx.journal.clear_parts(t.id)
    ctx.journal.update(t.id, size=t.size, mtime=t.mtime, session="", part_size=t.part_size)


def _read(fd: int, t: Transfer, length: int, offset: int) -> bytes:
    try:
        data = os.pread(fd, length, offset)
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=False) from exc
    if len(data) != length:
        raise LocalFileError(
            f"“{t.name}” became shorter while it was being uploaded.",
            hint="Retry once the file is no longer being written.",
        )
    return data


def _upload_whole(ctx: RunContext, fd: int, content_type: str) -> None:
    t = ctx.transfer
    data = _read(fd, t, t.size, 0)
    ctx.check()
    ctx.throttle(len(data))
    digest = md5_of(data) if ctx.options.verify else None
    sent = False  # the PUT was handed to the backend: the server may have it

    def put(if_match: str, create_only: bool) -> str:
        nonlocal sent
        sent = True
        return ctx.backend.put_object(
            t.bucket,
            t.key,
            data,
            content_md5=content_md5(digest.digest()) if digest else "",
            content_type=content_type,
            if_match=if_match,
            create_only=create_only,
        )

    try:
        if_match, create_only = _write_condition(ctx, commit=False)
        with _refused_as_changed(t):
            t.etag = ctx.putting(lambda: put(if_match, create_only))
    except CreatedMeanwhile:
        whole = (digest or md5_of(data)).hexdigest()
        if not _ours_already(ctx, whole, ""):
            raise
        ctx.progress(len(data))
        return
    except CloudBrowserError as error:
        if not (sent and _stored_despite_the_stop(ctx, error, digest or md5_of(data))):
            raise
        ctx.progress(len(data))
        return
    ctx.progress(len(data))
    if digest is None:
        t.verified, t.note = False, "Not verified (verification is off)."
    elif etag_md5(t.etag, ctx.backend.features.checksums) not in ("", digest.hexdigest()):
        raise IntegrityError(
            f"The server stored different bytes for “{t.key}” than were sent.",
            hint="Retry the upload.",
            detail=f"local MD5 {digest.hexdigest()}, server ETag {t.etag}",
        )
    else:
        # A non-MD5 ETag (KMS encryption...) still passed the server's Content-MD5 check.
        t.verified = True


def _stored_despite_the_stop(
    ctx: RunContext, stopped: CloudBrowserError, digest: hashlib._Hash
) -> bool:
    """After a whole object's PUT was stopped (``stopped``: a pause or cancel broke off
    the wait for its reply, or dropped it on a runner, core/interrupt.py): whether the
    server stored it all the same, which it does where the request had reached it. The
    object is looked at once the dropped PUT has ended (a bounded wait): where it holds
    exactly the file's bytes the upload is done and verified, and says so; else the stop
    stands. Not at a shutdown (the journal keeps it queued: it runs again)."""
    t = ctx.transfer
    if not t.stop_event.is_set() or t.stop_as not in (State.CANCELLED, State.PAUSED):
        return False
    ctx.set_stage(Stage.VERIFYING)  # the row says what happens meanwhile
    if isinstance(stopped, Abandoned) and not stopped.ended.wait(STOPPED_PUT_WAIT):
        t.note = "Stopped while its upload was still on its way: the server may store it yet."
        return False
    try:
        # The transfer's stop is set: a look of its own, bounded in time instead.
        info = interruptible(
            lambda: ctx.backend.head_object(t.bucket, t.key),
            threading.Event(),
            within=STOPPED_PUT_WAIT,
        )
    except CloudBrowserError:  # not there (never stored), or no answer in time
        return False
    if not _holds_the_file(ctx, info, digest.hexdigest(), ""):
        return False
    t.etag, t.verified = info.etag, True
    t.note = "Uploaded before the stop took effect: the server had stored the whole file."
    return True


def _write_condition(ctx: RunContext, *, commit: bool) -> tuple[str, bool]:
    """The ``if_match`` and ``create_only`` to give the write that makes the object: the
    transfer's, where the server checks them itself (``features.conditional_puts``), else
    none. The object is looked at by a HEAD right before as well, because some servers
    ignore the precondition of a commit (moto's If-Match, fake-gcs-server's sessions) or
    of every write (``conditional_puts`` False): the gap left to them is as narrow as the
    engine can make it. Not before a create-only single write (not a ``commit``) to a
    server that checks it: that write is one request, refused by the server itself, and
    a HEAD before each would double a drop's requests.

    Raises ObjectChanged, KeyNotFound (the object is another revision, or gone),
    CreatedMeanwhile (create-only, and an object has the name)."""
    t = ctx.transfer
    checked = ctx.backend.features.conditional_puts
    if t.create_only:
        if checked and not commit:
            return "", True
        try:
            info = ctx.request(lambda: ctx.backend.head_object(t.bucket, t.key))
        except KeyNotFound:
            return "", checked
        raise _created(t, f"the server has {info.etag}")
    if not t.if_match:
        return "", False
    info = ctx.request(lambda: ctx.backend.head_object(t.bucket, t.key))
    if info.etag.strip('"').lower() != t.if_match.strip('"').lower():
        raise _changed(t, f"expected {t.if_match}, the server has {info.etag}")
    return (t.if_match if checked else ""), False


def _changed(t: Transfer, detail: str) -> ObjectChanged:
    # Not a download's "retry to transfer the current version": a retry of this upload
    # is refused again, on purpose.
    return ObjectChanged(
        f"“{t.bucket}/{t.key}” changed on the server: it is not the revision this upload "
        "may replace.",
        hint="Look at the object on the server before writing over it.",
        detail=detail,
        code="PreconditionFailed",
    )


def _created(t: Transfer, detail: str) -> CreatedMeanwhile:
    # Said for the file, not the write: the user chose a name that was free (a "keep
    # both" copy, a skip or newer where nothing was), so what happens next is theirs to
    # choose again.
    return CreatedMeanwhile(
        f"“{t.name}” was not uploaded: someone created “{t.bucket}/{t.key}” meanwhile, "
        "and nothing was overwritten.",
        hint="Upload it again to choose anew what to do with the name (keep both, skip, "
        "or replace).",
        detail=detail,
        code="PreconditionFailed",
    )


@contextlib.contextmanager
def _refused_as_changed(t: Transfer) -> Iterator[None]:
    """The server's refusal of a conditional write, said as an upload's."""
    try:
        yield
    except CreatedMeanwhile as error:
        raise _created(t, error.detail or error.message) from error
    except ObjectChanged as error:
        if not t.if_match:
            raise
        raise _changed(t, error.detail or error.message) from error


def _ours_already(ctx: RunContext, whole_md5: str, composite: str) -> bool:
    """After a create-only write was refused: the object there holds exactly the file's
    bytes (its MD5 is ``whole_md5``, or its S3 ETag the ``composite`` of the chunks'),
    so a write of this very upload made it and only its answer was lost (the SDK sent it
    again, or the user retried). Then the upload is done and verified; a retry must not
    fail forever on its own object. Anything else is someone else's object."""
    t = ctx.transfer
    try:
        info = ctx.request(lambda: ctx.backend.head_object(t.bucket, t.key))
    except KeyNotFound:
        return False  # gone again: not ours to claim; the refusal stands
    same = _holds_the_file(ctx, info, whole_md5, composite)
    if same:
        t.etag, t.verified = info.etag, True
        t.note = "Already on the server: an earlier attempt's write of these bytes."
    return same


def _holds_the_file(ctx: RunContext, info: ObjectInfo, whole_md5: str, composite: str) -> bool:
    """Whether the object ``info`` describes holds exactly the transfer's file: its size,
    and its MD5 is ``whole_md5`` (or its S3 ETag the ``composite`` of the chunks')."""
    stored = info.md5 or etag_md5(info.etag, ctx.backend.features.checksums)
    return info.size == ctx.transfer.size and (
        (bool(stored) and stored == whole_md5)
        or (bool(composite) and info.etag.strip('"').lower() == composite)
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    size: int
    part_size: int

    @property
    def count(self) -> int:
        return part_count(self.size, self.part_size)

    def span(self, number: int) -> tuple[int, int]:
        """(offset, length) of 1-based part ``number``."""
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)


def _upload_parts(ctx: RunContext, fd: int, content_type: str) -> None:
    t = ctx.transfer
    layout = _Layout(t.size, t.part_size)
    done = _parts_kept(ctx, fd, layout)
    if not t.session:
        try:
            with _refused_as_changed(t):
                t.session = ctx.request(
                    lambda: chunked_uploads_of(ctx.backend).begin_upload(
                        t.bucket,
                        t.key,
                        content_type=content_type,
                        if_match=t.if_match if ctx.backend.features.conditional_puts else "",
                        create_only=t.create_only and ctx.backend.features.conditional_puts,
                    )
                )
        except CreatedMeanwhile:
            # A session's precondition checked as it begins (GCS may): the object there
            # may be this upload's own, its commit's answer lost.
            if not _ours_already(ctx, *_file_digests(fd, t, layout)):
                raise
            ctx.resumed(t.size)  # all of it there from an earlier attempt
            return
        ctx.journal.update(t.id, session=t.session)
    ctx.resumed(sum(p.size for p in done.values()))

    abort = threading.Event()
    # The whole file's MD5, hashed from the disk on a thread of its own while the chunks
    # go out: where the server keeps the MD5 it is given (Azure computes none for a blob
    # of blocks), and where the object's MD5 is the only check of a session that is one
    # stream (GCS), so that hashing the file is not added to each chunk's round trip.
    features = ctx.backend.features
    hashing = threading.Event()  # set: stop hashing
    file_md5 = (
        _FileMd5(fd, t, hashing)
        if ctx.options.verify and (features.md5_on_commit or features.chunks_in_order)
        else None
    )
    if file_md5 is not None:
        file_md5.start()
    try:
        _send_and_commit(ctx, fd, layout, done, abort, file_md5)
    finally:
        hashing.set()
        if file_md5 is not None:
            file_md5.join()  # it reads from fd, which the caller closes next


def _send_and_commit(
    ctx: RunContext,
    fd: int,
    layout: _Layout,
    done: dict[int, JournalPart],
    abort: threading.Event,
    file_md5: _FileMd5 | None,
) -> None:
    t = ctx.transfer

    def send(number: int) -> JournalPart:
        if abort.is_set():
            raise Stopped
        ctx.check()
        offset, length = layout.span(number)
        with ctx.holding(length):
            data = _read(fd, t, length, offset)
            ctx.throttle(length)
            digest = md5_of(data) if ctx.options.verify else None
            token = ctx.request(
                lambda: chunked_uploads_of(ctx.backend).upload_chunk(
                    t.bucket,
                    t.key,
                    t.session,
                    number,
                    data,
                    content_md5=content_md5(digest.digest()) if digest else "",
                    offset=offset,
                )
            )
        md5 = digest.hexdigest() if digest else ""
        if digest and etag_md5(token, ctx.backend.features.checksums) not in ("", md5):
            raise IntegrityError(
                f"The server stored different bytes for part {number} of “{t.key}”.",
                hint="Retry: the part is sent again.",
                detail=f"local MD5 {md5}, server ETag {token}",
            )
        part = JournalPart(number, token, md5, length)
        ctx.journal.add_part(t.id, part)
        ctx.progress(length)
        return part

    missing = [n for n in range(1, layout.count + 1) if n not in done]
    if ctx.backend.features.chunks_in_order:
        # One stream of bytes (a GCS resumable session): one chunk after another.
        for number in missing:
            done[number] = send(number)
    else:
        for part in ctx.run_parts(send, missing, abort):
            done[part.number] = part

    ctx.set_stage(Stage.FINISHING)  # the server joins the parts: seconds for a large file
    _check_still_same_file(ctx)
    parts = [done[n] for n in range(1, layout.count + 1)]
    stored_md5 = (
        content_md5(file_md5.result().digest())
        if file_md5 is not None and ctx.backend.features.md5_on_commit
        else ""
    )
    try:
        if_match, create_only = _write_condition(ctx, commit=True)
        with _refused_as_changed(t):
            t.etag = ctx.putting(
                lambda: chunked_uploads_of(ctx.backend).commit_upload(
                    t.bucket,
                    t.key,
                    t.session,
                    [(p.number, p.token) for p in parts],
                    content_md5=stored_md5,
                    if_match=if_match,
                    create_only=create_only,
                )
            )
    except (CreatedMeanwhile, UploadNotFound):
        # A commit sent again after its answer was lost finds the session gone (S3's
        # NoSuchUpload) or, create-only, the object there: this upload's, if its bytes are.
        if not t.create_only:
            raise
        whole, composite = _file_digests(fd, t, layout)
        if not _ours_already(ctx, whole, composite):
            raise
        return
    if not ctx.options.verify or any(not p.md5 for p in parts):
        t.verified, t.note = False, "Not verified (verification is off)."
        return
    if ctx.backend.features.chunks_in_order:
        # The server checked no chunk: the object's MD5 against the whole file's.
        _verify_whole(ctx, file_md5.result() if file_md5 is not None else None)
        return
    expected = composite_etag(p.md5 for p in parts)
    if etag_chunks(t.etag, ctx.backend.features.checksums) and t.etag.lower() != expected:
        raise IntegrityError(
            f"The uploaded “{t.key}” does not match the local file.",
            hint="Retry the upload.",
            detail=f"expected ETag {expected}, server ETag {t.etag}",
        )
    # Otherwise every part passed the server's Content-MD5 check and its ETag check.
    t.verified = True


class _FileMd5(threading.Thread):
    """The MD5 of the whole file being uploaded, hashed from the disk on a thread of its
    own while its chunks go out (in parallel, out of order): ready by the commit."""

    def __init__(self, fd: int, t: Transfer, abort: threading.Event) -> None:
        super().__init__(name="upload-md5", daemon=True)
        self._fd, self._t, self._abort = fd, t, abort
        self._digest: hashlib._Hash | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        t = self._t
        try:
            digest = md5_of(b"")
            for start in range(0, t.size, _VERIFY_BLOCK):
                if self._abort.is_set() or t.stop_event.is_set():
                    return
                digest.update(_read(self._fd, t, min(_VERIFY_BLOCK, t.size - start), start))
            self._digest = digest
        except BaseException as exc:  # handed to the transfer's thread by result()
            self._error = exc

    def result(self) -> hashlib._Hash:
        self.join()
        if self._error is not None:
            raise self._error
        if self._digest is None:
            raise Stopped
        return self._digest


def _verify_whole(ctx: RunContext, whole: hashlib._Hash | None) -> None:
    """The object's MD5 (its revision, where the server keeps one) is the local file's."""
    t = ctx.transfer
    stored = etag_md5(t.etag, ctx.backend.features.checksums)
    if whole is None or not stored:
        t.verified, t.note = False, "Not verified (the server keeps no MD5 of this object)."
        return
    if whole.hexdigest() != stored:
        raise IntegrityError(
            f"The uploaded “{t.key}” does not match the local file.",
            hint="Retry the upload.",
            detail=f"local MD5 {whole.hexdigest()}, server MD5 {stored}",
        )
    t.verified = True


def _file_digests(fd: int, t: Transfer, layout: _Layout) -> tuple[str, str]:
    """The file's MD5 and its composite ETag (of its chunks' MD5s), read from the disk:
    only after a create-only refusal, to tell this upload's object from another's."""
    whole = md5_of(b"")
    chunks: list[str] = []
    for number in range(1, layout.count + 1):
        offset, length = layout.span(number)
        data = _read(fd, t, length, offset)
        whole.update(data)
        chunks.append(md5_of(data).hexdigest())
    return whole.hexdigest(), composite_etag(chunks)


#: Bytes read at a time to hash the file from the disk.
_VERIFY_BLOCK = 8 * 1024 * 1024


def _parts_in_order(
    ctx: RunContext, layout: _Layout, on_server: list[UploadedPart]
) -> dict[int, JournalPart]:
    """For a session that is one stream (``chunks_in_order``): the journalled chunks, in
    order, that end within the bytes the server says it holds (a row numbered 0 is a
    count of bytes without chunk boundaries)."""
    t = ctx.transfer
    held = sum(p.size for p in on_server)
    kept: dict[int, JournalPart] = {}
    end = 0
    for number, part in sorted((p.number, p) for p in ctx.journal.parts(t.id)):
        offset, length = layout.span(number)
        if offset != end or part.size != length or offset + length > held:
            break
        if ctx.options.verify and not part.md5:
            break
        kept[number] = part
        end += length
    return kept


def _parts_kept(ctx: RunContext, fd: int, layout: _Layout) -> dict[int, JournalPart]:
    """Parts of the journalled upload the server still holds with the expected content."""
    t = ctx.transfer
    if not t.session:
        ctx.journal.clear_parts(t.id)
        return {}
    try:
        on_server = ctx.request(
            lambda: chunked_uploads_of(ctx.backend).list_chunks(t.bucket, t.key, t.session)
        )
    except UploadNotFound:
        # Aborted, expired or lost with a server restart: nothing to continue, so starting
        # a new upload does not leave a second one behind.
        _forget_upload(ctx)
        return {}
    except NotSupported:
        # The server cannot say which parts it holds (no ListParts): what it holds cannot
        # be trusted, so a fresh upload starts; the old one is freed where the server can.
        _abort_if_supported(ctx)
        _forget_upload(ctx)
        return {}
    if ctx.backend.features.chunks_in_order:
        return _parts_in_order(ctx, layout, on_server)
    journalled = {p.number: p for p in ctx.journal.parts(t.id)}
    kept: dict[int, JournalPart] = {}
    for part in on_server:
        if part.number > layout.count:
            continue
        offset, length = layout.span(part.number)
        if part.size and part.size != length:
            continue
        mine = journalled.get(part.number)
        if mine is not None and mine.token == part.token and (mine.md5 or not ctx.options.verify):
            kept[part.number] = mine
        elif etag_md5(part.token, ctx.backend.features.checksums):
            # Sent, but the process died before journalling it: keep it if the bytes match.
            md5 = md5_of(_read(fd, t, length, offset)).hexdigest()
            if md5 == part.token.lower():
                kept[part.number] = JournalPart(part.number, part.token, md5, length)
                ctx.journal.add_part(t.id, kept[part.number])
    return kept


def _forget_upload(ctx: RunContext) -> None:
    t = ctx.transfer
    t.session = ""
    ctx.journal.update(t.id, session="")
    ctx.journal.clear_parts(t.id)


def _abort_if_supported(ctx: RunContext) -> None:
    """Abort the transfer's multipart upload; a server without AbortMultipartUpload keeps
    it until it expires it (nothing else can be done, and the new upload must go on)."""
    t = ctx.transfer
    with contextlib.suppress(NotSupported):
        chunked_uploads_of(ctx.backend).abort_upload(t.bucket, t.key, t.session)


def _check_still_same_file(ctx: RunContext) -> None:
    t = ctx.transfer
    try:
        st = t.local_path.stat()
    except OSError as exc:
        raise local_error(exc, t.local_path, writing=False) from exc
    if st.st_size != t.size or st.st_mtime != t.mtime:
        raise LocalFileError(
            f"“{t.name}” changed while it was being uploaded.",
            hint="Retry once the file is no longer being written: it is uploaded again.",
        )
