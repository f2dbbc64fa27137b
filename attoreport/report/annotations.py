"""GitHub workflow-command annotations (`--annotations github`) for the most severe issues.

    github_annotations(analyses, comparisons=None) -> ["::error title=…::message", ...]

GitHub shows at most 10 errors and 10 warnings per step, so issues are grouped per session and
fingerprint (five token spikes are one annotation, "5×"), ordered new first (with a
comparison), then most severe first, and cut to 10 of each level; a notice says how many were
left out. Critical and high issues are errors, medium and low warnings.

Every string from a trace goes through `one_line` (no control, format or line-separator
characters; bounded) and then GitHub's escaping (data: % CR LF; properties also : and ,), so
no trace text can end the command, start another one, or add a property.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from attoreport.analysis import Analysis
from attoreport.analysis.compare import (
    BaselineComparison,
    SessionComparison,
    issue_fingerprint,
)
from attoreport.analysis.detectors import DetectedIssue, severity_rank
from attoreport.gates import one_line, swarm_issues

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis

#: GitHub shows at most this many annotations of each level per step.
MAX_PER_LEVEL = 10
ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
ERROR_SEVERITIES = frozenset({"critical", "high"})
#: Longest issue title (marks such as "(high, new, 3×)" follow it).
TITLE_CHARS = 100
SESSION_CHARS = 60
DESCRIPTION_CHARS = 600
SUGGESTION_CHARS = 400


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (`title=`): data escaping plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, title: str = "") -> str:
    """One `::level title=…::message` line, every part escaped."""
    properties = f" title={escape_property(title)}" if title else ""
    return f"::{level}{properties}::{escape_data(message)}"


@dataclass(frozen=True, slots=True)
class _Annotation:
    level: str
    is_new: bool
    rank: int
    order: int
    #: "Session x" or "Swarm run y".
    place: str
    issue: DetectedIssue
    count: int


def github_annotations(analyses: Sequence[Analysis],
                       comparisons: BaselineComparison | Sequence[SessionComparison] | None = None,
                       swarms: Sequence[SwarmAnalysis] = ()) -> list[str]:
    """Workflow commands for the most severe issues: at most 10 errors and 10 warnings.

    With comparisons (one per analysis, in the same order, as `compare()` returns them), new
    issues come first and are marked "new"; fixed issues are not annotated.
    """
    if isinstance(comparisons, BaselineComparison):
        comparisons = comparisons.sessions
    candidates = _candidates(analyses, comparisons)
    for swarm in swarms:
        place = f"Swarm run {one_line(swarm.run_id or swarm.name, SESSION_CHARS)}"
        candidates += _grouped(swarm_issues(swarm), place, frozenset(), len(candidates))
    candidates.sort(key=lambda a: (not a.is_new, a.rank, a.order))
    shown: dict[str, list[_Annotation]] = {ERROR: [], WARNING: []}
    left_out = 0
    for annotation in candidates:
        level = shown[annotation.level]
        if len(level) < MAX_PER_LEVEL:
            level.append(annotation)
        else:
            left_out += annotation.count
    commands = [_command(a, comparisons is not None) for a in shown[ERROR] + shown[WARNING]]
    if left_out:
        commands.append(workflow_command(
            NOTICE, f"{left_out} more issue{'' if left_out == 1 else 's'} (GitHub shows "
            f"{MAX_PER_LEVEL} errors and {MAX_PER_LEVEL} warnings per step): see the attoreport "
            "HTML report.", "attoreport: more issues"))
    return commands


def _candidates(analyses: Sequence[Analysis],
                comparisons: Sequence[SessionComparison] | None) -> list[_Annotation]:
    candidates: list[_Annotation] = []
    for index, analysis in enumerate(analyses):
        place = f"Session {one_line(analysis.session.session_id, SESSION_CHARS)}"
        candidates += _grouped(analysis.issues, place, _new_fingerprints(comparisons, index),
                               len(candidates))
    return candidates


def _grouped(issues: Sequence[DetectedIssue], place: str, new: frozenset[str],
             order: int) -> list[_Annotation]:
    """One annotation per fingerprint, with how many issues share it."""
    groups: dict[str, list[DetectedIssue]] = {}
    for issue in issues:
        groups.setdefault(issue_fingerprint(issue), []).append(issue)
    found: list[_Annotation] = []
    for fingerprint, members in groups.items():
        first = min(members, key=lambda i: severity_rank(i.severity))
        level = ERROR if first.severity in ERROR_SEVERITIES else WARNING
        found.append(_Annotation(level, fingerprint in new, severity_rank(first.severity),
                                 order + len(found), place, first, len(members)))
    return found


def _new_fingerprints(comparisons: Sequence[SessionComparison] | None,
                      index: int) -> frozenset[str]:
    if comparisons is None or index >= len(comparisons):
        return frozenset()
    return frozenset(c.fingerprint for c in comparisons[index].issues.new)


def _command(annotation: _Annotation, compared: bool) -> str:
    issue = annotation.issue
    marks = [one_line(issue.severity, 10)]
    if compared:
        marks.append("new" if annotation.is_new else "also in the baseline")
    if annotation.count > 1:
        marks.append(f"{annotation.count}×")
    title = f"{one_line(issue.title, TITLE_CHARS)} ({', '.join(marks)})"
    where = annotation.place
    if issue.iteration is not None:
        where += f", iteration {issue.iteration}"
    lines = [f"{where}: {one_line(issue.description, DESCRIPTION_CHARS)}"]
    if issue.suggestion:
        lines.append(f"What to do: {one_line(issue.suggestion, SUGGESTION_CHARS)}")
    return workflow_command(annotation.level, "\n".join(lines), title)
