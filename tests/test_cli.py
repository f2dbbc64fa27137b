"""The command line, through click's CliRunner: outputs, exit codes, messages."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import attoreport
from attoreport.cli import EXIT_CODES, main
from attoreport.progress import Progress
from tests.conftest import FIXTURES, SAMPLES

CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
GARBAGE = FIXTURES / "damaged" / "damaged-garbage-lines.jsonl"


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_json_to_stdout_has_the_documented_shape() -> None:
    result = run(str(CLEAN), "--json", "-")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["tool"] == {"name": "attoreport", "version": attoreport.__version__}
    [session] = doc["sessions"]
    assert list(session) == ["session_id", "source", "open", "summary", "efficiency",
                             "token_flow", "tokens", "cache_boundary", "issues",
                             "event_counts", "diagnostics", "outcome", "spend"]
    assert list(doc) == ["tool", "sessions", "sessions_left_out", "swarms", "redaction"]
    assert doc["redaction"] == {"enabled": True, "total": 0, "by_kind": {}}
    assert session["outcome"]["state"] == "completed"
    assert session["outcome"]["counts"]["tool_calls"] == session["summary"]["tool_calls"]
    assert session["spend"]["model_cost"] == session["summary"]["total_cost"]
    assert session["source"] == str(CLEAN) and session["open"] is False
    assert [c["name"] for c in session["efficiency"]["components"]] == [
        "cache_hit_rate", "error_rate", "compaction_frequency", "tool_success_rate",
        "token_efficiency"]
    assert {c["weight"] for c in session["efficiency"]["components"]} == {30, 25, 15, 20, 10}
    points = sum(c["points"] for c in session["efficiency"]["components"])
    assert round(points, 1) == session["efficiency"]["score"] == session["summary"]["efficiency_score"]
    assert set(session["tokens"]) == {"total_cost", "cache_efficiency", "breakdown",
                                      "cost_by_iteration"}
    assert set(session["cache_boundary"]) == {"hit_rate", "boundary_position", "stats"}
    assert set(session["token_flow"][0]) == {"iteration", "input_tokens", "output_tokens",
                                             "cache_read_tokens", "cache_write_tokens",
                                             "total_tokens", "cumulative_cost"}


def test_damaged_trace_exits_0_with_diagnostics() -> None:
    result = run(str(GARBAGE), "--json", "-")
    assert result.exit_code == 0
    [session] = json.loads(result.stdout)["sessions"]
    assert [d["line"] for d in session["diagnostics"]] == [15, 38, 57]
    assert all(d["file"] == str(GARBAGE) for d in session["diagnostics"])
    assert f"{GARBAGE}:15: binary junk" in result.stderr


def test_strict_fails_on_damage_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run(str(GARBAGE), "--json", str(out), "--strict")
    assert result.exit_code == 2
    assert "--strict: 3 lines damaged or repaired" in result.stderr
    assert f"{GARBAGE}:15" in result.stderr
    assert not out.exists()
    assert run(str(CLEAN), "--json", str(out), "--strict").exit_code == 0


@pytest.mark.parametrize("name", ["damaged-blank-lines", "damaged-non-object-line",
                                  "damaged-tokens-as-string", "damaged-truncated-last-line",
                                  "damaged-unknown-kind"])
def test_every_damaged_fixture_fails_strict(name: str) -> None:
    trace = str(FIXTURES / "damaged" / f"{name}.jsonl")
    assert run(trace, "--json", "-").exit_code == 0
    assert run(trace, "--json", "-", "--strict").exit_code == 2


def test_missing_file_exits_2_naming_it() -> None:
    result = run("missing.jsonl", "--json", "-")
    assert result.exit_code == 2
    assert result.stderr.strip() == "attoreport: missing.jsonl: no such file or directory"


def test_trace_without_events_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run(str(empty), "--json", "-")
    assert result.exit_code == 2 and "empty.jsonl: no trace events found" in result.stderr


def test_stdin_dash() -> None:
    result = run("-", "--json", "-", stdin=CLEAN.read_bytes())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sessions"][0]["source"] == "-"


def test_default_output_is_report_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(str(CLEAN))
    assert result.exit_code == 0
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")
    assert "attoreport: 1 session -> report.html" in result.stderr


def test_no_argument_uses_the_newest_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".traces").mkdir()
    shutil.copy(CLEAN, tmp_path / ".traces" / "mine.jsonl")
    monkeypatch.chdir(tmp_path)
    result = run("--json", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sessions"][0]["session_id"] == "mine"


def test_no_argument_and_nothing_found_exits_2(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--json", "-")
    assert result.exit_code == 2 and "none found in ./.attocode/traces/" in result.stderr


def test_all_outputs_at_once(tmp_path: Path) -> None:
    html, js, md = tmp_path / "r.html", tmp_path / "r.json", tmp_path / "r.md"
    result = run(*map(str, sorted(SAMPLES.glob("*.jsonl"))), "-o", str(html), "--json", str(js),
                 "--markdown", str(md), "--title", "My <PR>")
    assert result.exit_code == 0, result.output
    assert "<title>My &lt;PR&gt;</title>" in html.read_text()
    assert len(json.loads(js.read_text())["sessions"]) == 4
    text = md.read_text()
    assert text.startswith("<!-- attoreport -->\n## Agent session report")
    assert "| collector-clean-feature |" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md"]


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.html"
    out.write_text("previous report")

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(attoreport, "render_html", broken)
    result = run(str(CLEAN), "-o", str(out))
    assert result.exit_code == 3 and "internal error" in result.stderr
    assert out.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_output_into_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = run(str(CLEAN), "-o", str(tmp_path / "no" / "such" / "r.html"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    result = run(str(GARBAGE), "-q", "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 0 and result.stderr == ""


def test_version_and_help() -> None:
    assert attoreport.__version__ in run("--version").output
    help_text = run("--help").output
    for param in main.params:
        for flag in param.opts:
            if flag.startswith("-"):
                assert flag in help_text, flag
    for code, meaning in EXIT_CODES.items():
        assert f"{code:<4} {meaning}" in " ".join(help_text.split("\n")), code


def test_help_has_examples_for_ci() -> None:
    examples = run("-h").output.split("Examples:", 1)[1].split("Exit codes:", 1)[0]
    lines = [line.strip() for line in examples.strip().splitlines()]
    assert 3 <= len(lines) <= 4 and all(line.startswith("attoreport ") for line in lines)
    assert any("--fail-on " in line for line in lines)
    assert any("--baseline" in line and "--fail-on-regression" in line for line in lines)


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "attoreport", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "attoreport" in result.stdout


@pytest.mark.parametrize(("args", "code"), [([], 0), (["--fail-under", "100"], 1),
                                           (["--fail-under", "-1"], 2), (["--strict"], 0)])
def test_the_process_exits_with_the_runs_code_and_every_byte_written(args: list[str],
                                                                     code: int) -> None:
    """`python -m attoreport` (like the installed command) leaves at once when the run is
    done, skipping the interpreter's teardown: its exit code is still the run's, and the JSON
    it wrote to standard output (larger than a pipe's buffer) arrives whole."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "attoreport", str(FIXTURES / "collector"),
                             "--json", "-", "-q", *args], capture_output=True, check=False)
    assert result.returncode == code, result.stderr
    if code != 2:
        assert len(result.stdout) > 60_000
        assert len(json.loads(result.stdout)["sessions"]) == 8


