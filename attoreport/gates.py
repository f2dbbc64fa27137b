"""CI gates: pure decisions on finished analyses, each failure with a one-line reason.

    gate_failures(analyses, fail_on="high", fail_under=70.0) -> [GateFailure]
    regression_failures(comparison, fail_on="high") -> [GateFailure]

The CLI writes every output first, then prints the reasons and exits with 1 when any gate
failed. Reasons name the session by its id, cut to `ID_CHARS` and made one printable line,
because session ids and issue titles come from the trace.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from attoreport.analysis import Analysis
from attoreport.analysis.compare import (
    PERCENT,
    BaselineComparison,
    IssueChange,
    Regression,
    SessionComparison,
)
from attoreport.analysis.detectors import SEVERITIES, DetectedIssue, severity_rank
from attoreport.errors import AttoreportError

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis

#: Longest session id shown in a reason.
ID_CHARS = 60
#: Longest issue title shown in a reason.
TITLE_CHARS = 80
#: The default severity for `--fail-on-regression`'s new issues.
DEFAULT_REGRESSION_SEVERITY = "high"

FAIL_ON = "fail-on"
FAIL_UNDER = "fail-under"
REGRESSION = "regression"


@dataclass(frozen=True, slots=True)
class GateFailure:
    """One failed gate for one session."""

    #: FAIL_ON, FAIL_UNDER or REGRESSION.
    gate: str
    session_id: str
    #: One printable line saying why, e.g. "session x: efficiency score 62.9 is below 70".
    reason: str

    def __str__(self) -> str:
        return self.reason


def one_line(text: str, limit: int) -> str:
    """Untrusted text as one printable line of at most `limit` characters.

    Whitespace runs become one space; control, format (bidi), line-separator and unassigned
    characters become U+FFFD, so the text cannot move the cursor, start a line or reorder what
    follows; a longer text is cut with "…".
    """
    cleaned = "".join(" " if ch.isspace() else "\ufffd" if _unsafe(ch) else ch
                      for ch in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: max(limit - 1, 0)] + "…"


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def check_severity(severity: str) -> str:
    """The severity, or AttoreportError naming the valid ones."""
    if severity not in SEVERITIES:
        raise AttoreportError(f"unknown severity {one_line(severity, 30)!r}; valid: "
                              f"{', '.join(SEVERITIES)}")
    return severity


def at_or_above(issues: Sequence[DetectedIssue], severity: str) -> list[DetectedIssue]:
    """The issues at or above a severity, most severe first (stable within a severity)."""
    limit = severity_rank(check_severity(severity))
    return sorted((i for i in issues if severity_rank(i.severity) <= limit),
                  key=lambda i: severity_rank(i.severity))


def gate_failures(analyses: Sequence[Analysis], *, fail_on: str | None = None,
                  fail_under: float | None = None,
                  swarms: Sequence[SwarmAnalysis] = ()) -> list[GateFailure]:
    """`--fail-on SEVERITY` and `--fail-under SCORE` failures, in session order, then the
    swarm runs' (`--fail-on` only: a swarm run has no efficiency score).

    fail_on: a session fails when it has an issue at or above this severity.
    fail_under: a session fails when its efficiency score is below this number.
    Raises AttoreportError for an unknown severity or a score that is not a number.
    """
    if fail_on is not None:
        check_severity(fail_on)
    if fail_under is not None and not math.isfinite(fail_under):
        raise AttoreportError(f"--fail-under must be a number, got {fail_under}")
    failures = []
    for analysis in analyses:
        session = one_line(analysis.session.session_id, ID_CHARS)
        if fail_on is not None:
            severe = at_or_above(analysis.issues, fail_on)
            if severe:
                failures.append(GateFailure(FAIL_ON, session, (
                    f"session {session}: {_count(len(severe), 'issue')} at or above {fail_on} "
                    f"(worst: {_issue_text(severe[0])})")))
        score = analysis.efficiency.score
        if fail_under is not None and score < fail_under:
            failures.append(GateFailure(FAIL_UNDER, session, (
                f"session {session}: efficiency score {score:g} is below {fail_under:g}")))
    for swarm in swarms:
        if fail_on is None:
            break
        run = one_line(swarm.run_id or swarm.name, ID_CHARS)
        severe = at_or_above(swarm_issues(swarm), fail_on)
        if severe:
            failures.append(GateFailure(FAIL_ON, run, (
                f"swarm run {run}: {_count(len(severe), 'issue')} at or above {fail_on} "
                f"(worst: {_issue_text(severe[0])})")))
    return failures


def swarm_issues(swarm: SwarmAnalysis) -> list[DetectedIssue]:
    """A swarm run's findings in the shape of Attocode's issues (for gates and annotations)."""
    return [DetectedIssue(i.severity, i.rule, i.title, i.description, None, i.suggestion)
            for i in swarm.issues]


def regression_failures(comparison: BaselineComparison,
                        fail_on: str = DEFAULT_REGRESSION_SEVERITY) -> list[GateFailure]:
    """`--fail-on-regression` failures: thresholds crossed and new issues at or above fail_on.

    Thresholds count only when both sides have enough data (`too_little_data` is False); new
    issues always count, also those of an added session (it has no baseline, so every issue of
    it is new). Removed sessions never fail.
    """
    limit = severity_rank(check_severity(fail_on))
    failures = []
    for compared in comparison.sessions:
        session = one_line(compared.current.session_id, ID_CHARS)
        if not compared.too_little_data:
            failures += [GateFailure(REGRESSION, session, f"session {session}: {_regressed(r)}")
                         for r in compared.regressions]
        new = [c for c in compared.issues.new if severity_rank(c.issue.severity) <= limit]
        if new:
            failures.append(GateFailure(REGRESSION, session, (
                f"session {session}: {_count(len(new), 'new issue')} at or above {fail_on}"
                f"{_against(compared)} (worst: {_change_text(new[0])})")))
    return failures


def _regressed(regression: Regression) -> str:
    threshold = regression.threshold
    what = threshold.name.replace("_", " ")
    if threshold.unit == PERCENT:
        change = "from 0" if regression.change is None else f"by {regression.change:.1f} %"
        return f"{what} rose {change} (the limit is a rise of {threshold.limit:g} %)"
    return (f"{what} fell by {regression.change:.1f} points "
            f"(the limit is a fall of {threshold.limit:g} points)")


def _against(compared: SessionComparison) -> str:
    return " (no baseline session)" if compared.added else ""


def _issue_text(issue: DetectedIssue) -> str:
    return f"{one_line(issue.severity, 10)} {one_line(issue.title, TITLE_CHARS)!r}"


def _change_text(change: IssueChange) -> str:
    return _issue_text(change.issue)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
