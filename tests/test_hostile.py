"""Hostile input, end to end (issue 7): crafted traces run through the command line with every
output at once. None may end the run with a bug (exit 1 or 3), push an output past its budget,
use memory out of proportion, or let trace text form a link, mention, strikethrough or a bidi
trick.
"""

from __future__ import annotations

import gc
import gzip
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport import loader
from attoreport.limits import Limits
from attoreport.report import markdown
from attoreport.report.swarm import swarm_view
from attoreport.run import Request, Silent, write_reports
from attoreport.swarm import load_runs
from tests import forkserver
from tests.conftest import FIXTURES
from tests.swarm_support import write_big_run

#: Bidi embeddings, overrides and isolates, and marks: what can reorder what a reader sees.
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# --- the hostile files (built here, small, never committed) ------------------------------------

QUOTE = '"'


def line(kind: str, ts: float, session: str = "h", **fields: Any) -> str:
    return json.dumps({"kind": kind, "timestamp": ts, "session_id": session, **fields},
                      ensure_ascii=False)


def nested(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


def spawn(folder: Path) -> Path:
    """One `subagent_spawn` whose agent id is 10,000 `"`, and 4,000 children that inherit it
    as their timeline lane (526 KB: once a 1.09 GB report and 4.8 GB of memory)."""
    lines = [line("subagent_spawn", 1, event_id="spawn", data={"agent_id": QUOTE * 10_000})]
    lines += [json.dumps({"event_id": f"c{i}", "parent_event_id": "spawn",
                          "kind": "tool_error" if i % 2 else "tool_end", "timestamp": 2 + i,
                          "duration_ms": 5, "data": {"tool": "bash", "error": "e"}})
              for i in range(4000)]
    return write(folder / "spawn.jsonl", lines)


def newlines(folder: Path) -> Path:
    """1 MB of newlines, then one event (once 130 MB of report, 169 MB of JSON)."""
    path = folder / "newlines.jsonl"
    path.write_bytes(b"\n" * 1_000_000 + line("tool_end", 1).encode() + b"\n")
    return path


def only_newlines(folder: Path) -> Path:
    path = folder / "only-newlines.jsonl"
    path.write_bytes(b"\n" * 1_000_000)
    return path


def gzipped_newlines(folder: Path) -> Path:
    """2 KB of gzip: two million newlines and one event."""
    path = folder / "newlines.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n" * 2_000_000 + line("tool_end", 1).encode() + b"\n", 9))
    return path


def carriage_returns(folder: Path) -> Path:
    """One line of a million lone carriage returns between two events."""
    path = folder / "cr.jsonl"
    path.write_bytes(line("tool_end", 1).encode() + b"\n" + b"\r" * 1_000_000 + b"\n"
                     + line("tool_end", 2).encode() + b"\n")
    return path


def quoted_file_name(folder: Path) -> Path:
    """A file named with 240 `"`, of 52,000 damaged lines (each diagnostic names the file)."""
    path = folder / (QUOTE * 240 + ".jsonl")
    path.write_text(line("tool_end", 1) + "\n" + "x\n" * 52_000)
    return path


def unknown_kinds(folder: Path) -> Path:
    """1 MB of events of unknown kinds, each named differently (once shown in full, four
    times per event: a 26 MB report)."""
    return write(folder / "kinds.jsonl", [line(f"{'k' * 180}{i}", i) for i in range(5000)])


def non_finite(folder: Path) -> Path:
    path = folder / "non-finite.jsonl"
    path.write_text('{"kind": "session_start", "timestamp": 1, "data": {"goal": NaN, '
                    '"model": Infinity}}\n{"kind": "llm_response", "timestamp": 2, "data": '
                    '{"tokens": 5, "model": -Infinity}}\n')
    return path


