"""The comparison section: one session against its baseline session, in words and numbers.

    comparison_view(compared, limits, duration_matches=True) -> ComparisonView   (one session)
    baseline_view(comparison, limits) -> BaselineView                  (the page: removed, thresholds)

The numbers come from `analysis.compare` (deltas, thresholds crossed, issues new / fixed /
unchanged); this module words them once for the HTML (`templates/_comparison.html.j2`) and
the Markdown. Every change is said three ways, so no reader depends on colour: an arrow for
the direction of the number (▲ up, ▼ down), the signed change ("+12.6 %"), and a word for
what it means ("worse", "better"). Figures where less is better (cost, tokens, time, calls,
errors) are worse when they rise; the score, its parts and the cache hit rate are worse when
they fall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from attoreport.analysis import Analysis
from attoreport.analysis.compare import (
    MIN_LLM_CALLS,
    PERCENT,
    BaselineComparison,
    Delta,
    IssueChange,
    Regression,
    SessionComparison,
    SessionFigures,
    Threshold,
    delta,
)
from attoreport.analysis.subjects import issue_subject
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.report import format as fmt
from attoreport.report.common import plural
from attoreport.report.efficiency import PARTS
from attoreport.report.issues import CATEGORY_NAMES
from attoreport.textsafe import shown, shown_path

MONEY, COUNT, TOKENS, SECONDS, POINTS, RATE = "money", "count", "tokens", "seconds", "points", "rate"


@dataclass(frozen=True, slots=True)
class MetricLook:
    label: str
    #: How its values are formatted: MONEY, COUNT, TOKENS, SECONDS, POINTS or RATE.
    unit: str
    #: True for the score, its parts and the cache hit rate: a fall is worse.
    higher_is_better: bool = False


METRIC_LOOKS: dict[str, MetricLook] = {
    "cost": MetricLook("Cost", MONEY),
    "total_tokens": MetricLook("Tokens", TOKENS),
    "input_tokens": MetricLook("Input tokens", TOKENS),
    "output_tokens": MetricLook("Output tokens", TOKENS),
    "duration_seconds": MetricLook("Duration", SECONDS),
    "iterations": MetricLook("Iterations", COUNT),
    "llm_calls": MetricLook("Model calls", COUNT),
    "tool_calls": MetricLook("Tool calls", COUNT),
    "errors": MetricLook("Errors", COUNT),
    "efficiency_score": MetricLook("Efficiency score", POINTS, True),
    "cache_hit_rate": MetricLook("Cache hit rate", RATE, True),
    **{f"points_{name}": MetricLook(f"Score part: {part.title}", POINTS, True)
       for name, part in PARTS.items()},
}
#: The figures a short summary (the Markdown) compares, in its order.
KEY_METRICS = ("cost", "duration_seconds", "total_tokens", "iterations", "llm_calls",
               "tool_calls", "errors", "cache_hit_rate")
#: Said instead of "Duration" when Attocode's duration (from the last session start) is not
#: what the rest of the report calls the duration (first event to the end).
DURATION_FROM_START = "Duration from the last session start"
UP, DOWN, SAME = "▲", "▼", "="
WORSE, BETTER, NO_CHANGE = "worse", "better", "no change"


@dataclass(frozen=True, slots=True)
class FigureRow:
    """One compared figure, formatted."""

    #: The delta's name (`cost`, `points_error_rate`, ...): a stable key for tests and scripts.
    name: str
    label: str
    baseline: str
    current: str
    #: "+$0.0145 (+12.6 %)", "-3.2 points", or "no change".
    change: str
    #: UP, DOWN or SAME: the direction of the number.
    arrow: str
    #: WORSE, BETTER or NO_CHANGE: what the move means.
    verdict: str
    #: "bad", "good" or "": a colour; the arrow and the verdict always say it too.
    tone: str
    #: This figure crossed a regression threshold.
    regressed: bool
    #: Said of a crossed threshold: "over the limit" (with too little data to judge, that it
    #: does not count), else "".
    mark: str = ""


@dataclass(frozen=True, slots=True)
class IssueLine:
    """One kind of issue (one fingerprint) on either side."""

    severity: str
    name: str
    #: The tool or agent it is about, or "".
    subject: str
    title: str
    #: "3× now, 1× in the baseline" (or "").
    counts: str
    description: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class IssueList:
    lines: list[IssueLine]
    total: int
    #: Kinds of issue not listed (the JSON lists all).
    hidden: int


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """One session against its baseline session."""

    #: The baseline session's id and source ("" when the session was added).
    baseline_id: str
    baseline_source: str
    added: bool
    #: The comparison in a sentence ("2 thresholds crossed, 1 new kind of issue, 3 fixed.").
    headline: str
    #: Said when either side has too little data to judge (else "").
    too_little_data: str
    figures: list[FigureRow]
    #: One sentence per threshold crossed.
    regressions: list[str]
    new: IssueList
    fixed: IssueList
    unchanged: IssueList


@dataclass(frozen=True, slots=True)
class BaselineView:
    """What the page says about the baseline as a whole."""

    #: "4 sessions compared with the baseline: 3 paired, 1 added, 2 removed."
    headline: str
    #: Baseline sessions that no current session matched (id and source).
    removed: list[tuple[str, str]]
    removed_hidden: int
    #: "cost +10 %, tokens +15 %, …, score −5 points".
    thresholds: str


def _signed(value: float, text: str) -> str:
    return f"+{text}" if value > 0 else f"-{text}" if value < 0 else text


def duration_matches(analysis: Analysis) -> bool:
    """Attocode's duration (from the last session start) is what the report calls the
    duration (first event to the end), to a twentieth of a second."""
    return abs(analysis.summary.duration_seconds - analysis.outcome.wall_seconds) < 0.05


def format_value(unit: str, value: float) -> str:
    """A figure as the rest of the report formats it."""
    if unit == MONEY:
        return fmt.cost(value)
    if unit in (TOKENS, COUNT):
        return fmt.count(value)
    if unit == SECONDS:
        return fmt.duration_s(value)
    if unit == RATE:
        return fmt.percent(value)
    return f"{value:.1f}"


def _absolute_change(unit: str, moved: Delta) -> str:
    size = abs(moved.absolute)
    if unit == POINTS:
        return _signed(moved.absolute, f"{size:.1f} points")
    if unit == RATE:
        return _signed(moved.absolute, f"{size * 100:.1f} points")
    return _signed(moved.absolute, format_value(unit, size))


def change_text(unit: str, moved: Delta) -> str:
    """The signed change: "+$0.0145 (+12.6 %)", "+3 (from 0)", "-2.5 points", "no change"."""
    if moved.absolute == 0:
        return NO_CHANGE
    text = _absolute_change(unit, moved)
    if unit in (POINTS, RATE):
        return text
    if moved.relative is None:
        return f"{text} (from 0)"
    return f"{text} ({_signed(moved.relative, f'{abs(moved.relative) * 100:.1f} %')})"


OVER_THE_LIMIT = "over the limit"
OVER_NOT_JUDGED = "over the limit, not judged (too little data)"


def figure_row(moved: Delta, regressed: bool = False, label: str | None = None,
               judged: bool = True) -> FigureRow:
    """One delta, formatted, with its arrow, verdict and tone."""
    look = METRIC_LOOKS.get(moved.name, MetricLook(moved.name.replace("_", " "), COUNT))
    if moved.absolute == 0:
        arrow, verdict, tone = SAME, NO_CHANGE, ""
    else:
        rose = moved.absolute > 0
        worse = rose != look.higher_is_better
        arrow = UP if rose else DOWN
        verdict, tone = (WORSE, "bad") if worse else (BETTER, "good")
    mark = "" if not regressed else OVER_THE_LIMIT if judged else OVER_NOT_JUDGED
    return FigureRow(moved.name, label or look.label, format_value(look.unit, moved.baseline),
                     format_value(look.unit, moved.current), change_text(look.unit, moved),
                     arrow, verdict, tone, regressed, mark)


def figure_rows(compared: SessionComparison, names: Sequence[str] | None = None,
                duration_matches: bool = True) -> list[FigureRow]:
    """The rows of these deltas (all of them by default), marking the thresholds crossed."""
    crossed = {r.threshold.metric for r in compared.regressions}
    wanted = [d for d in compared.deltas if names is None or d.name in names]
    if names is not None:
        order = {name: i for i, name in enumerate(names)}
        wanted.sort(key=lambda d: order[d.name])
    return [figure_row(d, d.name in crossed,
                       None if d.name != "duration_seconds" or duration_matches
                       else DURATION_FROM_START, not compared.too_little_data)
            for d in wanted]


def value_rows(figures: SessionFigures, names: Sequence[str],
               duration_matches: bool = True) -> list[FigureRow]:
    """Rows of one session's own figures (no baseline: every change is "no change")."""
    return [figure_row(delta(name, figures.metric(name), figures.metric(name)),
                       label=DURATION_FROM_START if name == "duration_seconds"
                       and not duration_matches else None)
            for name in names]


