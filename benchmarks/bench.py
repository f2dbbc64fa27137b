"""attoreport's speed and memory as ratios to a floor measured in the same run (issue 10).

For each input (a generated trace of 10k, 100k or 1M events, or a folder of 1,000 traces of
1,000 events) one run measures, each in a fresh process:

- floor: a plain loop of `orjson.loads` over every line of the same file(s), keeping nothing;
- html:  the full report, `python -m attoreport INPUT -o out.html`;
- json:  the analysis only, `python -m attoreport INPUT --json out.json`;
- attocode (with --attocode): attocode 0.2.30's own analysis of the same input
  (load_trace_session, SessionAnalyzer, TokenAnalyzer, InefficiencyDetector, CacheBoundaryTracker).

and prints, per run: wall seconds (process start to exit, best of --repeat), the ratio to the
floor's wall time, CPU seconds, peak RSS of the main process and of its largest worker (both
exact, from getrusage), the peak of the summed RSS of the whole process tree (sampled every
10 ms), and the output's size. Then it checks issue 10's targets.

attoreport is run only through its public command line (`python -m attoreport`), under the
interpreter given by --python, so this measures whatever version is installed there. Each
process gets a small prelude that records its getrusage figures at exit; nothing else is
changed.

    python benchmarks/bench.py                      # 10k, 100k, 1m and the 1,000-file folder
    python benchmarks/bench.py --quick              # 10k, 100k and a 100-file folder, once
    python benchmarks/bench.py --sizes 100k,folder --repeat 3 --browser --attocode

Generated inputs are cached in $TMPDIR/attoreport-benchmarks/, keyed by the generator's version
and source, so later runs skip the generation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (a sibling script, not a package)

DEFAULT_SIZES = "10k,100k,1m,folder"
QUICK_SIZES = "10k,100k,folder:100x1000"
DEFAULT_FOLDER = (1_000, 1_000)
SAMPLE_INTERVAL_S = 0.01
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
ATTOCODE_VERSION = "0.2.30"
RUSAGE_ENV = "ATTOREPORT_BENCH_RUSAGE"
#: A memory figure that could not be measured (shown as "?").
UNKNOWN = -1

#: Runs first in every measured process: at exit (atexit, or os._exit, which the command
#: leaves through) it writes the process's own peak RSS and that of its largest reaped child
#: (KiB), so the main process and its workers are told apart.
PRELUDE = f"""
import atexit as _atexit, os as _os, resource as _resource
def _bench_report():
    path = _os.environ.get({RUSAGE_ENV!r})
    if path:
        own = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
        children = _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss
        with open(path, "w") as fh:
            fh.write(f"{{own}} {{children}}")
_atexit.register(_bench_report)
_quick_exit, _measured_pid = _os._exit, _os.getpid()
def _exit_reporting(code):  # the command leaves through os._exit, past atexit
    if _os.getpid() == _measured_pid:  # not a forked worker, which leaves that way too
        _bench_report()
    _quick_exit(code)
_os._exit = _exit_reporting
"""

#: The floor: every line through orjson.loads, nothing kept. Directories: their *.jsonl files.
FLOOR = """
import os, sys
from orjson import JSONDecodeError, loads
for arg in sys.argv[1:]:
    if os.path.isdir(arg):
        paths = [os.path.join(arg, n) for n in sorted(os.listdir(arg)) if n.endswith(".jsonl")]
    else:
        paths = [arg]
    for path in paths:
        with open(path, "rb") as fh:
            for line in fh:
                try:
                    loads(line)
                except JSONDecodeError:
                    pass
