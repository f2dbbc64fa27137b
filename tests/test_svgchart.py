"""Charts drawn as static SVG (reports with more session sections than Plotly draws)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

import attoreport
from attoreport.limits import DEFAULT_LIMITS
from attoreport.report import charts, svgchart
from attoreport.report.html import render_view
from attoreport.report.page import build_report, session_view
from tests.conftest import ALL_TRACES, FIXTURES

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The SVG as XML (inline SVG in HTML needs no namespace; XML does)."""
    return ET.fromstring(str(markup).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def rects(svg: ET.Element) -> list[dict[str, float]]:
    return [{k: float(r.get(k, "0")) for k in ("x", "y", "width", "height")}
            for r in svg.iter(f"{SVG}rect")]


def bars(svg: ET.Element) -> list[dict[str, float]]:
    """The data's bars (a series' bars are grouped; the legend's swatches are not)."""
    return [{k: float(r.get(k, "0")) for k in ("x", "y", "width", "height")}
            for group in svg.iter(f"{SVG}g") for r in group.iter(f"{SVG}rect")]


def texts(svg: ET.Element, css: str) -> list[str]:
    """The shown text of the `<text>` elements of this class (not their tooltips)."""
    found = []
    for t in svg.iter(f"{SVG}text"):
        if css in (t.get("class") or "").split():
            title = t.find(f"{SVG}title")
            found.append("".join(t.itertext()) if title is None else (title.tail or ""))
    return found


@pytest.mark.parametrize("trace", ALL_TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_every_chart_of_every_fixture_draws_as_well_formed_svg(trace) -> None:
    for session in attoreport.load([str(trace)]):
        view = session_view(attoreport.analyse(session), "s1", static_charts=True)
        for chart in view.charts:
            assert chart.svg is not None
            svg = parse(chart.svg)
            assert svg.tag == f"{SVG}svg" and svg.get("aria-label") == chart.description
            points = sum(1 for t in chart.figure["data"] for v in t.get("y", []) or []
                         if v is not None)
            marks = [e for e in svg.iter() if e.tag in (f"{SVG}rect", f"{SVG}circle",
                                                         f"{SVG}polyline", f"{SVG}path")]
            if points:
                assert marks, chart.dom_id
            for r in rects(svg):  # every bar inside the drawing
                width, height = (float(v) for v in svg.get("viewBox").split()[2:])
                assert r["x"] >= -0.1 and r["x"] + r["width"] <= width + 0.1, chart.dom_id
                assert r["y"] >= -0.1 and r["y"] + r["height"] <= height + 0.1, chart.dom_id


def bar_figure(barmode: str, *traces: dict) -> dict:
    return {"data": list(traces), "layout": {"barmode": barmode, "height": 300,
                                             "margin": {"l": 50, "r": 50, "t": 40, "b": 40}}}


def test_stacked_bars_stand_on_each_other_in_proportion() -> None:
    figure = bar_figure("stack",
                        {"type": "bar", "x": [1, 2], "y": [2, 4], "name": "a",
                         "hovertemplate": "%{x}: %{y:,} a<extra></extra>"},
                        {"type": "bar", "x": [1, 2], "y": [3, 1], "name": "b"})
    svg = parse(svgchart.render(figure, "stack"))
    a1, a2, b1, b2 = bars(svg)
    assert a1["y"] + a1["height"] == pytest.approx(a2["y"] + a2["height"])  # on the same floor
    assert b1["y"] + b1["height"] == pytest.approx(a1["y"], abs=0.11)  # b on top of a
    assert b1["height"] / a1["height"] == pytest.approx(3 / 2, rel=0.02)
    assert a2["height"] / a1["height"] == pytest.approx(2, rel=0.02)
    assert a1["width"] == pytest.approx(b1["width"]) and a1["x"] < a2["x"]
    assert [t.text for t in svg.iter(f"{SVG}title")][:2] == ["1: 2 a", "2: 4 a"]


def test_overlaid_horizontal_bars_start_at_their_base_in_reversed_lanes() -> None:
    lanes = ["main agent", "sub-1"]
    spans = [charts.Bar("main agent", 0.0, 10.0, "llm", "first", False),
             charts.Bar("sub-1", 5.0, 5.0, "tool", "second", False)]
    svg = parse(svgchart.render(charts.timeline_chart(lanes, spans, [], 10.0), "t"))
    first, second = bars(svg)
    assert second["x"] == pytest.approx(first["x"] + first["width"] / 2, abs=0.11)
    assert first["y"] < second["y"]  # the first lane on top, as Plotly draws it
    assert texts(svg, "y") == lanes


def test_bars_of_a_binned_series_never_overlap() -> None:
    """The last bin is closer to its neighbour than the others: its bar narrows, the others
    keep their width."""
    figure = bar_figure("stack", {"type": "bar", "x": [4, 8, 12, 13], "y": [1, 1, 1, 1]})
    found = sorted(bars(parse(svgchart.render(figure, "bins"))), key=lambda r: r["x"])
    for left, right in zip(found, found[1:], strict=False):
        assert left["x"] + left["width"] <= right["x"] + 0.11
    assert found[0]["width"] == pytest.approx(found[1]["width"])
    assert found[-1]["width"] < found[0]["width"] / 2


def test_a_line_breaks_where_a_value_is_missing() -> None:
    figure = {"data": [{"type": "scatter", "mode": "lines", "x": [1, 2, 3, 4, 5],
                        "y": [0.5, 0.6, None, 0.7, 0.8], "name": "rate"}], "layout": {}}
    svg = parse(svgchart.render(figure, "gaps"))
    lines = [p.get("points") for p in svg.iter(f"{SVG}polyline")]
    assert len(lines) == 2 and all(len(points.split()) == 2 for points in lines)


def test_labels_from_a_trace_are_escaped_once() -> None:
    lane = '<script>alert(1)</script> & co, a name too long to show whole'
    label = '"><img src=x onerror=alert(1)>'
    figure = charts.timeline_chart([lane], [charts.Bar(lane, 0.0, 1.0, "tool", label, True)],
                                   [charts.Mark(lane, 0.5, label)], 1.0)
    markup = str(svgchart.render(figure, 'a "description" <b>'))
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&amp;amp;" not in markup and "&amp;lt;" not in markup  # not escaped twice
    svg = parse(markup)
    assert texts(svg, "y") == [svgchart._short(lane, svgchart.LABEL_CHARS)]
    tips = [t.text for t in svg.iter(f"{SVG}title")]
    assert lane in tips  # the whole lane name, on its shortened label
    assert any(tip.startswith(label + "\n") for tip in tips)  # the bar's and the mark's


@pytest.mark.parametrize(("value", "form", "prefix", "step", "expected"), [
    (1500, "~s", "", 500, "1.5k"),
    (2_000_000, "~s", "", 1e6, "2M"),
    (0, "~s", "", 1e6, "0"),
    (0.5, ".0%", "", 0.1, "50%"),
    (0.004, ",.4~f", "$", 0.001, "$0.004"),
    (2.5, ",.2f", "$", 0.5, "$2.50"),
    (1234, ",.3~f", "$", 200, "$1,234"),
    (250_000, "", "", 50_000, "250k"),
    (1234, "", "", 200, "1,234"),
    (0.25, "", "", 0.05, "0.25"),
    (-3, "", "$", 1, "-$3"),
])
def test_tick_labels_follow_the_d3_formats_of_the_figures(value, form, prefix, step,
                                                          expected) -> None:
    assert svgchart.tick_label(value, form, prefix, step) == expected


def test_ticks_are_round_numbers_within_the_range() -> None:
    assert svgchart.nice_ticks(0, 1.05, 6) == ([0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0],
                                              0.2)
    assert svgchart.nice_ticks(0, 1.05, 3) == ([0.0, 0.5, 1.0], 0.5)
    assert svgchart.nice_ticks(0, 37, 4) == ([0.0, 10.0, 20.0, 30.0], 10)
    assert svgchart.nice_ticks(5, 5, 4) == ([5], 1.0)


def test_an_axis_of_iterations_has_whole_numbers_only() -> None:
    figure = bar_figure("stack", {"type": "bar", "x": [1, 2, 3], "y": [5, 6, 7]})
    labels = texts(parse(svgchart.render(figure, "few")), "x")
    assert labels and all(re.fullmatch(r"\d+", label) for label in labels)


def test_hover_text_is_plotlys_template_filled_in() -> None:
    assert svgchart.hover("Iteration %{x}: %{y:,} tokens<extra></extra>",
                          {"x": 3, "y": 12345}) == "Iteration 3: 12,345 tokens"
    assert svgchart.hover("%{text}<br>from %{base:.1f} s, took %{customdata:.2f} s",
                          {"text": "a &amp; b", "base": 1.25, "customdata": 2}) == (
        "a & b\nfrom 1.2 s, took 2.00 s")
    assert svgchart.hover("Call %{x}: %{y:.1%} from cache", {"x": 2, "y": 0.5}) == (
        "Call 2: 50.0% from cache")
    assert svgchart.hover("%{x} %{y}", {"x": "a %{y}", "y": None}) == "a %{y} "


def collector_analyses() -> list:
    return [attoreport.analyse(s) for s in attoreport.load([str(FIXTURES / "collector")])]


def test_a_report_of_more_sections_than_plotly_draws_is_static_throughout() -> None:
    analyses = collector_analyses()
    assert len(analyses) > DEFAULT_LIMITS.plotly_sections
    view = build_report(analyses, version="test")
    assert view.charts and all(c.svg for c in view.charts)
    assert len([c for c in view.charts if c.dom_id.startswith("overview")]) == 3
    html = render_view(view)
    assert 'id="plotly-gz"' not in html  # no chart left for Plotly: the page does without it
    assert json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1]) == {}
    assert html.count("data-static-chart") == len(view.charts)
    assert "data-chart=" not in html


