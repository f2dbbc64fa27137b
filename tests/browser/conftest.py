"""Browser-test harness: Debian's Chromium driven by Playwright, fully offline.

Fixtures (see each docstring):
    chromium_executable -> str                      (session)
    browser             -> playwright Browser       (session)
    open_report         -> (path, javascript_enabled=True) -> ReportPage
    run_axe             -> (page) -> list[dict]     serious/critical axe violations
    save_screenshot     -> (page, name) -> Path     test-artifacts/screenshots/<name>.png
    expect              -> playwright's expect      (imported when a test asks for it)

Tests using them should be marked ``@pytest.mark.browser`` (select with ``-m browser``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route, WebSocketRoute

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

# Without these, Chromium tries to reach Google services (refused here) at start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
BLOCKED_HTTP = re.compile(r"^https?://", re.IGNORECASE)
BLOCKED_WS = re.compile(r"^wss?://", re.IGNORECASE)
APT_TIMEOUT_S = 900

# Pages opened by open_report with JavaScript disabled (run_axe needs to know).
_NO_JS_PAGES: weakref.WeakSet[Page] = weakref.WeakSet()
_unavailable_reason: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: renders HTML in headless Chromium (tests/browser)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _unavailable_reason:
        terminalreporter.write_line(f"browser tests skipped: {_unavailable_reason[0]}", yellow=True)


def _unavailable(reason: str) -> NoReturn:
    """Fail on CI (env CI set), skip elsewhere, always with the reason shown."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    if not _unavailable_reason:
        _unavailable_reason.append(reason)
    pytest.skip(reason)


def _find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


def _apt_install_chromium() -> str | None:
    """Install Debian's chromium when root with apt-get; return an error text or None."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root or no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=APT_TIMEOUT_S, check=True)
        except subprocess.TimeoutExpired:
            return f"{' '.join(cmd)} timed out after {APT_TIMEOUT_S}s"
        except subprocess.CalledProcessError as exc:
            return f"{' '.join(cmd)} exited {exc.returncode}: {exc.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of Chromium; installs Debian's package via apt-get if missing (root only)."""
    if path := _find_chromium():
        return path
    error = _apt_install_chromium()
    if path := _find_chromium():
        return path
    _unavailable(f"Chromium not found (/usr/bin/chromium, chromium, chromium-browser) and "
                 f"automatic install failed: {error or 'package installed but no binary'}; "
                 f"run: apt-get update && apt-get install -y chromium")


@pytest.fixture
def expect() -> Any:
    """Playwright's `expect`. Imported by the tests that use it, not by their modules:
    collecting the browser tests (to leave them out too, with -m "not browser") then
    imports no Playwright (0.23 s in each process)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("python package 'playwright' is not installed (pip install playwright)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS,
                                      headless=True)
        yield instance
        instance.close()


@dataclass
class ReportPage:
    page: Page
    console_errors: list[str] = field(default_factory=list)
    """console.error() texts (incl. Chromium's "Failed to load resource" for blocked
    requests) and "pageerror: ..." for uncaught exceptions."""
    network_requests: list[str] = field(default_factory=list)
    """Every requested URL whose scheme is not file:, data:, blob: or about: (all blocked)."""


class OpenReport(Protocol):
    def __call__(self, path: str | os.PathLike[str], javascript_enabled: bool = True) -> ReportPage: ...


@pytest.fixture
def open_report(browser: Browser) -> Iterator[OpenReport]:
    """open_report(path, javascript_enabled=True) -> ReportPage, loaded from its file:// URL.

    http(s) and ws(s) requests are aborted but recorded. Contexts close after the test.
    """
    contexts: list[BrowserContext] = []

    def _open(path: str | os.PathLike[str], javascript_enabled: bool = True) -> ReportPage:
        context = browser.new_context(java_script_enabled=javascript_enabled)
        contexts.append(context)
        context.set_default_timeout(15_000)
        page = context.new_page()
        report = ReportPage(page)

        def _record(url: str) -> None:
            if not url.lower().startswith(LOCAL_SCHEMES):
                report.network_requests.append(url)

        def _block(route: Route) -> None:
            route.abort("blockedbyclient")

        def _block_ws(ws: WebSocketRoute) -> None:
            _record(ws.url)  # websockets emit no "request" event
            ws.close()

        context.on("request", lambda request: _record(request.url))
        context.route(BLOCKED_HTTP, _block)
        context.route_web_socket(BLOCKED_WS, _block_ws)
        page.on("console", lambda msg: report.console_errors.append(msg.text)
                if msg.type == "error" else None)
        page.on("pageerror",
                lambda exc: report.console_errors.append(f"pageerror: {exc.name}: {exc.message}"))
        if not javascript_enabled:
            _NO_JS_PAGES.add(page)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        return report

    yield _open
    for context in contexts:
        context.close()


# With JavaScript disabled Chromium runs no timers, queueMicrotask or MutationObserver
# callbacks (only promise jobs), so axe.run() would never settle. On such pages, where no
# page script runs anyway, replace setTimeout with promise jobs; delayed (>1 ms) callbacks
# are axe's timeouts and are dropped.
_NO_JS_TIMER_SHIM = """() => {
  window.setTimeout = (fn, ms, ...args) => {
    if (!(ms > 1)) Promise.resolve().then(() => typeof fn === "function" && fn(...args));
    return 0;
  };
  window.clearTimeout = () => {};
}"""


def _run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core (bundled in axe-playwright-python, injected via page.evaluate: no fetch)."""
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if page in _NO_JS_PAGES:
        page.evaluate(_NO_JS_TIMER_SHIM)
        options["iframes"] = False  # frame pings need message events
    results = Axe().run(page, options=options)
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def _save_screenshot(page: Page, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "screenshot"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


@pytest.fixture
def run_axe() -> Callable[[Page], list[dict[str, Any]]]:
    """run_axe(page) -> axe violations (dicts: id, impact, help, nodes, ...) that are
    "serious" or "critical"; works on JavaScript-disabled pages too."""
    return _run_axe


@pytest.fixture
def save_screenshot() -> Callable[[Page, str], Path]:
    """save_screenshot(page, name) -> Path of test-artifacts/screenshots/<name>.png (full page)."""
    return _save_screenshot