"""

#: attoreport's public command line, exactly as `python -m attoreport ARGS` runs it.
ATTOREPORT = """
import runpy
runpy.run_module("attoreport", run_name="__main__", alter_sys=True)
"""

#: attocode 0.2.30's own analysis (the work attoreport's --json output does), per file.
ATTOCODE = """
import os, sys
sys.path.insert(0, sys.argv[1])
from attocode.tracing.collector import load_trace_session
from attocode.tracing.analysis import SessionAnalyzer, TokenAnalyzer, InefficiencyDetector
from attocode.tracing.cache_boundary import CacheBoundaryTracker
for arg in sys.argv[2:]:
    if os.path.isdir(arg):
        paths = [os.path.join(arg, n) for n in sorted(os.listdir(arg)) if n.endswith(".jsonl")]
    else:
        paths = [arg]
    for path in paths:
        session = load_trace_session(path)
        summary = SessionAnalyzer(session).summary()
        tokens = TokenAnalyzer(session)
        flow, cost, by_iteration = tokens.token_flow(), tokens.total_cost(), tokens.cost_by_iteration()
        breakdown, efficiency = tokens.token_breakdown(), tokens.cache_efficiency()
        issues = InefficiencyDetector(session).detect_all()
        tracker = CacheBoundaryTracker()
        for e in session.events:
            if e.kind == "llm_response":
                d = e.data
                tracker.record_request(int(d.get("input_tokens") or 0),
                                       int(d.get("cache_read_tokens") or 0),
                                       int(d.get("cache_write_tokens") or 0))
        stats = tracker.get_stats()
"""

#: Versions printed at the top, read by the measured interpreter.
VERSIONS = """
import json, platform, sys
from importlib.metadata import PackageNotFoundError, version
found = {"python": platform.python_version() + " (" + sys.executable + ")"}
for name in ("attoreport", "orjson", "plotly", "jinja2", "click", "msgspec", "numpy"):
    try:
        found[name] = version(name)
    except PackageNotFoundError:
        found[name] = "-"
print(json.dumps(found))
"""


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One thing to measure on: a single trace, or a folder of traces."""

    label: str
    path: Path
    files: int
    events: int
    megabytes: float

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()


@dataclass(frozen=True)
class SizeSpec:
    """A `--sizes` item: `10k` (one trace of that many events) or `folder[:FILESxEVENTS]`."""

    events: int
    files: int = 0

    @property
    def is_folder(self) -> bool:
        return self.files > 0

    @property
    def label(self) -> str:
        if self.is_folder:
            return f"folder {self.files}x{self.events}"
        return _short_count(self.events)


def parse_sizes(text: str) -> list[SizeSpec]:
    """`10k,100k,1m,folder,folder:100x1000` -> SizeSpecs, in the given order."""
    specs: list[SizeSpec] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item.startswith("folder"):
            files, events = DEFAULT_FOLDER
            rest = item[len("folder"):]
            if rest:
                if not rest.startswith(":") or "x" not in rest:
                    raise ValueError(f"bad folder size {item!r}: use folder or folder:FILESxEVENTS")
                files_text, events_text = rest[1:].split("x", 1)
                files, events = generate.parse_count(files_text), generate.parse_count(events_text)
            if files < 1:
                raise ValueError(f"a folder needs at least one file: {item!r}")
            specs.append(SizeSpec(events, files))
        else:
            specs.append(SizeSpec(generate.parse_count(item)))
    for spec in specs:
        if spec.events < generate.MIN_EVENTS:
            raise ValueError(f"{spec.label}: a trace needs at least {generate.MIN_EVENTS} events")
    if not specs:
        raise ValueError("no sizes given")
    return specs


def _short_count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


#: Digest of the generator's source as imported (read once: an edit mid-run must not rename
#: the cache for code that is not running).
GENERATOR_DIGEST = hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:10]


def generator_key() -> str:
    """Names the cache folder: generator version and a digest of its source."""
    return f"g{generate.GENERATOR_VERSION}-{GENERATOR_DIGEST}"


