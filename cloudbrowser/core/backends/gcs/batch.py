"""GCS's JSON batch: up to 100 deletes in one ``multipart/mixed`` request.

Only a server without the batch endpoint (:func:`endpoint_refused`) turns batching off
for its connection; an item's error is that item's (a 404 is a key already gone).

Each part of the reply is one sub-request's HTTP reply, named by ``Content-ID:
<response-N>``. A 404 in a batch is confirmed by a delete of its own: fake-gcs-server does
not decode a sub-request's ``%2F`` (it answers 404 for a key with a "/", and deletes
nothing), and a 404 must never pass for "deleted" when the key is still there.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from urllib.parse import quote

import requests

from cloudbrowser.core.backends.gcs.errors import reply_error
from cloudbrowser.core.errors import StorageError

_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})")
_ID = re.compile(rb"content-id:\s*<response-(\d+)>", re.IGNORECASE)


def request_body(bucket: str, keys: Sequence[str]) -> tuple[bytes, str]:
    """The batch's body and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = []
    for i, key in enumerate(keys):
        path = f"/storage/v1/b/{quote(bucket, safe='')}/o/{quote(key, safe='')}"
        parts.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <{i}>\r\n\r\n"
            f"DELETE {path} HTTP/1.1\r\n\r\n\r\n"
        )
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/mixed; boundary={boundary}"


def statuses(reply: requests.Response, count: int) -> list[tuple[int, bytes]]:
    """Each sub-request's (status, body) in request order. Raises StorageError for a reply
    that does not answer every sub-request."""
    match = re.search(r'boundary="?([^";]+)"?', reply.headers.get("content-type", ""))
    if not match:
        raise _unreadable(reply, "no multipart boundary")
    found: dict[int, tuple[int, bytes]] = {}
    for part in reply.content.split(b"--" + match.group(1).encode()):
        status = _STATUS.search(part)
        number = _ID.search(part)
        if status is None or number is None:
            continue
        _head, _, body = part[status.end() :].partition(b"\r\n\r\n")
        found[int(number.group(1))] = (int(status.group(1)), body.strip())
    if sorted(found) != list(range(count)):
        raise _unreadable(reply, f"{len(found)} answers to {count} deletes")
    return [found[i] for i in range(count)]


def endpoint_refused(reply: requests.Response) -> bool:
    """Whether ``reply`` says the server has no JSON batch at all: a 404, 405 or 501 that
    is not a JSON API error (a proxy's or a router's page: the API's own 404 is about a
    resource, as an item's answer would be), a 400 or 415 about the multipart body itself
    (fake-gcs-server: "invalid Content-Type header"; "not multi-part"), or a success that
    is no multipart answer (a page of a proxy in the way)."""
    if 200 <= reply.status_code < 300:
        return "multipart/" not in reply.headers.get("content-type", "").lower()
    text = reply.text[:4000].lower() if reply.content else ""
    if reply.status_code in (405, 501):
        return True
    if reply.status_code == 404:
        return not _api_error(text)
    if reply.status_code in (400, 415):
        return any(word in text for word in ("content-type", "multipart", "multi-part"))
    return False


def _api_error(text: str) -> bool:
    """A JSON API error body (``{"error": {…}}``)."""
    try:
        body = json.loads(text) if text.lstrip().startswith("{") else None
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


def sub_error(bucket: str, key: str, status: int, body: bytes) -> StorageError:
    """The error of one sub-request, as a reply of its own would give it."""
    fake = requests.Response()
    fake.status_code = status
    fake._content = body
    return reply_error(fake, bucket=bucket, key=key)


def _unreadable(reply: requests.Response, why: str) -> StorageError:
    return StorageError(
        "The server's answer to a batch delete could not be read.",
        hint="Retry; the keys are deleted one by one then.",
        detail=f"{why}: {reply.content[:200]!r}",
        code="UnreadableReply",
    )
