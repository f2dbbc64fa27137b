"""Coerce untrusted JSON values into the types the swarm model holds.

Each helper returns the field's empty value (or None for numbers: "not recorded") when the
value has the wrong type, bounds every string, and makes it honest to show
(`attoreport.textsafe.clean`: no lone surrogates, invisible bidi tricks shown, control
characters escaped), so nothing later can crash on a run folder, be flooded by one, or show
text that reads differently from what it is.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from attoreport.textsafe import clean

#: Bounds for strings from run folders (characters).
ID_CHARS = 200
TITLE_CHARS = 300
TEXT_CHARS = 2_000
LONG_TEXT_CHARS = 20_000
#: Numbers beyond this are not real token counts, costs or durations.
NUMBER_CAP = 10**15
#: Epoch seconds beyond this (the year 5138) are not believed.
EPOCH_CAP = 1e11
MAX_LIST_ITEMS = 500


def bounded(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_text(value: str, limit: int) -> str:
    """A string from a run folder: bounded, then cleaned for showing."""
    return clean(bounded(value, limit))


def text(value: Any, limit: int = TEXT_CHARS) -> str:
    """A string value, bounded and cleaned; numbers as their text; anything else ''."""
    if isinstance(value, str):
        return safe_text(value, limit)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bounded(str(value), limit)
    return ""


def number(value: Any) -> float | None:
    """A finite number (not a boolean) of believable size, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    if not math.isfinite(result) or abs(result) > NUMBER_CAP:
        return None
    return result


def whole(value: Any) -> int | None:
    """A whole number (an int, or a float without fraction), or None."""
    result = number(value)
    if result is None or not result.is_integer():
        return None
    return int(result)


def epoch(value: Any) -> float | None:
    """Epoch seconds from a number or an ISO-8601 string; None when neither."""
    if isinstance(value, str):
        return iso_epoch(value)
    result = number(value)
    if result is None or not 0 <= result <= EPOCH_CAP:
        return None
    return result


def iso_epoch(value: str) -> float | None:
    """'2026-11-27T05:07:18.401623+00:00' -> epoch seconds (naive times are UTC)."""
    if not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def texts(value: Any, limit: int = TEXT_CHARS) -> tuple[str, ...]:
    """A list of strings (non-strings dropped), bounded in length and count."""
    if not isinstance(value, list):
        return ()
    return tuple(text(v, limit) for v in value[:MAX_LIST_ITEMS] if isinstance(v, str))


def mapping(value: Any) -> dict[str, Any]:
    """An object, or {}."""
    return value if isinstance(value, dict) else {}


def counts(value: Any) -> dict[str, int]:
    """{name: whole number} from an object, dropping other values."""
    result: dict[str, int] = {}
    for key, count in mapping(value).items():
        n = whole(count)
        if isinstance(key, str) and n is not None:
            result[bounded(key, ID_CHARS)] = n
    return result
