"""The report in a real browser: Debian's Chromium driven by Playwright, with no network.

Every fixture trace gets a report; each is opened with and without JavaScript, checked
for console errors, network requests, views, charts, tree, filter and issue links, run
through axe-core, and saved as a screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import attoreport
from tests.conftest import ALL_TRACES, FIXTURES, SAMPLES, event, write_trace

pytestmark = pytest.mark.browser

HOSTILE = FIXTURES / "hostile" / "hostile-payloads.jsonl"
VIEWS = ["summary", "issues", "efficiency", "token-flow", "cache", "tools", "timeline", "tree"]
REPORTS = {t.stem: [t] for t in ALL_TRACES}
REPORTS["hostile-payloads"] = [HOSTILE]
REPORTS["all-samples"] = sorted(SAMPLES.glob("*.jsonl"))
#: More sessions than Plotly draws: every chart is static SVG (and the page has no plotly.js).
REPORTS["collector-folder"] = sorted((FIXTURES / "collector").glob("*.jsonl"))


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    for name, traces in REPORTS.items():
        sessions = attoreport.load([str(t) for t in traces])
        html = attoreport.render_html([attoreport.analyse(s) for s in sessions])
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    return folder


def wait_for_charts(page) -> int:
    """Wait until every chart is drawn (Plotly's in the page; static ones come drawn);
    returns how many there are."""
    total = page.locator("[data-chart]").count()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-chart][data-drawn] .main-svg').length >= n",
        arg=total, timeout=30_000)
    return total + page.locator("[data-static-chart] > svg.static-chart").count()


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_works_in_chromium(name: str, report_dir: Path, open_report,
                                  save_screenshot) -> None:
    report = open_report(report_dir / f"{name}.html")
    page = report.page
    sessions = page.locator("section[data-session-id]")
    assert sessions.count() >= 1
    for i in range(sessions.count()):
        section = sessions.nth(i)
        for view in VIEWS:
            assert section.locator(f'[data-view="{view}"]').count() == 1, view
    if sessions.count() > 1:
        assert page.locator('[data-view="overview"]').count() == 1

    charts = wait_for_charts(page)
    assert charts >= 2  # at least the efficiency chart and one more per session

    _tree_opens_and_closes(page)
    _event_log_filter_works(page)
    _issue_link_lands_on_its_iteration(page)

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways"
    clipped = page.evaluate("""() => [...document.querySelectorAll('.stat dd')]
        .filter(dd => dd.scrollWidth > dd.clientWidth + 1).map(dd => dd.textContent)""")
    assert clipped == [], "a figure tile cuts its value off"
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, f"report-{name}")
    assert report.console_errors == []
    assert report.network_requests == []


def _tree_opens_and_closes(page) -> None:
    node = page.locator(".tree > details").first
    summary = node.locator(":scope > summary")
    assert not node.evaluate("d => d.open")
    summary.click()
    assert node.evaluate("d => d.open")
    summary.click()
    assert not node.evaluate("d => d.open")
    section = page.locator("section[data-session-id]").first
    section.locator('[data-tree="open"]').click()
    closed = section.locator(".tree details:not([open])").count()
    assert closed == 0
    section.locator('[data-tree="close"]').click()
    assert section.locator(".tree details[open]").count() == 0


def _event_log_filter_works(page) -> None:
    section = page.locator("section[data-session-id]").first
    table = section.locator("table.log")
    rows = table.locator("tbody tr:not(.gap)")
    total = rows.count()
    kind = section.locator('[data-filter="kind"] option').nth(1).get_attribute("value")
    section.locator('[data-filter="kind"]').select_option(kind)
    visible = table.locator("tbody tr:not([hidden]):not(.gap)")
    expected = table.evaluate(
        "(t, kind) => [...t.tBodies[0].rows].filter(r => r.dataset.kind === kind).length", kind)
    assert 0 < visible.count() == expected
    assert section.locator("[data-filter-count]").inner_text() == (
        f"Showing {expected} of {total} events")
    section.locator('[data-filter="kind"]').select_option("")
    assert visible.count() == total
    first_label = table.locator("tbody tr td.what").first.inner_text()
    word = first_label.split()[0]
    section.locator('[data-filter="text"]').fill(word)
    assert 0 < visible.count() <= total
    for text in visible.all_inner_texts()[:50]:
        assert word.lower() in text.lower()
    section.locator('[data-filter="text"]').fill("no event says this 7f3a")
    assert visible.count() == 0
    section.locator('[data-filter="text"]').fill("")
    assert visible.count() == total
    category = section.locator('[data-filter="category"] option').nth(1).get_attribute("value")
    section.locator('[data-filter="category"]').select_option(category)
    assert set(visible.evaluate_all("rows => rows.map(r => r.dataset.category)")) == {category}
    section.locator('[data-filter="category"]').select_option("")
    section.locator('[data-filter="failed"]').check()
    failed = table.evaluate("t => t.querySelectorAll('tbody tr[data-failed]').length")
    assert visible.count() == failed
    section.locator('[data-filter="failed"]').uncheck()
    assert visible.count() == total


def _issue_link_lands_on_its_iteration(page) -> None:
    links = page.locator("a[data-iter-link]")
    if links.count() == 0:
        return
    link = links.first
    target_id = link.get_attribute("href")[1:]
    link.click()
    target = page.locator(f'[id="{target_id}"]')
    # Wait for the state asserted: the hash handler has opened the target and scrolled to it.
    page.wait_for_function(
        """id => {
            const t = document.getElementById(id);
            if (location.hash !== '#' + id || !t || !t.open) return false;
            const y = t.getBoundingClientRect().top;
            return y > 0 && y < window.innerHeight;
        }""", arg=target_id)
    assert target.evaluate("d => d.open")
    box = target.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert 0 < box["y"] < viewport["height"]  # below the sticky navigation, on screen


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_reads_without_javascript(name: str, report_dir: Path, open_report,
                                         run_axe) -> None:
    report = open_report(report_dir / f"{name}.html", javascript_enabled=False)
    page = report.page
    section = page.locator("section[data-session-id]").first
    summary = section.locator('[data-view="summary"]')
    assert summary.locator(".score-number").is_visible()
    assert summary.locator(".outcome").is_visible()
    assert section.locator('[data-view="efficiency"] tbody tr').count() == 5
    assert section.locator('[data-view="efficiency"] tbody tr').first.is_visible()
    issues = section.locator('[data-view="issues"]')
    assert issues.is_visible()
    for item in issues.locator("li.issue").all()[:5]:
        assert item.is_visible()
    log_rows = section.locator("table.log tbody tr")
    assert log_rows.count() > 0 and log_rows.first.is_visible()
    node = section.locator(".tree > details").first
    node.locator(":scope > summary").click()
    assert node.evaluate("d => d.open")
    if section.locator("[data-static-chart]").count():  # drawn into the report: no script needed
        assert section.locator(".chart-fallback").count() == 0
        assert section.locator("[data-static-chart] > svg").first.is_visible()
    else:
        assert section.locator(".chart-fallback").first.is_visible()
    assert report.network_requests == []
    violations = run_axe(page)
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


@pytest.mark.parametrize("name", list(REPORTS))
def test_no_serious_accessibility_violations(name: str, report_dir: Path, open_report,
                                             run_axe) -> None:
    report = open_report(report_dir / f"{name}.html")
    wait_for_charts(report.page)
    violations = run_axe(report.page)
    assert violations == [], [(v["id"], v["help"], v["nodes"][0]["target"]) for v in violations]


def test_hostile_trace_executes_and_loads_nothing(report_dir: Path, open_report, expect: Any) -> None:
    report = open_report(report_dir / "hostile-payloads.html")
    page = report.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    wait_for_charts(page)
    page.locator('[data-tree="open"]').first.click()
    for chart in page.locator("[data-chart]").all():  # hover text is where plotly renders HTML
        chart.hover()
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert report.network_requests == []
    assert page.locator("section[data-session-id] img, section[data-session-id] iframe").count() == 0
    ids = page.locator("section[data-session-id]").evaluate_all(
        "els => els.map(e => e.dataset.sessionId)")
    assert ids == ["hostile-a", "<img src=x onerror=window.__pwned=1>"]
    goal = page.locator(".goal").first
    goal.scroll_into_view_if_needed()  # a view is laid out (and its text rendered) when reached
    expect(goal).to_contain_text("<script>window.__pwned=1</script>", use_inner_text=True)


def test_theme_switch_and_keyboard(report_dir: Path, open_report) -> None:
    report = open_report(report_dir / "collector-subagents-hierarchy.html")
    page = report.page
    wait_for_charts(page)
    toggle = page.locator("#theme-toggle")
    background = "() => getComputedStyle(document.documentElement).backgroundColor"
    assert page.evaluate(background) == "rgb(255, 255, 255)"  # the system's light theme
    toggle.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) == "rgb(22, 24, 28)"
    assert toggle.inner_text() == "Light theme" and toggle.get_attribute("aria-pressed") == "true"
    page.keyboard.press("Enter")
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    assert toggle.get_attribute("aria-pressed") == "false"
    node = page.locator(".tree > details").first
    node.locator(":scope > summary").focus()
    page.keyboard.press("Enter")
    assert node.evaluate("d => d.open")
    assert report.console_errors == []


def test_overview_table_sorts(report_dir: Path, open_report) -> None:
    report = open_report(report_dir / "all-samples.html")
    page = report.page
    header = page.locator('[data-view="overview"] th', has_text="Cost").locator("button")
    header.click()
    costs = page.locator('[data-view="overview"] tbody tr td:nth-child(5)').evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.value))")
    assert costs == sorted(costs)
    header.click()
    costs = page.locator('[data-view="overview"] tbody tr td:nth-child(5)').evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.value))")
    assert costs == sorted(costs, reverse=True)
    assert page.locator('[data-view="overview"] th[aria-sort="descending"]').count() == 1


@pytest.mark.parametrize("width", [1280, 1440])
@pytest.mark.parametrize("name", ["all-samples", "hostile-payloads"])
def test_the_overview_table_fits_its_page(report_dir: Path, open_report, width: int,
                                          name: str) -> None:
    """On a laptop's screen every column, the issues included, is on screen without scrolling
    sideways (it was cut off): only the figures and the outcome stay on one line; the headings,
    goals, efficiency words and the top issue wrap, and so do a trace's long outcome words and
    session names. Narrower, the table scrolls in its box."""
    report = open_report(report_dir / f"{name}.html")
    page = report.page
    page.set_viewport_size({"width": width, "height": 900})
    wrap = page.locator('[data-view="overview"] .overview-wrap')
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    issues = page.locator('[data-view="overview"] tbody tr td:last-child .top-issue').first
    box, frame = issues.bounding_box(), wrap.bounding_box()
    assert box is not None and frame is not None
    assert box["x"] + box["width"] <= frame["x"] + frame["width"]
    outcome = page.locator('[data-view="overview"] tbody .pill:not(.long)').first
    assert outcome.evaluate("p => getComputedStyle(p).whiteSpace") == "nowrap"
    for pill in page.locator('[data-view="overview"] tbody .pill.long').all():  # in its box
        assert pill.evaluate("p => p.scrollWidth <= p.clientWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_folders_header_is_short_and_its_trace_note_readable(report_dir: Path, open_report,
                                                               width: int) -> None:
    """A folder's report names the folder once, not each trace, and the note on the trace
    download keeps a readable width beside the header (it was squeezed to a column of a
    word or two a line); on a phone it goes below the title."""
    report = open_report(report_dir / "collector-folder.html")
    page = report.page
    page.set_viewport_size({"width": width, "height": 900})
    provenance = page.locator(".page-head .provenance").first.inner_text()
    assert re.search(r"from 8 traces in \S*collector/\.", provenance), provenance
    assert page.locator(".page-head .provenance code").count() == 1
    note = page.locator("#trace-note").bounding_box()
    title = page.locator(".page-head h1").bounding_box()
    assert note is not None and title is not None
    assert note["width"] >= min(224, width - 60)  # 14rem, or the phone's width
    if width < 640:
        assert note["y"] > title["y"] + title["height"]
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")


def test_the_trace_note_keeps_its_width_beside_a_long_header(tmp_path: Path,
                                                             open_report) -> None:
    """Traces from many folders are each named; however long that gets, the note beside
    the header keeps at least 14rem."""
    source = FIXTURES / "collector" / "collector-clean-feature.jsonl"
    traces = []
    for i in range(12):
        folder = tmp_path / f"a-long-folder-name-for-trace-{i}" / "with-another-level-below"
        folder.mkdir(parents=True)
        traces.append(folder / f"trace-{i}.jsonl")
        traces[-1].write_bytes(source.read_bytes())
    sessions = attoreport.load([str(t) for t in traces])
    (tmp_path / "r.html").write_text(attoreport.render_html(
        [attoreport.analyse(s) for s in sessions]), encoding="utf-8")
    page = open_report(tmp_path / "r.html").page
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator(".page-head .provenance code").count() == 12
    note = page.locator("#trace-note").bounding_box()
    assert note is not None and note["width"] >= 224


def test_timeline_bars_are_one_lane_thick(tmp_path: Path, open_report) -> None:
    """Model calls only in the main agent and in a subagent six lanes below: Plotly sized
    their bars by that gap, drawing them six lanes tall across the others; and it padded the
    axis with empty lanes above and below."""
    events = [event("llm_response", 10.0, 1, tokens=5, duration_ms=4000.0)]
    for n in range(1, 7):
        kind, data = (("llm_response", {"tokens": 5}) if n == 6 else ("tool_end", {"tool": "t"}))
        events.append(event(kind, 10.0 + n, 1, agent_id=f"sub-{n}", duration_ms=3000.0, **data))
    sessions = attoreport.load([str(write_trace(tmp_path / "t.jsonl", events))])
    (tmp_path / "r.html").write_text(attoreport.render_html(
        [attoreport.analyse(s) for s in sessions]), encoding="utf-8")
    page = open_report(tmp_path / "r.html").page
    wait_for_charts(page)
    plot = page.locator('[data-view="timeline"] .js-plotly-plot')
    lanes, low, high = plot.evaluate("""g => { const y = g._fullLayout.yaxis;
        return [y.tickvals.length, ...y.range]; }""")
    assert (low, high) == (lanes - 0.5, -0.5) and lanes == 7  # the main agent, 6 subagents
    pitch = plot.evaluate("g => g._fullLayout.yaxis._length") / lanes
    heights = plot.locator(".barlayer path").evaluate_all(
        "paths => paths.map(p => p.getBoundingClientRect().height)")
    assert len(heights) >= 7 and max(heights) <= pitch


def test_the_cost_axis_labels_are_whole(tmp_path: Path, open_report) -> None:
    """A costly run's cost axis read "$5,000.0" cut at the chart's right edge, under its
    title; its labels now fit inside the chart."""
    # totals of about $90, $5,000 and $1,000,000
    for cost, cents in ((0.2, True), (25.0, False), (5000.0, False)):
        events = [event("llm_response", float(i), i, tokens=10, cost=cost + i / 400)
                  for i in range(1, 200)]
        trace = write_trace(tmp_path / f"{cost}.jsonl", events)
        sessions = attoreport.load([str(trace)])
        report = tmp_path / f"{cost}.html"
        report.write_text(attoreport.render_html([attoreport.analyse(s) for s in sessions]),
                          encoding="utf-8")
        page = open_report(report).page
        wait_for_charts(page)
        plot = page.locator('[data-view="token-flow"] .js-plotly-plot').first
        right = plot.evaluate("g => g.getBoundingClientRect().right")
        labels = plot.locator(".y2tick text").evaluate_all(
            "ts => ts.map(t => [t.textContent, t.getBoundingClientRect().right])")
        assert labels and all(t.startswith("$") and ("." in t) == cents for t, _ in labels)
        assert max(edge for _, edge in labels) <= right


def test_only_a_tools_failure_figures_are_red(report_dir: Path, open_report) -> None:
    """A tool that failed showed its whole row in red; in a long run every tool fails now
    and then, so every row was red. Now its failure figures are, the rest reads as usual."""
    page = open_report(report_dir / "collector-doom-loop-tool-errors.html").page
    rows = page.locator('[data-view="tools"] tbody tr')
    failing, clean = rows.filter(has=page.locator("td.fails")).and_(
        page.locator("tr.failing")).first, rows.and_(page.locator("tr:not(.failing)")).first
    color = "e => getComputedStyle(e).color"
    red = failing.locator("td.fails").first.evaluate(color)
    assert failing.locator("th").evaluate(color) != red
    assert failing.locator("td:not(.fails)").first.evaluate(color) != red
    assert clean.locator("td.fails").first.evaluate(color) != red


def test_dark_theme_follows_the_system_and_print_is_light(report_dir: Path, browser) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto((report_dir / "collector-clean-feature.html").resolve().as_uri())
        wait_for_charts(page)
        background = "() => getComputedStyle(document.documentElement).backgroundColor"
        assert page.evaluate(background) == "rgb(22, 24, 28)"
        assert page.locator("#theme-toggle").inner_text() == "Light theme"
        font = page.evaluate(
            "() => document.querySelector('[data-chart] .main-svg text').style.fill")
        assert font.replace(" ", "") == "rgb(230,232,235)"  # chart text follows the theme
        page.emulate_media(media="print")
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        assert page.locator(".filters").first.is_hidden()
        assert page.locator(".views-nav").first.is_hidden()
    finally:
        context.close()


def test_a_malformed_link_does_not_stop_the_page(report_dir: Path, browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto((report_dir / "collector-clean-feature.html").resolve().as_uri() + "#%E0")
        wait_for_charts(page)
        assert errors == []
    finally:
        context.close()


def test_the_log_shows_what_the_agent_ran_and_search_finds_it(report_dir: Path,
                                                              open_report, expect: Any) -> None:
    report = open_report(report_dir / "collector-doom-loop-tool-errors.html")
    page = report.page
    section = page.locator("section[data-session-id]").first
    log = section.locator("table.log")
    log.scroll_into_view_if_needed()  # a view is laid out (and its text rendered) when reached
    expect(log).to_contain_text("pytest -q", use_inner_text=True)
    commands = log.locator("code.subject").all_inner_texts()
    assert "pytest -q" in commands and "dates/parse.py" in commands
    assert log.locator("tbody tr", has_text="1 passed").count() >= 1
    section.locator('[data-filter="text"]').fill("pytest")
    visible = log.locator("tbody tr:not([hidden]):not(.gap)")
    assert visible.count() >= 5
    assert all("pytest" in text for text in visible.all_inner_texts())
    evidence = section.locator('[data-view="summary"] [data-evidence]')
    assert evidence.locator("tr.run.passed", has_text="1 passed").count() == 1
    assert evidence.locator("code", has_text="dates/parse.py").count() == 1


def test_the_summary_says_whether_the_job_got_done(report_dir: Path, open_report) -> None:
    report = open_report(report_dir / "collector-doom-loop-tool-errors.html",
                         javascript_enabled=False)
    summary = report.page.locator('[data-view="summary"]').first
    assert summary.locator(".outcome").inner_text() == "Completed: tests pass"
    assert "not whether it did the job" in summary.locator(".score-caveat").inner_text()
    tiles = {t.locator("dt").inner_text(): t.locator("dd").inner_text()
             for t in summary.locator(".stat").all()}
    assert tiles["Model calls"].startswith("11") and tiles["Tool calls"].startswith("10")
    assert "11 model calls" in summary.locator(".narrative").inner_text()


def test_views_far_below_are_laid_out_when_the_reader_reaches_them(report_dir: Path,
                                                                  open_report, expect: Any) -> None:
    """Each view (summary, issues, …, tree) is laid out only near the viewport
    (content-visibility), so the page's first layout, and with it the charts, come sooner
    (about 0.5 s on a 100k-event report); a far view's text is there once reached, and
    printing lays out everything."""
    report = open_report(report_dir / "collector-doom-loop-tool-errors.html")
    page = report.page
    views = page.locator("section.view")
    assert set(views.evaluate_all("els => els.map(e => getComputedStyle(e).contentVisibility)")
               ) == {"auto"}
    tree = page.locator('[data-view="tree"]').first
    title = tree.locator("h3")  # the view's own box is laid out; what it holds is skipped
    assert title.evaluate("e => e.checkVisibility({contentVisibilityAuto: true})") is False
    # The view's link lands on it (below the sticky links), or at the page's end for the last
    # view, once the views it passed are drawn at their real height.
    page.locator('a[href="#s1-tree"]').first.click()
    page.wait_for_function("""() => {
        const top = document.getElementById("s1-tree").getBoundingClientRect().top;
        const end = document.documentElement.scrollHeight - window.innerHeight;
        return (top >= 0 && top < 80) || (top > 0 && window.scrollY >= end - 1);
    }""")
    expect(title).to_have_text("Iteration tree", use_inner_text=True)
    assert title.evaluate("e => e.checkVisibility({contentVisibilityAuto: true})") is True
    page.emulate_media(media="print")
    assert set(views.evaluate_all("els => els.map(e => getComputedStyle(e).contentVisibility)")
               ) == {"visible"}
    assert not report.console_errors


def test_a_report_of_many_sessions_lays_out_what_the_reader_reaches(
        tmp_path: Path, open_report) -> None:
    """Sessions far below the viewport are not laid out or painted until the reader gets
    near them (content-visibility), so drawing a chart does not lay out the whole page; the
    charts in view are drawn first; a link to a far session lands on it, its text is there
    and its charts get drawn; every chart is drawn in the end. (Plotly draws every chart
    here: the limits let it, as they do for a report of a few sessions.)"""
    import sys
    from dataclasses import replace

    from attoreport.limits import DEFAULT_LIMITS

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import generate

    generate.write_folder(tmp_path / "runs", 12, 400, seed=9)
    sessions = attoreport.load([str(tmp_path / "runs")], jobs=1)
    path = tmp_path / "many.html"
    path.write_text(attoreport.render_html([attoreport.analyse(s) for s in sessions],
                                           limits=replace(DEFAULT_LIMITS, plotly_sections=12)),
                    encoding="utf-8")
    report = open_report(path)
    page = report.page
    assert page.locator("[data-static-chart]").count() == 0
    styles = page.locator("section.session").evaluate_all(
        "els => els.map(e => getComputedStyle(e).contentVisibility)")
    assert len(styles) == 12 and set(styles) == {"auto"}
    far = page.locator("#s12")
    first_drawn = page.wait_for_function(
        "() => document.querySelector('[data-chart][data-drawn]')").evaluate(
        "el => el.closest('section.session, [data-view=overview]').id")
    assert first_drawn in ("overview", "s1")  # what the reader sees first is drawn first
    page.locator('a[href="#s12"]').first.click()
    page.wait_for_function("() => Math.abs(document.getElementById('s12')"
                           ".getBoundingClientRect().top) < 5")
    assert "Session" in far.locator("h2").first.inner_text()  # laid out now that it is in view
    page.wait_for_function(
        "() => document.querySelector('#s12 [data-chart][data-drawn] .main-svg')")
    wait_for_charts(page)
    assert not report.console_errors


def test_a_report_of_many_sessions_has_its_charts_drawn_as_svg_at_once(
        tmp_path: Path, open_report) -> None:
    """More sessions than Plotly draws: every chart is SVG written into the report, so it is
    there as soon as the page is (scripts on or off), in the theme's colours, with a tooltip
    on each bar."""
    from attoreport.limits import DEFAULT_LIMITS

    sessions = attoreport.load([str(FIXTURES / "collector")])
    assert len(sessions) > DEFAULT_LIMITS.plotly_sections
    path = tmp_path / "many.html"
    path.write_text(attoreport.render_html([attoreport.analyse(s) for s in sessions]),
                    encoding="utf-8")
    for scripts in (False, True):
        report = open_report(path, javascript_enabled=scripts)
        page = report.page
        charts = page.locator("[data-static-chart] svg.static-chart")
        assert charts.count() == 3 + 4 * len(sessions)
        assert page.locator("[data-chart], .chart-fallback").count() == 0
        for chart in (page.locator("#overview-cost-chart svg"),
                      page.locator("#s1-token-flow-chart svg")):
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 150
        tips = page.locator("#s1-token-flow-chart svg g rect title").all_text_contents()
        assert tips and all(re.fullmatch(r"Iteration \d+: [\d,]+ [a-z ]+ tokens", t)
                            for t in tips)
        assert report.console_errors == [] and report.network_requests == []
    fill = "() => getComputedStyle(document.querySelector('#s1-token-flow-chart text.legend')).fill"
    assert page.evaluate(fill) == "rgb(28, 30, 33)"  # the light theme's text colour
    page.locator("#theme-toggle").click()
    assert page.evaluate(fill) == "rgb(230, 232, 235)"  # and the dark theme's
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: the chart's box scrolls
    chart = page.locator("#s1-token-flow-chart")
    chart.scroll_into_view_if_needed()
    box = chart.locator("svg").bounding_box()
    assert box and box["width"] >= 620  # its text stays at least 8 px high
    assert chart.evaluate("c => c.scrollWidth > c.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")  # not the page
