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


def collect_crops(scenario: str, cache: Path, out: Path, cameras: list[str] | None = None) -> Path:
    """Render the window of a tracker cache (``experiments.cctv_track_tune collect``) again and
    keep, per frame, the person boxes the replay hands the tracker and each one's body crop
    (:func:`pipeline.cctv.look.body_crop`, at most :data:`pipeline.cctv.look.CROP_HEIGHT` rows:
    exactly what the stream computes a look from), so looks can be tuned without rendering."""
    import pickle

    from experiments.cctv_sources import scenario_source
    from experiments.cctv_track_tune import _people, load
    from outputs.progress import steps
    from pipeline.cctv.look import body_crop

    cams = load(cache, cameras)
    first = cams[0]["frames"]
    fps = cams[0]["fps"]
    src = scenario_source(scenario, cams[0]["seed"], (first[0]["t"], first[-1]["t"] + 0.5 / fps),
                          [c["camera"] for c in cams], fps=fps)
    out.mkdir(parents=True, exist_ok=True)
    for cam in cams:
        at = {round(fr["t"], 6): fr for fr in cam["frames"]}
        frames = []
        with steps(f"seed {cam['seed']} {cam['camera']} crops", len(cam["frames"]),
                   "frames") as advance:
            for f in src.frames(cam["camera"]):
                fr = at.get(round(f.t, 6))
                if fr is None:
                    continue
                advance()
                people, _ = _people(fr["heads"][810], fr["faces"], fr["face_hist"], cam["size"])
                crops = [body_crop(f.image, b) for b in people.boxes]
                frames.append({"t": fr["t"], "boxes": np.asarray(people.boxes, np.float64),
                               "crops": crops})
        if len(frames) != len(cam["frames"]):
            raise SystemExit(f"{cache}/{cam['camera']}.pkl: {len(cam['frames'])} cached frames, "
                             f"{len(frames)} rendered at the same times")
        with open(out / f"{cam['camera']}.pkl", "wb") as fh:
            pickle.dump({"camera": cam["camera"], "seed": cam["seed"], "frames": frames}, fh)
    return out


def face_people(cam: dict, hyp: pd.DataFrame) -> pd.DataFrame:
    """Per track of ``hyp`` (``experiments.cctv_track_tune.track_camera``) that carried a face:
    its true person (the person its boxes overlap most, IoU >= 0.3 votes, as the evaluation's
    truth), the person most of its faces show (a face's person: the ground-truth face nearest
    its centre, within a face width), the largest true IPD among its faces, and
    ``other_person``: its faces mostly show someone else than its true person (a search over
    them answers for another person than the evaluation asks about; the ``failures`` kinds
    other_person and mixed)."""
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


def wrong_splits(truth: pd.DataFrame, hyp: pd.DataFrame) -> tuple[int, int]:
    """(right, wrong) change points of the swap guard in ``hyp`` (its ``swap_changes``): a
    change is wrong when the person under the box it starts (IoU >= 0.5 with a true box) is
    the one under the ended id's last box before it; changes whose boxes match nobody are
    counted in neither."""
    from experiments.cctv_run import _iou

    at = dict(list(truth.groupby("frame")))

    def person(t, box):
        g = at.get(t)
        if g is None:
            return None
        o = _iou(np.array([box], float), g[["x1", "y1", "x2", "y2"]].to_numpy(float))[0]
        return int(g["id"].iloc[int(o.argmax())]) if o.max() >= 0.5 else None

    right = wrong = 0
    for t, old, box in hyp.attrs.get("swap_changes", []):
        before = hyp[(hyp["id"] == old) & (hyp["frame"] < t)]
        if before.empty:
            continue
        last = before.iloc[-1]
        p0, p1 = person(last["frame"], last[["x1", "y1", "x2", "y2"]].tolist()), person(t, box)
        if p0 is None or p1 is None:
            continue
        right, wrong = right + (p0 != p1), wrong + (p0 == p1)
    return right, wrong


