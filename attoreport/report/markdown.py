"""A short Markdown summary of the sessions, for a pull-request comment."""

from __future__ import annotations

from collections.abc import Sequence

from attoreport.analysis import Analysis
from attoreport.analysis.subjects import issue_subject
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.report import format as fmt
from attoreport.report.common import severity_rank
from attoreport.report.efficiency import score_view
from attoreport.report.issues import CATEGORY_NAMES
from attoreport.report.summary import outcome_view
from attoreport.report.swarm import swarm_markdown
from attoreport.swarm.results import SwarmAnalysis
from attoreport.textsafe import shown


def _cell(text: str, limit: int = 120) -> str:
    """Text safe inside a Markdown table cell or list item: no pipes, no markup, one line."""
    cleaned = shown(text, limit)
    for char in "\\|`*_[]<>#~":
        cleaned = cleaned.replace(char, "\\" + char)
    cleaned = cleaned.replace("@", "@\u2060")  # a word joiner: no @mention pings
    return cleaned


def render_markdown(analyses: Sequence[Analysis], *, version: str,
                    limits: Limits = DEFAULT_LIMITS,
                    swarms: Sequence[SwarmAnalysis] = ()) -> str:
    lines = ["## Swarm run report" if swarms and not analyses else "## Agent session report", ""]
    for swarm in swarms:
        lines += [swarm_markdown(swarm, limits.markdown_chars // (len(swarms) + 1)), ""]
    if not analyses:
        return "\n".join(lines + [f"<sub>Made by attoreport {version}.</sub>", ""])
    lines += ["| Session | Outcome | Efficiency | Cost | Duration | Iterations | Tool calls | "
              "Errors | Issues |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for a in analyses:
        s = a.summary
        score = score_view(a)
        lines.append(
            f"| {_cell(a.session.session_id)} | {_cell(outcome_view(a.outcome).word)} | "
            f"{score.score} ({score.word}) | {fmt.cost(s.total_cost + a.facts.swarm_cost)} | "
            f"{fmt.duration_s(a.outcome.wall_seconds)} | {s.iterations} | {s.tool_calls} | "
            f"{s.errors} | {len(a.issues)} |")
    for a in analyses:
        lines += _findings(a)
    lines += ["", f"<sub>Made by attoreport {version}; numbers follow Attocode's own trace "
              "analysis.</sub>", ""]
    return "\n".join(lines)


def _findings(a: Analysis) -> list[str]:
    damaged = a.session.damaged_lines
    if not a.issues and not damaged:
        return []
    lines = ["", f"**{_cell(a.session.session_id)}**", ""]
    groups: dict[tuple[str, str], list] = {}
    for issue in sorted(a.issues, key=lambda i: severity_rank(i.severity)):
        groups.setdefault((issue.category, issue_subject(issue)), []).append(issue)
    for (category, subject), members in list(groups.items())[:3]:
        first = members[0]
        name = CATEGORY_NAMES.get(category, category)
        about = f" `{_cell(subject, 40)}`" if subject else ""
        count = f" ({len(members)}×)" if len(members) > 1 else ""
        lines.append(f"- **{first.severity}** {_cell(name)}{about}{count}: "
                     f"{_cell(first.description, 400)} *What to do:* {_cell(first.suggestion, 400)}")
    if damaged:
        lines.append(f"- {damaged} damaged trace line(s) skipped or repaired.")
    return lines
