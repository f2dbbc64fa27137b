"""Where one attoreport run spends its time: CPU seconds per stage, in one process.

bench.py measures whole runs against the floor; this script splits one run into its stages
(imports, load, analyse, view model, HTML template, JSON) so a change can be aimed at the
stage that costs most. CPU time (not wall time) is printed, so the figures stay readable on
a machine shared with other work; the load's workers are counted with the parent.

    python benchmarks/stages.py TRACE_OR_FOLDER [--jobs N] [--no-html] [--no-json]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any


def _cpu() -> float:
    """CPU seconds of this process and the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Stages:
    """Times named stages, in CPU and wall seconds."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def run(self, name: str, function: Callable[[], Any]) -> Any:
        cpu, wall = _cpu(), time.perf_counter()
        result = function()
        self.rows.append((name, _cpu() - cpu, time.perf_counter() - wall))
        return result

    def print(self) -> None:
        total_cpu = sum(r[1] for r in self.rows)
        print(f"{'stage':<28} {'CPU s':>7} {'wall s':>7} {'share':>6}")
        for name, cpu, wall in self.rows:
            print(f"{name:<28} {cpu:7.3f} {wall:7.3f} {cpu / total_cpu:6.1%}")
        print(f"{'total':<28} {total_cpu:7.3f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--no-html", action="store_true")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args(argv)
    stages = Stages()

    def imports() -> Any:
        import attoreport
        import attoreport.collect
        import attoreport.redact

        return attoreport

    attoreport = stages.run("imports (library)", imports)
    from attoreport.collect import collect, find
    from attoreport.redact import Redactor

    redactor = Redactor(enabled=True)
    inputs = find([args.input])
    collected = stages.run("load", lambda: collect(inputs, jobs=args.jobs, redactor=redactor))
    sessions = collected.sessions
    analyses = stages.run("analyse", lambda: [attoreport.analyse(s) for s in sessions])
    if not args.no_html:
        from attoreport.report import html as html_stage
        from attoreport.report.page import build_report

        stages.run("imports (html)", lambda: html_stage._environment())
        view = stages.run("view model", lambda: build_report(
            analyses, version=attoreport.__version__, swarms=collected.swarms))
        text = stages.run("template", lambda: html_stage.render_view(view))
        print(f"HTML: {len(text) / 1e6:.2f} MB")
    if not args.no_json:
        text = stages.run("json", lambda: attoreport.render_json(analyses, redactor=redactor))
        print(f"JSON: {len(text) / 1e6:.2f} MB")
    stages.print()
    sys.stdout.flush()
    os._exit(0)  # as the CLI would, without freeing every object first


if __name__ == "__main__":
    raise SystemExit(main())
