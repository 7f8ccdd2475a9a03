"""Issue 11's targets against evaluated CCTV runs, tune and test seeds apart.

    python -m experiments.cctv_targets --tune RUN1 RUN2 --test RUN101 RUN102 RUN103

Each RUN is a folder written by ``airtwin identify-cctv`` (evaluated: ``cctv_search_truth``,
``cctv_tracking``, ``cctv_cross_camera``, ``cctv_realtime``). Identification pools the runs'
searches (one row per search of a track's template) and measures them with
:func:`pipeline.cctv.metrics.identification_table`, so FPIR thresholds rest on every non-mated
search of the set; tracking is reported per run (its worst camera and cross-camera IDF1). The
table says how many searches stand behind each figure: FPIR 1e-2 needs >= 100 non-mated ones.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from outputs.run import load_run, read_run_summary
from pipeline.cctv.metrics import identification_table


def _tables(runs: list[Path]) -> dict[str, pd.DataFrame]:
    out: dict[str, list] = {k: [] for k in ("search", "tracking", "cross", "realtime")}
    for run in runs:
        t = load_run(run, ["cctv_search_truth", "cctv_tracking", "cctv_cross_camera",
                           "cctv_realtime"]).tables
        seed = read_run_summary(run)["cctv"]["seed"]
        out["search"].append(t["cctv_search_truth"].assign(seed=seed))
        out["tracking"].append(t["cctv_tracking"].assign(seed=seed))
        out["cross"].append(t["cctv_cross_camera"].assign(seed=seed))
        out["realtime"].append(t["cctv_realtime"].assign(seed=seed))
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def targets_rows(runs: list[Path], label: str) -> list[dict]:
    t = _tables(runs)
    s = t["search"]
    s = s.assign(ipd_ge_40=s["best_ipd_px"] >= 40)
    rows = []
    by_band = identification_table(s, ["ipd_band"]).set_index("ipd_band")
    for band in ("<20", "20-40", "40-60", ">=60"):
        r = by_band.loc[band] if band in by_band.index else None
        rows.append({"set": label, "measure": f"rank-1, IPD {band}",
                     "value": math.nan if r is None else float(r["rank1"]),
                     "n": 0 if r is None else int(r["n_mated"]), "target": ""})
    ge40 = identification_table(s[s["ipd_ge_40"]]) if s["ipd_ge_40"].any() else None
    rows.append({"set": label, "measure": "rank-1, IPD >= 40",
                 "value": math.nan if ge40 is None else float(ge40["rank1"].iloc[0]),
                 "n": 0 if ge40 is None else int(ge40["n_mated"].iloc[0]), "target": ">= 0.95"})
    allr = identification_table(s).iloc[0]
    for fpir in ("1e-2", "1e-3"):
        rows.append({"set": label, "measure": f"FNIR at FPIR {fpir} (all bands)",
                     "value": float(allr[f"fnir_at_fpir_{fpir}"]),
                     "n": int(allr["n_nonmated"]), "target": "n = non-mated searches"})
    for cam, g in identification_table(s, ["camera"]).groupby("camera"):
        rows.append({"set": label, "measure": f"rank-1 {cam}", "value": float(g["rank1"].iloc[0]),
                     "n": int(g["n_mated"].iloc[0]), "target": ""})
    for seed, g in t["tracking"].groupby("seed"):
        rows.append({"set": label, "measure": f"seed {seed}: per-camera IDF1 min / mean",
                     "value": f"{g['IDF1'].min():.3f} / {g['IDF1'].mean():.3f}",
                     "n": len(g), "target": ">= 0.8"})
    for seed, g in t["cross"].groupby("seed"):
        rows.append({"set": label, "measure": f"seed {seed}: cross-camera IDF1",
                     "value": float(g["IDF1"].iloc[0]), "n": int(g["gt_ids"].iloc[0]),
                     "target": ">= 0.7"})
    rt = t["realtime"].groupby("camera")["realtime_factor"].max()
    for cam, v in rt.items():
        rows.append({"set": label, "measure": f"real-time factor {cam} (worst seed)",
                     "value": float(v), "n": "", "target": "<= 1 keeps up"})
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tune", nargs="*", type=Path, default=[])
    ap.add_argument("--test", nargs="*", type=Path, default=[])
    a = ap.parse_args(argv)
    rows = []
    for label, runs in (("tune", a.tune), ("test", a.test)):
        if runs:
            rows += targets_rows(runs, label)
    df = pd.DataFrame(rows)
    df["value"] = [f"{v:.3f}" if isinstance(v, float) and v == v else ("–" if isinstance(v, float)
                   else v) for v in df["value"]]
    cols = list(df.columns)
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in df.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
