"""GitHub annotations: limits, order, and escaping that no trace text can break out of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import attoreport
from attoreport.analysis.compare import SessionFigures, compare
from attoreport.gates import one_line
from attoreport.report.annotations import (
    MAX_PER_LEVEL,
    escape_data,
    escape_property,
    github_annotations,
    workflow_command,
)
from tests.conftest import FIXTURES, event, write_trace

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
HOSTILE = FIXTURES / "hostile" / "hostile-payloads.jsonl"
#: What GitHub's runner treats as the end of a line (and what we never let through).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def analyses(*paths: Path) -> list[attoreport.Analysis]:
    return [attoreport.analyse(s) for s in attoreport.load([str(p) for p in paths])]


def unescape(text: str, mappings: tuple[tuple[str, str], ...]) -> str:
    """The runner's unescaping: each escape in its order, %25 last."""
    for escaped, plain in mappings:
        text = text.replace(escaped, plain)
    return text


DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as GitHub's runner reads it: ::name k=v,k=v::data."""
    assert line.startswith("::"), line
    end = line.index("::", 2)
    section, data = line[2:end], line[end + 2:]
    name, _, raw = section.partition(" ")
    properties = {}
    for item in raw.split(",") if raw else []:
        key, equals, value = item.partition("=")
        assert equals, item
        properties[key] = unescape(value, PROPERTY)
    return name, properties, unescape(data, DATA)


def commands(*paths: Path, **options: Any) -> list[tuple[str, dict[str, str], str]]:
    return [parse_command(line) for line in github_annotations(analyses(*paths), **options)]


# --- escaping -------------------------------------------------------------------------------


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_data("a: b, c") == "a: b, c"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"
    assert escape_data("%0A") == "%250A"  # literal text stays literal
    assert workflow_command("warning", "m::x", "t:1,2") == "::warning title=t%3A1%2C2::m::x"
    assert workflow_command("notice", "just data") == "::notice::just data"


@pytest.mark.slow
@given(st.text())
def test_escaping_round_trips_through_the_runner(text: str) -> None:
    assert unescape(escape_data(text), DATA) == text
    assert unescape(escape_property(text), PROPERTY) == text


@given(title=st.text(), message=st.text())
def test_any_text_makes_one_command_with_only_a_title(title: str, message: str) -> None:
    line = workflow_command("error", message, title)
    assert "\n" not in line and "\r" not in line
    name, properties, data = parse_command(line)
    assert name == "error" and data == message
    assert properties == ({"title": title} if title else {})


# --- hostile traces -------------------------------------------------------------------------

HOSTILE_NAMES = [
    "evil\n::add-mask::secret",
    "%0A::warning::fake",
    "a,b:c=d::e",
    "cr\rlf\r\nend",
    "sep\u2028para\u2029nel\x85vt\x0bff\x0c",
    "esc\x1b[31mred\x1b[0m bidi\u202eeht",
    "title=x,file=/etc/passwd",
    "%25%3A%2C%",
    "::stop-commands::token",
    "long" + "x" * 100_000,
]


HOSTILE_ID = "s\n::error::x%0A\u2028" + "i" * 1000


def hostile_trace(tmp_path: Path) -> Path:
    """Every hostile name as a tool and an agent, in a session with a hostile id."""
    lines = [event("session_start", 0.0, None, goal="g")]
    ts = 1.0
    for name in HOSTILE_NAMES:
        for _ in range(3):  # a doom loop on each: high -> error annotations
            lines.append(event("tool_end", ts, 1, tool=name, args={"a": name}))
            ts += 1
        lines.append(event("tool_end", ts, 2, tool="slow " + name, duration_ms=45_000.0))
        lines.append(event("subagent_timeout", ts, 2, agent_id=name))
        ts += 1
    lines = [{**line, "session_id": HOSTILE_ID} for line in lines]
    lines.append({**event("session_start", ts), "session_id": "other"})  # sessions named by id
    return write_trace(tmp_path / "hostile.jsonl", lines)


def check_safe(lines: list[str]) -> None:
    for line in lines:
        assert not any(ch in line for ch in LINE_BREAKS), repr(line[:200])
        assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in line), repr(line[:200])
        assert len(line) < 4000
        name, properties, data = parse_command(line)
        assert name in ("error", "warning", "notice")
        assert list(properties) == ["title"]
        assert len(properties["title"]) <= 130 and "\n" not in properties["title"]
        # our message has at most two lines (the description, then "What to do"); none can be
        # read as a command because each starts with our own words
        for part in data.split("\n"):
            assert part.startswith(("Session ", "What to do: ")) or name == "notice", part[:80]


def test_hostile_tool_and_agent_names_cannot_break_out(tmp_path: Path) -> None:
    lines = github_annotations(analyses(hostile_trace(tmp_path)))
    assert len(lines) == 2 * MAX_PER_LEVEL + 1
    check_safe(lines)
    parsed = [parse_command(line) for line in lines]
    titles = [properties["title"] for _, properties, _ in parsed]
    assert titles[0] == "Repeated tool call: evil (high)"  # Attocode cuts tool names at ":"
    assert "Long tool execution: slow evil ::add-mask::secret (medium)" in titles
    assert "Long tool execution: slow %0A::warning::fake (medium)" in titles
    assert "Long tool execution: slow a,b:c=d::e (medium)" in titles
    assert "Long tool execution: slow title=x,file=/etc/passwd (medium)" in titles
    assert titles[9].endswith("x… (high)")  # the long name is cut, the marks stay
    shown_id = one_line(HOSTILE_ID, 60)
    assert shown_id.startswith("s ::error::x%0A i") and shown_id.endswith("…")
    assert all(data.startswith(f"Session {shown_id}, iteration ") for _, _, data in parsed[:-1])