def surrogates(folder: Path) -> Path:
    """Lone surrogates in every shown string and in session ids."""
    lines = [
        '{"kind": "session_start", "timestamp": 1, "session_id": "a@", "data": {"goal": "g@", '
        '"model": "m@"}}',
        '{"kind": "tool_error", "timestamp": 2, "session_id": "a@", "data": {"tool": "t@", '
        '"error": "e@", "agent_id": "x@", "args": {"k@": "v@"}}}',
        '{"kind": "k@", "timestamp": 3, "session_id": "b@", "data": {"status": "s@"}}',
        '{"kind": "session_end", "timestamp": 4, "session_id": "b@", "data": {"status": "s@"}}',
    ]
    return write(folder / "surrogates.jsonl", [x.replace("@", "\\ud800") for x in lines])


def undecodable_name(folder: Path) -> Path:
    path = folder / os.fsdecode(b"trace-\xff\xfe.jsonl")
    return write(path, [line("tool_end", 1, data={"tool": "t"}), "not json"])


def deep(depth: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        """Nesting `depth` deep in the goal, data, args, event id, tool, error and status."""
        value = nested(depth)
        lines = [line("session_start", 0, data={"goal": "g"})]
        lines += [x.replace("%s", value) for x in (
            '{"kind": "session_start", "timestamp": 1, "data": {"goal": %s}}',
            '{"kind": "custom", "timestamp": 2, "data": {"x": %s}}',
            '{"kind": "tool_end", "timestamp": 3, "data": {"tool": "t", "args": %s}}',
            '{"kind": "custom", "timestamp": 4, "event_id": %s}',
            '{"kind": "tool_end", "timestamp": 5, "data": {"tool": %s}}',
            '{"kind": "tool_error", "timestamp": 6, "data": {"tool": "t", "error": %s}}',
            '{"kind": "session_end", "timestamp": 7, "data": {"status": %s}}')]
        return write(folder / f"deep-{depth}.jsonl", lines)
    return build


def huge_iteration(folder: Path) -> Path:
    path = folder / "iteration.jsonl"
    path.write_text('{"kind": "llm_response", "timestamp": 1, "iteration": 1e309, "data": '
                    '{"tokens": 3}}\n{"kind": "llm_response", "timestamp": 2, "iteration": 2, '
                    '"data": {"tokens": 3}}\n')
    return path


def sessions(count: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        """`count` session ids in one small file (1,000 in 52 KB froze the browser; 80,000
        took 50 s and 2 GB, and once crashed). 5,000 is past every cap on sessions (2,000
        listed, 50 sections), and the memory bound is per input byte, so a cost per session
        shows as it would at 80,000. More than 65,535 sessions (a count that once
        overflowed a 16-bit column) are loaded in test_hostile_load, at a third of the cost
        of this whole run."""
        return many_sessions(folder / f"sessions-{count}.jsonl", count)
    return build


def bracket_goal(folder: Path) -> Path:
    """A 1 MB goal of `[*` (once 23 s and 497 MB in the Markdown renderer)."""
    return write(folder / "goal.jsonl", [line("session_start", 1, data={"goal": "[*" * 500_000}),
                                         line("session_end", 2)])


#: Text GitHub would turn into links, mentions, strikethrough, issue links, or that reorders
#: what a reader sees.
TRICKS = ["https://evil.example/x", "see www.evil.example", "~~struck~~", "ping @user",
          "rm -rf / \u202e1\u00d7", "a\u2066b\u2069c\u200b\u200fd", "fixes #12", "http://x.y"]


def tricks(folder: Path) -> Path:
    """Links, mentions, strikethrough and bidi overrides in session ids, statuses, goals,
    tool names, agents, errors and arguments."""
    lines = []
    for i, trick in enumerate(TRICKS):
        lines += [line("session_start", i * 10 + 1, trick, data={"goal": trick}),
                  line("subagent_spawn", i * 10 + 2, trick, data={"agent_id": trick}),
                  line("tool_error", i * 10 + 3, trick, duration_ms=3,
                       data={"tool": trick, "error": trick, "agent_id": trick,
                             "args": {"command": trick}}),
                  line(trick, i * 10 + 4, trick),
                  line("session_end", i * 10 + 5, trick, data={"status": trick})]
    return write(folder / "tricks.jsonl", lines)


def escapable_lanes(folder: Path) -> Path:
    """2,500 subagents, each a lane whose name, tool and error are `<"&` and bidi overrides:
    characters that grow 4 to 14 times when escaped (a 16 MB report from 2 MB)."""
    def text(i: int) -> str:
        return (f"{i}" + '<"&\u202e' * 30)[:100]
    lines = []
    for i in range(2500):
        lines += [line("subagent_spawn", i, event_id=f"s{i}", data={"agent_id": text(i)}),
                  line("tool_error", i + 0.5, event_id=f"t{i}", parent_event_id=f"s{i}",
                       duration_ms=100, data={"tool": text(i), "error": text(i)})]
    return write(folder / "lanes.jsonl", lines)


def compression_bomb(folder: Path) -> Path:
    """75 KB of gzip holding 300,000 long tool calls (each one of Attocode's issues)."""
    path = folder / "bomb.jsonl.gz"
    event = json.dumps({"kind": "tool_end", "timestamp": 1, "duration_ms": 99_999,
                        "data": {"tool": "b"}}) + "\n"
    path.write_bytes(gzip.compress(event.encode() * 300_000, 9))
    return path


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8", errors="surrogatepass")
    return path


HOSTILE: dict[str, Callable[[Path], Path]] = {
    "spawn": spawn, "newlines": newlines, "only-newlines": only_newlines,
    "gzipped-newlines": gzipped_newlines, "carriage-returns": carriage_returns,
    "quoted-file-name": quoted_file_name, "unknown-kinds": unknown_kinds,
    "non-finite": non_finite, "surrogates": surrogates, "undecodable-name": undecodable_name,
    "deep-600": deep(600), "deep-1024": deep(1024), "huge-iteration": huge_iteration,
    "sessions-1000": sessions(1000), "sessions-5000": sessions(5_000),
    "bracket-goal": bracket_goal, "tricks": tricks, "escapable-lanes": escapable_lanes,
    "compression-bomb": compression_bomb,
}
#: Inputs that hold no event at all: refused with exit 2, nothing written.
NOTHING_TO_REPORT = {"only-newlines"}


# --- every output at once, through the command line ---------------------------------------------

#: The HTML report's hard budget in the issue (the report's own cap is Limits.html_bytes).
HTML_BYTES = 8_000_000
#: A GitHub comment holds 65,536 characters.
MARKDOWN_CHARS = 65_536
#: The JSON: at most Limits.json_sessions sessions of a few kilobytes each (6 MB), plus the
#: lists Attocode's analysis has one entry per event in (token flow, issues, event counts),
#: each entry a few times its line at most.
JSON_FIXED_BYTES = 8_000_000
JSON_PER_INPUT_BYTE = 6
#: The Perfetto export is the whole trace: one event per event (names bounded), plus a few
#: per session.
EXPORT_FIXED_BYTES = 1_000_000
EXPORT_PER_INPUT_BYTE = 5
#: Memory: the floor measured on a clean trace, plus a fixed allowance, plus what the kept
#: events and sessions take (80,000 sessions of one event each are the worst).
MEMORY_FIXED_BYTES = 150 * 2**20
MEMORY_PER_INPUT_BYTE = 70


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    #: Peak resident memory of the command's process (None where /proc is missing).
    peak_rss: int | None
    outputs: dict[str, Path]


#: The command, recording its peak resident memory as it exits. Its own high-water mark,
#: because the one `wait4` reports also counts the test process it was forked from.
def run_cli(trace: Path, out: Path) -> Run:
    """The command line with every output, in a process of its own (forked from one that has
    imported attoreport: see tests/forkserver.py)."""
    out.mkdir(exist_ok=True)
    outputs = {name: out / f"report.{name}" for name in ("html", "json", "md", "trace")}
    peak, stdout, stderr = out / "peak-kib", out / "stdout", out / "stderr"
    code = forkserver.run(
        [os.fsencode(trace), "-o", outputs["html"], "--json", outputs["json"], "--markdown",
         outputs["md"], "--export-trace", outputs["trace"], "--annotations", "github"],
        stdout, stderr, peak)
    return Run(code, stdout.read_bytes().decode(errors="surrogateescape"),
               stderr.read_bytes().decode(errors="surrogateescape"),
               int(peak.read_text()) * 1024 if peak.exists() else None, outputs)


@pytest.fixture(scope="module")
def memory_floor(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak memory of the same command on a clean trace of the corpus."""
    folder = tmp_path_factory.mktemp("clean")
    run = run_cli(FIXTURES / "collector" / "collector-context-pressure.jsonl", folder)
    assert run.code == 0, run.stderr
    return run.peak_rss or 0


def read_bytes(trace: Path) -> int:
    """What the loader reads of `trace`: compressed data as far as it may expand."""
    data = trace.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return len(data)
    return min(len(gzip.decompress(data)), max(loader.GZIP_FLOOR_BYTES,
                                                loader.GZIP_RATIO * len(data)))


def link_forming(markdown_text: str) -> list[str]:
    """Trace text that GitHub would render as a link, mention, strikethrough or issue link."""
    found = re.findall(r"[a-z]+:(?!\u2060)//", markdown_text)
    found += re.findall(r"(?i)(?<![a-z0-9])www\.", markdown_text)
    found += re.findall(r"@(?!\u2060)\w", markdown_text)
    found += re.findall(r"(?<!\\)~", markdown_text)
    found += re.findall(r"(?i)(?:#|\bgh-)\d", markdown_text)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_output_of_a_hostile_file_stays_bounded(tmp_path: Path, memory_floor: int,
                                                      name: str) -> None:
    trace = HOSTILE[name](tmp_path)
    run = run_cli(trace, tmp_path / "out")
    assert run.code in (0, 2), run.stderr[-3000:]
    assert "internal error" not in run.stderr
    size = read_bytes(trace)
    if run.peak_rss is not None:
        assert run.peak_rss <= memory_floor + MEMORY_FIXED_BYTES + MEMORY_PER_INPUT_BYTE * size
    if name in NOTHING_TO_REPORT:
        assert run.code == 2 and "no trace events found" in run.stderr
        assert not any(p.exists() for p in run.outputs.values())
        return
    assert run.code == 0, run.stderr[-3000:]
    html, json_text, trace_text, md = (run.outputs[k].read_bytes()
                                       for k in ("html", "json", "trace", "md"))
    assert len(html) <= HTML_BYTES
    assert len(md.decode()) <= MARKDOWN_CHARS
    assert len(json_text) <= JSON_FIXED_BYTES + JSON_PER_INPUT_BYTE * size
    assert len(trace_text) <= EXPORT_FIXED_BYTES + EXPORT_PER_INPUT_BYTE * size
    json.loads(json_text)
    json.loads(trace_text)
    for text in (html.decode(), json_text.decode(), trace_text.decode(), md.decode(),
                 run.stdout, run.stderr):
        assert not BIDI.search(text)
    assert link_forming(md.decode()) == [], md.decode()[:3000]
    assert len(run.stderr) < 10_000  # diagnostics are grouped and bounded on the terminal too


def many_sessions(path: Path, count: int) -> Path:
    """One LLM call per session id."""
    path.write_text("".join(
        json.dumps({"kind": "llm_response", "timestamp": i, "session_id": f"s{i}",
                    "data": {"tokens": i % 97 + 1, "cost": (i % 13) / 100}}) + "\n"
        for i in range(count)))
    return path


# --- bounds of the outputs, in the library -----------------------------------------------------


def test_the_json_lists_the_first_sessions_and_counts_the_rest(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 5))])]
    document = json.loads(attoreport.render_json(analyses, limits=Limits(json_sessions=3)))
    assert [s["session_id"] for s in document["sessions"]] == ["s0", "s1", "s2"]
    assert document["sessions_left_out"] == 2
    whole = json.loads(attoreport.render_json(analyses))
    assert len(whole["sessions"]) == 5 and whole["sessions_left_out"] == 0


def test_a_capped_json_keeps_the_comparison_of_the_sessions_it_lists(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 4))])]
    comparison = attoreport.compare_with_baseline(analyses, str(tmp_path / "t.jsonl"))
    document = json.loads(attoreport.render_json(analyses, comparison=comparison,
                                                 limits=Limits(json_sessions=2)))
    assert [s["comparison"]["baseline"]["session_id"] for s in document["sessions"]] == ["s0", "s1"]
    assert document["sessions_left_out"] == 2


def test_the_overview_says_where_the_sessions_it_does_not_list_are(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 9))])]
    html = attoreport.render_html(analyses, limits=Limits(overview_rows=4, json_sessions=6,
                                                          session_sections=2))
    assert "2 sessions more are in the JSON output." in html
    assert "3 sessions more are counted but listed in no output." in html


def test_the_json_keeps_the_start_of_a_huge_goal(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"kind": "session_start", "timestamp": 1,
                                "data": {"goal": "[*" * 500_000}}) + "\n")
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(path)])]
    goal = json.loads(attoreport.render_json(analyses, limits=Limits(goal_chars=100)))[
        "sessions"][0]["summary"]["goal"]
    assert goal == "[*" * 49 + "[…"
    assert len(json.loads(attoreport.render_json(analyses))["sessions"][0]["summary"]["goal"]) \
        == Limits().goal_chars


@pytest.mark.parametrize("budget", [65_000, 4000])
def test_the_markdown_builds_only_the_sessions_that_can_fit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    """80,000 sessions once meant 80,000 Markdown sections built and then left out (and as
    many table rows): the same text now comes from the few that can fit."""
    analyses = [attoreport.analyse(s)  # many more than fit (fewer than 100 do)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 600))])]
    comparison = attoreport.compare_with_baseline(analyses[:5], str(tmp_path / "t.jsonl"))
    compared = analyses[:5]
    limits = Limits(markdown_chars=budget)
    built: list[str] = []
    section = markdown.session_section

    def counted(analysis: Any, *args: Any) -> Any:
        built.append(analysis.session.session_id)
        return section(analysis, *args)

    monkeypatch.setattr(markdown, "session_section", counted)
    fast = attoreport.render_markdown(analyses, limits=limits)
    fast_compared = attoreport.render_markdown(compared, limits=limits, comparison=comparison)
    assert 0 < len(built) < 100
    monkeypatch.setattr(markdown, "fitting_sections", lambda analyses, compared, limits: [
        counted(a, c, limits) for a, c in zip(analyses, compared, strict=True)])
    monkeypatch.setattr(markdown, "most_rows", lambda limits: 10**9)
    assert attoreport.render_markdown(analyses, limits=limits) == fast
    assert attoreport.render_markdown(compared, limits=limits, comparison=comparison) == \
        fast_compared
    listed = len(re.findall(r"^- s\d+ \(from ", fast_compared, re.MULTILINE))
    more = re.findall(r"^- \+([\d,]+) more sessions\.$", fast_compared, re.MULTILINE)
    assert listed + sum(int(m.replace(",", "")) for m in more) == 595  # in the baseline only
    assert len(more) == (budget < 10_000)  # a short comment lists some and counts the rest
    assert len(fast) <= budget


def test_the_cyclic_collector_rests_while_sessions_are_analysed(tmp_path: Path) -> None:
    """Re-enabled after each session, it rescanned every analysis kept so far: with 80,000
    sessions that was most of the run. Collections from the first analysis until the last
    one has ended (the writing starts) are counted."""
    stage = [""]
    analysing = [False]
    between_sessions: list[int] = []
    analyse = attoreport.analyse

    class Listener(Silent):
        def stage(self, words: str) -> None:
            stage[0] = words

    def analysed(session: Any) -> Any:
        analysing[0] = True
        return analyse(session)

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and analysing[0] and not stage[0].startswith("writing"):
            between_sessions.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(attoreport, "analyse", analysed)
            write_reports(Request(traces=[str(many_sessions(tmp_path / "t.jsonl", 1500))],
                                  json=str(tmp_path / "t.json"), jobs=1), listener=Listener())
    finally:
        gc.callbacks.remove(count)
    assert analysing[0] and between_sessions == []


def size(text: str) -> int:
    return len(text.encode())


def quoted_names(path: Path, events: int = 300) -> Path:
    """Failed tool calls whose tool, agent and error are made of `"` (5 bytes each in HTML,
    more in chart data)."""
    path.write_text("".join(json.dumps({
        "kind": "tool_error", "timestamp": i, "iteration": i, "duration_ms": 5,
        "data": {"tool": f'{i}{chr(34) * 300}', "agent_id": f'{i}{chr(34) * 300}',
                 "error": chr(34) * 1000}}) + "\n" for i in range(events)))
    return path


def test_a_report_over_its_byte_budget_is_made_again_with_halved_limits(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(quoted_names(tmp_path / "t.jsonl"))])]
    whole = attoreport.render_html(analyses)
    floor = attoreport.render_html(analyses, limits=Limits(html_bytes=1))  # every limit at its floor
    assert size(floor) < size(whole) * 0.6  # plotly itself is most of the floor
    budget = (size(whole) + size(floor)) // 2
    fitted = attoreport.render_html(analyses, limits=Limits(html_bytes=budget))
    assert size(floor) <= size(fitted) <= budget
    assert fitted.count("<tr") < whole.count("<tr")


def test_halved_limits_reach_a_floor() -> None:
    limits, seen = Limits(), []
    while limits not in seen:
        seen.append(limits)
        limits = limits.halved()
    assert len(seen) < 16 and limits.name_chars == 16 and limits.event_rows == 10
    assert limits.markdown_chars == Limits().markdown_chars  # other outputs keep theirs


def test_sessions_share_the_tools_table_budget(tmp_path: Path) -> None:
    """Each of 50 sessions listed its 200 costliest tools: 10,000 rows of names."""
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"kind": "tool_end", "timestamp": s * 100 + t,
                                        "session_id": f"s{s}", "data": {"tool": f"tool{t}"}})
                            + "\n" for s in range(20) for t in range(40)))
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(path)])]
    html = attoreport.render_html(analyses)
    rows = re.findall(r'<th scope="row"><code>tool\d+</code></th>', html)
    assert len(rows) == 20 * Limits().share(20).tool_rows == 20 * 10
    assert Limits().share(2).tool_rows == 50 and Limits().share(1).tool_rows == 200


def test_the_json_escapes_bidi_controls_and_keeps_the_strings(tmp_path: Path) -> None:
    sid = "rm -rf / \u202e1\u00d7 \u2066x\u2069 \U000e0041"
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"kind": "tool_error", "timestamp": 1, "session_id": name,
                                        "data": {"tool": sid, "error": sid}},
                                       ensure_ascii=False) + "\n" for name in (sid, "other")))
    text = attoreport.render_json([attoreport.analyse(s) for s in attoreport.load([str(path)])])
    assert not BIDI.search(text) and "\U000e0041" not in text
    assert "\\u202e" in text and "\\udb40\\udc41" in text
    assert json.loads(text)["sessions"][0]["session_id"] == sid


# --- command-line edges (issue 7, §8), in a real process ----------------------------------------
# tests/test_output.py and tests/test_inputs.py hold the rest: loops and long paths in every
# position, the input read from stdin as an output, signals during the write, devices.

CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"


def command(*args: str | Path, stdin: Any = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "attoreport", *map(str, args)], stdin=stdin,
                          capture_output=True, cwd=cwd, check=False, timeout=120)


def test_dev_stdout_is_written_in_place_and_stays_a_link() -> None:
    """As root, `-o /dev/stdout` once replaced the system's link with a regular file."""
    was_link = os.path.islink("/dev/stdout")
    done = command(CLEAN, "--json", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sessions"][0]["session_id"] == "collector-clean-feature"
    assert os.path.islink("/dev/stdout") == was_link
    assert not stat.S_ISREG(os.lstat("/dev/stdout").st_mode)  # itself, not what it leads to


@pytest.mark.parametrize("args", [("-o", "/dev/stdout", "--json", "-"),
                                  ("--markdown", "/dev/fd/1", "--export-trace", "/dev/stdout")])
def test_two_outputs_to_standard_output_exit_2_in_a_real_process(args: tuple[str, ...]) -> None:
    done = command(CLEAN, *args)
    assert done.returncode == 2 and done.stdout == b""
    assert b"only one output can go to standard output" in done.stderr


def test_path_problems_exit_2_in_a_real_process(tmp_path: Path) -> None:
    (tmp_path / "loop.html").symlink_to("loop.html")
    for output in (tmp_path / "loop.html", tmp_path / ("x" * 300), tmp_path / "loop.html" / "r"):
        done = command(CLEAN, "-o", output, cwd=tmp_path)
        assert done.returncode == 2, (output, done.stderr)
        assert len(done.stderr) < 1000 and b"internal error" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop.html"]


def test_the_input_read_from_stdin_is_not_overwritten(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(CLEAN.read_bytes())
    with trace.open("rb") as stdin:
        done = command("-", "-o", "t.jsonl", stdin=stdin, cwd=tmp_path)
    assert done.returncode == 2 and trace.read_bytes() == CLEAN.read_bytes()


def subagents(path: Path, count: int) -> Path:
    """`count` subagents, each with a failed tool call: a timeline lane each."""
    return write(path, [x for i in range(count) for x in (
        line("subagent_spawn", i, event_id=f"s{i}", data={"agent_id": f"agent{i}"}),
        line("tool_error", i + 0.5, event_id=f"t{i}", parent_event_id=f"s{i}", duration_ms=100,
             data={"tool": "bash", "error": "failed"}))])


def test_the_timeline_draws_a_bounded_number_of_lanes(tmp_path: Path) -> None:
    """2,500 subagents drew 500 lane labels in a chart 23,000 pixels high: five seconds of
    a frozen browser. Lanes beyond the limit share the last one, which says how many."""
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(subagents(tmp_path / "t.jsonl", 300))])]
    html = attoreport.render_html(analyses, limits=Limits(lane_rows=12))
    figure = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1])[
        "s1-timeline-chart"]
    labels = figure["layout"]["yaxis"]["ticktext"]
    assert len(labels) == 12 and labels[0] == "agent agent0" and labels[-1] == "289 more lanes"
    failed = [y for trace in figure["data"] if trace["name"] == "Failed" for y in trace["y"]]
    assert len(failed) == 300 and max(failed) == 11  # every bar drawn, the rest in the last lane
    hovers = [t for trace in figure["data"] for t in trace.get("text", [])]
    assert any(t.startswith("agent agent299: ") for t in hovers)  # a shared lane names its own
    assert ("300 lanes: the main agent and the agents with the most failures and calls have "
            "their own, the other 289 share the last one.") in html


