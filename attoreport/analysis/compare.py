"""Comparison with a baseline: pairing sessions, figure deltas, issue fingerprints, thresholds.

Pure functions, no I/O and no wording. A baseline session is a `SessionFigures`, built either
from an `Analysis` or from one session entry of the `--json` document, so CI can keep the main
branch's JSON as an artifact and compare with it later without the old trace.

    compare(current_figures, baseline_figures, thresholds) -> BaselineComparison
    comparison_document(session_comparison) -> dict   (the `comparison` object of the JSON)

Choices worth knowing (the README says them too):
- Sessions pair by session id, then by the file stem of their source, then one to one when each
  side holds a single session. Unpaired current sessions are *added* (every issue is new);
  unpaired baseline sessions are *removed*.
- An issue's fingerprint is its category plus what it is about (the tool or agent named in
  "Repeated tool call: X", "Long tool execution: X", "Subagent timeout: X"; otherwise its title
  with every number replaced by "#"), so iteration numbers, timestamps and counts do not matter.
  Issues are classified per fingerprint: 3 doom loops on `bash` against 1 is *unchanged*.
- Thresholds are rises in percent (cost, tokens, duration, iterations) or drops in points
  (cache hit rate in percentage points, score in score points). A rise from 0 crosses any
  percent threshold. When either side has fewer than `MIN_LLM_CALLS` LLM calls the comparison
  has too little data to judge: crossed thresholds are still listed, but do not fail a run.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from attoreport.analysis import Analysis
from attoreport.analysis.detectors import DetectedIssue, severity_rank
from attoreport.analysis.subjects import SUBJECT_PREFIXES, issue_subject
from attoreport.errors import AttoreportError
from attoreport.textsafe import json_type

#: Below this many LLM calls on either side, a comparison has too little data to judge.
MIN_LLM_CALLS = 3
#: Titles whose tail names what the issue is about (a tool or an agent), by category.
#: A fingerprint subject longer than this is cut and completed with a hash of the whole.
SUBJECT_CHARS = 200
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TRACE_SUFFIXES = (".jsonl.gz", ".jsonl", ".gz")
#: Deltas of these are integers, not floats.
_INTEGER_METRICS = frozenset({"total_tokens", "input_tokens", "output_tokens", "iterations",
                              "llm_calls", "tool_calls", "errors"})
PERCENT = "percent"
POINTS = "points"


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """The figures of one session that a comparison needs, from an analysis or from `--json`."""

    session_id: str
    source: str
    cost: float
    total_tokens: int
    input_tokens: int
    output_tokens: int
    duration_seconds: float
    iterations: int
    llm_calls: int
    tool_calls: int
    errors: int
    efficiency_score: float
    #: Points earned by each of the score's five components, in Attocode's order.
    component_points: tuple[tuple[str, float], ...]
    #: Attocode's summary `cache_hit_rate` (a fraction, rounded to 4 decimals).
    cache_hit_rate: float
    issues: tuple[DetectedIssue, ...] = field(default=())

    @classmethod
    def from_analysis(cls, analysis: Analysis) -> SessionFigures:
        """The figures of an analysed session (the same numbers its `--json` entry holds)."""
        summary, breakdown = analysis.summary, analysis.tokens.breakdown
        return cls(
            session_id=analysis.session.session_id,
            source=analysis.session.source,
            cost=summary.total_cost,
            total_tokens=summary.total_tokens,
            input_tokens=breakdown["input"],
            output_tokens=breakdown["output"],
            duration_seconds=summary.duration_seconds,
            iterations=summary.iterations,
            llm_calls=summary.llm_calls,
            tool_calls=summary.tool_calls,
            errors=summary.errors,
            efficiency_score=analysis.efficiency.score,
            component_points=tuple((c.name, c.points) for c in analysis.efficiency.components),
            cache_hit_rate=summary.cache_hit_rate,
            issues=tuple(analysis.issues),
        )

    @classmethod
    def from_json(cls, entry: Any, where: str = "session") -> SessionFigures:
        """The figures of one `sessions[]` entry of a `--json` document.

        Raises AttoreportError naming the first field that is missing or of the wrong type
        (`where` prefixes the field's location, e.g. "sessions[2]").
        """
        doc = _Fields(entry, where)
        session_id, source = doc.text("session_id"), doc.text("source")
        summary = doc.child("summary")
        breakdown = doc.child("tokens").child("breakdown")
        efficiency = doc.child("efficiency")
        components = []
        for i, item in enumerate(efficiency.items("components")):
            component = _Fields(item, f"{efficiency.where}.components[{i}]")
            components.append((component.text("name"), component.number("points")))
        issues = []
        for i, item in enumerate(doc.items("issues")):
            issue = _Fields(item, f"{doc.where}.issues[{i}]")
            issues.append(DetectedIssue(
                severity=issue.text("severity"), category=issue.text("category"),
                title=issue.text("title"), description=issue.text("description"),
                iteration=issue.optional_integer("iteration"),
                suggestion=issue.text("suggestion")))
        return cls(
            session_id=session_id,
            source=source,
            cost=summary.number("total_cost"),
            total_tokens=summary.integer("total_tokens"),
            input_tokens=breakdown.integer("input"),
            output_tokens=breakdown.integer("output"),
            duration_seconds=summary.number("duration_seconds"),
            iterations=summary.integer("iterations"),
            llm_calls=summary.integer("llm_calls"),
            tool_calls=summary.integer("tool_calls"),
            errors=summary.integer("errors"),
            efficiency_score=efficiency.number("score"),
            component_points=tuple(components),
            cache_hit_rate=summary.number("cache_hit_rate"),
            issues=tuple(issues),
        )

    def metric(self, name: str) -> float:
        """A compared figure by its delta name (see `METRICS`, `points_<component>`)."""
        if name.startswith("points_"):
            return dict(self.component_points)[name.removeprefix("points_")]
        value: float = getattr(self, name)
        return value


class _Fields:
    """Typed reads from an untrusted JSON object, with errors that name the field's location."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise AttoreportError(f"{where}: expected an object, got {json_type(value)}")
        self.value = value
        self.where = where

    def _get(self, key: str) -> Any:
        if key not in self.value:
            raise AttoreportError(f"{self.where}.{key}: missing")
        return self.value[key]

    def _wrong(self, key: str, expected: str) -> AttoreportError:
        return AttoreportError(f"{self.where}.{key}: expected {expected}, got "
                               f"{json_type(self.value[key])}")

    def child(self, key: str) -> _Fields:
        return _Fields(self._get(key), f"{self.where}.{key}")

    def items(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "an array")
        return value

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._wrong(key, "a number")
        if not math.isfinite(value):
            raise self._wrong(key, "a finite number")
        return float(value)

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "a whole number")
        return value

    def optional_integer(self, key: str) -> int | None:
        return None if self.value.get(key) is None else self.integer(key)


