"""Plotly figures of the CCTV identification sections, as pure functions of the tables in
:mod:`dashboard.measures_cctv`."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import colour, titled


def reach_bars(by_group: pd.DataFrame, by: str) -> go.Figure:
    """Share of travelers identified at least once per group, one bar per run (policy)."""
    fig = go.Figure()
    for i, ((run, policy), d) in enumerate(by_group.groupby(["run", "policy"], sort=False)):
        fig.add_bar(x=d["group"], y=d["share_identified"], name=f"{run}: {policy}",
                    marker_color=colour(i), customdata=d[["identified", "travelers"]],
                    hovertemplate="%{x}: %{y:.0%} (%{customdata[0]} of %{customdata[1]})"
                                  "<extra>%{fullData.name}</extra>")
    fig.update_yaxes(title="identified at least once", tickformat=".0%", range=[0, 1])
    fig.update_xaxes(title=by.replace("_", " "))
    return titled(fig, f"Surveillance reach by {by.replace('_', ' ')}", 360, legend_below=True)


def journey_timeline(truth: pd.DataFrame, rec: pd.DataFrame, traveler: int) -> go.Figure:
    """Where the traveler really was in view (top row) and the reconstructed journey's tracks
    (one row per journey), on the footage clock; a track that is someone else is hatched."""
    cams = sorted(set(truth["camera"]) | set(rec["camera"]))
    colours = {c: colour(i) for i, c in enumerate(cams)}
    fig = go.Figure()
    truth_row = f"traveler {traveler} (ground truth)"
    shown = set()
    for r in truth.itertuples(index=False):
        fig.add_bar(y=[truth_row], x=[max(r.t_out - r.t_in, 0.1)], base=[r.t_in],
                    orientation="h", marker_color=colours[r.camera], name=r.camera,
                    legendgroup=r.camera, showlegend=r.camera not in shown,
                    hovertemplate=f"{r.camera}: in view %{{base:.1f}}–{r.t_out:.1f} s"
                                  "<extra>ground truth</extra>")
        shown.add(r.camera)
    for r in rec.itertuples(index=False):
        row = f"journey {r.journey_id} (reconstructed)"
        who = "unidentified" if not isinstance(r.identity, str) else \
            f"claimed {r.identity} (traveler {r.claimed_traveler})"
        fig.add_bar(y=[row], x=[max(r.t_out - r.t_in, 0.1)], base=[r.t_in], orientation="h",
                    marker_color=colours[r.camera], name=r.camera, legendgroup=r.camera,
                    showlegend=r.camera not in shown,
                    marker_pattern_shape="" if r.is_traveler else "/",
                    hovertemplate=f"{r.camera} track {r.track_id}: %{{base:.1f}}–{r.t_out:.1f} s,"
                                  f" {who}" + ("" if r.is_traveler else ", NOT this traveler")
                                  + "<extra>reconstructed</extra>")
        shown.add(r.camera)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="footage time (s)")
    return titled(fig, f"Traveler {traveler}: reconstructed journey beside ground truth",
                  200 + 40 * (1 + rec["journey_id"].nunique()), legend_below=True)


def camera_latency_bars(capacity: pd.DataFrame) -> go.Figure:
    """Per camera: frame processing time p50 (bar) with p95 and p99 (markers)."""
    d = capacity[capacity["camera"] != "all"]
    fig = go.Figure(go.Bar(y=d["camera"], x=d["frame p50 (ms)"], orientation="h", name="p50",
                           marker_color=colour(0),
                           hovertemplate="%{y}: p50 %{x:.0f} ms<extra></extra>"))
    for col, symbol in (("frame p95 (ms)", "diamond"), ("frame p99 (ms)", "x")):
        fig.add_scatter(y=d["camera"], x=d[col], mode="markers", name=col.split()[1],
                        marker=dict(symbol=symbol, size=10),
                        hovertemplate="%{y}: " + col.split()[1] + " %{x:.0f} ms<extra></extra>")
    fig.update_xaxes(title="ms per frame (detect, quality, embed, search, tracking)",
                     rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return titled(fig, "CCTV frame processing time per camera", 300)