def cached_input(spec: SizeSpec, cache: Path, seed: int,
                 say: Callable[[str], None] = print) -> Input:
    """The generated input for `spec`, made (atomically) if the cache does not hold it yet."""
    folder = cache / generator_key() / f"seed-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    if spec.is_folder:
        path = folder / f"folder-{spec.files}x{spec.events}"
        if not path.is_dir():
            say(f"generating {spec.label} -> {path} ...")
            partial = path.with_name(path.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            generate.write_folder(partial, spec.files, spec.events, seed=seed)
            os.replace(partial, path)
        paths = sorted(path.glob("*.jsonl"))
        size = sum(p.stat().st_size for p in paths)
        return Input(spec.label, path, len(paths), spec.files * spec.events, size / 1e6)
    path = folder / f"session-{_short_count(spec.events)}.jsonl"
    if not path.is_file():
        say(f"generating {spec.label} -> {path} ...")
        generate.write_trace(path, spec.events, seed=seed)
    return Input(spec.label, path, 1, spec.events, path.stat().st_size / 1e6)


def given_input(path: Path) -> Input:
    """An existing trace or folder named with --input (events = its non-blank lines)."""
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    paths = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not paths:
        raise ValueError(f"{path}: no *.jsonl files")
    events = 0
    for p in paths:
        with p.open("rb") as fh:
            events += sum(1 for line in fh if line.strip())
    size = sum(p.stat().st_size for p in paths)
    return Input(path.name, path, len(paths), events, size / 1e6)


# ---------------------------------------------------------------------------
# Measuring one process
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One fresh process: its wall and CPU time, peak memory (KiB) and output size."""

    wall_s: float
    cpu_s: float
    main_kib: int
    workers_kib: int
    tree_kib: int
    output_bytes: int | None


class TreeSampler(threading.Thread):
    """Polls /proc for the summed memory of a process and all its descendants; keeps the peak.

    `measure` is `tree_rss_kib` (cheap; shared pages count once per process) or
    `tree_pss_kib` (shared pages split between their users; costlier to read).
    """

    def __init__(self, pid: int, interval_s: float = SAMPLE_INTERVAL_S,
                 measure: Callable[[int], int] | None = None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval_s = interval_s
        self.measure = measure or tree_rss_kib
        self.peak_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            self.peak_kib = max(self.peak_kib, self.measure(self.pid))
            if self._done.wait(self.interval_s):
                return

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak_kib


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            try:
                with open(f"{task.path}/children") as fh:
                    found.extend(int(p) for p in fh.read().split())
            except OSError:
                continue
    except OSError:
        pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every process `pid` started, and those they started, still running now."""
    found: list[int] = []
    todo = _children(pid)
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(_children(current))
    return found


def _tree_sum(pid: int, measure: Callable[[int], int]) -> int:
    return sum(measure(p) for p in (pid, *descendants(pid)))


def tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and every descendant, now (0 once it has gone)."""
    return _tree_sum(pid, _rss_kib)


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of `pid` and every descendant: shared pages split between users."""
    return _tree_sum(pid, _pss_kib)


def run_once(argv: Sequence[str], *, output: Path | None, workdir: Path) -> Sample:
    """Run `argv` in a fresh process and measure it; raises RuntimeError if it fails."""
    rusage_file = workdir / "rusage.txt"
    rusage_file.unlink(missing_ok=True)
    if output is not None:
        output.unlink(missing_ok=True)
    env = dict(os.environ, **{RUSAGE_ENV: str(rusage_file)})
    stderr_path = workdir / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=workdir)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        tree_kib = sampler.stop()
    if process.returncode != 0:
        raise RuntimeError(f"exit code {process.returncode}: {_tail(stderr_path)}")
    # Without the exit handler's figures (the process ended by os._exit or a signal), wait4's
    # peak covers the process and its children together, and the workers' own is unknown.
    main_kib, workers_kib = usage.ru_maxrss, UNKNOWN
    try:
        own, children = rusage_file.read_text().split()
        main_kib, workers_kib = int(own), int(children)
    except (OSError, ValueError):
        pass
    size = output.stat().st_size if output is not None and output.exists() else None
    return Sample(wall, usage.ru_utime + usage.ru_stime, main_kib, workers_kib,
                  max(tree_kib, main_kib), size)


def _tail(path: Path, limit: int = 600) -> str:
    """The end of a failed run's stderr, safe for a terminal (it may quote trace content)."""
    text = path.read_bytes()[-limit:].decode("utf-8", "replace")
    return ascii(text)[1:-1]


# ---------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------

RUN_KINDS = ("floor", "html", "json", "attocode")


@dataclass
class Runner:
    """Builds the command line of each run kind for an input."""

    python: str
    cli_args: list[str]
    attocode: Path | None

    def command(self, kind: str, source: Input, out: Path) -> tuple[list[str], Path | None]:
        if kind == "floor":
            return [self.python, "-c", PRELUDE + FLOOR, str(source.path)], None
        if kind == "html":
            report = out / "report.html"
            return [self.python, "-c", PRELUDE + ATTOREPORT, str(source.path), "-o", str(report),
                    *self.cli_args], report
        if kind == "json":
            document = out / "report.json"
            return [self.python, "-c", PRELUDE + ATTOREPORT, str(source.path), "--json",
                    str(document), *self.cli_args], document
        if kind == "attocode" and self.attocode is not None:
            return [self.python, "-c", PRELUDE + ATTOCODE, str(self.attocode),
                    str(source.path)], None
        raise ValueError(f"unknown run kind {kind!r}")


