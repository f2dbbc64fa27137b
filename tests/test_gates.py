"""CI gates: --fail-on, --fail-under and --fail-on-regression decisions and their reasons."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import attoreport
from attoreport.analysis.compare import SessionFigures, compare, parse_thresholds
from attoreport.analysis.detectors import DetectedIssue
from attoreport.errors import AttoreportError
from attoreport.gates import (
    FAIL_ON,
    FAIL_UNDER,
    ID_CHARS,
    REGRESSION,
    at_or_above,
    gate_failures,
    one_line,
    regression_failures,
)
from tests.conftest import FIXTURES, event, write_trace

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"  # high + medium, 62.9
CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"  # no issues, 88.6
PRESSURE = FIXTURES / "collector" / "collector-context-pressure.jsonl"  # critical, 86.5
SPINNING = FIXTURES / "collector" / "collector-spinning-research.jsonl"  # high .. low, 89.5
SWARM = FIXTURES / "collector" / "collector-swarm-run.jsonl"  # 1 LLM call


def analyses(*paths: Path) -> list[attoreport.Analysis]:
    return [attoreport.analyse(s) for s in attoreport.load([str(p) for p in paths])]


def figures(*paths: Path) -> list[SessionFigures]:
    return [SessionFigures.from_analysis(a) for a in analyses(*paths)]


@pytest.mark.parametrize(("severity", "failing"), [
    ("critical", ["collector-context-pressure"]),
    ("high", ["collector-doom-loop-tool-errors", "collector-context-pressure",
              "collector-spinning-research"]),
    ("medium", ["collector-doom-loop-tool-errors", "collector-context-pressure",
                "collector-spinning-research"]),
    ("low", ["collector-doom-loop-tool-errors", "collector-context-pressure",
             "collector-spinning-research"]),
])
def test_fail_on_an_issue_at_or_above_a_severity(severity: str, failing: list[str]) -> None:
    failures = gate_failures(analyses(CLEAN, DOOM, PRESSURE, SPINNING), fail_on=severity)
    assert [f.session_id for f in failures] == failing
    assert {f.gate for f in failures} == {FAIL_ON}


def test_fail_on_reason_counts_and_names_the_worst() -> None:
    (doom,) = gate_failures(analyses(DOOM), fail_on="medium")
    assert doom.reason == ("session collector-doom-loop-tool-errors: 3 issues at or above medium "
                           "(worst: high 'Repeated tool call: bash')")
    (pressure,) = gate_failures(analyses(PRESSURE), fail_on="critical")
    assert pressure.reason == ("session collector-context-pressure: 1 issue at or above critical "
                               "(worst: critical 'Context overflow detected')")
    assert str(pressure) == pressure.reason


def test_at_or_above_is_most_severe_first() -> None:
    (spinning,) = analyses(SPINNING)
    assert [i.severity for i in at_or_above(spinning.issues, "low")] == [
        "high", "medium", "low", "low"]
    assert [i.severity for i in at_or_above(spinning.issues, "medium")] == ["high", "medium"]


@pytest.mark.parametrize(("minimum", "fails"), [(62.9, False), (62.91, True), (70, True),
                                                (0, False), (100, True)])
def test_fail_under_a_score(minimum: float, fails: bool) -> None:
    failures = gate_failures(analyses(DOOM), fail_under=minimum)
    assert bool(failures) is fails
    if fails:
        assert failures[0].gate == FAIL_UNDER
        assert failures[0].reason == (f"session collector-doom-loop-tool-errors: efficiency score "
                                      f"62.9 is below {minimum:g}")


def test_no_gate_no_failure_and_both_gates_together() -> None:
    assert gate_failures(analyses(DOOM, PRESSURE)) == []
    both = gate_failures(analyses(DOOM), fail_on="high", fail_under=70)
    assert [f.gate for f in both] == [FAIL_ON, FAIL_UNDER]


@pytest.mark.parametrize("bad", ["severe", "HIGH", ""])
def test_an_unknown_severity_is_a_usage_error(bad: str) -> None:
    with pytest.raises(AttoreportError, match="valid: critical, high, medium, low"):
        gate_failures(analyses(CLEAN), fail_on=bad)
    with pytest.raises(AttoreportError):
        regression_failures(compare(figures(CLEAN), figures(CLEAN)), bad)


def test_fail_under_must_be_a_number() -> None:
    with pytest.raises(AttoreportError, match="--fail-under"):
        gate_failures(analyses(CLEAN), fail_under=float("nan"))


def test_hostile_session_ids_and_titles_make_one_bounded_line(tmp_path: Path) -> None:
    hostile_id = "evil\n::error::injected\x1b[2J\u202e" + "x" * 500
    trace = write_trace(tmp_path / "t.jsonl", [  # two session ids: sessions named by their ids
        {**event("subagent_timeout", 1.0, 1, agent_id="a\r\nb" + "y" * 500), "session_id": hostile_id},
        {**event("session_start", 2.0), "session_id": "other"}])
    (failure,) = gate_failures(analyses(trace), fail_on="high")
    assert "\n" not in failure.reason and "\r" not in failure.reason
    assert "\x1b" not in failure.reason and "\u202e" not in failure.reason
    assert len(failure.session_id) == ID_CHARS and failure.session_id.endswith("…")
    assert len(failure.reason) < 250
    assert failure.reason.startswith("session evil ::error::injected\ufffd[2J\ufffdxxx")


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("plain", 10, "plain"),
    ("a\n\tb  c", 10, "a b c"),
    ("bell\x07\x85\u2028\u2029end", 20, "bell\ufffd end"),
    ("0123456789", 5, "0123…"),
])
def test_one_line(text: str, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected


# --- --fail-on-regression ---------------------------------------------------------------------


def test_regression_fails_on_thresholds_and_new_issues() -> None:
    failures = regression_failures(compare(figures(DOOM), figures(CLEAN)))
    assert {f.gate for f in failures} == {REGRESSION}
    assert [f.reason for f in failures] == [
        "session collector-doom-loop-tool-errors: cost rose by 24.3 % (the limit is a rise of 10 %)",
        "session collector-doom-loop-tool-errors: tokens rose by 45.0 % (the limit is a rise of 15 %)",
        "session collector-doom-loop-tool-errors: duration rose by 116.7 % (the limit is a rise of 20 %)",
        "session collector-doom-loop-tool-errors: iterations rose by 22.2 % (the limit is a rise of 20 %)",
        "session collector-doom-loop-tool-errors: score fell by 25.7 points (the limit is a fall "
        "of 5 points)",
        "session collector-doom-loop-tool-errors: 2 new issues at or above high (worst: high "
        "'Repeated tool call: bash')",
    ]


def test_no_regression_against_itself_or_when_better() -> None:
    assert regression_failures(compare(figures(DOOM), figures(DOOM))) == []
    assert regression_failures(compare(figures(CLEAN), figures(DOOM))) == []  # cheaper, issues fixed


def test_the_severity_decides_which_new_issues_fail() -> None:
    relaxed = parse_thresholds(f"{name}=off" for name in
                               ("cost", "tokens", "duration", "iterations", "cache_hit_rate", "score"))
    comparison = compare(figures(DOOM), figures(CLEAN), relaxed)
    assert regression_failures(comparison, "critical") == []
    (high,) = regression_failures(comparison, "high")
    assert "2 new issues at or above high" in high.reason
    (medium,) = regression_failures(comparison)  # default: high
    assert medium == high
    (low,) = regression_failures(comparison, "low")
    assert "3 new issues at or above low" in low.reason


def test_a_cache_drop_fails_in_points() -> None:
    base = figures(CLEAN)[0]
    worse = replace(base, cache_hit_rate=base.cache_hit_rate - 0.0501)
    (failure,) = regression_failures(compare([worse], [base]))
    assert failure.reason == ("session collector-clean-feature: cache hit rate fell by 5.0 points "
                              "(the limit is a fall of 5 points)")


def test_a_rise_from_zero_says_so() -> None:
    base = replace(figures(CLEAN)[0], cost=0.0)
    (failure,) = regression_failures(compare(figures(CLEAN), [base]))
    assert failure.reason.endswith("cost rose from 0 (the limit is a rise of 10 %)")


def test_too_little_data_keeps_thresholds_from_failing_but_not_new_issues() -> None:
    swarm = figures(SWARM)[0]  # 1 LLM call, 2 issues (high, medium)
    comparison = compare(figures(CLEAN), [swarm])
    assert comparison.sessions[0].too_little_data and comparison.sessions[0].regressions
    assert regression_failures(comparison) == []  # only thresholds crossed, all ignored
    noisy_but_new = compare([swarm], figures(CLEAN))
    (failure,) = regression_failures(noisy_but_new)
    assert "1 new issue at or above high" in failure.reason


def test_an_added_session_counts_all_its_issues_as_new_and_a_removed_one_never_fails() -> None:
    clean, doom = figures(CLEAN)[0], figures(DOOM)[0]
    added = compare([replace(clean, session_id="c"), replace(doom, session_id="d", source="d.jsonl")],
                    [replace(clean, session_id="c")])
    (failure,) = regression_failures(added)
    assert failure.reason == ("session d: 2 new issues at or above high (no baseline session) "
                              "(worst: high 'Repeated tool call: bash')")
    removed = compare([replace(clean, session_id="c")],
                      [replace(clean, session_id="c"), replace(doom, session_id="d")])
    assert removed.removed and regression_failures(removed) == []


def test_a_new_issue_of_unknown_severity_never_fails() -> None:
    base = figures(CLEAN)[0]
    odd = replace(base, issues=(DetectedIssue("whatever", "x", "X", ""),))
    assert regression_failures(compare([odd], [base]), "low") == []
