"""The swarm view in Chromium: graph and timeline drawn, readable without JavaScript,
no console errors, no network, axe clean. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

import attoreport
from attoreport.swarm import find_run_folders, load_runs
from tests.swarm_support import SWARM, write_big_run

pytestmark = pytest.mark.browser

#: report name -> (project folder, with the TraceCollector trace beside it)
REPORTS = {"swarm-failures": True, "swarm-large": True, "swarm-codex": False,
           "swarm-killed-resumed": True}


def _render(project: Path, with_traces: bool) -> str:
    swarms = load_runs(project)
    analyses = []
    if with_traces:
        for folder in find_run_folders(project):
            sessions = attoreport.load([str(p) for p in folder.trace_paths])
            analyses += [attoreport.analyse(s) for s in sessions]
    return attoreport.render_html(analyses, swarms=swarms)


@pytest.fixture(scope="module")
def swarm_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("swarm-reports")
    for name, with_traces in REPORTS.items():
        (folder / f"{name}.html").write_text(_render(SWARM / name, with_traces), encoding="utf-8")
    big = write_big_run(tmp_path_factory.mktemp("big"), 200)
    (folder / "swarm-200.html").write_text(_render(big, False), encoding="utf-8")
    return folder


def _graph_nodes_drawn(page) -> int:  # type: ignore[no-untyped-def]
    """Nodes of the SVG graph that have a real size on the page."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        'section[data-view="swarm"] svg.task-graph a.node rect')).filter(r => {
            const b = r.getBoundingClientRect(); return b.width > 20 && b.height > 10;
        }).length""")


@pytest.mark.parametrize("name", [*REPORTS, "swarm-200"])
def test_swarm_view_draws_graph_and_timeline(name: str, swarm_reports: Path, open_report,
                                             run_axe, save_screenshot) -> None:
    report = open_report(swarm_reports / f"{name}.html")
    page = report.page
    swarm = page.locator('section[data-view="swarm"]')
    assert swarm.count() == 1
    rows = page.locator("table.task-table tbody tr").count()
    assert _graph_nodes_drawn(page) == rows > 0
    page.wait_for_function(
        "() => document.querySelector('section[data-view=swarm] [data-chart][data-drawn] .main-svg')",
        timeout=30_000)
    bars = page.locator('section[data-view="swarm"] [data-chart] .barlayer .point').count()
    assert bars >= rows
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways"
    assert run_axe(page) == []
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, f"swarm-{name}")
    assert report.console_errors == []
    assert report.network_requests == []


@pytest.mark.parametrize("name", ["swarm-failures", "swarm-200"])
def test_swarm_view_is_readable_without_javascript(name: str, swarm_reports: Path, open_report,
                                                   run_axe, save_screenshot) -> None:
    report = open_report(swarm_reports / f"{name}.html", javascript_enabled=False)
    page = report.page
    rows = page.locator("table.task-table tbody tr")
    assert rows.count() > 0 and rows.first.is_visible()
    assert _graph_nodes_drawn(page) == rows.count()
    assert page.locator('section[data-view="swarm"] [data-chart] .chart-fallback').is_visible()
    detail = page.locator("details.task-detail").first
    detail.locator(":scope > summary").click()
    assert detail.evaluate("d => d.open")
    assert detail.locator("table.attempts").is_visible()
    assert run_axe(page) == []
    save_screenshot(page, f"swarm-{name}-no-js")
    assert report.console_errors == []


def test_a_task_link_opens_its_detail_and_sorting_works(swarm_reports: Path,
                                                        open_report) -> None:
    page = open_report(swarm_reports / "swarm-failures.html").page
    page.locator("table.task-table a", has_text="task-6").click()
    detail = page.locator("details.task-detail", has=page.locator("summary",
                                                                  has_text="task-6"))
    page.wait_for_function("() => document.querySelector('details.task-detail:target')?.open")
    assert detail.evaluate("d => d.open") and detail.is_visible()
    assert "claude exited with code 143" in detail.inner_text()

    page.locator('section[data-view="swarm"] svg a.node', has_text="task-9").click()
    page.wait_for_function("() => location.hash.endsWith('task-9')")
    assert page.locator("details.task-detail:target").evaluate("d => d.open")

    table = page.locator("table.task-table")
    table.locator("button", has_text="Tokens").click()
    values = table.locator("tbody tr td:nth-child(9)").evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.value))")
    assert values == sorted(values) and len(values) == 9
    assert table.locator("th[aria-sort=ascending]").count() == 1


def test_the_dark_theme_keeps_the_graph_readable(swarm_reports: Path, open_report,
                                                 run_axe) -> None:
    page = open_report(swarm_reports / "swarm-failures.html").page
    page.locator("#theme-toggle").click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    fill = page.evaluate("""() => getComputedStyle(document.querySelector(
        'svg.task-graph a.node text')).fill""")
    background = page.evaluate("""() => getComputedStyle(document.querySelector(
        'svg.task-graph a.node rect')).fill""")
    assert fill != background
    assert run_axe(page) == []