@dataclass
class Result:
    """Best of the repeats of one run kind on one input."""

    source: Input
    kind: str
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None
    kept: Path | None = None

    @property
    def best(self) -> Sample:
        return min(self.samples, key=lambda s: s.wall_s)

    @property
    def cpu_s(self) -> float:
        """The least CPU time over the repeats: less disturbed by a busy machine than wall time."""
        return min(s.cpu_s for s in self.samples)

    def peak(self, attribute: str) -> int:
        """The largest memory figure over the repeats (memory does not get luckier)."""
        return max(int(getattr(s, attribute)) for s in self.samples)


def measure_input(source: Input, kinds: Sequence[str], runner: Runner, repeat: int,
                  keep: Path | None, say: Callable[[str], None]) -> list[Result]:
    """Every run kind on one input, `repeat` times, interleaved so drift hits them alike."""
    results = {kind: Result(source, kind) for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="attoreport-bench-") as scratch:
        workdir = Path(scratch)
        for attempt in range(repeat):
            for kind in kinds:
                result = results[kind]
                if result.error is not None:
                    continue
                argv, output = runner.command(kind, source, workdir)
                try:
                    result.samples.append(run_once(argv, output=output, workdir=workdir))
                except RuntimeError as exc:
                    result.error = str(exc)
                    say(f"  {source.label} {kind}: FAILED ({exc})")
                    continue
                say(f"  {source.label} {kind} #{attempt + 1}: {result.samples[-1].wall_s:.2f} s")
                if keep is not None and output is not None and attempt == repeat - 1:
                    keep.mkdir(parents=True, exist_ok=True)
                    name = f"{source.label.replace(' ', '-')}-{kind}{output.suffix}"
                    result.kept = keep / name
                    shutil.copyfile(output, result.kept)
    return [results[kind] for kind in kinds]


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def machine_lines(python: str) -> list[str]:
    """Cores, memory, load, OS and the versions the measured interpreter sees."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    probe = subprocess.run([python, "-c", VERSIONS], capture_output=True, text=True, check=False)
    try:
        versions = json.loads(probe.stdout)
    except json.JSONDecodeError:
        versions = {"python": f"{python} (could not be queried)"}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"machine: {cpu}; {os.cpu_count()} cores ({usable} usable); {memory} RAM; "
        f"{platform.system()} {platform.release()}",
        f"python:  {versions.pop('python')}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"load average at start: {load}; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
    ]


def _mb(kib: int) -> str:
    if kib == UNKNOWN:
        return "?"
    return f"{kib / 1024:.0f}" if kib else "-"


def table(results: Sequence[Result]) -> list[str]:
    """The results as an aligned text table, one line per run."""
    header = ("input", "events", "in MB", "run", "wall s", "x floor", "CPU s", "CPU x",
              "RSS MB", "worker MB", "tree MB", "out MB")
    rows: list[tuple[str, ...]] = []
    floors = {r.source.label: r for r in results if r.kind == "floor" and r.samples}
    previous = None
    for r in results:
        first = r.source.label != previous
        previous = r.source.label
        lead = ((r.source.label, f"{r.source.events:,}", f"{r.source.megabytes:.1f}") if first
                else ("", "", ""))
        if not r.samples:
            rows.append((*lead, r.kind, "failed", "", "", "", "", "", "", ""))
            continue
        best = r.best
        floor = floors.get(r.source.label)
        ratio = f"{best.wall_s / floor.best.wall_s:.2f}" if floor else "-"
        cpu_ratio = f"{r.cpu_s / floor.cpu_s:.2f}" if floor and floor.cpu_s > 0 else "-"
        out = f"{best.output_bytes / 1e6:.2f}" if best.output_bytes is not None else "-"
        rows.append((*lead, r.kind, f"{best.wall_s:.2f}", ratio, f"{r.cpu_s:.2f}", cpu_ratio,
                     _mb(r.peak("main_kib")), _mb(r.peak("workers_kib")), _mb(r.peak("tree_kib")),
                     out))
    return format_table(header, rows, left={0, 3})


def format_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]],
                 left: set[int]) -> list[str]:
    """Aligned text columns: those in `left` flush left, the others (figures) flush right."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) if i in left else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
            for row in (header, *rows)]


