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
    #: Rows of lanes in the timeline (a lane per agent, a row per call running at once).
    lane_rows: int = 24
    #: Rows of the per-iteration and per-call tables.
    table_rows: int = 300
    #: Tools listed in the tools table.
    tool_rows: int = 200
    #: Points of a chart series; longer series are binned.
    chart_points: int = 500
    #: Sessions with a section of their own; the overview lists all of them.
    session_sections: int = 50
    #: Sessions drawn in the overview charts (the most expensive first).
    overview_bars: int = 30
    #: Overview table rows rendered (the table says how many more there are).
    overview_rows: int = 2000
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
    #: Events of the Perfetto trace embedded in the HTML report for its download button,
    #: shared by the sessions (`--export-trace` writes the whole trace).
    trace_events: int = 1500

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
                       table_rows=part(self.table_rows, 5),
                       chart_points=part(self.chart_points, 20),
                       issue_groups=part(self.issue_groups, 4),
                       issue_instances=min(self.issue_instances, 2))


DEFAULT_LIMITS = Limits()