def swaps_table(folders: list[Path], spec: str, crops: list[Path] | None = None) -> pd.DataFrame:
    """Per-camera tracking scores of the cached tune windows with the swap guard off and at
    every combination of ``spec`` (``window=3;min_similarity=0.4,0.5``, ``l_*``: look fields;
    empty: the shipped :class:`pipeline.cctv.swaps.SwapConfig`), with the lasting swaps and the
    tracks whose faces mostly show another person than their truth (:func:`face_people`).
    The guard compares the caches' torso histograms, or with ``crops`` (one crops folder per
    folder, :func:`collect_crops`) the looks of :mod:`pipeline.cctv.look`, as the stream does."""
    import pickle

    from experiments.cctv_track_tune import grid, load, score, track_camera, truth_of
    from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS

    if crops is not None and len(crops) != len(folders):
        raise SystemExit(f"--crops: {len(crops)} folders for {len(folders)} caches; give one "
                         f"crops folder per cache, in the same order")
    cams = []
    for k, f in enumerate(folders):
        for c in load(f):
            crop = None
            if crops is not None:
                path = Path(crops[k]) / f"{c['camera']}.pkl"
                if not path.is_file():
                    raise SystemExit(f"--crops {crops[k]}: no {path.name}; run `crops` first")
                with open(path, "rb") as fh:
                    crop = pickle.load(fh)
            cams.append((c, crop))
    stream = {**CCTV_TRACKER_OPTIONS, "relink": 1}  # the stream's tracker and re-linker
    rows = []
    for opts in [None] + (grid(spec) if spec else [{}]):
        for c, crop in cams:
            truth, hyp = truth_of(c), track_camera(c, stream, opts, crop)
            fp = face_people(c, hyp)
            ge16, ge40 = fp[fp["best_ipd_px"] >= 16], fp[fp["best_ipd_px"] >= 40]
            rows.append({"guard": "off" if opts is None else
                         ",".join(f"{k}={v}" for k, v in opts.items()) or "shipped",
                         "seed": c["seed"], "camera": c["camera"],
                         **score(truth, hyp[["frame", "id", "x1", "y1", "x2", "y2"]]),
                         "lasting_swaps": lasting_swaps(truth, hyp),
                         **dict(zip(("right_splits", "wrong_splits"), wrong_splits(truth, hyp))),
                         "faced_tracks_16": len(ge16),
                         "other_person_16": int(ge16["other_person"].sum()),
                         "faced_tracks_40": len(ge40),
                         "other_person_40": int(ge40["other_person"].sum())})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    import sys

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "crops":
        cp = argparse.ArgumentParser(prog="cctv_swap_tune crops",
                                     description=collect_crops.__doc__.splitlines()[0])
        cp.add_argument("scenario")
        cp.add_argument("--cache", type=Path, required=True)
        cp.add_argument("--out", type=Path, required=True)
        cp.add_argument("--cameras", default=None)
        c = cp.parse_args(argv[1:])
        collect_crops(c.scenario, c.cache, c.out, c.cameras.split(",") if c.cameras else None)
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--grid", default="", help="SwapConfig fields, e.g. min_similarity=0.4,0.5 "
                    "(default: the shipped settings)")
    ap.add_argument("--crops", nargs="+", type=Path, default=None,
                    help="one `crops` folder per cache: the guard compares looks "
                         "(pipeline.cctv.look), not the cached histograms")
    ap.add_argument("--csv", type=Path, default=None)
    a = ap.parse_args(argv)
    t = swaps_table(a.folders, a.grid, a.crops)
    if a.csv:
        t.to_csv(a.csv, index=False)
    pd.set_option("display.width", 250)
    print(t.round(3).to_string(index=False))
    sums = ["ID_switches", "lasting_swaps", "right_splits", "wrong_splits", "faced_tracks_16",
            "other_person_16",
            "faced_tracks_40", "other_person_40"]
    print(t.groupby("guard")[["IDF1", "HOTA", "MOTA"] + sums]
          .agg({"IDF1": "mean", "HOTA": "mean", "MOTA": "mean", **{k: "sum" for k in sums}})
          .round(4).sort_values("IDF1").to_string())
    print("camera-windows with IDF1 >= 0.8:",
          t.assign(ok=t["IDF1"] >= 0.8).groupby("guard")["ok"].sum().to_dict())


if __name__ == "__main__":
    main()
