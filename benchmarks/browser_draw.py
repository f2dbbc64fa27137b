"""How a report behaves in headless Chromium: time to draw every chart, main-thread blocking, dead links.

Issue 10 asks for every chart drawn within 3 s of opening the report and for every in-page
link to resolve. This opens each report from its file:// URL in a fresh headless Chromium
(Debian's /usr/bin/chromium through Playwright, network blocked, the same flags as the browser
tests) and prints:

- charts: how many charts the page has, and how many got drawn: a Plotly chart (`[data-chart]`)
  once it holds a drawn plot, a static one (`[data-static-chart]`, SVG written into the report
  for reports with many sessions) once it holds its `<svg>`;
- charts s: time from navigation start until every chart holds a drawn plot (`.main-svg`),
  checked on every animation frame;
- DOM s / load s: DOMContentLoaded and load event ends;
- longest ms / blocked ms: the longest main-thread task and the sum of all long tasks (> 50 ms),
  from the browser's Long Tasks API, up to the moment the charts are drawn plus a short settle;
- dead / links: in-page links (`href="#..."`) whose target id (or anchor name) is missing;
- DOM nodes, JS heap MB (Chromium's own metrics) and the peak memory of all Chromium's processes
  together (proportional set size, shared pages split between processes; sampled every 50 ms);
- errors: uncaught page errors and console errors (a broken script draws nothing).

Each report is measured in a child process that is killed, with its browser, if it takes
longer than three times --timeout plus a minute: a page that hangs cannot hang the caller.

    python benchmarks/browser_draw.py report.html [other.html ...] [--timeout 60] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import TreeSampler, descendants, format_table, tree_pss_kib  # noqa: E402  (a sibling script, not a package)

CHROMIUM = "/usr/bin/chromium"
#: As tests/browser/conftest.py: without these Chromium tries to reach Google services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
#: Long tasks are reported once they end; this much quiet after the charts lets the last arrive.
SETTLE_MS = 500
EXAMPLES = 5

#: Installed before any page script: collects long tasks as the page runs.
OBSERVE_LONG_TASKS = """
window.__bench = { longTasks: [], chartsAt: null };
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__bench.longTasks.push([e.startTime, e.duration]); });
  }).observe({ type: "longtask", buffered: true });
} catch (e) { window.__bench.noLongTasks = String(e); }
"""

#: True once the document has loaded and every chart holds a drawn plot; notes the time once.
CHARTS_DRAWN = """
() => {
  if (document.readyState !== "complete") return false;
  var charts = document.querySelectorAll("[data-chart], [data-static-chart]");
  for (var i = 0; i < charts.length; i += 1) {
    if (!charts[i].querySelector(".main-svg, svg.static-chart")) return false;
  }
  if (window.__bench.chartsAt === null) window.__bench.chartsAt = performance.now();
  return true;
}
"""

#: Counts of charts and in-page links, and which links point at nothing.
PAGE_FACTS = """
(examples) => {
  var charts = document.querySelectorAll("[data-chart], [data-static-chart]");
  var drawn = 0;
  charts.forEach(function (el) { if (el.querySelector(".main-svg, svg.static-chart")) drawn += 1; });
  // One pass over the targets: a lookup per link would rescan a large page for every link.
  var targets = new Set();
  document.querySelectorAll("[id]").forEach(function (el) { targets.add(el.id); });
  document.querySelectorAll("a[name]").forEach(function (el) { targets.add(el.getAttribute("name")); });
  var links = document.querySelectorAll('a[href^="#"]');
  var dead = [];
  links.forEach(function (a) {
    var raw = a.getAttribute("href").slice(1), id = raw;
    try { id = decodeURIComponent(raw); } catch (e) { id = raw; }
    if (id === "" || id.toLowerCase() === "top") return;
    if (!targets.has(id)) dead.push(raw);
  });
  var nav = performance.getEntriesByType("navigation")[0] || {};
  return {
    charts: charts.length, drawn: drawn, links: links.length, dead: dead.length,
    examples: dead.slice(0, examples), nodes: document.getElementsByTagName("*").length,
    domContentLoaded: nav.domContentLoadedEventEnd || null, load: nav.loadEventEnd || null,
    chartsAt: window.__bench.chartsAt, longTasks: window.__bench.longTasks
  };
}
"""


@dataclass
class Draw:
    """What one report did in Chromium (times in milliseconds from navigation start)."""

    report: Path
    charts: int = 0
    drawn: int = 0
    charts_ms: float | None = None
    dom_content_loaded_ms: float | None = None
    load_ms: float | None = None
    longest_task_ms: float = 0.0
    long_tasks: int = 0
    blocked_ms: float = 0.0
    links: int = 0
    dead_links: int = 0
    dead_examples: list[str] = field(default_factory=list)
    dom_nodes: int = 0
    js_heap_mb: float = 0.0
    chromium_mb: float = 0.0
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False


    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "report": str(self.report)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Draw:
        return cls(**{**raw, "report": Path(raw["report"])})


@contextmanager
def _chromium(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _browser_pid(browser: Any) -> int | None:
    """The browser process's id, from the DevTools protocol (None if it will not say)."""
    try:
        session = browser.new_browser_cdp_session()
        info = session.send("SystemInfo.getProcessInfo")
        session.detach()
    except Exception:  # an older Chromium without this method: memory is then not sampled
        return None
    for process in info.get("processInfo", []):
        if process.get("type") == "browser":
            return int(process["id"])
    return None


