"""Text from a trace, made safe to show: bounded, no invisible tricks, no lone surrogates.

Escaping for HTML is jinja2's job and for Markdown `report/markdown.py`'s; this module makes
the text itself honest first. Bidi overrides and other invisible format characters are shown
as `<U+202E>` (a trace could otherwise make "rm -rf / ×1" read backwards), lone surrogates
become U+FFFD, control characters become `\\xNN`, and long text keeps a prefix and says how
long it was.
"""

from __future__ import annotations

import re

# Bidi embeddings/overrides/isolates, zero-width and other invisible format characters.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")


def _visible(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def _control(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def clean(text: str, *, one_line: bool = False) -> str:
    """The text with lone surrogates as U+FFFD, invisible format characters made visible and
    control characters escaped (with `one_line`, all whitespace runs become one space)."""
    if one_line:
        text = _SPACE.sub(" ", text).strip()
    if text.isascii():
        return _CONTROL.sub(_control, text) if not text.isprintable() else text
    text = _SURROGATE.sub("\ufffd", text)
    text = _INVISIBLE.sub(_visible, text)
    return _CONTROL.sub(_control, text)


def shown(value: object, limit: int, *, one_line: bool = True) -> str:
    """A value from a trace as display text: cleaned and at most about `limit` characters.

    Longer text keeps its start and says how long it was: "abc… (10,000 characters)".
    """
    text = value if isinstance(value, str) else _as_text(value)
    if len(text) > limit:
        # Clean only what is kept: a 1 MB string costs no more than a short one.
        head = clean(text[: limit + 64], one_line=one_line)[:limit]
        return f"{head}… ({len(text):,} characters)"
    return clean(text, one_line=one_line)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    try:
        return str(value)
    except (RecursionError, ValueError):  # deeply nested, or an int too long to print
        return f"<{type(value).__name__}>"
