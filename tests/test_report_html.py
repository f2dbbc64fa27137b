"""The HTML report as a document: structure, safety, size. (Browser behaviour: tests/browser.)"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import attoreport
from attoreport.limits import DEFAULT_LIMITS
from attoreport.report.html import markdown_html, script_json
from tests.conftest import ALL_TRACES, FIXTURES, SAMPLES

HOSTILE = FIXTURES / "hostile" / "hostile-payloads.jsonl"
SIZE_BUDGET = int(2.5 * 1024 * 1024)
VIEWS = ["summary", "issues", "efficiency", "token-flow", "cache", "tools", "timeline", "tree"]


def render(*traces: Path) -> str:
    sessions = attoreport.load([str(t) for t in traces])
    return attoreport.render_html([attoreport.analyse(s) for s in sessions])


class Elements(HTMLParser):
    """Collects start tags with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("trace", sorted(SAMPLES.glob("*.jsonl")), ids=lambda p: p.stem)
def test_sample_reports_stay_within_the_size_budget(trace: Path) -> None:
    assert len(render(trace).encode()) <= SIZE_BUDGET


@pytest.mark.parametrize("trace", ALL_TRACES + [HOSTILE], ids=lambda p: p.stem)
def test_every_trace_renders_every_view(trace: Path) -> None:
    html = render(trace)
    tags = elements(html)
    sessions = [a for t, a in tags if t == "section" and "data-session-id" in a]
    assert sessions
    views = [a["data-view"] for t, a in tags if "data-view" in a]
    for view in VIEWS:
        assert views.count(view) == len(sessions), view
    assert ("overview" in views) == (len(sessions) > 1)


def test_diagnostics_view_only_when_lines_were_damaged() -> None:
    assert 'data-view="diagnostics"' not in render(FIXTURES / "collector" / "collector-clean-feature.jsonl")
    damaged = render(FIXTURES / "damaged" / "damaged-garbage-lines.jsonl")
    assert 'data-view="diagnostics"' in damaged
    for line in (15, 38, 57):
        assert f'<td class="num">{line}</td>' in damaged


def test_report_loads_nothing_from_the_network() -> None:
    html = render(HOSTILE, *SAMPLES.glob("*.jsonl"))
    for tag, attrs in elements(html):
        assert tag not in ("img", "iframe", "link", "object", "embed", "audio", "video", "base")
        assert "src" not in attrs, (tag, attrs)
        if tag == "a":
            href = attrs.get("href") or ""
            assert href.startswith(("#", "https://", "http://", "mailto:")), href
    [csp] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert re.search(r"script-src 'nonce-[\w-]+'", csp)


def test_only_our_own_scripts_run() -> None:
    html = render(HOSTILE)
    scripts = [a for t, a in elements(html) if t == "script"]
    assert [s.get("type") for s in scripts] == ["application/json", "application/json",
                                                "text/plain", None]
    nonce = re.search(r"'nonce-([\w-]+)'", html).group(1)  # type: ignore[union-attr]
    assert scripts[3]["nonce"] == nonce
    assert html.count("<script") == 4
    assert "window.__pwned" in html  # the payloads are there, as text


def test_trace_strings_are_escaped_everywhere() -> None:
    html = render(HOSTILE)
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    attrs = [a for _, a in elements(html)]
    for a in attrs:
        assert not any(name.startswith("on") for name in a), a


def test_session_ids_from_the_trace_are_attribute_safe() -> None:
    html = render(HOSTILE)
    ids = [a["data-session-id"] for t, a in elements(html) if t == "section" and
           "data-session-id" in a]
    assert ids == ["hostile-a", "<img src=x onerror=window.__pwned=1>"]


def test_markdown_is_safe() -> None:
    out = str(markdown_html("[a](javascript:alert(1)) [b](https://ok.example) "
                            "![c](http://evil.example/x.png) <b>raw</b> [d](data:text/html,x)"))
    assert 'href="https://ok.example"' in out and 'rel="noopener noreferrer nofollow"' in out
    assert "javascript:" not in out.replace("[a](javascript:alert(1))", "")
    assert "<img" not in out and "<b>" not in out and "&lt;b&gt;" in out
    assert 'href="data:' not in out


