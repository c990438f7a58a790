"""Objects on the clipboard and in drags inside the window: which, from where, cut or copied.

Copy (Ctrl+C) and Cut (Ctrl+X) put the selection on the system clipboard in a private format
(and as ``s3://`` URIs in plain text, for pasting into a terminal or a chat); Paste (Ctrl+V)
in another folder, bucket or connection copies or moves them there on the server. A drag
of objects carries the same format, so a drop on a folder or a tree node moves them (copies
with Ctrl, and always between connections).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QMimeData

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.keys import URI_SCHEMES, remote_uri

#: The private clipboard / drag format.
OBJECTS_FORMAT = "application/x-cloudbrowser-objects"


@dataclass(frozen=True)
class ObjectSelection:
    """Objects and folders of one folder (``prefix``) of a bucket on a connection."""

    connection: str
    bucket: str
    prefix: str
    entries: tuple[Entry, ...]
    #: Cut (move on paste) rather than copied.
    cut: bool = False
    #: The URI scheme of the connection's addresses (its ``features.uri_scheme``).
    scheme: str = URI_SCHEMES[0]

    def uris(self) -> list[str]:
        return [remote_uri(self.scheme or URI_SCHEMES[0], self.bucket, e.key) for e in self.entries]

    def encode(self) -> bytes:
        return json.dumps(
            {
                "connection": self.connection,
                "bucket": self.bucket,
                "prefix": self.prefix,
                "cut": self.cut,
                "scheme": self.scheme,
                "entries": [list(e) for e in self.entries],
            }
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> ObjectSelection | None:
        try:
            raw = json.loads(data)
            entries = tuple(Entry(*row) for row in raw["entries"])
            return cls(
                str(raw["connection"]),
                str(raw["bucket"]),
                str(raw["prefix"]),
                entries,
                bool(raw.get("cut", False)),
                str(raw.get("scheme", URI_SCHEMES[0])),
            )
        except (ValueError, KeyError, TypeError):
            return None  # another program's data in our format name: ignore it

    def put_into(self, mime: QMimeData) -> None:
        mime.setData(OBJECTS_FORMAT, self.encode())
        mime.setText("\n".join(self.uris()))


def selection_in(mime: QMimeData | None) -> ObjectSelection | None:
    """The objects in clipboard or drag data, if it holds any of ours."""
    if mime is None or not mime.hasFormat(OBJECTS_FORMAT):
        return None
    return ObjectSelection.decode(bytes(mime.data(OBJECTS_FORMAT).data()))
