"""report.html: one self-contained file, no code cells, plotly.js once, nothing fetched, data escaped."""

from __future__ import annotations

import re

import nbformat
import pytest

from audit.errors import ExportError
from audit.report.export import verify_offline

from .handmade import XSS


@pytest.fixture(scope="module")
def page(handmade_report) -> str:
    return handmade_report.report.read_text(encoding="utf-8")


def _without_plotlyjs(page: str) -> str:
    """The page minus the inlined plotly.js library (whose own source mentions CDNs it never uses here)."""
    start = page.index("<script type=\"text/javascript\">\n/**")
    end = page.index("</script>", start)
    return page[:start] + page[end:]


def test_plotly_inlined_exactly_once_and_no_external_reference(page) -> None:
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1
    verify_offline(page)
    page = _without_plotlyjs(page)
    assert not re.search(r"""=\s*["']?\s*(https?:)?//""", page)  # no attribute points off the file
    assert 'src="http' not in page and "src='http" not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "require.min.js" not in page and "MathJax.js" not in page and "cdn.jsdelivr" not in page


def test_content_security_policy_forbids_fetches(page) -> None:
    """Defence in depth: even a mistake in escaping could not load anything from elsewhere."""
    tag = re.search(r'<meta[^>]*http-equiv="Content-Security-Policy"[^>]*>', page)
    assert tag, "no CSP meta tag"
    policy = re.search(r'content="([^"]+)"', tag.group(0)).group(1)
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy and "http" not in policy


def test_no_code_cells_or_prompts(page) -> None:
    page = _without_plotlyjs(page)
    assert "sections." not in page and "from audit.report" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert "snapshot_date" not in page  # the parameters cell is code: not shown


def test_every_section_is_there(page) -> None:
    for title in ("1. Where we stand", "2. The pick", "Findings", "3. Shared deployment patterns", "4. Payoff curve",
                  "5. Delivery per client and team", "6. Onboarding baseline", "7. Appendix"):
        assert title in page


def test_figures_match_the_notebook(page, handmade_report) -> None:
    nb = nbformat.read(str(handmade_report.dir / "04_lead_meeting_report.ipynb"), as_version=4)
    figures = sum(1 for c in nb.cells for o in c.get("outputs", [])
                  if "application/vnd.plotly.v1+json" in o.get("data", {}))
    assert figures == 7
    assert page.count('class="plotly-graph-div"') == figures


def test_data_is_escaped(page) -> None:
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page


@pytest.mark.parametrize("bad", [
    '<script src="https://cdn.example/require.js"></script>',
    '<img src="http://tracker.example/p.gif">',
    '<link rel="stylesheet" href="style.css">',
    '<div style="background:url(//x.example/a.png)"></div>',
    "<style>@import 'x.css';</style>",
])
def test_verify_offline_rejects_external_references(page, bad) -> None:
    with pytest.raises(ExportError, match="outside the file"):
        verify_offline(page.replace("</main>", bad + "</main>"))


def test_verify_offline_rejects_missing_or_double_plotly(page) -> None:
    start = page.index("<script type=\"text/javascript\">\n/**")
    end = page.index("</script>", start) + len("</script>")
    with pytest.raises(ExportError, match="exactly once"):
        verify_offline(page[:start] + page[end:])
    with pytest.raises(ExportError, match="exactly once"):
        verify_offline(page[:end] + page[start:end] + page[end:])
