"""What keeps the report fast to make and to open (issue 10), checked without timing anything:
compiled templates are reused, the report stays within its size budget on large generated
traces, charts and the timeline stay bounded, and every in-page link resolves."""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

import attoreport
from attoreport.limits import DEFAULT_LIMITS
from attoreport.report import html as html_module
from tests.conftest import FIXTURES

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
generate = importlib.import_module("generate")

#: Issue 10's budget for any input.
REPORT_BUDGET = 6 * 1000 * 1000


@pytest.fixture
def fresh_environment() -> Iterator[None]:
    """A jinja environment made for the test, and the usual one again after it."""
    html_module._environment.cache_clear()
    yield
    html_module._environment.cache_clear()


def render(*traces: Path) -> str:
    sessions = attoreport.load([str(t) for t in traces], jobs=1)
    return attoreport.render_html([attoreport.analyse(s) for s in sessions])


def scrub(html: str) -> str:
    html = re.sub(r"nonce-[\w-]+|nonce=\"[\w-]+\"", "NONCE", html)
    return re.sub(r"Made \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Made NOW", html)


def test_compiled_templates_are_kept_and_reused(tmp_path: Path, fresh_environment: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    trace = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
    first = render(trace)
    assert list((tmp_path / "attoreport").glob("templates-*/__jinja2_*.cache"))
    html_module._environment.cache_clear()
    compiled: list[str] = []
    compile_source = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, *args: object, **kwargs: object) -> object:
        compiled.append(source)
        return compile_source(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    assert scrub(render(trace)) == scrub(first)
    assert compiled == []


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path: Path, fresh_environment: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "attoreport" / f"templates-{jinja2.__version__}"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert html_module._bytecode_cache() is None
    folder.chmod(0o700)
    assert html_module._bytecode_cache() is not None


def test_a_packed_plotly_others_could_have_written_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached plotly.js goes into every report as a script: one in a folder others can
    write to, or a file others can write to, is packed again, not read (nor is one that is
    not ASCII); what is written is for this user only."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    html_module.plotly_gzip_base64.cache_clear()
    packed = html_module.plotly_gzip_base64()
    folder = tmp_path / "attoreport"
    [cached] = folder.glob("plotly-*.b64")
    assert folder.stat().st_mode & 0o777 == 0o700 and cached.stat().st_mode & 0o777 == 0o600
    for folder_mode, file_mode, text in ((0o777, 0o600, "evil"), (0o700, 0o666, "evil"),
                                         (0o700, 0o600, "\u00e9vil")):
        cached.write_text(text, encoding="utf-8")
        cached.chmod(file_mode)
        folder.chmod(folder_mode)
        html_module.plotly_gzip_base64.cache_clear()
        assert html_module.plotly_gzip_base64() == packed
        # A private folder gets the bundle packed again, for this user only; another's
        # folder is left as it was.
        assert cached.read_text(encoding="utf-8") == (packed if folder_mode == 0o700 else text)
        folder.chmod(0o700)
        if folder_mode == 0o700:
            assert cached.stat().st_mode & 0o777 == 0o600
    html_module.plotly_gzip_base64.cache_clear()


@pytest.fixture(scope="module")
def big_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    generate.write_trace(path, 60_000, seed=11)
    return path


@pytest.fixture(scope="module")
def big_report(big_trace: Path) -> str:
    return render(big_trace)


def test_a_large_trace_stays_within_the_size_budget(big_report: str) -> None:
    assert len(big_report.encode()) <= REPORT_BUDGET


def test_every_in_page_link_resolves(big_report: str) -> None:
    ids = set(re.findall(r'\sid="([^"]+)"', big_report))
    links = set(re.findall(r'href="#([^"]+)"', big_report))
    assert links and links <= ids


def test_charts_of_a_large_trace_are_bounded(big_report: str) -> None:
    data = big_report.split('id="chart-data">', 1)[1].split("</script>", 1)[0]
    figures = json.loads(data)
    assert len(figures) == 4  # one session: Plotly draws its four charts
    limits = DEFAULT_LIMITS
    for name, figure in figures.items():
        for trace in figure["data"]:
            assert len(trace.get("x", [])) <= max(limits.chart_points, 3 * limits.bars), name
    timeline = next(f for n, f in figures.items() if n.endswith("timeline-chart"))
    assert len(timeline["layout"]["yaxis"]["tickvals"]) <= limits.lane_rows


def test_outputs_take_bytes_as_they_are(tmp_path: Path) -> None:
    from attoreport.output import write_outputs

    target = tmp_path / "out.json"
    write_outputs({str(target): [b'{"a": "\\u00e9"', "}", b"\n"]})
    assert target.read_bytes() == b'{"a": "\\u00e9"}\n'
    write_outputs({str(target): "caf\u00e9\n".encode()})
    assert target.read_text(encoding="utf-8") == "caf\u00e9\n"


def test_json_pieces_are_the_json_text() -> None:
    from attoreport.report.jsondoc import render_json_bytes

    sessions = attoreport.load([str(FIXTURES / "collector" / "collector-swarm-run.jsonl")])
    analyses = [attoreport.analyse(s) for s in sessions]
    text = attoreport.render_json(analyses)
    pieces = render_json_bytes(analyses, attoreport.__version__)
    assert b"".join(pieces).decode("utf-8") == text


@pytest.mark.parametrize("beyond_64_bits", [False, True])
def test_long_lists_are_written_a_batch_at_a_time_as_one_text(
        monkeypatch: pytest.MonkeyPatch, beyond_64_bits: bool) -> None:
    """Batches of 3 items, at three depths, one list empty and one item with a bidi
    override: the same text as the list written whole (with an integer beyond 64 bits, the
    standard library writes its batch: the same values)."""
    import orjson

    from attoreport.report import jsondoc

    monkeypatch.setattr(jsondoc, "STREAM_ITEMS", 3)
    items = [{"n": i, "text": "a\u202eb" if i == 4 else "x", "nested": [i, {"k": []}]}
             for i in range(8)]
    if beyond_64_bits:
        items[6]["n"] = 2**70

    costs = {i: i / 3 for i in range(7)}

    def doc(wrap: Any, keyed: Any) -> dict[str, Any]:
        return {"a": 1, "sessions": [{"token_flow": wrap(items), "issues": wrap([]),
                                      "more": {"deep": wrap(items[:2]), "costs": keyed(costs),
                                               "none": keyed({})}}], "z": "\u2066"}

    pieces = list(jsondoc.dump_pieces(doc(jsondoc._Streamed,
                                          lambda m: jsondoc._Streamed(jsondoc._StrKeys(m)))))
    text = b"".join(pieces)
    assert len(pieces) > 8  # three batches of the long list, each a piece
    assert b"\\u202e" in text and b"\\u2066" in text  # escaped in every piece
    def plain_keys(mapping: dict[int, Any]) -> dict[str, Any]:
        return {str(k): v for k, v in mapping.items()}

    if beyond_64_bits:
        assert json.loads(text) == doc(list, plain_keys)
    else:
        whole = orjson.dumps(doc(list, plain_keys), option=orjson.OPT_INDENT_2)
        assert text == jsondoc.json_escaped_bytes(whole) + b"\n"


def test_the_json_of_a_long_run_is_never_held_whole(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Its pieces, written one at a time, hold a fraction of the text at any moment: a token
    flow point, a cost and an issue per iteration, 10,000 iterations (it once held the whole
    text and the objects behind it: three times the text)."""
    import tracemalloc

    from attoreport.report import jsondoc
    from attoreport.report.jsondoc import render_json_bytes

    monkeypatch.setattr(jsondoc, "STREAM_ITEMS", 500)
    path = tmp_path / "t.jsonl"
    path.write_text("".join(
        json.dumps(line) + "\n" for i in range(1, 10_001) for line in (
            {"kind": "iteration_start", "timestamp": i, "iteration": i},
            {"kind": "llm_response", "timestamp": i + 0.5, "iteration": i,
             "data": {"tokens": 900 + i % 7, "input_tokens": 800, "cost": 0.01}})))
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(path)])]
    size = sum(map(len, render_json_bytes(analyses, attoreport.__version__)))
    tracemalloc.start()
    try:
        for _ in render_json_bytes(analyses, attoreport.__version__):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > 2_000_000 and peak < size / 4, (peak, size)


def test_the_cli_writes_the_json_text(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from attoreport.cli import main

    trace = FIXTURES / "collector" / "collector-context-pressure.jsonl"
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, [str(trace), "--json", str(out), "-q"])
    assert result.exit_code == 0, result.output
    from attoreport.redact import Redactor

    redactor = Redactor()
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(trace)], redactor=redactor)]
    assert out.read_text(encoding="utf-8") == attoreport.render_json(analyses, redactor=redactor)
