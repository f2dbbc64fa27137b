"""Plotly figure specs (plain dicts) from the view model.

Plotly renders a little HTML in labels and hover text, so every string that may come
from a trace goes through `_text` (HTML-escaped) before plotly sees it. Colours are
chosen to read in both themes; the page script sets fonts and grid colours per theme.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from attoreport.report.view import OverviewRow, SessionView

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
}

#: Drawn in this order: long spans first (faint), the calls inside them on top.
GROUP_NAMES = {"iteration": "Iteration", "subagent": "Subagent run", "swarm": "Swarm task",
               "compaction": "Compaction", "llm": "LLM call", "tool": "Tool call"}
FAINT_GROUPS = {"iteration": 1.0, "subagent": 0.45, "swarm": 0.6}


def _text(value: str) -> str:
    """Escape a string for plotly's HTML-ish label rendering."""
    return html.escape(value, quote=True)


def _base_layout(**extra: Any) -> dict[str, Any]:
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


def session_charts(view: SessionView) -> dict[str, Figure]:
    """Chart id suffix -> figure, for one session."""
    charts = {"efficiency": efficiency_chart(view)}
    if view.series.flow_iterations:
        charts["token-flow"] = token_flow_chart(view)
    if view.series.cache_calls:
        charts["cache"] = cache_chart(view)
    if view.bars or view.markers:
        charts["timeline"] = timeline_chart(view)
    return charts


def efficiency_chart(view: SessionView) -> Figure:
    names = [_text(name) for name, _, _ in view.component_series]
    earned = [points for _, points, _ in view.component_series]
    missing = [max(weight - points, 0.0) for _, points, weight in view.component_series]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "y": names, "x": earned, "name": "Points earned",
             "marker": {"color": PALETTE["earned"]},
             "hovertemplate": "%{y}: %{x:.1f} points<extra></extra>"},
            {"type": "bar", "orientation": "h", "y": names, "x": missing, "name": "Points missed",
             "marker": {"color": PALETTE["missing"]},
             "hovertemplate": "%{y}: %{x:.1f} points missed<extra></extra>"},
        ],
        "layout": _base_layout(barmode="stack", height=260,
                               margin={"l": 170, "r": 20, "t": 40, "b": 40},
                               xaxis={"title": {"text": "points"}, "range": [0, 30]},
                               yaxis={"autorange": "reversed"}),
    }


