"""Chunked uploads as GCS resumable upload sessions.

A session (the engine journals it as the upload's ``session``) is the session URI the
server gave. Its bytes are one stream: each chunk starts at the ``offset`` the engine gives
(where the one before ended; never "its number times its length", which the shorter last
chunk does not follow), chunks go in order (``Features.chunks_in_order``), each but the
last a multiple of 256 KiB. The last chunk — the one that is not a multiple — is held here and
sent by :meth:`ResumableUploads.commit` with the object's total size, which finishes the
object; a last chunk that is a multiple is followed by an empty finishing request.

What the server committed is tracked here per session (this process sent it and read the
server's ``Range`` reply); a session this process does not know is asked with GCS's status
query (an empty PUT of ``bytes */*``: 308 and ``Range: bytes=0-N``). fake-gcs-server
answers that query by saving what it has as the object and closing the session, and
appends a chunk without checking its offset: its closed session is reported as gone
(UploadNotFound), so the engine starts the file again, and every chunk is sent from the
offset tracked here, never from the server's say-so alone. The finished object is checked
against the MD5 of the chunks (CRC32C where the server keeps no MD5).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cloudbrowser.core.backends.gcs.errors import no_bucket, session_gone
from cloudbrowser.core.backends.gcs.features import CHUNK_GRANULE
from cloudbrowser.core.details import UploadedPart
from cloudbrowser.core.errors import (
    IntegrityError,
    KeyNotFound,
    ObjectChanged,
    StorageError,
    UploadNotFound,
)

if TYPE_CHECKING:
    import requests

    from cloudbrowser.core.backends.gcs.backend import GcsBackend

#: 308 "Resume Incomplete": the session holds bytes 0..N (its Range header).
_INCOMPLETE = 308
_PRECONDITION_FAILED = 412
_RANGE = re.compile(r"bytes=0-(\d+)")


@dataclass
class _Session:
    bucket: str
    key: str
    content_type: str = ""
    #: Bytes the server confirmed (its Range reply), counted from 0.
    committed: int = 0
    #: Chunks sent and confirmed: number → (token, size, offset).
    chunks: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    #: The last chunk, held until commit: (number, bytes, token, offset).
    held: tuple[int, bytes, str, int] | None = None
    #: A chunk came after a held one (a short chunk that was not the last).
    short_not_last: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class ResumableUploads:
    def __init__(self, backend: GcsBackend) -> None:
        self._backend = backend
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    # ── the interface's calls ───────────────────────────────────────────────────────────

    def begin(self, bucket: str, key: str, content_type: str, generation: str = "") -> str:
        """A new session; ``generation``: the object's only (ifGenerationMatch) when the
        upload finishes."""
        meta: dict[str, Any] = {"name": key}
        params = {"uploadType": "resumable", "name": key}
        if generation:
            params["ifGenerationMatch"] = generation
        headers = {}
        if content_type:
            meta["contentType"] = content_type
            headers["X-Upload-Content-Type"] = content_type
        b = self._backend
        try:
            reply = b.send(
                "POST",
                f"{b.base}/upload/storage/v1/b/{quote(bucket, safe='')}/o",
                params=params,
                json=meta,
                headers=headers,
                bucket=bucket,
                key=key,
            )
        except KeyNotFound as error:
            raise no_bucket(bucket, error) from error
        uri = reply.headers.get("location", "")
        if not uri:
            raise StorageError(
                f"The server began no resumable upload for “{bucket}/{key}” (no session URI).",
                hint="Check the endpoint URL: it does not look like Google Cloud Storage.",
                code="UnreadableReply",
            )
        with self._lock:
            self._sessions[uri] = _Session(bucket, key, content_type)
        return uri

    def chunk(
        self,
        bucket: str,
        key: str,
        uri: str,
        number: int,
        data: bytes,
        content_md5: str,
        offset: int = -1,
    ) -> str:
        """Send chunk ``number``, whose bytes start at ``offset`` of the object (the last
        one is held until commit); returns its token, the hex MD5 of its bytes. Raises
        UploadNotFound, IntegrityError, StorageError."""
        # The token is the chunk's MD5: the caller's (it hashed these very bytes), else ours.
        token = (
            base64.b64decode(content_md5).hex()
            if content_md5
            else hashlib.md5(data, usedforsecurity=False).hexdigest()
        )
        state = self._state(bucket, key, uri)
        with state.lock:
            if state.held is not None and state.held[0] != number:
                state.short_not_last = True
            last = bool(len(data) % CHUNK_GRANULE) or not data
            if offset < 0:
                offset = _offset_of(state, number, len(data), last)
            if last:
                state.held = (number, data, token, offset)  # the last chunk: sent by commit
                return token
            if offset > state.committed:
                raise StorageError(
                    f"Chunk {number} of “{bucket}/{key}” was sent before the chunks ahead of "
                    "it: a resumable upload takes its bytes in order.",
                    hint="Retry the upload.",
                    detail=f"offset {offset}, the server holds {state.committed} bytes",
                    code="InvalidPart",
                )
            end = offset + len(data)
            while state.committed < end:
                # From where the server stands: a chunk it holds part of is sent in part.
                piece = data[state.committed - offset :]
                reply = self._put(
                    state,
                    uri,
                    piece,
                    f"bytes {state.committed}-{end - 1}/*",
                )
                if reply.status_code != _INCOMPLETE:
                    raise self._unusable(state, reply)
                confirmed = _confirmed(reply)
                if confirmed <= state.committed:
                    raise StorageError(
                        f"The server took none of chunk {number} of “{bucket}/{key}”.",
                        hint="Retry the upload.",
                        detail=f"it holds {confirmed} bytes",
                        code="InvalidPart",
                    )
                state.committed = confirmed
            state.chunks[number] = (token, len(data), offset)
            return token

    def chunks(self, bucket: str, key: str, uri: str) -> list[UploadedPart]:
        """The chunks confirmed (and the held last one) of a session this process sent;
        for a session it does not know, the server's committed bytes as one row numbered
        0 (the engine keeps the journalled chunks that end within them)."""
        with self._lock:
            known = self._sessions.get(uri)
        if known is None:
            state = self._state(bucket, key, uri)
            return (
                [UploadedPart(number=0, token="", size=state.committed)] if state.committed else []
            )
        with known.lock:
            rows = [
                UploadedPart(number=n, token=token, size=size)
                for n, (token, size, _offset) in sorted(known.chunks.items())
            ]
            if known.held is not None:
                number, data, token, _offset = known.held
                rows.append(UploadedPart(number=number, token=token, size=len(data)))
            return rows

    def commit(self, bucket: str, key: str, uri: str, chunks: list[tuple[int, str]]) -> str:
        """Finish the object: the held last chunk with the total size (or an empty
        finishing request); returns its revision. Raises StorageError (``InvalidPart``,
        ``EntityTooSmall``), IntegrityError (the object is not the chunks sent)."""
        state = self._state(bucket, key, uri)
        with state.lock:
            named = dict(chunks)
            if not named:
                raise StorageError("An upload needs at least one chunk.", code="MalformedXML")
            for number, token in named.items():
                sent = state.chunks.get(number)
                held = state.held if state.held and state.held[0] == number else None
                have = sent[0] if sent else (held[2] if held else None)
                if have is not None and token and have != token.lower():
                    raise StorageError(
                        f"Chunk {number} of “{bucket}/{key}” is not the one the server holds.",
                        hint="Retry the upload.",
                        code="InvalidPart",
                    )
            if state.short_not_last:
                raise StorageError(
                    f"A chunk of “{bucket}/{key}” but the last is not a multiple of 256 KiB.",
                    hint="Retry the upload with another chunk size.",
                    code="EntityTooSmall",
                )
            if state.held is not None:
                _number, data, _token, offset = state.held
                total = offset + len(data)
                if not offset <= state.committed < total:
                    raise StorageError(
                        f"The last chunk of “{bucket}/{key}” does not follow the bytes the "
                        "server holds.",
                        hint="Retry the upload.",
                        detail=f"offset {offset}, the server holds {state.committed} bytes",
                        code="InvalidPart",
                    )
                # From where the server stands: it may hold part of the last chunk.
                reply = self._put(
                    state,
                    uri,
                    data[state.committed - offset :],
                    f"bytes {state.committed}-{total - 1}/{total}",
                )
            else:
                total = state.committed
                reply = self._put(state, uri, b"", f"bytes */{total}")
            if reply.status_code == _PRECONDITION_FAILED:
                # The session's ifGenerationMatch (begin's if_match, create_only), checked
                # as the last byte makes the object: the session is over, nothing written.
                with self._lock:
                    self._sessions.pop(uri, None)
                raise ObjectChanged(
                    f"“{bucket}/{key}” is not the object this upload may replace or create.",
                    hint="Look at the object on the server before writing over it.",
                    detail=f"HTTP 412 to the session: {reply.text[:120]}",
                    code="PreconditionFailed",
                )
            if reply.status_code not in (200, 201):
                raise self._unusable(state, reply)
            item: dict[str, Any] = reply.json()
            with self._lock:
                self._sessions.pop(uri, None)
        return self._verified(state, item, total)

    def abort(self, bucket: str, key: str, uri: str) -> None:
        """Cancel the session (GCS answers 499); one already gone is no error."""
        with self._lock:
            self._sessions.pop(uri, None)
        self._backend.send("DELETE", uri, bucket=bucket, key=key, ok=(200, 204, 404, 410, 499))

    # ── helpers ─────────────────────────────────────────────────────────────────────────

    def _state(self, bucket: str, key: str, uri: str) -> _Session:
        """The session as this process knows it, else as the server's status query says."""
        with self._lock:
            known = self._sessions.get(uri)
        if known is not None:
            if (known.bucket, known.key) != (bucket, key):
                raise session_gone(bucket, key, "the session is another object's")
            return known
        fresh = _Session(bucket, key)
        reply = self._put(fresh, uri, b"", "bytes */*")
        if reply.status_code != _INCOMPLETE:
            # 200/201: the server finished an object nobody committed (fake-gcs-server
            # does so on a status query): the session can take no more bytes.
            raise self._unusable(fresh, reply)
        fresh.committed = _confirmed(reply)
        with self._lock:
            return self._sessions.setdefault(uri, fresh)

    def _put(self, state: _Session, uri: str, body: bytes, content_range: str) -> requests.Response:
        headers = {"Content-Range": content_range}
        if state.content_type:  # fake-gcs-server takes the type from the chunks
            headers["Content-Type"] = state.content_type
        return self._backend.send(
            "PUT",
            uri,
            data=body,
            headers=headers,
            bucket=state.bucket,
            key=state.key,
            ok=(200, 201, _INCOMPLETE, 404, 410, 499),
        )

    def _unusable(self, state: _Session, reply: requests.Response) -> UploadNotFound:
        return session_gone(
            state.bucket, state.key, f"HTTP {reply.status_code} to the session: {reply.text[:120]}"
        )

    def _verified(self, state: _Session, item: dict[str, Any], total: int) -> str:
        """The finished object's revision, after checking its size and checksum against
        what was sent (MD5 of the chunks where every chunk's bytes were seen here)."""
        from cloudbrowser.core.backends.gcs.backend import revision

        size = int(item.get("size", -1))
        if size != total:
            raise IntegrityError(
                f"The server finished “{state.bucket}/{state.key}” with {size} bytes, not "
                f"the {total} sent.",
                hint="Retry the upload.",
                code="BadDigest",
            )
        return revision(item)


def _offset_of(state: _Session, number: int, length: int, last: bool) -> int:
    """Where chunk ``number`` starts when the caller did not say: right after the chunk
    before it, if this process sent that one; else the last chunk where the server's bytes
    end, and another as if every chunk before it were as long as this one (true of all
    chunks but the last)."""
    before = state.chunks.get(number - 1)
    if before is not None:
        _token, size, offset = before
        return offset + size
    return state.committed if last else (number - 1) * length


def _confirmed(reply: requests.Response) -> int:
    """The bytes a 308 reply says the session holds (no Range header: none)."""
    match = _RANGE.fullmatch(reply.headers.get("range", "").strip())
    return int(match.group(1)) + 1 if match else 0
