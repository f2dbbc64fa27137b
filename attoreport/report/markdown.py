"""A short Markdown summary of the sessions, for a pull-request comment."""

from __future__ import annotations

from collections.abc import Sequence

from attoreport.analysis import Analysis
from attoreport.report import format as fmt
from attoreport.report.swarm import swarm_markdown
from attoreport.report.view import Headline, headline
from attoreport.swarm.results import SwarmAnalysis


def _cell(text: str, limit: int = 120) -> str:
    """Text safe inside a Markdown table cell or list item: no pipes, no markup, one line."""
    cleaned = " ".join(text.split())
    for char in "\\|`*_[]<>#":
        cleaned = cleaned.replace(char, "\\" + char)
    cleaned = cleaned.replace("@", "@\u2060")  # a word joiner: no @mention pings
    return fmt.truncate(cleaned, limit)


def render_markdown(analyses: Sequence[Analysis], *, version: str,
                    swarms: Sequence[SwarmAnalysis] = (), max_chars: int = 60_000) -> str:
    views = [headline(a) for a in analyses]
    lines = ["## Swarm run report" if swarms and not analyses else "## Agent session report", ""]
    for swarm in swarms:
        lines += [swarm_markdown(swarm, max_chars // max(len(swarms) + 1, 2)), ""]
    if not analyses:
        return "\n".join(lines + [f"<sub>Made by attoreport {version}.</sub>", ""])
    lines += ["| Session | Outcome | Score | Cost | Duration | Iterations | Tool calls | Errors | Issues |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for view, analysis in zip(views, analyses, strict=True):
        s = analysis.summary
        lines.append(
            f"| {_cell(view.session_id)} | {_cell(view.outcome.word)} | {view.score.score} "
            f"({view.score.word}) | {fmt.cost(s.total_cost)} | {fmt.duration_s(view.duration)} "
            f"| {s.iterations} | {s.tool_calls} | {s.errors} | {view.issue_count} |")
    for view in views:
        lines += _findings(view)
    lines += ["", f"<sub>Made by attoreport {version}; numbers follow Attocode's own trace "
              "analysis.</sub>", ""]
    return "\n".join(lines)


def _findings(view: Headline) -> list[str]:
    if not view.findings and not view.damaged_lines:
        return []
    lines = ["", f"**{_cell(view.session_id)}**", ""]
    for group in view.findings:
        count = f" ({len(group.issues)}×)" if len(group.issues) > 1 else ""
        lines.append(f"- **{group.severity}** {_cell(group.name)}{count}: "
                     f"{_cell(group.issues[0].description, 400)} "
                     f"*What to do:* {_cell(group.suggestion, 400)}")
    if view.damaged_lines:
        lines.append(f"- {view.damaged_lines} damaged trace line(s) skipped or repaired.")
    return lines