def token_flow_chart(view: SessionView) -> Figure:
    x = view.series.flow_iterations
    series = view.series.flow_series
    if view.has_breakdown:
        data: list[dict[str, Any]] = [
            {"type": "bar", "x": x, "y": series[key], "name": label,
             "marker": {"color": PALETTE[key]},
             "hovertemplate": f"Iteration %{{x}}: %{{y:,}} {label.lower()} tokens<extra></extra>"}
            for key, label in (("input", "Input"), ("output", "Output"),
                               ("cache_read", "Cache read"), ("cache_write", "Cache write"))
        ]
    else:
        data = [{"type": "bar", "x": x, "y": series["total"], "name": "Total tokens",
                 "marker": {"color": PALETTE["total"]},
                 "hovertemplate": "Iteration %{x}: %{y:,} tokens<extra></extra>"}]
    data.append({"type": "scatter", "mode": "lines+markers", "x": x,
                 "y": series["cumulative_cost"], "name": "Cost so far ($)", "yaxis": "y2",
                 "line": {"color": PALETTE["cost"]},
                 "hovertemplate": "Iteration %{x}: $%{y:.4f} so far<extra></extra>"})
    layout: dict[str, Any] = _base_layout(
        barmode="stack", height=460,
        xaxis={"title": {"text": "iteration"}, "anchor": "y3"},
        yaxis={"title": {"text": "tokens"}, "domain": [0.34, 1.0]},
        yaxis2={"title": {"text": "cost so far"}, "overlaying": "y", "side": "right",
                "rangemode": "tozero", "showgrid": False, "tickmode": "auto",
                "tickprefix": "$", "tickformat": ",.2~f"},
    )
    hit = view.series.cache_series["flow_hit_rate"]
    if view.has_breakdown and any(h is not None for h in hit):
        data.append({"type": "scatter", "mode": "lines+markers", "x": x, "y": hit,
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


def cache_chart(view: SessionView) -> Figure:
    series = view.series.cache_series
    calls = view.series.cache_calls
    return {
        "data": [
            {"type": "scatter", "mode": "markers", "x": calls, "y": series["hit_rate"],
             "name": "Hit rate of the call", "marker": {"color": PALETTE["hit"], "size": 7},
             "hovertemplate": "Call %{x}: %{y:.1%} from cache<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": calls, "y": series["moving_average"],
             "name": "Moving average (last 50)", "line": {"color": PALETTE["average"]},
             "hovertemplate": "Call %{x}: average %{y:.1%}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": calls, "y": series["boundary"],
             "name": "Cached prefix estimate (tokens)", "yaxis": "y2",
             "line": {"color": PALETTE["boundary"], "dash": "dot"},
             "hovertemplate": "Call %{x}: ~%{y:,} cached tokens<extra></extra>"},
        ],
        "layout": _base_layout(
            xaxis={"title": {"text": "LLM call"}},
            yaxis={"title": {"text": "cache hit rate"}, "range": [0, 1.05], "tickformat": ".0%"},
            yaxis2={"title": {"text": "cached prefix (tokens)"}, "overlaying": "y",
                    "side": "right", "rangemode": "tozero", "showgrid": False,
                    "tickmode": "auto", "tickformat": "~s"},
        ),
    }


def timeline_chart(view: SessionView) -> Figure:
    lanes = [_text(lane) for lane in view.lanes]
    data: list[dict[str, Any]] = []
    for group, name in GROUP_NAMES.items():
        bars = [b for b in view.bars if b.group == group]
        if not bars:
            continue
        data.append({
            "type": "bar", "orientation": "h", "name": name,
            "y": [_text(b.lane_label) for b in bars], "x": [b.seconds for b in bars],
            "base": [b.start for b in bars],
            "text": [_text(b.label) for b in bars],
            "marker": {"color": [PALETTE["error"] if b.failed else PALETTE[group]
                                 for b in bars],
                       "line": {"width": 1, "color": "rgba(255,255,255,0.8)"}},
            "textposition": "none", "opacity": FAINT_GROUPS.get(group, 1.0),
            "hovertemplate": "%{text}<br>from %{base:.1f} s, %{x:.2f} s<extra></extra>",
        })
    if any(b.failed for b in view.bars):  # a legend entry for the red bars
        data.append({"type": "bar", "orientation": "h", "name": "Failed", "x": [None],
                     "y": [lanes[0]] if lanes else [None],
                     "marker": {"color": PALETTE["error"]}, "hoverinfo": "skip"})
    if view.markers:
        data.append({
            "type": "scatter", "mode": "markers", "name": "Error",
            "y": [_text(m.lane) for m in view.markers], "x": [m.at for m in view.markers],
            "text": [_text(m.label) for m in view.markers],
            "marker": {"symbol": "x", "size": 11, "color": PALETTE["error"]},
            "hovertemplate": "%{text}<br>at %{x:.1f} s<extra></extra>",
        })
    return {
        "data": data,
        "layout": _base_layout(
            barmode="overlay", height=max(220, 70 * len(lanes) + 120),
            margin={"l": 140, "r": 20, "t": 40, "b": 50},
            xaxis={"title": {"text": "seconds since the session started"}, "rangemode": "tozero"},
            yaxis={"type": "category", "categoryorder": "array", "categoryarray": lanes,
                   "autorange": "reversed"},
        ),
    }


def overview_chart(rows: Sequence[OverviewRow]) -> Figure:
    # Sessions are placed by position (two traces may share a session id), named by ticks.
    slots = list(range(len(rows)))
    names = [_text(r.session_id if len(r.session_id) <= 28 else r.session_id[:27] + "…")
             for r in rows]
    axis = {"tickmode": "array", "tickvals": slots, "ticktext": names, "tickangle": -30,
            "automargin": True}

    def bars(values: list[float], name: str, color: str, n: str, hover: str) -> dict[str, Any]:
        return {"type": "bar", "x": slots, "y": values, "name": name, "customdata": names,
                "marker": {"color": PALETTE[color]}, "xaxis": f"x{n}", "yaxis": f"y{n}",
                "hovertemplate": "%{customdata}: " + hover + "<extra></extra>"}

    return {
        "data": [
            bars([r.cost_value for r in rows], "Cost ($)", "cost", "", "$%{y:.4f}"),
            bars([float(r.tokens_value) for r in rows], "Tokens", "total", "2", "%{y:,} tokens"),
            bars([r.score_value for r in rows], "Efficiency score", "hit", "3", "%{y:.1f} / 100"),
        ],
        "layout": _base_layout(
            height=400, showlegend=False, margin={"l": 90, "r": 20, "t": 40, "b": 40},
            grid={"rows": 1, "columns": 3, "pattern": "independent"},
            xaxis=axis, xaxis2=axis, xaxis3=axis,
            yaxis={"title": {"text": "cost"}, "rangemode": "tozero", "tickprefix": "$"},
            yaxis2={"title": {"text": "tokens"}, "rangemode": "tozero", "tickformat": "~s"},
            yaxis3={"title": {"text": "score"}, "range": [0, 100]},
        ),
    }
