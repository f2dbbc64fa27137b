"""Speed and memory of attoreport on a large trace, as ratios against baselines in the same run.

Baselines, measured on the same trace in the same run:
- "json.loads every line": what any reader must at least do (and what Attocode's loader
  does first): parse every line with the standard library, keeping the objects.
- "attocode 0.2.30 analysis": Attocode's own code doing the work attoreport's JSON output
  does (load_trace_session, SessionAnalyzer.summary, TokenAnalyzer, InefficiencyDetector,
  CacheBoundaryTracker). Its wheel is fetched from PyPI into a temporary folder for the
  measurement only (skipped, with a note, when that is not possible). The trace is made
  loadable by it (no agent `tool` lines).

attoreport is measured for loading + analysing (the JSON output's work) and for the whole
HTML report.

    python benchmarks/bench.py [--events 200000] [--repeat 3]

Each measurement runs in a fresh process; memory is the process's peak resident size
minus that of an idle interpreter with the same imports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "fixtures" / "collector" / "collector-context-pressure.jsonl"

ATTOCODE = """
from attocode.tracing.collector import load_trace_session
from attocode.tracing.analysis import SessionAnalyzer, TokenAnalyzer, InefficiencyDetector
from attocode.tracing.cache_boundary import CacheBoundaryTracker
session = load_trace_session(TRACE)
summary = SessionAnalyzer(session).summary()
tokens = TokenAnalyzer(session)
flow, cost, by_iteration = tokens.token_flow(), tokens.total_cost(), tokens.cost_by_iteration()
breakdown, efficiency = tokens.token_breakdown(), tokens.cache_efficiency()
issues = InefficiencyDetector(session).detect_all()
tracker = CacheBoundaryTracker()
for e in session.events:
    if e.kind == "llm_response":
        d = e.data
        tracker.record_request(int(d.get("input_tokens") or 0), int(d.get("cache_read_tokens") or 0),
                               int(d.get("cache_write_tokens") or 0))
stats = tracker.get_stats()
"""

STAGES = {
    "idle": "",
    "baseline: json.loads every line": """
events = []
with open(TRACE, encoding="utf-8") as fh:
    for line in fh:
        line = line.strip()
        if line:
            events.append(json.loads(line))
""",
    "baseline: attocode 0.2.30 analysis": ATTOCODE,
    "attoreport: load + analyse": """
sessions = attoreport.load([TRACE])
analyses = [attoreport.analyse(s) for s in sessions]
""",
    "attoreport: load + analyse + HTML": """
sessions = attoreport.load([TRACE])
html = attoreport.render_html([attoreport.analyse(s) for s in sessions])
""",
}

RUNNER = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import attoreport, attoreport.report.html
{imports}
TRACE = sys.argv[1]
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed,
                   "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def make_trace(path: Path, events: int) -> int:
    """Repeat a real collector trace, shifting iterations and time, up to `events` lines."""
    lines = [json.loads(line) for line in SOURCE.read_text().splitlines() if line.strip()]
    body = [e for e in lines if e["kind"] not in ("session_start", "session_end")]
    span = body[-1]["timestamp"] - body[0]["timestamp"] + 1.0
    top = max(e.get("iteration") or 0 for e in body)
    written = 0
    with path.open("w") as fh:
        fh.write(json.dumps(lines[0]) + "\n")
        written += 1
        copy = 0
        while written < events - 1:
            for e in body:
                shifted = dict(e)
                shifted["timestamp"] = e["timestamp"] + copy * span
                shifted["event_id"] = f"{copy:06d}{e['event_id'][:6]}"
                if e.get("iteration") is not None:
                    shifted["iteration"] = e["iteration"] + copy * top
                fh.write(json.dumps(shifted) + "\n")
                written += 1
                if written >= events - 1:
                    break
            copy += 1
        end = dict(lines[-1])
        end["timestamp"] = lines[0]["timestamp"] + (copy + 1) * span
        fh.write(json.dumps(end) + "\n")
        written += 1
    return written


def fetch_attocode(folder: Path) -> Path | None:
    """attocode 0.2.30's wheel, unpacked; its tracing modules run on Python 3.10+."""
    target = folder / "attocode"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--python-version", "3.12", "--dest", str(folder), "attocode==0.2.30"],
        capture_output=True, text=True, check=False)
    wheels = list(folder.glob("attocode-0.2.30-*.whl"))
    if result.returncode != 0 or not wheels:
        return None
    with zipfile.ZipFile(wheels[0]) as wheel:
        wheel.extractall(target)
    return target


def measure(body: str, trace: Path, repeat: int, path: Path) -> tuple[float, float]:
    """Best wall time of `repeat` fresh runs, and their peak resident memory (MiB)."""
    best, peak = float("inf"), 0.0
    imports = "import attocode.tracing.analysis" if "attocode" in body else ""
    for _ in range(repeat):
        code = RUNNER.format(body=body, imports=imports)
        out = subprocess.run([sys.executable, "-c", code, str(trace), str(path)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        result = json.loads(out.stdout)
        best = min(best, result["seconds"])
        peak = max(peak, result["rss_kib"] / 1024)
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trace = Path(folder) / "big.jsonl"
        count = make_trace(trace, args.events)
        size = trace.stat().st_size / 2**20
        print(f"trace: {count:,} events, {size:.1f} MiB (from {SOURCE.name})")
        attocode = fetch_attocode(Path(folder))
        path = attocode if attocode is not None else ROOT
        if attocode is None:
            print("note: attocode 0.2.30 could not be fetched from PyPI; its row is skipped")
        _, idle = measure(STAGES["idle"], trace, 1, path)
        results: dict[str, tuple[float, float]] = {}
        for name, body in STAGES.items():
            if name == "idle" or ("attocode" in name and attocode is None):
                continue
            seconds, mem = measure(body, trace, args.repeat, path)
            results[name] = (seconds, mem - idle)
        base_time, base_mem = results["baseline: json.loads every line"]
        ref = results.get("baseline: attocode 0.2.30 analysis")
        print(f"{'stage':36} {'seconds':>8} {'x json':>7} {'x atto':>7} {'MiB':>8} "
              f"{'x json':>7} {'x atto':>7} {'events/s':>10}")
        for name, (seconds, mem) in results.items():
            vs_ref_t = f"{seconds / ref[0]:7.2f}" if ref else "      –"
            vs_ref_m = f"{mem / ref[1]:7.2f}" if ref else "      –"
            print(f"{name:36} {seconds:8.2f} {seconds / base_time:7.2f} {vs_ref_t} {mem:8.1f} "
                  f"{mem / base_mem:7.2f} {vs_ref_m} {count / seconds:10,.0f}")


if __name__ == "__main__":
    main()