def measure_draw(report: Path, *, chromium: str = CHROMIUM, timeout_s: float = 60.0) -> Draw:
    """Open `report` in a fresh headless Chromium and measure it (see the module docstring)."""
    result = Draw(report)
    with _chromium(chromium) as browser:
        pid = _browser_pid(browser)
        sampler = TreeSampler(pid, 0.05, tree_pss_kib) if pid is not None else None
        context = browser.new_context(viewport=VIEWPORT)
        context.route("http://**/*", lambda route: route.abort("blockedbyclient"))
        context.route("https://**/*", lambda route: route.abort("blockedbyclient"))
        context.add_init_script(OBSERVE_LONG_TASKS)
        page = context.new_page()
        page.on("pageerror", lambda exc: result.errors.append(f"{exc.name}: {exc.message}"))
        page.on("console", lambda msg: result.errors.append(msg.text)
                if msg.type == "error" else None)
        if sampler is not None:
            sampler.start()
        try:
            page.goto(report.resolve().as_uri(), wait_until="commit",
                      timeout=timeout_s * 1000)
            page.wait_for_function(CHARTS_DRAWN, polling="raf", timeout=timeout_s * 1000)
        except Exception as exc:  # playwright's TimeoutError: report what was drawn by then
            if exc.__class__.__name__ != "TimeoutError":
                raise
            result.timed_out = True
        page.wait_for_timeout(SETTLE_MS)
        facts = page.evaluate(PAGE_FACTS, EXAMPLES)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        if sampler is not None:
            result.chromium_mb = sampler.stop() / 1024
        context.close()
    _fill(result, facts, metrics)
    return result


def measure_draw_isolated(report: Path, *, chromium: str = CHROMIUM, timeout_s: float = 60.0,
                          limit_s: float | None = None) -> Draw:
    """`measure_draw` in a child process, killed with its browser after `limit_s` seconds."""
    limit = limit_s if limit_s is not None else 3 * timeout_s + 60
    argv = [sys.executable, str(Path(__file__).resolve()), "--json", "--timeout", str(timeout_s),
            "--chromium", chromium, str(report)]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_tree(process.pid)
        process.communicate()
        return Draw(report, timed_out=True, errors=[f"gave up after {limit:.0f} s"])
    if process.returncode != 0:
        tail = err.decode("utf-8", "replace")[-300:]
        return Draw(report, errors=[f"browser_draw.py failed: {tail}"])
    return Draw.from_json(json.loads(out)[0])


def _kill_tree(pid: int) -> None:
    """SIGKILL a process, everything it started, and its process group."""
    for victim in [*descendants(pid), pid]:
        with suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    with suppress(ProcessLookupError):  # what was started but moved away from its parent
        os.killpg(pid, signal.SIGKILL)


