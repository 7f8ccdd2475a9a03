"""The swap guard (:mod:`pipeline.cctv.swaps`) replayed on tracker caches of tune seeds.

    python -m experiments.cctv_swap_tune /work/runs/ctrack21/s1 /work/runs/ctrack21/s2 \
        /work/runs/ctrack21/s3 [--grid "min_similarity=0.35,0.45;rejoin_similarity=0.5,0.65"]

Replays the caches of ``experiments.cctv_track_tune collect`` through the stream's tracker
(``CCTV_TRACKER_OPTIONS``), re-linker and swap guard, with the guard off and at the shipped
settings (or at each grid point): per camera IDF1 / HOTA / MOTA / ID switches as
``airtwin evaluate-tracking`` scores them, the lasting swaps (:func:`lasting_swaps`) and the
tracks whose faces mostly show another person than their truth (:func:`face_people`; the
tracker-level cause of the ``failures`` kind other_person). The caches hold no face templates,
so links on probation (which need them) are measured by full runs only
(``experiments.cctv_segment_tune run [--no-swaps]``). Tune seeds only (the caches refuse
101-103).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def swap_track_camera(cam: dict, swap: dict | None) -> pd.DataFrame:
    """The (frame, id, x1, y1, x2, y2) tracks of one cached camera (``experiments.cctv_track_tune``
    caches) as the CCTV stream makes them: its tracker (``CCTV_TRACKER_OPTIONS``), the re-linker,
    and, with ``swap`` (:class:`pipeline.cctv.swaps.SwapConfig` fields; None: off), the swap
    guard."""
    from experiments.cctv_track_tune import _people
    from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, make_tracker
    from pipeline.cctv.relink import Relinker
    from pipeline.cctv.swaps import SwapConfig, SwapGuard

    tracker = make_tracker("bytetrack", cam["fps"],
                           options={**CCTV_TRACKER_OPTIONS, "frame_size": tuple(cam["size"])})
    relinker = Relinker()
    guard = SwapGuard(SwapConfig(**swap)) if swap is not None else None
    rows = []
    for fr in cam["frames"]:
        people, hists = _people(fr["heads"][810], fr["faces"], fr["face_hist"], cam["size"])
        tracks = tracker.update(fr["t"], people.boxes, people.scores, heads=people.heads)
        h = [hists[tr.detection] if tr.detection >= 0 else None for tr in tracks]
        tracks = relinker.update(fr["t"], tracks, h)
        if guard is not None:
            tracks = guard.update(fr["t"], tracks, h)
        rows += [(fr["t"], tr.track_id, *tr.box, people.face_of_box.get(tr.detection, -1))
                 for tr in tracks]
    return pd.DataFrame(rows, columns=["frame", "id", "x1", "y1", "x2", "y2", "face"])


def face_people(cam: dict, hyp: pd.DataFrame) -> pd.DataFrame:
    """Per track of ``hyp`` (:func:`swap_track_camera`) that carried a face: its true person
    (the person its boxes overlap most, IoU >= 0.3 votes, as the evaluation's truth), the
    person most of its faces show (a face's person: the ground-truth face nearest its centre,
    within a face width), the largest true IPD among its faces, and ``other_person``: its faces
    mostly show someone else than its true person (a search over them answers for another
    person than the evaluation asks about; the ``failures`` kinds other_person and mixed)."""
    from experiments.cctv_run import _iou

    at = {fr["t"]: fr for fr in cam["frames"]}
    votes: dict[int, list[int]] = {}
    faces: dict[int, list[tuple[int, float]]] = {}
    for x in hyp.itertuples(index=False):
        g = at[x.frame]["truth"]
        if not len(g):
            continue
        o = _iou(np.array([[x.x1, x.y1, x.x2, x.y2]]),
                 g[["x1", "y1", "x2", "y2"]].to_numpy(float))[0]
        if o.max() >= 0.3:
            votes.setdefault(x.id, []).append(int(g["traveler_id"].iloc[int(o.argmax())]))
        if x.face < 0:
            continue
        f = at[x.frame]["faces"][x.face]
        cx, cy = (f[0] + f[2]) / 2, (f[1] + f[3]) / 2
        d = np.hypot((g["face_x1"] + g["face_x2"]).to_numpy() / 2 - cx,
                     (g["face_y1"] + g["face_y2"]).to_numpy() / 2 - cy)
        d = np.where(np.isfinite(d), d, np.inf)
        if d.min() < f[2] - f[0]:
            k = int(d.argmin())
            faces.setdefault(x.id, []).append((int(g["traveler_id"].iloc[k]),
                                               float(g["ipd_px"].iloc[k])))
    rows = []
    for tid, fs in faces.items():
        if tid not in votes:
            continue
        truth = pd.Series(votes[tid]).mode().iloc[0]
        shown = pd.Series([p for p, _ in fs]).mode().iloc[0]
        rows.append({"track": tid, "truth": int(truth), "shown": int(shown),
                     "best_ipd_px": max(i for _, i in fs), "faces": len(fs),
                     "other_person": truth != shown})
    return pd.DataFrame(rows, columns=["track", "truth", "shown", "best_ipd_px", "faces",
                                       "other_person"])


def lasting_swaps(truth: pd.DataFrame, hyp: pd.DataFrame, min_frames: int = 5) -> int:
    """Times a track follows one person for ``min_frames`` matched frames (IoU >= 0.5, one to
    one per frame) and then another for as long: the tracker swaps that last, not the
    frame-to-frame flicker of matching two overlapping people."""
    from scipy.optimize import linear_sum_assignment

    from experiments.cctv_run import _iou

    at = dict(list(truth.groupby("frame")))
    seq: dict[int, list[int]] = {}
    for fr, h in hyp.sort_values("frame").groupby("frame"):
        g = at.get(fr)
        if g is None:
            continue
        o = _iou(h[["x1", "y1", "x2", "y2"]].to_numpy(float),
                 g[["x1", "y1", "x2", "y2"]].to_numpy(float))
        for a, b in zip(*linear_sum_assignment(-o)):
            if o[a, b] >= 0.5:
                seq.setdefault(int(h["id"].iloc[a]), []).append(int(g["id"].iloc[b]))
    n = 0
    for people in seq.values():
        runs: list[list[int]] = []  # [person, frames]
        for p in people:
            if runs and runs[-1][0] == p:
                runs[-1][1] += 1
            else:
                runs.append([p, 1])
        kept: list[int] = []
        for p, k in runs:
            if k >= min_frames and (not kept or kept[-1] != p):
                kept.append(p)
        n += max(len(kept) - 1, 0)
    return n


def swaps_table(folders: list[Path], spec: str) -> pd.DataFrame:
    """Per-camera tracking scores of the cached tune windows with the swap guard off and at
    every combination of ``spec`` (``window=3;min_similarity=0.4,0.5``; empty: the shipped
    :class:`pipeline.cctv.swaps.SwapConfig`), with the lasting swaps and the tracks whose
    faces mostly show another person than their truth (:func:`face_people`)."""
    from experiments.cctv_track_tune import grid, load, score, truth_of

    cams = [c for f in folders for c in load(f)]
    rows = []
    for opts in [None] + (grid(spec) if spec else [{}]):
        for c in cams:
            truth, hyp = truth_of(c), swap_track_camera(c, opts)
            fp = face_people(c, hyp)
            ge16, ge40 = fp[fp["best_ipd_px"] >= 16], fp[fp["best_ipd_px"] >= 40]
            rows.append({"guard": "off" if opts is None else
                         ",".join(f"{k}={v}" for k, v in opts.items()) or "shipped",
                         "seed": c["seed"], "camera": c["camera"],
                         **score(truth, hyp[["frame", "id", "x1", "y1", "x2", "y2"]]),
                         "lasting_swaps": lasting_swaps(truth, hyp),
                         "faced_tracks_16": len(ge16),
                         "other_person_16": int(ge16["other_person"].sum()),
                         "faced_tracks_40": len(ge40),
                         "other_person_40": int(ge40["other_person"].sum())})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--grid", default="", help="SwapConfig fields, e.g. min_similarity=0.4,0.5 "
                    "(default: the shipped settings)")
    ap.add_argument("--csv", type=Path, default=None)
    a = ap.parse_args(argv)
    t = swaps_table(a.folders, a.grid)
    if a.csv:
        t.to_csv(a.csv, index=False)
    pd.set_option("display.width", 250)
    print(t.round(3).to_string(index=False))
    sums = ["ID_switches", "lasting_swaps", "faced_tracks_16", "other_person_16",
            "faced_tracks_40", "other_person_40"]
    print(t.groupby("guard")[["IDF1", "HOTA", "MOTA"] + sums]
          .agg({"IDF1": "mean", "HOTA": "mean", "MOTA": "mean", **{k: "sum" for k in sums}})
          .round(4).sort_values("IDF1").to_string())
    print("camera-windows with IDF1 >= 0.8:",
          t.assign(ok=t["IDF1"] >= 0.8).groupby("guard")["ok"].sum().to_dict())


if __name__ == "__main__":
    main()