@pytest.mark.parametrize(("args", "message"), [
    (["--json", "-", "--markdown", "-"], "only one output can go to standard output"),
    (["-o", "same.html", "--json", "same.html"], "given for two outputs"),
    (["-o", ""], "an output path is empty"),
])
def test_clashing_outputs_are_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(str(CLEAN), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_input_trace_is_never_overwritten(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    shutil.copy(CLEAN, trace)
    result = run(str(trace), "--json", str(trace))
    assert result.exit_code == 2 and "is one of the input traces" in result.stderr
    assert trace.read_bytes() == CLEAN.read_bytes()


def test_outputs_are_all_written_or_none(tmp_path: Path) -> None:
    result = run(str(CLEAN), "--json", str(tmp_path / "a.json"), "-o",
                 str(tmp_path / "missing" / "r.html"))
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == []


def test_written_files_follow_the_umask_and_keep_their_mode(tmp_path: Path) -> None:
    import os

    old = os.umask(0o077)
    try:
        assert run(str(CLEAN), "--json", str(tmp_path / "new.json")).exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o600
    existing = tmp_path / "existing.json"
    existing.write_text("{}")
    existing.chmod(0o640)
    assert run(str(CLEAN), "--json", str(existing)).exit_code == 0
    assert existing.stat().st_mode & 0o777 == 0o640


def test_summary_line_counts_skipped_and_repaired(tmp_path: Path) -> None:
    trace = FIXTURES / "damaged" / "damaged-tokens-as-string.jsonl"
    result = run(str(trace), "--json", str(tmp_path / "r.json"))
    assert "attoreport: 1 session; 22 lines repaired -> " in result.stderr
    assert "…and 16 more events with numbers that are not plain (lines 30–91)" in result.stderr


def test_trace_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    trace = tmp_path / "gnp.\u202etxt.jsonl"  # reads as "gnp.lsonj.txt" if honoured
    trace.write_bytes(CLEAN.read_bytes() + b"\x1b[2J\x1b]0;owned\x07 rm -rf / \xe2\x80\xae1x\n")
    result = run(str(trace), "--json", str(tmp_path / "o.json"))
    assert result.exit_code == 0
    assert "not JSON" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\u202e" not in result.stderr and "<U+202E>" in result.stderr
    assert "\\x1b[2J" in result.stderr


# --- exit codes -------------------------------------------------------------------------------

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"  # score 62.9, 2 high
SWARM = FIXTURES / "collector" / "collector-swarm-run.jsonl"  # one LLM call


def test_an_interrupted_run_exits_130_and_writes_nothing(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("attoreport.run.collect", interrupted)
    result = run(str(CLEAN), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 130 and result.stderr == "attoreport: interrupted; nothing written\n"
    assert list(tmp_path.iterdir()) == []


def test_an_internal_error_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("bug \x1b[2J")

    monkeypatch.setattr(attoreport, "analyse", broken)
    result = run(str(CLEAN), "--json", "-")
    assert result.exit_code == 3
    assert "internal error: ValueError: bug \\x1b[2J" in result.stderr and "\x1b" not in result.stderr


# --- gates ------------------------------------------------------------------------------------


def outputs(tmp_path: Path) -> list[str]:
    html, js, md = tmp_path / "r.html", tmp_path / "r.json", tmp_path / "r.md"
    return ["-o", str(html), "--json", str(js), "--markdown", str(md)]


def assert_written(tmp_path: Path) -> None:
    """Every output is there, whole: the gates decide after writing."""
    assert (tmp_path / "r.html").read_text().rstrip().endswith("</html>")
    assert json.loads((tmp_path / "r.json").read_text())["sessions"]
    assert (tmp_path / "r.md").read_text().startswith("<!-- attoreport -->")


@pytest.mark.parametrize(("severity", "code"), [("critical", 0), ("high", 1), ("HIGH", 1),
                                                ("medium", 1), ("low", 1)])
def test_fail_on_severity(tmp_path: Path, severity: str, code: int) -> None:
    result = run(str(DOOM), *outputs(tmp_path), "--fail-on", severity)
    assert result.exit_code == code, result.output
    assert_written(tmp_path)
    failures = [line for line in result.stderr.splitlines() if "gate failed" in line]
    assert len(failures) == code
    if code:
        expected = ("2 issues at or above high" if severity.lower() == "high"
                    else "3 issues at or above")
        assert expected in failures[0]
        assert failures[0].startswith("attoreport: gate failed: session "
                                      "collector-doom-loop-tool-errors: ")


def test_fail_on_a_clean_session_passes(tmp_path: Path) -> None:
    assert run(str(CLEAN), *outputs(tmp_path), "--fail-on", "low").exit_code == 0


@pytest.mark.parametrize(("score", "code"), [("62.8", 0), ("62.9", 0), ("63", 1), ("100", 1),
                                             ("0", 0)])
def test_fail_under_score(tmp_path: Path, score: str, code: int) -> None:
    result = run(str(DOOM), *outputs(tmp_path), "--fail-under", score)
    assert result.exit_code == code
    assert_written(tmp_path)
    if code:
        assert f"efficiency score 62.9 is below {float(score):g}" in result.stderr


def test_each_failure_is_one_line(tmp_path: Path) -> None:
    result = run(str(DOOM), str(CLEAN), *outputs(tmp_path), "--fail-on", "medium",
                 "--fail-under", "90")
    assert result.exit_code == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("attoreport: gate")]
    assert len(failures) == 3  # doom: issues and score; clean: score 88.6
    assert len(result.stderr.splitlines()) == 4  # and the "written" line


def test_gate_failures_are_printed_even_when_quiet(tmp_path: Path) -> None:
    result = run(str(DOOM), *outputs(tmp_path), "--fail-under", "70", "-q")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--fail-on", "severe"], "'severe' is not one of"),
    (["--fail-under", "abc"], "'abc' is not a valid float"),
    (["--fail-under", "101"], "101 is not a score from 0 to 100"),
    (["--fail-under", "nan"], "nan is not a score from 0 to 100"),
    (["--threshold", "cost"], "expected NAME=VALUE"),
    (["--threshold", "speed=10"], "unknown name 'speed'"),
    (["--threshold", "score=+5"], "score takes a drop in points"),
    (["--fail-on-regression"], "--fail-on-regression needs --baseline PATH"),
    (["--annotations", "gitlab"], "'gitlab' is not"),
    (["--annotations", "github", "--json", "-"], "--annotations prints to standard output"),
    (["--annotations", "github", "--export-trace", "-"], "--annotations prints to standard"),
    (["--json", "r.json", "--open"], "--open needs the HTML report written to a file"),
    (["-o", "-", "--open"], "--open needs the HTML report written to a file"),
])
def test_bad_options_exit_2_before_reading_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)

    def never(*a: object, **k: object) -> None:
        raise AssertionError("the traces were read")

    monkeypatch.setattr("attoreport.cli.write_reports", never)
    result = run(str(DOOM), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- the baseline -----------------------------------------------------------------------------


def test_baseline_adds_the_comparison_to_every_output(tmp_path: Path) -> None:
    result = run(str(DOOM), *outputs(tmp_path), "--baseline", str(CLEAN))
    assert result.exit_code == 0, result.output  # no gate asked for
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["baseline"]["removed"] == []
    compared = document["sessions"][0]["comparison"]
    assert compared["baseline"]["session_id"] == "collector-clean-feature"
    assert 'data-view="comparison"' in (tmp_path / "r.html").read_text()
    assert "| Figure | This run | Baseline | Change |" in (tmp_path / "r.md").read_text()


def test_a_saved_json_is_a_baseline(tmp_path: Path) -> None:
    saved = tmp_path / "main.json"
    assert run(str(CLEAN), "--json", str(saved)).exit_code == 0
    result = run(str(DOOM), "--json", "-", "--baseline", str(saved))
    compared = json.loads(result.stdout)["sessions"][0]["comparison"]
    assert compared["deltas"]["cost"]["baseline"] == json.loads(saved.read_text())[
        "sessions"][0]["summary"]["total_cost"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "missing.json", "no such file or directory"),
    (lambda d: (d / "x.json").write_text('{"a": 1}') and d / "x.json",
     "is not a JSON document written by attoreport"),
])
def test_an_unusable_baseline_exits_2_and_writes_nothing(tmp_path: Path, make, message: str) -> None:
    baseline = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = run(str(DOOM), "-o", str(out / "r.html"), "--baseline", str(baseline),
                 "--fail-on-regression")
    assert result.exit_code == 2 and message in result.stderr
    assert list(out.iterdir()) == []


