"""The animated floor plan: travelers, processors (busy, idle, closed) and a density heatmap over
time, one panel per run so two layouts play side by side at the same moment.

Pure functions of a run folder's plan tables (:mod:`sim.plan_tables` writes them:
``plan_zones``, ``plan_positions``, ``plan_processors``, ``density_cells``); Plotly animation
frames with a Play/Pause button and a time slider, so the page plays and scrubs in the browser
without a Streamlit rerun.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.measures import fmt_clock

__all__ = ["ACTIVITY_COLOURS", "PlanTables", "STATE_COLOURS", "frame_times",
           "plan_animation", "worded_headline"]

ACTIVITY_COLOURS = {"walking": "#1f77b4", "queueing": "#ff7f0e", "service": "#2ca02c",
                    "waiting_bag": "#9467bd"}
STATE_COLOURS = {"busy": "#2ca02c", "idle": "#bbbbbb", "closed": "#d62728"}
ZONE_FILL = "rgba(120,120,120,0.06)"
DENSITY_MAX = 2.0  # persons/m² at the top of the heatmap's scale (Fruin walkway level E-F)
MAX_FRAMES = 40  # each frame costs Streamlit ~0.2 s of plotly validation


@dataclass(frozen=True)
class PlanTables:
    """One run's plan tables, as the run folder holds them."""

    label: str
    zones: pd.DataFrame
    positions: pd.DataFrame
    processors: pd.DataFrame
    cells: pd.DataFrame | dict