def test_a_report_of_few_sections_is_drawn_by_plotly() -> None:
    analyses = collector_analyses()[: DEFAULT_LIMITS.plotly_sections]
    view = build_report(analyses, version="test")
    assert view.charts and not any(c.svg for c in view.charts)
    html = render_view(view)
    assert 'id="plotly-gz"' in html and "data-static-chart" not in html
    figures = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1])
    assert set(figures) == {c.dom_id for c in view.charts}
    more = build_report(analyses, version="test",
                        limits=replace(DEFAULT_LIMITS, plotly_sections=1))
    assert all(c.svg for c in more.charts)


def test_markers_of_a_long_series_shrink_to_stay_a_line() -> None:
    def radii(points: int) -> set[float]:
        figure = {"data": [{"type": "scatter", "mode": "lines+markers",
                            "x": list(range(points)), "y": [1.0] * points}], "layout": {}}
        svg = parse(svgchart.render(figure, "long"))
        return {float(c.get("r")) for c in svg.iter(f"{SVG}circle")}

    assert radii(10) == {3.0}  # Plotly's size 6
    assert radii(500) == {1.5}


def test_a_swarm_timeline_keeps_its_lane_order_and_marker_shapes() -> None:
    from attoreport.report.swarm import MARK_LOOK, swarm_view
    from attoreport.swarm import load_runs
    from tests.swarm_support import SWARM

    (analysis,) = load_runs(SWARM / "swarm-failures")
    plotly = swarm_view(analysis, "w1")
    static = swarm_view(analysis, "w1", static_charts=True)
    assert plotly.chart is not None and plotly.chart.svg is None
    assert static.chart is not None and static.chart.svg
    svg = parse(static.chart.svg)
    lanes = [svgchart._short(svgchart._plain(lane), svgchart.LABEL_CHARS)
             for lane in static.chart.figure["layout"]["yaxis"]["categoryarray"]]
    assert texts(svg, "y") == lanes and lanes[0] == "Coordinator"  # the order given, not seen
    marks = sum(len(t["x"]) for t in static.chart.figure["data"] if t["type"] == "scatter")
    shapes = [e for e in svg.iter(f"{SVG}path") if e.get("class") == "mark"]
    assert len(shapes) >= marks  # every marker drawn (and the legend's)
    symbols = {t["marker"]["symbol"] for t in static.chart.figure["data"]
               if t["type"] == "scatter"}
    assert symbols - {"circle"} and symbols <= {look[1] for look in MARK_LOOK.values()}
    outlines = {svgchart._outline(s, 0, 0, 4) for s in symbols - {"x", "circle"}}
    assert None not in outlines  # a shape for every symbol used
    assert len(list(svg.iter(f"{SVG}circle"))) == sum(
        len(t["x"]) for t in static.chart.figure["data"]
        if t["type"] == "scatter" and t["marker"]["symbol"] == "circle")


