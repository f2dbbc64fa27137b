"""The report's view model: one view per section, assembled per session and for the page."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from attoreport.analysis import Analysis
from attoreport.analysis.compare import BaselineComparison, SessionComparison
from attoreport.analysis.insights import Insights, insights
from attoreport.analysis.timeline import Timeline
from attoreport.analysis.tree import TreeNode
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.report import (
    cache,
    comparison,
    diagnostics,
    efficiency,
    issues,
    overview,
    summary,
    timeline,
    tokens,
    tools,
    tree,
)
from attoreport.report import format as fmt
from attoreport.report.common import Chart, Context, plural
from attoreport.report.perfetto import bounded_trace
from attoreport.textsafe import shown, shown_path

if TYPE_CHECKING:
    from attoreport.report.swarm import SwarmView
    from attoreport.swarm.results import SwarmAnalysis


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class SessionView:
    """Everything one session's `<section>` shows, one view per section."""

    #: Safe DOM id prefix ("s1"), never from the trace.
    anchor: str
    session_id: str
    source: str
    nav: list[NavLink]
    summary: summary.SummaryView
    issues: issues.IssuesView
    efficiency: efficiency.EfficiencyView
    tokens: tokens.TokensView
    cache: cache.CacheView
    tools: tools.ToolsView
    timeline: timeline.TimelineView
    tree: tree.TreeView
    diagnostics: diagnostics.DiagnosticsView | None
    #: Against the baseline session (only with a baseline).
    comparison: comparison.ComparisonView | None = None

    @property
    def charts(self) -> list[Chart]:
        found = [self.efficiency.chart, self.tokens.chart, self.cache.chart, self.timeline.chart]
        return [c for c in found if c is not None]


@dataclass(frozen=True, slots=True)
class TraceExportView:
    """The "Download trace (Perfetto)" button: the embedded trace and what it covers."""

    #: Chrome Trace Event Format JSON (escaped for its `<script>` by the html stage).
    json: str
    #: Said beside the button: what the file holds and where to open it.
    note: str
    file_name: str = "attoreport-trace.json"


#: A folder holding at least this many of the report's traces is named once, with a count.
FOLDER_TRACES = 6
#: The header names at most this many files and folders, then how many more files.
SOURCE_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """A file the report was made from, or a folder and how many of its traces."""

    path: str
    traces: int = 1

    @property
    def count(self) -> str:
        """"1,000 traces in", or "" for a single file."""
        return f"{plural(self.traces, 'trace')} in" if self.traces > 1 else ""


def source_entries(swarm_sources: Sequence[str], trace_sources: Sequence[str],
                   limit: int) -> tuple[list[SourceEntry], str]:
    """How the header names what the report was made from: each run folder and trace file,
    except that the traces of a folder holding FOLDER_TRACES or more of them are one entry
    ("1,000 traces in …/runs/"), so a folder's report does not open with a wall of paths.
    At most SOURCE_ENTRIES entries; then how many more files ("and 12 more files")."""
    traces = list(dict.fromkeys(s for s in trace_sources if s not in swarm_sources))
    folders = Counter(map(_folder, traces))
    entries = [SourceEntry(shown_path(s, limit)) for s in dict.fromkeys(swarm_sources)]
    grouped: set[str] = set()
    for source in traces:
        folder = _folder(source)
        if not folder or folders[folder] < FOLDER_TRACES:
            entries.append(SourceEntry(shown_path(source, limit)))
        elif folder not in grouped:
            grouped.add(folder)
            entries.append(SourceEntry(shown_path(folder, limit), folders[folder]))
    left = sum(e.traces for e in entries[SOURCE_ENTRIES:])
    return entries[:SOURCE_ENTRIES], plural(left, "more file") if left else ""


def _folder(source: str) -> str:
    """The folder part of a trace's path, with its separator ("runs/"), or "" for none."""
    cut = max(source.rfind("/"), source.rfind(os.sep))
    return source[: cut + 1] if cut > 0 else ""


