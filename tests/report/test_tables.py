"""Escaping and the 'unknown, never a fake zero' rule of the report's HTML."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.report.tables import esc, expandable, facts, html_table, join_list, number, percent

from .handmade import XSS


def test_esc_escapes_markup_and_quotes() -> None:
    assert esc(XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert esc('a"b\'c') == "a&quot;b&#x27;c"
    assert esc(None) == esc(float("nan")) == esc(pd.NaT) == "unknown"


def test_html_table_escapes_cells_headings_and_lists() -> None:
    df = pd.DataFrame({"name": [XSS, "ok"], "clients": [np.array(["a", "<b>"]), None], "n": [1.5, None]})
    out = html_table(df, {"name": "name <i>", "clients": "clients", "n": "n"}, {"n": number}).data
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<b>" not in out and "a, &lt;b&gt;" in out
    assert "name &lt;i&gt;" in out
    assert ">unknown<" in out and ">2<" in out  # 1.5 rounds to 2 with number(), missing is 'unknown'


def test_empty_table_says_so() -> None:
    out = html_table(pd.DataFrame(columns=["a"]), empty=f"nothing {XSS}").data
    assert "audit-empty" in out and "<script>" not in out


def test_helpers() -> None:
    assert join_list(["a", "b", "c"], limit=2) == "a, b … (+1 more)"
    assert join_list(None) == "—"
    assert percent(0.256) == "26%" and percent(None) == "unknown"
    assert "<script>" not in facts([(XSS, XSS)])


def test_long_lists_open_in_place_and_stay_escaped() -> None:
    clients = [f"c{i}" for i in range(10)] + ["<b>x</b>"]
    cell = expandable(clients, limit=8)
    assert cell.startswith("c0, c1, c2, c3, c4, c5, c6, c7 <details class=\"more\"><summary>+3 more</summary>")
    assert "c8, c9, &lt;b&gt;x&lt;/b&gt;</details>" in cell and "<b>" not in cell
    assert expandable(["a", "b"]) == "a, b" and expandable([]) == "—"
    table = html_table(pd.DataFrame({"client_list": [clients], "name": ["<i>n</i>"]})).data
    assert "<details class=\"more\">" in table and "&lt;i&gt;n&lt;/i&gt;" in table and "<i>" not in table
