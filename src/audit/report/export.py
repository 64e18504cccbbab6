"""nbconvert export of the executed meeting notebook into one self-contained, offline HTML file.

nbconvert's stock templates load require.js and MathJax from a CDN; ours (templates/report) has
no code cells, no prompts, no external reference, and inlines plotly.js exactly once in the head.
`verify_offline` checks the result so a template change can never ship a page that phones home.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from plotly.offline import get_plotlyjs

from audit._version import __version__
from audit.errors import ExportError

TEMPLATES = Path(__file__).parent / "templates"
SCRIPT = TEMPLATES / "report" / "report.js"  # contents, sortable and filterable tables: inline, offline
PLOTLY_BANNER = re.compile(r"\* plotly\.js v\d")
# Anything a browser would fetch by itself: src/href/url()/@import pointing off the file.
_EXTERNAL = [
    re.compile(r"""<script\b[^>]*\bsrc\s*=""", re.I),
    re.compile(r"""<link\b[^>]*\bhref\s*=""", re.I),
    re.compile(r"""\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:|ftp:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""<style\b[^>]*>[^<]*@import""", re.I),
]

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --line: #d9d9d9; --accent: #0072B2; --soft: #f3f6f9; }
* { box-sizing: border-box; }
html { font-size: 18px; }
body { margin: 0; color: var(--ink); background: #fff;
       font-family: "Segoe UI", "Helvetica Neue", Helvetica, Arial, sans-serif; line-height: 1.45; }
main.report { max-width: 1500px; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 2.1rem; margin: 0.5rem 0 0.8rem; }
h2 { font-size: 1.6rem; margin: 2.4rem 0 0.6rem; padding-bottom: 0.3rem; border-bottom: 3px solid var(--accent); }
h3 { font-size: 1.25rem; margin: 1.2rem 0 0.4rem; }
p, li, dd { font-size: 1rem; }
.md p { color: var(--muted); }
.output { margin: 0.6rem 0 1.2rem; overflow-x: hidden; }
.audit-facts, .item-facts { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 0.6rem 0; }
.card { background: var(--soft); border-radius: 8px; padding: 0.6rem 1rem; min-width: 9rem; }
.card .value { font-size: 1.7rem; font-weight: 700; white-space: nowrap; font-variant-numeric: tabular-nums; }
.card .label { font-size: 0.85rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }
.item-facts { flex-wrap: nowrap; gap: 0.5rem; }
.item-facts .card { flex: 1 1 0; min-width: 0; padding: 0.4rem 0.6rem; }
.item-facts .card .value { font-size: 1.3rem; }
.item-facts .card .label { font-size: 0.75rem; }
.items { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 640px), 1fr)); }
.item { border: 1px solid var(--line); border-left: 6px solid var(--accent); border-radius: 8px; padding: 0.8rem 1.2rem; }
.item-title { font-size: 1.35rem; font-weight: 700; overflow-wrap: anywhere; }
.warning { border-left: 4px solid #b45309; background: #fffbeb; padding: .5rem .75rem; font-weight: 600; }
.item .rank { display: inline-block; min-width: 2rem; text-align: center; color: #fff; background: var(--accent);
              border-radius: 6px; margin-right: 0.4rem; }
.item dl { display: grid; grid-template-columns: 7.5rem 1fr; gap: 0.2rem 1rem; margin: 0.4rem 0 0; }
.item dt { font-weight: 600; color: var(--muted); }
.item dd { margin: 0; overflow-wrap: anywhere; }
.audit-table-wrap { width: 100%; overflow-x: auto; }
table.audit-table { width: 100%; border-collapse: collapse; table-layout: auto; font-size: 0.92rem; }
table.audit-table th, table.audit-table td { text-align: left; vertical-align: top; padding: 0.35rem 0.55rem;
    border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
table.audit-table td:last-child { overflow-wrap: anywhere; }
table.audit-table th { background: var(--soft); font-weight: 600; word-break: keep-all; }
table.audit-table tr:nth-child(even) td { background: #fafafa; }
.audit-empty { color: var(--muted); font-style: italic; }
.card .total { font-size: 0.9rem; font-weight: 400; color: var(--muted); }
nav.toc { background: var(--soft); border-radius: 8px; padding: 0.6rem 1.2rem; margin: 0.8rem 0 1.2rem; }
nav.toc .toc-title { font-weight: 700; }
nav.toc ol { margin: 0.3rem 0; padding-left: 1.2rem; columns: 2 18rem; }
nav.toc a { color: var(--accent); text-decoration: none; }
th.sortable { cursor: pointer; }
th.sortable::after { content: " ↕"; color: #9a9a9a; font-size: 0.8em; }
th[aria-sort="ascending"]::after { content: " ↑"; color: var(--ink); }
th[aria-sort="descending"]::after { content: " ↓"; color: var(--ink); }
.table-filter { display: flex; gap: 0.6rem; align-items: center; margin: 0.4rem 0; }
.table-filter input { font: inherit; font-size: 0.9rem; padding: 0.25rem 0.5rem; border: 1px solid var(--line);
                      border-radius: 6px; min-width: 0; flex: 0 1 18rem; }
.table-count { color: var(--muted); font-size: 0.85rem; }
details.more { display: inline; }
details.more summary { display: inline; cursor: pointer; color: var(--accent); }
svg.spark { color: var(--accent); vertical-align: middle; }
.js-plotly-plot, .plotly-graph-div { max-width: 100%; }
@media (max-width: 700px) {
  html { font-size: 15px; }
  main.report { padding: 0.8rem 0.7rem 2rem; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; }
  .card { min-width: 0; flex: 1 1 8rem; padding: 0.5rem 0.7rem; }
  .card .value { font-size: 1.35rem; }
  .item-facts { flex-wrap: wrap; }
  .item-facts .card { flex: 1 1 40%; }
  .item { padding: 0.6rem 0.8rem; }
  .item dl { grid-template-columns: 1fr; }
  nav.toc ol { columns: 1; }
}
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85rem; background: var(--soft); padding: 0.6rem; }
pre.error { background: #fde8e1; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; }
@media print {
  @page { margin: 14mm 12mm; }
  html { font-size: 11pt; }
  main.report { max-width: none; padding: 0; }
  h2 { break-before: page; } h2.first-section { break-before: avoid; }
  h2, h3 { break-after: avoid; }
  .item, .card, tr, .output { break-inside: avoid; }
  .modebar, .modebar-container, .table-filter, nav.toc { display: none !important; }
  .audit-table-wrap { overflow: visible; }
  table.audit-table { table-layout: fixed; font-size: 8.5pt; }
  table.audit-table th, table.audit-table td { overflow-wrap: anywhere; word-break: break-word; padding: 2pt 4pt; }
  th.sortable::after { content: none; }
  .items { display: block; } .item { margin-bottom: 8pt; }
  details.more { display: inline; } details.more > *:not(summary) { display: inline; }
}
"""