def test_a_swarm_view_is_bounded_by_the_limits(tmp_path: Path) -> None:
    """Run folders had their own fixed bounds (1,000 tasks, each with 300 calls and 20,000
    characters of prompt; a lane per task), which a report over its budget could not halve."""
    (run,) = load_runs(write_big_run(tmp_path, 120))
    view = swarm_view(run, "w1", Limits(swarm_tasks=30, lanes=8, swarm_calls=2, goal_chars=50))
    assert len(view.rows) == len(view.details) == 30
    assert view.rows_note.startswith("The table shows the first 30 of 120 tasks")
    assert len(view.lanes) == 8 and view.lanes[0] == "Coordinator"
    assert view.lanes[-1] == "114 more tasks"
    assert {b.lane for b in view.bars} <= set(view.lanes) and len(view.bars) >= 120
    assert all(len(d.calls) <= 2 and len(d.prompt) <= 50 for d in view.details)
    whole = swarm_view(run, "w1")
    assert len(whole.rows) == 120 and len(whole.lanes) == Limits().lanes and not whole.rows_note


def test_tasks_named_alike_get_distinct_lanes_quickly(tmp_path: Path) -> None:
    """Lanes are task names cut to 40 characters; alike ones were told apart by scanning
    every lane so far and adding a prime each time: quadratic in time and in length."""
    project = write_big_run(tmp_path, 30)
    for path in project.rglob("*.json*"):  # every task id starts with the same 60 characters
        path.write_text(path.read_text().replace('"task-', '"' + "x" * 60 + "task-"))
    (run,) = load_runs(project)
    view = swarm_view(run, "w1")
    assert len(set(view.lanes)) == len(view.lanes) == 31
    assert max(len(lane) for lane in view.lanes) <= 43 and view.lanes[-1].endswith("′29")