# ---------------------------------------------------------------------------------------------
# Deltas


#: Compared figures, in display order; `points_<component>` deltas follow `efficiency_score`.
METRICS = ("cost", "total_tokens", "input_tokens", "output_tokens", "duration_seconds",
           "iterations", "llm_calls", "tool_calls", "errors", "efficiency_score")


@dataclass(frozen=True, slots=True)
class Delta:
    """How one figure moved: current − baseline, and that relative to the baseline."""

    name: str
    baseline: float
    current: float
    absolute: float
    #: (current − baseline) / |baseline|; None when the baseline is 0.
    relative: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "current": self.current, "absolute": self.absolute,
                "relative": self.relative}


def delta(name: str, baseline: float, current: float) -> Delta:
    """The delta of one figure (integers stay integers)."""
    absolute = current - baseline
    relative = absolute / abs(baseline) if baseline != 0 else None
    return Delta(name, baseline, current, absolute, relative)


def figure_deltas(baseline: SessionFigures, current: SessionFigures) -> tuple[Delta, ...]:
    """Deltas of every compared figure: METRICS, each score component's points, cache hit rate."""
    names = list(METRICS)
    baseline_components = dict(baseline.component_points)
    names += [f"points_{name}" for name, _ in current.component_points
              if name in baseline_components]
    names.append("cache_hit_rate")
    deltas = []
    for name in names:
        base, now = baseline.metric(name), current.metric(name)
        if name in _INTEGER_METRICS:
            base, now = int(base), int(now)
        deltas.append(delta(name, base, now))
    return tuple(deltas)


