"""``airtwin evaluate-tracking RUN... --pool OUT``: one set of figures over several evaluated CCTV
identification runs of one source and gallery policy (e.g. held-out seeds); and issue 11's
targets over such runs, tune and test seeds apart::

    python -m experiments.cctv_pool --tune RUN1 RUN2 --test RUN101 RUN102 RUN103

Identification is pooled the NIST FRTE way: every run's searches go into one table and the
threshold for each target FPIR is set once, on all non-mated searches together, so FPIR 1e-2 and
1e-3 rest on as many non-mated searches as the runs hold between them (a single one-minute run
holds ~60). Tracking stays per camera and run (a camera-minute is the unit the targets count)
with a per-camera summary over the runs; cross-camera IDF1 and false identifications are listed
per run and summed or averaged. Runs of different policies, backends or thresholds are refused:
their scores are not on one scale.
"""

from __future__ import annotations

from pathlib import Path

import argparse
import math

import numpy as np
import pandas as pd

from experiments.cctv_evaluate import _md, fpir_note
from experiments.cctv_sources import GROUP_COLUMNS
from pipeline.cctv.metrics import identification_by, identification_table

REPORT = "cctv_pooled_report.md"
NEEDED = ["cctv_search_truth", "cctv_tracking", "cctv_cross_camera", "cctv_false_ids",
          "cctv_realtime"]
# with the rows of short track gaps filled (pipeline.cctv.gaps); pooled beside the tracker's own
# rows where every run has them (runs evaluated before it do not)
FILLED = ["cctv_tracking_filled", "cctv_cross_camera_filled"]
SAME = ["source_name", "policy", "backend", "embedder", "threshold", "persons", "tracker"]
IDF1_TARGET = 0.8


def _load(run: Path):
    from outputs.run import RunFolderError, load_run, read_run_summary

    missing = [t for t in NEEDED if t not in read_run_summary(run)["tables"]]
    if missing:
        raise RunFolderError(f"{run}: not evaluated (missing {', '.join(missing)}); run "
                             f"airtwin evaluate-tracking {run} first")
    have = read_run_summary(run)["tables"]
    r = load_run(run, tables=NEEDED + [t for t in FILLED if t in have])
    if "cctv" not in r.summary:
        raise RunFolderError(f"{run}: not a CCTV identification run (no summary cctv section)")
    return r


def pooled(runs: list[str | Path]) -> tuple[dict[str, pd.DataFrame], dict, list[dict]]:
    """Every run's evaluated tables concatenated (``run`` and ``seed`` columns added), after
    checking the runs share one source, policy, backend and threshold; with the first run's
    ``cctv`` summary section and each run's summary."""
    from outputs.run import RunFolderError

    if not runs:
        raise RunFolderError("no run folders to pool")
    loaded = [(Path(p), _load(Path(p))) for p in runs]
    first_path, first = loaded[0]
    ref = first.summary["cctv"]
    for path, r in loaded[1:]:
        meta = r.summary["cctv"]
        for field in SAME:
            if meta.get(field) != ref.get(field):
                raise RunFolderError(
                    f"{path}: cctv.{field} is {meta.get(field)!r} but {first_path} has "
                    f"{ref.get(field)!r}; only runs of one source, policy, backend and threshold "
                    f"can be pooled")
    names = [p.name if p.name else str(p) for p, _ in loaded]
    if len(set(names)) < len(names):
        names = [str(p) for p, _ in loaded]
    tables = {t: pd.concat([r[t].assign(run=n, seed=r.summary.get("seed"))
                            for n, (_, r) in zip(names, loaded)], ignore_index=True)
              for t in NEEDED + [t for t in FILLED
                                 if all(t in r.tables for _, r in loaded)]}
    return tables, ref, [r.summary for _, r in loaded]


