"""Overcrowding alone, replayed on kept measurements (issue 12, round 17): the rule reads only
the window densities, so it is judged again from :func:`experiments.danger_tracker_compare.
measure_scene`'s kept ``ROOT/measured/<seed>.pkl`` in a second or two per scene (no tracker, no
other rule), and scored as the benchmark scores it (:func:`experiments.danger_score.episodes` /
``match`` against the staged crowds and the natural ones, :func:`experiments.danger_bench.
bench_tables`; each seed's incidents are kept in ``ROOT/incidents/<seed>.parquet`` once).

    OMP_NUM_THREADS=1 python -m experiments.danger_crowd_judge --root /work/runs/danger-crowd4/m \\
        --seeds 0-79 --set base '{}' --set los '{"rules": {"overcrowding": {"...": 1}}}'

Prints per setting and seed set (tune 0-79, check 80-99, 100-119) the staged crowds caught /
staged, the natural crowds caught, and the false episodes; ``--alerts`` lists every alert.
Seeds without a kept measurement are skipped (and said so); a measurement cut short
(``measure_scene``'s ``max_s``) is judged up to where it stops (said so). The test split is
refused.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import pandas as pd

from experiments.danger_scenes import TEST_SEEDS
from experiments.danger_tracker_compare import _seeds, kept_factors, scene_stream
from pipeline.danger.config import DangerConfig

SETS = (("tune 0-79", 0, 80), ("check 80-99", 80, 100), ("check 100-119", 100, 120))


def replay(seed: int, root: str | Path, config: DangerConfig = DangerConfig()) -> pd.DataFrame:
    """The overcrowding alerts of a kept scene under ``config`` (as :func:`judge_scene` would
    give them: densities rescaled to this tree's crowd factors, alerts before the analysed
    stretch dropped), with their floor point (``x``, ``y``) and window."""
    from experiments.danger_bench import _floor_xy
    from pipeline.danger.rules import make_rules
    from pipeline.danger.scene import Scene

    root = Path(root)
    m = pickle.loads((root / "measured" / f"{seed}.pkl").read_bytes())
    _, plan, st = scene_stream(root, seed, config)
    kept = kept_factors(m, st)
    scale = {k: f / kept[k] for k, f in st.crowd_factors.items()}
    rule = next(r for r in make_rules(config, st.body) if r.kind == "overcrowding")
    t_from = m["info"]["analyse_from_s"]
    rows = []
    for t, _, density in m["frames"]:
        density = {k: v * scale[k] for k, v in (density or {}).items()}
        sc = Scene(t, "cam", [], st.geometry, density, st.regions, floor=st.floor)
        for al in rule.update(sc):
            if t >= t_from:
                rows.append({"scene": seed, "t": al.t, "kind": al.kind, "zone": al.zone,
                             "x1": al.box[0], "y1": al.box[1], "x2": al.box[2], "y2": al.box[3],
                             "confidence": al.confidence, "detail": al.detail})
    al = pd.DataFrame(rows, columns=["scene", "t", "kind", "zone", "x1", "y1", "x2", "y2",
                                     "confidence", "detail"])
    xy = _floor_xy(plan.camera("cam"), al)
    al["x"] = xy[:, 0] if len(xy) else []
    al["y"] = xy[:, 1] if len(xy) else []
    return al


def incidents(seed: int, root: str | Path) -> pd.DataFrame:
    """The scene's overcrowding incidents (staged and natural), kept once per seed."""
    root = Path(root)
    f = root / "incidents" / f"{seed}.parquet"
    if not f.is_file():
        from experiments.danger_bench import bench_tables
        from experiments.danger_run import ALERT_COLUMNS
        from sim.loader import load_scenario

        m = pickle.loads((root / "measured" / f"{seed}.pkl").read_bytes())
        s = load_scenario(root / "scenes" / str(seed) / f"scene_{seed}.yaml")
        inc = bench_tables(seed, s, m["info"], pd.DataFrame(columns=ALERT_COLUMNS),
                           m["records"], 0.0)["bench_incidents"]
        inc = inc[inc["kind"] == "overcrowding"].drop(columns=["path_x", "path_y"])
        # a measurement cut short (``measure_scene(max_s=...)``) judges only what it saw
        inc = inc[inc["t_start"] < m["t_to"]].assign(t_to=m["t_to"], horizon_s=s.horizon_s)
        f.parent.mkdir(parents=True, exist_ok=True)
        inc.to_parquet(f)
    return pd.read_parquet(f)


