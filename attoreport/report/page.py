"""The report's view model: one view per section, assembled per session and for the page."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from attoreport.analysis import Analysis
from attoreport.analysis.insights import Insights, insights
from attoreport.analysis.tree import TreeNode
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.report import (
    cache,
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
from attoreport.report.swarm import SwarmView, swarm_view
from attoreport.swarm.results import SwarmAnalysis
from attoreport.textsafe import shown


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

    @property
    def charts(self) -> list[Chart]:
        found = [self.efficiency.chart, self.tokens.chart, self.cache.chart, self.timeline.chart]
        return [c for c in found if c is not None]


@dataclass(frozen=True, slots=True)
class ReportView:
    title: str
    generated_at: str
    version: str
    sources: list[str]
    overview: overview.OverviewView | None
    sessions: list[SessionView]
    #: One view per attoswarm run folder, shown first.
    swarms: list[SwarmView] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        found = [chart for swarm in self.swarms for chart in swarm.charts]
        found += list(self.overview.charts) if self.overview is not None else []
        for session in self.sessions:
            found.extend(session.charts)
        return found


def build_report(analyses: Sequence[Analysis], *, version: str, title: str | None = None,
                 now: datetime | None = None, limits: Limits = DEFAULT_LIMITS,
                 swarms: Sequence[SwarmAnalysis] = ()) -> ReportView:
    """A section for each of the first `limits.session_sections` sessions and, with several
    sessions, an overview listing them all; before them a view of each swarm run."""
    shown_analyses = analyses[: limits.session_sections]
    share = limits.share(len(shown_analyses))
    sessions = [session_view(a, f"s{i}", share) for i, a in enumerate(shown_analyses, start=1)]
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if len(analyses) == 1:
        default_title = "Agent session report: " + sessions[0].session_id
    else:
        default_title = f"Agent session report: {fmt.count(len(analyses))} sessions"
    swarm_views = [swarm_view(a, f"w{i}") for i, a in enumerate(swarms, start=1)]
    if swarm_views:
        default_title = ("Swarm run report: " + swarm_views[0].run_id if len(swarms) == 1
                         else f"Swarm run report: {fmt.count(len(swarms))} runs")
    sources = list(dict.fromkeys([*(s.source for s in swarms),
                                  *(a.session.source for a in analyses)]))
    listed = [shown(s, limits.name_chars) for s in sources[:20]]
    if len(sources) > 20:
        listed.append(f"{plural(len(sources) - 20, 'more file')}")
    return ReportView(
        title=shown(title, 200) if title else default_title,
        generated_at=moment.strftime("%Y-%m-%d %H:%M UTC"),
        version=version,
        sources=listed,
        overview=overview.build(analyses, len(shown_analyses), limits),
        sessions=sessions,
        swarms=swarm_views,
    )


def session_view(analysis: Analysis, anchor: str, limits: Limits = DEFAULT_LIMITS) -> SessionView:
    found = insights(analysis, limits)
    rows = _rows_shown(found) | set(summary.evidence_rows(analysis))
    details = analysis.session.details(sorted(rows))
    ctx = Context(anchor, analysis, found, limits, details)
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
    nav = [NavLink("Summary", f"#{anchor}-summary"),
           NavLink(f"Issues ({fmt.count(issues_view.total)})", f"#{anchor}-issues"),
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
                       source=ctx.name(analysis.session.source), nav=nav, **views)  # type: ignore[arg-type]


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
