"""The loader: formats, inputs, damage. Every bad line is a diagnostic; every good line is kept."""

from __future__ import annotations

import gzip
import json
import math
import shutil
from pathlib import Path

import pytest

from attoreport import AttoreportError, analyse, load
from tests.conftest import FIXTURES, event, events_of, write_trace

CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"


def lines_of(session) -> list[int]:
    return [d.line for d in session.diagnostics]


# -- damaged corpus files: the right lines, nothing else ------------------------------


@pytest.mark.parametrize(("name", "lines", "action"), [
    ("damaged-blank-lines", [5, 20, 29], "skipped"),
    ("damaged-garbage-lines", [15, 38, 57], "skipped"),
    ("damaged-non-object-line", [30], "skipped"),
    ("damaged-truncated-last-line", [69], "skipped"),
    ("damaged-unknown-kind", [14], "repaired"),
])
def test_damaged_lines_are_named(name: str, lines: list[int], action: str) -> None:
    [session] = load([str(FIXTURES / "damaged" / f"{name}.jsonl")])
    assert lines_of(session) == lines
    assert {d.action for d in session.diagnostics} == {action}
    assert all(d.file.endswith(f"{name}.jsonl") for d in session.diagnostics)


def test_messages_say_what_was_wrong() -> None:
    [garbage] = load([str(FIXTURES / "damaged" / "damaged-garbage-lines.jsonl")])
    messages = [d.message for d in garbage.diagnostics]
    assert "NUL" in messages[0]
    assert "Traceback" in messages[1]
    assert messages[2].startswith("invalid JSON")
    [cut] = load([str(FIXTURES / "damaged" / "damaged-truncated-last-line.jsonl")])
    assert "cut short" in cut.diagnostics[0].message and "crash" in cut.diagnostics[0].message
    assert cut.is_open
    [array] = load([str(FIXTURES / "damaged" / "damaged-non-object-line.jsonl")])
    assert "not a JSON object but an array" in array.diagnostics[0].message


def test_numbers_written_as_text_are_read_and_reported() -> None:
    [session] = load([str(FIXTURES / "damaged" / "damaged-tokens-as-string.jsonl")])
    assert sum(d.count for d in session.diagnostics) == 22 == session.damaged_lines
    assert all(d.action == "repaired" for d in session.diagnostics)
    na = [d for d in session.diagnostics if "'n/a'" in d.message]
    assert len(na) == 1 and "'n/a' as 0" in na[0].message


def test_clean_traces_have_no_diagnostics() -> None:
    for trace in sorted((FIXTURES / "collector").glob("*.jsonl")) + sorted(
            (FIXTURES / "agent").glob("*.jsonl")):
        [session] = load([str(trace)])
        assert session.diagnostics == [], trace.name


# -- formats ---------------------------------------------------------------------------


def test_agent_tool_kind_is_read_as_tool_end() -> None:
    [session] = load([str(FIXTURES / "agent" / "agent-normal-task.jsonl")])
    counts = analyse(session).event_counts
    assert counts["tool_end"] == 7 and "tool" not in counts
    assert session.diagnostics == []


def test_agent_durations_in_metadata_are_shown_but_not_used_for_parity() -> None:
    [session] = load([str(FIXTURES / "agent" / "agent-normal-task.jsonl")])
    table = session.table
    row = next(r for r in range(len(table)) if table.kind(r) == "tool_end")
    assert math.isnan(table.durations[row])  # Attocode reads no duration here
    assert table.display_durations[row] > 0


def test_legacy_lines_follow_attocodes_loader() -> None:
    [session] = load([str(FIXTURES / "legacy" / "legacy-open-mixed-types.jsonl")])
    assert session.session_id == "legacy-c01d"  # from trace.start, not the file name
    assert session.is_open and session.line_format == "legacy"
    assert all(e.iteration is None for e in events_of(session))
    no_timestamp = next(e for e in events_of(session) if e.line == 17)
    assert not no_timestamp.has_timestamp and no_timestamp.kind == "tool_end"
    assert [d.line for d in session.diagnostics] == [17, 18]
    assert {d.action for d in session.diagnostics} == {"repaired"}