@dataclass(frozen=True)
class Target:
    """One of issue 10's targets, checked when its input and run were measured."""

    text: str
    applies: Callable[[Input], bool]
    kinds: tuple[str, ...]
    value: Callable[[Result, float], float]
    limit: float
    unit: str


def _one_trace(events: int) -> Callable[[Input], bool]:
    return lambda source: not source.is_folder and source.events == events


def _the_folder(source: Input) -> bool:
    return source.is_folder and (source.files, source.events) == (1_000, 1_000_000)


def _ratio(result: Result, floor: float) -> float:
    return result.best.wall_s / floor


def _tree_mb(result: Result, floor: float) -> float:
    return result.peak("tree_kib") / 1024


def _output_mb(result: Result, floor: float) -> float:
    size = result.best.output_bytes
    return size / 1e6 if size is not None else 0.0


TARGETS = (
    Target("1M events, full HTML report", _one_trace(1_000_000), ("html",), _ratio, 2.0, "x floor"),
    Target("1M events, --json only", _one_trace(1_000_000), ("json",), _ratio, 1.5, "x floor"),
    Target("100k events, full HTML report", _one_trace(100_000), ("html",), _ratio, 3.0, "x floor"),
    Target("1M events, peak RSS (whole process tree)", _one_trace(1_000_000), ("html", "json"),
           _tree_mb, 250.0, "MB"),
    Target("report size, any input", lambda source: True, ("html",), _output_mb, 6.0, "MB"),
    Target("1,000 traces x 1,000 events, one report", _the_folder, ("html",), _ratio, 2.5,
           "x floor"),
)


def target_lines(results: Sequence[Result]) -> list[str]:
    """Each applicable target of issue 10, met or not."""
    floors = {r.source.label: r.best.wall_s for r in results if r.kind == "floor" and r.samples}
    lines = []
    for target in TARGETS:
        for r in results:
            floor = floors.get(r.source.label)
            if r.kind not in target.kinds or not r.samples or not floor:
                continue
            if not target.applies(r.source):
                continue
            value = target.value(r, floor)
            verdict = "met" if value <= target.limit else "NOT met"
            lines.append(f"  {verdict:7}  {target.text} [{r.source.label}, {r.kind}]: "
                         f"{value:.2f} {target.unit} (target <= {target.limit:g})")
    return lines


NOTES = """\
wall s: process start to exit, best of {repeat}; x floor: wall time / the floor's wall time on the
same input in this run (the floor process also starts an interpreter: python start-up {startup:.3f} s);
CPU s: user + system time of the process and its reaped children, least of the repeats;
CPU x: CPU s / the floor's CPU s (steadier than x floor on a busy machine); RSS MB: peak resident memory of
the main process; worker MB: of its largest child process ("-": none); tree MB: peak of the summed
resident memory of the process and all its children, sampled every 10 ms; memory figures are the
largest over the repeats."""


# ---------------------------------------------------------------------------
# attocode 0.2.30 (optional comparison)
# ---------------------------------------------------------------------------