def verify_offline(page: str) -> None:
    """Raise unless the page inlines plotly.js exactly once and references nothing outside itself."""
    banners = len(PLOTLY_BANNER.findall(page))
    if banners != 1:
        raise ExportError(f"report.html must inline plotly.js exactly once, found {banners} copies")
    start = page.find("<script type=\"text/javascript\">\n/**")
    end = page.find("</script>", start)
    rest = page[:start] + page[end:] if start >= 0 else page
    for pattern in _EXTERNAL:
        match = pattern.search(rest)
        if match:
            around = rest[max(0, match.start() - 60): match.end() + 60].replace("\n", " ")
            raise ExportError(f"report.html references something outside the file: ...{around}...")


def export_report(notebook: str | Path, html_path: str | Path, *, title: str = "CI/CD audit",
                  snapshot_date: str = "") -> Path:
    """Executed notebook -> self-contained HTML (outputs and markdown only), verified offline."""
    nb = nbformat.read(str(notebook), as_version=4)
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            exclude_anchor_links=True)
    resources = {"report_title": title, "report_css": CSS, "plotly_js": get_plotlyjs(),
                 "report_js": SCRIPT.read_text(encoding="utf-8"),
                 "tool_version": __version__, "snapshot_date": snapshot_date}
    page, _ = exporter.from_notebook_node(nb, resources=resources)
    verify_offline(page)
    html_path = Path(html_path)
    html_path.write_text(page, encoding="utf-8")
    return html_path