# ---------------------------------------------------------------------------------------------
# Thresholds


@dataclass(frozen=True, slots=True)
class Threshold:
    """A regression limit on one figure: a rise in percent or a drop in points."""

    name: str
    #: The delta it reads (`Delta.name`).
    metric: str
    #: PERCENT (a rise relative to the baseline) or POINTS (a drop, in points).
    unit: str
    #: The allowed change (a positive number); None: the threshold is off.
    limit: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "unit": self.unit, "limit": self.limit}


DEFAULT_THRESHOLDS: Mapping[str, Threshold] = {
    t.name: t for t in (
        Threshold("cost", "cost", PERCENT, 10.0),
        Threshold("tokens", "total_tokens", PERCENT, 15.0),
        Threshold("duration", "duration_seconds", PERCENT, 20.0),
        Threshold("iterations", "iterations", PERCENT, 20.0),
        Threshold("cache_hit_rate", "cache_hit_rate", POINTS, 5.0),
        Threshold("score", "efficiency_score", POINTS, 5.0),
    )
}
_THRESHOLD_VALUE = re.compile(
    r"^\s*(?P<sign>[+-]?)\s*(?P<number>\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>%|pts?|points?)?\s*$",
    re.IGNORECASE)
_OFF = frozenset({"off", "none"})
#: Longest threshold spec echoed back in an error message.
_SPEC_CHARS = 60


def parse_thresholds(specs: Iterable[str],
                     base: Mapping[str, Threshold] = DEFAULT_THRESHOLDS) -> dict[str, Threshold]:
    """The thresholds after applying `--threshold NAME=VALUE` specs (the last one per name wins).

    VALUE is a number: percent for cost, tokens, duration and iterations (`cost=10` or
    `cost=10%`, a rise of more than 10 % is a regression); points for cache_hit_rate and score
    (`score=5` or `score=5pt`, a drop of more than 5 points is a regression); or `off`.
    A sign, if given, must be the direction the threshold watches (`+` for a rise, `-` for a
    drop). Raises AttoreportError naming the valid names and forms.
    """
    thresholds = dict(base)
    for spec in specs:
        threshold = _parse_threshold(spec, thresholds)
        thresholds[threshold.name] = threshold
    return thresholds


def _parse_threshold(spec: str, known: Mapping[str, Threshold]) -> Threshold:
    shown = _cut(spec, _SPEC_CHARS)
    name, equals, value = spec.partition("=")
    if not equals:
        raise AttoreportError(f"--threshold {shown!r}: expected NAME=VALUE, e.g. cost=10")
    key = name.strip().lower().replace("-", "_")
    if key not in known:
        raise AttoreportError(f"--threshold {shown!r}: unknown name {_cut(name.strip(), 30)!r}; "
                              f"valid names: {', '.join(known)}")
    threshold = known[key]
    if value.strip().lower() in _OFF:
        return replace(threshold, limit=None)
    match = _THRESHOLD_VALUE.match(value)
    if threshold.unit == PERCENT:
        form = f"a rise in percent, e.g. {key}=10 or {key}=10% (or {key}=off)"
        fits = match is not None and match["sign"] != "-" and match["unit"] in (None, "%")
    else:
        form = f"a drop in points, e.g. {key}=5 or {key}=-5 (or {key}=off)"
        fits = (match is not None and match["sign"] != "+"
                and (match["unit"] is None or match["unit"].lower().startswith("p")))
    if not fits or match is None:
        raise AttoreportError(f"--threshold {shown!r}: {key} takes {form}")
    return replace(threshold, limit=float(match["number"]))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Regression:
    """A threshold crossed by one session pair."""

    threshold: Threshold
    delta: Delta
    #: The change in the threshold's unit (percent rise or points drop, a positive number);
    #: None for a rise from a baseline of 0.
    change: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold.name, "metric": self.threshold.metric,
                "unit": self.threshold.unit, "limit": self.threshold.limit,
                "change": self.change}


#: Float noise tolerated before a change counts as crossing a limit (1.0 -> 1.1 is +10 %).
_EPSILON = 1e-9


