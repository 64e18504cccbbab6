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
    assert page.figures_expected == 7
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


def _charts_drawn(browser) -> None:
    browser.wait_until("[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg.main-svg'))")


def test_phone_width_has_no_page_scroll_and_every_chart_fits(handmade_report) -> None:
    """At 390 px the page is as wide as the viewport; tables scroll inside their box; numbers never break."""
    from .cdp import Chromium

    with Chromium(width=390, height=800, timeout=90) as browser:
        browser.open(handmade_report.report.resolve().as_uri())
        browser.call("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 800, "deviceScaleFactor": 1,
                                                            "mobile": True})
        _charts_drawn(browser)
        browser.evaluate("new Promise(r => setTimeout(r, 800))")  # responsive charts re-layout
        assert browser.evaluate("document.documentElement.scrollWidth") == 390
        widths = browser.evaluate("[...document.querySelectorAll('.plotly-graph-div')]"
                                  ".map(d => Math.round(d.getBoundingClientRect().right))")
        assert widths and max(widths) <= 390, widths
        # a tile's number is on one line: its height is one line of its font
        broken = browser.evaluate("[...document.querySelectorAll('.card .value')].filter(v => "
                                  "v.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(v).lineHeight"
                                  " || getComputedStyle(v).fontSize)).map(v => v.textContent)")
        assert broken == []


def test_print_hides_the_toolbar_and_no_table_is_wider_than_the_page(handmade_report, tmp_path) -> None:
    from .cdp import Chromium

    with Chromium(width=794, height=1123) as browser:  # A4 at 96 dpi
        browser.open(handmade_report.report.resolve().as_uri())
        _charts_drawn(browser)
        browser.call("Emulation.setEmulatedMedia", {"media": "print"})
        browser.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert browser.evaluate("[...document.querySelectorAll('.modebar-container, .modebar, nav.toc, "
                                ".table-filter')].every(e => getComputedStyle(e).display === 'none')")
        page = browser.evaluate("document.querySelector('main.report').getBoundingClientRect().width")
        tables = browser.evaluate("[...document.querySelectorAll('table.audit-table')]"
                                  ".map(t => Math.ceil(t.getBoundingClientRect().width))")
        assert tables and max(tables) <= page + 1, (page, tables)
        assert browser.evaluate("getComputedStyle(document.querySelector('h2.first-section')).breakBefore") == "avoid"
        pdf = browser.call("Page.printToPDF", {"printBackground": True})["data"]
        assert len(pdf) > 10_000


def test_contents_and_sortable_filterable_tables(handmade_report) -> None:
    from .cdp import Chromium

    with Chromium() as browser:
        browser.open(handmade_report.report.resolve().as_uri())
        _charts_drawn(browser)
        toc = browser.evaluate("[...document.querySelectorAll('nav.toc a')].map(a => a.textContent)")
        heads = browser.evaluate("[...document.querySelectorAll('main.report h2')].map(h => h.textContent)")
        assert toc == heads and len(toc) >= 5
        assert browser.evaluate("[...document.querySelectorAll('nav.toc a')].every(a => "
                                "document.getElementById(a.hash.slice(1)))")
        # the first sortable table with a numeric column: sorting it orders the numbers, unknown last
        result = browser.evaluate("""(() => {
          for (const t of document.querySelectorAll('table.audit-table')) {
            const ths = [...t.tHead.rows[0].cells];
            for (let c = 0; c < ths.length; c++) {
              const cells = () => [...t.tBodies[0].rows].map(r => r.cells[c].textContent.trim());
              const nums = cells().filter(v => /^[0-9]/.test(v));
              if (nums.length < 3 || new Set(nums).size < 2) continue;
              ths[c].click(); const up = cells(); ths[c].click(); const down = cells();
              return {up, down};
            }
          }
          return null;
        })()""")
        assert result is not None
        num = [float(v.replace(",", "").split()[0].rstrip("%")) for v in result["up"] if v[:1].isdigit()]
        assert num == sorted(num)
        down = [float(v.replace(",", "").split()[0].rstrip("%")) for v in result["down"] if v[:1].isdigit()]
        assert down == sorted(down, reverse=True)
        for order in (result["up"], result["down"]):  # unknown sorts last both ways
            known = [v[:1].isdigit() for v in order]
            assert known == sorted(known, reverse=True)



def test_long_tables_get_a_filter(tmp_path) -> None:
    """The report's own script and table HTML: a table over 8 rows gets a filter box that hides the rest."""
    import pandas as pd

    from audit.report.export import CSS, SCRIPT
    from audit.report.tables import html_table

    from .cdp import Chromium

    rows = pd.DataFrame({"client": [f"client-{i:02d}" for i in range(12)], "units": list(range(12))})
    page = tmp_path / "t.html"
    page.write_text(f"<html><head><style>{CSS}</style></head><body><main class='report'>"
                    f"{html_table(rows).data}{html_table(rows.head(3)).data}</main>"
                    f"<script>{SCRIPT.read_text()}</script></body></html>")
    with Chromium() as browser:
        browser.open(page.as_uri())
        assert browser.evaluate("document.querySelectorAll('.table-filter').length") == 1  # not on 3 rows
        got = browser.evaluate("""(() => {
          const box = document.querySelector('.table-filter input');
          box.value = 'client-1'; box.dispatchEvent(new Event('input'));
          const table = box.parentNode.nextElementSibling.querySelector('table');
          return {shown: [...table.tBodies[0].rows].filter(r => !r.hidden).map(r => r.cells[0].textContent),
                  count: box.parentNode.querySelector('.table-count').textContent};
        })()""")
        assert got == {"shown": ["client-10", "client-11"], "count": "2 of 12 rows"}