def test_fail_on_regression(tmp_path: Path) -> None:
    result = run(str(DOOM), *outputs(tmp_path), "--baseline", str(CLEAN), "--fail-on-regression")
    assert result.exit_code == 1
    assert_written(tmp_path)
    assert "cost rose by 24.3 % (the limit is a rise of 10 %)" in result.stderr
    assert "2 new issues at or above high" in result.stderr


def test_no_regression_against_the_same_session(tmp_path: Path) -> None:
    result = run(str(DOOM), *outputs(tmp_path), "--baseline", str(DOOM), "--fail-on-regression")
    assert result.exit_code == 0, result.stderr


def test_thresholds_change_what_regresses(tmp_path: Path) -> None:
    loose = ["--threshold", "cost=off", "--threshold", "tokens=50", "--threshold", "duration=off",
             "--threshold", "iterations=25%", "--threshold", "score=30pt"]
    result = run(str(DOOM), "--json", str(tmp_path / "r.json"), "--baseline", str(CLEAN),
                 "--fail-on-regression", "--fail-on", "critical", *loose)
    assert result.exit_code == 0, result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["baseline"]["thresholds"]["cost"]["limit"] is None
    assert document["sessions"][0]["comparison"]["regressions"] == []
    tight = run(str(DOOM), "--json", str(tmp_path / "r.json"), "--baseline", str(CLEAN),
                "--fail-on-regression", "--fail-on", "critical", *loose, "--threshold", "cost=5")
    assert tight.exit_code == 1 and "cost rose by 24.3 %" in tight.stderr


