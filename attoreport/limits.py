"""How much of a trace the outputs show: one place, passed down, never module globals.

Every number here bounds what a report, JSON or Markdown file can contain, so no input can
push an output past its budget; the summary figures always cover the whole trace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what the outputs show. The defaults keep a report under a few megabytes."""

    #: Rows of the event log (errors, issue events, slowest calls, first and last events).
    event_rows: int = 1200
    #: Nodes of the iteration tree.
    tree_nodes: int = 1000
    #: Nesting depth of the tree; deeper events are listed flat under the last level.
    tree_depth: int = 24
    #: Bars of the timeline (and a quarter as many failure markers).
    bars: int = 1200
    #: Rows of lanes in the timeline (a lane per agent, a row per call running at once): the
    #: main agent, then the agents with the most failures and calls.
    lane_rows: int = 24
    #: Lanes of a swarm run's task timeline, each with an axis label; further tasks share
    #: the last one, which says how many it holds.
    lanes: int = 40
    #: Rows of the per-iteration and per-call tables.
    table_rows: int = 300
    #: Tools listed in the tools table.
    tool_rows: int = 200
    #: Points of a chart series; longer series are binned.
    chart_points: int = 500
    #: Sessions with a section of their own; the overview lists all of them.
    session_sections: int = 50
    #: Session sections whose charts Plotly draws in the page (zoom, hover). A report with more
    #: sections has its sessions' charts drawn as static SVG when it is made (`svgchart`):
    #: Plotly needs 17-42 ms per chart, so 50 sections' 200 charts took 10 s to appear.
    plotly_sections: int = 4
    #: Sessions drawn in the overview charts (the most expensive first).
    overview_bars: int = 30
    #: Overview table rows rendered (the table says how many more there are).
    overview_rows: int = 2000
    #: Sessions written to the JSON (the first ones, in input order); the document counts
    #: the rest in `sessions_left_out`. Never fewer than the overview table lists.
    json_sessions: int = 2000
    #: Issue groups (category and subject) listed per session.
    issue_groups: int = 60
    #: Instances shown per issue group (the worst first); the rest are counted.
    issue_instances: int = 5
    #: Diagnostics listed one by one; the rest are grouped by kind with counts.
    diagnostics: int = 200
    #: Characters of a name (tool, agent, kind, session id, file) where it is shown.
    name_chars: int = 80
    #: Characters of a one-line label, argument or excerpt.
    label_chars: int = 240
    #: Characters of an event's data preview and of the goal.
    detail_chars: int = 320
    goal_chars: int = 20_000
    #: Characters of the Markdown output (a GitHub comment holds 65,536).
    markdown_chars: int = 65_000
    #: Tasks of an attoswarm run listed in its table, each with its details.
    swarm_tasks: int = 1000
    #: Tool calls listed in one swarm task's details.
    swarm_calls: int = 300
    #: Events of the Perfetto trace embedded in the HTML report for its download button,
    #: shared by the sessions (`--export-trace` writes the whole trace).
    trace_events: int = 1500
    #: Bytes of the HTML report. The limits above keep any report under it unless its text
    #: is made of characters that grow when escaped (`"` is `&#34;`, and more in chart
    #: data); a report over it is made again with `halved()` limits until it fits.
    html_bytes: int = 6_000_000

    def share(self, sections: int) -> Limits:
        """The limits of one of `sections` session sections: the per-report budget shared out,
        never below a useful minimum, so a report of 50 sessions stays as small as one."""
        if sections <= 1:
            return self

        def part(total: int, floor: int) -> int:  # sections have a fixed cost of their own
            return max(floor, total // (2 * sections))

        return replace(self, event_rows=part(self.event_rows, 6),
                       tree_nodes=part(self.tree_nodes, 6), bars=part(self.bars, 20),
                       lane_rows=part(self.lane_rows, 8),
                       detail_chars=min(self.detail_chars, max(80, 4000 // sections)),
                       label_chars=min(self.label_chars, max(100, 6000 // sections)),
                       table_rows=part(self.table_rows, 5), tool_rows=part(self.tool_rows, 10),
                       chart_points=part(self.chart_points, 20),
                       issue_groups=part(self.issue_groups, 4),
                       issue_instances=min(self.issue_instances, 2))

    def halved(self) -> Limits:
        """Every row, item and character limit halved, never below a small floor: how a
        report that came out over `html_bytes` is made again (equal to `self` once every
        limit is at its floor)."""

        def half(value: int, floor: int) -> int:
            return max(min(value, floor), value // 2)

        return replace(self, event_rows=half(self.event_rows, 10),
                       tree_nodes=half(self.tree_nodes, 10), bars=half(self.bars, 10),
                       lane_rows=half(self.lane_rows, 4), lanes=half(self.lanes, 5),
                       table_rows=half(self.table_rows, 5), tool_rows=half(self.tool_rows, 5),
                       chart_points=half(self.chart_points, 30),
                       session_sections=half(self.session_sections, 1),
                       overview_bars=half(self.overview_bars, 5),
                       overview_rows=half(self.overview_rows, 20),
                       issue_groups=half(self.issue_groups, 3),
                       issue_instances=half(self.issue_instances, 1),
                       diagnostics=half(self.diagnostics, 10),
                       name_chars=half(self.name_chars, 16),
                       label_chars=half(self.label_chars, 32),
                       detail_chars=half(self.detail_chars, 32),
                       goal_chars=half(self.goal_chars, 200),
                       trace_events=half(self.trace_events, 50),
                       swarm_tasks=half(self.swarm_tasks, 20),
                       swarm_calls=half(self.swarm_calls, 10))


DEFAULT_LIMITS = Limits()

#: The command's --charts choices, as `Limits.plotly_sections`: Plotly for every section, for
#: none, or for as many as the default allows.
CHART_MODES = {"auto": DEFAULT_LIMITS.plotly_sections, "interactive": 1 << 30, "static": 0}
