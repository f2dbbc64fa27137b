"""Nothing in a trace can make attoreport crash: random and hostile input, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attoreport
from attoreport.limits import DEFAULT_LIMITS, Limits
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


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    # Every in-page link has its target, whatever the lines held (issue 10: no dead links).
    targets = set(re.findall(r'\s(?:id|name)="([^"]+)"', html))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= targets


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


# --- hostile shapes (issue 7): what the random lines above are too small to reach ---------------

#: Characters that grow when escaped (HTML, chart data, Markdown) or that hide and reorder
#: text: bidi overrides and isolates, zero-width characters, a lone surrogate, controls.
ESCAPABLE = '<>&"\'\\`*_~[]|#@:/.\u202a\u202e\u2066\u2069\u200b\u200f\ufeff\ud800\x00\x1b\n\r\t'
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FIELDS = ["session_id", "tool", "agent_id", "kind", "error", "goal", "status", "model",
          "command", "event_id", "parent_event_id"]

# Long strings without long generation: a short hostile pattern repeated up to 20,000 times.
long_text = st.builds(lambda pattern, times: (pattern * times)[:20_000],
                      st.text(alphabet=st.sampled_from(ESCAPABLE + "ab1 "), min_size=1,
                              max_size=8) | st.sampled_from(["https://x.y/", "www.x.y", "@u",
                                                             "~~s~~", "#1 "]),
                      st.integers(1, 20_000))


def nested(depth: int, leaf: str = '"x"', as_object: bool = False) -> str:
    """JSON text nested `depth` levels deep (arrays, or objects with one key)."""
    if as_object:
        return '{"a": ' * depth + leaf + "}" * depth
    return "[" * depth + leaf + "]" * depth


deep_text = st.builds(nested, st.integers(150, 1100), st.sampled_from(['"x"', "1", "null"]),
                      st.booleans())
#: Numbers as JSON text: beyond floats, beyond 64 bits, thousands of digits, not finite.
huge_number = st.sampled_from(["1e309", "-1e309", "1e400", "NaN", "Infinity", "-Infinity",
                               str(2**64), str(-(2**63) - 1), "9" * 5000, "1" + "0" * 400,
                               "-0", "0.0000001e-400", "true"])


def event_line(kind: str, ts: str, fields: dict[str, str]) -> str:
    """One event line from raw JSON texts (values are inserted as they are)."""
    data = ", ".join(f'"{k}": {v}' for k, v in fields.items()
                     if k not in ("session_id", "event_id", "parent_event_id", "kind"))
    top = "".join(f', "{k}": {fields[k]}' for k in ("session_id", "event_id", "parent_event_id")
                  if k in fields)
    kind_text = fields.get("kind", json.dumps(kind))
    return f'{{"kind": {kind_text}, "timestamp": {ts}{top}, "data": {{{data}}}}}'


def every_output(lines: list[str], tmp_path: Path, limits: Limits = DEFAULT_LIMITS
                 ) -> tuple[str, str, str, list[str]]:
    """HTML, JSON, Markdown and the Perfetto export of a trace of these lines; each within
    its budget and free of bidi controls (an empty trace gives empty outputs)."""
    path = tmp_path / "t.jsonl"
    path.write_bytes("".join(x + "\n" for x in lines).encode("utf-8", "surrogatepass"))
    try:
        sessions = attoreport.load([str(path)])
    except attoreport.AttoreportError:
        return "", "", "", []
    analyses = [attoreport.analyse(s) for s in sessions]
    html = attoreport.render_html(analyses, limits=limits)
    document = attoreport.render_json(analyses, limits=limits)
    markdown = attoreport.render_markdown(analyses, limits=limits)
    export = list(attoreport.export_trace(analyses))
    json.loads(document)
    json.loads("".join(export))
    assert len(html.encode()) <= limits.html_bytes
    assert len(markdown) <= limits.markdown_chars
    for text in (html, document, markdown, *export):
        assert not BIDI.search(text)
    assert re.search(r"[a-z]:(?!\u2060)//|(?<![a-z0-9])www\.(?!\u2060)|@(?!\u2060)\w|(?<!\\)~"
                     r"|#\d", markdown, re.IGNORECASE) is None  # GitHub links \#1 too
    return html, document, markdown, export


HOSTILE_SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                            suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.function_scoped_fixture,
                                                   HealthCheck.data_too_large])


@HOSTILE_SETTINGS
@given(st.fixed_dictionaries({name: long_text for name in FIELDS}), st.integers(1, 150),
       st.integers(1, 3))
@pytest.mark.slow
def test_long_escapable_strings_stay_bounded(tmp_path: Path, values: dict[str, str],
                                             events: int, sessions: int) -> None:
    """A 10,000-`"` agent id inherited by 4,000 events once made a 1 GB report: every
    output stays within its budget however long and escapable the names, and however many
    events repeat them."""
    fields = {name: json.dumps(text) for name, text in values.items()}
    kinds = ["tool_error", "subagent_spawn", "tool_end", "llm_response", "session_end"]
    lines = [event_line(kinds[i % 5], str(i),
                        {**fields, "session_id": json.dumps(values["session_id"][:200] + str(
                            i % sessions))})
             for i in range(events)]
    html, document, markdown, _ = every_output(lines, tmp_path)
    if html:
        assert len(document) < 2_000_000
        # Names are bounded where shown, so the report keeps every event without halving.
        assert html.count("<tr data-category=") == events


@HOSTILE_SETTINGS
@given(st.sampled_from(FIELDS + ["args", "data", "iteration", "timestamp"]), deep_text,
       st.booleans())
def test_deep_nesting_anywhere_is_read_or_reported(tmp_path: Path, field: str, value: str,
                                                   with_good_line: bool) -> None:
    """Nesting 600 to 1,024 deep once crashed repr() and str() in previews and fingerprints."""
    if field == "timestamp":
        line = f'{{"kind": "tool_end", "timestamp": {value}}}'
    elif field == "iteration":
        line = f'{{"kind": "tool_end", "timestamp": 1, "iteration": {value}}}'
    elif field == "data":
        line = f'{{"kind": "custom", "timestamp": 1, "data": {value}}}'
    elif field == "args":
        line = f'{{"kind": "tool_end", "timestamp": 1, "data": {{"tool": "t", "args": {value}}}}}'
    else:
        line = event_line("tool_error", "1", {field: value})
    good = ['{"kind": "session_start", "timestamp": 0, "data": {"goal": "g"}}'] * with_good_line
    html, *_ = every_output([*good, line, line], tmp_path)
    assert html or not with_good_line


@HOSTILE_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["timestamp", "iteration", "tokens", "cost",
                                           "duration_ms", "input_tokens", "goal", "model",
                                           "status", "session_id"]), huge_number),
                min_size=1, max_size=5))
def test_huge_and_non_finite_numbers_anywhere(tmp_path: Path,
                                              values: list[tuple[str, str]]) -> None:
    """`"iteration": 1e309` crashed the HTML, `"goal": NaN` the JSON."""
    fields = dict(values)
    top = {k: fields.pop(k) for k in ("timestamp", "iteration") if k in fields}
    data = ", ".join(f'"{k}": {v}' for k, v in fields.items() if k != "session_id")
    sid = f', "session_id": {fields["session_id"]}' if "session_id" in fields else ""
    lines = [f'{{"kind": {json.dumps(kind)}, "timestamp": {top.get("timestamp", "1")}, '
             f'"iteration": {top.get("iteration", "1")}{sid}, "data": {{{data}}}}}'
             for kind in ("session_start", "llm_response", "tool_end", "session_end")]
    every_output(lines, tmp_path)


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@pytest.mark.slow
@given(st.integers(2, 400), st.integers(1, 40))
def test_many_session_ids_stay_bounded(tmp_path: Path, count: int, json_sessions: int) -> None:
    """1,000 session ids in 52 KB froze the browser; 80,000 made a 240 MB JSON. Up to ten
    times the caps drawn here (40 in the JSON, 30 bars, 4 interactive sections); tens of
    thousands of sessions are run in test_hostile and test_hostile_load."""
    lines = [json.dumps({"kind": "llm_response", "timestamp": i, "session_id": f"s{i}",
                         "data": {"tokens": i, "cost": i / 100}}) for i in range(count)]
    limits = Limits(json_sessions=json_sessions)
    html, document, markdown, _ = every_output(lines, tmp_path, limits)
    parsed = json.loads(document)
    assert len(parsed["sessions"]) == min(count, json_sessions)
    assert parsed["sessions_left_out"] == count - len(parsed["sessions"])
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1])
    if count > limits.plotly_sections:  # drawn as SVG: a bar and a label per session drawn
        for name in ("cost", "tokens", "score"):
            svg = re.search(rf'id="overview-{name}-chart" data-static-chart>(.*?)</svg>', html,
                            re.S)[1]
            assert 0 < svg.count('class="tick y"') <= limits.overview_bars
            assert svg.count("<rect") <= limits.overview_bars
    else:
        overview = [f for name, f in charts.items() if name.startswith("overview-")]
        assert len(overview) == 3
        assert all(len(f["data"][0]["y"]) <= limits.overview_bars for f in overview)