def test_fail_on_sets_the_severity_of_new_issues(tmp_path: Path) -> None:
    quiet_thresholds = [f"--threshold={name}=off" for name in
                        ("cost", "tokens", "duration", "iterations", "cache_hit_rate", "score")]
    args = [str(DOOM), "--json", str(tmp_path / "r.json"), "--baseline", str(CLEAN),
            "--fail-on-regression", *quiet_thresholds]
    assert run(*args, "--fail-on", "critical").exit_code == 0
    result = run(*args, "--fail-on", "medium")
    assert result.exit_code == 1 and "3 new issues at or above medium" in result.stderr


def test_too_little_data_does_not_fail_on_thresholds(tmp_path: Path) -> None:
    result = run(str(SWARM), "--json", str(tmp_path / "r.json"), "--baseline", str(CLEAN),
                 "--fail-on-regression", "--fail-on", "critical")
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["sessions"][0]["comparison"]["too_little_data"] is True
    assert document["sessions"][0]["comparison"]["regressions"]  # listed...
    assert result.exit_code == 0, result.stderr  # ...but not failing


# --- annotations, export, open, step summary --------------------------------------------------


def test_annotations_go_to_standard_output(tmp_path: Path) -> None:
    result = run(str(DOOM), "-o", str(tmp_path / "r.html"), "--annotations", "github")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::error", "::warning"]
    assert lines[0].startswith("::error title=Repeated tool call%3A bash (high)::Session ")


