"""When a V4-signed URL stops working, read from the URL itself: the server enforces what
the URL names (its signing date plus its lifetime, in whole seconds), not what was asked
for, so that is the end the window and the CLI show (``ShareLink.expires``)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

#: The signing date's format in a V4 query (``20261207T114500Z``).
_DATE = "%Y%m%dT%H%M%SZ"


def v4_end(url: str, vendor: str) -> float:
    """The end of a URL signed by AWS's SigV4 (``vendor`` "Amz") or Google's V4 ("Goog"):
    ``X-<vendor>-Date`` plus ``X-<vendor>-Expires``, POSIX seconds; 0.0 where the URL
    carries no signature (an anonymous connection's plain URL names no end)."""
    fields = parse_qs(urlsplit(url).query)
    date = fields.get(f"X-{vendor}-Date", [""])[0]
    lifetime = fields.get(f"X-{vendor}-Expires", [""])[0]
    if not date or not lifetime:
        return 0.0
    signed = datetime.strptime(date, _DATE).replace(tzinfo=UTC)
    return signed.timestamp() + int(lifetime)
