"""Overcrowding's count model against the simulated crowd (issue 12, round 13): every density
window of every kept tune measurement, second by second, its measured persons/m² beside the
true one (people whose floor point lies in the window's cells: the simulated travelers and the
staged actors), with what the measurement knows about the window (distance and viewing span,
pixel capacity, camera height and tilt, the linear foreground coverage, the observations whose
foot point lies in it) and what only the simulator knows (how many of the people stand still,
how much of their image nearer people cover).

    OMP_NUM_THREADS=1 python -m experiments.danger_crowd_fit pairs --roots /work/runs/dt24:0-19 \\
        /work/runs/danger-motion/m:20-39 /work/runs/dt40:40-59 /work/runs/dt60:60-79 \\
        --out runs/crowd-fit
    python -m experiments.danger_crowd_fit table --out runs/crowd-fit     # bias / spread bands
    python -m experiments.danger_crowd_fit fit --out runs/crowd-fit       # fit 0-59, check 60-79
    python -m experiments.danger_crowd_fit steady --out runs/crowd-fit    # round 16's still crowds
    python -m experiments.danger_crowd_fit los --out runs/crowd-fit       # round 17's front check

``fit`` fits the crowd factor's floor (``rules.overcrowding.crowd_factor_min``) on each half
(:func:`fit_factor_min`): what the dense windows nearer than a 6-m body span need, one vote per
seed, and from what factor a window never over the band would sustain a reading over the alert
line. Pairs are kept measurements only (judged seeds; the test split is refused).

``pairs`` is resumable (one Parquet per seed under ``OUT/pairs``); ``table`` and ``fit`` read
them. Densities are judged as the current tree's stream would read them (the kept readings
rescaled to this tree's per-window crowd factors, as :func:`judge_scene` does), and the
foreground count is recovered before the occupancy model (``linear``) by inverting
:func:`pipeline.danger.observe.occupancy_count`.
"""

from __future__ import annotations

import argparse
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.danger_tracker_compare import _seeds, kept_factors, scene_stream
from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import viewing_span

STILL_MPS = 0.3  # slower than this is standing (queues shuffle, staged crowds wait)
STEP_S = 1.0
DIST_BINS = (0, 8, 12, 16, 20, 25, math.inf)
TRUE_BINS = (-0.01, 0.1, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 10.0)  # x the zone's band


