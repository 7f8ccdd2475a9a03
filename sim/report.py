"""A self-contained HTML report of one run (plotly, with plotly.js inlined: opens offline).

Built only from the run's tables (the ``kpi_*`` ones of :mod:`sim.kpi`), so a report can be
rebuilt from a run folder. Values are means over replications; bars carry their 95% CI.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.kpi import ALL, mean_ci

_STATUS_COLOUR = {"over-design": "#9ecae1", "optimum": "#31a354", "sub-optimum": "#de2d26"}


def _ci_frame(df: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Mean and CI half-width of ``value`` over replications, per ``keys``."""
    rows = []
    for k, g in df.groupby(keys, sort=True):
        mean, lo, hi, _, n = mean_ci(g[value].to_numpy(float))
        k = k if isinstance(k, tuple) else (k,)
        rows.append((*k, mean, (hi - lo) / 2 if n > 1 else 0.0))
    return pd.DataFrame(rows, columns=[*keys, "mean", "half"])


def waits_figure(waits: pd.DataFrame) -> go.Figure:
    w = waits[(waits["processor"] != ALL) & (waits["kind"] != "reclaim")]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("p95 wait by processor and class",
                                                        "p50 / p90 / p95 / max (all classes)"))
    for cls, g in _ci_frame(w[w["cls"] != ALL], ["cls", "processor"], "p95_s").groupby("cls"):
        fig.add_bar(x=g["processor"], y=g["mean"] / 60, name=cls, row=1, col=1,
                    error_y=dict(type="data", array=g["half"] / 60))
    allc = w[w["cls"] == ALL]
    for stat in ("p50_s", "p90_s", "p95_s", "max_s"):
        g = _ci_frame(allc, ["processor"], stat)
        fig.add_bar(x=g["processor"], y=g["mean"] / 60, name=stat.removesuffix("_s"), row=1,
                    col=2, error_y=dict(type="data", array=g["half"] / 60))
    fig.update_yaxes(title_text="wait (min)")
    fig.update_layout(barmode="group", height=420, title="Queue waits")
    return fig


