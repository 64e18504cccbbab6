"""Figures are pure functions of the analysis tables: right shape, safe labels, something on empty input."""

from __future__ import annotations

import json

import pandas as pd
import plotly.io as pio
import pytest

from audit.report import figures as fg
from audit.store.schema import empty_frame

from .handmade import analysis_tables


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {k: pd.DataFrame(v) for k, v in analysis_tables().items()}


def _strings(fig) -> str:
    return json.dumps(fig.to_plotly_json()["data"], default=str)


def test_overlap_heatmap_is_clients_by_patterns(tables) -> None:
    fig = fg.overlap_heatmap(tables["overlap"], "client")
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert set(heat.x) == {"acme", "globex", "initech", "umbrella"}
    assert len(heat.y) == tables["patterns"]["fingerprint"].nunique()
    # acme runs two patterns (its pipeline and a manual bucket): two filled cells in its column
    col = list(heat.x).index("acme")
    assert sum(1 for row in heat.z if row[col] is not None) == 2
    assert set(heat.colorbar.ticktext) == {"not crawled", "runs it"}  # categories, not a 0-1 scale


def test_overlap_heatmap_shows_clients_not_crawled(tables) -> None:
    heat = fg.overlap_heatmap(tables["overlap"], "client", not_crawled=["hooli"]).data[0]
    assert heat.x[-1] == "hooli (not crawled)"
    assert all(row[-1] == fg.NOT_CRAWLED for row in heat.z) and all(row[-1] == "—" for row in heat.text)


def test_payoff_curve_is_cumulative_in_build_order_labelled_by_step(tables) -> None:
    fig = fg.payoff_curve(tables["ranking"])
    line = fig.data[0]
    assert list(line.x) == [0.0, 3.0, 11.0, 13.0, 18.0, 19.0]
    assert list(line.y) == sorted(line.y)
    assert len(fig.data[1].x) + len(fig.data[2].x) == len(tables["ranking"])
    # the labelled points are the pick, labelled with the same step numbers as the cards and the backlog
    assert list(fig.data[1].text) == ["1", "2", "3"] and fig.data[1].name == "the pick"
    assert list(fig.data[1].x) == [3.0, 11.0, 13.0]


def test_rank_stability_and_families(tables) -> None:
    fig = fg.rank_stability(tables["ranking"])
    assert max(fig.data[0].x) <= 100
    fam = fg.pattern_families(tables["patterns"])
    assert {t.name for t in fam.data} == {"clients", "teams"}


def test_delivery_figures_skip_unknown(tables) -> None:
    fig = fg.delivery_frequency(tables["delivery"], "team")
    keys = [k for t in fig.data for k in t.y]
    assert "java" not in keys  # unknown deploys per week is not drawn as zero
    assert fg.release_mix(tables["delivery"], "team").data


def test_data_labels_are_escaped(tables) -> None:
    text = _strings(fg.rank_stability(tables["ranking"])) + _strings(
        fg.payoff_curve(tables["ranking"]))
    assert "<script>" not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize("name,func", [
    ("overlap", lambda d: fg.overlap_heatmap(d, "client")), ("patterns", fg.pattern_families),
    ("similarity", fg.similarity_heatmap), ("ranking", fg.payoff_curve), ("ranking", fg.rank_stability),
    ("delivery", fg.delivery_frequency), ("delivery", fg.release_mix)])
def test_empty_input_gives_a_labelled_empty_figure(name, func) -> None:
    fig = func(empty_frame(name))
    assert fig.layout.annotations and "No" in fig.layout.annotations[0].text


def test_palette_is_colour_blind_safe_and_fonts_projector_sized(tables) -> None:
    fig = fg.pattern_families(tables["patterns"])
    assert fig.layout.template.layout.colorway == tuple(fg.OKABE_ITO)
    assert fig.layout.template.layout.font.size >= 16


def test_figure_view_html_has_no_plotlyjs(tables) -> None:
    view = fg.FigureView(fg.payoff_curve(tables["ranking"]))
    bundle = view._repr_mimebundle_()
    assert "plotly-graph-div" in bundle["text/html"]
    assert len(bundle["text/html"]) < 100_000  # plotly.js (~4.6 MB) is inlined once by the template
    assert pio.from_json(json.dumps(bundle["application/vnd.plotly.v1+json"])).data


def test_many_clients_are_capped_and_said_so() -> None:
    overlap = pd.DataFrame([{"dimension": "client", "key": f"c{i:03d}", "fingerprint": f"p{i % 3}", "family": "f",
                             "units": 1} for i in range(150)])
    fig = fg.overlap_heatmap(overlap, "client", max_keys=60)
    assert len(fig.data[0].x) == 60 and "60 of 150" in fig.layout.title.text
    delivery = pd.DataFrame([{"level": "client", "key": f"c{i}", "team": "t", "deploys_per_week": float(i),
                              "change_failure_rate": None} for i in range(100)])
    fig = fg.delivery_frequency(delivery, "client", max_keys=40)
    assert len(fig.data[0].y) == 40 and "c99" in fig.data[0].y and "40 busiest of 100" in fig.layout.title.text
    sim = pd.DataFrame([{"client_a": f"c{a:03d}", "client_b": f"c{b:03d}", "jaccard": 0.5}
                        for a in range(80) for b in range(a + 1, 80)])
    fig = fg.similarity_heatmap(sim, max_clients=60)
    assert len(fig.data[0].x) == 60 and "60 of 80" in fig.layout.title.text


def test_unknown_rank_stability_is_labelled_unknown_not_zero(tables) -> None:
    ranking = tables["ranking"].copy()
    first = ranking["rank"].idxmin()
    ranking.loc[first, "pick_share"] = float("nan")
    bar = fg.rank_stability(ranking).data[0]
    labels = dict(zip(bar.y, bar.text, strict=True))
    assert next(v for k, v in labels.items() if k.startswith("1. ")) == "unknown"
