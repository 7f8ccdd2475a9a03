"""The swap guard (:mod:`pipeline.cctv.swaps`) replayed on tracker caches of tune seeds.

    python -m experiments.cctv_swap_tune crops scenarios/cctv_identification.yaml \
        --cache /work/runs/ctrack24/s1 --out /work/runs/cctv-guard/crops/s1
    python -m experiments.cctv_swap_tune /work/runs/ctrack24/s1 ... --crops CROPS/s1 ... \
        [--grid "confirm=2,4|window=5"] [--changes changes.csv]

Replays the caches of ``experiments.cctv_track_tune collect`` through the stream's chain
(``--chain stream``: the head detector's threshold, edge pass and twin rule, the tracker
options and the re-linker as shipped; ``cached``: every cached head, as replays before
bbca170 ran) and the swap guard, with the guard off and at the shipped settings (or at each
grid point): per camera IDF1 / HOTA / MOTA / ID switches as
``airtwin evaluate-tracking`` scores them, the guard's change points judged right or wrong
(:func:`trace_changes`, each with what may have caused it: ``--changes``), the lasting swaps
(:func:`lasting_swaps`) and the
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
    keep, per frame, every body a person box can be (``cctv_track_tune.candidate_bodies``: of
    each cached head, the edge pass's included, and of each face) and each one's body crop
    (:func:`pipeline.cctv.look.body_crop`, at most :data:`pipeline.cctv.look.CROP_HEIGHT` rows:
    exactly what the stream computes a look from), so looks can be tuned without rendering,
    under any head threshold, edge pass or twin rule the replay runs."""
    import pickle

    from experiments.cctv_sources import scenario_source
    from experiments.cctv_track_tune import candidate_bodies, load
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
                boxes = candidate_bodies(fr, cam["size"])
                frames.append({"t": fr["t"], "boxes": boxes,
                               "crops": [body_crop(f.image, b) for b in boxes]})
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
    from pipeline.vision.detections import iou_matrix

    at = {fr["t"]: fr for fr in cam["frames"]}
    votes: dict[int, list[int]] = {}
    faces: dict[int, list[tuple[int, float]]] = {}
    for x in hyp.itertuples(index=False):
        g = at[x.frame]["truth"]
        if not len(g):
            continue
        o = iou_matrix(np.array([[x.x1, x.y1, x.x2, x.y2]]),
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

    from pipeline.vision.detections import iou_matrix

    at = dict(list(truth.groupby("frame")))
    seq: dict[int, list[int]] = {}
    for fr, h in hyp.sort_values("frame").groupby("frame"):
        g = at.get(fr)
        if g is None:
            continue
        o = iou_matrix(h[["x1", "y1", "x2", "y2"]].to_numpy(float),
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


def trace_changes(cam: dict, hyp: pd.DataFrame, window: int = 3, after_s: float = 2.0
                  ) -> pd.DataFrame:
    """Every change point of the swap guard in ``hyp`` (one camera of :func:`swaps_table`'s
    replay), judged and with what could have made the look change.

    ``kind``: ``wrong`` when the person the ended id followed (``p0``: the most frequent
    person under its boxes before the change, its last ``window`` - 1 boxes left out: a change
    is found that many frames after the new person appears, and those frames keep the old id)
    is the person the track follows next (``p1``: the most frequent under the id it continues
    as, over ``after_s``); ``right`` otherwise; ``unmatched`` when either matches nobody
    (IoU >= 0.5 with a true box). ``healed``: the ended id is back on ``p1`` within 4 s (the
    rejoin). Causes: the guard's similarity and per part (upper, lower); the box's height (px)
    and the frame edges cutting it; over the track's last ``window`` boxes (the guard's own
    window: pass the grid point's) the largest share covered by the union of nearer person
    boxes (``covered``, the look masks those) and of any other person box (``overlap``); the true person's ``occluded`` and ``truncated`` shares; ``drift``: the
    box's IoU with the true box it matches best."""
    import shapely

    from pipeline.cctv.look import occluders
    from pipeline.vision.detections import iou_matrix

    w_px, h_px = cam["size"]
    at = {fr["t"]: fr["truth"] for fr in cam["frames"]}
    boxes = dict(zip([fr["t"] for fr in cam["frames"]], hyp.attrs["boxes"]))
    cols = ["x1", "y1", "x2", "y2"]

    def person(t, box):
        g = at.get(t)
        if g is None or not len(g):
            return None, 0.0, None
        o = iou_matrix(np.array([box], float), g[cols].to_numpy(float))[0]
        k = int(o.argmax())
        return (int(g["traveler_id"].iloc[k]) if o[k] >= 0.5 else None), float(o[k]), g.iloc[k]

    def most(rows):
        people = [person(r.frame, [r.x1, r.y1, r.x2, r.y2])[0] for r in
                  rows.itertuples(index=False)]
        people = [p for p in people if p is not None]
        return pd.Series(people).mode().iloc[0] if people else None

    def shares(t, box):
        b = np.asarray(boxes[t], np.float64).reshape(-1, 4)
        if not len(b):
            return 0.0, 0.0
        k = int(iou_matrix(np.array([box], float), b)[0].argmax())
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)

        def covered(others):
            """The share of ``box`` under the union of ``others`` (overlapping boxes once)."""
            if not len(others):
                return 0.0
            under = shapely.union_all(shapely.box(*others.T)).intersection(shapely.box(*box))
            return float(under.area) / area

        return covered(occluders(b, k)), covered(np.delete(b, k, axis=0))

    rows = []
    for ch in hyp.attrs.get("swap_changes", []):
        t, old, box = ch.t, ch.ended, ch.box
        mine = hyp[hyp["id"] == old]
        before = mine[mine["frame"] < t]
        if before.empty:
            continue
        here = hyp[(hyp["frame"] == t) & np.isclose(hyp["x1"], box[0])
                   & np.isclose(hyp["y1"], box[1])]
        new = int(here["id"].iloc[0]) if len(here) else old
        p0 = most(before.iloc[:max(len(before) - window + 1, 1)])
        p1 = most(hyp[(hyp["id"] == new) & (hyp["frame"] >= t) & (hyp["frame"] <= t + after_s)])
        kind = "unmatched" if p0 is None or p1 is None else "wrong" if p0 == p1 else "right"
        back = mine[(mine["frame"] > t) & (mine["frame"] <= t + 4.0)]
        healed = p1 is not None and any(person(r.frame, [r.x1, r.y1, r.x2, r.y2])[0] == p1
                                        for r in back.itertuples(index=False))
        recent = [(t, box)] + [(r.frame, [r.x1, r.y1, r.x2, r.y2]) for r in
                               before.iloc[-(window - 1):].itertuples(index=False)]
        cov = [shares(tt, b) for tt, b in recent]
        cut = "".join(c for c, hit in (("T", box[1] <= 0), ("B", box[3] >= h_px - 1),
                                       ("L", box[0] <= 0), ("R", box[2] >= w_px - 1)) if hit)
        _, iou1, g1 = person(t, box)
        parts = tuple(ch.parts)
        rows.append({"seed": cam["seed"], "camera": cam["camera"], "t": t, "ended": old,
                     "new": new, "kind": kind, "p0": p0, "p1": p1, "healed": healed,
                     "similarity": ch.similarity,
                     "upper": parts[0] if parts else np.nan,
                     "lower": parts[1] if len(parts) > 1 else np.nan,
                     "height": box[3] - box[1], "cut": cut,
                     "covered": max(c for c, _ in cov), "overlap": max(o for _, o in cov),
                     "occluded": float(g1["occluded"]) if g1 is not None else np.nan,
                     "truncated": float(g1["truncated"]) if g1 is not None else np.nan,
                     "drift": iou1})
    return pd.DataFrame(rows, columns=["seed", "camera", "t", "ended", "new", "kind", "p0",
                                       "p1", "healed", "similarity", "upper", "lower",
                                       "height", "cut", "covered", "overlap", "occluded",
                                       "truncated", "drift"])


def swaps_table(folders: list[Path], spec: str, crops: list[Path] | None = None,
                chain: str = "stream") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-camera tracking scores of the cached tune windows with the swap guard off and at
    every combination of ``spec`` (``window=3;min_similarity=0.4,0.5``, ``l_*``: look fields;
    empty: the shipped :class:`pipeline.cctv.swaps.SwapConfig`), with the lasting swaps and the
    tracks whose faces mostly show another person than their truth (:func:`face_people`).
    The guard compares the caches' torso histograms, or with ``crops`` (one crops folder per
    folder, :func:`collect_crops`) the looks of :mod:`pipeline.cctv.look`, as the stream does.
    ``chain`` "stream": the heads, tracker and re-linker as the stream runs them
    (``cctv_track_tune.stream_options``); "cached": every cached head, no edge pass and no twin
    rule (the replays of before; crops caches of before hold only those boxes). With the
    table, every change point of the guard's settings (:func:`trace_changes`)."""
    import pickle

    from experiments.cctv_track_tune import grid, load, score, stream_options, track_camera, \
        truth_of
    from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS
    from pipeline.cctv.swaps import SwapConfig

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
    if chain not in ("stream", "cached"):
        raise SystemExit(f"--chain must be 'stream' or 'cached', got {chain!r}")
    stream = (stream_options() if chain == "stream"
              else {**CCTV_TRACKER_OPTIONS, "relink": 1})
    rows, changes = [], []
    points = [p for part in spec.split("|") for p in grid(part)] if spec else [{}]
    for opts in [None] + points:
        for c, crop in cams:
            truth, hyp = truth_of(c), track_camera(c, stream, opts, crop)
            name = ("off" if opts is None else
                    ",".join(f"{k}={v}" for k, v in opts.items()) or "shipped")
            window = (opts or {}).get("window", SwapConfig().window)
            ch = trace_changes(c, hyp, window=int(window)).assign(guard=name)
            changes.append(ch)
            fp = face_people(c, hyp)
            ge16, ge40 = fp[fp["best_ipd_px"] >= 16], fp[fp["best_ipd_px"] >= 40]
            rows.append({"guard": name,
                         "seed": c["seed"], "camera": c["camera"],
                         **score(truth, hyp[["frame", "id", "x1", "y1", "x2", "y2"]]),
                         "lasting_swaps": lasting_swaps(truth, hyp),
                         "right_splits": int((ch["kind"] == "right").sum()),
                         "wrong_splits": int((ch["kind"] == "wrong").sum()),
                         "faced_tracks_16": len(ge16),
                         "other_person_16": int(ge16["other_person"].sum()),
                         "faced_tracks_40": len(ge40),
                         "other_person_40": int(ge40["other_person"].sum())})
    return pd.DataFrame(rows), pd.concat(changes, ignore_index=True)


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
                    "(l_*: LookConfig fields; grids joined by '|' run one after the other; "
                    "default: the shipped settings)")
    ap.add_argument("--crops", nargs="+", type=Path, default=None,
                    help="one `crops` folder per cache: the guard compares looks "
                         "(pipeline.cctv.look), not the cached histograms")
    ap.add_argument("--chain", choices=("stream", "cached"), default="stream",
                    help="stream: heads, edge pass and twin rule as the stream runs them "
                         "(needs crops of this code's `crops`); cached: every cached head, "
                         "as the replays of before")
    ap.add_argument("--csv", type=Path, default=None)
    ap.add_argument("--changes", type=Path, default=None,
                    help="CSV of every change point with what may have caused it "
                         "(trace_changes)")
    a = ap.parse_args(argv)
    t, changes = swaps_table(a.folders, a.grid, a.crops, a.chain)
    if a.csv:
        t.to_csv(a.csv, index=False)
    if a.changes:
        changes.to_csv(a.changes, index=False)
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
