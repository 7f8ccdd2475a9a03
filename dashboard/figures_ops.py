"""Plotly figures of the engineer and stakeholder pages (load tests, stage latencies, alerts,
error rates by group), as pure functions of tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import colour, titled
from dashboard.measures import sim_clock

PERCENTILE_DASH = {"p50_ms": "dot", "p95_ms": "dash", "p99_ms": "solid"}


def latency_vs_rps(steps: pd.DataFrame, slo_ms: float | None) -> go.Figure:
    """Latency percentiles against the achieved request rate of each load step, per endpoint;
    the SLO as a line and the steps that pass it ringed."""
    fig = go.Figure()
    for i, (endpoint, d) in enumerate(steps.groupby("endpoint", sort=True)):
        d = d.sort_values("step")  # the path the load took, step by step
        for col, dash in PERCENTILE_DASH.items():
            if col not in d:
                continue
            fig.add_scatter(x=d["rps"], y=d[col], mode="lines+markers", legendgroup=endpoint,
                            name=f"{endpoint} {col.removesuffix('_ms')}",
                            line=dict(color=colour(i), dash=dash),
                            customdata=np.column_stack([d["step"], d["error_rate"],
                                                        d.get("users", np.nan)]),
                            hovertemplate="step %{customdata[0]} (%{customdata[2]} users): "
                                          "%{x:.1f} req/s<br>"
                                          "%{y:.0f} ms, errors %{customdata[1]:.2%}"
                                          "<extra>%{fullData.name}</extra>")
        if "passes" in d and d["passes"].notna().any():
            ok = d[d["passes"].fillna(False).astype(bool)]
            fig.add_scatter(x=ok["rps"], y=ok["p99_ms"], mode="markers", showlegend=False,
                            legendgroup=endpoint, hoverinfo="skip",
                            marker=dict(symbol="circle-open", size=14, color="green",
                                        line=dict(width=2)))
    if slo_ms:
        fig.add_hline(y=slo_ms, line_dash="dot", line_color="red",
                      annotation_text=f"p99 SLO {slo_ms:g} ms", annotation_position="top left")
    fig.update_xaxes(title="achieved throughput (requests/s)", rangemode="tozero")
    fig.update_yaxes(title="latency (ms)", rangemode="tozero")
    return titled(fig, "Latency percentiles against load, step by step (ringed: steps within "
                        "the SLO)", 460, legend_below=True)


def error_rate_bars(endpoints: pd.DataFrame, max_error_rate: float | None) -> go.Figure:
    """Error rate per request name; deliberately bad payloads are grey (they should fail)."""
    d = endpoints.sort_values("name")
    colours = ["#9e9e9e" if bool(e) else colour(0) for e in d.get("expected_error", False)]
    fig = go.Figure(go.Bar(x=d["name"], y=d["error_rate"], marker_color=colours,
                           customdata=np.column_stack([d["requests"], d["failures"]]),
                           hovertemplate="%{x}: %{y:.2%}<br>%{customdata[1]:.0f} of "
                                         "%{customdata[0]:.0f} failed<extra></extra>"))
    if max_error_rate:
        fig.add_hline(y=max_error_rate, line_dash="dot", line_color="red",
                      annotation_text=f"limit {max_error_rate:.2%}")
    fig.update_yaxes(title="error rate", tickformat=".1%", rangemode="tozero")
    return titled(fig, "Error rate per endpoint (grey: deliberately bad payloads)", 360)


def request_rate_curve(curve: pd.DataFrame) -> go.Figure:
    """A replay's request-rate curve per endpoint, on the compressed clock."""
    fig = go.Figure()
    for i, col in enumerate(c for c in curve.columns if c.endswith("_rps")):
        fig.add_scatter(x=curve["t0"], y=curve[col], mode="lines", line_shape="hv",
                        name=col.removesuffix("_rps"), line=dict(color=colour(i)))
    fig.update_xaxes(title="load time (s)")
    fig.update_yaxes(title="requests/s sent", rangemode="tozero")
    return titled(fig, "Replayed request rate (from the simulated day, time-compressed)", 320)


def stage_bars(stages: pd.DataFrame, source: str) -> go.Figure:
    """Median per pipeline stage with its p95 and p99 as markers."""
    fig = go.Figure(go.Bar(y=stages["stage"], x=stages["p50_ms"], orientation="h", name="p50",
                           marker_color=colour(0),
                           hovertemplate="%{y}: p50 %{x:.1f} ms<extra></extra>"))
    for col, symbol in (("p95_ms", "diamond"), ("p99_ms", "x")):
        if col in stages:
            fig.add_scatter(y=stages["stage"], x=stages[col], mode="markers",
                            name=col.removesuffix("_ms"), marker=dict(symbol=symbol, size=10),
                            hovertemplate="%{y}: " + col[:3] + " %{x:.1f} ms<extra></extra>")
    fig.update_xaxes(title="milliseconds", rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return titled(fig, f"Pipeline stage latency ({source})", 320)


def alerts_figure(alerts: pd.DataFrame, horizon_s: float | None = None) -> go.Figure:
    """Alerts on the run's clock, one row per kind, coloured by where they came from."""
    fig = go.Figure()
    for i, (where, d) in enumerate(alerts.groupby("where", sort=True)):
        fig.add_scatter(x=sim_clock(d["t"]), y=d["kind"], mode="markers", name=str(where),
                        marker=dict(size=11, color=colour(i), symbol="diamond"),
                        customdata=d[["source", "detail"]].to_numpy(),
                        hovertemplate="%{x|%H:%M:%S} %{y}<br>%{customdata[0]}: "
                                      "%{customdata[1]}<extra>%{fullData.name}</extra>")
    if horizon_s:
        fig.update_xaxes(range=list(sim_clock([0, horizon_s])))
    fig.update_xaxes(tickformat="%H:%M", title="time since start of run (h:mm)")
    fig.update_yaxes(title="", categoryorder="category descending")
    return titled(fig, f"Alerts ({len(alerts)})", 140 + 40 * max(1, alerts["kind"].nunique()))


def group_rates(table: pd.DataFrame, rates: list[str], title: str) -> go.Figure:
    """Error rates per demographic group, one panel per attribute (skin tone, age, sex)."""
    attrs = list(dict.fromkeys(table["attribute"]))
    fig = make_subplots(rows=1, cols=max(1, len(attrs)), subplot_titles=attrs, shared_yaxes=True,
                        horizontal_spacing=0.05)
    for k, attr in enumerate(attrs, start=1):
        d = table[table["attribute"] == attr]
        for i, rate in enumerate(r for r in rates if r in d):
            n_col = "n_genuine" if "n_genuine" in d else "n_mated" if "n_mated" in d else "n"
            fig.add_bar(x=d["group"].astype(str), y=d[rate], name=rate.upper(),
                        legendgroup=rate, showlegend=k == 1, marker_color=colour(i),
                        customdata=d[n_col] if n_col in d else None,
                        hovertemplate="%{x}: " + rate.upper() + " %{y:.2%} "
                                      "(n=%{customdata})<extra></extra>", row=1, col=k)
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    fig.update_yaxes(title_text="rate", col=1)
    return titled(fig, title, 400, legend_below=True)
