"""Number and time formatting for people: every displayed figure goes through here."""

from __future__ import annotations

import math


def count(value: int | float) -> str:
    """12345 -> '12,345'."""
    return f"{int(value):,}"


def tokens(value: int | float) -> str:
    """Compact token counts: 950, 12.3k, 4.5M."""
    v = float(value)
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.0f}k"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{int(v)}"


def cost(value: float) -> str:
    """Dollars: 4 decimals under $1 (agent calls are cheap), else 2."""
    if value == 0:
        return "$0"
    if abs(value) < 1:
        return f"${value:.4f}"
    return f"${value:,.2f}"


def percent(fraction: float | None, digits: int = 1) -> str:
    if fraction is None or not math.isfinite(fraction):
        return "–"
    return f"{fraction * 100:.{digits}f}%"


def share(fraction: float) -> str:
    """A part of a whole, readable when small: "12%", "0.35%", "0.023%", "under 0.01%"."""
    if fraction >= 0.01 or fraction <= 0:
        return percent(fraction, 0)
    if fraction < 0.0001:
        return "under 0.01%"
    return f"{fraction * 100:.2g}%"


def duration_s(seconds: float | None) -> str:
    """Seconds for people: '850 ms', '12.3 s', '4 min 12 s', '2 h 5 min'."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 0:
        return "-" + duration_s(-seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, rest = divmod(int(round(seconds)), 60)
        return f"{minutes} min {rest} s"
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60} min"


def duration_ms(ms: float | None) -> str:
    return "–" if ms is None else duration_s(ms / 1000.0)


def offset(seconds: float) -> str:
    """Time since the session started: '+0.0 s', '+4:12.5'."""
    if not math.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{sign}{int(minutes)}:{rest:04.1f}"
    hours, minutes = divmod(int(minutes), 60)
    return f"{sign}{hours}:{minutes:02d}:{rest:04.1f}"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