def fetch_attocode(cache: Path, python: str) -> Path | None:
    """attocode 0.2.30's wheel from PyPI, unpacked (cached); None when it cannot be had."""
    target = cache / f"attocode-{ATTOCODE_VERSION}"
    if (target / "attocode" / "tracing").is_dir():
        return target
    with tempfile.TemporaryDirectory() as download:
        result = subprocess.run(
            # Its wheel says Python >= 3.12, but the tracing modules used here run on 3.10+.
            [python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.12", "--dest", download, f"attocode=={ATTOCODE_VERSION}"],
            capture_output=True, text=True, check=False)
        wheels = list(Path(download).glob(f"attocode-{ATTOCODE_VERSION}-*.whl"))
        if result.returncode != 0 or not wheels:
            return None
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel.extractall(partial)
        os.replace(partial, target)
    return target


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Measure attoreport against the orjson floor in one run (issue 10).")
    parser.add_argument("--sizes", default=None,
                        help=f"comma-separated: event counts (10k, 1m, 250000) and folder or "
                        f"folder:FILESxEVENTS (default {DEFAULT_SIZES})")
    parser.add_argument("--input", type=Path, action="append", default=[],
                        help="also measure this existing trace or folder (repeatable)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each, best kept (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {QUICK_SIZES}, one run each (unless --sizes/--repeat say otherwise)")
    parser.add_argument("--runs", default="html,json",
                        help="which attoreport runs besides the floor: html, json (default both)")
    parser.add_argument("--attocode", action="store_true",
                        help=f"also time attocode {ATTOCODE_VERSION}'s own analysis (fetched from PyPI)")
    parser.add_argument("--browser", action="store_true",
                        help="open each HTML report in headless Chromium (browser_draw.py)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter whose attoreport is measured (default: this one)")
    parser.add_argument("--cli-args", default="",
                        help="extra attoreport options for every run, e.g. \"--jobs 2\"")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "attoreport-benchmarks",
                        help="where generated inputs are kept (default $TMPDIR/attoreport-benchmarks)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="copy the last run's reports into this folder")
    parser.add_argument("--save", type=Path, default=None, help="also write the results as JSON here")
    return parser


def _kinds(runs: str, attocode: bool) -> list[str]:
    kinds = ["floor"]
    for kind in (k.strip() for k in runs.split(",")):
        if kind not in ("html", "json"):
            raise ValueError(f"--runs: unknown run {kind!r} (html, json)")
        if kind not in kinds:
            kinds.append(kind)
    if attocode:
        kinds.append("attocode")
    return kinds


def python_startup_s(python: str, repeat: int = 5) -> float:
    """Best wall time of an interpreter that imports orjson and exits (part of every run)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([python, "-c", "import orjson"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def save_results(path: Path, results: Sequence[Result], header: Sequence[str]) -> None:
    """The measurements as JSON, for tracking figures across runs."""
    document = {
        "machine": list(header),
        "results": [{
            "input": r.source.label, "events": r.source.events, "files": r.source.files,
            "input_mb": r.source.megabytes, "run": r.kind, "error": r.error,
            "samples": [s.__dict__ for s in r.samples],
        } for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    say = print
    repeat = args.repeat if args.repeat is not None else 1 if args.quick else 3
    try:
        specs = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
        kinds = _kinds(args.runs, args.attocode)
        given = [given_input(path) for path in args.input]
        if repeat < 1:
            raise ValueError("--repeat must be 1 or more")
    except ValueError as exc:
        print(f"bench.py: {exc}", file=sys.stderr)
        return 2
    header = machine_lines(args.python)
    for line in header:
        say(line)
    attocode = None
    if args.attocode:
        attocode = fetch_attocode(args.cache, args.python)
        if attocode is None:
            say(f"note: attocode {ATTOCODE_VERSION} could not be fetched; its runs are skipped")
            kinds.remove("attocode")
    runner = Runner(args.python, shlex.split(args.cli_args), attocode)
    sources = [cached_input(spec, args.cache, args.seed, say) for spec in specs]
    sources += given
    startup = python_startup_s(args.python)
    results: list[Result] = []
    for source in sources:
        say(f"measuring {source.label} ({source.files:,} file(s), {source.events:,} events, "
            f"{source.megabytes:.1f} MB) ...")
        results += measure_input(source, kinds, runner, repeat, args.keep if not args.browser
                                 else (args.keep or args.cache / "reports"), say)
    say("")
    for line in table(results):
        say(line)
    say("")
    say(NOTES.format(repeat=repeat, startup=startup))
    say(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    checks = target_lines(results)
    if checks:
        say("")
        say("issue 10 targets:")
        for line in checks:
            say(line)
    if args.save is not None:
        save_results(args.save, results, header)
    if args.browser:
        say("")
        _browser_section(results, say)
    return 0 if all(r.error is None for r in results) else 1


def _browser_section(results: Sequence[Result], say: Callable[[str], None]) -> None:
    import browser_draw

    reports = [r for r in results if r.kind == "html" and r.kept is not None]
    say("in headless Chromium:")
    for line in browser_draw.table([(r.source.label, r.kept) for r in reports if r.kept]):
        say(line)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashing run leaves no core file
    sys.exit(main())