def regression_text(regression: Regression) -> str:
    """"Cost rose by 12.6 % (the limit is +10 %)." for one threshold crossed."""
    threshold = regression.threshold
    what = METRIC_LOOKS.get(threshold.metric, MetricLook(threshold.name, COUNT)).label
    if threshold.unit == PERCENT:
        change = "from 0" if regression.change is None else f"by {regression.change:.1f} %"
        return f"{what} rose {change} (the limit is +{threshold.limit:g} %)."
    change = f"{regression.change:.1f}" if regression.change is not None else "?"
    return f"{what} fell by {change} points (the limit is -{threshold.limit:g} points)."


def threshold_text(threshold: Threshold) -> str:
    """"cost +10 %", "score -5 points", "duration off"."""
    if threshold.limit is None:
        return f"{threshold.name} off"
    if threshold.unit == PERCENT:
        return f"{threshold.name} +{threshold.limit:g} %"
    return f"{threshold.name} -{threshold.limit:g} points"


def issue_line(change: IssueChange, limits: Limits = DEFAULT_LIMITS) -> IssueLine:
    """One kind of issue, bounded for display (not yet escaped)."""
    issue = change.issue
    subject = issue_subject(issue)
    if change.count and change.baseline_count:
        counts = f"{fmt.count(change.count)}× now, {fmt.count(change.baseline_count)}× in the baseline"
    elif change.count > 1:
        counts = f"{fmt.count(change.count)}×"
    elif change.baseline_count > 1:
        counts = f"{fmt.count(change.baseline_count)}× in the baseline"
    else:
        counts = ""
    return IssueLine(
        severity=shown(issue.severity, 20),
        name=CATEGORY_NAMES.get(issue.category, shown(issue.category.replace("_", " "),
                                                      limits.name_chars)),
        subject=shown(subject, limits.name_chars),
        title=shown(issue.title, limits.label_chars),
        counts=counts,
        description=shown(issue.description, limits.detail_chars, one_line=False),
        suggestion=shown(issue.suggestion, limits.detail_chars, one_line=False),
    )


