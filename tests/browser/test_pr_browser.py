"""The pull-request pieces of the report in a real browser: the Perfetto download button and the
comparison with a baseline (readable, accessible, colour not the only signal)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport.analysis.compare import SessionFigures, compare
from tests.conftest import FIXTURES

pytestmark = pytest.mark.browser

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
SUBAGENTS = FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl"
HOSTILE = FIXTURES / "hostile" / "hostile-payloads.jsonl"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pr-reports")
    found = {}
    for name, traces, compared, limits in [
        ("subagents", [SUBAGENTS], False, attoreport.Limits()),
        ("capped", [SUBAGENTS], False, attoreport.Limits(trace_events=12)),
        ("hostile", [HOSTILE], False, attoreport.Limits()),
        ("compared", [DOOM, CLEAN], True, attoreport.Limits()),
    ]:
        analyses = [attoreport.analyse(s) for s in attoreport.load([str(t) for t in traces])]
        comparison = None
        if compared:  # the doom loop against the clean run, the clean run against itself
            figures = [SessionFigures.from_analysis(a) for a in analyses]
            clean = figures[1]
            baseline = [replace(clean, session_id=figures[0].session_id), clean]
            comparison = compare(figures, baseline)
        html = attoreport.render_html(analyses, comparison=comparison, limits=limits)
        found[name] = folder / f"{name}.html"
        found[name].write_text(html, encoding="utf-8")
    return found


def download_trace(page) -> dict:  # type: ignore[no-untyped-def]
    button = page.get_by_role("button", name="Download trace (Perfetto)")
    assert button.is_visible()
    with page.expect_download() as caught:
        button.click()
    download = caught.value
    assert download.suggested_filename == "attoreport-trace.json"
    path = download.path()
    assert path is not None
    document: dict = json.loads(Path(path).read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("name", ["subagents", "hostile"])
def test_the_button_downloads_the_trace_the_report_shows(name: str, reports: dict[str, Path],
                                                         open_report) -> None:
    report = open_report(reports[name])
    page = report.page
    document = download_trace(page)
    embedded = json.loads(page.locator("#trace-data").text_content() or "")
    assert document == embedded
    assert {e["ph"] for e in document["traceEvents"]} >= {"X", "C", "M"}
    sessions = page.locator("section[data-session-id]").count()
    assert len({e["pid"] for e in document["traceEvents"]}) == sessions
    note = page.locator("#trace-note").inner_text()
    assert "ui.perfetto.dev" in note and "Covers what this report shows" not in note
    assert report.console_errors == [] and report.network_requests == []
    assert page.evaluate("() => window.__pwned") is None


def test_a_capped_copy_says_so(reports: dict[str, Path], open_report) -> None:
    report = open_report(reports["capped"])
    document = download_trace(report.page)
    events = [e for e in document["traceEvents"] if e["ph"] != "M"]
    assert len(events) <= 12
    note = report.page.locator("#trace-note").inner_text()
    assert note.startswith(f"Covers what this report shows: {len(events)} of ")
    assert "--export-trace" in note


def test_without_javascript_the_button_is_not_offered(reports: dict[str, Path],
                                                      open_report) -> None:
    report = open_report(reports["subagents"], javascript_enabled=False)
    assert report.page.locator("#trace-export").is_hidden()


def test_the_comparison_reads_without_colour(reports: dict[str, Path], open_report,
                                            run_axe, save_screenshot, expect: Any) -> None:
    report = open_report(reports["compared"])
    page = report.page
    view = page.locator('#s1 [data-view="comparison"]')
    assert view.is_visible()
    # A view is laid out (and its text rendered) when the reader reaches it.
    view.scroll_into_view_if_needed()
    expect(view.locator('tr[data-metric="cost"] td.delta')).to_have_text(
        "▲ +$0.0226 (+24.3 %) worse over the limit", use_inner_text=True)
    score = view.locator('tr[data-metric="efficiency_score"] td.delta').inner_text()
    assert score.startswith("▼ -25.7 points worse")
    assert view.locator("ul.regressions li").count() == 5
    assert view.locator('[data-issues="new"] li').count() == 3
    same = page.locator('#s2 [data-view="comparison"] tr[data-metric="cost"] td.delta')
    same.scroll_into_view_if_needed()  # a session far below is laid out when it is reached
    expect(same).to_have_text("= no change")
    colours = view.locator("td.delta").evaluate_all(
        "cells => cells.map(c => [c.className, getComputedStyle(c).color])")
    worse = {colour for cls, colour in colours if "tone-bad" in cls}
    better = {colour for cls, colour in colours if "tone-good" in cls}
    assert worse and better and worse.isdisjoint(better)
    page.locator('#s1 a[href="#s1-comparison"]').click()
    page.wait_for_function("() => location.hash === '#s1-comparison'")
    baseline = page.locator("#baseline")
    baseline.scroll_into_view_if_needed()
    expect(baseline).to_have_text(re.compile(r"^\s*Baseline"), use_inner_text=True)
    violations = run_axe(page)
    assert violations == [], [(v["id"], v["help"], v["nodes"][0]["target"]) for v in violations]
    view.scroll_into_view_if_needed()
    save_screenshot(page, "report-compared")
    assert report.console_errors == [] and report.network_requests == []


def test_the_comparison_reads_without_javascript(reports: dict[str, Path], open_report,
                                                run_axe) -> None:
    report = open_report(reports["compared"], javascript_enabled=False)
    view = report.page.locator('#s1 [data-view="comparison"]')
    assert view.locator("table.comparison tbody tr").count() == 16
    assert view.locator("table.comparison tbody tr").first.is_visible()
    violations = run_axe(report.page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]