def test_unknown_kind_is_kept_with_its_own_name(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [
        event("session_start", 1.0, goal="g"),
        event("tool_progress", 2.0, 1, percent=50),
        event("session_end", 3.0, status="completed"),
    ])
    [session] = load([str(trace)])
    odd = events_of(session)[1]
    assert odd.kind == "tool_progress" and odd.category == "custom" and not odd.known_kind
    assert odd.label == "Tool progress"
    assert session.diagnostics[0].line == 2


def test_tool_name_is_an_alias_of_tool(tmp_path: Path) -> None:
    calls = [event("tool_end", float(i), 1, tool_name="grep", args={"q": "x"}) for i in range(3)]
    [session] = load([str(write_trace(tmp_path / "t.jsonl", calls))])
    issues = analyse(session).issues
    assert [i.title for i in issues] == ["Repeated tool call: grep"]


def test_concatenated_sessions_are_split_by_session_id(tmp_path: Path) -> None:
    first = [json.loads(line) for line in CLEAN.read_text().splitlines()]
    second = [{**e, "session_id": "other-run"} for e in first]
    trace = write_trace(tmp_path / "both.jsonl", first + second)
    sessions = load([str(trace)])
    assert [s.session_id for s in sessions] == ["collector-clean-feature", "other-run"]
    [alone] = load([str(CLEAN)])
    for s in sessions:
        assert analyse(s).summary.to_dict() | {"session_id": "x"} == \
            analyse(alone).summary.to_dict() | {"session_id": "x"}


def test_one_session_id_keeps_the_file_stem(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.jsonl"
    shutil.copy(CLEAN, copy)
    [session] = load([str(copy)])
    assert session.session_id == "renamed"


def test_open_session_lasts_from_first_to_last_event() -> None:
    [session] = load([str(FIXTURES / "collector" / "collector-crashed-open-session.jsonl")])
    assert session.is_open
    stamps = [e.timestamp for e in events_of(session)]
    assert analyse(session).summary.duration_seconds == max(stamps) - min(stamps)


# -- bad lines -------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "fragment", "action"), [
    ('{"kind": "llm_request", "iteration": 1}', "no timestamp", "skipped"),
    ('{"kind": "llm_request", "timestamp": "soon"}', "not a time in epoch seconds", "skipped"),
    ('{"kind": "llm_request", "timestamp": -1e300}', "not a time in epoch seconds", "skipped"),
    ('{"kind": 7, "timestamp": 1.5}', "not a name", "skipped"),
    ('{"kind": "llm_request", "timestamp": 1.5, "iteration": "two"}', "iteration", "repaired"),
    ('{"kind": "llm_request", "timestamp": 1.5, "data": [1, 2]}', "'data' is an array", "repaired"),
    ('{"kind": "tool_end", "timestamp": 1.5, "duration_ms": "slow"}', "duration_ms", "repaired"),
    ('{"kind": "tool_end", "timestamp": 1.5, "parent_event_id": 5}', "parent_event_id",
     "repaired"),
    ('{"kind": "llm_request", "timestamp": "1.5"}', "timestamp '1.5' as 1.5", "repaired"),
    ('{"kind": "tool_end", "timestamp": 1.5, "data": {"duration_ms": "31000"}}',
     "duration_ms '31000' as 31000.0", "repaired"),
    ('{"kind": "llm_response", "timestamp": 1.5, "data": {"tokens": true}}', "tokens True as 1",
     "repaired"),
    ('{"kind": "llm_response", "timestamp": 1.5, "data": {"cost": true}}', "cost True as 1.0",
     "repaired"),
    ("42", "not a JSON object but a number", "skipped"),
    ("null", "not a JSON object but null", "skipped"),
    ('{"kind": "x", "timestamp": 1', "invalid JSON", "skipped"),
])
def test_each_kind_of_damage_is_reported(tmp_path: Path, line: str, fragment: str,
                                         action: str) -> None:
    good = json.dumps(event("session_start", 1.0, goal="g"))
    trace = write_trace(tmp_path / "t.jsonl", [good, line, good])
    [session] = load([str(trace)])
    [diagnostic] = session.diagnostics
    assert diagnostic.line == 2 and fragment in diagnostic.message
    assert diagnostic.action == action
    kept = 3 if action == "repaired" else 2
    assert len(session.table) == kept


