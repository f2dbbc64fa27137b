"""The Markdown summary for pull requests: marker, order, figures, score, issues, caveats, bound,
escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import attoreport
from attoreport.analysis.compare import SessionFigures, compare, parse_thresholds
from attoreport.limits import Limits
from attoreport.report.markdown import MARKER, escape_text
from tests.conftest import FIXTURES, event, write_trace

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
AGENT = FIXTURES / "agent" / "agent-normal-task.jsonl"
OPEN = FIXTURES / "collector" / "collector-crashed-open-session.jsonl"
DAMAGED = FIXTURES / "damaged" / "damaged-garbage-lines.jsonl"
HOSTILE = FIXTURES / "hostile" / "hostile-payloads.jsonl"
BUDGET = 65_000


def analyses(*paths: Path | str) -> list[attoreport.Analysis]:
    return [attoreport.analyse(s) for s in attoreport.load([str(p) for p in paths])]


def markdown(*paths: Path | str, **options: object) -> str:
    return attoreport.render_markdown(analyses(*paths), **options)  # type: ignore[arg-type]


def compared_markdown(current: Path, baseline: Path, **options: object) -> str:
    found = analyses(current)
    comparison = attoreport.compare_with_baseline(found, baseline)
    return attoreport.render_markdown(found, comparison=comparison, **options)  # type: ignore[arg-type]


def without_long_tool(tmp_path: Path) -> Path:
    """The doom-loop session without its 47.9 s bash call: the slow-tool issue is gone."""
    lines = [line for line in DOOM.read_text().splitlines() if '"duration_ms": 47900' not in line]
    assert len(lines) == len(DOOM.read_text().splitlines()) - 1
    target = tmp_path / DOOM.name
    target.write_text("\n".join(lines) + "\n")
    return target


def positions(text: str, *needles: str) -> list[int]:
    found = [text.find(n) for n in needles]
    assert -1 not in found, dict(zip(needles, found, strict=True))
    return found


# --- shape and order --------------------------------------------------------------------------


def test_starts_with_the_marker_and_keeps_the_documented_order() -> None:
    text = markdown(DOOM, report_name="report.html")
    assert text.startswith(MARKER + "\n")
    order = positions(text, "### Session collector-doom-loop-tool-errors", "**Goal:** Fix the failing test",
                      "**Model:** claude-sonnet-4-20250514", "**Outcome: Completed: tests pass.**",
                      "**Key figures**", "**Efficiency score: 62.9 / 100 (some waste)**",
                      "**Issues**", "**Full report:** report.html")
    assert order == sorted(order)


def test_outcome_with_its_evidence() -> None:
    text = markdown(DOOM)
    evidence = text.split("**Outcome:", 1)[1].split("**Key figures**", 1)[0]
    assert evidence.splitlines()[1:] == [
        "- Ended with status “complete” after 3 min 16 s (first event to the end).",
        "- 11 model calls (1 more failed), 10 tool calls (5 failed), 7 errors.",
        "- Tests failed: pytest tests/test\\_dates.py::test\\_parse\\_iso\\_week -x -q → FAILED "
        "tests/test\\_dates.py::test\\_parse\\_iso\\_week - AssertionError: assert 52 == 53.",
        "- Tests failed: pytest -q → 1 failed, 211 passed.",
        "- Tests passed: pytest tests/test\\_dates.py::test\\_parse\\_iso\\_week -x -q → 1 passed.",
        "- Files changed: dates/parse.py.",
        "- 1 tool call that Attocode counts as a success reported a failure in its output (an "
        "error message or a non-zero exit code).", ""]
    opened = markdown(OPEN)
    assert "**Outcome: Did not finish.**" in opened
    assert "- No end record after" in opened


def test_key_figures_are_the_session_s_own() -> None:
    [a] = analyses(DOOM)
    text = markdown(DOOM)
    summary = json.loads(attoreport.render_json(analyses(DOOM)))["sessions"][0]["summary"]
    assert summary["total_cost"] == a.summary.total_cost
    for row in ["| Cost | \\$0.1155 |", "| Tokens | 70,118 |", "| Iterations | 11 |",
                "| Model calls | 11 |", "| Tool calls | 10 |", "| Errors | 7 |",
                "| Cache hit rate | 98.6% |", "| Duration | 3 min 16 s |"]:
        assert row in text, row


def test_score_breakdown_has_five_parts_labelled_as_efficiency() -> None:
    text = markdown(DOOM)
    assert "not whether it did the job" in text
    table = text.split("| Part | Measured | Points |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and " of " in line]
    assert [r.split(" | ")[0] for r in rows] == [
        "| Cache hit rate", "| Errors per tool call", "| Compactions per iteration",
        "| Tool success rate", "| Output per input token", "| Total (this trace can reach 100)"]
    assert "| Errors per tool call | 70.0% | 7.5 of 25 |" in text


def test_a_trace_without_token_detail_says_its_ceiling() -> None:
    text = markdown(AGENT)
    assert "highest score it can reach is 65" in text
    assert "| Total (this trace can reach 65) |" in text
    assert "cannot exceed 65" in text.split("**Caveats**", 1)[1]


def test_issues_each_with_what_to_do() -> None:
    text = markdown(DOOM)
    issues = text.split("**Issues**", 1)[1].split("\n---\n", 1)[0]
    items = [line for line in issues.splitlines() if line.startswith("- **")]
    assert len(items) == 3  # three kinds of issue
    assert items[0].startswith("- **high** Repeated identical tool calls bash")
    assert all("*What to do:*" in item for item in items)
    assert "Consider reviewing doom loop thresholds." in items[0]  # suggestions whole


def test_caveats() -> None:
    assert "3 damaged trace lines were skipped or repaired" in markdown(DAMAGED)
    assert "no end record" in markdown(OPEN).split("**Caveats**", 1)[1]
    assert "**Caveats**" not in markdown(CLEAN)


def test_the_pointer_names_the_html_report() -> None:
    assert "**Full report:** my\\_report.html, the HTML report" in markdown(
        CLEAN, report_name="my_report.html")
    assert "no HTML report was written" in markdown(CLEAN)


def test_several_sessions_get_a_table_then_a_section_each() -> None:
    text = markdown(DOOM, CLEAN)
    assert text.startswith(MARKER + "\n## Agent session report: 2 sessions\n")
    assert "| collector-doom-loop-tool-errors | Completed: tests pass | 62.9 | \\$0.1155 |" in text
    first, second = positions(text, "### Session collector-doom-loop-tool-errors",
                              "### Session collector-clean-feature")
    assert text.index("| collector-clean-feature |") < first < second


# --- with a baseline ------------------------------------------------------------------------


def test_the_comparison_shows_both_sides_and_the_change(tmp_path: Path) -> None:
    text = compared_markdown(DOOM, CLEAN)
    assert "against baseline session collector-clean-feature" in text
    assert "| Figure | This run | Baseline | Change |" in text
    assert ("| Cost | \\$0.1155 | \\$0.0929 | ▲ +\\$0.0226 (+24.3 %) worse **over the limit** |"
            in text)
    assert "| Errors | 7 | 0 | ▲ +7 (from 0) worse |" in text
    assert "| Cache hit rate | 98.6% | 97.8% | ▲ +0.8 points better |" in text
    assert "— ▼ -25.7 points worse against the baseline (**over the limit**)" in text
    assert "| Errors per tool call | 70.0% | 7.5 of 25 | ▼ -17.5 points worse |" in text
    assert "- Cost rose by 24.3 % (the limit is +10 %)." in text


def test_new_issues_come_before_the_others(tmp_path: Path) -> None:
    text = compared_markdown(DOOM, without_long_tool(tmp_path))
    new, also = positions(text, "**New issues**", "**Issues also in the baseline**")
    assert new < also
    new_part = text[new:also]
    assert "Slow tool calls bash" in new_part and "Repeated identical" not in new_part
    assert "Repeated identical tool calls bash" in text[also:]
    fixed = compared_markdown(without_long_tool(tmp_path), DOOM)
    assert "**New issues:** none." in fixed
    assert "Slow tool calls bash" in fixed.split("**Fixed since the baseline**", 1)[1]


def test_too_little_data_is_said() -> None:
    swarm = FIXTURES / "collector" / "collector-swarm-run.jsonl"  # one LLM call
    text = compared_markdown(swarm, CLEAN)
    assert "Too little data to judge" in text
    assert "not judged (too little data)" in text


def test_added_and_removed_sessions(tmp_path: Path) -> None:
    found = analyses(DOOM, CLEAN)
    figures = [SessionFigures.from_analysis(a) for a in analyses(CLEAN, AGENT)]
    comparison = compare([SessionFigures.from_analysis(a) for a in found], figures,
                         parse_thresholds([]))
    text = attoreport.render_markdown(found, comparison=comparison)
    assert "1 paired, 1 added, 1 removed" in text
    assert "- agent-normal-task (from" in text
    assert "| added (no baseline session) |" in text
    assert "**Issues (all new: no baseline session)**" in text


# --- the size bound ---------------------------------------------------------------------------


def many_issues(folder: Path, name: str, kinds: int) -> Path:
    """A session with `kinds` slow tools, each its own kind of issue."""
    calls = [event("tool_end", 100.0 + i, 1, tool=f"tool_{name}_{i}_" + "x" * 40,
                   duration_ms=31_000.0) for i in range(kinds)]
    events = [{**event("session_start", 1.0, goal="g " * 300, model="m"), "session_id": name},
              *({**c, "session_id": name} for c in calls)]
    return write_trace(folder / f"{name}.jsonl", events)


def test_thousands_of_issues_and_sixty_sessions_stay_within_a_comment(tmp_path: Path) -> None:
    traces = [many_issues(tmp_path, f"s{i:02d}", 3000 if i == 0 else 60) for i in range(60)]
    found = analyses(*traces)
    assert sum(len(a.issues) for a in found) == 3000 + 59 * 60
    text = attoreport.render_markdown(found, report_name="report.html")
    assert len(text) <= BUDGET
    assert text.startswith(MARKER + "\n") and text.rstrip().endswith("</sub>")
    assert "**Full report:** report.html" in text
    assert re.search(r"\+[\d,]+ more issues in the HTML report\.", text)
    assert re.search(r"\+[\d,]+ more sessions in the HTML report", text)
    assert text.count("| s") >= 60  # every session is in the table


def test_the_longest_list_is_cut_first(tmp_path: Path) -> None:
    found = analyses(many_issues(tmp_path, "big", 400), many_issues(tmp_path, "small", 8))
    whole = attoreport.render_markdown(found)
    limits = Limits(markdown_chars=len(whole) // 3)
    text = attoreport.render_markdown(found, limits=limits)
    assert len(text) <= limits.markdown_chars
    big, small = text.split("### Session small", 1)
    assert small.count("- **medium**") == 8  # the short list is whole
    listed = big.count("- **medium**")
    assert 3 <= listed < 400
    assert f"- +{400 - listed} more issues in the HTML report." in big


def test_even_a_tiny_budget_keeps_the_marker_and_the_limit(tmp_path: Path) -> None:
    found = analyses(many_issues(tmp_path, "big", 50), DOOM, CLEAN)
    for budget in (400, 1500, 5000):
        text = attoreport.render_markdown(found, limits=Limits(markdown_chars=budget))
        assert len(text) <= budget and text.startswith(MARKER)


# --- escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("a|b", "a\\|b"),
    ("~~gone~~", "\\~\\~gone\\~\\~"),
    ("<!-- attoreport -->", "\\<\\!-- attoreport --\\>"),
    ("**bold** _it_ `code` [x](y) ![i](j) # h", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[x\\](y) "
     "\\!\\[i\\](j) \\# h"),
    ("$x$ &amp; &#60;", "\\$x\\$ \\&amp; \\&\\#\u206060;"),
    ("see https://evil.example/x", "see https:\u2060//evil.example/x"),
    ("www.evil.example and WWW.x.y", "www\u2060.evil.example and WWW\u2060.x.y"),
    ("ping @org/team and a@b.co", "ping @\u2060org/team and a@\u2060b.co"),
    ("fixes #12, GH-3 and org/repo#4; not abc#x or ugh-5",
     "fixes \\#\u206012, GH-\u20603 and org/repo\\#\u20604; not abc\\#x or ugh-5"),
    ("rm -rf / \u202e1x", "rm -rf / \\<U+202E\\>1x"),
    ("two\nlines\r\n", "two lines"),
])
def test_trace_text_is_escaped(raw: str, shown: str) -> None:
    assert escape_text(raw) == shown


def test_escaped_text_is_bounded() -> None:
    assert len(escape_text("x" * 10_000, 100)) < 140


def test_hostile_traces_cannot_break_the_markdown() -> None:
    text = markdown(HOSTILE)
    ours = text.rsplit("\n<sub>", 1)[0]
    assert text.count(MARKER) == 1
    assert re.search(r"(?<!\\)[<>]", ours.replace(MARKER, "")) is None
    assert "://" not in ours.replace(":\u2060//", "")
    for line in text.splitlines():
        if line.startswith("| "):  # no extra columns from pipes in the trace
            cells = re.split(r"(?<!\\)\|", line)
            header = 8 if "| Session |" in text else 0
            assert len(cells) in (4, 5, 6, header + 1) or "Part" in line, line


def test_mentions_cannot_ping_anyone(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [
        {**event("subagent_timeout", 1.0, 1, agent_id="@org/team"), "session_id": "x"}])
    text = markdown(trace)
    assert "@org" not in text and "@\u2060org/team" in text


def test_a_hostile_json_baseline_cannot_break_the_markdown(tmp_path: Path) -> None:
    """Fixed issues come from the baseline file, which is as untrusted as a trace."""
    document = json.loads(attoreport.render_json(analyses(DOOM)))
    issue = document["sessions"][0]["issues"][0]
    issue.update(category="[click](https://evil.example) <b>", severity="**critical**",
                 description="@admin ~~gone~~ | x", suggestion="www.evil.example")
    saved = tmp_path / "main.json"
    saved.write_text(json.dumps(document))
    text = compared_markdown(CLEAN, saved)
    fixed = text.split("**Fixed since the baseline**", 1)[1].split("\n---\n", 1)[0]
    assert "\\[click\\](https:\u2060//evil.example) \\<b\\>" in fixed
    assert "**\\*\\*critical\\*\\***" in fixed and "@\u2060admin \\~\\~gone\\~\\~ \\| x" in fixed
    assert "://" not in text.replace(":\u2060//", "") and "@admin" not in text


def test_a_long_baseline_path_keeps_its_file_name_in_the_markdown() -> None:
    from attoreport.report.mdtext import escape_path

    path = "/ci/" + "workspace-" * 20 + "/baseline/run_7.jsonl"
    text = escape_path(path, 100)
    assert text.startswith("…") and text.endswith("run\\_7.jsonl")  # escaped as Markdown, too
