"""Where the user is (a Location) and where they have been (History). No Qt."""

from __future__ import annotations

from dataclasses import dataclass

from cloudbrowser.core.keys import format_location, parent_prefix


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the browser: a connection's bucket list (``bucket == ""``), or a prefix."""

    connection: str
    bucket: str = ""
    prefix: str = ""

    @property
    def is_connection_root(self) -> bool:
        return not self.bucket

    def parent(self) -> Location | None:
        """One level up: prefix → its parent, bucket root → the bucket list, list → None."""
        if self.prefix:
            return Location(self.connection, self.bucket, parent_prefix(self.prefix))
        if self.bucket:
            return Location(self.connection)
        return None

    def child(self, name_or_prefix: str) -> Location:
        """Open a bucket (from the bucket list) or a sub-prefix (a full prefix key)."""
        if not self.bucket:
            return Location(self.connection, name_or_prefix.rstrip("/"))
        return Location(self.connection, self.bucket, name_or_prefix)

    def child_toward(self, inner: Location) -> str | None:
        """The row of this place's listing on the way down to ``inner``, as the list keys
        it (a bucket as ``name/``, a folder as its full prefix); None unless ``inner`` is
        a plain place below this one."""
        if type(self) is not Location or type(inner) is not Location:
            return None  # search results list no folders of their own
        if inner.connection != self.connection or not inner.bucket:
            return None
        if not self.bucket:
            return f"{inner.bucket}/"
        if inner.bucket != self.bucket or inner.prefix == self.prefix:
            return None
        if not inner.prefix.startswith(self.prefix):
            return None
        head, sep, _ = inner.prefix[len(self.prefix) :].partition("/")
        return f"{self.prefix}{head}{sep}"

    def text(self) -> str:
        """As typed in the path bar: ``bucket/prefix/``, or "" for the bucket list."""
        return format_location(self.bucket, self.prefix) if self.bucket else ""


class History:
    """Back/forward history like a web browser's: going somewhere new drops the forward part."""

    def __init__(self) -> None:
        self._items: list[Location] = []
        self._index = -1

    @property
    def current(self) -> Location | None:
        return self._items[self._index] if self._index >= 0 else None

    def push(self, location: Location) -> None:
        if location == self.current:
            return
        del self._items[self._index + 1 :]
        self._items.append(location)
        self._index = len(self._items) - 1

    def replace_current(self, location: Location) -> None:
        """Stand for the current place (which turned out to be another), Back and
        Forward unchanged."""
        if self._index >= 0:
            self._items[self._index] = location

    @property
    def previous(self) -> Location | None:
        """Where Back would go, or None."""
        return self._items[self._index - 1] if self._index > 0 else None

    def can_go_back(self) -> bool:
        return self._index > 0

    def can_go_forward(self) -> bool:
        return self._index < len(self._items) - 1

    def back(self) -> Location | None:
        if not self.can_go_back():
            return None
        self._index -= 1
        return self.current

    def forward(self) -> Location | None:
        if not self.can_go_forward():
            return None
        self._index += 1
        return self.current

    def forget_connection(self, connection: str) -> None:
        """Drop every place of a connection that went away."""
        current = self.current
        self._items = [loc for loc in self._items if loc.connection != connection]
        self._index = self._items.index(current) if current in self._items else len(self._items) - 1


@dataclass(frozen=True, slots=True)
class SearchLocation(Location):
    """The results of a name search below ``prefix`` (``gui/search.py``): a place in the
    history like a folder, so Back returns to where the search started and Refresh runs it
    again. Never equal to the folder's own Location."""

    query: str = ""

    def folder(self) -> Location:
        """The folder that was searched."""
        return Location(self.connection, self.bucket, self.prefix)

    def parent(self) -> Location | None:
        """Up from the results is the folder that was searched."""
        return self.folder()
