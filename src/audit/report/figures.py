"""Plotly figures of the analysis tables, each a pure function of DataFrames with the contract columns.

Colour-blind-safe (Okabe-Ito categories, cividis for magnitudes), large fonts for a projector, and
every label that comes from an account or repository is HTML-escaped first: plotly.js renders a
few HTML tags inside SVG text, and escaped text shows as itself.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from audit.report.tables import as_list, percent

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "Cividis"
FONT = "Segoe UI, Helvetica Neue, Helvetica, Arial, sans-serif"

TEMPLATE = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT, size=16, color="#1a1a1a"),
    title=dict(font=dict(size=22), x=0, xanchor="left"),
    colorway=OKABE_ITO,
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis=dict(gridcolor="#e5e5e5", zerolinecolor="#bdbdbd", automargin=True, title_standoff=10),
    yaxis=dict(gridcolor="#e5e5e5", zerolinecolor="#bdbdbd", automargin=True, title_standoff=10),
    legend=dict(font=dict(size=15)),
    hoverlabel=dict(font=dict(size=15, family=FONT)),
    margin=dict(l=20, r=20, t=70, b=20),
))
pio.templates["audit"] = TEMPLATE
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def label(value: Any, limit: int = 60) -> str:
    """A data-derived string made safe (and short enough) for plotly text."""
    if value is None or (isinstance(value, float) and value != value):
        return "unknown"
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def _layout(fig: go.Figure, title: str, height: int, **kwargs: Any) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=height, **kwargs)
    return fig


def empty(title: str, message: str = "No data in this snapshot") -> go.Figure:
    """A figure that says plainly that there is nothing to draw (never a silent blank)."""
    fig = go.Figure()
    fig.add_annotation(text=html.escape(message), showarrow=False, font=dict(size=20), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, 220)


NOT_CRAWLED, RUNS_IT = -1.0, 1.0
# categorical cells: grey = not crawled, blue = runs the pattern (its unit count written in the cell)
_CELL_COLOURS = [[0.0, "#bdbdbd"], [0.5, "#bdbdbd"], [0.5, OKABE_ITO[0]], [1.0, OKABE_ITO[0]]]


def overlap_heatmap(overlap: pd.DataFrame, dimension: str = "client", max_patterns: int = 15,
                    by: str = "fingerprint", max_keys: int = 60, not_crawled: Iterable[str] = ()) -> go.Figure:
    """Clients (or teams) x deployment patterns: a cell says "runs it" (with its unit count) or is blank;
    the most shared patterns first; clients whose crawl failed get a grey "not crawled" column, so a
    missing client is never read as one that runs nothing.

    Beyond `max_keys` clients the columns are those running the most patterns (said in the title).
    """
    title = f"Who runs which deployment pattern ({dimension}s x patterns; the number is units)"
    df = overlap[overlap["dimension"] == dimension] if len(overlap) else overlap
    missing = sorted({str(k) for k in not_crawled} - set(df["key"] if len(df) else ()))
    if df.empty:
        return empty(title, "No deployable units" + (f"; not crawled: {', '.join(missing)}" if missing else ""))
    grid = df.pivot_table(index=by, columns="key", values="units", aggfunc="sum", fill_value=0)
    spread = (grid > 0).sum(axis=1).sort_values(ascending=False, kind="stable")
    grid = grid.loc[spread.index[:max_patterns]]
    keys = sorted(grid.columns, key=lambda k: (-(grid[k] > 0).sum(), str(k)))
    if len(keys) > max_keys:
        title = title[:-1] + f"; the {max_keys} of {len(keys)} {dimension}s with the most patterns)"
        keys = keys[:max_keys]
    grid = grid[keys]
    units = grid.where(grid > 0)  # NaN: this client runs none of the pattern (a blank cell)
    z = [[RUNS_IT if v == v else None for v in row] for row in units.to_numpy(dtype=float).tolist()]
    text = [["" if v != v else str(int(v)) for v in row] for row in units.to_numpy(dtype=float).tolist()]
    xs = [label(k, 30) for k in grid.columns]
    if missing:
        z = [[*row, *([NOT_CRAWLED] * len(missing))] for row in z]
        text = [[*row, *(["—"] * len(missing))] for row in text]
        xs += [f"{label(k, 22)} (not crawled)" for k in missing]
    ys = [f"{label(p, 70)} ({spread[p]})" for p in grid.index]
    fig = go.Figure(go.Heatmap(
        z=z, x=xs, y=ys, text=text, texttemplate="%{text}", colorscale=_CELL_COLOURS, zmin=NOT_CRAWLED,
        zmax=RUNS_IT, xgap=2, ygap=2,
        colorbar=dict(title="", tickvals=[NOT_CRAWLED * 0.5, RUNS_IT * 0.5], ticktext=["not crawled", "runs it"],
                      len=0.35, y=1, yanchor="top", thickness=14),
        hovertemplate=f"{dimension}: %{{x}}<br>pattern: %{{y}}<br>units: %{{text}}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=13))
    fig.update_xaxes(tickangle=-45, side="bottom")
    return _layout(fig, title, max(360, 110 + 30 * len(ys) + 8 * max((len(x) for x in xs), default=0)))


def pattern_families(patterns: pd.DataFrame) -> go.Figure:
    """Pattern families (artifact + target): how many clients and teams share each."""
    title = "Pattern families: clients and teams sharing each"
    if patterns.empty:
        return empty(title)
    rows = []
    for family, group in patterns.groupby("family", dropna=False, sort=False):
        clients = {c for v in group["client_list"] for c in as_list(v)}
        teams = {t for v in group["team_list"] for t in as_list(v)}
        rows.append({"family": family, "clients": len(clients), "teams": len(teams),
                     "units": int(group["units"].sum()), "patterns": len(group)})
    fam = pd.DataFrame(rows).sort_values(["clients", "units"], ascending=True, kind="stable")
    ys = [label(f, 50) for f in fam["family"]]
    custom = fam[["units", "patterns"]].to_numpy()
    fig = go.Figure([
        go.Bar(y=ys, x=fam["clients"], name="clients", orientation="h", customdata=custom,
               marker_color=OKABE_ITO[0], text=fam["clients"], textposition="outside",
               hovertemplate="%{y}: %{x} clients, %{customdata[0]} units, %{customdata[1]} patterns<extra></extra>"),
        go.Bar(y=ys, x=fam["teams"], name="teams", orientation="h", marker_color=OKABE_ITO[1],
               text=fam["teams"], textposition="outside", hovertemplate="%{y}: %{x} teams<extra></extra>"),
    ])
    fig.update_xaxes(title="count", rangemode="tozero")
    return _layout(fig, title, max(320, 120 + 55 * len(fam)), barmode="group",
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def similarity_heatmap(similarity: pd.DataFrame, max_clients: int = 60) -> go.Figure:
    """Jaccard similarity of the clients' pattern sets (1 = same patterns); the most alike first when capped."""
    title = "How alike are the clients? (Jaccard similarity of their patterns)"
    if similarity.empty:
        return empty(title)
    both = pd.concat([similarity, similarity.rename(columns={"client_a": "client_b", "client_b": "client_a"})])
    names = sorted(set(both["client_a"]), key=str)
    if len(names) > max_clients:
        mean = both.groupby("client_a")["jaccard"].mean().sort_values(ascending=False, kind="stable")
        names = sorted(mean.index[:max_clients], key=str)
        title = title[:-1] + f"; the {max_clients} of {len(mean)} clients most alike to the others)"
        both = both[both["client_a"].isin(names) & both["client_b"].isin(names)]
    grid = both.pivot_table(index="client_a", columns="client_b", values="jaccard", aggfunc="max")
    grid = grid.reindex(index=names, columns=names)
    for n in names:
        grid.loc[n, n] = 1.0
    xs = [label(n, 30) for n in names]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype=float), x=xs, y=xs, colorscale=SEQUENTIAL, zmin=0, zmax=1,
                               xgap=1, ygap=1, colorbar=dict(title="Jaccard"),
                               hovertemplate="%{x} vs %{y}: %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-45)
    return _layout(fig, title, max(420, 160 + 24 * len(names)))


