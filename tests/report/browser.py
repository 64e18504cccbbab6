"""Open a report.html in headless chromium and check what a lead would see (shared by browser tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from .cdp import Chromium


@dataclass
class PageCheck:
    figures_expected: int
    figures_in_dom: int
    figures_rendered: int
    console_errors: list[str]
    requests: list[str]
    dialogs: list[str]
    live_xss_scripts: int
    visible_text: str
    screenshot: Path


def expected_figures(executed_notebook: Path) -> int:
    nb = nbformat.read(str(executed_notebook), as_version=4)
    return sum(1 for c in nb.cells for o in c.get("outputs", [])
               if "application/vnd.plotly.v1+json" in o.get("data", {}))


def check_report(report: Path, screenshot: Path) -> PageCheck:
    """Load the page, wait for every plotly chart to draw, collect console/network/dialog events."""
    expected = expected_figures(report.parent / "04_lead_meeting_report.ipynb")
    with Chromium() as browser:
        browser.open(report.resolve().as_uri())
        browser.wait_until(
            "document.querySelectorAll('.plotly-graph-div').length > 0 && "
            "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg.main-svg'))")
        in_dom = browser.evaluate("document.querySelectorAll('.plotly-graph-div').length")
        rendered = browser.evaluate(
            "[...document.querySelectorAll('.plotly-graph-div.js-plotly-plot')]"
            ".filter(d => d.querySelector('svg.main-svg') && d.getBoundingClientRect().height > 100).length")
        live = browser.evaluate("[...document.scripts].filter(s => s.textContent.trim() === 'alert(1)').length")
        text = browser.evaluate("document.body.innerText")
        shot = browser.screenshot(screenshot)
        return PageCheck(expected, in_dom, rendered, browser.console_errors(), browser.requests(),
                         browser.dialogs(), live, text, shot)