def test_annotations_mark_new_issues_against_a_baseline(tmp_path: Path) -> None:
    result = run(str(DOOM), "-o", str(tmp_path / "r.html"), "--annotations", "github",
                 "--baseline", str(CLEAN))
    assert "(high%2C new)" in result.stdout.splitlines()[0]  # "," escaped in a property


def test_export_trace_writes_the_chrome_trace_format(tmp_path: Path) -> None:
    target = tmp_path / "t.json"
    result = run(str(DOOM), "--export-trace", str(target))
    assert result.exit_code == 0, result.output
    document = json.loads(target.read_text())
    phases = {e["ph"] for e in document["traceEvents"]}
    assert phases == {"X", "i", "C", "M"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]  # only what was asked for
    assert f"-> {target}" in result.stderr


def test_export_trace_to_standard_output() -> None:
    result = run(str(DOOM), "--export-trace", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["displayTimeUnit"] == "ms"


def test_export_trace_is_an_output_like_the_others(tmp_path: Path) -> None:
    result = run(str(DOOM), "-o", str(tmp_path / "r.html"), "--export-trace",
                 str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "given for two outputs" in result.stderr
    trace = tmp_path / "t.jsonl"
    shutil.copy(DOOM, trace)
    assert run(str(trace), "--export-trace", str(trace)).exit_code == 2
    assert trace.read_bytes() == DOOM.read_bytes()


def test_open_shows_the_written_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    out = tmp_path / "r.html"
    result = run(str(CLEAN), "-o", str(out), "--open", "--fail-under", "99")
    assert result.exit_code == 1  # opened before the gate decided
    assert opened == [out.resolve().as_uri()]


def test_open_without_a_browser_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    result = run(str(CLEAN), "-o", str(tmp_path / "r.html"), "--open")
    assert result.exit_code == 0 and "no browser to open" in result.stderr


def test_markdown_to_the_step_summary_is_appended(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## From an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for _ in range(2):
        result = run(str(CLEAN), "--markdown", str(summary))
        assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert text.startswith("## From an earlier step\n<!-- attoreport -->\n")
    assert text.count("<!-- attoreport -->") == 2


def test_other_markdown_files_are_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    target = tmp_path / "comment.md"
    target.write_text("old\n")
    assert run(str(CLEAN), "--markdown", str(target)).exit_code == 0
    assert target.read_text().startswith("<!-- attoreport -->")


def test_the_markdown_points_to_the_html_report(tmp_path: Path) -> None:
    run(str(CLEAN), "-o", str(tmp_path / "agent-report.html"), "--markdown", str(tmp_path / "c.md"))
    assert "**Full report:** agent-report.html" in (tmp_path / "c.md").read_text()


# --- progress ---------------------------------------------------------------------------------


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("attoreport.progress.DELAY", 0.0)
    result = run(str(CLEAN), "--json", str(tmp_path / "r.json"))
    assert "…" not in result.stderr and "\r" not in result.stderr


def test_progress_on_a_terminal_and_silenced_by_quiet(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("attoreport.progress._is_terminal", lambda stream: True)
    monkeypatch.setattr(Progress, "__init__", _eager_progress(Progress.__init__))
    result = run(str(CLEAN), str(DOOM), "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 0
    for stage in ("reading the traces", "analysing session 1", "analysing session 2",
                  "writing the JSON"):  # each session analysed as soon as it is read
        assert f"\r\x1b[Kattoreport: {stage}… " in result.stderr, stage
    assert result.stderr.endswith("\r\x1b[Kattoreport: 2 sessions -> " + str(tmp_path / "r.json")
                                  + "\n")  # the line is erased before other output
    quiet = run(str(CLEAN), "--json", str(tmp_path / "r.json"), "-q")
    assert quiet.stderr == ""


def _eager_progress(init):  # type: ignore[no-untyped-def]
    """Progress that draws at once (no delay) and never from a thread."""
    def wrapped(self, stream, *, enabled, delay=0.0, interval=3600.0, clock=None):  # type: ignore[no-untyped-def]
        init(self, stream, enabled=enabled, delay=0.0, interval=3600.0)
    return wrapped


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_waits_a_second_before_it_shows() -> None:
    clock, stream = FakeClock(), FakeTerminal()
    progress = Progress(stream, enabled=True, delay=1.0, clock=clock)
    progress.stage("reading the traces")
    assert stream.getvalue() == ""  # quick runs show nothing
    clock.now += 1.5
    progress.tick()
    assert stream.getvalue() == "\r\x1b[Kattoreport: reading the traces… 2 s"
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    before = stream.getvalue()
    progress.tick()
    assert stream.getvalue() == before  # hidden until the next stage
    progress.stage("writing the HTML report")
    assert stream.getvalue().endswith("attoreport: writing the HTML report… 2 s")


def test_progress_is_only_for_terminals() -> None:
    assert not Progress.for_stream(io.StringIO(), quiet=False).enabled
    assert Progress.for_stream(FakeTerminal(), quiet=False).enabled
    assert not Progress.for_stream(FakeTerminal(), quiet=True).enabled
    disabled = Progress(FakeTerminal(), enabled=False, delay=0.0)
    with disabled:
        disabled.stage("x")
    assert disabled._stream.getvalue() == ""  # type: ignore[attr-defined]


# --- the GitHub Action's run step with this CLI ------------------------------------------------


REAL_ATTOREPORT = """
    import os, sys
    sys.path.insert(0, os.environ["ATTOREPORT_SOURCE"])
    from attoreport.cli import main
    main(prog_name="attoreport")
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_action_runs_this_cli_with_every_input(tmp_path: Path) -> None:
    """action.yml's run step, as GitHub runs it, with the real command line behind it."""
    from tests.test_action import ROOT, SAMPLE, Runner, action_context, step

    runner = Runner(tmp_path)
    runner.fake("attoreport", REAL_ATTOREPORT)
    baseline = runner.workspace / "main.json"
    assert run(str(SAMPLES / "collector-clean-feature.jsonl"), "--json", str(baseline)).exit_code == 0
    result, outputs = runner.run(step("run"), action_context(
        traces=str(SAMPLE), **{"fail-on": "high", "fail-under": "50", "baseline": str(baseline),
                               "threshold": "cost=5\nscore=off\n", "fail-on-regression": "true"}),
        {"ATTOREPORT_SOURCE": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert outputs["exit-code"] == "1" and outputs["report-written"] == "true"
    assert outputs["score"] == "62.9"
    assert "gate failed" in result.stderr and "cost rose by 24.3 %" in result.stderr
    assert "score fell" not in result.stderr  # score=off
    assert result.stdout.startswith("::error title=Repeated tool call%3A bash (high%2C new)::")
    html = (runner.workspace / "attoreport-report.html").read_text()
    assert 'data-view="comparison"' in html
    summary = runner.summary.read_text()
    assert summary.startswith("## From an earlier step\n<!-- attoreport -->\n")
    assert "**Full report:** attoreport-report.html" in summary
    document = json.loads(Path(outputs["json-path"]).read_text())
    assert document["sessions"][0]["comparison"]["baseline"]["session_id"] == "collector-clean-feature"


@pytest.mark.parametrize(("current", "baseline"), [
    ("collector/collector-doom-loop-tool-errors", "collector/collector-clean-feature"),
    ("agent/agent-tool-errors", "agent/agent-normal-task"),
    ("collector/collector-context-pressure", "collector/collector-spinning-research"),
])
def test_comparison_figures_equal_both_sides_own_json(tmp_path: Path, current: str,
                                                      baseline: str) -> None:
    """As a user checks it: each side's own --json summary, then the comparison."""
    now, then = (FIXTURES / f"{name}.jsonl" for name in (current, baseline))
    own = {}
    for name, trace in (("now", now), ("then", then)):
        assert run(str(trace), "--json", str(tmp_path / f"{name}.json")).exit_code == 0
        own[name] = json.loads((tmp_path / f"{name}.json").read_text())["sessions"][0]
    result = run(str(now), "--json", "-", "--baseline", str(then))
    compared = json.loads(result.stdout)["sessions"][0]["comparison"]
    keys = {"cost": "total_cost", "total_tokens": "total_tokens", "iterations": "iterations",
            "duration_seconds": "duration_seconds", "llm_calls": "llm_calls",
            "tool_calls": "tool_calls", "errors": "errors", "cache_hit_rate": "cache_hit_rate",
            "efficiency_score": "efficiency_score"}
    for metric, key in keys.items():
        moved = compared["deltas"][metric]
        assert moved["baseline"] == own["then"]["summary"][key], metric
        assert moved["current"] == own["now"]["summary"][key], metric
        assert moved["absolute"] == pytest.approx(
            own["now"]["summary"][key] - own["then"]["summary"][key], abs=1e-9)
    for now_part, then_part in zip(own["now"]["efficiency"]["components"],
                                   own["then"]["efficiency"]["components"], strict=True):
        moved = compared["deltas"][f"points_{now_part['name']}"]
        assert (moved["baseline"], moved["current"]) == (then_part["points"], now_part["points"])
    for side in ("input", "output"):
        moved = compared["deltas"][f"{side}_tokens"]
        assert moved["current"] == own["now"]["tokens"]["breakdown"][side]
        assert moved["baseline"] == own["then"]["tokens"]["breakdown"][side]


def test_a_folder_read_by_several_processes_ends_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    # Forked workers inherit the CLI's SIGTERM handler; the pool stops them with SIGTERM.
    result = subprocess.run([sys.executable, "-m", "attoreport", str(FIXTURES / "collector"),
                             "-o", str(tmp_path / "r.html")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Terminated" not in result.stderr


def test_a_swarm_project_folder_gives_one_swarm_report(tmp_path: Path) -> None:
    project = FIXTURES / "swarm" / "swarm-clean"
    result = run(str(project), "--json", "-", "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    [swarm] = doc["swarms"]
    assert swarm["run_id"] == "45d09977" and swarm["phase"] == "completed"
    [session] = doc["sessions"]  # the TraceCollector trace beside the run
    assert session["outcome"]["state"] == "completed"
    assert "damaged" not in result.stderr and "repaired" not in result.stderr
    assert "1 session, 1 swarm run" in result.stderr
    html = (tmp_path / "r.html").read_text()
    assert html.index('data-view="swarm"') < html.index('data-view="summary"')


def _swarm_copy(tmp_path: Path, name: str = "swarm-failures") -> Path:
    project = tmp_path / name
    shutil.copytree(FIXTURES / "swarm" / name, project)
    return project


def test_no_output_inside_a_run_folder_being_read(tmp_path: Path) -> None:
    project = _swarm_copy(tmp_path, "swarm-clean")
    trace = next((project / ".agent" / "hybrid-swarm" / "traces").glob("trace-*.jsonl"))
    before = trace.read_bytes()
    result = run(str(project), "--json", str(trace))
    assert result.exit_code == 2 and "inside the attoswarm run folder" in result.stderr
    assert trace.read_bytes() == before


def test_a_project_folder_with_other_jsonl_files_still_gives_its_run(tmp_path: Path) -> None:
    project = _swarm_copy(tmp_path)
    (project / "_meta").mkdir()
    (project / "_meta" / "calls.jsonl").write_text('{"call": 1}\n')
    result = run(str(project), "--json", "-")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["swarms"]) == 1
    assert "calls.jsonl" in result.stderr  # noted, not fatal


def test_gates_and_annotations_see_swarm_runs(tmp_path: Path) -> None:
    project = _swarm_copy(tmp_path)
    result = run(str(project), "-o", str(tmp_path / "r.html"), "--fail-on", "high",
                 "--annotations", "github")
    assert result.exit_code == 1
    assert "gate failed: swarm run aa11c72f:" in result.stderr
    assert "::error title=Task task-6 failed after all its attempts" in result.stdout


def test_a_coordinator_trace_counts_what_its_tasks_spent(tmp_path: Path) -> None:
    result = run(str(_swarm_copy(tmp_path)), "--json", "-")
    [session] = json.loads(result.stdout)["sessions"]
    assert session["spend"]["swarm_task_cost"] > 0  # tokens_used / cost_usd, attoswarm's names
    assert session["summary"]["total_cost"] == 0  # Attocode's own total is unchanged
    assert session["outcome"]["state"] == "completed"
    assert session["outcome"]["counts"]["errors"] == 0


def test_a_run_folder_as_baseline_is_read_as_a_run(tmp_path: Path) -> None:
    project = _swarm_copy(tmp_path, "swarm-clean")
    result = run(str(project), "--baseline", str(project), "--json", "-")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["baseline"]["removed"] == []
    [session] = doc["sessions"]
    assert session["comparison"]["baseline"]["session_id"] == session["session_id"]


@pytest.mark.parametrize(("args", "static"), [
    ((str(CLEAN),), False),  # auto: one session, Plotly
    ((str(FIXTURES / "collector"),), True),  # auto: more sessions than Plotly draws
    ((str(CLEAN), "--charts", "static"), True),
    ((str(FIXTURES / "collector"), "--charts", "interactive"), False),
    ((str(FIXTURES / "swarm" / "swarm-failures"), "--charts", "static"), True),  # its timeline too
])
def test_charts_are_drawn_as_asked(tmp_path: Path, args: tuple[str, ...], static: bool) -> None:
    out = tmp_path / "report.html"
    result = run(*args, "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert ("data-static-chart" in html) is static
    assert ("data-chart=" in html) is not static
    assert ('id="plotly-gz"' in html) is not static  # a static report carries no plotly.js
    assert ("--charts interactive</code> makes them zoomable" in html) is static  # says so


def test_an_unknown_chart_mode_is_a_usage_error() -> None:
    result = run(str(CLEAN), "--charts", "pretty")
    assert result.exit_code == 2 and "'pretty' is not one of" in result.output