def _picked(df: pd.DataFrame) -> pd.Series:
    return df["picked"].fillna(False).astype(bool) if "picked" in df.columns else pd.Series(False, index=df.index)


def payoff_curve(ranking: pd.DataFrame) -> go.Figure:
    """Cumulative person-hours saved per year vs cumulative effort in build order; labels are the build-order #."""
    title = "Payoff curve: person-hours saved per year vs effort, in build order"
    if ranking.empty:
        return empty(title)
    df = ranking.sort_values("rank", kind="stable")
    x = [0.0, *df["cumulative_effort_days"].astype(float)]
    y = [0.0, *df["cumulative_hours"].astype(float)]
    names = [label(t, 50) for t in df["title"]]
    picked = _picked(df)
    hover = [f"#{int(r)} {n}" for r, n in zip(df["rank"], names, strict=True)]
    cap = float(df["capacity_days"].iloc[0]) if "capacity_days" in df.columns and df["capacity_days"].notna().any() \
        else None
    fig = go.Figure([
        go.Scatter(x=x, y=y, mode="lines", line=dict(color="#7f7f7f", width=3), name="cumulative",
                   hoverinfo="skip"),
        go.Scatter(x=list(df.loc[picked, "cumulative_effort_days"]), y=list(df.loc[picked, "cumulative_hours"]),
                   mode="markers+text", name="the pick", marker=dict(size=14, color=OKABE_ITO[0]),
                   text=[str(int(r)) for r in df.loc[picked, "rank"]], textposition="top left",
                   hovertext=[h for h, t in zip(hover, picked, strict=True) if t],
                   hovertemplate="%{hovertext}<br>%{x:.1f} days, %{y:.0f} h/yr<extra></extra>"),
        go.Scatter(x=list(df.loc[~picked, "cumulative_effort_days"]), y=list(df.loc[~picked, "cumulative_hours"]),
                   mode="markers", name="later", marker=dict(size=10, color=OKABE_ITO[1], symbol="diamond"),
                   hovertext=[h for h, t in zip(hover, picked, strict=True) if not t],
                   hovertemplate="%{hovertext}<br>%{x:.1f} days, %{y:.0f} h/yr<extra></extra>"),
    ])
    if cap is not None:
        fig.add_vline(x=cap, line=dict(color=OKABE_ITO[5], dash="dash", width=2),
                      annotation_text=f"capacity {cap:g} days", annotation_position="bottom right")
    fig.update_xaxes(title="cumulative effort (person-days)", rangemode="tozero")
    fig.update_yaxes(title="cumulative person-hours saved per year", rangemode="tozero")
    return _layout(fig, title, 480, legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def rank_stability(ranking: pd.DataFrame, show: int | None = None) -> go.Figure:
    """Share of the noisy re-rankings (+-30% effort and payoff) in which each item is in the pick; the
    colour says whether it is in today's pick (legend)."""
    title = "Pick stability: how often each item stays in the pick (+-30% hours and effort)"
    if ranking.empty:
        return empty(title)
    picked = _picked(ranking)
    df = ranking.sort_values("rank", kind="stable").head(show or max(2 * int(picked.sum()), 10)).iloc[::-1]
    share = df["pick_share"].astype(float)
    ys = [f"{int(r)}. {label(t, 60)}" for r, t in zip(df["rank"], df["title"], strict=True)]
    inside = _picked(df).to_numpy(dtype=bool)
    bars = []
    for mask, name, colour in ((inside, "in today's pick", OKABE_ITO[0]), (~inside, "not picked today", OKABE_ITO[1])):
        if mask.any():
            bars.append(go.Bar(x=(share.fillna(0.0) * 100)[mask], y=[y for y, m in zip(ys, mask, strict=True) if m],
                               orientation="h", marker_color=colour, name=name,
                               text=[percent(v) for v, m in zip(share, mask, strict=True) if m], textposition="outside",
                               hovertemplate="%{y}: in the pick in %{x:.0f}% of runs<extra></extra>"))
    fig = go.Figure(bars)
    fig.update_xaxes(title="% of runs in the pick", range=[0, 115])
    fig.update_yaxes(categoryorder="array", categoryarray=ys, automargin=True)
    return _layout(fig, title, max(320, 120 + 34 * len(df)),
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


def delivery_frequency(delivery: pd.DataFrame, level: str = "client", max_keys: int = 40) -> go.Figure:
    """Deploys per week per client (or team), with the change failure rate written on each bar."""
    title = f"Deploys per week per {level}, with change failure rate"
    df = delivery[delivery["level"] == level] if len(delivery) else delivery
    df = df[df["deploys_per_week"].notna()] if len(df) else df
    if df.empty:
        return empty(title, "No delivery history in this snapshot")
    df = df.sort_values("deploys_per_week", kind="stable")
    if len(df) > max_keys:
        title += f" (the {max_keys} busiest of {len(df)})"
        df = df.tail(max_keys)
    cfr = ["failure rate unknown" if pd.isna(v) else f"{v:.0%} failed" for v in df["change_failure_rate"]]
    teams = [label(t, 30) for t in df["team"]] if level == "client" else [""] * len(df)
    fig = go.Figure(go.Bar(
        y=[label(k, 30) for k in df["key"]], x=df["deploys_per_week"].astype(float), orientation="h",
        marker_color=OKABE_ITO[0], text=[f"{v:.1f}/wk · {c}" for v, c in zip(df["deploys_per_week"], cfr,
                                                                             strict=True)],
        textposition="outside", cliponaxis=False, customdata=teams,
        hovertemplate="%{y} (%{customdata}): %{x:.1f} deploys/week<extra></extra>"))
    fig.update_xaxes(title="deploys per week", rangemode="tozero",
                     range=[0, float(df["deploys_per_week"].max()) * 1.35])
    return _layout(fig, title, max(320, 110 + 28 * len(df)), showlegend=False)


def release_mix(delivery: pd.DataFrame, level: str = "team") -> go.Figure:
    """Sprint-end vs hotfix releases per team (or client): is the sprint train the only way out?"""
    title = f"Releases per {level}: at sprint end vs hotfixes"
    df = delivery[delivery["level"] == level] if len(delivery) else delivery
    if len(df):
        df = df[df["sprint_end_releases"].notna() | df["hotfix_releases"].notna()]
    if df.empty:
        return empty(title, "No release history in this snapshot")
    ys = [label(k, 30) for k in df["key"]]
    fig = go.Figure([
        go.Bar(y=ys, x=df["sprint_end_releases"].astype(float), name="sprint end", orientation="h",
               marker_color=OKABE_ITO[0], hovertemplate="%{y}: %{x} sprint-end releases<extra></extra>"),
        go.Bar(y=ys, x=df["hotfix_releases"].astype(float), name="hotfix", orientation="h",
               marker_color=OKABE_ITO[5], hovertemplate="%{y}: %{x} hotfix releases<extra></extra>"),
    ])
    fig.update_xaxes(title="releases", rangemode="tozero")
    return _layout(fig, title, max(300, 120 + 40 * len(df)), barmode="stack",
                   legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))


class FigureView:
    """A figure as a notebook output: plotly JSON for JupyterLab, an HTML div for the exported report.

    The HTML never carries plotly.js; the report template inlines it once in the page head.
    """

    def __init__(self, fig: go.Figure) -> None:
        self.fig = fig

    def to_html(self) -> str:
        return pio.to_html(self.fig, full_html=False, include_plotlyjs=False, config=CONFIG,
                           default_width="100%", default_height=f"{self.fig.layout.height or 450}px")

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> dict[str, Any]:
        title = self.fig.layout.title.text or "figure"
        return {"text/html": self.to_html(), "application/vnd.plotly.v1+json": json.loads(pio.to_json(self.fig)),
                "text/plain": f"<figure: {html.unescape(title)}>"}