def test_script_json_cannot_close_the_script_element() -> None:
    text = script_json({"x": "</script><script>alert(1)</script>&\u2028\u2029"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text


def test_chart_labels_are_escaped_for_plotly() -> None:
    html = render(HOSTILE)
    data = html.split('id="chart-data">', 1)[1].split("</script>", 1)[0]
    assert "\\u003cimg" not in data  # no raw tag reaches plotly, even JSON-escaped
    assert "&amp;lt;img" in data or "&lt;img" in data.replace("\\u0026", "&")


def test_report_names_its_sources_time_and_version() -> None:
    html = render(FIXTURES / "collector" / "collector-clean-feature.jsonl")
    assert f"attoreport {attoreport.__version__}" in html
    assert "collector-clean-feature.jsonl</code>" in html
    assert re.search(r"Made \d{4}-\d\d-\d\d \d\d:\d\d UTC", html)


def test_open_session_and_agent_totals_are_explained() -> None:
    crashed = render(FIXTURES / "collector" / "collector-crashed-open-session.jsonl")
    assert "Did not finish" in crashed
    agent = render(FIXTURES / "agent" / "agent-normal-task.jsonl")
    assert "records only the total tokens" in agent
    assert "does not record how many tokens came from the prompt cache" in agent
    assert 'data-chart="s1-cache-chart"' not in agent
    assert 'data-chart="s1-token-flow-chart"' in agent
    assert "does not record the goal" in agent


def test_goal_markdown_is_rendered() -> None:
    html = render(FIXTURES / "collector" / "collector-all-kinds-markdown-goal.jsonl")
    assert "<h4>Migrate the billing service to the new <code>PaymentGateway</code> API</h4>" in html
    assert "<h1>Migrate" not in html  # the goal's headings sit below the report's own
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html


def test_overview_chart_places_sessions_by_position(tmp_path: Path) -> None:
    from attoreport.report.page import build_report

    source = FIXTURES / "collector" / "collector-clean-feature.jsonl"
    copies = []
    for folder in ("a", "b"):  # two traces with the same session id
        (tmp_path / folder).mkdir()
        copies.append(tmp_path / folder / source.name)
        copies[-1].write_bytes(source.read_bytes())
    sessions = attoreport.load([str(c) for c in copies])
    report = build_report([attoreport.analyse(s) for s in sessions], version="x")
    assert report.overview is not None
    figure = report.overview.charts[0].figure
    assert figure["data"][0]["y"] == [0, 1]  # two bars, even with one session id
    assert figure["layout"]["yaxis"]["ticktext"] == ["collector-clean-feature"] * 2


def test_the_html_shows_what_the_views_say() -> None:
    """Template-level checks: each column shows its own number, each group its suggestion."""
    trace = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
    [session] = attoreport.load([str(trace)])
    analysis = attoreport.analyse(session)
    html = attoreport.render_html([analysis])
    issues_html = html.split('data-view="issues"', 1)[1].split('data-view="efficiency"', 1)[0]
    for issue in analysis.issues:
        assert f"What to do: {issue.suggestion}" in issues_html
    points = re.findall(r"<strong data-points>([\d.]+)</strong> of <span data-weight>(\d+)", html)
    assert points == [(f"{c.points:.1f}", f"{c.weight:g}") for c in analysis.efficiency.components]
    for column, key in (("input", "input_tokens"), ("output", "output_tokens"),
                        ("cache-read", "cache_read_tokens"), ("cache-write", "cache_write_tokens")):
        shown = re.findall(rf'data-col="{column}" data-value="([\d.]+)"', html)
        assert [float(v) for v in shown] == [float(getattr(p, key)) for p in
                                            analysis.tokens.token_flow], column
    p95 = re.findall(r'data-col="p95">([^<]+)<', html)
    assert p95[0] == "47.9 s"  # bash: 6 calls, the 95th percentile is the longest


def test_plotly_is_packed_once_per_plotly_version(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from attoreport.report import html as html_module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    html_module.plotly_gzip_base64.cache_clear()
    first = html_module.plotly_gzip_base64()
    [cached] = (tmp_path / "attoreport").glob("plotly-*.min.js.gz.b64")
    assert cached.read_text() == first

    def no_compressing(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("plotly.js compressed again")

    monkeypatch.setattr(html_module.gzip, "compress", no_compressing)
    html_module.plotly_gzip_base64.cache_clear()
    assert html_module.plotly_gzip_base64() == first  # read from the cache, not recompressed
    html_module.plotly_gzip_base64.cache_clear()


def test_only_the_newest_packed_bundles_stay_in_the_cache(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every checkout or install gives the bundle a new time, and so a new cache file: ten
    old ones are pruned to the newest few, the one just written among them."""
    from attoreport.report import html as html_module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "attoreport"
    folder.mkdir()
    for i in range(10):
        old = folder / f"plotly-1-{i}.min.js.gz.b64"
        old.write_text("x")
        os.utime(old, ns=(i * 10**9, i * 10**9))
    (folder / "templates-x").mkdir()  # anything else in the folder is left alone
    html_module.plotly_gzip_base64.cache_clear()
    packed = html_module.plotly_gzip_base64()
    html_module.plotly_gzip_base64.cache_clear()
    left = sorted(p.name for p in folder.glob("plotly-*"))
    assert len(left) == html_module.PLOTLY_CACHE_FILES
    assert [p for p in left if p.startswith("plotly-1-")] == [
        f"plotly-1-{i}.min.js.gz.b64" for i in (7, 8, 9)]
    [new] = [folder / p for p in left if not p.startswith("plotly-1-")]
    assert new.read_text() == packed and (folder / "templates-x").is_dir()


def test_compiled_templates_are_kept_once_per_name_whatever_their_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two installs in different folders share one cache file per template; a changed
    template is compiled again, not served from the other install's code."""
    import jinja2

    from attoreport.report import html as html_module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rendered = []
    for folder, text in (("a", "one {{ x }}"), ("b", "one {{ x }}"), ("c", "two {{ x }}")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "t.j2").write_text(text)
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path / folder),
                                 bytecode_cache=html_module._bytecode_cache())
        rendered.append(env.get_template("t.j2").render(x=1))
    assert rendered == ["one 1", "one 1", "two 1"]
    assert len(list((tmp_path / "cache" / "attoreport").glob("templates-*/*"))) == 1


def test_the_inlined_plotly_is_the_basic_bundle_of_the_plotly_package_version() -> None:
    """The report inlines plotly.js's basic bundle (a quarter of the full one): the same
    plotly.js version as the plotly package declares, and every trace type the report draws
    is one the basic bundle has."""
    import importlib.util

    from attoreport.report import html as html_module

    def version(path: Path) -> str:
        found = re.search(r"plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+)", path.read_text()[:400])
        assert found, path
        return found[1]

    spec = importlib.util.find_spec("plotly")
    assert spec is not None and spec.submodule_search_locations
    full = Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"
    basic = html_module._template_dir() / html_module.PLOTLY_BUNDLE
    assert version(basic) == version(full)
    assert (html_module._template_dir() / "plotly-basic.LICENSE.txt").read_text().startswith(
        "MIT License")
    traces = FIXTURES / "collector"
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(traces)])]
    # Plotly draws the charts of a report with few sections (more are drawn as SVG).
    html = attoreport.render_html(analyses[: DEFAULT_LIMITS.plotly_sections])
    figures = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1])
    types = {trace.get("type", "scatter") for f in figures.values() for trace in f["data"]}
    assert types and types <= {"bar", "scatter", "pie"}
