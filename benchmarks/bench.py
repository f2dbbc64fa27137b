"""Speed and memory of attoreport on a large trace, as ratios against a baseline in the same run.

The baseline is what any reader of a trace must at least do, and what Attocode's own
loader does: read every line and parse it with the standard library's `json.loads`,
keeping the parsed objects. attoreport is measured for loading + analysing (the JSON
output's work) and for the whole HTML report.

    python benchmarks/bench.py [--events 200000]

Each measurement runs in a fresh process; peak memory is the process's maximum resident
size above an empty interpreter's with the same imports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "fixtures" / "collector" / "collector-context-pressure.jsonl"

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
import attoreport, attoreport.report.html
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


def measure(body: str, trace: Path, repeat: int) -> tuple[float, float]:
    """Best wall time of `repeat` fresh runs, and their peak resident memory (MiB)."""
    best, peak = float("inf"), 0.0
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", RUNNER.format(body=body), str(trace)],
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
        _, idle = measure(STAGES["idle"], trace, 1)
        base_time, base_mem = measure(STAGES["baseline: json.loads every line"], trace, args.repeat)
        base_mem -= idle
        print(f"{'stage':36} {'seconds':>8} {'x base':>7} {'MiB':>8} {'x base':>7} {'events/s':>10}")
        for name, body in STAGES.items():
            if name == "idle":
                continue
            if name.startswith("baseline"):
                seconds, mem = base_time, base_mem
            else:
                seconds, mem = measure(body, trace, args.repeat)
                mem -= idle
            print(f"{name:36} {seconds:8.2f} {seconds / base_time:7.2f} {mem:8.1f} "
                  f"{mem / base_mem:7.2f} {count / seconds:10,.0f}")


if __name__ == "__main__":
    main()
