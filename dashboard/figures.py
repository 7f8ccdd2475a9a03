"""Plotly figures of the planner page, as pure functions of the tables in :mod:`measures`.

Every builder takes ``{run label: table}`` so one run and a side-by-side comparison of several
are the same figure: runs are colours, processors or zones are panels.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from dashboard.measures import sim_clock

COLOURS = qualitative.Plotly
# IATA ADRM space status colours: below the band red, inside green, above grey-blue.
BAND_COLOURS = {"sub-optimum": "rgba(214,39,40,0.13)", "optimum": "rgba(44,160,44,0.16)",
                "over-design": "rgba(31,119,180,0.07)"}
STAT_NAMES = {"p50_s": "median", "p90_s": "90th percentile", "p95_s": "95th percentile",
              "max_s": "longest", "mean_s": "mean"}
CLOCK_AXIS = dict(tickformat="%H:%M", title="time since start of run (h:mm)")


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def titled(fig: go.Figure, title: str, height: int = 420, legend_below: bool = False
            ) -> go.Figure:
    """Title, height, a horizontal legend (below the plot where panel titles sit above)."""
    legend = dict(orientation="h", x=0, title_text="", yanchor="bottom", y=1.0)
    if legend_below:
        legend.update(yanchor="top", y=-0.08)
    fig.update_layout(title=title, height=height, legend=legend,
                      margin=dict(l=10, r=10, t=60, b=40 if legend_below else 10))
    return fig


def headline_bars(long: pd.DataFrame, metric: str) -> go.Figure:
    """One bar per run for ``metric``, with its 95% confidence interval."""
    d = long[long["metric"] == metric]
    unit = d["unit"].iloc[0] if len(d) else ""
    err_hi = (d["ci_high"] - d["mean"]).clip(lower=0)
    err_lo = (d["mean"] - d["ci_low"]).clip(lower=0)
    fig = go.Figure(go.Bar(
        x=d["label"], y=d["mean"], marker_color=[colour(i) for i in range(len(d))],
        error_y=dict(type="data", array=err_hi, arrayminus=err_lo, visible=True),
        hovertemplate="%{x}<br>%{y:.3g} " + unit + "<extra></extra>"))
    fig.update_yaxes(title=f"{metric} ({unit})" if unit else metric, rangemode="tozero")
    return titled(fig, f"{metric}: mean and 95% CI over replications", 360)


def wait_bars(waits: dict[str, pd.DataFrame], stat: str, cls: str) -> go.Figure:
    """Wait ``stat`` per processor for one traveler class, runs side by side, with each
    processor kind's level-of-service target as a black tick."""
    fig = go.Figure()
    targets = {}
    for i, (label, w) in enumerate(waits.items()):
        d = w[w["cls"] == cls]
        if d.empty:
            continue
        x = d["kind"] + ": " + d["processor"]
        fig.add_bar(name=label, x=x, y=d[stat] / 60.0, marker_color=colour(i),
                    customdata=np.column_stack([d["n"], d["within_target"]]),
                    hovertemplate="%{x}<br>%{y:.1f} min<br>%{customdata[0]:.0f} travelers, "
                                  "%{customdata[1]:.0%} within target<extra>" + label +
                                  "</extra>")
        targets.update({xi: t for xi, t in zip(x, d["target_s"]) if np.isfinite(t)})
    if targets:
        fig.add_scatter(name="level-of-service target", x=list(targets),
                        y=[t / 60.0 for t in targets.values()], mode="markers",
                        marker=dict(symbol="line-ew-open", size=36, color="black",
                                    line=dict(width=3)))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="wait (min)", rangemode="tozero")
    fig.update_xaxes(categoryorder="category ascending")
    who = "all classes" if cls == "all" else f"class {cls}"
    return titled(fig, f"Queue wait, {STAT_NAMES.get(stat, stat)}, {who} "
                        "(mean over replications)")


def _grid(names: list[str], cols: int = 2, height_per_row: int = 240):
    rows = max(1, math.ceil(len(names) / cols))
    cols = min(cols, max(1, len(names)))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, shared_xaxes=True,
                        vertical_spacing=0.12 if rows > 1 else 0.1, horizontal_spacing=0.07)
    return fig, rows, cols, 80 + height_per_row * rows


def _band(fig, x, low, high, colour, row, col, name, group):
    fig.add_scatter(x=pd.concat([x, x[::-1]]), y=np.concatenate([high, low[::-1]]),
                    fill="toself", fillcolor=_rgba(colour, 0.15), line=dict(width=0),
                    hoverinfo="skip", showlegend=False, legendgroup=group, name=name,
                    row=row, col=col)


def queue_lines(series: dict[str, pd.DataFrame]) -> go.Figure:
    """Queue length over time per processor group; the band is the replications' min–max."""
    procs = sorted(set().union(*(set(s["processor"]) for s in series.values()))) \
        if series else []
    fig, rows, cols, height = _grid(procs)
    for i, (label, s) in enumerate(series.items()):
        for k, proc in enumerate(procs):
            d = s[s["processor"] == proc].sort_values("t")
            if d.empty:
                continue
            r, c = k // cols + 1, k % cols + 1
            x = sim_clock(d["t"]).reset_index(drop=True)
            if (d["length_high"] > d["length_low"]).any():
                _band(fig, x, d["length_low"].to_numpy(), d["length_high"].to_numpy(),
                      colour(i), r, c, label, label)
            fig.add_scatter(x=x, y=d["length"], mode="lines", name=label, legendgroup=label,
                            line=dict(color=colour(i), width=2), showlegend=k == 0,
                            hovertemplate="%{x|%H:%M}: %{y:.1f} waiting<extra>" + label +
                                          "</extra>", row=r, col=c)
    fig.update_xaxes(tickformat="%H:%M")
    fig.update_yaxes(title_text="travelers waiting", col=1, rangemode="tozero")
    fig.update_yaxes(rangemode="tozero")
    return titled(fig, "Queue length over time (5-minute means; band: min–max over "
                        "replications)", height + 40, legend_below=True)


