"""Self-checks proving the browser harness (conftest.py) does what it promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import OpenReport

pytestmark = pytest.mark.browser

HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'


def write(tmp_path: Path, body: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(f"{HEAD}<body><main><h1>Test</h1>{body}</main></body></html>", encoding="utf-8")
    return path


def test_clean_page_has_no_errors_or_requests(open_report: OpenReport, tmp_path: Path) -> None:
    report = open_report(write(tmp_path, "<p>hello</p><script>document.title = 'ok'</script>"))
    assert report.page.title() == "ok"
    assert report.console_errors == []
    assert report.network_requests == []


def test_throwing_script_is_a_console_error(open_report: OpenReport, tmp_path: Path) -> None:
    report = open_report(write(tmp_path, "<script>throw new Error('boom')</script>"))
    assert any("boom" in e for e in report.console_errors), report.console_errors


def test_console_error_call_is_recorded(open_report: OpenReport, tmp_path: Path) -> None:
    report = open_report(write(tmp_path, "<script>console.error('bad thing')</script>"))
    assert report.console_errors == ["bad thing"]


def test_remote_image_is_recorded_and_blocked(open_report: OpenReport, tmp_path: Path) -> None:
    report = open_report(write(tmp_path, '<img src="http://example.com/x.png" alt="x">'))
    assert report.network_requests == ["http://example.com/x.png"]
    loaded = report.page.evaluate("document.querySelector('img').naturalWidth")
    assert loaded == 0  # aborted, so nothing was fetched


def test_script_requests_and_websockets_are_recorded(open_report: OpenReport,
                                                     tmp_path: Path) -> None:
    script = ("<script>fetch('https://example.com/api').catch(() => {});"
              "new WebSocket('wss://example.com/socket');</script>")
    report = open_report(write(tmp_path, script))
    report.page.wait_for_timeout(500)
    assert "https://example.com/api" in report.network_requests
    assert "wss://example.com/socket" in report.network_requests


def test_javascript_disabled_does_not_run_scripts(open_report: OpenReport,
                                                  tmp_path: Path) -> None:
    path = write(tmp_path, "<script>document.body.dataset.js = '1'</script>")
    assert open_report(path).page.evaluate("document.body.dataset.js") == "1"
    assert open_report(path, javascript_enabled=False).page.evaluate(
        "document.body.dataset.js") is None


@pytest.mark.parametrize("javascript_enabled", [True, False])
@pytest.mark.parametrize("body, rule", [
    ('<img src="x.png">', "image-alt"),
    ("<button></button>", "button-name"),
])
def test_axe_finds_serious_violations(open_report: OpenReport,
                                      run_axe: Callable[[Any], list[dict[str, Any]]],
                                      tmp_path: Path, body: str, rule: str,
                                      javascript_enabled: bool) -> None:
    report = open_report(write(tmp_path, body), javascript_enabled=javascript_enabled)
    violations = run_axe(report.page)
    assert rule in {v["id"] for v in violations}
    assert all(v["impact"] in ("serious", "critical") for v in violations)
    assert report.network_requests == []  # axe-core is injected, never fetched


@pytest.mark.parametrize("javascript_enabled", [True, False])
def test_axe_passes_clean_page(open_report: OpenReport,
                               run_axe: Callable[[Any], list[dict[str, Any]]],
                               tmp_path: Path, javascript_enabled: bool) -> None:
    body = '<p>Some text.</p><img src="x.png" alt="chart"><button type="button">Go</button>'
    report = open_report(write(tmp_path, body), javascript_enabled=javascript_enabled)
    assert run_axe(report.page) == []


def test_screenshot_is_written(open_report: OpenReport,
                               save_screenshot: Callable[[Any, str], Path],
                               tmp_path: Path) -> None:
    report = open_report(write(tmp_path, "<p>" + "line<br>" * 200 + "</p>"))
    path = save_screenshot(report.page, "harness selfcheck")
    assert path.name == "harness_selfcheck.png"
    assert path.parent.parts[-2:] == ("test-artifacts", "screenshots")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 1000