def _fill(result: Draw, facts: dict[str, Any], metrics: dict[str, float]) -> None:
    result.charts, result.drawn = facts["charts"], facts["drawn"]
    result.charts_ms = facts["chartsAt"]
    result.dom_content_loaded_ms, result.load_ms = facts["domContentLoaded"], facts["load"]
    charts_at = facts["chartsAt"]
    tasks = [(start, duration) for start, duration in facts["longTasks"]
             if charts_at is None or start <= charts_at]
    result.long_tasks = len(tasks)
    result.longest_task_ms = max((d for _, d in tasks), default=0.0)
    result.blocked_ms = sum(d for _, d in tasks)
    result.links, result.dead_links = facts["links"], facts["dead"]
    result.dead_examples = [_printable(e) for e in facts["examples"]]
    result.dom_nodes = facts["nodes"]
    result.js_heap_mb = metrics.get("JSHeapUsedSize", 0.0) / 2**20


def _printable(text: str, limit: int = 80) -> str:
    """A link target from the page (it may come from a trace): escaped and bounded."""
    shown = ascii(text[:limit])[1:-1]
    return shown + ("..." if len(text) > limit else "")


def _seconds(ms: float | None) -> str:
    return f"{ms / 1000:.2f}" if ms is not None else "-"


#: Issue 10: every chart drawn within this long of opening the report.
CHARTS_TARGET_S = 3.0


def target_lines(label: str, draw: Draw) -> list[str]:
    """Issue 10's targets for one report in the browser, met or not: every chart drawn
    within CHARTS_TARGET_S, and no dead in-page link."""
    seconds = draw.charts_ms / 1000 if draw.charts_ms is not None else None
    drawn = (seconds is not None and not draw.timed_out and draw.drawn == draw.charts
             and seconds <= CHARTS_TARGET_S)
    shown = f"{seconds:.2f} s" if seconds is not None else "never"
    return [f"  {'met' if drawn else 'NOT met':7}  every chart drawn [{label}]: {shown}, "
            f"{draw.drawn}/{draw.charts} (target <= {CHARTS_TARGET_S:g} s)",
            f"  {'met' if draw.dead_links == 0 else 'NOT met':7}  in-page links resolve "
            f"[{label}]: {draw.dead_links:,} dead of {draw.links:,} (target 0)"]


def table(reports: Sequence[tuple[str, Path]], *, chromium: str = CHROMIUM,
          timeout_s: float = 60.0) -> list[str]:
    """Measure each (label, report) and lay the figures out as a text table, then the
    targets each meets or not."""
    header = ("report", "charts", "charts s", "DOM s", "load s", "longest ms", "blocked ms",
              "dead/links", "DOM nodes", "heap MB", "chromium MB", "errors")
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    targets: list[str] = []
    for label, path in reports:
        draw = measure_draw_isolated(path, chromium=chromium, timeout_s=timeout_s)
        targets += target_lines(label, draw)
        charts = f"{draw.drawn}/{draw.charts}" + (" (timed out)" if draw.timed_out else "")
        rows.append((label, charts, _seconds(draw.charts_ms), _seconds(draw.dom_content_loaded_ms),
                     _seconds(draw.load_ms), f"{draw.longest_task_ms:.0f}",
                     f"{draw.blocked_ms:.0f}", f"{draw.dead_links:,}/{draw.links:,}",
                     f"{draw.dom_nodes:,}", f"{draw.js_heap_mb:.0f}",
                     f"{draw.chromium_mb:.0f}" if draw.chromium_mb else "-",
                     str(len(draw.errors))))
        if draw.dead_examples:
            notes.append(f"  {label}: dead links such as " + ", ".join(
                f"#{e}" for e in draw.dead_examples))
        for error in draw.errors[:3]:
            notes.append(f"  {label}: page error: {_printable(error, 200)}")
    return format_table(header, rows, left={0}) + notes + ["", "issue 10 targets, in the "
                                                           "browser:", *targets]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for the charts (default 60)")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--json", action="store_true",
                        help="measure in this process and print the figures as JSON")
    args = parser.parse_args(argv)
    missing = [r for r in args.reports if not r.is_file()]
    if missing:
        print(f"browser_draw.py: no such file: {missing[0]}", file=sys.stderr)
        return 2
    if args.json:
        draws = [measure_draw(r, chromium=args.chromium, timeout_s=args.timeout)
                 for r in args.reports]
        print(json.dumps([d.to_json() for d in draws]))
        return 0
    for line in table([(r.name, r) for r in args.reports], chromium=args.chromium,
                      timeout_s=args.timeout):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