def _truth_at(traj, script, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Everyone's floor point (N, 2) and speed (N,) at ``t``: travelers and staged actors."""
    a = traj.arrays_at(float(t))
    xy = [np.column_stack([a["x"], a["y"]])]
    sp = [np.asarray(a["speed"], float)]
    acts = script.actors_at(float(t))
    if acts:
        xy.append(np.array([[st[0], st[1]] for _, st in acts], float))
        sp.append(np.array([st[4] for _, st in acts], float))
    return np.vstack(xy), np.concatenate(sp)


def _covered(cam, xy: np.ndarray, height_m: float = 1.7, width_m: float = 0.55) -> np.ndarray:
    """Share of each person's upright image box that nearer people's boxes cover (summed
    overlaps, at most 1): how much of them the foreground cannot show."""
    n = len(xy)
    if n == 0:
        return np.zeros(0)
    foot, zf = cam.project(np.column_stack([xy, np.zeros(n)]))
    head, zh = cam.project(np.column_stack([xy, np.full(n, height_m)]))
    depth = (zf + zh) / 2
    half = width_m * cam.focal_px / np.maximum(depth, 0.3) / 2
    ok = np.all(np.isfinite(foot), axis=1) & np.all(np.isfinite(head), axis=1)
    u0, u1 = foot[:, 0] - half, foot[:, 0] + half
    v0, v1 = np.minimum(head[:, 1], foot[:, 1]), np.maximum(head[:, 1], foot[:, 1])
    area = np.maximum((u1 - u0) * (v1 - v0), 1e-6)
    iw = np.clip(np.minimum(u1[:, None], u1[None]) - np.maximum(u0[:, None], u0[None]), 0, None)
    ih = np.clip(np.minimum(v1[:, None], v1[None]) - np.maximum(v0[:, None], v0[None]), 0, None)
    nearer = (depth[None] < depth[:, None]) & ok[None] & ok[:, None]
    cov = np.where(nearer, iw * ih, 0.0).sum(axis=1) / area
    return np.where(ok, np.minimum(cov, 1.0), np.nan)


def window_pairs(seed: int, root: str | Path, step_s: float = STEP_S,
                 config: DangerConfig = DangerConfig()) -> pd.DataFrame:
    """One row per window and sampled frame (every ``step_s`` of the analysed stretch) of a
    kept measurement (``root/measured/<seed>.pkl``): measured and true density and what the
    runtime and the simulator know about the window then."""
    from floorplan.shapes import points_in_polygon
    from sim.cctv.incidents import IncidentScript
    from sim.positions import Trajectories

    root = Path(root)
    m = pickle.loads((root / "measured" / f"{seed}.pkl").read_bytes())
    s, plan, st = scene_stream(root, seed, config)
    info = m["info"]
    traj = Trajectories.from_records(m["records"], s, plan)
    script = IncidentScript(s, seed, plan)
    cam = plan.camera("cam")
    c = st.floor.camera_centre()
    kept = kept_factors(m, st)
    names = list(st._windows)
    area = np.array([st.regions[n].area_m2 for n in names])
    limit = np.array([st.regions[n].limit_per_m2 for n in names])
    factor = np.array([st.crowd_factors[n] for n in names])
    front = [st.regions[n].front or "" for n in names]
    kfac = np.array([kept[n] for n in names])
    cap = np.array([sum(st._density.capacity[k] for k in st._windows[n]) for n in names])
    box = np.array([st._window_boxes[n] for n in names])
    centre = np.column_stack([(box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2])
    dist = np.hypot(centre[:, 0] - c[0], centre[:, 1] - c[1])
    span = viewing_span(st.floor, centre, st.body)
    cells = list(st._cells)
    member = np.zeros((len(cells), len(names)), bool)
    for j, n in enumerate(names):
        for k in st._windows[n]:
            member[cells.index(k), j] = True
    t_from = info["analyse_from_s"]
    rows = []
    last = -math.inf
    for t, obs, density in m["frames"]:
        if t < t_from or density is None or t - last < step_s - 1e-6:
            continue
        last = t
        xy, speed = _truth_at(traj, script, t)
        in_cell = (np.column_stack([points_in_polygon(xy, st._cells[k]) for k in cells])
                   if len(xy) else np.zeros((0, len(cells)), bool))
        in_win = (in_cell.astype(np.int32) @ member.astype(np.int32)) > 0  # (N, W)
        cov = _covered(cam, xy)
        still = speed < STILL_MPS
        oxy = np.array([o.xy for o in obs], float).reshape(-1, 2)
        o_in = (np.column_stack([points_in_polygon(oxy, st._cells[k]) for k in cells])
                if len(oxy) else np.zeros((0, len(cells)), bool))
        o_win = (o_in.astype(np.int32) @ member.astype(np.int32)) > 0
        opers = np.array([o.persons for o in obs], float)
        ogroup = np.array([o.kind == "group" for o in obs], bool)
        meas = np.array([density[n] for n in names]) * factor / kfac
        n_true = in_win.sum(axis=0)
        for j in range(len(names)):
            w = in_win[:, j]
            rows.append((seed, t, names[j], front[j], area[j], limit[j], dist[j], span[j], cap[j],
                         factor[j], meas[j], int(n_true[j]), int(still[w].sum()),
                         float(np.nanmean(cov[w])) if w.any() else 0.0,
                         int(o_win[:, j].sum()), float(opers[o_win[:, j]].sum()),
                         int(ogroup[o_win[:, j]].sum())))
    df = pd.DataFrame(rows, columns=["seed", "t", "window", "front", "area_m2", "limit", "dist_m",
                                     "span_m",
                                     "capacity", "factor", "meas", "n_true", "n_still",
                                     "covered", "n_obs", "obs_persons", "n_groups"])
    n_occ = df["meas"] * df["area_m2"] / df["factor"]
    df["linear"] = df["capacity"] * -np.expm1(-n_occ / df["capacity"].clip(lower=1e-9))
    df["coverage"] = df["linear"] / df["capacity"].clip(lower=1e-9)
    df["true"] = df["n_true"] / df["area_m2"]
    df["true_x"] = df["true"] / df["limit"]
    df["meas_x"] = df["meas"] / df["limit"]
    df["cam_h"] = float(c[2])
    df["tilt"] = float(info["tilt_deg"])
    df["crowd"] = info["crowd"]
    df["resolution"] = info["resolution"]
    return df


def bias_table(df: pd.DataFrame) -> pd.DataFrame:
    """Read ratio (measured / true) and its spread per distance and true-density band (x the
    zone's band), over windows with anyone in them."""
    d = df[df["n_true"] > 0].copy()
    d["dist"] = pd.cut(d["dist_m"], DIST_BINS, right=False)
    d["true_band"] = pd.cut(d["true_x"], TRUE_BINS)
    d["ratio"] = d["meas"] / d["true"]
    g = d.groupby(["dist", "true_band"], observed=True)
    out = g.agg(pairs=("ratio", "size"), seeds=("seed", "nunique"), ratio_p50=("ratio", "median"),
                ratio_p10=("ratio", lambda x: x.quantile(0.1)),
                ratio_p90=("ratio", lambda x: x.quantile(0.9)),
                still=("n_still", "sum"), people=("n_true", "sum"),
                covered=("covered", "mean"), coverage=("coverage", "median"),
                over_alert=("meas_x", lambda x: float((x > 1.25).mean()))).reset_index()
    out["still"] = out["still"] / out["people"].clip(lower=1)
    return out.drop(columns="people")


NEAR_SPAN_M = 6.0  # nearer than this (a body's floor span) the factor floor is fitted
DENSE_X = 0.75  # windows at least this share of the band are crowds the factor must read
SUSTAIN_N = 8  # samples (1 s apart): the rule's sustain_s


def _sustained(df: pd.DataFrame, col: str, how: str) -> pd.Series:
    g = df.sort_values("t").groupby(["seed", "window"])[col]
    return g.transform(lambda x: getattr(x.rolling(SUSTAIN_N, min_periods=1 if how == "max"
                                                   else SUSTAIN_N, center=how == "max"), how)())


def fit_factor_min(df: pd.DataFrame) -> dict:
    """The crowd factor's floor from windows nearer than ``NEAR_SPAN_M`` of span: per seed the
    median of true / read-at-factor-1 over its dense windows (``DENSE_X`` of the band and more),
    then the median over seeds (each seed one vote); and the false side: the highest sustained
    reading at factor 1 of a window never over the band (its 8 s maximum of the truth), i.e. the
    factor from which it would alert (margin over that reading)."""
    d = df[df["span_m"] < NEAR_SPAN_M].copy()
    d["read1"] = d["meas_x"] / d["factor"]
    dense = d[d["true_x"] >= DENSE_X]
    per_seed = (dense["true_x"] / dense["read1"].clip(lower=1e-3)).groupby(dense["seed"]).median()
    d["true_s"] = _sustained(d, "true_x", "max")
    d["read_s"] = _sustained(d, "read1", "min")
    under = d[d["true_s"] < 1.0]
    worst = under.groupby("seed")["read_s"].max().dropna()
    margin = DangerConfig().rules.overcrowding.margin
    return {"seeds": int(per_seed.size), "factor_min": float(per_seed.median()) if len(per_seed)
            else math.nan, "per_seed": per_seed.round(2).to_dict(),
            "false_from_factor": float(margin / worst.max()) if len(worst) else math.inf,
            "false_seed": int(worst.idxmax()) if len(worst) else None}


def steady_lift(df: pd.DataFrame, span_s: float, cv: float, factor: float) -> pd.DataFrame:
    """Windows that reading a steady window ``factor`` times (its reading's spread under ``cv``
    of its mean over the last ``span_s`` of samples: ``rules.overcrowding.steady_s``, round 16)
    lifts over the alert line for ``SUSTAIN_N`` samples where the plain reading was not, with
    their truth then (its 8 s maximum, x the band): staged crowds gained, or false alerts made."""
    n = max(int(round(span_s / STEP_S)), 2)
    d = df.sort_values(["seed", "window", "t"]).copy()
    g = d.groupby(["seed", "window"])["meas"]
    mean = g.transform(lambda x: x.rolling(n, min_periods=n).mean())
    sd = g.transform(lambda x: x.rolling(n, min_periods=n).std(ddof=0))
    d["lifted"] = np.where(sd < cv * mean.clip(lower=1e-9), d["meas_x"] * factor, d["meas_x"])
    margin = DangerConfig().rules.overcrowding.margin
    d["plain_s"] = _sustained(d, "meas_x", "min")
    d["lifted_s"] = _sustained(d, "lifted", "min")
    d["true_s"] = _sustained(d, "true_x", "max")
    new = d[(d["lifted_s"] > margin) & ~(d["plain_s"] > margin)]
    return new.groupby(["seed", "window"]).agg(
        t_first=("t", "min"), t_last=("t", "max"), samples=("t", "size"),
        true_min=("true_s", "min"), true_med=("true_s", "median"),
        read_max=("plain_s", "max"), dist_m=("dist_m", "first"),
        span_m=("span_m", "first")).reset_index()


def front_check(df: pd.DataFrame, line_x: float = 1.25) -> pd.DataFrame:
    """Round 17's line-of-sight check (``rules.overcrowding.los_share``): every stretch where a
    window read over ``line_x`` x the band for ``SUSTAIN_N`` samples, with its body span, its
    front window's reading over its own (min and median over the stretch) and the truth (8 s
    maximum, x the band) of both. ``line_x`` under the alert line shows the windows the still
    crowds' boost (``steady_factor``) lifts."""
    rows = []
    for seed, d in df.groupby("seed"):
        read = d.pivot(index="t", columns="window", values="meas_x")
        true = d.pivot(index="t", columns="window", values="true_x")
        meta = d.groupby("window")[["front", "span_m", "dist_m"]].first()
        for w in read.columns:
            over = (read[w] > line_x).rolling(SUSTAIN_N).sum() >= SUSTAIN_N
            if not over.any():
                continue
            f = meta.at[w, "front"]
            fr = read[f] if f in read else pd.Series(np.nan, index=read.index)
            ts = read.index[over.to_numpy()]
            for g in np.split(ts, np.flatnonzero(np.diff(ts) > 5 * STEP_S) + 1):
                sl = slice(g[0] - (SUSTAIN_N - 1) * STEP_S, g[-1])
                ratio = fr[sl] / read[w][sl].clip(lower=1e-9)
                rows.append({"seed": seed, "window": w, "dist_m": meta.at[w, "dist_m"],
                             "span_m": meta.at[w, "span_m"], "front": f, "t0": g[0], "t1": g[-1],
                             "read": read[w][sl].median(), "front_ratio_min": ratio.min(),
                             "front_ratio_med": ratio.median(), "true": true[w][sl].max(),
                             "front_true": true[f][sl].max() if f in true else np.nan})
    return pd.DataFrame(rows)


def load_pairs(out: str | Path) -> pd.DataFrame:
    files = sorted(Path(out, "pairs").glob("*.parquet"))
    if not files:
        raise SystemExit(f"{out}/pairs: no pairs yet (run the pairs subcommand first)")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs")
    p.add_argument("--roots", nargs="+", required=True, help="ROOT:SEEDS, e.g. /work/runs/dt24:0-19")
    p.add_argument("--out", required=True)
    p.add_argument("--step", type=float, default=STEP_S)
    t = sub.add_parser("table")
    t.add_argument("--out", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--out", required=True)
    f.add_argument("--split", type=int, default=60, help="fit below this seed, check from it")
    d = sub.add_parser("steady", help="windows a steady-reading boost lifts over the line")
    d.add_argument("--out", required=True)
    d.add_argument("--span", type=float, default=40.0)
    d.add_argument("--cv", type=float, default=0.005)
    d.add_argument("--factor", type=float, default=1.5)
    c = sub.add_parser("los", help="round 17's line-of-sight check, per window over the line")
    c.add_argument("--out", required=True)
    c.add_argument("--line", type=float, default=1.25, help="x the band (0.8: boosted windows)")
    a = ap.parse_args(argv)
    if a.cmd == "pairs":
        folder = Path(a.out, "pairs")
        folder.mkdir(parents=True, exist_ok=True)
        for spec in a.roots:
            root, _, seeds = spec.rpartition(":")
            for seed in _seeds(seeds):
                if seed >= 1000:
                    raise SystemExit(f"--roots: tune seeds only, got {seed}: the test split is "
                                     f"held out")
                f = folder / f"{seed}.parquet"
                if f.is_file() or not Path(root, "measured", f"{seed}.pkl").is_file():
                    continue
                window_pairs(seed, root, a.step).to_parquet(f)
                print(f"pairs {seed}", flush=True)
    elif a.cmd == "table":
        pd.set_option("display.width", 220)
        print(bias_table(load_pairs(a.out)).to_string(index=False, float_format="%.2f"))
    elif a.cmd == "steady":
        df = load_pairs(a.out)
        # judged at factor floor 1.0 (as kept): rescale nothing, read as measured
        lift = steady_lift(df, a.span, a.cv, a.factor)
        pd.set_option("display.width", 220)
        print(lift.to_string(index=False, float_format="%.2f"))
        print(f"seeds with a lifted window never over the band (truth < 1): "
              f"{sorted(lift.loc[lift['true_min'] < 1.0, 'seed'].unique().tolist())}")
    elif a.cmd == "los":
        pd.set_option("display.width", 220)
        pd.set_option("display.max_rows", 1000)
        print(front_check(load_pairs(a.out), a.line).to_string(index=False, float_format="%.2f"))
    elif a.cmd == "fit":
        df = load_pairs(a.out)
        lo, hi = df[df["seed"] < a.split], df[df["seed"] >= a.split]
        for name, part in ((f"seeds < {a.split}", lo), (f"seeds >= {a.split}", hi)):
            r = fit_factor_min(part)
            print(f"{name}: factor floor {r['factor_min']:.2f} over {r['seeds']} seeds with "
                  f"dense near windows {r['per_seed']}; a window never over the band would "
                  f"alert from factor {r['false_from_factor']:.2f} (seed {r['false_seed']})")


if __name__ == "__main__":
    main()