@dataclass(frozen=True, slots=True)
class ReportView:
    title: str
    generated_at: str
    version: str
    sources: list[SourceEntry]
    overview: overview.OverviewView | None
    sessions: list[SessionView]
    trace: TraceExportView
    #: How the sessions paired with the baseline (only with a baseline).
    baseline: comparison.BaselineView | None = None
    #: One view per attoswarm run folder, shown first.
    swarms: list[SwarmView] = field(default_factory=list)
    #: What redaction removed ("7 secrets redacted: …"), or that it was turned off.
    redaction: str = ""
    #: How many files the header does not name ("980 more files"), or "".
    more_sources: str = ""

    @property
    def charts(self) -> list[Chart]:
        found = [chart for swarm in self.swarms for chart in swarm.charts]
        found += list(self.overview.charts) if self.overview is not None else []
        for session in self.sessions:
            found.extend(session.charts)
        return found

    @property
    def static_charts(self) -> bool:
        """Whether the charts are drawn into the file (SVG) rather than by Plotly."""
        return any(chart.svg is not None for chart in self.charts)


def build_report(analyses: Sequence[Analysis], *, version: str, title: str | None = None,
                 now: datetime | None = None, limits: Limits = DEFAULT_LIMITS,
                 compared: BaselineComparison | None = None,
                 swarms: Sequence[SwarmAnalysis] = ()) -> ReportView:
    """A section for each of the first `limits.session_sections` sessions and, with several
    sessions, an overview listing them all; before them a view of each swarm run. With
    `compared` (one comparison per analysis, as `compare()` returns them), each section
    compares its session with the baseline."""
    shown_analyses = analyses[: limits.session_sections]
    share = limits.share(len(shown_analyses))
    found = [insights(a, share) for a in shown_analyses]
    pairs = list(compared.sessions) if compared is not None else []
    # Plotly draws a few sessions' charts; beyond that (or when told, with 0) they are SVG.
    static_charts = not limits.plotly_sections or len(shown_analyses) > limits.plotly_sections
    sessions = [session_view(a, f"s{i}", share, found=f,
                             compared=pairs[i - 1] if i <= len(pairs) else None,
                             static_charts=static_charts)
                for i, (a, f) in enumerate(zip(shown_analyses, found, strict=True), start=1)]
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if len(analyses) == 1:
        default_title = "Agent session report: " + sessions[0].session_id
    else:
        default_title = f"Agent session report: {fmt.count(len(analyses))} sessions"
    swarm_views = _swarm_views(swarms, limits, static_charts)
    if swarm_views:
        default_title = ("Swarm run report: " + swarm_views[0].run_id if len(swarms) == 1
                         else f"Swarm run report: {fmt.count(len(swarms))} runs")
    sources, more_sources = source_entries([s.source for s in swarms],
                                           [a.session.source for a in analyses],
                                           limits.name_chars)
    return ReportView(
        title=shown(title, 200) if title else default_title,
        generated_at=moment.strftime("%Y-%m-%d %H:%M UTC"),
        version=version,
        sources=sources,
        more_sources=more_sources,
        overview=overview.build(analyses, len(shown_analyses), limits,
                                static_charts=static_charts),
        sessions=sessions,
        trace=trace_export(shown_analyses, [f.timeline for f in found], len(analyses),
                           version, limits),
        baseline=comparison.baseline_view(compared, limits) if compared is not None else None,
        swarms=swarm_views,
    )


def _swarm_views(swarms: Sequence[SwarmAnalysis], limits: Limits,
                 static_charts: bool) -> list[SwarmView]:
    """A view of each swarm run (the swarm view's module is imported only when there is one)."""
    if not swarms:
        return []
    from attoreport.report.swarm import swarm_view

    return [swarm_view(a, f"w{i}", limits, static_charts=static_charts)
            for i, a in enumerate(swarms, start=1)]


