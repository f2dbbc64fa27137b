"""Nothing in a trace can make attoreport crash: random and hostile input, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attoreport
from attoreport.loader import load_lines
from attoreport.model import KNOWN_KINDS

KINDS = sorted(KNOWN_KINDS) + ["tool", "tool_progress", "", "x" * 300]
KEYS = ["tokens", "cost", "input_tokens", "output_tokens", "cache_read_tokens",
        "cache_write_tokens", "tool", "tool_name", "args", "error", "agent_id", "duration_ms",
        "skipped", "status", "goal", "model", "metadata", "usage_fraction", "message"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
data = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
events = st.fixed_dictionaries(
    {"kind": st.sampled_from(KINDS), "timestamp": st.one_of(
        st.floats(min_value=0, max_value=2e9), st.integers(0, 2 * 10**9), st.text(max_size=5))},
    optional={"iteration": st.one_of(st.integers(-5, 50), values), "data": st.one_of(data, values),
              "session_id": st.sampled_from(["a", "b", 3, None]), "event_id": values,
              "parent_event_id": st.one_of(st.sampled_from(["e1", "e2"]), values),
              "duration_ms": values, "type": st.text(max_size=10)})
legacy = st.fixed_dictionaries({"type": st.sampled_from(
    ["trace.start", "trace.end", "llm.complete", "tool.complete", "tool.error", "iteration",
     "nonsense"])}, optional={"timestamp": values, "session_id": values, "iteration": values,
                              "tokens": values, "tool": values, "args": values})
lines = st.lists(st.one_of(
    events.map(json.dumps), legacy.map(json.dumps), st.binary(max_size=30),
    st.text(max_size=30).map(lambda t: t.replace("\n", " "))), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
def test_any_lines_load_analyse_and_render(raw_lines: list[str | bytes]) -> None:
    encoded = [(line if isinstance(line, bytes) else line.encode()) + b"\n" for line in raw_lines]
    sessions = load_lines(encoded, "fuzz.jsonl", "fuzz")
    if not sessions:
        return
    analyses = [attoreport.analyse(s) for s in sessions]
    json.loads(attoreport.render_json(analyses))
    attoreport.render_markdown(analyses)
    html = attoreport.render_html(analyses)
    assert html.count("<script") == 4  # charts, Perfetto trace, plotly, our script


def test_pathological_shapes(tmp_path: Path) -> None:
    deep = "[" * 5000 + '"x"' + "]" * 5000
    shallow_enough = "[" * 200 + '"x"' + "]" * 200
    rows = [
        json.dumps({"kind": "tool_end", "timestamp": 1, "iteration": 1,
                    "data": {"tool": "t", "args": {"deep": "x"}}}),
        '{"kind": "tool_end", "timestamp": 2, "data": {"args": ' + deep + "}}",
        '{"kind": "tool_end", "timestamp": 2.5, "data": {"args": ' + shallow_enough + "}}",
        json.dumps({"kind": "iteration_start", "timestamp": 3, "iteration": 10**15}),
        json.dumps({"kind": "llm_response", "timestamp": 4, "data": {"tokens": 1e308,
                                                                      "cost": "1e400"}}),
        json.dumps({"kind": "session_end", "timestamp": -1e18}),
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(rows) + "\n")
    sessions = attoreport.load([str(path)])
    analyses = [attoreport.analyse(s) for s in sessions]
    assert attoreport.render_html(analyses)
    [doc] = json.loads(attoreport.render_json(analyses))["sessions"]
    assert [d["line"] for d in doc["diagnostics"]] == [2, 5, 6]
    assert "nested too deeply" in doc["diagnostics"][0]["message"]
    assert "'1e400' as 0.0" in doc["diagnostics"][1]["message"]  # an infinite cost is 0
