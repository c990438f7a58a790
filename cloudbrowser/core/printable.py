"""Text from a server, made safe to show: every invisible or controlling character escaped.

A key, a message or a bucket name comes from whoever runs the server. Printed raw, a key
holding ``ESC ]0;…BEL`` retitles (or worse) the user's terminal, a newline forges an output
line, and a right-to-left override (U+202E) turns ``gpj.exe`` into what reads as
``exe.jpg``. So text made for a person shows such characters as visible escapes
(``\\x1b``, ``\\u202e``), in the command line and in the window alike; JSON and every name
used to address an object keep the exact text.

Which characters: those that are not text but instructions to whatever renders it, or that
render as nothing (Unicode categories): Cc (C0, DEL, C1 controls: the terminal's escape
sequences), Cf (format characters: bidi embeddings, overrides and isolates, zero-width
spaces, the BOM, soft hyphens), Cs (lone surrogates, which cannot even be encoded to a
terminal), Zl and Zp (line and paragraph separators). ZERO WIDTH (NON-)JOINER stay: they
shape Persian, Indic scripts and emoji sequences without hiding or reordering anything.
Private-use and not-yet-assigned characters stay too: they draw as a box or a glyph, never
as an action.
"""

from __future__ import annotations

#: Categories whose characters are escaped (see the module docstring).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Format characters that shape text without hiding or reordering it.
_KEPT = frozenset({"\u200c", "\u200d"})
#: The escapes everyone reads at a glance.
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def is_unsafe(char: str) -> bool:
    """True when ``char`` (one character) is shown escaped by :func:`printable`."""
    # Here: asked only of text that is not all printable, and importing the Unicode
    # database costs every command ~1 ms of its start-up.
    import unicodedata

    return char not in _KEPT and unicodedata.category(char) in _ESCAPED_CATEGORIES


def escape_char(char: str) -> str:
    """``"\\x1b"`` → ``\\x1b``, ``"\\u202e"`` → ``\\u202e``, as Python writes them."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, *, keep: str = "") -> str:
    """``text`` with every unsafe character replaced by its visible escape.

    ``keep``: characters to leave as they are (the command line keeps the tab that
    separates its own columns). Costs one C-level scan for ordinary text.
    """
    if text.isprintable():  # the common case: nothing to escape (it also passes spaces)
        return text
    return "".join(
        escape_char(c) if c not in keep and not c.isprintable() and is_unsafe(c) else c
        for c in text
    )


def has_unsafe(text: str) -> bool:
    """True when :func:`printable` would change ``text``."""
    return not text.isprintable() and any(is_unsafe(c) for c in text)
