"""Identity segments (:mod:`pipeline.cctv.aggregate`) measured on tune seeds: how often a track's
face changes person, and what ending the track there costs or gains.

    python -m experiments.cctv_segment_tune run scenarios/cctv_identification.yaml --seed 2 \\
        --from 1330 --to 1390 --cameras corridor_far,corridor_near,hall_entry \\
        --segment-cosine 0.3 --verify 1.0 --out runs/seg/s2_030
    python -m experiments.cctv_segment_tune faces runs/seg/s2_off runs/seg/s1_off

``run`` is ``airtwin identify-cctv --gallery manifest --backend insightface --holdout 0.5`` plus
``evaluate-tracking`` with the aggregation settings given (refuses the held-out seeds 101-103).
``faces`` reads runs' ``cctv_faces`` (each embedded face with its cosine to its track's earlier
faces) and ground truth: each face's true person (the person whose face box starts nearest to
the detected one, inside their body box), and whether it differs from the person of the track's
earlier faces (a track that moved onto another person). It prints, per cosine threshold, the
true changes it catches and the same-person faces it would split on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_track_tune import HELD_OUT, window_args


def run(scenario: str, seed: int, window, cameras, fps: float, out: Path, segment: float | None,
        verify: float | None) -> None:
    from dataclasses import replace

    from experiments.cctv_evaluate import evaluate_run, headline
    from experiments.cctv_identify import identify_cctv
    from experiments.cctv_sources import scenario_source
    from outputs.run import write_run
    from pipeline.cctv.aggregate import AggregationConfig

    if seed in HELD_OUT:
        raise SystemExit(f"--seed {seed} is held out; tune on seeds 1, 2, 3")
    source = scenario_source(scenario, seed, window, cameras, fps)
    agg = replace(AggregationConfig(), segment_min_cosine=segment, verify_interval_s=verify)
    tables, meta = identify_cctv(source, "manifest", "insightface", 0, seed, None, True,
                                 holdout=0.5, aggregation=agg)
    path = write_run(out, tables, {"seed": seed, "gallery_policy": "manifest",
                                   "mass_enrolment_policy": meta["marked"], "cctv": meta},
                     source.describe_json())
    res, _ = evaluate_run(path)
    print(path, headline(res))


def face_truth(faces: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Each embedded face's true traveler (-1: none found): among the persons of that camera
    and frame with a face whose body box holds the face's centre, the one whose face box starts
    nearest the detected face's left edge."""
    at = dict(list(truth.groupby(["camera", "frame"])))
    out = []
    for f in faces.itertuples(index=False):
        g = at.get((f.camera, f.frame))
        if g is None:
            out.append(-1)
            continue
        cx, cy = (f.x1 + f.x2) / 2, (f.y1 + f.y2) / 2
        g = g[np.isfinite(g["face_x1"]) & (g["x1"] <= cx) & (cx <= g["x2"]) & (g["y1"] <= cy)
              & (cy <= g["y2"])]
        if g.empty:
            out.append(-1)
            continue
        d = (g["face_x1"] - f.x1).abs()
        out.append(int(g["id"].iloc[int(d.to_numpy().argmin())]) if d.min() < (f.x2 - f.x1)
                   else -1)
    return pd.Series(out, index=faces.index)


def changes(run: Path) -> pd.DataFrame:
    """The run's embedded faces that were compared with their track (agreement not NaN), each
    with ``changed``: its true person differs from the most frequent one among the track's
    earlier faces (faces without a true person left out)."""
    from outputs.run import load_run

    r = load_run(run, tables=["cctv_faces", "cctv_truth"])
    f = r["cctv_faces"].copy()
    f["person"] = face_truth(f, r["cctv_truth"])
    rows = []
    for (_, _), g in f.sort_values("frame").groupby(["camera", "track_id"]):
        seen: list[int] = []
        for x in g.itertuples(index=False):
            if x.person >= 0 and seen and np.isfinite(x.agreement):
                major = max(set(seen), key=seen.count)
                rows.append({"camera": x.camera, "track_id": x.track_id, "frame": x.frame,
                             "ipd_px": x.ipd_px, "agreement": x.agreement,
                             "changed": x.person != major})
            if x.person >= 0:
                seen.append(x.person)
    return pd.DataFrame(rows)


def threshold_table(c: pd.DataFrame, thresholds) -> pd.DataFrame:
    rows = []
    for thr in thresholds:
        split = c["agreement"] < thr
        rows.append({"threshold": thr, "changes": int(c["changed"].sum()),
                     "caught": int((split & c["changed"]).sum()),
                     "same_person_faces": int((~c["changed"]).sum()),
                     "false_splits": int((split & ~c["changed"]).sum())})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = window_args(sub.add_parser("run"))
    r.add_argument("--segment-cosine", type=float, default=None)
    r.add_argument("--verify", type=float, default=None)
    r.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("faces")
    f.add_argument("runs", nargs="+", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "run":
        run(a.scenario, a.seed, (a.t_from, a.t_to), a.cameras.split(",") if a.cameras else None,
            a.fps, a.out, a.segment_cosine, a.verify)
        return
    c = pd.concat([changes(p).assign(run=str(p)) for p in a.runs], ignore_index=True)
    pd.set_option("display.width", 200)
    print(c.groupby("changed")["agreement"].describe().round(3).to_string())
    print(threshold_table(c, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]).to_string(
        index=False))


if __name__ == "__main__":
    main()
