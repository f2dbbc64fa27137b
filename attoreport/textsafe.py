"""Text from a trace, made safe to keep and to show.

Two layers. Keeping (the loader): any JSON value as bounded text, never a RecursionError
(deep nesting) or ValueError (integers of thousands of digits), no lone surrogates, and
whether JSON can carry it at all. Showing (the views, the terminal): bounded, no invisible
tricks.

Escaping for HTML is jinja2's job and for Markdown `report/markdown.py`'s; this module makes
the text itself honest first. Bidi overrides and other invisible format characters are shown
as `<U+202E>` (a trace could otherwise make "rm -rf / ×1" read backwards), lone surrogates
become U+FFFD, control characters become `\\xNN`, and long text keeps a prefix and says how
long it was.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Bidi embeddings/overrides/isolates, zero-width and other invisible format characters.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]"
)
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
#: Deeper JSON values than this are not walked (and not kept as values: see json_problem).
MAX_DEPTH = 200
#: Integers with more digits than this are described, not printed.
MAX_DIGITS = 100


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
    text = without_surrogates(text)
    text = _INVISIBLE.sub(_visible, text)
    return _CONTROL.sub(_control, text)


def json_escaped(text: str) -> str:
    """JSON text with its bidi controls and other invisible characters written as `\\u`
    escapes: the same strings to a JSON reader, but nothing reordered or hidden when the file
    is read as text (in a terminal, an editor, a diff). They occur only inside strings."""
    if text.isascii():
        return text
    return _INVISIBLE.sub(_json_escape, text)


def json_escaped_bytes(data: bytes) -> bytes:
    """`json_escaped` for UTF-8 JSON: data without an invisible character is returned as it
    is, not copied; else the runs of non-ASCII bytes (whole characters) are escaped."""
    if data.isascii() or not _has_invisible(data):
        return data
    return _NON_ASCII_RUN.sub(lambda run: json_escaped(run.group().decode("utf-8")).encode("utf-8"),
                              data)


def _has_invisible(data: bytes, step: int = 1 << 20) -> bool:
    """Whether UTF-8 `data` holds an invisible character: decoded and searched a megabyte at
    a time (at C speed, without a text copy of the whole), each piece ending before a
    character's first byte."""
    view, size, start = memoryview(data), len(data), 0
    while start < size:
        end = min(size, start + step)
        while end < size and 0x80 <= data[end] < 0xC0:  # a continuation byte: not a start
            end += 1
        if _INVISIBLE.search(str(view[start:end], "utf-8")):
            return True
        start = end
    return False


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP: a surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def shown(value: object, limit: int, *, one_line: bool = True) -> str:
    """A value from a trace as display text: cleaned and at most about `limit` characters.

    Longer text keeps its start and says how long it was: "abc… (10,000 characters)".
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else safe_text(value, limit + 64)
    if len(text) > limit:
        # Clean only what is kept: a 1 MB string costs no more than a short one.
        head = clean(text[: limit + 64], one_line=one_line)[:limit]
        return f"{head}… ({len(text):,} characters)"
    return clean(text, one_line=one_line)


def shown_path(value: object, limit: int) -> str:
    """A file path as display text: like `shown`, but a long one keeps its end, where the
    file's name is: "…/collector/run-7.jsonl"."""
    text = "" if value is None else value if isinstance(value, str) else safe_text(value, limit)
    if len(text) <= limit:
        return clean(text)
    return "…" + clean(text[-(limit + 64):])[-limit:]


# ---------------------------------------------------------------------------
# Keeping: any JSON value as safe text
# ---------------------------------------------------------------------------


def without_surrogates(text: str) -> str:
    """Lone surrogates (not valid Unicode; JSON can carry them) as U+FFFD."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def bounded(text: str, limit: int) -> str:
    """At most `limit` characters: a prefix and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_text(value: Any, limit: int) -> str:
    """`value` as text (strings as they are, other values as compact JSON), bounded, safe."""
    if isinstance(value, str):
        return without_surrogates(bounded(value, limit))
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return _int_text(value)
    if isinstance(value, float):
        return repr(value)
    try:
        text = str(value)  # what an f-string shows (Attocode words its titles so)
    except (ValueError, RecursionError):  # nested too deeply, or an integer too long
        text = f"(a {type(value).__name__} too deeply nested to show)"
    return without_surrogates(bounded(text, limit))


def safe_repr(value: Any, limit: int = 40) -> str:
    """A short `repr` for messages (strings quoted), never failing."""
    if isinstance(value, str):
        return without_surrogates(repr(bounded(value, limit)))
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_text(value)
    if isinstance(value, (float, bool)) or value is None:
        return repr(value)
    return f"a {'list' if isinstance(value, list) else type(value).__name__}"


def _int_text(value: int) -> str:
    if abs(value) < 10**MAX_DIGITS:
        return str(value)
    return f"a {value.bit_length()}-bit integer"


def json_problem(value: Any) -> str | None:
    """Why `value` cannot be written as JSON as it is: "not finite" (NaN, Infinity), "lone
    surrogate", "nested too deeply", or None when it can."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return "lone surrogate"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "not finite"
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return "nested too deeply"
            if isinstance(item, dict):
                stack.extend((k, depth + 1) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return None


def json_safe(value: Any, limit: int) -> tuple[Any, str | None]:
    """`value` if JSON can carry it, else its text (bounded); and the problem, if any."""
    problem = json_problem(value)
    if problem is None:
        return value, None
    if isinstance(value, float):
        return ("NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"), problem
    if problem == "nested too deeply":
        return safe_text(value, limit), problem
    try:
        text = json.dumps(value)  # ASCII: surrogates escaped, NaN as NaN
    except (ValueError, TypeError, RecursionError):
        text = f"(a {type(value).__name__} that cannot be shown)"
    return (without_surrogates(bounded(text, limit)) if not isinstance(value, str)
            else without_surrogates(value)), problem


def json_type(value: Any) -> str:
    """What a decoded JSON value is, for messages: 'an array', 'a string', 'null' ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