def crossed(threshold: Threshold, moved: Delta) -> Regression | None:
    """The regression when this delta crosses this threshold, else None."""
    if threshold.limit is None:
        return None
    if threshold.unit == PERCENT:
        if moved.absolute <= 0:
            return None
        if moved.relative is None:  # a rise from 0 exceeds any percentage
            return Regression(threshold, moved, None)
        rise = moved.relative * 100.0
        return Regression(threshold, moved, rise) if rise > threshold.limit + _EPSILON else None
    scale = 100.0 if threshold.metric == "cache_hit_rate" else 1.0
    drop = -moved.absolute * scale
    return Regression(threshold, moved, drop) if drop > threshold.limit + _EPSILON else None


# ---------------------------------------------------------------------------------------------
# Issues


def issue_fingerprint(issue: DetectedIssue) -> str:
    """`category:subject`, stable when iterations, timestamps and counts change."""
    if issue.category in SUBJECT_PREFIXES:
        subject = issue_subject(issue)
    else:
        subject = " ".join(_NUMBER.sub("#", issue.title).split())
    if len(subject) > SUBJECT_CHARS:
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        subject = f"{subject[:SUBJECT_CHARS - 20]}…{digest}"
    return f"{issue.category}:{subject}"


NEW = "new"
FIXED = "fixed"
UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class IssueChange:
    """One fingerprint's issues on both sides."""

    fingerprint: str
    #: NEW (only in the current session), FIXED (only in the baseline) or UNCHANGED (both).
    status: str
    #: The first such issue of the current session (of the baseline when fixed).
    issue: DetectedIssue
    #: How many issues with this fingerprint each side has.
    count: int
    baseline_count: int

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, **self.issue.to_dict(), "count": self.count,
                "baseline_count": self.baseline_count}


@dataclass(frozen=True, slots=True)
class IssueChanges:
    """Issues classified against the baseline, each list most severe first."""

    new: tuple[IssueChange, ...]
    fixed: tuple[IssueChange, ...]
    unchanged: tuple[IssueChange, ...]


def classify_issues(baseline: Sequence[DetectedIssue],
                    current: Sequence[DetectedIssue]) -> IssueChanges:
    """Each fingerprint is new, fixed or unchanged (counts do not matter)."""
    first_current = _first_by_fingerprint(current)
    first_baseline = _first_by_fingerprint(baseline)
    current_counts = Counter(issue_fingerprint(i) for i in current)
    baseline_counts = Counter(issue_fingerprint(i) for i in baseline)
    changes: dict[str, list[IssueChange]] = {NEW: [], FIXED: [], UNCHANGED: []}
    for fingerprint, issue in first_current.items():
        status = UNCHANGED if fingerprint in first_baseline else NEW
        changes[status].append(IssueChange(fingerprint, status, issue, current_counts[fingerprint],
                                           baseline_counts[fingerprint]))
    for fingerprint, issue in first_baseline.items():
        if fingerprint not in first_current:
            changes[FIXED].append(IssueChange(fingerprint, FIXED, issue, 0,
                                              baseline_counts[fingerprint]))

    def by_severity(items: list[IssueChange]) -> tuple[IssueChange, ...]:
        return tuple(sorted(items, key=lambda c: severity_rank(c.issue.severity)))

    return IssueChanges(by_severity(changes[NEW]), by_severity(changes[FIXED]),
                        by_severity(changes[UNCHANGED]))


def _first_by_fingerprint(issues: Sequence[DetectedIssue]) -> dict[str, DetectedIssue]:
    first: dict[str, DetectedIssue] = {}
    for issue in issues:
        first.setdefault(issue_fingerprint(issue), issue)
    return first


# ---------------------------------------------------------------------------------------------
# Pairing and the whole comparison


@dataclass(frozen=True, slots=True)
class SessionComparison:
    """One current session against its baseline session (None: the session was added)."""

    current: SessionFigures
    baseline: SessionFigures | None
    deltas: tuple[Delta, ...]
    #: Thresholds crossed; listed even with too little data, when they do not fail a run.
    regressions: tuple[Regression, ...]
    issues: IssueChanges
    #: Either side has fewer than MIN_LLM_CALLS LLM calls: the figures are too noisy to judge.
    too_little_data: bool

    @property
    def added(self) -> bool:
        return self.baseline is None

    def delta(self, name: str) -> Delta | None:
        return next((d for d in self.deltas if d.name == name), None)