def score(alerts: pd.DataFrame, inc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Episodes (with ``outcome``) and incidents (with ``detected``), as the benchmark matches."""
    from experiments import danger_score as S

    inc = inc.copy()
    inc["near_miss"] = inc["near_miss"].astype(bool)
    inc["natural"] = inc["natural"].astype(bool)
    eps = S.episodes(alerts[["scene", "t", "kind", "x", "y"]])
    return S.match(eps, alerts, inc)


def judge(seeds, root: str | Path, config: DangerConfig) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                  pd.DataFrame]:
    """Alerts, episodes and incidents of every kept seed of ``seeds`` under ``config``."""
    al = [replay(s, root, config) for s in seeds]
    inc = [incidents(s, root) for s in seeds]
    al = pd.concat(al, ignore_index=True) if al else pd.DataFrame()
    inc = pd.concat(inc, ignore_index=True)
    eps, inc = score(al, inc)
    return al, eps, inc


def tally(eps: pd.DataFrame, inc: pd.DataFrame, lo: int, hi: int) -> dict:
    e = eps[(eps["scene"] >= lo) & (eps["scene"] < hi)]
    i = inc[(inc["scene"] >= lo) & (inc["scene"] < hi)]
    staged = i[~i["natural"] & ~i["near_miss"]]
    nat = i[i["natural"]]
    false = e[e["outcome"] == "false"]
    return {"caught": int(staged["detected"].sum()), "staged": len(staged),
            "missed": sorted(staged.loc[~staged["detected"], "scene"].astype(int).tolist()),
            "natural": f"{int(nat['detected'].sum())} / {len(nat)}",
            "false": len(false),
            "false_at": [f"{int(r.scene)}@{r.t:.1f}" for r in false.itertuples()]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--seeds", required=True, help="e.g. 0-79,80-119")
    ap.add_argument("--set", nargs=2, action="append", metavar=("NAME", "JSON"),
                    default=None, help="a named setting: overrides of DangerConfig as JSON")
    ap.add_argument("--alerts", action="store_true", help="list every overcrowding alert")
    a = ap.parse_args(argv)
    seeds = _seeds(a.seeds)
    if set(seeds) & set(TEST_SEEDS):
        raise SystemExit(f"--seeds: the test split {TEST_SEEDS[0]}-{TEST_SEEDS[-1]} is held out")
    kept = [s for s in seeds if Path(a.root, "measured", f"{s}.pkl").is_file()]
    print(f"kept {len(kept)} of {len(seeds)} seeds: {kept}")
    cut = pd.concat([incidents(s, a.root) for s in kept]).groupby("scene")[["t_to", "horizon_s"]]
    cut = cut.first().query("t_to < horizon_s - 1")
    if len(cut):
        print("measured only up to t_to (the staged crowd and 60 s after it): "
              + ", ".join(f"{int(k)} ({r.t_to:.0f} of {r.horizon_s:.0f} s)"
                          for k, r in cut.iterrows()))
    for name, js in a.set or [("default", "{}")]:
        cfg = DangerConfig.model_validate(json.loads(js))
        al, eps, inc = judge(kept, a.root, cfg)
        print(f"\n## {name} {js}")
        for label, lo, hi in SETS:
            if any(lo <= s < hi for s in kept):
                print(f"{label}: {tally(eps, inc, lo, hi)}")
        if a.alerts and len(al):
            pd.set_option("display.width", 220)
            e = eps.set_index("episode")
            print(al[["scene", "t", "zone", "x", "y", "detail"]]
                  .to_string(index=False))
            print(e[["scene", "t", "x", "y", "alerts", "outcome", "incident"]].to_string())


if __name__ == "__main__":
    main()
