"""The comparison with a baseline as the report shows it: HTML section, words, and the JSON."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport.analysis.compare import SessionFigures, compare, delta, parse_thresholds
from attoreport.report.comparison import (
    DOWN,
    METRIC_LOOKS,
    UP,
    change_text,
    comparison_view,
    figure_row,
    format_value,
)
from tests.conftest import FIXTURES, event, write_trace

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
AGENT = FIXTURES / "agent" / "agent-normal-task.jsonl"
SWARM = FIXTURES / "collector" / "collector-swarm-run.jsonl"  # one LLM call


def analyses(*paths: Path | str) -> list[attoreport.Analysis]:
    return [attoreport.analyse(s) for s in attoreport.load([str(p) for p in paths])]


def own_json(path: Path) -> dict[str, Any]:
    """A trace's own `--json` entry (its first session)."""
    entry: dict[str, Any] = json.loads(attoreport.render_json(analyses(path)))["sessions"][0]
    return entry


def section(html: str, anchor: str = "s1") -> str:
    start = html.index(f'id="{anchor}-comparison"')
    return html[start: html.index("</section>", start)]


def rows(part: str) -> dict[str, str]:
    """metric -> the row's text, tags stripped."""
    found = re.findall(r'<tr data-metric="([\w]+)"[^>]*>(.*?)</tr>', part, flags=re.S)
    return {name: " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())
            for name, body in found}


@pytest.fixture(scope="module")
def doom_against_clean() -> tuple[str, str]:
    found = analyses(DOOM)
    comparison = attoreport.compare_with_baseline(found, CLEAN)
    return (attoreport.render_html(found, comparison=comparison),
            attoreport.render_json(found, comparison=comparison))


# --- HTML -----------------------------------------------------------------------------------


def test_each_session_gets_a_comparison_view(doom_against_clean: tuple[str, str]) -> None:
    html, _ = doom_against_clean
    assert html.count('data-view="comparison"') == 1
    part = section(html)
    assert "Baseline: session <code>collector-clean-feature</code>" in part
    assert '<a href="#s1-comparison">Baseline</a>' in html
    assert 'id="baseline"' in html and "1 paired, 0 added, 0 removed" in html
    assert "Regression thresholds: cost +10 %, tokens +15 %" in html


def test_no_comparison_view_without_a_baseline() -> None:
    html = attoreport.render_html(analyses(DOOM))
    assert 'data-view="comparison"' not in html and 'id="baseline"' not in html


def test_figures_side_by_side_are_each_side_s_own(doom_against_clean: tuple[str, str]) -> None:
    html, _ = doom_against_clean
    shown = rows(section(html))
    current, base = own_json(DOOM), own_json(CLEAN)
    sources = {"cost": "total_cost", "total_tokens": "total_tokens",
               "iterations": "iterations", "llm_calls": "llm_calls",
               "tool_calls": "tool_calls", "errors": "errors",
               "efficiency_score": "efficiency_score", "cache_hit_rate": "cache_hit_rate",
               "duration_seconds": "duration_seconds"}
    for metric, key in sources.items():
        unit = METRIC_LOOKS[metric].unit
        expected = (f"{format_value(unit, base['summary'][key])} "
                    f"{format_value(unit, current['summary'][key])}")
        assert expected in shown[metric], (metric, shown[metric])
    assert len(shown) == 16  # every delta: 10 figures, 5 score parts, cache hit rate


def test_changes_are_said_with_arrows_and_words(doom_against_clean: tuple[str, str]) -> None:
    html, _ = doom_against_clean
    shown = rows(section(html))
    assert shown["cost"] == "Cost $0.0929 $0.1155 ▲ +$0.0226 (+24.3 %) worse over the limit"
    assert shown["errors"] == "Errors 0 7 ▲ +7 (from 0) worse"
    assert shown["efficiency_score"].endswith("▼ -25.7 points worse over the limit")
    assert shown["cache_hit_rate"].endswith("▲ +0.8 points better")
    assert shown["points_compaction_frequency"].endswith("▲ +1.7 points better")
    part = section(html)
    for tone in re.findall(r'<td class="delta tone-(\w+)">(.*?)</td>', part, flags=re.S):
        name, body = tone
        assert ("worse" in body) == (name == "bad") and ("better" in body) == (name == "good")
        assert UP in body or DOWN in body


