"""Plotly figure specs (plain dicts) for the sections.

Plotly renders a little HTML in labels and hover text, so every string that may come from a
trace goes through `_text` (HTML-escaped) before plotly sees it. Colours read in both themes;
the page script sets fonts and grid colours per theme.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from attoreport.analysis.series import CacheSeries, TokenSeries

Figure = dict[str, Any]

PALETTE = {
    "input": "#4e79a7",
    "output": "#f28e2b",
    "cache_read": "#59a14f",
    "cache_write": "#b07aa1",
    "total": "#4e79a7",
    "cost": "#e15759",
    "hit": "#59a14f",
    "average": "#76b7b2",
    "boundary": "#9c755f",
    "earned": "#4e79a7",
    "missing": "rgba(128,128,128,0.25)",
    "iteration": "rgba(128,128,128,0.35)",
    "llm": "#4e79a7",
    "tool": "#f28e2b",
    "subagent": "#b07aa1",
    "swarm": "#76b7b2",
    "compaction": "#edc948",
    "error": "#e15759",
    "tokens": "#4e79a7",
    "score": "#59a14f",
}

#: Drawn in this order: long spans first (faint), the calls inside them on top.
GROUP_NAMES = {"iteration": "Iteration", "subagent": "Subagent run", "swarm": "Swarm task",
               "compaction": "Compaction", "llm": "Model call", "tool": "Tool call"}
FAINT_GROUPS = {"iteration": 1.0, "subagent": 0.45, "swarm": 0.6}
#: A bar is drawn at least this share of the timeline wide, so short calls stay visible.
MIN_BAR_SHARE = 0.002
TOKEN_SERIES = (("input", "Input"), ("output", "Output"), ("cache_read", "Cache read"),
                ("cache_write", "Cache write"))


@dataclass(frozen=True, slots=True)
class Bar:
    lane: str
    start: float
    seconds: float
    group: str
    label: str
    failed: bool


@dataclass(frozen=True, slots=True)
class Mark:
    lane: str
    at: float
    label: str


def _rounded(values: list[Any], digits: int) -> list[Any]:
    """Chart coordinates at the precision a chart can show (the hover formats print fewer
    digits): a float's 17 digits would be most of a report's chart data."""
    return [v if v is None else round(v, digits) for v in values]


def _text(value: str) -> str:
    """Escape a string for plotly's HTML-ish label rendering."""
    return html.escape(value, quote=True)


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 60, "t": 40, "b": 50},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "hovermode": "closest",
        "height": 360,
    }
    layout.update(extra)
    return layout


def money_format(largest: float) -> str:
    """A d3 tick format that tells small amounts apart ($0.004, $0.012, not $0.01 twice)."""
    if largest < 0.01:
        return ",.4~f"
    if largest < 1:
        return ",.3~f"
    return ",.2f" if largest < 100 else ",.0f"  # $5,000, not $5,000.00 cut off at the edge


def efficiency_chart(names: list[str], points: list[float], weights: list[float]) -> Figure:
    labels = [_text(n) for n in names]
    missing = _rounded([max(w - p, 0.0) for p, w in zip(points, weights, strict=True)], 4)
    points = _rounded(points, 4)
    return {
        "data": [
            {"type": "bar", "orientation": "h", "y": labels, "x": points, "name": "Points earned",
             "marker": {"color": PALETTE["earned"]},
             "hovertemplate": "%{y}: %{x:.1f} points<extra></extra>"},
            {"type": "bar", "orientation": "h", "y": labels, "x": missing,
             "name": "Points missed", "marker": {"color": PALETTE["missing"]},
             "hovertemplate": "%{y}: %{x:.1f} points missed<extra></extra>"},
        ],
        "layout": _layout(barmode="stack", height=260,
                          margin={"l": 170, "r": 20, "t": 40, "b": 40},
                          xaxis={"title": {"text": "points"}, "range": [0, 30]},
                          yaxis={"autorange": "reversed"}),
    }