def test_invalid_utf8_and_bom(tmp_path: Path) -> None:
    good = json.dumps(event("session_start", 1.0, goal="g")).encode()
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + b'{"kind": "\xff"}\n' + good + b"\n")
    [session] = load([str(path)])
    assert len(session.table) == 2
    assert [(d.line, "UTF-8" in d.message) for d in session.diagnostics] == [(1, True), (2, True)]
    assert "byte-order mark" in session.diagnostics[0].message


def test_a_first_line_after_a_bom_is_read_like_any_other(tmp_path: Path) -> None:
    """Its damage is named as such (it once read as "cut short"), and lone CRs in it end lines
    there as everywhere else (its pieces were all numbered line 1)."""
    good = json.dumps(event("llm_response", 1.0, 1, tokens=5)).encode()
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\xef\xbb\xbf{bad json\n" + good + b"\n")
    [session] = load([str(path)])
    assert [(d.line, d.message.split(" (")[0]) for d in session.diagnostics] == [
        (1, "starts with a UTF-8 byte-order mark: ignored, line kept"), (1, "invalid JSON")]
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\r" + good + b"\r\n" + good + b"\n")
    [session] = load([str(path)])
    assert list(session.table.lines) == [1, 2, 3]
    assert [d.label for d in session.details([0, 1, 2]).values()] == [
        "LLM response: 5 tokens ($0.0000)"] * 3


def test_nan_and_huge_numbers_are_read_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"kind": "llm_response", "timestamp": 1, "iteration": 1, "data": '
        '{"tokens": 123456789012345678901234567890, "cost": NaN, "input_tokens": 1e308, '
        '"cache_read_tokens": 1e308}}\n'
        '{"kind": "llm_response", "timestamp": 2, "iteration": 1, "data": {"tokens": ' + "9" * 5000
        + '}}\n')
    [session] = load([str(path)])
    usage = events_of(session)[0].usage
    assert usage is not None and usage.tokens == 10**15 and usage.input_tokens == 10**15
    assert usage.cost == 0.0
    assert [d.line for d in session.diagnostics] == [1, 2]
    assert "capped" in session.diagnostics[0].message
    assert "Exceeds the limit" in session.diagnostics[1].message  # Python's digit limit
    analysis = analyse(session)
    assert analysis.tokens.breakdown["input"] == 10**15 and analysis.cache.boundary_position > 0


def test_overlong_line_is_skipped_not_read(tmp_path: Path, monkeypatch) -> None:
    import attoreport.loader as loader

    monkeypatch.setattr(loader, "MAX_LINE_BYTES", 300)
    good = json.dumps(event("session_start", 1.0, goal="g"))
    long_line = json.dumps(event("custom", 2.0, blob="x" * 2000))
    [session] = load([str(write_trace(tmp_path / "t.jsonl", [good, long_line, good]))])
    assert [(d.line, "longer than") for d in session.diagnostics] == [(2, "longer than")]
    assert "longer than" in session.diagnostics[0].message
    assert len(session.table) == 2


def test_file_without_events_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(AttoreportError, match="empty.jsonl: no trace events found "
                       r"\(the file is empty\)"):
        load([str(empty)])
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n\n")
    with pytest.raises(AttoreportError, match=r"blank.jsonl: no trace events found \(line 1: "
                       "blank line skipped"):
        load([str(blank)])
    kept_but_no_kind = tmp_path / "old.jsonl"
    kept_but_no_kind.write_text('{"type": "trace.start", "timestamp": 1}\n')
    with pytest.raises(AttoreportError, match="no trace events found"):
        load([str(kept_but_no_kind)])
    fake = tmp_path / "fake.jsonl.gz"  # gzip by its first two bytes, then damaged
    fake.write_bytes(b"\x1f\x8bnot gzip\n")
    with pytest.raises(AttoreportError, match="compressed data is damaged from the start"):
        load([str(fake)])