def test_regressions_and_issue_lists(doom_against_clean: tuple[str, str]) -> None:
    part = unescape(section(doom_against_clean[0]))
    assert "Cost rose by 24.3 % (the limit is +10 %)." in part
    assert "Efficiency score fell by 25.7 points (the limit is -5 points)." in part
    assert "New issues (3)" in part and "Fixed issues (0)" in part
    assert "Unchanged issues (0)" in part
    new = part.split('data-issues="new"', 1)[1].split("</ul>", 1)[0]
    assert "Repeated identical tool calls" in new and "What to do:" in new


def test_new_fixed_and_unchanged_on_a_pair_that_differs_in_known_ways(tmp_path: Path) -> None:
    lines = [line for line in DOOM.read_text().splitlines() if '"duration_ms": 47900' not in line]
    without_slow = write_trace(tmp_path / DOOM.name, lines)
    found = analyses(DOOM)
    html = attoreport.render_html(found, comparison=attoreport.compare_with_baseline(
        found, without_slow))
    part = unescape(section(html))
    new = part.split('data-issues="new"', 1)[1].split("</ul>", 1)[0]
    unchanged = part.split('data-issues="unchanged"', 1)[1].split("</ul>", 1)[0]
    assert "Slow tool calls" in new and "Repeated identical" not in new
    assert "Repeated identical tool calls" in unchanged and "High tool error rate" in unchanged
    back = analyses(without_slow)
    html = attoreport.render_html(back, comparison=attoreport.compare_with_baseline(back, DOOM))
    fixed = unescape(section(html)).split('data-issues="fixed"', 1)[1].split("</ul>", 1)[0]
    assert "Slow tool calls" in fixed


def test_too_little_data_is_said() -> None:
    found = analyses(SWARM)
    html = attoreport.render_html(found, comparison=attoreport.compare_with_baseline(found, CLEAN))
    part = unescape(section(html))
    assert "Too little data to judge: each side needs at least 3 model calls" in part
    assert "(this run has 1, the baseline 9)" in part


def test_added_and_removed_sessions() -> None:
    found = analyses(DOOM, CLEAN)
    baseline = [SessionFigures.from_analysis(a) for a in analyses(CLEAN, AGENT)]
    comparison = compare([SessionFigures.from_analysis(a) for a in found], baseline,
                         parse_thresholds([]))
    html = attoreport.render_html(found, comparison=comparison)
    assert html.count('data-view="comparison"') == 2
    assert "data-added" in section(html, "s1")  # doom has no pair
    assert "data-added" not in section(html, "s2")
    removed = html.split('class="removed-sessions"', 1)[1].split("</ul>", 1)[0]
    assert "<code>agent-normal-task</code>" in removed


def test_baseline_names_are_escaped(tmp_path: Path) -> None:
    evil = "<img src=x onerror=alert(1)>"  # the file's stem names its session
    trace = write_trace(tmp_path / f"{evil}.jsonl", [
        event("session_start", 1.0, goal="g"), event("llm_response", 2.0, 1, tokens=5, cost=0.1)])
    found = analyses(CLEAN)
    html = attoreport.render_html(found, comparison=attoreport.compare_with_baseline(found, trace))
    assert "<img src=x" not in html
    assert "Baseline: session <code>&lt;img src=x onerror=alert(1)&gt;</code>" in html


