"""The HTML stage: jinja2 environment, safe Markdown, asset inlining, one self-contained file."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import gzip
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import orjson
from markdown_it import MarkdownIt
from markupsafe import Markup

from attoreport import gcpause
from attoreport.analysis import Analysis
from attoreport.analysis.compare import BaselineComparison
from attoreport.errors import AttoreportError
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.redact import Redactor, redaction_note
from attoreport.report.page import ReportView, build_report

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis

SAFE_SCHEMES = ("http:", "https:", "mailto:")


@gcpause.pausing
def render_html(analyses: Sequence[Analysis], *, version: str, title: str | None = None,
                limits: Limits = DEFAULT_LIMITS, swarms: Sequence[SwarmAnalysis] = (),
                comparison: BaselineComparison | None = None,
                redactor: Redactor | None = None) -> str:
    """The report for these analyses (and swarm runs), as one HTML document with
    everything inlined (with `comparison`, each session is also compared with its baseline
    session). `redactor`: the one the traces were loaded with; the report says what it
    removed (counted once the views, which read event details again, are built).

    At most `limits.html_bytes` bytes: a report over it (text that grows when escaped) is
    made again with halved limits, so no input can push it past."""
    while True:
        view = build_report(analyses, version=version, title=title, limits=limits,
                            swarms=swarms, compared=comparison)
        html = render_view(dataclasses.replace(view, redaction=redaction_note(redactor)))
        smaller = limits.halved()
        if utf8_size(html) <= limits.html_bytes or smaller == limits:
            return html
        limits = smaller


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8, without encoding it (the report is mostly ASCII)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def render_view(view: ReportView) -> str:
    """The HTML of a built view model."""
    figures = {chart.dom_id: chart.figure for chart in view.charts if chart.svg is None}
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=view,
        nonce=secrets.token_urlsafe(18),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        plotly_gz=plotly_gzip_base64() if figures else "",  # static charts need no plotly
        chart_json=Markup(script_json(figures)),
        trace_json=Markup(script_text(view.trace.json)),
    )


def script_json(value: Any) -> str:
    """JSON that is safe inside a `<script>` element: no `<`, `>`, `&`, U+2028 or U+2029."""
    try:
        text = orjson.dumps(value).decode("utf-8")
    except TypeError:  # integers beyond 64 bits
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return script_text(text)


def script_text(text: str) -> str:
    """JSON text made safe inside a `<script>` element (the escapes keep it valid JSON)."""
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")  # an image would be a network request
    md.validateLink = _safe_link  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)

    def heading(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # The goal's headings sit inside the report's own: h1 becomes h4, and so on.
        level = min(int(tokens[idx].tag[1]) + 3, 6)
        return f"<h{level}>" if tokens[idx].nesting == 1 else f"</h{level}>\n"

    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    return md


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


def markdown_html(text: str) -> Markup:
    """Markdown from a trace as HTML: raw HTML escaped, no images, only http(s)/mailto links."""
    return Markup(_markdown().render(text))


# ---------------------------------------------------------------------------
# Templates and assets
# ---------------------------------------------------------------------------


def _template_dir() -> Path:
    """Installed: the package `attoreport.templates`; in a source tree: `templates/`."""
    try:
        return Path(str(resources.files("attoreport.templates")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "templates"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["markdown"] = markdown_html
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the plotly cache: compiling them all takes a quarter
    of a second per run. Jinja checks each entry against its template's source, so an
    edited template is compiled again; a cache folder that cannot be made is skipped."""
    folder = _private(_cache_dir() / f"templates-{jinja2.__version__}")
    return None if folder is None else _ByName(str(folder))


class _ByName(jinja2.FileSystemBytecodeCache):
    """One cache file per template name. Jinja's own key adds the template's path, so each
    install, virtualenv or checkout added a file per template and none was ever removed
    (3,654 files here). A file of another install's template is told apart by its source
    checksum, and compiled again."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha1(name.encode("utf-8", "surrogatepass"),
                            usedforsecurity=False).hexdigest()


@cache
def _asset(name: str) -> str:
    return (_template_dir() / name).read_text(encoding="utf-8")


#: plotly.js's basic bundle (bar, scatter and pie: the only trace types the report draws),
#: from npm's plotly.js-basic-dist-min at the plotly.js version of the plotly package (a test
#: checks they agree). It is a quarter of the full bundle's 4.8 MB: reports are 1.4 MB smaller
#: and the browser evaluates it in a quarter of the time.
PLOTLY_BUNDLE = "plotly-basic.min.js"


@cache
def plotly_gzip_base64() -> str:
    """The plotly.js bundle, gzip-compressed and base64-encoded (about 0.5 MB).

    The page unpacks it with the browser's DecompressionStream. Compressing takes a noticeable
    fraction of a second, so the result is kept in the user's cache folder, one file per
    bundle (its size and time). Each install or checkout gives the bundle a new time, so only
    the newest `PLOTLY_CACHE_FILES` files are kept (they once piled up, 0.5 MB each).
    """
    bundle = _template_dir() / PLOTLY_BUNDLE
    try:
        stat = bundle.stat()
    except OSError as exc:
        raise AttoreportError(f"plotly.js is missing ({bundle}): reinstall attoreport") from exc
    folder = _private(_cache_dir())
    cached = (folder / f"plotly-{stat.st_size}-{stat.st_mtime_ns}.min.js.gz.b64"
              if folder is not None else None)
    text = _read_own(cached) if cached is not None else None
    if text:
        return text
    text = base64.b64encode(gzip.compress(bundle.read_bytes(), compresslevel=9,
                                          mtime=0)).decode("ascii")
    if cached is not None:
        _store(cached, text)
        _prune(cached.parent.glob("plotly-*.min.js.gz.b64"), PLOTLY_CACHE_FILES)
    return text


#: Packed bundles kept in the cache folder: a few installs side by side (a virtualenv per
#: project) each find theirs.
PLOTLY_CACHE_FILES = 4


def _prune(files: Iterable[Path], keep: int) -> None:
    """Remove all but the `keep` most recently written of these cache files."""
    dated = []
    for path in files:
        try:
            dated.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    dated.sort(reverse=True)
    for _, path in dated[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "attoreport"


def _private(folder: Path) -> Path | None:
    """`folder` (made if need be, for this user only), or None when someone else could write
    to it: what is read back from the cache runs in the reader's browser (plotly.js) or in
    this process (compiled templates)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder if _own(folder.stat()) else None
    except OSError:
        return None


def _own(info: os.stat_result) -> bool:
    """This user's, and writable by no one else."""
    return not hasattr(os, "getuid") or (info.st_uid == os.getuid()
                                         and not info.st_mode & 0o022)


def _read_own(path: Path) -> str | None:
    """A cache file's text, unless it is missing, unreadable, not ASCII or not one's own."""
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read() if _own(os.fstat(fh.fileno())) else None
    except (OSError, ValueError):
        return None


def _store(path: Path, text: str) -> None:
    """Write the cache file atomically, readable by this user only; a cache that cannot be
    written is simply skipped."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="ascii") as fh:
            fh.write(text)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