def test_values_that_are_not_finite_numbers_are_gaps() -> None:
    figure = {"data": [{"type": "bar", "x": [1, 2, 3, 4], "y": [1.0, float("nan"), float("inf"), 2.0]},
                       {"type": "scatter", "mode": "lines+markers", "x": [1, 2, 3, 4],
                        "y": [1.0, float("-inf"), None, 2.0], "yaxis": "y"}], "layout": {}}
    markup = str(svgchart.render(figure, "gaps"))
    assert "nan" not in markup.lower() and "inf" not in markup.lower()
    svg = parse(markup)
    assert len(bars(svg)) == 2 and len(list(svg.iter(f"{SVG}circle"))) == 2


def test_long_labels_are_cut_to_fit_beside_a_narrow_chart() -> None:
    """The overview's charts stand three abreast: a session name of 30 characters would
    have run off the drawing's left edge."""
    names = ["collector-all-kinds-markdown-goal", "s2", "a-much-longer-session-name-" * 3]
    svg = parse(svgchart.render(charts.overview_bars(names, [3.0, 2.0, 1.0], "cost", 0, "Cost"),
                                "cost", 420))
    shown = [t for t in svg.iter(f"{SVG}text") if "y" in (t.get("class") or "").split()]
    for text in shown:
        label = "".join(text.itertext()) if text.find(f"{SVG}title") is None else (
            text.find(f"{SVG}title").tail or "")
        assert float(text.get("x")) - len(label) * svgchart.CHAR >= 0, label  # inside
    assert texts(svg, "y")[1] == "s2" and texts(svg, "y")[0].endswith("…")
    tips = [t.text for t in svg.iter(f"{SVG}title")]
    assert names[0] in tips  # the whole name on its cut label
