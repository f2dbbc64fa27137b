"""A plain (not editable) `pip install .` carries the templates and works from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_traces" / "collector-clean-feature.jsonl"


@pytest.mark.slow
def test_plain_install_renders_a_report(tmp_path: Path) -> None:
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(ROOT)],
        capture_output=True, text=True, check=False, cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    installed = sorted(p.name for p in (target / "attoreport" / "templates").iterdir())
    assert {"report.html.j2", "_common.html.j2", "report.css", "report.js"} <= set(installed)
    out = tmp_path / "r.html"
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-m", "attoreport", str(SAMPLE), "-o", str(out)],
                         capture_output=True, text=True, check=False, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert out.read_text().startswith("<!doctype html>")
    where = subprocess.run([sys.executable, "-c", "import attoreport; print(attoreport.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, env=env)
    assert where.stdout.startswith(str(target))