def space_lines(space: dict[str, pd.DataFrame]) -> go.Figure:
    """m² per traveler over time per zone, over the IATA ADRM bands of the zone's kind."""
    zones = sorted(set().union(*(set(s["zone"]) for s in space.values()))) if space else []
    fig, rows, cols, height = _grid(zones)
    top = 1.0
    for k, zone in enumerate(zones):
        r, c = k // cols + 1, k % cols + 1
        first = next(s[s["zone"] == zone] for s in space.values() if (s["zone"] == zone).any())
        low, high = float(first["band_low_m2"].iloc[0]), float(first["band_high_m2"].iloc[0])
        for i, (label, s) in enumerate(space.items()):
            d = s[s["zone"] == zone].sort_values("t")
            if d.empty:
                continue
            y = d["m2_per_pax"].where(np.isfinite(d["m2_per_pax"]))
            top = max(top, float(np.nanmax(y)) if y.notna().any() else top)
            fig.add_scatter(x=sim_clock(d["t"]), y=y, mode="lines+markers", name=label,
                            legendgroup=label, showlegend=k == 0,
                            line=dict(color=colour(i), width=2), marker=dict(size=4),
                            customdata=d["status"],
                            hovertemplate="%{x|%H:%M}: %{y:.2f} m²/pax, %{customdata}<extra>" +
                                          label + "</extra>", row=r, col=c)
        for status, y0, y1 in (("sub-optimum", 0.01, low), ("optimum", low, high),
                               ("over-design", high, 1e6)):
            fig.add_hrect(y0=y0, y1=y1, fillcolor=BAND_COLOURS[status], line_width=0,
                          layer="below", row=r, col=c)
        fig.add_annotation(text=f"optimum {low:g}–{high:g} m²/pax", xref="x domain",
                           yref="y domain", x=0.01, y=0.02, showarrow=False,
                           font=dict(size=11, color="#2c7a2c"), row=r, col=c)
    fig.update_yaxes(type="log", title_text="m² per traveler", col=1)
    fig.update_yaxes(type="log", range=[math.log10(0.3), math.log10(max(top * 1.5, 3.0))])
    fig.update_xaxes(tickformat="%H:%M")
    return titled(fig, "Space per traveler (IATA ADRM bands: red sub-optimum, green optimum, "
                        "blue over-design)", height + 40, legend_below=True)


def utilisation_bars(util: dict[str, pd.DataFrame]) -> go.Figure:
    """Busy over open time per processor group, runs side by side (error bar: min–max)."""
    fig = go.Figure()
    for i, (label, u) in enumerate(util.items()):
        x = u["kind"] + ": " + u["processor"]
        fig.add_bar(name=label, x=x, y=u["utilisation"], marker_color=colour(i),
                    error_y=dict(type="data", visible=True,
                                 array=(u["utilisation_high"] - u["utilisation"]).clip(lower=0),
                                 arrayminus=(u["utilisation"] - u["utilisation_low"]).clip(
                                     lower=0)),
                    hovertemplate="%{x}: %{y:.0%}<extra>" + label + "</extra>")
    fig.add_hline(y=0.85, line_dash="dot", line_color="grey",
                  annotation_text="85%: queues grow fast above this", annotation_position="top left")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="utilisation", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(categoryorder="category ascending")
    return titled(fig, "Utilisation: busy over open time (mean over replications)", 380)


def sweep_lines(comparison: pd.DataFrame, axis: str, metric: str,
                colour_by: str | None = None) -> go.Figure:
    """``metric`` against one swept path, with its 95% CI; other swept paths as colours."""
    fig = go.Figure()
    groups = comparison.groupby(colour_by, sort=True) if colour_by else [(None, comparison)]
    for i, (key, d) in enumerate(groups):
        d = d.sort_values(axis)
        lo, hi = d.get(f"{metric}_ci_low"), d.get(f"{metric}_ci_high")
        err = None
        if lo is not None and hi is not None:
            err = dict(type="data", visible=True, array=(hi - d[metric]).clip(lower=0),
                       arrayminus=(d[metric] - lo).clip(lower=0))
        fig.add_scatter(x=d[axis], y=d[metric], mode="lines+markers", error_y=err,
                        name=f"{colour_by} = {key}" if colour_by else metric,
                        line=dict(color=colour(i)), customdata=d["point"],
                        hovertemplate="%{customdata}<br>" + axis + " = %{x}<br>" + metric +
                                      " = %{y:.3g}<extra></extra>")
    fig.update_xaxes(title=axis)
    fig.update_yaxes(title=metric)
    return titled(fig, f"Sweep: {metric} against {axis} (95% CI)", 380)
