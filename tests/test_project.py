"""The project's own standards: docs cover the CLI, lint and types are clean, CI runs the tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

import attoreport
from attoreport.analysis.compare import (
    METRICS,
    SessionFigures,
    baseline_document,
    compare,
    comparison_document,
)
from attoreport.cli import EXIT_CODES, main
from attoreport.report.efficiency import PARTS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_quick_start_is_two_commands() -> None:
    install_and_run, test = quick_start_commands()
    steps = [step.strip() for step in install_and_run.split("&&")]
    assert steps[0].startswith("python3 -m venv ")  # works on Debian's externally managed Python
    assert "pip install ." in steps
    run = next(step for step in steps if step.startswith("attoreport "))
    assert (ROOT / run.split()[1]).is_file()
    assert "-c tests/constraints.txt" in test and "python -m pytest" in test


def test_test_toolchain_is_pinned() -> None:
    pins = dict(line.split("==") for line in (ROOT / "tests" / "constraints.txt").read_text()
                .splitlines() if line and not line.startswith("#"))
    for tool in ("pytest", "hypothesis", "playwright", "axe-playwright-python", "ruff", "mypy",
                 "click", "plotly", "orjson", "Jinja2", "markdown-it-py"):
        assert tool in pins, tool


def test_ci_runs_the_readme_test_command() -> None:
    _, test = quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines()


def table_rows(heading_row: str) -> list[list[str]]:
    """The rows of the README table whose header is `heading_row`, as lists of cells."""
    table = README.split(heading_row, 1)[1].split("\n\n", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split(" | ")]
            for line in table.strip().splitlines()[1:]]


@pytest.mark.parametrize("param", [p for p in main.params if isinstance(p, click.Option)],
                         ids=lambda p: p.name)
def test_every_option_is_documented(param: click.Option) -> None:
    """Each flag starts a row of the README's option table."""
    documented = [row[0] for row in table_rows("| option | meaning |")]
    for flag in param.opts:
        assert any(re.search(rf"`{re.escape(flag)}[` ]", cell) for cell in documented), flag


def test_the_option_table_has_no_stale_options() -> None:
    flags = {flag for p in main.params for flag in p.opts if flag.startswith("-")}
    flags |= set(main.context_settings["help_option_names"])
    for row in table_rows("| option | meaning |"):
        for named in re.findall(r"`(-[-\w]+)", row[0]):
            assert named in flags, named


def test_every_exit_code_is_documented() -> None:
    """The README's table has exactly the codes the CLI uses, with the same meaning."""
    rows = table_rows("| code | when |")
    assert [int(row[0]) for row in rows] == list(EXIT_CODES)
    keywords = {0: "Done", 1: "gate failed", 2: "Bad usage or unreadable input",
                3: "Internal error", 130: "Interrupted"}
    for row in rows:
        code = int(row[0])
        assert keywords[code] in row[1], code
        assert keywords[code].lower() in EXIT_CODES[code].lower(), code


def test_the_json_schema_documents_the_comparison() -> None:
    section = README.split("## JSON output", 1)[1].split("\n## ", 1)[0]
    for key in ("comparison", "baseline", "too_little_data", "deltas", "regressions", "issues",
                '"new"', '"fixed"', '"unchanged"', "removed", "thresholds", "min_llm_calls",
                "fingerprint", "baseline_count"):
        assert key in section, key
    for name in (*METRICS, *(f"points_{part}" for part in PARTS), "cache_hit_rate"):
        assert f"`{name}`" in section, name
    sample = ROOT / "sample_traces" / "collector-clean-feature.jsonl"
    [a] = [attoreport.analyse(s) for s in attoreport.load([str(sample)])]
    figures = SessionFigures.from_analysis(a)
    result = compare([figures], [figures])
    for key in (*comparison_document(result.sessions[0]), *baseline_document(result)):
        assert f'"{key}"' in section, key


def test_every_view_is_documented() -> None:
    templates = "".join(p.read_text() for p in (ROOT / "templates").glob("*.j2"))
    views = set(re.findall(r'data-view="([a-z-]+)"', templates))
    assert views >= {"overview", "summary", "issues", "efficiency", "token-flow", "cache",
                     "tools", "timeline", "tree", "diagnostics", "comparison", "swarm"}
    for view in views:
        assert f"| `{view}` |" in README, view


def _tool(name: str) -> list[str]:
    return [sys.executable, "-m", name]


def test_ruff_is_clean() -> None:
    result = subprocess.run([*_tool("ruff"), "check", str(ROOT)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    result = subprocess.run([*_tool("mypy")], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