@dataclass(frozen=True, slots=True)
class BaselineComparison:
    """Every current session compared (in the current order), and the baseline's leftovers."""

    sessions: tuple[SessionComparison, ...]
    removed: tuple[SessionFigures, ...]
    thresholds: Mapping[str, Threshold]


def source_stem(source: str) -> str:
    """The file stem of a session's source ('' for standard input)."""
    if source in ("", "-"):
        return ""
    name = PurePath(source.replace("\\", "/")).name
    for suffix in _TRACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return PurePath(name).stem


def pair_sessions(current: Sequence[SessionFigures], baseline: Sequence[SessionFigures]
                  ) -> list[int | None]:
    """For each current session, the index of its baseline session (None: unpaired).

    By session id, then by file stem of the source, then one to one when each side has a
    single session; in order, each baseline session pairs at most once.
    """
    if len(current) == 1 and len(baseline) == 1:
        return [0]
    pairs: list[int | None] = [None] * len(current)
    free = list(range(len(baseline)))
    keys = (lambda f: f.session_id, lambda f: source_stem(f.source))
    for key in keys:
        waiting: dict[str, list[int]] = {}
        for j in free:
            value = key(baseline[j])
            if value:
                waiting.setdefault(value, []).append(j)
        for i, figures in enumerate(current):
            candidates = waiting.get(key(figures)) if pairs[i] is None else None
            if candidates:
                pairs[i] = candidates.pop(0)
        taken = set(pairs)
        free = [j for j in free if j not in taken]
    return pairs


def compare_pair(current: SessionFigures, baseline: SessionFigures | None,
                 thresholds: Mapping[str, Threshold] = DEFAULT_THRESHOLDS) -> SessionComparison:
    """One session against its baseline (or, with None, as an added session)."""
    if baseline is None:
        return SessionComparison(current, None, (), (), classify_issues((), current.issues), False)
    deltas = figure_deltas(baseline, current)
    by_name = {d.name: d for d in deltas}
    regressions = tuple(r for t in thresholds.values() if t.metric in by_name
                        for r in [crossed(t, by_name[t.metric])] if r is not None)
    too_little = min(current.llm_calls, baseline.llm_calls) < MIN_LLM_CALLS
    return SessionComparison(current, baseline, deltas, regressions,
                             classify_issues(baseline.issues, current.issues), too_little)


def compare(current: Sequence[SessionFigures], baseline: Sequence[SessionFigures],
            thresholds: Mapping[str, Threshold] = DEFAULT_THRESHOLDS) -> BaselineComparison:
    """Compare every current session with its baseline session (see `pair_sessions`)."""
    pairs = pair_sessions(current, baseline)
    sessions = tuple(compare_pair(figures, None if j is None else baseline[j], thresholds)
                     for figures, j in zip(current, pairs, strict=True))
    paired = set(pairs)
    removed = tuple(b for j, b in enumerate(baseline) if j not in paired)
    return BaselineComparison(sessions, removed, dict(thresholds))


def comparison_document(comparison: SessionComparison) -> dict[str, Any]:
    """The `comparison` object of one session in the `--json` document (schema in README)."""
    baseline = comparison.baseline
    return {
        "baseline": None if baseline is None else {"session_id": baseline.session_id,
                                                   "source": baseline.source},
        "too_little_data": comparison.too_little_data,
        "deltas": {d.name: d.to_dict() for d in comparison.deltas},
        "regressions": [r.to_dict() for r in comparison.regressions],
        "issues": {
            "new": [c.to_dict() for c in comparison.issues.new],
            "fixed": [c.to_dict() for c in comparison.issues.fixed],
            "unchanged": [c.to_dict() for c in comparison.issues.unchanged],
        },
    }


def baseline_document(comparison: BaselineComparison) -> dict[str, Any]:
    """What the whole comparison adds at the top of the `--json` document: thresholds, removed."""
    return {
        "thresholds": {name: t.to_dict() for name, t in comparison.thresholds.items()},
        "min_llm_calls": MIN_LLM_CALLS,
        "removed": [{"session_id": f.session_id, "source": f.source} for f in comparison.removed],
    }