def queue_figure(series: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    mean = series.groupby(["processor", "t"], sort=True)["length"].mean().reset_index()
    for proc, g in mean.groupby("processor"):
        fig.add_scatter(x=g["t"] / 3600, y=g["length"], mode="lines", name=proc,
                        line_shape="hv")
    fig.update_layout(title="Queue length over time (5-minute time-weighted means)",
                      xaxis_title="time since start (h)", yaxis_title="travelers queued",
                      height=380)
    return fig


def los_figure(waits: pd.DataFrame) -> go.Figure:
    w = waits[(waits["processor"] == ALL) & (waits["cls"] == ALL) & waits["target_s"].notna()]
    g = _ci_frame(w, ["kind"], "within_target")
    targets = w.groupby("kind")["target_s"].first()
    labels = [f"{k} (≤ {targets[k] / 60:.0f} min)" for k in g["kind"]]
    fig = go.Figure(go.Bar(x=labels, y=g["mean"] * 100,
                           error_y=dict(type="data", array=g["half"] * 100)))
    fig.update_layout(title="Share of waits within the level-of-service target",
                      yaxis_title="% of travelers", yaxis_range=[0, 105], height=360)
    return fig


def space_figure(space: pd.DataFrame) -> go.Figure:
    """m² per traveler over time (mean count over replications). The axis stops at 5x the
    band's top, or 1.5x the least space seen if that is more (at most 50x the band), so the band
    and the crowded stretches stay readable; emptier bins sit at the cap."""
    zones = list(dict.fromkeys(space["zone"]))
    fig = make_subplots(rows=len(zones) or 1, cols=1, shared_xaxes=True,
                        subplot_titles=[f"{z}: m² per traveler" for z in zones])
    for i, zone in enumerate(zones, start=1):
        z = space[space["zone"] == zone]
        n = z.groupby("t", sort=True)["travelers"].mean()
        occupied = z[(z["travelers"] > 0) & np.isfinite(z["m2_per_pax"])]
        area = float((occupied["m2_per_pax"] * occupied["travelers"]).median()) \
            if len(occupied) else math.nan
        low, high = float(z["band_low_m2"].iloc[0]), float(z["band_high_m2"].iloc[0])
        counts = n.to_numpy(float)
        m2 = np.where(counts > 0, area / np.maximum(counts, 1e-9), np.nan)
        least = float(np.nanmin(m2)) if np.isfinite(m2).any() else 0.0
        cap = min(max(5 * high, 1.5 * least), 50 * high)
        fig.add_scatter(x=n.index / 3600, y=np.minimum(m2, cap), mode="lines", name=zone,
                        line_shape="hv", row=i, col=1)
        fig.add_hrect(y0=low, y1=high, fillcolor=_STATUS_COLOUR["optimum"], opacity=0.25,
                      line_width=0, row=i, col=1)
        fig.add_hrect(y0=0, y1=low, fillcolor=_STATUS_COLOUR["sub-optimum"], opacity=0.15,
                      line_width=0, row=i, col=1)
        fig.update_yaxes(title_text="m²/pax", range=[0, cap * 1.05], row=i, col=1)
    fig.update_xaxes(title_text="time since start (h)", row=len(zones) or 1, col=1)
    fig.update_layout(title="Space per traveler against the IATA ADRM band (green: optimum, "
                            "red: sub-optimum; emptier bins at the axis top, empty ones blank)",
                      height=300 * max(len(zones), 1), showlegend=False)
    return fig


def utilisation_figure(util: pd.DataFrame, throughput: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Utilisation (busy / open time)",
                                                        "Throughput per hour"))
    g = _ci_frame(util, ["processor"], "utilisation")
    fig.add_bar(x=g["processor"], y=g["mean"] * 100, name="utilisation", row=1, col=1,
                error_y=dict(type="data", array=g["half"] * 100), showlegend=False)
    thr = throughput.groupby(["processor", "hour"], sort=True)["served"].mean().reset_index()
    for proc, t in thr.groupby("processor"):
        fig.add_scatter(x=t["hour"], y=t["served"], mode="lines+markers", name=proc, row=1, col=2)
    fig.update_yaxes(title_text="%", row=1, col=1)
    fig.update_yaxes(title_text="travelers / h", row=1, col=2)
    fig.update_xaxes(title_text="hour of the run", row=1, col=2)
    fig.update_layout(height=400, title="Processors")
    return fig


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"


def summary_table(summary: pd.DataFrame) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r.metric)}</td><td>{html.escape(r.unit)}</td>"
        f"<td>{_fmt(r.mean)}</td><td>{_fmt(r.ci_low)} – {_fmt(r.ci_high)}</td>"
        f"<td>{html.escape(r.description)}</td></tr>" for r in summary.itertuples())
    return ("<table><tr><th>metric</th><th>unit</th><th>mean</th><th>95% CI</th>"
            f"<th>what</th></tr>{rows}</table>")


def render(tables: dict[str, pd.DataFrame], meta: dict) -> str:
    """The report as one HTML string. ``meta``: scenario name, seed, replications, wall time."""
    figs = [
        waits_figure(tables["kpi_waits"]),
        queue_figure(tables["kpi_queue_series"]),
        los_figure(tables["kpi_waits"]),
        space_figure(tables["kpi_space"]),
        utilisation_figure(tables["kpi_utilisation"], tables["kpi_throughput"]),
    ]
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figs)]
    title = html.escape(f"airtwin run: {meta.get('scenario', '')}")
    info = html.escape(", ".join(f"{k}: {v}" for k, v in meta.items()))
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
             "text-align:left;font-size:13px}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{style}</style></head><body><h1>{title}</h1><p>{info}</p>"
            f"<h2>Headline KPIs</h2>{summary_table(tables['kpi_summary'])}"
            + "".join(f"<div>{p}</div>" for p in parts) + "</body></html>")