def trace_export(shown_analyses: Sequence[Analysis], timelines: Sequence[Timeline],
                 sessions: int, version: str, limits: Limits) -> TraceExportView:
    """The embedded Perfetto trace of what the report shows, and the note that says so."""
    trace = bounded_trace(shown_analyses, timelines, version=version,
                          max_events=limits.trace_events, limits=limits)
    where = "Open it at ui.perfetto.dev or in chrome://tracing."
    if trace.capped or sessions > len(shown_analyses):
        note = (f"Covers what this report shows: {fmt.count(trace.exported)} of "
                f"{fmt.count(trace.total)} events (failures first, spread over the run, then the "
                f"longest calls)"
                + (f", for the first {fmt.count(len(shown_analyses))} of "
                   f"{fmt.count(sessions)} sessions" if sessions > len(shown_analyses) else "")
                + ". attoreport --export-trace PATH writes the whole trace. " + where)
    else:
        note = (f"The whole trace ({plural(trace.total, 'event')}) in Chrome's trace format. "
                + where)
    return TraceExportView(trace.text, note)


def session_view(analysis: Analysis, anchor: str, limits: Limits = DEFAULT_LIMITS, *,
                 found: Insights | None = None,
                 compared: SessionComparison | None = None,
                 static_charts: bool = False) -> SessionView:
    found = found if found is not None else insights(analysis, limits)
    rows = _rows_shown(found) | set(summary.evidence_rows(analysis))
    details = analysis.session.details(sorted(rows))
    ctx = Context(anchor, analysis, found, limits, details, static_charts=static_charts)
    score = efficiency.score_view(analysis)
    issues_view = issues.build(ctx)
    views = {
        "summary": summary.build(ctx, score, issues_view.groups, glossary=anchor == "s1"),
        "issues": issues_view,
        "efficiency": efficiency.build(ctx, score),
        "tokens": tokens.build(ctx),
        "cache": cache.build(ctx),
        "tools": tools.build(ctx),
        "timeline": timeline.build(ctx),
        "diagnostics": diagnostics.build(ctx),
    }
    views["tree"] = tree.build(ctx)  # last: it anchors every iteration linked above
    diag = views["diagnostics"]
    nav = [NavLink("Summary", f"#{anchor}-summary")]
    compared_view = None
    if compared is not None:
        compared_view = comparison.comparison_view(
            compared, limits, comparison.duration_matches(analysis))
        nav.append(NavLink("Baseline", f"#{anchor}-comparison"))
    nav += [NavLink(f"Issues ({fmt.count(issues_view.total)})", f"#{anchor}-issues"),
            NavLink("Efficiency", f"#{anchor}-efficiency"),
            NavLink("Tokens", f"#{anchor}-token-flow"),
            NavLink("Cache", f"#{anchor}-cache"),
            NavLink("Tools", f"#{anchor}-tools"),
            NavLink("Timeline", f"#{anchor}-timeline"),
            NavLink("Tree", f"#{anchor}-tree")]
    if diag is not None:
        nav.append(NavLink(f"Diagnostics ({fmt.count(analysis.session.damaged_lines)})",
                           f"#{anchor}-diagnostics"))
    return SessionView(anchor=anchor, session_id=ctx.name(analysis.session.session_id),
                       source=ctx.path(analysis.session.source), nav=nav,
                       comparison=compared_view, **views)  # type: ignore[arg-type]


def _rows_shown(found: Insights) -> set[int]:
    rows = set(found.events.rows)
    rows.update(s.event for s in found.timeline.spans if s.event >= 0)
    rows.update(m.event for m in found.timeline.markers)
    rows.update(node.row for node in _walk(found.tree.roots) if node.row >= 0)
    return rows


def _walk(nodes: list[TreeNode]) -> Iterator[TreeNode]:
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))
