"""Scoring danger alerts on the procedural benchmark the way an operator would judge them
(issue 12). Pure functions over plain tables; the benchmark runner feeds them.

Tables (one row each):

- alerts: scene, t, kind, x, y (the alert's floor position, m: the foot point of its box, the
  middle of a density tile for overcrowding)
- incidents: scene, incident, kind, t_start, t_end, near_miss, natural, x, y, distance_m,
  crowd, and optionally path_x, path_y (lists: where a moving incident's people were, every
  0.5 s of its span, for the kinds in ``MOVING``). ``natural`` rows are overcrowding that the simulated crowd made by itself (derived
  from positions, see :func:`natural_crowding`) and travelers the walking model moved at a
  running pace (:func:`experiments.danger_bench.natural_running`): an alert on them is true,
  and they are scored for recall apart from the staged incidents.
- coverage: scene, t_from, t_to (analysed), baseline_from (incident-free from here on)

Rules:

- **Spatial matching.** An alert is true for an incident of its kind when it falls from the
  incident's start (``EARLY_S`` before it for loitering and overcrowding, whose labels leave
  out the actors' walk-in) to ``grace_s`` after its end AND its floor position lies within
  ``radius_m[kind]`` of the incident's spot, or for a moving incident (running, counterflow,
  tailgating: a runner laps 10-18 m at up to 6 m/s) of its people's path (``RADIUS_M``: 3 m for a person or a bag, the
  distance a foot point moves under a box's jitter at 25 m; 6 m for overcrowding, whose spot is
  the middle of a crowd of up to 30 m² and whose alert is the middle of a 5 m density tile).
- **Episodes.** Alerts of one kind in one scene within ``radius_m`` and ``episode_gap_s`` of
  the episode's last alert are one episode: what an operator sees as one event, with its
  duration. Precision counts episodes; the extra alerts inside an episode are counted as
  duplicates, and a second episode on an incident already caught is a duplicate episode
  (true, but counted).
- **Near misses.** An episode that matches only a near miss is a false alarm (counted apart).
- **No kind escapes.** A kind with episodes but no incidents has precision 0 and misses its
  target; a kind with incidents and no episodes has recall 0.
- **Baseline.** False episodes after a scene's ``baseline_from`` per camera-hour of baseline.
- **Confidence intervals.** 95 % percentile bootstrap over scenes (scenes resampled whole,
  since a scene's alerts are not independent).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

KINDS = ("overcrowding", "abandoned_bag", "running", "fall", "loitering", "counterflow",
         "tailgating")
RADIUS_M = {k: 3.0 for k in KINDS} | {"overcrowding": 6.0}
GRACE_S = 30.0
# A loitering label starts ``threshold_s`` after the actor reaches the spot, but the actor walks
# in through the same zone (in view) for up to 8 s before that (``sim/cctv/incidents.py``,
# ``_loitering``): by the label's own definition (time in the zone) the dwell is met up to 8 s
# earlier, so an alert that early is on time, not a false alarm.
# Likewise an overcrowding label starts when the last of its crowd has arrived, but the crowd
# walks in over ``gather_s`` (15 s, ``_overcrowding``) and is above the band before that.
EARLY_S = {"loitering": 10.0, "overcrowding": 15.0}
EPISODE_GAP_S = 60.0
MOVING = ("running", "counterflow", "tailgating")
TARGETS = {k: (0.9, 0.8) for k in KINDS} | {"fall": (0.7, 0.7)}  # recall, precision
BASELINE_FA_TARGET = 1.0  # per camera-hour
DISTANCE_BINS = (0, 10, 20, 30, math.inf)


def episodes(alerts: pd.DataFrame, radius_m=RADIUS_M, gap_s: float = EPISODE_GAP_S
             ) -> pd.DataFrame:
    """One row per episode: scene, kind, episode, t (first alert), t_last, x, y (first alert),
    alerts (how many)."""
    rows = []
    for (scene, kind), g in alerts.sort_values("t", kind="stable").groupby(["scene", "kind"],
                                                                           sort=True):
        open_: list[dict] = []
        for a in g.itertuples(index=False):
            hit = next((e for e in open_ if a.t - e["t_last"] <= gap_s
                        and math.hypot(a.x - e["x_last"], a.y - e["y_last"]) <= radius_m[kind]),
                       None)
            if hit is None:
                hit = {"scene": scene, "kind": kind, "t": a.t, "t_last": a.t, "x": a.x, "y": a.y,
                       "x_last": a.x, "y_last": a.y, "alerts": 0}
                open_.append(hit)
                rows.append(hit)
            hit.update(t_last=a.t, x_last=a.x, y_last=a.y, alerts=hit["alerts"] + 1)
    out = pd.DataFrame(rows, columns=["scene", "kind", "t", "t_last", "x", "y", "x_last",
                                      "y_last", "alerts"])
    out = out.drop(columns=["x_last", "y_last"]).sort_values(["scene", "t"], kind="stable")
    out.insert(2, "episode", range(len(out)))
    out["duration_s"] = out["t_last"] - out["t"]
    return out.reset_index(drop=True)


def match(eps: pd.DataFrame, alerts: pd.DataFrame, incidents: pd.DataFrame,
          radius_m=RADIUS_M, grace_s: float = GRACE_S) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Episodes with ``incident`` (-1: none), ``outcome`` (true, duplicate, near_miss, false);
    incidents with ``detected``, ``ttd_s`` (first matching alert minus start) and ``episodes``.
    An episode matches an incident when any of its alerts does."""
    inc = incidents.copy()
    inc["detected"] = False
    inc["ttd_s"] = np.nan
    inc["episodes"] = 0
    ep = eps.copy()
    ep["incident"] = -1
    ep["outcome"] = "false"
    key = {(r.scene, r.incident): i for i, r in enumerate(inc.itertuples(index=False))}
    for i, e in ep.iterrows():
        al = alerts[(alerts["scene"] == e["scene"]) & (alerts["kind"] == e["kind"])
                    & (alerts["t"] >= e["t"]) & (alerts["t"] <= e["t_last"])]
        cand = inc[(inc["scene"] == e["scene"]) & (inc["kind"] == e["kind"])]
        best, best_t, near = None, math.inf, False
        for a in al.itertuples(index=False):
            for c in cand.itertuples(index=False):
                if not (c.t_start - EARLY_S.get(c.kind, 0.0) <= a.t <= c.t_end + grace_s):
                    continue
                if _distance(a.x, a.y, c) > radius_m[e["kind"]]:
                    continue
                if c.near_miss:
                    near = True
                    continue
                if best is None:
                    best, best_t = c, a.t
        if best is None:
            ep.at[i, "outcome"] = "near_miss" if near else "false"
            continue
        j = key[(best.scene, best.incident)]
        ep.at[i, "incident"] = int(best.incident)
        if inc.iat[j, inc.columns.get_loc("detected")]:
            ep.at[i, "outcome"] = "duplicate"
        else:
            ep.at[i, "outcome"] = "true"
            inc.iat[j, inc.columns.get_loc("detected")] = True
            inc.iat[j, inc.columns.get_loc("ttd_s")] = max(0.0, best_t - best.t_start)
        inc.iat[j, inc.columns.get_loc("episodes")] += 1
    return ep, inc


