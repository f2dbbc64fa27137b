"""The command line, through click's CliRunner: outputs, exit codes, messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import attoreport
from attoreport.cli import main
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
                             "event_counts", "diagnostics"]
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
    assert text.startswith("## Agent session report") and "| collector-clean-feature |" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md"]


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.html"
    out.write_text("previous report")

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(attoreport, "render_html", broken)
    result = run(str(CLEAN), "-o", str(out))
    assert result.exit_code == 1 and "internal error" in result.stderr
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
    for option in ("--output", "--json", "--markdown", "--strict", "--title", "--quiet"):
        assert option in help_text


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "attoreport", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "attoreport" in result.stdout


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


def test_a_folder_read_by_several_processes_ends_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    # Forked workers inherit the CLI's SIGTERM handler; the pool stops them with SIGTERM.
    result = subprocess.run([sys.executable, "-m", "attoreport", str(FIXTURES / "collector"),
                             "-o", str(tmp_path / "r.html")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Terminated" not in result.stderr
