"""The project's own standards: docs cover the CLI, lint and types are clean, CI runs the tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from attoreport.cli import main

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


@pytest.mark.parametrize("param", [p for p in main.params if isinstance(p, click.Option)],
                         ids=lambda p: p.name)
def test_every_option_is_documented(param: click.Option) -> None:
    for flag in param.opts:
        assert f"`{flag}" in README or f"{flag}`" in README or f", `{flag}" in README, flag


def test_every_exit_code_is_documented() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in README


def test_every_view_is_documented() -> None:
    for view in ("overview", "summary", "issues", "efficiency", "token-flow", "cache", "tools",
                 "timeline", "tree", "diagnostics"):
        assert f"| `{view}` |" in README


def _tool(name: str) -> list[str]:
    return [sys.executable, "-m", name]


def test_ruff_is_clean() -> None:
    result = subprocess.run([*_tool("ruff"), "check", str(ROOT)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([*_tool("mypy")], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
