"""Reports of many sessions and many subagents in Chromium (issue 7): once the overview charts
drew one tick label per session on three axes, and the timeline one per subagent, blocking the
main thread for most of a minute. Now the overview charts show the most expensive sessions
"and N more", the table shows a page at a time, and the timeline draws a bounded number of
lanes.

Everything is checked by what the page holds (ticks, visible rows), never by time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import attoreport
from attoreport.limits import Limits

pytestmark = pytest.mark.browser

SESSIONS = 1000
#: Rows the overview table shows at once (report.js).
PAGE = 100


@pytest.fixture(scope="module")
def many_sessions_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    trace = folder / "many.jsonl"
    trace.write_text("".join(
        json.dumps({"kind": "llm_response", "timestamp": i, "session_id": f"s{i}",
                    "data": {"tokens": 100 + i, "cost": i / 1000}}) + "\n"
        for i in range(SESSIONS)))
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(trace)])]
    report = folder / "many.html"
    report.write_text(attoreport.render_html(analyses), encoding="utf-8")
    return report


def visible_sessions(page) -> list[str]:
    return page.locator('[data-view="overview"] tbody tr:not([hidden]) td:first-child').evaluate_all(
        "cells => cells.map(c => c.dataset.value)")


def test_the_overview_of_many_sessions_pages_filters_and_sorts(many_sessions_report: Path,
                                                                open_report) -> None:
    report = open_report(many_sessions_report)
    page = report.page
    overview = page.locator('[data-view="overview"]')
    assert overview.locator("tbody tr").count() == SESSIONS
    assert visible_sessions(page) == [f"s{i}" for i in range(PAGE)]
    pager = overview.locator(".pager")
    assert "Page 1 of 10" in pager.inner_text()
    pager.get_by_role("button", name="Next page").click()
    assert visible_sessions(page) == [f"s{i}" for i in range(PAGE, 2 * PAGE)]
    assert "Page 2 of 10" in pager.inner_text()

    search = overview.locator("[data-overview-filter]")
    search.fill("s99")  # s99, s990 … s999
    assert sorted(visible_sessions(page)) == sorted(["s99", *(f"s99{i}" for i in range(10))])
    assert overview.locator("[data-overview-count]").inner_text() == "11 of 1000 sessions"
    assert pager.is_hidden()
    search.fill("")

    cost = overview.locator("th", has_text="Cost").locator("button")
    cost.click()
    cost.click()  # descending: the most expensive first
    assert visible_sessions(page)[:3] == ["s999", "s998", "s997"]
    assert len(visible_sessions(page)) == PAGE and "Page 1 of 10" in pager.inner_text()
    assert report.console_errors == []


def test_no_chart_has_a_tick_per_session(many_sessions_report: Path, open_report) -> None:
    """A report of many sessions draws its charts as SVG when it is made: each overview chart
    has a tick per drawn session, never one per session of the trace."""
    report = open_report(many_sessions_report)
    page = report.page
    assert page.locator("[data-chart]").count() == 0  # no Plotly chart, no Plotly at all
    assert page.locator("#plotly-gz").count() == 0
    bars = Limits().overview_bars
    for dom_id in ("overview-cost-chart", "overview-tokens-chart", "overview-score-chart"):
        chart = page.locator(f"#{dom_id} svg.static-chart")
        assert chart.is_visible()
        assert chart.locator("text.tick.y").count() == bars
        assert chart.locator("rect").count() == bars
        assert f"(and {SESSIONS - bars:,} more)" in chart.locator(".chart-title").text_content()
    assert chart.locator("text.tick.y").first.text_content() == "s999"  # the most expensive first
    ticks = page.locator("svg.static-chart").evaluate_all(
        "charts => charts.map(c => c.querySelectorAll('text.tick').length)")
    assert len(ticks) > 3 and max(ticks) < SESSIONS // 10
    assert report.console_errors == [] and report.network_requests == []


def test_controls_that_need_scripts_stay_hidden_without_them(many_sessions_report: Path,
                                                             open_report) -> None:
    """`hidden` controls were shown anyway where the stylesheet gives them a display."""
    page = open_report(many_sessions_report, javascript_enabled=False).page
    for selector in (".filters", ".overview-filter", ".tree-controls", "#theme-toggle"):
        controls = page.locator(selector)
        assert controls.count() >= 1 and all(not controls.nth(i).is_visible()
                                             for i in range(controls.count())), selector
    assert page.locator('[data-view="overview"] tbody tr:visible').count() == SESSIONS


def test_a_timeline_of_thousands_of_subagents_has_a_bounded_axis(tmp_path: Path,
                                                                  open_report) -> None:
    trace = tmp_path / "subagents.jsonl"
    trace.write_text("".join(json.dumps(x) + "\n" for i in range(2500) for x in (
        {"event_id": f"s{i}", "kind": "subagent_spawn", "timestamp": i,
         "data": {"agent_id": f'{i}<"&\u202e'}},
        {"event_id": f"t{i}", "parent_event_id": f"s{i}", "kind": "tool_error",
         "timestamp": i + 0.5, "duration_ms": 100, "data": {"tool": "bash", "error": "e"}})))
    report_path = tmp_path / "subagents.html"
    report_path.write_text(attoreport.render_html(
        [attoreport.analyse(s) for s in attoreport.load([str(trace)])]), encoding="utf-8")
    report = open_report(report_path)
    page = report.page
    chart = page.locator("[data-chart][id$='-timeline-chart']")
    chart.locator(".main-svg").first.wait_for(timeout=60_000)
    ticks = chart.locator(".ytick")
    assert ticks.count() == Limits().lane_rows
    shared = re.fullmatch(r"([\d,]+) more lanes", ticks.last.text_content() or "")
    assert shared and int(shared[1].replace(",", "")) > 1000  # as many as the bars drawn allow
    assert report.console_errors == []