def pool_runs(runs: list[str | Path]) -> tuple[dict[str, pd.DataFrame], dict, str]:
    """Pooled tables, the summary's ``cctv_pool`` section and the markdown report."""
    from outputs.run import RunFolderError

    if len(runs) < 2:
        raise RunFolderError("pooling needs at least two run folders")
    t, ref, summaries = pooled(runs)
    s = t["cctv_search_truth"]
    ident = identification_by(s, ["camera", "ipd_band", *GROUP_COLUMNS, "consent", "run"]) \
        .assign(policy=ref["policy"])
    tracking = t["cctv_tracking"]
    per_camera = tracking.groupby("camera", sort=False).agg(
        windows=("IDF1", "size"), IDF1_mean=("IDF1", "mean"), IDF1_min=("IDF1", "min"),
        windows_meeting=("IDF1", lambda v: int((v >= IDF1_TARGET).sum())),
        HOTA_mean=("HOTA", "mean"), ID_switches=("ID_switches", "sum")).reset_index()
    cross, false = t["cctv_cross_camera"], t["cctv_false_ids"]
    filled = {}
    if all(k in t for k in FILLED):
        f = t["cctv_tracking_filled"].groupby("camera", sort=False)["IDF1"]
        per_camera["IDF1_mean_filled"] = per_camera["camera"].map(f.mean())
        per_camera["windows_meeting_filled"] = per_camera["camera"].map(
            f.agg(lambda v: int((v >= IDF1_TARGET).sum())))
        cross = cross.assign(IDF1_filled=t["cctv_cross_camera_filled"]["IDF1"].to_numpy())
        filled = {"camera_windows_idf1_ge_0.8_filled": [
            int((t["cctv_tracking_filled"]["IDF1"] >= IDF1_TARGET).sum()),
            int(len(t["cctv_tracking_filled"]))],
            "cross_camera_idf1_filled": [float(v) for v in cross["IDF1_filled"]]}
    mated = s[s["mated"].astype(bool)]
    ge40 = mated[mated["best_ipd_px"] >= 40]
    hours = float(false["run_hours"].sum())
    section = {
        "runs": [str(p) for p in runs], "seeds": [m.get("seed") for m in summaries],
        "source_name": ref["source_name"], "policy": ref["policy"], "backend": ref["backend"],
        "threshold": ref["threshold"], "n_mated": int(len(mated)),
        "n_nonmated": int((~s["mated"].astype(bool)).sum()),
        "rank1": float((mated["mate_rank"] == 1).mean()) if len(mated) else float("nan"),
        "rank1_ipd_ge40": [int((ge40["mate_rank"] == 1).sum()), int(len(ge40))],
        "camera_windows_idf1_ge_0.8": [int((tracking["IDF1"] >= IDF1_TARGET).sum()),
                                       int(len(tracking))],
        "cross_camera_idf1": [float(v) for v in cross["IDF1"]],
        "false_identifications": int(false["false_identifications"].sum()),
        "false_ids_per_hour": (float(false["false_identifications"].sum()) / hours
                               if hours > 0 else float("nan")), **filled}
    tables = {"cctv_pooled_identification": ident, "cctv_pooled_tracking": tracking,
              "cctv_pooled_tracking_cameras": per_camera, "cctv_pooled_cross_camera": cross,
              "cctv_pooled_false_ids": false}
    return tables, section, pooled_markdown(tables, section)


def pooled_markdown(tables: dict[str, pd.DataFrame], sec: dict) -> str:
    ident = tables["cctv_pooled_identification"]
    fpir = [c for c in ident.columns if c.startswith("fnir_at_fpir")]
    thr = [c for c in ident.columns if c.startswith("threshold_fpir")]
    r40, n40 = sec["rank1_ipd_ge40"]
    ok, windows = sec["camera_windows_idf1_ge_0.8"]
    parts = [f"# CCTV identification pooled over {len(sec['runs'])} runs: {sec['source_name']} "
             f"(`{sec['policy']}`, {sec['backend']}, decision threshold {sec['threshold']:.3f})",
             "", "Runs: " + ", ".join(f"`{r}` (seed {s})" for r, s in zip(sec["runs"],
                                                                          sec["seeds"])), "",
             f"- searches: {sec['n_mated']} mated, {sec['n_nonmated']} non-mated; rank-1 "
             f"{sec['rank1']:.3f}; at IPD >= 40 px {r40} of {n40}",
             f"- camera-windows with IDF1 >= {IDF1_TARGET}: {ok} of {windows}",
             "- cross-camera IDF1 per run: "
             + ", ".join(f"{v:.3f}" for v in sec["cross_camera_idf1"]),
             *([f"- with the rows of short gaps filled: camera-windows with IDF1 >= "
                f"{IDF1_TARGET}: {sec['camera_windows_idf1_ge_0.8_filled'][0]} of "
                f"{sec['camera_windows_idf1_ge_0.8_filled'][1]}; cross-camera IDF1 per run: "
                + ", ".join(f"{v:.3f}" for v in sec["cross_camera_idf1_filled"])]
               if "cross_camera_idf1_filled" in sec else []),
             f"- false identifications: {sec['false_identifications']} "
             f"({sec['false_ids_per_hour']:.1f} per hour of run)", ""]
    parts += fpir_note(sec["n_nonmated"], "these runs hold between them")
    parts += ["## Identification, one threshold per target FPIR over all runs' non-mated "
              "searches", "",
              _md(ident, ["by", "camera", "ipd_band", *GROUP_COLUMNS, "consent", "run",
                          "n_mated", "n_nonmated", "rank1", *fpir, *thr]), "",
              "## Tracking per camera over the runs (MOTChallenge style)", "",
              _md(tables["cctv_pooled_tracking_cameras"],
                  ["camera", "windows", "IDF1_mean", "IDF1_min", "windows_meeting",
                   "IDF1_mean_filled", "windows_meeting_filled", "HOTA_mean", "ID_switches"]),
              "",
              _md(tables["cctv_pooled_tracking"], ["run", "camera", "HOTA", "IDF1", "MOTA",
                                                   "ID_switches"]), "",
              _md(tables["cctv_pooled_cross_camera"], ["run", "IDF1", "IDF1_filled", "IDP",
                                                       "IDR", "gt_ids", "journeys"]), ""]
    return "\n".join(parts)


