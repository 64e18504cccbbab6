"""report.html in real headless chromium: charts drawn, no console error, nothing fetched, XSS inert."""

from __future__ import annotations

import os

import pytest

from .browser import check_report
from .cdp import CHROMIUM
from .handmade import XSS

# Missing chromium is a failure, not a silent skip (CI installs it); opt out explicitly if you must.
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(os.environ.get("CICD_AUDIT_SKIP_BROWSER") == "1", reason="CICD_AUDIT_SKIP_BROWSER=1")]


def setup_module() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (or CICD_AUDIT_SKIP_BROWSER=1)")


def test_report_renders_offline_and_safely(handmade_report, tmp_path) -> None:
    page = check_report(handmade_report.report, tmp_path / "report.png")
    assert page.figures_expected == 6
    assert page.figures_in_dom == page.figures_rendered == page.figures_expected
    assert page.console_errors == []
    assert page.requests and all(u.startswith(("file://", "data:")) for u in page.requests), page.requests
    assert page.dialogs == []  # alert(1) never ran
    assert page.live_xss_scripts == 0
    assert XSS in page.visible_text  # shown as text, literally
    assert "1. Where we stand" in page.visible_text and "7. Appendix" in page.visible_text
    png = page.screenshot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 50_000


def test_harness_sees_a_live_script_and_a_fetch(tmp_path) -> None:
    """The checks can fail: an unescaped page trips the dialog, console and network detectors."""
    from .cdp import Chromium

    bad = tmp_path / "bad.html"
    bad.write_text(f"<html><body>{XSS}<img src='http://127.0.0.1:9/x.png'>"
                   "<script>console.error('boom')</script></body></html>")
    with Chromium() as browser:
        browser.open(bad.as_uri())
        browser.wait_until("document.readyState === 'complete'")
        assert browser.dialogs() == ["1"]
        assert any("boom" in e for e in browser.console_errors())
        assert any(u.startswith("http://127.0.0.1:9/") for u in browser.requests())