def frame_times(tables: list[PlanTables], start_s: float, length_s: float,
                max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Sampled instants every run has, from ``start_s`` for ``length_s``, thinned evenly to at
    most ``max_frames``."""
    common = None
    for t in tables:
        ts = set(np.unique(t.processors["t"].to_numpy(float)).tolist())
        common = ts if common is None else common & ts
    times = np.array(sorted(common or ()), float)
    times = times[(times >= start_s) & (times < start_s + length_s)]
    if len(times) > max_frames:
        times = times[np.linspace(0, len(times) - 1, max_frames).round().astype(int)]
    return times


def _density_grid(cells: pd.DataFrame, t: float, xs: np.ndarray, ys: np.ndarray,
                  cell_m: float) -> np.ndarray:
    z = np.full((len(ys), len(xs)), np.nan)
    c = _rows(cells["by_t"], t)
    if len(c["x"]):
        ix = np.round((c["x"] - xs[0]) / cell_m).astype(int)
        iy = np.round((c["y"] - ys[0]) / cell_m).astype(int)
        ok = (ix >= 0) & (ix < len(xs)) & (iy >= 0) & (iy < len(ys))
        z[iy[ok], ix[ok]] = c["travelers"][ok] / (cell_m * cell_m)
    return z


def _grid_axes(cells: dict, zones: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
    """Cell centres of a grid covering every cell occupied in the window (the whole plan when
    none is)."""
    flat = cells["all"]
    xs_c = np.unique(flat["x"].to_numpy(float))
    cell_m = float(np.min(np.diff(xs_c))) if len(xs_c) > 1 else 2.0
    src = flat if len(flat) else zones
    x0, x1 = src["x"].min(), src["x"].max()
    y0, y1 = src["y"].min(), src["y"].max()
    ref_x = xs_c[0] if len(xs_c) else x0 + cell_m / 2
    ys_c = np.unique(flat["y"].to_numpy(float))
    ref_y = ys_c[0] if len(ys_c) else y0 + cell_m / 2
    xs = ref_x + cell_m * np.arange(np.floor((x0 - ref_x) / cell_m),
                                    np.ceil((x1 - ref_x) / cell_m) + 1)
    ys = ref_y + cell_m * np.arange(np.floor((y0 - ref_y) / cell_m),
                                    np.ceil((y1 - ref_y) / cell_m) + 1)
    return xs, ys, cell_m


def _window(p: PlanTables, lo: float, hi: float) -> PlanTables:
    """The run's tables between ``lo`` and ``hi`` as plain arrays keyed by (t, group), so a
    frame is a few dict look-ups, not pandas scans (120 frames x 2 runs x 8 traces)."""
    def by(df, keys, cols):
        d = df[(df["t"] >= lo) & (df["t"] <= hi)]
        arrays = {c: d[c].to_numpy() for c in cols}
        idx = d.groupby(keys, sort=False).indices if len(d) else {}
        return {k if isinstance(k, tuple) else (k,): {c: a[i] for c, a in arrays.items()}
                for k, i in idx.items()}, d

    pos, _ = by(p.positions, ["t", "activity"], ["x", "y"])
    proc = p.processors.assign(label=p.processors["processor"] + " "
                               + p.processors["server"].astype(str))
    proc, _ = by(proc, ["t", "state"], ["x", "y", "label"])
    cells, flat = by(p.cells, ["t"], ["x", "y", "travelers"])
    return PlanTables(p.label, p.zones, pos, proc, {"by_t": cells, "all": flat})


_EMPTY = {"x": np.zeros(0), "y": np.zeros(0), "label": np.zeros(0, object),
          "travelers": np.zeros(0)}


def _rows(grouped: dict, *key) -> dict:
    return grouped.get(tuple(float(k) if isinstance(k, (int, float, np.floating)) else k
                             for k in key), _EMPTY)


def _xy(v) -> list:
    return np.round(np.asarray(v, float), 1).tolist()


def _moving_traces(p: PlanTables, t: float, grid, heatmap: bool, axes: tuple[str, str]
                   ) -> list[dict]:
    """The traces that change from frame to frame, in a fixed order, as plain dicts (a frame
    of validated plotly objects costs ~100 ms; a dict costs nothing)."""
    xa, ya = axes
    traces: list[dict] = []
    if heatmap:
        xs, ys, cell_m = grid
        z = np.round(_density_grid(p.cells, t, xs, ys, cell_m), 2)
        traces.append(dict(type="heatmap", x=_xy(xs), y=_xy(ys), xaxis=xa, yaxis=ya,
                           z=[[None if np.isnan(v) else v for v in row] for row in z],
                           zmin=0, zmax=DENSITY_MAX, colorscale="YlOrRd", hoverongaps=False,
                           showscale=False, colorbar=dict(title="persons/m²", len=0.6),
                           hovertemplate="%{z:.2f} persons/m²<extra>density</extra>"))
    for act, colour in ACTIVITY_COLOURS.items():
        a = _rows(p.positions, t, act)
        traces.append(dict(type="scatter", x=_xy(a["x"]), y=_xy(a["y"]), mode="markers",
                           xaxis=xa, yaxis=ya, name=act.replace("_", " "), legendgroup=act,
                           marker=dict(size=4, color=colour), hoverinfo="skip"))
    for state, colour in STATE_COLOURS.items():
        s = _rows(p.processors, t, state)
        traces.append(dict(type="scatter", x=_xy(s["x"]), y=_xy(s["y"]), mode="markers",
                           xaxis=xa, yaxis=ya, name=f"processor {state}", legendgroup=state,
                           marker=dict(size=8, symbol="square", color=colour),
                           text=s["label"].tolist(),
                           hovertemplate="%{text}<extra>" + state + "</extra>"))
    return traces


def _static_traces(p: PlanTables) -> list[go.Scatter]:
    out = []
    for zone, z in p.zones.sort_values(["zone", "vertex"]).groupby("zone", sort=False):
        x = np.append(z["x"].to_numpy(), z["x"].iloc[0])
        y = np.append(z["y"].to_numpy(), z["y"].iloc[0])
        out.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=ZONE_FILL,
                              line=dict(color="#777", width=1), name=zone, showlegend=False,
                              hovertemplate=f"{zone}<extra></extra>"))
    return out


def plan_animation(runs: list[PlanTables], times: np.ndarray, heatmap: bool = True,
                   frame_ms: int = 150) -> dict:
    """One panel per run, every panel at the same instant; Play/Pause and a time slider. A
    figure dict (what ``st.plotly_chart`` and ``plotly.io`` take), frames unvalidated."""
    if not len(times):
        raise ValueError("no instant to show: the runs share no sampled time in the window")
    fig = make_subplots(rows=1, cols=len(runs), subplot_titles=[r.label for r in runs],
                        horizontal_spacing=0.04)
    lo, hi = float(times[0]), float(times[-1])
    runs = [_window(r, lo, hi) for r in runs]
    grids = [_grid_axes(r.cells, r.zones) for r in runs]
    axes = [(f"x{c if c > 1 else ''}", f"y{c if c > 1 else ''}") for c in
            range(1, len(runs) + 1)]
    for c, r in enumerate(runs, start=1):
        for tr in _static_traces(r):
            fig.add_trace(tr, row=1, col=c)
        fig.update_xaxes(title="x (m)", row=1, col=c, constrain="domain")
        fig.update_yaxes(title="y (m)" if c == 1 else None, row=1, col=c,
                         scaleanchor=axes[c - 1][0], scaleratio=1)
    n_static = len(fig.data)

    def moving(t: float) -> list[dict]:
        out = []
        for c, r in enumerate(runs):
            for tr in _moving_traces(r, t, grids[c], heatmap, axes[c]):
                tr["showlegend"] = c == 0 and tr["type"] != "heatmap"
                if tr["type"] == "heatmap":
                    tr["showscale"] = c == len(runs) - 1
                out.append(tr)
        return out

    first = moving(float(times[0]))
    moving_idx = list(range(n_static, n_static + len(first)))
    frames, steps = [], []
    for t in times:
        name = fmt_clock(float(t))
        frames.append(dict(data=moving(float(t)), traces=moving_idx, name=name))
        steps.append(dict(method="animate", label=name, args=[[name], dict(
            mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))]))
    play = dict(frame=dict(duration=frame_ms, redraw=True), transition=dict(duration=0),
                fromcurrent=True, mode="immediate")
    fig.update_layout(
        height=520, margin=dict(l=10, r=10, t=60, b=10),
        legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom"),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.08, xanchor="left",
                          yanchor="top", showactive=False, buttons=[
                              dict(label="▶ Play", method="animate", args=[None, play]),
                              dict(label="❚❚ Pause", method="animate", args=[[None], dict(
                                  mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=0, x=0.12, y=-0.04, len=0.88, yanchor="top", steps=steps,
                      currentvalue=dict(prefix="time since start (h:mm:ss): ",
                                        visible=True))])
    out = fig.to_dict()
    out["data"] = out["data"] + first
    out["frames"] = frames
    return out


def worded_headline(long: pd.DataFrame) -> pd.DataFrame:
    """The headline long table with each metric said in words with its unit, e.g. ``95th
    percentile e-gate queue wait (s)`` rather than ``egate_wait_p95_s``."""
    units = {"s": "s", "share": "%", "pax": "travelers", "m2": "m² per traveler",
             "pax/h": "travelers per hour"}
    words = [f"{(d or m).capitalize()} ({units.get(u, u)})" if u else (d or m).capitalize()
             for m, d, u in zip(long["metric"], long["description"], long["unit"])]
    return long.assign(metric=words)