def write_pooled(runs: list[str | Path], out: str | Path) -> tuple[Path, dict]:
    """Pool ``runs`` into a new run folder ``out`` (written atomically): tables, summary
    section ``cctv_pool`` and ``cctv_pooled_report.md``."""
    from outputs.run import add_report, write_run

    tables, section, text = pool_runs(runs)
    scenario = (Path(runs[0]) / "scenario.json").read_text(encoding="utf-8") \
        if (Path(runs[0]) / "scenario.json").is_file() else "{}"
    path = write_run(out, tables, {"cctv_pool": _jsonable(section)}, scenario)
    add_report(path, REPORT, text)
    return path, section


def _jsonable(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def targets_rows(runs: list[str | Path], label: str) -> list[dict]:
    """Issue 11's targets over one set of runs (tune or test): rank-1 per IPD band and at
    >= 40 px, FNIR at FPIR pooled, per-camera rank-1, per-seed tracking, real-time factor."""
    t, _, _ = pooled(runs)
    s = t["cctv_search_truth"]
    rows = []
    by_band = identification_table(s, ["ipd_band"]).set_index("ipd_band")
    for band in ("<20", "20-40", "40-60", ">=60"):
        r = by_band.loc[band] if band in by_band.index else None
        rows.append({"set": label, "measure": f"rank-1, IPD {band}",
                     "value": math.nan if r is None else float(r["rank1"]),
                     "n": 0 if r is None else int(r["n_mated"]), "target": ""})
    ge40 = s[s["best_ipd_px"] >= 40]
    ge40 = identification_table(ge40).iloc[0] if len(ge40) else None
    rows.append({"set": label, "measure": "rank-1, IPD >= 40",
                 "value": math.nan if ge40 is None else float(ge40["rank1"]),
                 "n": 0 if ge40 is None else int(ge40["n_mated"]), "target": ">= 0.95"})
    allr = identification_table(s).iloc[0]
    for fpir in ("1e-2", "1e-3"):
        rows.append({"set": label, "measure": f"FNIR at FPIR {fpir} (all bands)",
                     "value": float(allr[f"fnir_at_fpir_{fpir}"]),
                     "n": int(allr["n_nonmated"]), "target": "n = non-mated searches"})
    for cam, g in identification_table(s, ["camera"]).groupby("camera"):
        rows.append({"set": label, "measure": f"rank-1 {cam}", "value": float(g["rank1"].iloc[0]),
                     "n": int(g["n_mated"].iloc[0]), "target": ""})
    for seed, g in t["cctv_tracking"].groupby("seed"):
        rows.append({"set": label, "measure": f"seed {seed}: per-camera IDF1 min / mean",
                     "value": f"{g['IDF1'].min():.3f} / {g['IDF1'].mean():.3f}",
                     "n": len(g), "target": f">= {IDF1_TARGET}"})
    for seed, g in t["cctv_cross_camera"].groupby("seed"):
        rows.append({"set": label, "measure": f"seed {seed}: cross-camera IDF1",
                     "value": float(g["IDF1"].iloc[0]), "n": int(g["gt_ids"].iloc[0]),
                     "target": ">= 0.7"})
    for cam, v in t["cctv_realtime"].groupby("camera")["realtime_factor"].max().items():
        rows.append({"set": label, "measure": f"real-time factor {cam} (worst seed)",
                     "value": float(v), "n": "", "target": "<= 1 keeps up"})
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="issue 11's targets over evaluated CCTV runs, "
                                             "tune and test seeds apart")
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
    print(_md(df, list(df.columns)))


if __name__ == "__main__":
    main()