def test_the_hostile_fixture_is_annotated_safely() -> None:
    lines = github_annotations(analyses(HOSTILE))
    assert lines
    check_safe(lines)


# --- limits and order -----------------------------------------------------------------------


def busy_trace(tmp_path: Path) -> Path:
    """15 doom loops (high), one context overflow (critical), 15 long tools (medium), 2 empty responses."""
    lines: list[dict[str, Any]] = [event("session_start", 0.0, goal="busy")]
    ts = 1.0
    for k in range(15):
        for _ in range(3):
            lines.append(event("tool_end", ts, k + 1, tool=f"tool{k}", args={"n": k}))
            ts += 1
        lines.append(event("tool_end", ts, k + 1, tool=f"slow{k}", duration_ms=31_000.0 + k))
        ts += 1
    lines.append(event("context_overflow", ts, 16))
    for _ in range(2):
        lines.append(event("llm_response", ts, 17, tokens=0, output_tokens=0))
    lines.append(event("session_end", ts + 1))
    return write_trace(tmp_path / "busy.jsonl", lines)


def test_at_most_ten_errors_and_ten_warnings_most_severe_first(tmp_path: Path) -> None:
    parsed = commands(busy_trace(tmp_path))
    levels = [name for name, _, _ in parsed]
    assert levels == ["error"] * MAX_PER_LEVEL + ["warning"] * MAX_PER_LEVEL + ["notice"]
    titles = [p["title"] for _, p, _ in parsed]
    assert titles[0] == "Context overflow detected (critical)"
    assert titles[1:10] == [f"Repeated tool call: tool{k} (high)" for k in range(9)]
    assert titles[10:20] == [f"Long tool execution: slow{k} (medium)" for k in range(10)]
    left = (15 + 1 - 10) + (15 - 10) + 2  # errors, warnings and the two empty responses
    assert parsed[-1][2].startswith(f"{left} more issues (GitHub shows 10 errors and 10 warnings")


def test_repeated_issues_are_one_annotation_with_a_count(tmp_path: Path) -> None:
    parsed = commands(busy_trace(tmp_path))
    everything = github_annotations(analyses(busy_trace(tmp_path)))
    assert not any("Empty LLM response" in line for line in everything)  # low ranks last
    few = tmp_path / "few.jsonl"
    write_trace(few, [event("llm_response", 1.0, 1, tokens=0, output_tokens=0),
                      event("llm_response", 2.0, 2, tokens=0, output_tokens=0)])
    ((name, properties, data),) = commands(few)
    assert (name, properties["title"]) == ("warning", "Empty LLM response (low, 2×)")
    assert data.startswith("Session few, iteration 1: An LLM call returned 0 output tokens.")
    assert data.split("\n")[1].startswith("What to do: Check the request")
    assert parsed


def test_messages_say_session_iteration_and_what_to_do() -> None:
    ((name, properties, data), *_rest) = commands(DOOM)
    assert name == "error" and properties == {"title": "Repeated tool call: bash (high)"}
    assert data == ("Session collector-doom-loop-tool-errors, iteration 1: Tool 'bash' called 5 "
                    "times with identical arguments. This is a doom loop indicator.\nWhat to do: The "
                    "agent is calling the same tool repeatedly. The loop detector should break this "
                    "pattern. Consider reviewing doom loop thresholds.")
    assert [n for n, _, _ in commands(DOOM)] == ["error", "error", "warning"]
    assert commands(CLEAN) == []


def test_new_issues_come_first_when_compared(tmp_path: Path) -> None:
    busy = analyses(busy_trace(tmp_path))
    base_figures = SessionFigures.from_analysis(busy[0])
    # the baseline had everything but the last doom loops and the overflow
    baseline = [base_figures.__class__(**{
        **{f: getattr(base_figures, f) for f in base_figures.__slots__},
        "issues": tuple(i for i in base_figures.issues
                        if i.title not in ("Repeated tool call: tool14", "Repeated tool call: tool13",
                                           "Context overflow detected"))})]
    comparison = compare([base_figures], baseline)
    titles = [parse_command(line)[1]["title"] for line in github_annotations(busy, comparison)]
    assert titles[:3] == ["Context overflow detected (critical, new)",
                          "Repeated tool call: tool13 (high, new)",
                          "Repeated tool call: tool14 (high, new)"]
    assert titles[3] == "Repeated tool call: tool0 (high, also in the baseline)"
    assert github_annotations(busy, comparison.sessions) == github_annotations(busy, comparison)


def test_fixed_issues_are_not_annotated() -> None:
    comparison = compare([SessionFigures.from_analysis(a) for a in analyses(CLEAN)],
                         [SessionFigures.from_analysis(a) for a in analyses(DOOM)])
    assert comparison.sessions[0].issues.fixed
    assert github_annotations(analyses(CLEAN), comparison) == []