def test_damaged_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = gzip.compress(CLEAN.read_bytes())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    [session] = load([str(path)])
    assert 0 < len(session.table) < 69
    assert "the rest of the file is lost" in session.diagnostics[-1].message


# -- found by differential fuzzing against Attocode's own loader ------------------------


def _one(tmp_path: Path, payload: bytes):
    path = tmp_path / "t.jsonl"
    path.write_bytes(payload)
    return load([str(path)])[0]


def test_lone_carriage_returns_end_lines_as_in_attocode(tmp_path: Path) -> None:
    a = json.dumps(event("llm_response", 1.0, 1, tokens=10)).encode()
    b = json.dumps(event("llm_response", 2.0, 1, tokens=20)).encode()
    session = _one(tmp_path, a + b"\r" + b + b"\r\n" + a + b"\n")
    assert analyse(session).summary.total_tokens == 40
    assert [e.line for e in events_of(session)] == [1, 2, 3]


def test_unicode_whitespace_around_a_line_is_ignored(tmp_path: Path) -> None:
    line = json.dumps(event("error", 1.0, 1, error="x")).encode()
    session = _one(tmp_path, line + "\u00a0\u3000".encode() + b"\n")
    assert analyse(session).summary.errors == 1 and session.diagnostics == []


def test_integers_beyond_64_bits_are_read_exactly_then_capped(tmp_path: Path) -> None:
    big = 2**64 + 1
    lines = [f'{{"kind": "tool_end", "timestamp": {i}, "data": {{"tool": "x", "args": {{"n": {big + i}}}}}}}'
             for i in range(3)]
    lines.append(f'{{"kind": "llm_response", "timestamp": 9, "data": {{"input_tokens": {big}}}}}')
    session = _one(tmp_path, ("\n".join(lines) + "\n").encode())
    analysis = analyse(session)
    assert analysis.tokens.breakdown["input"] == 10**15
    assert analysis.issues == []  # three different arguments, read exactly: no doom loop


def test_long_names_and_lone_surrogates_keep_tool_calls_apart(tmp_path: Path) -> None:
    names = ["t" * 300 + "a", "t" * 300 + "b", "\ud800", "\udc00"]
    lines = [json.dumps(event("tool_end", float(i), 1, tool=n, args={"x": 1})) for i, n in
             enumerate(names)]
    call = '{"kind": "tool_end", "timestamp": 9, "data": {"tool": "s", "args": %s}}'
    reordered = [call % '{"a": "\\ud800", "b": 1}', call % '{"b": 1, "a": "\\ud800"}',
                 call % '{"a": "\\ud800", "b": 1}']
    session = _one(tmp_path, ("\n".join(lines + reordered) + "\n").encode())
    [issue] = analyse(session).issues
    assert issue.title == "Repeated tool call: s" and "3 times" in issue.description
    from attoreport.loader import _fingerprint

    assert _fingerprint("\ud800", None) != _fingerprint("\udc00", None)
    assert _fingerprint("t" * 300 + "a", None) != _fingerprint("t" * 300 + "b", None)


def test_goal_and_model_are_kept_as_written(tmp_path: Path) -> None:
    session = _one(tmp_path, (json.dumps(event("session_start", 1.0, goal=None, model=5)) + "\n")
                   .encode())
    summary = analyse(session).summary
    assert summary.goal is None and summary.model == 5
    assert session.goal_text == "" and session.model_text == "5"


def test_legacy_trace_start_names_a_mixed_file(tmp_path: Path) -> None:
    lines = [json.dumps({"type": "trace.start", "timestamp": 100.0, "session_id": "a"}),
             json.dumps({**event("llm_response", 110.0, 1, tokens=5), "session_id": "b"}),
             json.dumps({"type": "trace.end", "timestamp": 120.0})]
    session = _one(tmp_path, ("\n".join(lines) + "\n").encode())
    assert session.session_id == "a" and session.line_format == "mixed"
    assert analyse(session).summary.duration_seconds == 20.0
