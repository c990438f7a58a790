"""Secrets never written anywhere: the registry of the secrets the process holds, and the
redaction the log applies to every record's final text (``core/logs.py``).

Apart from the log itself so that holding a secret costs no start-up: ``Credentials``
registers its secret when it is made (``core/connection.py``), at every command's start,
and the log (``logging``, the log file's handlers) and these patterns are needed only
when something is logged. So registering keeps the secret; the pattern that finds it is
compiled when the first text is redacted.

Two lines of defence, both applied by :func:`redact`:

* every secret the process holds is registered at run time and replaced wherever it
  appears, however it got into the text;
* patterns catch what was never registered: the values of ``Authorization:`` headers,
  ``X-Amz-Security-Token``, ``X-Amz-Signature`` / ``Signature=`` (presigned URLs), and
  ``aws_secret_access_key`` / ``SecretAccessKey`` / ``SessionToken`` fields in any of the
  spellings botocore, the AWS config files and JSON use.
"""

from __future__ import annotations

import functools
import re
import threading

REDACTED = "[redacted]"

#: Shorter strings are not registered: replacing every "ab" in a log would make it
#: unreadable, and no real secret is that short.
_MIN_SECRET = 6
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
#: The registered secrets' pattern; None until the first redaction after a registration.
_secret_pattern: re.Pattern[str] | None = None


def register_secret(secret: str) -> None:
    """Never write ``secret`` to a log from now on (call it for every secret you hold)."""
    global _secret_pattern
    if len(secret) < _MIN_SECRET:
        return
    with _secrets_lock:
        if secret not in _secrets:
            _secrets.add(secret)
            _secret_pattern = None


def redact(text: str) -> str:
    """``text`` with every registered secret and every secret-looking value replaced."""
    pattern = _registered()
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for regex in _patterns():
        text = regex.sub(_keep_name, text)
    return text


def _registered() -> re.Pattern[str] | None:
    """One pattern of every registered secret (None while there is none)."""
    global _secret_pattern
    with _secrets_lock:
        if _secret_pattern is None and _secrets:
            # Longest first, so a secret that contains another is replaced whole.
            ordered = sorted(_secrets, key=len, reverse=True)
            _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return _secret_pattern


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """Secret-looking values; group 1 is what stays (the name), the value after it goes."""
    return (
        # Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…
        # (headers printed as text, or as a dict repr by botocore's debug logging:
        # 'Authorization': b'…').
        re.compile(r"""(Authorization['"]?\s*[:=]\s*(?:b?['"])?)[^'"\r\n]+""", re.IGNORECASE),
        re.compile(
            r"""((?:X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential|Signature|"""
            r"""aws_secret_access_key|aws_session_token|aws_security_token|"""
            r"""secret_access_key|session_token|SecretAccessKey|SessionToken|"""
            r"""secret_key|SecretKey|password)['"]?\s*[:=]\s*(?:b?['"])?)[^'"&\s,;)}]+""",
            re.IGNORECASE,
        ),
    )


def _keep_name(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED
