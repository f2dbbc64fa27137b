"""Charts drawn as static SVG, for reports with many session sections.

Plotly needs 17–42 ms of the browser's main thread to draw one chart (measured in headless
Chromium on the 1,000-trace folder's report: efficiency 17, cache 29, token flow 41, timeline
42 ms each). A report with 50 session sections has 200 such charts: 10 s before the last one
is drawn. A report with more sections than `Limits.plotly_sections` therefore draws its
sessions' charts here, as inline SVG that is on screen as soon as the page is parsed, with a
tooltip (`<title>`) on every bar and marker and the page's theme colours (CSS classes).

The input is the same figure dict that `charts.py` makes for Plotly, so both drawings show the
same numbers. Only the part of Plotly's figure format that `charts.py` writes is read: bar
traces (vertical or horizontal, stacked or overlaid, with a base), scatter traces (lines,
markers or both, on a second or third y axis), axis domains, ranges, tick formats and tick
labels, and a horizontal legend above the plot.

Every string from the figure is escaped here (labels reach `charts.py` already HTML-escaped for
Plotly; they are unescaped first, so nothing is escaped twice).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

Figure = dict[str, Any]

#: The drawing's width in SVG units; the page scales it to the column's width.
WIDTH = 900.0
#: Average advance of one character of the 12 px sans-serif text, for laying out labels.
CHAR = 6.8
#: Longest tick label drawn on a category axis (the tooltip has the whole name).
LABEL_CHARS = 32
LEGEND_ROW = 18.0
BAR_SHARE = 0.8  # of the space between two bars (Plotly's default gap is 0.2)
_FIELD = re.compile(r"%\{(\w+)(?::([^}]*))?\}")
_FIXED = re.compile(r"(,?)\.(\d+)(~?)f")


def _n(value: float) -> str:
    """A coordinate, to a tenth of a unit (enough on any screen, and short)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _number(value: Any) -> float | None:
    """A data value as a finite float; None for a gap, a string or a non-finite number."""
    if value is None or isinstance(value, (str, bool)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _plain(text: Any) -> str:
    """A label as the reader should see it: charts.py escapes labels for Plotly's HTML."""
    return html.unescape(str(text))


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(1, chars - 1)] + "…"


# ---- numbers ------------------------------------------------------------------------------

def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _si(value: float) -> str:
    """d3's "~s": 1.5k, 20M."""
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return _trim(f"{value / limit:.3g}") + suffix
    return _trim(f"{value:.3g}")


def tick_label(value: float, tickformat: str = "", prefix: str = "", step: float = 1.0) -> str:
    """A tick's label in the d3 formats charts.py uses ("~s", ".0%", ",.2f", ",.3~f")."""
    if tickformat == "~s":
        text = _si(value)
    elif tickformat.endswith("%"):
        digits = int(tickformat[1:-1] or 0) if tickformat.startswith(".") else 0
        text = f"{value * 100:.{digits}f}%"
    elif match := _FIXED.fullmatch(tickformat):
        comma, places, tilde = match.groups()
        text = format(value, f"{comma}.{places}f")
        text = _trim(text) if tilde else text
    elif abs(value) >= 10_000 or abs(step) >= 10_000:
        text = _si(value)  # as Plotly's default: 200k, 1.5M
    else:
        digits = max(0, -math.floor(math.log10(step) + 1e-9)) if 0 < step < 1 else 0
        text = f"{value:,.{digits}f}"
    if text.startswith("-"):
        return "-" + prefix + text[1:]
    return prefix + text


def nice_ticks(low: float, high: float, count: int) -> tuple[list[float], float]:
    """About `count` round values (1, 2 or 5 times a power of ten apart) within [low, high]."""
    span = high - low
    if span <= 0 or not math.isfinite(span):
        return [low], 1.0
    raw = span / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    values = []
    k = first
    while k * step <= high + step * 1e-9:
        values.append(0.0 if abs(k * step) < step * 1e-9 else k * step)
        k += 1
    return values, step


def hover(template: str, point: dict[str, Any]) -> str:
    """A Plotly hovertemplate filled in for one point, as plain text (lines on "\\n")."""
    def fill(match: re.Match[str]) -> str:
        value = point.get(match.group(1))
        spec = match.group(2) or ""
        if value is None:
            return ""
        if isinstance(value, str):
            return _plain(value)
        if not spec:
            return f"{value:,}" if isinstance(value, int) else _trim(f"{value:.4f}")
        try:
            return format(value, spec)
        except (TypeError, ValueError):
            return str(value)

    text = template.replace("<extra></extra>", "").replace("<br>", "\n")
    return _FIELD.sub(fill, text)


# ---- axes ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Axis:
    """One axis: the values it spans and the pixels they map to."""

    spec: dict[str, Any]
    low: float = 0.0
    high: float = 1.0
    start: float = 0.0  # the pixel of `low`
    end: float = 1.0  # the pixel of `high`
    categories: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    has_bars: bool = False
    positions: dict[str, int] = field(default_factory=dict)  # category -> its index
    #: Characters of a tick label shown (a y axis's labels are cut to fit beside the plot).
    label_chars: int = LABEL_CHARS

    def __post_init__(self) -> None:
        self.positions = {name: i for i, name in enumerate(self.categories)}

    def px(self, value: float) -> float:
        return self.start + (value - self.low) * (self.end - self.start) / (self.high - self.low)

    def place(self, value: Any) -> float | None:
        """The axis coordinate of a data value (a category's index on a category axis)."""
        if value is None:
            return None
        if isinstance(value, str):
            index = self.positions.get(value)
            if index is None:
                index = self.positions[value] = len(self.categories)
                self.categories.append(value)
            return float(index)
        return _number(value)

    def fit(self, padding: bool) -> None:
        """The value range: as given, or the data's with a margin (and zero under bars)."""
        given = self.spec.get("range")
        if given and len(given) == 2:
            self.low, self.high = float(given[0]), float(given[1])
        elif self.categories and not self.values:
            self.low, self.high = -0.5, len(self.categories) - 0.5
        else:
            found = [v for v in self.values if math.isfinite(v)] or [0.0]
            low, high = min(found), max(found)
            if self.has_bars or self.spec.get("rangemode") == "tozero":
                low, high = min(low, 0.0), max(high, 0.0)
            if high == low:
                high = low + 1.0
            pad = (high - low) * 0.05 if padding else 0.0
            self.low = low if low == 0.0 else low - pad
            self.high = high + pad
        if self.spec.get("autorange") == "reversed" and self.low < self.high:
            self.low, self.high = self.high, self.low

    def ticks(self, pixels: float, spacing: float = 45) -> list[tuple[float, str]]:
        """(value, label) of each tick."""
        if "tickvals" in self.spec and "ticktext" in self.spec:
            return [(float(v), _plain(t)) for v, t in zip(self.spec["tickvals"],
                                                          self.spec["ticktext"], strict=False)]
        if self.categories:
            return [(float(i), _plain(name)) for i, name in enumerate(self.categories)]
        low, high = sorted((self.low, self.high))
        values, step = nice_ticks(low, high, max(2, min(8, int(abs(pixels) // spacing))))
        if step < 1 and self.values and all(float(v).is_integer() for v in self.values):
            values, step = [v for v in values if float(v).is_integer()], 1.0  # iterations, calls
        form, prefix = self.spec.get("tickformat", ""), self.spec.get("tickprefix", "")
        return [(v, tick_label(v, form, prefix, step)) for v in values]

    @property
    def title(self) -> str:
        title = self.spec.get("title")
        return _plain(title.get("text", "")) if isinstance(title, dict) else ""


def _axis_key(name: str) -> str:
    """Plotly's trace axis name ("y2") as its layout key ("yaxis2")."""
    return name[0] + "axis" + name[1:]


def _points(trace: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Each point of a trace as the fields a hovertemplate can name."""
    columns = {key: trace.get(key) for key in ("x", "y", "base", "text", "customdata")}
    length = max((len(v) for v in columns.values() if isinstance(v, list)), default=0)
    for i in range(length):
        yield {key: (v[i] if isinstance(v, list) and i < len(v) else v)
               for key, v in columns.items()}


# ---- drawing ------------------------------------------------------------------------------

@dataclass(slots=True)
class _Canvas:
    parts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, value: str, css: str = "", anchor: str = "",
             rotate: bool = False, full: str = "") -> None:
        attrs = f' x="{_n(x)}" y="{_n(y)}"'
        if css:
            attrs += f' class="{css}"'
        if anchor:
            attrs += f' text-anchor="{anchor}"'
        if rotate:
            attrs = f' transform="rotate(-90 {_n(x)} {_n(y)})"' + attrs
        title = f"<title>{escape(full)}</title>" if full and full != value else ""
        self.add(f"<text{attrs}>{title}{escape(value)}</text>")


def _bar_widths(positions: Sequence[float]) -> dict[float, float]:
    """The width of the bar at each position: most of the room to its nearer neighbour, so
    unevenly spaced bars (the last bin of a binned series) never overlap nor shrink the rest."""
    if len(positions) == 1:
        return {positions[0]: BAR_SHARE}
    widths = {}
    for i, at in enumerate(positions):
        gaps = [abs(at - positions[j]) for j in (i - 1, i + 1) if 0 <= j < len(positions)]
        widths[at] = BAR_SHARE * min(gaps)
    return widths


def _legend(traces: Sequence[dict[str, Any]], left: float, right: float,
            top: float) -> tuple[list[tuple[dict[str, Any], float, float]], float]:
    """Where each legend item goes, in rows above the plot; and the rows' total height."""
    placed: list[tuple[dict[str, Any], float, float]] = []
    x, row = left, 0
    for trace in traces:
        width = 26 + len(_plain(trace["name"])) * CHAR + 14
        if x + width > right and x > left:
            x, row = left, row + 1
        placed.append((trace, x, top + row * LEGEND_ROW))
        x += width
    return placed, (row + 1) * LEGEND_ROW if placed else 0.0


def _swatch(canvas: _Canvas, trace: dict[str, Any], x: float, y: float) -> None:
    color = escape(_color(trace))
    mode = trace.get("mode", "")
    if trace.get("type") == "bar":
        opacity = trace.get("opacity", 1.0)
        canvas.add(f'<rect x="{_n(x)}" y="{_n(y - 5)}" width="18" height="10" fill="{color}"'
                   + (f' opacity="{opacity:g}"' if opacity != 1.0 else "") + "/>")
        return
    if "lines" in mode:
        dash = ' stroke-dasharray="3 3"' if trace.get("line", {}).get("dash") else ""
        canvas.add(f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" '
                   f'stroke="{color}" stroke-width="2"{dash}/>')
    if "markers" in mode:
        canvas.add(_marker(trace, x + 9, y, color, ""))


def _color(trace: dict[str, Any]) -> str:
    if trace.get("type") == "scatter" and "lines" in trace.get("mode", ""):
        return str(trace.get("line", {}).get("color", "#4e79a7"))
    return str(trace.get("marker", {}).get("color", "#4e79a7"))


def _outline(symbol: str, x: float, y: float, r: float) -> str | None:
    """The path of a Plotly marker symbol other than a circle or an x, centred on (x, y)."""
    if symbol == "square":
        points = [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
    elif symbol == "diamond":
        points = [(x, y - r * 1.3), (x + r * 1.3, y), (x, y + r * 1.3), (x - r * 1.3, y)]
    elif symbol in ("triangle-up", "triangle-down"):
        tip = -r * 1.2 if symbol == "triangle-up" else r * 1.2
        points = [(x, y + tip), (x + r * 1.2, y - tip * 0.8), (x - r * 1.2, y - tip * 0.8)]
    elif symbol == "star":
        points = [(x + (r * 1.4 if i % 2 == 0 else r * 0.6) * math.sin(i * math.pi / 5),
                   y - (r * 1.4 if i % 2 == 0 else r * 0.6) * math.cos(i * math.pi / 5))
                  for i in range(10)]
    else:
        return None
    return "M" + "L".join(f"{_n(px)} {_n(py)}" for px, py in points) + "Z"


def _marker(trace: dict[str, Any], x: float, y: float, color: str, title: str,
            room: float = 1e9) -> str:
    """A point's marker, at most a third of the `room` between points wide (a series of
    hundreds of points stays a line, not a band)."""
    marker = trace.get("marker", {})
    size = min(float(marker.get("size", 6)), max(3.0, room * 2 / 3))
    inner = f"<title>{escape(title)}</title>" if title else ""
    symbol, r = str(marker.get("symbol", "circle")), size / 2
    if symbol == "x":
        return (f'<path d="M{_n(x - r)} {_n(y - r)}L{_n(x + r)} {_n(y + r)}M{_n(x - r)} '
                f'{_n(y + r)}L{_n(x + r)} {_n(y - r)}" stroke="{color}" stroke-width="2.5" '
                f'class="mark">{inner}</path>')
    outline = _outline(symbol, x, y, r)
    if outline is not None:
        return f'<path d="{outline}" fill="{color}" class="mark">{inner}</path>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{color}">{inner}</circle>'


@dataclass(frozen=True, slots=True)
class _Plot:
    """The drawing's size and the plot area's edges, in SVG units."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float


def _bar_points(trace: dict[str, Any], position: Axis, value_name: str, stacked: bool,
                stacks: dict[tuple[str, float], float]
                ) -> Iterator[tuple[dict[str, Any], float, float, float]]:
    """(point, position, base, length) of each bar of a bar trace that can be drawn; with
    `stacked`, each bar stands on those drawn before it at its position (`stacks`)."""
    horizontal = trace.get("orientation") == "h"
    for point in _points(trace):
        where = position.place(point["y" if horizontal else "x"])
        value = _number(point["x" if horizontal else "y"])
        if where is None or value is None:
            continue
        base = _number(point.get("base")) or 0.0
        if stacked:
            base = stacks.get((value_name, where), 0.0)
            stacks[(value_name, where)] = base + value
        yield point, where, base, value


def _axes_of(trace: dict[str, Any]) -> tuple[str, str, str, str]:
    """(x axis, y axis, position axis, value axis) names of a trace (a horizontal bar stands
    on the y axis)."""
    xname, yname = trace.get("xaxis", "x"), trace.get("yaxis", "y")
    if trace.get("type") == "bar" and trace.get("orientation") == "h":
        return xname, yname, yname, xname
    return xname, yname, xname, yname


def _spans(traces: Sequence[dict[str, Any]], axis: Callable[[str], Axis],
           stacked: bool) -> dict[str, set[float]]:
    """Each axis told the values it must span (bars from their base, stacked as drawn);
    returns where bars stand, per position axis."""
    stacks: dict[tuple[str, float], float] = {}
    bar_positions: dict[str, set[float]] = {}
    for trace in traces:
        _, _, position_name, value_name = _axes_of(trace)
        position, values = axis(position_name), axis(value_name)
        if trace.get("type") == "bar":
            values.has_bars = True
            for _, where, base, value in _bar_points(trace, position, value_name, stacked,
                                                     stacks):
                if not position.categories:
                    position.values.append(where)
                values.values.extend((base, base + value))
                bar_positions.setdefault(position_name, set()).add(where)
            continue
        for point in _points(trace):
            at, raw = position.place(point["x"]), point["y"]
            if isinstance(raw, str):
                values.place(raw)
                continue
            number = _number(raw)
            if at is None or number is None:
                continue
            if not position.categories:
                position.values.append(at)
            values.values.append(number)
    return bar_positions


def _draw_axes(canvas: _Canvas, axes: dict[str, Axis], plot: _Plot) -> None:
    """Grid lines, tick labels and axis titles."""
    for name, ax in sorted(axes.items()):
        vertical = name.startswith("y")
        low, high = sorted((ax.low, ax.high))
        side_right = ax.spec.get("side") == "right"
        grid = ax.spec.get("showgrid", not ax.categories and "ticktext" not in ax.spec)
        for value, label in ax.ticks(ax.end - ax.start, 45 if vertical else 80):
            if not low - 1e-9 <= value <= high + 1e-9:
                continue
            at = ax.px(value)
            if vertical:
                if grid:
                    canvas.add(f'<line class="grid" x1="{_n(plot.left)}" x2="{_n(plot.right)}" '
                               f'y1="{_n(at)}" y2="{_n(at)}"/>')
                x = plot.right + 6 if side_right else plot.left - 6
                canvas.text(x, at + 4, _short(label, ax.label_chars), "tick y",
                            "start" if side_right else "end", full=label)
            else:
                if grid:
                    canvas.add(f'<line class="grid" x1="{_n(at)}" x2="{_n(at)}" '
                               f'y1="{_n(plot.top)}" y2="{_n(plot.bottom)}"/>')
                canvas.text(at, plot.bottom + 16, _short(label, 14), "tick x", "middle",
                            full=label)
        if ax.title and vertical:
            x = plot.width - 12 if side_right else 14
            canvas.text(x, (ax.start + ax.end) / 2, ax.title, "axis-title", "middle",
                        rotate=True)
        elif ax.title:
            canvas.text((plot.left + plot.right) / 2, plot.height - 12, ax.title, "axis-title",
                        "middle")
    canvas.add(f'<line class="axis" x1="{_n(plot.left)}" x2="{_n(plot.right)}" '
               f'y1="{_n(plot.bottom)}" y2="{_n(plot.bottom)}"/>')


def _draw_bars(canvas: _Canvas, trace: dict[str, Any], axes: dict[str, Axis], stacked: bool,
               stacks: dict[tuple[str, float], float],
               widths: dict[str, dict[float, float]]) -> None:
    """A bar trace's bars, grouped under its colour, each with its tooltip."""
    xname, yname, position_name, value_name = _axes_of(trace)
    xa, ya = axes[xname], axes[yname]
    horizontal = position_name == yname
    own_widths = {} if horizontal or xa.categories else widths.get(xname, {})
    template = str(trace.get("hovertemplate", ""))
    opacity = float(trace.get("opacity", 1.0))
    outlined = trace.get("marker", {}).get("line", {}).get("color")
    canvas.add(f'<g fill="{escape(_color(trace))}"'
               + (f' opacity="{opacity:g}"' if opacity != 1.0 else "")
               + (' class="outlined">' if outlined else ">"))
    for point, where, base, value in _bar_points(trace, axes[position_name], value_name,
                                                 stacked, stacks):
        half = own_widths.get(where, BAR_SHARE) / 2
        if horizontal:
            x0, x1 = sorted((xa.px(base), xa.px(base + value)))
            y0, y1 = sorted((ya.px(where - half), ya.px(where + half)))
        else:
            x0, x1 = sorted((xa.px(where - half), xa.px(where + half)))
            y0, y1 = sorted((ya.px(base), ya.px(base + value)))
        if (x1 - x0 if horizontal else y1 - y0) < 0.3:
            continue  # too thin to see or to point at (a stack's smallest parts)
        tip = escape(hover(template, point)) if template else ""
        canvas.add(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" '
                   f'height="{_n(y1 - y0)}">' + (f"<title>{tip}</title>" if tip else "")
                   + "</rect>")
    canvas.add("</g>")


def _draw_scatter(canvas: _Canvas, trace: dict[str, Any], axes: dict[str, Axis],
                  plot: _Plot) -> None:
    """A scatter trace: its line (broken at gaps) and its markers, each with its tooltip."""
    xa, ya = axes[trace.get("xaxis", "x")], axes[trace.get("yaxis", "y")]
    color = escape(_color(trace))
    template = str(trace.get("hovertemplate", ""))
    mode = str(trace.get("mode", "lines"))
    points = list(_points(trace))
    coordinates = [(xa.place(p["x"]), ya.place(p["y"])) for p in points]
    if "lines" in mode:
        dash = ' stroke-dasharray="4 4"' if trace.get("line", {}).get("dash") else ""
        name = escape(_plain(trace.get("name", "")))
        runs: list[list[str]] = [[]]
        for cx, cy in coordinates:
            if cx is None or cy is None:
                runs.append([])
            else:
                runs[-1].append(f"{_n(xa.px(cx))},{_n(ya.px(cy))}")
        for run in runs:
            if run:
                canvas.add(f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                           f'stroke-width="2"{dash}><title>{name}</title></polyline>')
    if "markers" in mode:
        room = (plot.right - plot.left) / max(1, len(points))
        for point, (cx, cy) in zip(points, coordinates, strict=True):
            if cx is not None and cy is not None:
                canvas.add(_marker(trace, xa.px(cx), ya.px(cy), color,
                                   hover(template, point) if template else "", room))


def render(figure: Figure, description: str, width: float = WIDTH) -> Markup:
    """The figure as an `<svg>` element `width` units wide, scaled to its column by the page
    (safe to insert as is: every string is escaped)."""
    layout: dict[str, Any] = figure.get("layout", {})
    traces: list[dict[str, Any]] = [t for t in figure.get("data", []) if isinstance(t, dict)]
    margin = {"l": 60, "r": 60, "t": 40, "b": 50, **layout.get("margin", {})}
    height = float(layout.get("height", 360))
    stacked = layout.get("barmode") == "stack"

    # The axes each trace uses, and the values they must span.
    axes: dict[str, Axis] = {}

    def axis(name: str) -> Axis:
        if name not in axes:
            spec = dict(layout.get(_axis_key(name), {}))
            order = spec.get("categoryarray") if spec.get("categoryorder") == "array" else None
            axes[name] = Axis(spec, categories=[str(c) for c in order or ()])
        return axes[name]

    bar_positions = _spans(traces, axis, stacked)

    # Space: a title and the legend on top; the tick labels and axis titles of the y axes at
    # the sides (Plotly's automargin). The y axes are fitted first: their labels set the sides.
    named = [t for t in traces if t.get("name") and t.get("showlegend", True)]
    shown = named if layout.get("showlegend", len(named) > 1) else []
    title_spec = layout.get("title")
    title = _plain(title_spec.get("text", "")) if isinstance(title_spec, dict) else ""
    title_height = 22.0 if title else 0.0
    y_axes = {name: ax for name, ax in axes.items() if name.startswith("y")}

    def frame(left: float, right: float) -> tuple[list[tuple[dict[str, Any], float, float]],
                                                  _Plot]:
        legend, legend_height = _legend(shown, left, right, 14.0 + title_height)
        top = max(float(margin["t"]), title_height + legend_height + 14.0)
        full = max(height, top + float(margin["b"]) + 60)
        bottom = full - float(margin["b"])
        for ax in y_axes.values():
            base = ax.spec.get("overlaying")
            domain = (axes[base].spec if base in axes else ax.spec).get("domain", [0.0, 1.0])
            ax.fit(padding=True)
            ax.start = bottom - (bottom - top) * float(domain[0])
            ax.end = bottom - (bottom - top) * float(domain[1])
        return legend, _Plot(width, full, left, right, top, bottom)

    frame(float(margin["l"]), width - float(margin["r"]))
    sides = {"left": float(margin["l"]), "right": float(margin["r"])}
    for ax in y_axes.values():
        labels = [label for _, label in ax.ticks(ax.end - ax.start)]
        room = max((len(_short(t, LABEL_CHARS)) for t in labels), default=0) * CHAR + 10
        room += 22 if ax.title else 0
        side = "right" if ax.spec.get("side") == "right" else "left"
        sides[side] = max(sides[side], min(room, width * 0.4))
    for ax in y_axes.values():  # labels longer than their side allows are cut to fit
        side = "right" if ax.spec.get("side") == "right" else "left"
        room = sides[side] - 10 - (22 if ax.title else 0)
        ax.label_chars = max(4, min(LABEL_CHARS, int(room / CHAR)))
    legend, plot = frame(sides["left"], width - sides["right"])

    # The x axes across the plot; bars on a number axis get room either side.
    widths: dict[str, dict[float, float]] = {}  # per x axis: each bar's width
    for name, ax in axes.items():
        if name.startswith("x"):
            ax.fit(padding=True)
            ax.start, ax.end = plot.left, plot.right
            positions = sorted(bar_positions.get(name, ()))
            if positions and not ax.categories and "range" not in ax.spec:
                widths[name] = _bar_widths(positions)
                first, last = positions[0], positions[-1]
                ax.low = first - widths[name][first] / (2 * BAR_SHARE)
                ax.high = last + widths[name][last] / (2 * BAR_SHARE)

    canvas = _Canvas()
    wide = " wide" if width >= 600 else ""  # kept readable on a phone: the box scrolls
    canvas.add(f'<svg class="static-chart{wide}" role="img" viewBox="0 0 {_n(plot.width)} '
               f'{_n(plot.height)}" aria-label="{escape(description)}">')
    if title:
        canvas.text(8, 18, title, "chart-title")
    _draw_axes(canvas, axes, plot)
    stacks: dict[tuple[str, float], float] = {}
    for trace in traces:  # in order: later traces on top, as Plotly draws them
        if trace.get("type") == "bar":
            _draw_bars(canvas, trace, axes, stacked, stacks, widths)
        else:
            _draw_scatter(canvas, trace, axes, plot)

    for trace, x, y in legend:
        _swatch(canvas, trace, x, y)
        canvas.text(x + 24, y + 4, _plain(trace["name"]), "legend")
    canvas.add("</svg>")
    return Markup("".join(canvas.parts))