# --- wording units ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "base", "now", "text", "verdict"), [
    ("cost", 1.0, 1.1, "+$0.1000 (+10.0 %)", "worse"),
    ("cost", 2.0, 1.0, "-$1.00 (-50.0 %)", "better"),
    ("errors", 0, 3, "+3 (from 0)", "worse"),
    ("duration_seconds", 10.0, 70.0, "+1 min 0 s (+600.0 %)", "worse"),
    ("efficiency_score", 80.0, 77.5, "-2.5 points", "worse"),
    ("cache_hit_rate", 0.5, 0.75, "+25.0 points", "better"),
    ("tool_calls", 4, 4, "no change", "no change"),
])
def test_change_words(name: str, base: float, now: float, text: str, verdict: str) -> None:
    moved = delta(name, base, now)
    assert change_text(METRIC_LOOKS[name].unit, moved) == text
    row = figure_row(moved)
    assert row.verdict == verdict and row.change == text
    assert row.arrow == (UP if now > base else DOWN if now < base else "=")


def test_the_view_bounds_long_lists() -> None:
    found = analyses(DOOM)
    comparison = attoreport.compare_with_baseline(found, CLEAN)
    limits = attoreport.Limits(issue_groups=1)
    view = comparison_view(comparison.sessions[0], limits)
    assert len(view.new.lines) == 1 and view.new.hidden == 2 and view.new.total == 3


# --- JSON -----------------------------------------------------------------------------------


def test_the_json_holds_a_comparison_per_session(doom_against_clean: tuple[str, str]) -> None:
    document = json.loads(doom_against_clean[1])
    assert list(document) == ["tool", "baseline", "sessions", "sessions_left_out", "swarms",
                              "redaction"]
    assert document["baseline"]["removed"] == [] and document["baseline"]["min_llm_calls"] == 3
    assert document["baseline"]["thresholds"]["cost"] == {"metric": "cost", "unit": "percent",
                                                          "limit": 10.0}
    [entry] = document["sessions"]
    compared = entry["comparison"]
    assert set(compared) == {"baseline", "too_little_data", "deltas", "regressions", "issues"}
    assert compared["baseline"] == {"session_id": "collector-clean-feature", "source": str(CLEAN)}
    assert set(compared["issues"]) == {"new", "fixed", "unchanged"}
    assert [i["category"] for i in compared["issues"]["new"]] == ["doom_loop", "tool_error_rate",
                                                                  "long_tool"]
    assert {r["threshold"] for r in compared["regressions"]} == {
        "cost", "tokens", "duration", "iterations", "score"}


def test_json_deltas_equal_both_sides_own_summaries(doom_against_clean: tuple[str, str]) -> None:
    deltas = json.loads(doom_against_clean[1])["sessions"][0]["comparison"]["deltas"]
    current, base = own_json(DOOM), own_json(CLEAN)
    for metric, key in [("cost", "total_cost"), ("total_tokens", "total_tokens"),
                        ("duration_seconds", "duration_seconds"), ("iterations", "iterations"),
                        ("llm_calls", "llm_calls"), ("tool_calls", "tool_calls"),
                        ("errors", "errors"), ("efficiency_score", "efficiency_score"),
                        ("cache_hit_rate", "cache_hit_rate")]:
        moved = deltas[metric]
        assert moved["baseline"] == base["summary"][key], metric
        assert moved["current"] == current["summary"][key], metric
        assert moved["absolute"] == pytest.approx(
            current["summary"][key] - base["summary"][key], abs=1e-9), metric


def test_a_json_baseline_gives_the_same_comparison(tmp_path: Path) -> None:
    saved = tmp_path / "main.json"
    saved.write_text(attoreport.render_json(analyses(CLEAN)))
    found = analyses(DOOM)
    from_json = json.loads(attoreport.render_json(
        found, comparison=attoreport.compare_with_baseline(found, saved)))
    from_trace = json.loads(attoreport.render_json(
        found, comparison=attoreport.compare_with_baseline(found, CLEAN)))
    assert from_json["sessions"][0]["comparison"] == from_trace["sessions"][0]["comparison"]


def test_no_comparison_keys_without_a_baseline() -> None:
    document = json.loads(attoreport.render_json(analyses(DOOM)))
    assert "baseline" not in document and "comparison" not in document["sessions"][0]