def _issue_list(changes: Sequence[IssueChange], limits: Limits) -> IssueList:
    listed = [issue_line(c, limits) for c in changes[: limits.issue_groups]]
    return IssueList(listed, len(changes), len(changes) - len(listed))


def too_little_data_text(compared: SessionComparison) -> str:
    """Why the figures are not judged, or ""."""
    if not compared.too_little_data or compared.baseline is None:
        return ""
    return (f"Too little data to judge: each side needs at least {MIN_LLM_CALLS} model calls "
            f"(this run has {compared.current.llm_calls}, the baseline "
            f"{compared.baseline.llm_calls}). Agent runs are noisy, so the thresholds crossed "
            "below are shown but do not fail the run; new issues still count.")


def headline(compared: SessionComparison) -> str:
    """The comparison in a sentence."""
    issues = compared.issues
    if compared.baseline is None:
        return ("No baseline session matched this one (by session id, by file name, or one "
                f"to one), so it counts as added: its {plural(len(issues.new), 'kind')} of "
                "issue are all new.")
    parts = [plural(len(compared.regressions), "threshold") + " crossed",
             plural(len(issues.new), "new kind") + " of issue",
             f"{fmt.count(len(issues.fixed))} fixed",
             f"{fmt.count(len(issues.unchanged))} unchanged"]
    return ", ".join(parts) + "."


def comparison_view(compared: SessionComparison, limits: Limits = DEFAULT_LIMITS,
                    duration_matches: bool = True) -> ComparisonView:
    """One session's comparison section. `duration_matches`: Attocode's duration is the
    report's (first event to the end); when not, its row says what it measures."""
    baseline = compared.baseline
    return ComparisonView(
        baseline_id=shown(baseline.session_id, limits.name_chars) if baseline else "",
        baseline_source=shown_path(baseline.source, limits.name_chars) if baseline else "",
        added=baseline is None,
        headline=headline(compared),
        too_little_data=too_little_data_text(compared),
        figures=figure_rows(compared, duration_matches=duration_matches),
        regressions=[regression_text(r) for r in compared.regressions],
        new=_issue_list(compared.issues.new, limits),
        fixed=_issue_list(compared.issues.fixed, limits),
        unchanged=_issue_list(compared.issues.unchanged, limits),
    )


def baseline_view(comparison: BaselineComparison, limits: Limits = DEFAULT_LIMITS,
                  max_removed: int = 200) -> BaselineView:
    """The page's note on the baseline: how sessions paired, what was removed, the limits."""
    sessions = comparison.sessions
    added = sum(1 for c in sessions if c.added)
    paired = len(sessions) - added
    removed = comparison.removed
    text = (f"{plural(len(sessions), 'session')} compared with the baseline: "
            f"{fmt.count(paired)} paired, {fmt.count(added)} added, "
            f"{fmt.count(len(removed))} removed (in the baseline only).")
    listed = [(shown(f.session_id, limits.name_chars), shown_path(f.source, limits.name_chars))
              for f in removed[:max_removed]]
    return BaselineView(text, listed, len(removed) - len(listed),
                        ", ".join(threshold_text(t) for t in comparison.thresholds.values()))
