"""What a backend's own HTTP path (``*/fast.py``, through ``backends/http_pool.py``) needs
to behave as its SDK's transport does (botocore's, or the ``requests`` of Google's and
Azure's): the same certificates and the same proxies."""

from __future__ import annotations

import os
import sys


def ca_bundle(verify: bool | str) -> str:
    """The certificates ``requests`` verifies with (a file or a folder of them): the
    connection's own bundle, else the environment's, else certifi's."""
    bundle = verify if isinstance(verify, str) else ""
    bundle = (
        bundle or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or ""
    )
    if bundle:
        return bundle
    import certifi

    return certifi.where()


def proxied(host: str) -> bool:
    """Whether the SDK would send requests to ``host`` through a proxy (the environment's
    ``*_proxy`` variables; on macOS and Windows the system's settings too): then the SDK's
    own path is used, which knows proxies; ours does not."""
    if sys.platform not in ("darwin", "win32") and not any(
        name.lower().endswith("_proxy") for name in os.environ
    ):
        return False  # urllib.request (~20 ms to import) would find none either
    import urllib.request

    return bool(urllib.request.getproxies()) and not urllib.request.proxy_bypass(host)