def _distance(x: float, y: float, inc) -> float:
    """From an alert's floor position to the incident: its spot, or its people's path."""
    d = math.hypot(x - inc.x, y - inc.y)
    px, py = getattr(inc, "path_x", None), getattr(inc, "path_y", None)
    if px is not None and py is not None and len(px):
        d = min(d, float(np.min(np.hypot(np.asarray(px) - x, np.asarray(py) - y))))
    return d


def _rates(ep: pd.DataFrame, inc: pd.DataFrame) -> tuple[float, float]:
    staged = inc[~inc["near_miss"] & ~inc["natural"]]
    rec = staged["detected"].mean() if len(staged) else math.nan
    prec = ep["outcome"].isin(["true", "duplicate"]).mean() if len(ep) else math.nan
    return float(prec), float(rec)


def kind_table(ep: pd.DataFrame, inc: pd.DataFrame, alerts: pd.DataFrame,
               coverage: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per kind and for all kinds: staged incidents, detected, recall, episodes, alerts,
    duplicates (alerts beyond one per episode, plus duplicate episodes), near-miss and false
    episodes, precision, 95 % bootstrap CIs, TTD median and p95, natural crowding caught,
    false episodes per camera-hour (all analysed time and baseline only), target met."""
    hours = float((coverage["t_to"] - coverage["t_from"]).sum()) / 3600
    base = coverage.set_index("scene")["baseline_from"]
    base_hours = float((coverage["t_to"] - np.maximum(coverage["baseline_from"],
                                                      coverage["t_from"])).clip(lower=0).sum()) / 3600
    scenes = np.array(sorted(coverage["scene"].unique()))
    rng = np.random.default_rng(seed)
    boots = [rng.choice(scenes, len(scenes)) for _ in range(n_boot)]
    rows = []
    for kind in (*KINDS, "all"):
        e = ep if kind == "all" else ep[ep["kind"] == kind]
        i = inc if kind == "all" else inc[inc["kind"] == kind]
        a = alerts if kind == "all" else alerts[alerts["kind"] == kind]
        staged = i[~i["near_miss"] & ~i["natural"]]
        natural = i[i["natural"]]
        prec, rec = _rates(e, i)
        if len(e) and not len(staged) and not len(natural):
            prec = 0.0
        ps, rs = [], []
        eg, ig = dict(list(e.groupby("scene"))), dict(list(i.groupby("scene")))
        for b in boots:
            eb = pd.concat([eg[s] for s in b if s in eg]) if any(s in eg for s in b) else e[:0]
            ib = pd.concat([ig[s] for s in b if s in ig]) if any(s in ig for s in b) else i[:0]
            p, r = _rates(eb, ib)
            ps.append(p)
            rs.append(r)
        false = e[e["outcome"].isin(["false", "near_miss"])]
        in_base = false["t"].to_numpy() >= base.reindex(false["scene"]).to_numpy()
        ttd = staged.loc[staged["detected"], "ttd_s"]
        r_t, p_t = TARGETS.get(kind, (math.nan, math.nan))
        met = (None if kind == "all" else bool(
            (len(staged) == 0 or rec >= r_t) and (len(e) == 0 or prec >= p_t)
            and (len(staged) > 0 or len(e) == 0)))
        rows.append({
            "kind": kind, "incidents": len(staged), "detected": int(staged["detected"].sum()),
            "recall": rec, "recall_lo": _q(rs, 2.5), "recall_hi": _q(rs, 97.5),
            "episodes": len(e), "alerts": len(a),
            "duplicates": int(len(a) - len(e) + (e["outcome"] == "duplicate").sum()),
            "near_miss_alarms": int((e["outcome"] == "near_miss").sum()),
            "false_alarms": int((e["outcome"] == "false").sum()),
            "precision": prec, "precision_lo": _q(ps, 2.5), "precision_hi": _q(ps, 97.5),
            "ttd_median_s": float(ttd.median()) if len(ttd) else math.nan,
            "ttd_p95_s": float(np.percentile(ttd, 95)) if len(ttd) else math.nan,
            "natural_crowding": len(natural), "natural_detected": int(natural["detected"].sum()),
            "false_alarms_per_camera_hour": len(false) / hours if hours else math.nan,
            "baseline_false_alarms": int(in_base.sum()),
            "baseline_false_alarms_per_camera_hour": (in_base.sum() / base_hours
                                                      if base_hours else math.nan),
            "recall_target": r_t, "precision_target": p_t, "meets_target": met,
        })
    return pd.DataFrame(rows)


def _q(values, q: float) -> float:
    v = np.asarray([x for x in values if x == x], float)
    return float(np.percentile(v, q)) if len(v) else math.nan


def breakdown(ep: pd.DataFrame, inc: pd.DataFrame, by: str) -> pd.DataFrame:
    """Recall (staged incidents) and precision (episodes matched to an incident's bin) by
    camera distance (``by="distance"``, bins of ``DISTANCE_BINS`` m) or crowd (``by="crowd"``)."""
    inc = inc.copy()
    if by == "distance":
        inc["bin"] = pd.cut(inc["distance_m"], DISTANCE_BINS, right=False).astype(str)
    else:
        inc["bin"] = inc["crowd"]
    staged = inc[~inc["near_miss"] & ~inc["natural"]]
    rows = []
    for b, g in staged.groupby("bin", sort=True):
        rows.append({"by": by, "bin": b, "incidents": len(g), "detected": int(g["detected"].sum()),
                     "recall": float(g["detected"].mean())})
    out = pd.DataFrame(rows, columns=["by", "bin", "incidents", "detected", "recall"])
    if by == "crowd":  # false episodes per crowd class: every scene has one crowd
        crowd = inc.drop_duplicates("scene").set_index("scene")["crowd"]
        fa = ep[ep["outcome"].isin(["false", "near_miss"])].assign(
            bin=lambda d: crowd.reindex(d["scene"]).to_numpy())
        out["false_episodes"] = out["bin"].map(fa.groupby("bin").size()).fillna(0).astype(int)
    return out


def window_counts(xy: np.ndarray, bounds, window_m: float) -> tuple[np.ndarray, np.ndarray]:
    """People per ``window_m`` square floor window over ``bounds`` (x0, y0, x1, y1), windows at
    a stride of half their side (the overcrowding rule's own 2 x 2 half-cell windows), so a
    crowd on a corner of a fixed grid is not split into four cells that each read a quarter
    of it: (counts, window centres)."""
    x0, y0, x1, y1 = bounds
    half = window_m / 2
    nx = max(int(math.ceil((x1 - x0) / half)), 2)
    ny = max(int(math.ceil((y1 - y0) / half)), 2)
    grid = np.zeros((ny, nx))
    xy = np.asarray(xy, float).reshape(-1, 2)
    if len(xy):
        ix = ((xy[:, 0] - x0) // half).astype(int).clip(0, nx - 1)
        iy = ((xy[:, 1] - y0) // half).astype(int).clip(0, ny - 1)
        np.add.at(grid, (iy, ix), 1)
    counts = grid[:-1, :-1] + grid[1:, :-1] + grid[:-1, 1:] + grid[1:, 1:]
    gx, gy = np.meshgrid(x0 + half * (np.arange(nx - 1) + 1), y0 + half * (np.arange(ny - 1) + 1))
    return counts.ravel(), np.column_stack([gx.ravel(), gy.ravel()])


def natural_crowding(times, counts_per_cell, limit_per_m2: float, cell_area_m2: float,
                     cell_xy: np.ndarray, sustain_s: float = 8.0) -> list[tuple[float, float, float, float]]:
    """Spans where some floor cell's density exceeded the zone's band for ``sustain_s``:
    (t_start, t_end, x, y) with the spot at the crowded cells' middle. ``counts_per_cell``:
    (T, C) persons per cell at ``times``; cells are ``cell_area_m2`` (at least the rule's
    configured area)."""
    times = np.asarray(times, float)
    dens = np.asarray(counts_per_cell, float) / cell_area_m2
    over = dens > limit_per_m2
    spans, start = [], None
    for k, t in enumerate(times):
        if over[k].any() and start is None:
            start = k
        if start is not None and (not over[k].any() or k == len(times) - 1):
            end = k if over[k].any() else k - 1
            if times[end] - times[start] >= sustain_s:
                cells = over[start:end + 1].any(axis=0)
                x, y = np.asarray(cell_xy, float)[cells].mean(axis=0)
                spans.append((float(times[start]), float(times[end]), float(x), float(y)))
            start = None
    return spans


def _cost_line(meta: dict) -> str:
    """What the split cost: CPU seconds summed over the scenes that recorded them (rendering and
    analysis), and the wall-clock time that makes on two free cores with ``--workers 2``."""
    cpu, n, total = meta.get("cpu_s"), meta.get("cpu_scenes", 0), meta.get("scenes", 0)
    if not cpu or not n:
        return "- CPU time: not recorded (run folders from before it was)"
    part = "" if n == total else f" (recorded by {n} of {total} scenes)"
    return (f"- CPU time: {cpu:.0f} s over the scenes{part}, about {cpu / 2 / 60:.1f} min on two "
            f"free cores (`--workers 2`); wall-clock here {meta.get('wall_s', 0):.0f} s of "
            f"analysis, on this machine's load")


def report_markdown(table: pd.DataFrame, by_distance: pd.DataFrame, by_crowd: pd.DataFrame,
                    meta: dict) -> str:
    def f(v, d=2):
        return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else (
            ("yes" if v else "NO") if isinstance(v, (bool, np.bool_)) else
            f"{v:.{d}f}" if isinstance(v, float) else str(v))

    lines = [f"# Danger benchmark: {meta['split']} split", "",
             f"- Seeds: {meta['seeds']}", f"- Command: `{meta.get('command', '?')}`",
             f"- Camera-hours analysed: {meta['hours']:.2f}, baseline: {meta['baseline_hours']:.2f}",
             _cost_line(meta),
             f"- Matching: same kind, from start to {GRACE_S:g} s after the end, floor position "
             f"within {RADIUS_M['running']:g} m of the spot ({RADIUS_M['overcrowding']:g} m for "
             f"overcrowding); alerts merged into episodes ({EPISODE_GAP_S:g} s gap). CIs: 95 % "
             f"bootstrap over scenes.", "",
             "| kind | incidents | detected | recall [95% CI] | episodes | alerts | duplicates "
             "| near-miss FA | false | precision [95% CI] | TTD p50 s | TTD p95 s | natural crowding caught "
             "| baseline FA/cam-h | target |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|:---:|"]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.kind} | {r.incidents} | {r.detected} | {f(r.recall)} [{f(r.recall_lo)}, "
            f"{f(r.recall_hi)}] | {r.episodes} | {r.alerts} | {r.duplicates} | "
            f"{r.near_miss_alarms} | {r.false_alarms} | {f(r.precision)} [{f(r.precision_lo)}, "
            f"{f(r.precision_hi)}] | {f(r.ttd_median_s, 1)} | {f(r.ttd_p95_s, 1)} | "
            f"{r.natural_detected}/{r.natural_crowding} | "
            f"{f(r.baseline_false_alarms_per_camera_hour)} | {f(r.meets_target)} |")
    for name, t in (("camera distance (m)", by_distance), ("crowd", by_crowd)):
        lines += ["", f"## Recall by {name}", "", "| bin | incidents | detected | recall |"
                  + (" false episodes |" if "false_episodes" in t else ""),
                  "|---|---:|---:|---:|" + ("---:|" if "false_episodes" in t else "")]
        for r in t.to_dict("records"):
            lines.append(f"| {r['bin']} | {r['incidents']} | {r['detected']} | "
                         f"{f(r['recall'])} |" + (f" {r['false_episodes']} |"
                                                  if "false_episodes" in r else ""))
    return "\n".join(lines) + "\n"
