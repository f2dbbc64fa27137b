"""Comparison with a baseline: figures, pairing, deltas, fingerprints, thresholds, the JSON object."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport.analysis.compare import (
    DEFAULT_THRESHOLDS,
    MIN_LLM_CALLS,
    SessionFigures,
    baseline_document,
    classify_issues,
    compare,
    comparison_document,
    crossed,
    delta,
    issue_fingerprint,
    pair_sessions,
    parse_thresholds,
    source_stem,
)
from attoreport.analysis.detectors import DetectedIssue
from attoreport.errors import AttoreportError
from tests.conftest import ALL_TRACES, FIXTURES, event, write_trace

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
DOOM_COPY = FIXTURES / "damaged" / "damaged-blank-lines.jsonl"  # the same session, damaged
SWARM = FIXTURES / "collector" / "collector-swarm-run.jsonl"  # one LLM call


def analyses(*paths: Path | str) -> list[attoreport.Analysis]:
    return [attoreport.analyse(s) for s in attoreport.load([str(p) for p in paths])]


def figures(*paths: Path | str) -> list[SessionFigures]:
    return [SessionFigures.from_analysis(a) for a in analyses(*paths)]


def json_entries(*paths: Path | str) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = json.loads(attoreport.render_json(analyses(*paths)))["sessions"]
    return sessions


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- figures --------------------------------------------------------------------------------


@pytest.mark.parametrize("trace", ALL_TRACES, ids=lambda p: p.stem)
def test_figures_from_json_equal_figures_from_the_analysis(trace: Path) -> None:
    from_analysis = figures(trace)
    from_json = [SessionFigures.from_json(e) for e in json_entries(trace)]
    assert from_json == from_analysis


def test_figures_are_the_sessions_own_summary() -> None:
    entry = json_entries(DOOM)[0]
    got = SessionFigures.from_json(entry)
    summary = entry["summary"]
    assert (got.session_id, got.source) == (entry["session_id"], entry["source"])
    for name, key in [("cost", "total_cost"), ("total_tokens", "total_tokens"),
                      ("duration_seconds", "duration_seconds"), ("iterations", "iterations"),
                      ("llm_calls", "llm_calls"), ("tool_calls", "tool_calls"),
                      ("errors", "errors"), ("efficiency_score", "efficiency_score"),
                      ("cache_hit_rate", "cache_hit_rate")]:
        assert getattr(got, name) == summary[key], name
    assert got.input_tokens == entry["tokens"]["breakdown"]["input"] == 818
    assert got.output_tokens == entry["tokens"]["breakdown"]["output"] == 4559
    assert got.component_points == tuple((c["name"], c["points"])
                                         for c in entry["efficiency"]["components"])
    assert [i.title for i in got.issues] == [i["title"] for i in entry["issues"]]


@pytest.mark.parametrize(("change", "message"), [
    (lambda e: e["summary"].pop("total_cost"), "sessions[0].summary.total_cost: missing"),
    (lambda e: e["summary"].update(total_cost="12"),
     "sessions[0].summary.total_cost: expected a number, got a string"),
    (lambda e: e["summary"].update(iterations=True),
     "sessions[0].summary.iterations: expected a whole number, got a boolean"),
    (lambda e: e["summary"].update(iterations=2.5),
     "sessions[0].summary.iterations: expected a whole number, got a number"),
    (lambda e: e["summary"].update(total_cost=math.inf),
     "sessions[0].summary.total_cost: expected a finite number"),
    (lambda e: e.update(summary=[]), "sessions[0].summary: expected an object, got an array"),
    (lambda e: e["issues"][0].update(iteration="1"),
     "sessions[0].issues[0].iteration: expected a whole number, got a string"),
    (lambda e: e["efficiency"]["components"][1].pop("points"),
     "sessions[0].efficiency.components[1].points: missing"),
    (lambda e: e.update(issues=None), "sessions[0].issues: expected an array, got null"),
])
def test_a_bad_json_entry_names_the_field(change: Any, message: str) -> None:
    entry = json_entries(DOOM)[0]
    change(entry)
    with pytest.raises(AttoreportError) as caught:
        SessionFigures.from_json(entry, "sessions[0]")
    assert str(caught.value).startswith(message)


# --- deltas ---------------------------------------------------------------------------------


def test_deltas_are_the_difference_of_both_sides_own_json() -> None:
    current, base = json_entries(DOOM)[0], json_entries(CLEAN)[0]
    result = compare(figures(DOOM), figures(CLEAN))
    compared = result.sessions[0]
    pairs = {"cost": ("summary", "total_cost"), "total_tokens": ("summary", "total_tokens"),
             "duration_seconds": ("summary", "duration_seconds"),
             "iterations": ("summary", "iterations"), "llm_calls": ("summary", "llm_calls"),
             "tool_calls": ("summary", "tool_calls"), "errors": ("summary", "errors"),
             "efficiency_score": ("summary", "efficiency_score"),
             "cache_hit_rate": ("summary", "cache_hit_rate")}
    for name, (part, key) in pairs.items():
        moved = compared.delta(name)
        assert moved is not None, name
        assert moved.baseline == base[part][key] and moved.current == current[part][key]
        assert moved.absolute == pytest.approx(current[part][key] - base[part][key], abs=1e-9)
        if base[part][key]:
            assert moved.relative == pytest.approx(
                (current[part][key] - base[part][key]) / base[part][key], abs=1e-9)
    for side, key in [("input", "input_tokens"), ("output", "output_tokens")]:
        moved = compared.delta(key)
        assert moved is not None
        assert moved.absolute == (current["tokens"]["breakdown"][side]
                                  - base["tokens"]["breakdown"][side])
    for now, then in zip(current["efficiency"]["components"], base["efficiency"]["components"],
                         strict=True):
        moved = compared.delta(f"points_{now['name']}")
        assert moved is not None
        assert moved.absolute == pytest.approx(now["points"] - then["points"], abs=1e-9)
    assert [d.name for d in compared.deltas] == [
        "cost", "total_tokens", "input_tokens", "output_tokens", "duration_seconds", "iterations",
        "llm_calls", "tool_calls", "errors", "efficiency_score", "points_cache_hit_rate",
        "points_error_rate", "points_compaction_frequency", "points_tool_success_rate",
        "points_token_efficiency", "cache_hit_rate"]


def test_relative_delta_is_none_when_the_baseline_is_zero() -> None:
    errors = compare(figures(DOOM), figures(CLEAN)).sessions[0].delta("errors")
    assert errors is not None
    assert (errors.baseline, errors.current, errors.absolute, errors.relative) == (0, 7, 7, None)
    assert delta("x", 0, 0).relative is None
    assert delta("x", -2.0, -1.0).relative == 0.5  # relative to the baseline's size


def test_an_identical_session_has_zero_deltas_and_unchanged_issues() -> None:
    compared = compare(figures(DOOM_COPY), figures(DOOM)).sessions[0]
    assert compared.baseline is not None and compared.baseline.session_id == DOOM.stem
    assert all(d.absolute == 0 for d in compared.deltas)
    assert compared.regressions == ()
    assert compared.issues.new == compared.issues.fixed == ()
    assert len(compared.issues.unchanged) == 3


# --- pairing --------------------------------------------------------------------------------


def named(base: SessionFigures, session_id: str, source: str) -> SessionFigures:
    return replace(base, session_id=session_id, source=source)


def test_pairing_by_id_then_stem_then_one_to_one() -> None:
    base = figures(CLEAN)[0]
    current = [named(base, "a", "new/x.jsonl"), named(base, "b", "new/y.jsonl.gz"),
               named(base, "c", "new/z.jsonl"), named(base, "d", "-")]
    baseline = [named(base, "zz", "old/y.jsonl"), named(base, "a", "old/q.jsonl"),
                named(base, "other", "old/w.jsonl"), named(base, "stdin", "-")]
    assert pair_sessions(current, baseline) == [1, 0, None, None]
    result = compare(current, baseline)
    assert [c.added for c in result.sessions] == [False, False, True, True]
    assert [f.session_id for f in result.removed] == ["other", "stdin"]
    # a single session on each side pairs whatever its name
    assert pair_sessions([current[2]], [baseline[2]]) == [0]


def test_an_id_match_wins_over_an_earlier_stem_match() -> None:
    base = figures(CLEAN)[0]
    current = [named(base, "s1", "run/t.jsonl"), named(base, "s2", "run/t.jsonl")]
    baseline = [named(base, "s2", "old/t.jsonl"), named(base, "s1", "old/t.jsonl")]
    assert pair_sessions(current, baseline) == [1, 0]


def test_each_baseline_session_pairs_once() -> None:
    base = figures(CLEAN)[0]
    current = [named(base, "same", "a.jsonl"), named(base, "same", "b.jsonl")]
    baseline = [named(base, "same", "c.jsonl"), named(base, "x", "d.jsonl")]
    assert pair_sessions(current, baseline) == [0, None]


@pytest.mark.parametrize(("source", "stem"), [
    ("traces/run.jsonl", "run"), ("run.jsonl.gz", "run"), ("C:\\t\\run.jsonl", "run"),
    ("a/b.gz", "b"), ("a/plain.txt", "plain"), ("-", ""), (".jsonl", ".jsonl"),
])
def test_source_stem(source: str, stem: str) -> None:
    assert source_stem(source) == stem


# --- issues ---------------------------------------------------------------------------------


def shifted(path: Path, tmp: Path, iterations: int, seconds: float) -> Path:
    """The same trace with every iteration number and timestamp moved."""
    moved = []
    for line in lines_of(path):
        if isinstance(line.get("iteration"), int):
            line["iteration"] += iterations
        line["timestamp"] += seconds
        moved.append(line)
    return write_trace(tmp / path.name, moved)


@pytest.mark.parametrize("trace", [DOOM, FIXTURES / "collector" / "collector-context-pressure.jsonl",
                                   FIXTURES / "collector" / "collector-spinning-research.jsonl",
                                   FIXTURES / "collector" / "collector-all-kinds-markdown-goal.jsonl"],
                         ids=lambda p: p.stem)
def test_fingerprints_stay_when_iterations_and_times_shift(trace: Path, tmp_path: Path) -> None:
    before, after = analyses(trace)[0], analyses(shifted(trace, tmp_path, 7, 3600.0))[0]
    assert [i.iteration for i in before.issues] != [i.iteration for i in after.issues]
    assert ([issue_fingerprint(i) for i in before.issues]
            == [issue_fingerprint(i) for i in after.issues])
    changes = classify_issues(before.issues, after.issues)
    assert changes.new == changes.fixed == ()


def issue(category: str, title: str, severity: str = "high", iteration: int | None = 1,
          description: str = "") -> DetectedIssue:
    return DetectedIssue(severity, category, title, description, iteration, "")


def test_fingerprint_is_category_and_subject() -> None:
    assert issue_fingerprint(issue("doom_loop", "Repeated tool call: bash")) == "doom_loop:bash"
    assert (issue_fingerprint(issue("long_tool", "Long tool execution: mcp2:read"))
            == "long_tool:mcp2:read")  # digits in a tool name matter
    assert (issue_fingerprint(issue("doom_loop", "Repeated tool call: bash"))
            != issue_fingerprint(issue("doom_loop", "Repeated tool call: grep")))
    assert (issue_fingerprint(issue("swarm_cascade_failures", "Cascade failures affecting 56% of tasks"))
            == issue_fingerprint(issue("swarm_cascade_failures",
                                       "Cascade failures affecting 100% of tasks"))
            == "swarm_cascade_failures:Cascade failures affecting #% of tasks")
    assert (issue_fingerprint(issue("swarm_excessive_conflicts", "High conflict rate: 2.3 conflicts/batch"))
            == issue_fingerprint(issue("swarm_excessive_conflicts",
                                       "High conflict rate: 12.0 conflicts/batch")))
    # descriptions (counts, seconds) and iterations never matter
    assert (issue_fingerprint(issue("token_spike", "Token usage spike", "medium", 3, "4,000 tokens"))
            == issue_fingerprint(issue("token_spike", "Token usage spike", "medium", 9, "9 tokens")))


def test_a_huge_subject_is_bounded_but_still_distinct() -> None:
    one = issue_fingerprint(issue("doom_loop", "Repeated tool call: " + "x" * 10_000 + "1"))
    two = issue_fingerprint(issue("doom_loop", "Repeated tool call: " + "x" * 10_000 + "2"))
    assert len(one) < 250 and one != two


def test_counts_do_not_matter_three_doom_loops_against_one_is_unchanged() -> None:
    three = [issue("doom_loop", "Repeated tool call: bash", iteration=i) for i in (1, 4, 9)]
    one = [issue("doom_loop", "Repeated tool call: bash", iteration=2)]
    changes = classify_issues(one, three)
    assert changes.new == changes.fixed == ()
    (unchanged,) = changes.unchanged
    assert (unchanged.count, unchanged.baseline_count, unchanged.issue.iteration) == (3, 1, 1)
    back = classify_issues(three, one)
    assert (back.unchanged[0].count, back.unchanged[0].baseline_count) == (1, 3)


def test_new_fixed_and_unchanged_on_a_pair_that_differs_in_known_ways(tmp_path: Path) -> None:
    """The current run: the long pytest made quick (long_tool fixed), a context overflow added."""
    lines = lines_of(DOOM)
    for line in lines:
        if line.get("duration_ms", 0) > 30_000 and line["kind"] in ("tool_end", "tool_error"):
            line["duration_ms"] = 1200.0
    end = lines.pop()
    overflow = {**event("context_overflow", end["timestamp"] - 1, 10), "session_id": end["session_id"]}
    lines += [overflow, end]
    current = write_trace(tmp_path / "current.jsonl", lines)
    compared = compare(figures(current), figures(DOOM)).sessions[0]
    assert [c.fingerprint for c in compared.issues.new] == ["context_overflow:Context overflow detected"]
    assert compared.issues.new[0].issue.severity == "critical"
    assert [c.fingerprint for c in compared.issues.fixed] == ["long_tool:bash"]
    assert [c.fingerprint for c in compared.issues.unchanged] == [
        "doom_loop:bash", "tool_error_rate:High tool error rate"]


def test_issue_lists_are_most_severe_first() -> None:
    current = [issue("token_spike", "Token usage spike", "medium"),
               issue("context_overflow", "Context overflow detected", "critical"),
               issue("empty_response", "Empty LLM response", "low"),
               issue("doom_loop", "Repeated tool call: a", "high")]
    changes = classify_issues([], current)
    assert [c.issue.severity for c in changes.new] == ["critical", "high", "medium", "low"]
    assert [c.issue.severity for c in classify_issues(current, []).fixed] == [
        "critical", "high", "medium", "low"]


# --- thresholds -----------------------------------------------------------------------------


def test_default_thresholds() -> None:
    assert {n: (t.metric, t.unit, t.limit) for n, t in DEFAULT_THRESHOLDS.items()} == {
        "cost": ("cost", "percent", 10.0),
        "tokens": ("total_tokens", "percent", 15.0),
        "duration": ("duration_seconds", "percent", 20.0),
        "iterations": ("iterations", "percent", 20.0),
        "cache_hit_rate": ("cache_hit_rate", "points", 5.0),
        "score": ("efficiency_score", "points", 5.0),
    }


@pytest.mark.parametrize(("spec", "name", "limit"), [
    ("cost=25", "cost", 25.0), ("cost=25%", "cost", 25.0), ("cost=+2.5 %", "cost", 2.5),
    ("tokens=0", "tokens", 0.0), ("Duration=off", "duration", None), ("iterations=none", "iterations", None),
    ("score=3", "score", 3.0), ("score=-3", "score", 3.0), ("score=3pt", "score", 3.0),
    ("cache-hit-rate=2.5 points", "cache_hit_rate", 2.5), ("cache_hit_rate=.5", "cache_hit_rate", 0.5),
])
def test_parse_threshold(spec: str, name: str, limit: float | None) -> None:
    thresholds = parse_thresholds([spec])
    assert thresholds[name].limit == limit
    assert all(t == DEFAULT_THRESHOLDS[n] for n, t in thresholds.items() if n != name)


def test_the_last_threshold_for_a_name_wins() -> None:
    assert parse_thresholds(["cost=5", "cost=50"])["cost"].limit == 50.0


@pytest.mark.parametrize(("spec", "message"), [
    ("cost", "expected NAME=VALUE"),
    ("price=10", "unknown name 'price'; valid names: cost, tokens, duration, iterations, "
                 "cache_hit_rate, score"),
    ("cost=-10", "cost takes a rise in percent"),
    ("cost=10pt", "cost takes a rise in percent"),
    ("cost=ten", "cost takes a rise in percent"),
    ("score=5%", "score takes a drop in points"),
    ("score=+5", "score takes a drop in points"),
    ("cache_hit_rate=", "cache_hit_rate takes a drop in points"),
    ("cost=nan", "cost takes a rise in percent"),
])
def test_bad_thresholds_say_what_is_valid(spec: str, message: str) -> None:
    with pytest.raises(AttoreportError, match="--threshold") as caught:
        parse_thresholds([spec])
    assert message in str(caught.value)


def test_a_long_bad_threshold_is_cut_in_the_message() -> None:
    with pytest.raises(AttoreportError) as caught:
        parse_thresholds(["x" * 5000 + "=1"])
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(("name", "base", "now", "crosses"), [
    ("cost", 1.0, 1.1, False),        # exactly +10 %: allowed
    ("cost", 1.0, 1.1001, True),
    ("cost", 0.0, 0.01, True),        # a rise from nothing
    ("cost", 0.0, 0.0, False),
    ("cost", 2.0, 1.0, False),        # cheaper
    ("tokens", 1000, 1150, False),
    ("tokens", 1000, 1151, True),
    ("duration", 10.0, 12.0, False),
    ("duration", 10.0, 12.01, True),
    ("iterations", 10, 12, False),
    ("iterations", 10, 13, True),
    ("cache_hit_rate", 0.90, 0.85, False),  # exactly -5 points
    ("cache_hit_rate", 0.90, 0.8499, True),
    ("cache_hit_rate", 0.50, 0.99, False),
    ("score", 80.0, 75.0, False),
    ("score", 80.0, 74.9, True),
])
def test_threshold_boundaries(name: str, base: float, now: float, crosses: bool) -> None:
    threshold = DEFAULT_THRESHOLDS[name]
    assert (crossed(threshold, delta(threshold.metric, base, now)) is not None) is crosses


def test_an_off_threshold_never_crosses() -> None:
    off = parse_thresholds(["cost=off"])["cost"]
    assert crossed(off, delta("cost", 1.0, 100.0)) is None


def test_regressions_use_the_given_thresholds() -> None:
    default = compare(figures(DOOM), figures(CLEAN)).sessions[0]
    assert [r.threshold.name for r in default.regressions] == [
        "cost", "tokens", "duration", "iterations", "score"]
    cost = default.regressions[0]
    assert cost.change == pytest.approx((0.115453 - 0.092895) / 0.092895 * 100)
    relaxed = parse_thresholds(["cost=50", "tokens=50", "duration=off", "iterations=25",
                                "score=30"])
    assert compare(figures(DOOM), figures(CLEAN), relaxed).sessions[0].regressions == ()


def test_too_little_data_when_either_side_has_fewer_than_three_llm_calls() -> None:
    assert MIN_LLM_CALLS == 3
    swarm = figures(SWARM)[0]
    assert swarm.llm_calls < 3
    against_swarm = compare(figures(CLEAN), [swarm]).sessions[0]
    assert against_swarm.too_little_data
    assert against_swarm.regressions  # still listed, so a reader sees them
    assert not compare(figures(DOOM), figures(CLEAN)).sessions[0].too_little_data
    two_calls = replace(figures(CLEAN)[0], llm_calls=2)
    three_calls = replace(figures(CLEAN)[0], llm_calls=3)
    assert compare([two_calls], figures(CLEAN)).sessions[0].too_little_data
    assert not compare([three_calls], figures(CLEAN)).sessions[0].too_little_data


# --- the JSON object ------------------------------------------------------------------------


def test_comparison_document_schema() -> None:
    result = compare(figures(DOOM), figures(CLEAN))
    document = comparison_document(result.sessions[0])
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text) == document
    assert list(document) == ["baseline", "too_little_data", "deltas", "regressions", "issues"]
    assert document["baseline"] == {"session_id": CLEAN.stem, "source": str(CLEAN)}
    assert document["deltas"]["errors"] == {"baseline": 0, "current": 7, "absolute": 7,
                                            "relative": None}
    assert document["regressions"][0] == {
        "threshold": "cost", "metric": "cost", "unit": "percent", "limit": 10.0,
        "change": pytest.approx(24.28333064212282)}
    assert list(document["issues"]) == ["new", "fixed", "unchanged"]
    first_new = document["issues"]["new"][0]
    assert first_new == {
        "fingerprint": "doom_loop:bash", "severity": "high", "category": "doom_loop",
        "title": "Repeated tool call: bash",
        "description": "Tool 'bash' called 5 times with identical arguments. This is a doom "
                       "loop indicator.",
        "iteration": 1, "suggestion": first_new["suggestion"], "count": 1, "baseline_count": 0}


def test_an_added_session_has_no_baseline_and_all_issues_new() -> None:
    base = figures(CLEAN)[0]
    result = compare(figures(DOOM) + figures(CLEAN), [base])
    added = comparison_document(result.sessions[0])
    assert result.sessions[0].added and added["baseline"] is None
    assert added["deltas"] == {} and added["regressions"] == []
    assert [c["fingerprint"] for c in added["issues"]["new"]] == [
        "doom_loop:bash", "tool_error_rate:High tool error rate", "long_tool:bash"]
    assert result.sessions[1].baseline == base


def test_baseline_document_lists_thresholds_and_removed_sessions() -> None:
    base = figures(CLEAN)[0]
    result = compare([named(base, "a", "a.jsonl")],
                     [named(base, "a", "a.jsonl"), named(base, "gone", "gone.jsonl")],
                     parse_thresholds(["duration=off"]))
    document = baseline_document(result)
    assert document["removed"] == [{"session_id": "gone", "source": "gone.jsonl"}]
    assert document["thresholds"]["duration"] == {"metric": "duration_seconds", "unit": "percent",
                                                  "limit": None}
    assert document["min_llm_calls"] == 3
    json.dumps(document, allow_nan=False)


# --- baseline files (attoreport.baseline) ----------------------------------------------------


def write_json_baseline(path: Path, *traces: Path, indent: int | None = 2) -> Path:
    document = json.loads(attoreport.render_json(analyses(*traces)))
    path.write_text(json.dumps(document, indent=indent) + "\n")
    return path


def test_a_json_baseline_gives_the_figures_of_its_traces(tmp_path: Path) -> None:
    from attoreport.baseline import load_baseline

    written = tmp_path / "main.json"
    written.write_text(attoreport.render_json(analyses(DOOM, CLEAN)))  # exactly as --json writes
    assert load_baseline(written) == figures(DOOM, CLEAN)
    assert load_baseline(str(written)) == figures(DOOM, CLEAN)


def test_a_json_baseline_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    from attoreport.baseline import load_baseline

    compact = write_json_baseline(tmp_path / "baseline.jsonl", DOOM, indent=None)
    assert load_baseline(compact) == figures(DOOM)
    unnamed = write_json_baseline(tmp_path / "baseline", CLEAN)
    assert load_baseline(unnamed) == figures(CLEAN)


def test_a_trace_or_a_folder_of_traces_is_analysed(tmp_path: Path) -> None:
    import gzip

    from attoreport.baseline import load_baseline

    assert load_baseline(DOOM) == figures(DOOM)
    folder = tmp_path / "traces"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(DOOM.read_bytes())
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(CLEAN.read_bytes()))
    got = load_baseline(folder)
    assert [f.session_id for f in got] == ["a", "b"]  # sessions are named by file stem
    assert [f.source for f in got] == [str(folder / "a.jsonl"), str(folder / "b.jsonl.gz")]
    assert ([replace(f, session_id="", source="") for f in got]
            == [replace(f, session_id="", source="") for f in figures(DOOM, CLEAN)])
    one_line = tmp_path / "one.jsonl"  # a trace whose only line has no newline: still a trace
    one_line.write_text(json.dumps(lines_of(CLEAN)[0]))
    assert [f.session_id for f in load_baseline(one_line)] == ["one"]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("main.json", '{"tool": {"name": "attoreport"}, "sessions": [', "invalid JSON: Expecting value"),
    ("main.json", "{\n  \"tool\": {\"name\": \"other\"},\n  \"sessions\": []\n}",
     "is not a JSON document written by attoreport --json"),
    ("main.json", "[1, 2]", "is not a JSON document written by attoreport --json"),
    ("main.json", "", "is not a JSON document written by attoreport --json"),
    ("main.txt", '{\n"tool": {"name": "attoreport"}, "sessions": {}\n}', "sessions: expected an array"),
    ("main.txt", '{"tool": {"name": "attoreport"}, "sessions": []}\n', "the document has no sessions"),
    ("main.txt", '{"tool": {"name": "attoreport"}, "sessions": [{"session_id": 1}]}\n',
     "not a valid attoreport --json document: sessions[0].session_id: expected a string"),
    ("main.json", '{\n"tool": {"name": "attoreport"}, "sessions": [NaN]\n}', "invalid JSON"),
    ("main.json", b'{\n"tool": {"name": "attoreport\xff"}}', "invalid JSON: not UTF-8"),
])
def test_a_bad_json_baseline_is_a_clear_error(tmp_path: Path, name: str, text: str | bytes,
                                              message: str) -> None:
    from attoreport.baseline import load_baseline

    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(AttoreportError) as caught:
        load_baseline(path)
    assert str(caught.value).startswith(f"baseline {path}")
    assert message in str(caught.value)


def test_a_missing_or_unreadable_baseline_is_a_clear_error(tmp_path: Path) -> None:
    from attoreport.baseline import load_baseline

    with pytest.raises(AttoreportError, match="no such file or directory"):
        load_baseline(tmp_path / "nowhere.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AttoreportError, match="^baseline: .*no \\*.jsonl"):
        load_baseline(empty)