def token_flow_chart(series: TokenSeries, has_breakdown: bool) -> Figure:
    x = series.iterations
    values = {"input": series.input, "output": series.output, "cache_read": series.cache_read,
              "cache_write": series.cache_write}
    if has_breakdown:
        data: list[dict[str, Any]] = [
            {"type": "bar", "x": x, "y": values[key], "name": label,
             "marker": {"color": PALETTE[key]},
             "hovertemplate": f"Iteration %{{x}}: %{{y:,}} {label.lower()} tokens<extra></extra>"}
            for key, label in TOKEN_SERIES
        ]
    else:
        data = [{"type": "bar", "x": x, "y": series.total, "name": "Total tokens",
                 "marker": {"color": PALETTE["total"]},
                 "hovertemplate": "Iteration %{x}: %{y:,} tokens<extra></extra>"}]
    data.append({"type": "scatter", "mode": "lines+markers", "x": x,
                 "y": _rounded(series.cumulative_cost, 6), "name": "Cost so far ($)",
                 "yaxis": "y2",
                 "line": {"color": PALETTE["cost"]},
                 "hovertemplate": "Iteration %{x}: $%{y:.4f} so far<extra></extra>"})
    largest = max(series.cumulative_cost, default=0.0)
    layout: dict[str, Any] = _layout(
        barmode="stack", height=460,
        xaxis={"title": {"text": "iteration"}, "anchor": "y3"},
        yaxis={"title": {"text": "tokens"}, "domain": [0.34, 1.0]},
        yaxis2={"title": {"text": "cost so far"}, "overlaying": "y", "side": "right",
                "rangemode": "tozero", "showgrid": False, "tickmode": "auto", "automargin": True,
                "tickprefix": "$", "tickformat": money_format(largest)},
    )
    if has_breakdown and any(h is not None for h in series.hit_rate):
        data.append({"type": "scatter", "mode": "lines+markers", "x": x,
                     "y": _rounded(series.hit_rate, 5),
                     "name": "Cache hit rate", "yaxis": "y3", "connectgaps": False,
                     "line": {"color": PALETTE["hit"]},
                     "hovertemplate": "Iteration %{x}: %{y:.1%} from cache<extra></extra>"})
        layout["yaxis3"] = {"title": {"text": "cache hit"}, "domain": [0.0, 0.24],
                            "range": [0, 1.05], "tickformat": ".0%"}
    else:
        layout["xaxis"] = {"title": {"text": "iteration"}}
        layout["yaxis"]["domain"] = [0.0, 1.0]
        layout["height"] = 380
    return {"data": data, "layout": layout}


def cache_chart(series: CacheSeries) -> Figure:
    calls = series.calls
    return {
        "data": [
            {"type": "scatter", "mode": "markers", "x": calls, "y": _rounded(series.hit_rate, 5),
             "name": "Hit rate of the call", "marker": {"color": PALETTE["hit"], "size": 7},
             "hovertemplate": "Call %{x}: %{y:.1%} from cache<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": calls,
             "y": _rounded(series.moving_average, 5),
             "name": "Moving average (last 50)", "line": {"color": PALETTE["average"]},
             "hovertemplate": "Call %{x}: average %{y:.1%}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": calls, "y": series.boundary,
             "name": "Cached prefix estimate (tokens)", "yaxis": "y2",
             "line": {"color": PALETTE["boundary"], "dash": "dot"},
             "hovertemplate": "Call %{x}: ~%{y:,} cached tokens<extra></extra>"},
        ],
        "layout": _layout(
            xaxis={"title": {"text": "model call"}},
            yaxis={"title": {"text": "cache hit rate"}, "range": [0, 1.05], "tickformat": ".0%"},
            yaxis2={"title": {"text": "cached prefix (tokens)"}, "overlaying": "y",
                    "side": "right", "rangemode": "tozero", "showgrid": False,
                    "tickmode": "auto", "tickformat": "~s"},
        ),
    }


#: A timeline bar's thickness, in lanes.
BAR_WIDTH = 0.8


