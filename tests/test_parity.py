"""Parity: every number of Attocode's own analysis (the expected.json files) equals ours."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from attoreport import analyse, load
from attoreport.report.jsondoc import session_document
from tests.conftest import ALL_TRACES, FIXTURES, expected_for


def _oracle(trace: Path) -> dict[str, Any] | None:
    expected = expected_for(trace)
    if expected["loadable"]:
        return expected
    return expected.get("NOT_ATTOCODE_tool_kind_read_as_tool_end")


PARITY_TRACES = [t for t in ALL_TRACES if _oracle(t) is not None]


def assert_same(ours: Any, theirs: Any, where: str) -> None:
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        assert set(ours) == set(theirs), f"{where}: keys {sorted(ours)} != {sorted(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float) or isinstance(ours, float):
        assert ours is not None and theirs is not None, where
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {ours} != {theirs}"
        assert not isinstance(ours, bool)
    else:
        assert ours == theirs and type(ours) is type(theirs), f"{where}: {ours!r} != {theirs!r}"


@pytest.mark.parametrize("trace", PARITY_TRACES, ids=lambda p: p.stem)
def test_every_number_matches_attocode(trace: Path) -> None:
    oracle = _oracle(trace)
    assert oracle is not None
    [session] = load([str(trace)])
    doc = session_document(analyse(session))
    summary = dict(doc["summary"])
    if oracle["summary"]["duration_seconds"] is None:  # open session: Attocode uses "now"
        summary["duration_seconds"] = None
    assert_same(summary, oracle["summary"], "summary")
    assert_same(doc["token_flow"], oracle["token_flow"], "token_flow")
    assert_same(doc["tokens"]["total_cost"], oracle["total_cost"], "total_cost")
    assert_same(doc["tokens"]["cache_efficiency"], oracle["cache_efficiency"], "cache_efficiency")
    assert_same(doc["tokens"]["breakdown"], oracle["token_breakdown"], "token_breakdown")
    assert_same(doc["tokens"]["cost_by_iteration"], oracle["cost_by_iteration"], "cost_by_iteration")
    assert_same(doc["cache_boundary"], oracle["cache_boundary"], "cache_boundary")
    assert_same(doc["issues"], oracle["issues"], "issues")
    assert_same(doc["event_counts"], oracle["event_counts"], "event_counts")
    if "session" in oracle:
        assert doc["session_id"] == oracle["session"]["session_id"]
        assert doc["open"] == oracle["session"]["open_session"]
        assert len(session.table) == oracle["session"]["event_count"]


def test_every_fixture_is_covered() -> None:
    """All 21 corpus traces are either compared directly or by their source (below)."""
    assert len(ALL_TRACES) == 21
    assert len(PARITY_TRACES) == 19


@pytest.mark.parametrize(("damaged", "source", "extra_counts"), [
    ("damaged/damaged-non-object-line", "collector/collector-swarm-run", {}),
    ("damaged/damaged-unknown-kind", "collector/collector-context-pressure", {"tool_progress": 1}),
])
def test_damage_attocode_cannot_load_leaves_the_numbers_of_its_source(
        damaged: str, source: str, extra_counts: dict[str, int]) -> None:
    """Attocode refuses these files; we keep every good line, so the numbers are the source's."""
    oracle = expected_for(FIXTURES / f"{source}.jsonl")
    [session] = load([str(FIXTURES / f"{damaged}.jsonl")])
    doc = session_document(analyse(session))
    summary = {**doc["summary"], "session_id": oracle["summary"]["session_id"]}
    assert_same(summary, oracle["summary"], "summary")
    assert_same(doc["issues"], oracle["issues"], "issues")
    assert_same(doc["token_flow"], oracle["token_flow"], "token_flow")
    counts = dict(oracle["event_counts"])
    for kind, n in extra_counts.items():
        counts[kind] = counts.get(kind, 0) + n
    assert doc["event_counts"] == counts


def test_every_kind_attocode_writes_is_known_with_its_category() -> None:
    from attoreport.model import KIND_CATEGORIES, KNOWN_KINDS

    [session] = load([str(FIXTURES / "collector" / "collector-all-kinds-markdown-goal.jsonl")])
    kinds = {session.table.kind(r) for r in range(len(session.table))}
    assert len(kinds) == 47 and kinds <= KNOWN_KINDS
    assert session.diagnostics == []
    assert {KIND_CATEGORIES[k] for k in kinds} == {
        "session", "iteration", "llm", "tool", "budget", "compaction", "subagent", "swarm",
        "plan", "quality", "error", "mode", "mcp", "file", "checkpoint", "custom"}
    assert KIND_CATEGORIES["swarm_conflict"] == "swarm"
    assert KIND_CATEGORIES["context_overflow"] == "compaction"
    assert KIND_CATEGORIES["learning_proposed"] == "quality"


def test_efficiency_components_add_up_and_show_uncapped_ratios(tmp_path: Path) -> None:
    from tests.conftest import event, write_trace

    trace = write_trace(tmp_path / "t.jsonl", [
        event("iteration_start", 1.0, 1),
        event("llm_response", 2.0, 1, tokens=30, input_tokens=10, output_tokens=20),
        event("tool_error", 3.0, 1, tool="x", error="no"),
        event("llm_error", 4.0, 1, error="boom"),
        event("error", 5.0, 1, error="bad"),
        event("compaction_end", 6.0, 1), event("compaction_end", 7.0, 1),
    ])
    [session] = load([str(trace)])
    analysis = analyse(session)
    parts = {c.name: c for c in analysis.efficiency.components}
    assert parts["error_rate"].value == 3.0 and parts["error_rate"].points == 0.0
    assert parts["compaction_frequency"].value == 2.0 and parts["compaction_frequency"].points == 0
    assert parts["token_efficiency"].value == 2.0 and parts["token_efficiency"].points == 10.0
    assert parts["tool_success_rate"].value == 0.0
    assert round(sum(c.points for c in parts.values()), 1) == analysis.summary.efficiency_score
    [empty] = load([str(FIXTURES / "agent" / "agent-llm-auth-error.jsonl")])
    none = {c.name: c for c in analyse(empty).efficiency.components}
    assert none["error_rate"].value is None and none["error_rate"].points == 25.0
    assert none["token_efficiency"].value is None and none["token_efficiency"].points == 5.0
