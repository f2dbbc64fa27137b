"""Gold files: the view model (as JSON) and the HTML of a few reports, compared whole.

When a change to what the report says is intended, refresh them with

    python -m pytest tests/test_gold.py --update-gold

and read the diff (`git diff tests/gold/`) before committing it: it shows exactly what
changed for a reader. Times, the version, the script nonce, and the inlined CSS, script,
plotly.js and Perfetto trace are scrubbed (the browser tests and test_perfetto cover those).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport.report.html import render_view
from attoreport.report.page import build_report
from tests.conftest import FIXTURES

GOLD = Path(__file__).parent / "gold"
NOW = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
CASES = {
    "clean-feature": ["collector/collector-clean-feature.jsonl"],
    "doom-loop": ["collector/collector-doom-loop-tool-errors.jsonl"],
    "subagents": ["collector/collector-subagents-hierarchy.jsonl"],
    "agent-normal": ["agent/agent-normal-task.jsonl"],
    "swarm-run": ["collector/collector-swarm-run.jsonl"],
    "damaged": ["damaged/damaged-garbage-lines.jsonl"],
    "legacy": ["legacy/legacy-basic-session.jsonl"],
    "two-sessions": ["collector/collector-clean-feature.jsonl",
                     "collector/collector-doom-loop-tool-errors.jsonl"],
}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    return value


def _scrub(html: str) -> str:
    html = re.sub(r"nonce-[\w-]+", "nonce-NONCE", html)
    html = re.sub(r'nonce="[\w-]+"', 'nonce="NONCE"', html)
    html = re.sub(r'(<script type="text/plain" id="plotly-gz">)[^<]*', r"\1PLOTLY", html)
    html = re.sub(r"(<style>).*?(</style>)", r"\1CSS\2", html, flags=re.S)
    html = re.sub(r'(<script nonce="NONCE">).*?(</script>)', r"\1SCRIPT\2", html, flags=re.S)
    html = re.sub(r'(<script type="application/json" id="trace-data">)[^<]*', r"\1TRACE", html)
    return html.replace(attoreport.__version__, "VERSION")


def _report(traces: list[str]):
    """The report of these fixtures, named as given from the fixture folder: what the report
    says then does not depend on where the checkout is (a long path is shortened)."""
    here = os.getcwd()
    os.chdir(FIXTURES)
    try:
        sessions = attoreport.load(traces)
    finally:
        os.chdir(here)
    return build_report([attoreport.analyse(s) for s in sessions], version="VERSION", now=NOW)


def _check(path: Path, text: str, update: bool) -> None:
    if update:
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path.name} missing: run pytest tests/test_gold.py --update-gold"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        import difflib

        diff = "\n".join(list(difflib.unified_diff(expected.splitlines(), text.splitlines(),
                                                   "gold", "now", lineterm=""))[:80])
        pytest.fail(f"{path.name} differs from the gold file (refresh with --update-gold if "
                    f"intended):\n{diff}", pytrace=False)


@pytest.mark.parametrize("name", list(CASES))
def test_view_model_matches_gold(name: str, request: pytest.FixtureRequest) -> None:
    view = _report(CASES[name])
    view = dataclasses.replace(view, trace=dataclasses.replace(view.trace, json="TRACE"))
    text = json.dumps(_plain(view), indent=1, ensure_ascii=False) + "\n"
    _check(GOLD / f"{name}.view.json", text, request.config.getoption("--update-gold"))


@pytest.mark.parametrize("name", list(CASES))
def test_html_matches_gold(name: str, request: pytest.FixtureRequest) -> None:
    html = _scrub(render_view(_report(CASES[name])))
    # One element per line keeps the gold diffs readable.
    html = re.sub(r">\s*<", ">\n<", html)
    _check(GOLD / f"{name}.html", html, request.config.getoption("--update-gold"))
