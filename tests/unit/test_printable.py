"""Text for a person never carries a character that drives a terminal or hides a name."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cloudbrowser.cli.output import json_line
from cloudbrowser.core.printable import has_unsafe, printable


def test_terminal_sequences_become_visible() -> None:
    assert printable("a\x1b]0;owned\x07b") == "a\\x1b]0;owned\\x07b"
    assert printable("x\x9b31m") == "x\\x9b31m"  # C1 CSI: one byte, a whole escape sequence
    assert printable("del\x7f") == "del\\x7f"
    assert printable("two\nlines\r") == "two\\nlines\\r"


def test_bidi_and_invisible_characters_become_visible() -> None:
    assert printable("photo\u202egpj.exe") == "photo\\u202egpj.exe"
    for char in "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200b\ufeff\u2028\u2029":
        assert "\\u" in printable(f"a{char}b"), hex(ord(char))
    assert printable("tag\U000e0041") == "tag\\U000e0041"
    assert printable("lone\udc80") == "lone\\udc80"


def test_ordinary_text_is_untouched() -> None:
    for text in (
        "photos/2024 summer/ä ö ü.jpg",
        "日本語",
        "עברית",
        "👨\u200d👩\u200d👧",
        "می\u200cخواهم",
    ):
        assert printable(text) == text
        assert not has_unsafe(text)


def test_keep_leaves_the_named_characters() -> None:
    assert printable("a\tb\x1b", keep="\t") == "a\tb\\x1b"


@given(st.text())
def test_escaped_text_is_printable_and_json_is_exact(text: str) -> None:
    shown = printable(text)
    assert not has_unsafe(shown)
    line = json_line({"key": text})
    assert json.loads(line) == {"key": text}
    assert not has_unsafe(line)