def timeline_chart(lanes: list[str], bars: list[Bar], marks: list[Mark],
                   length: float) -> Figure:
    """Lanes are placed by number (each name appears once, in the axis); failed bars of every
    kind form one red "Failed" series, so each legend swatch has one colour."""
    position = {lane: i for i, lane in enumerate(lanes)}
    floor = max(length, 1e-9) * MIN_BAR_SHARE
    data: list[dict[str, Any]] = []

    def series(name: str, chosen: list[Bar], color: str, opacity: float) -> None:
        if not chosen:
            return
        data.append({
            "type": "bar", "orientation": "h", "name": name,
            "y": [position[b.lane] for b in chosen],
            # Plotly sizes bars by the closest two lanes of the series: a series in lanes
            # far apart (model calls in the main agent and one subagent) drew bars many
            # lanes tall over the others. Each bar is 0.8 of its own lane.
            "width": BAR_WIDTH,
            "x": _rounded([max(b.seconds, floor) for b in chosen], 4),
            "base": _rounded([b.start for b in chosen], 4),
            "customdata": _rounded([b.seconds for b in chosen], 4),
            "text": [_text(b.label) for b in chosen],
            "marker": {"color": color, "line": {"width": 1, "color": "rgba(255,255,255,0.8)"}},
            "textposition": "none", "opacity": opacity,
            "hovertemplate": "%{text}<br>from %{base:.1f} s, took %{customdata:.2f} s"
                             "<extra></extra>",
        })

    for group, name in GROUP_NAMES.items():
        series(name, [b for b in bars if b.group == group and not b.failed], PALETTE[group],
               FAINT_GROUPS.get(group, 1.0))
    series("Failed", [b for b in bars if b.failed], PALETTE["error"], 1.0)
    if marks:
        data.append({
            "type": "scatter", "mode": "markers", "name": "Error",
            "y": [position[m.lane] for m in marks], "x": _rounded([m.at for m in marks], 4),
            "text": [_text(m.label) for m in marks],
            "marker": {"symbol": "x", "size": 11, "color": PALETTE["error"]},
            "hovertemplate": "%{text}<br>at %{x:.1f} s<extra></extra>",
        })
    return {
        "data": data,
        "layout": _layout(
            barmode="overlay", height=max(220, 46 * len(lanes) + 140),
            margin={"l": 20, "r": 20, "t": 40, "b": 50},
            xaxis={"title": {"text": "seconds since the first event"}, "rangemode": "tozero"},
            yaxis={"tickmode": "array", "tickvals": list(range(len(lanes))),
                   "ticktext": [_text(lane) for lane in lanes], "autorange": False,
                   "automargin": True, "range": [len(lanes) - 0.5, -0.5]},  # first lane on top
        ),
    }


def overview_bars(names: list[str], values: list[float], kind: str, more: int,
                  title: str) -> Figure:
    """One horizontal bar per session (names on the axis, readable at any count)."""
    labels = [_text(n if len(n) <= 40 else n[:39] + "…") for n in names]
    slots = list(range(len(names)))
    hover = {"cost": "$%{x:.4f}", "tokens": "%{x:,} tokens", "score": "%{x:.1f} / 100"}[kind]
    axis: dict[str, Any] = {"rangemode": "tozero"}
    if kind == "cost":
        axis.update(tickprefix="$", tickformat=money_format(max(values, default=0.0)))
    elif kind == "tokens":
        axis.update(tickformat="~s")
    else:
        axis.update(range=[0, 100])
    suffix = f" (and {more:,} more)" if more else ""
    return {
        "data": [{"type": "bar", "orientation": "h", "y": slots, "x": _rounded(values, 6),
                  "customdata": labels, "marker": {"color": PALETTE[kind]},
                  "hovertemplate": "%{customdata}: " + hover + "<extra></extra>"}],
        "layout": _layout(
            height=max(200, 24 * len(names) + 90), showlegend=False,
            title={"text": _text(title + suffix), "x": 0, "font": {"size": 14}},
            margin={"l": 20, "r": 20, "t": 40, "b": 40},
            xaxis=axis,
            yaxis={"tickmode": "array", "tickvals": slots, "ticktext": labels,
                   "autorange": "reversed", "automargin": True},
        ),
    }
