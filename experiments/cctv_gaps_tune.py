"""How much of the missed boxes lies inside a gap of one output track, and what filling it gives.

    python -m experiments.cctv_gaps_tune replay /work/runs/cctv-long/s1 [--grid "band=300"] \\
        [--gaps 0,0.4,1,2,4] [--csv FILL.csv] [--misses MISSES.csv]

Each cached camera is replayed once through the stream's chain
(``experiments.cctv_corridor_tune.stream_track_camera``, shipped settings plus ``--grid``).

**The ceiling** (``--misses``): every ground-truth box in sight (at least
:data:`pipeline.cctv.metrics.MIN_VISIBLE` of the body visible) that no output row covers (a row
whose most overlapped truth box, IoU >= 0.5, is that person: ``cctv_dwell_tune.row_people``)
is a miss, by cause as ``cctv_belts_tune decompose`` ranks them: ``box`` (a person box covered
it but the tracker output none), ``below`` (only a head below the detector's threshold, down to
``--low``, covers it), ``never`` (no head found); and by where it lies: ``same`` inside a gap of
one output id whose last row before and first row after are this person (what filling can
recover), ``other`` inside a gap of an id with only one end on this person, or in no gap
of one id but ``between`` two of the person's ids (a perfect re-link would make it a gap),
at an ``edge`` (the person's rows on one side only) or ``untracked``; ``gap_s``: the time
between the gap's two rows.

**The fill** (``--csv``): :func:`pipeline.cctv.gaps.fill_gaps` at each ``--gaps`` max gap (s; 0:
the tracks as shipped), scored as ``airtwin evaluate-tracking`` scores (persons in sight), and
the filled rows by what lies under them: ``fill_right`` (the person of the row before the gap),
``fill_other`` (another person: a wrong link or a swap filled), ``fill_none`` (no truth box at
IoU >= 0.5: a false positive unless on a hidden person), ``fill_hidden`` (a don't-care person:
neither hit nor false positive).

Tune seeds only (the caches refuse the held-out seeds).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

COLS = ["frame", "id", "x1", "y1", "x2", "y2"]
GAP_BINS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, np.inf)
GAP_LABELS = ("<=0.5", "0.5-1", "1-2", "2-4", "4-8", ">8")


def _covered(cam: dict, boxes: list) -> set:
    """(frame t, person) of every truth box some box of ``boxes`` (per frame) covers at IoU >=
    0.5 (the box's most overlapped truth box)."""
    from experiments.cctv_corridor_tune import _iou

    out = set()
    for fr, b in zip(cam["frames"], boxes):
        tr = fr["truth"]
        b = np.asarray(b, np.float64).reshape(-1, 4)
        if not len(tr) or not len(b):
            continue
        m = _iou(b, tr[["x1", "y1", "x2", "y2"]].to_numpy(float))
        best = m.argmax(1)
        ids = tr["traveler_id"].to_numpy()
        out |= {(round(fr["t"], 6), int(ids[j])) for j, v in zip(best, m.max(1)) if v >= 0.5}
    return out


def _gaps(hyp: pd.DataFrame, people: np.ndarray, step: float) -> pd.DataFrame:
    """Every gap of an output id: (id, t0, t1, the persons of the rows at t0 and t1)."""
    h = hyp.assign(person=people).sort_values(["id", "frame"], kind="stable")
    t, i, p = h["frame"].to_numpy(), h["id"].to_numpy(), h["person"].to_numpy()
    k = np.flatnonzero((i[1:] == i[:-1]) & (np.diff(t) > 1.5 * step))
    return pd.DataFrame({"id": i[k], "t0": t[k], "t1": t[k + 1], "p0": p[k], "p1": p[k + 1]})


def misses(cam: dict, hyp: pd.DataFrame, boxes: list, opts: dict, low: float) -> pd.DataFrame:
    """One row per missed truth box in sight (module docstring): frame, person, cause, where,
    gap_s."""
    from experiments.cctv_belts_tune import _low_boxes
    from experiments.cctv_dwell_tune import row_people
    from pipeline.cctv.metrics import MIN_VISIBLE

    t_all = np.array([fr["t"] for fr in cam["frames"]])
    step = float(np.median(np.diff(t_all)))
    people = row_people(cam, hyp)
    tracked = {(round(f, 6), int(p)) for f, p in zip(hyp["frame"], people) if p >= 0}
    given, below = _covered(cam, boxes), _covered(cam, _low_boxes(cam, opts, low))
    gaps = _gaps(hyp, people, step)
    seen_at = {int(p): np.sort(g.to_numpy()) for p, g in
               pd.Series(hyp["frame"].to_numpy())[people >= 0].groupby(people[people >= 0])}
    rows = []
    for fr in cam["frames"]:
        tr = fr["truth"]
        if not len(tr):
            continue
        seen = (1.0 - tr["occluded"].fillna(0.0).to_numpy(float)) >= MIN_VISIBLE
        t = round(fr["t"], 6)
        inside = gaps[(gaps["t0"] < fr["t"]) & (gaps["t1"] > fr["t"])]
        for person in tr["traveler_id"].to_numpy()[seen]:
            person = int(person)
            if (t, person) in tracked:
                continue
            cause = "box" if (t, person) in given else "below" if (t, person) in below \
                else "never"
            same = inside[(inside["p0"] == person) & (inside["p1"] == person)]
            one = inside[(inside["p0"] == person) | (inside["p1"] == person)]
            if len(same) or len(one):
                g = same if len(same) else one
                where, gap = ("same" if len(same) else "other"), float((g["t1"] - g["t0"]).min())
            else:
                where, gap = _around(seen_at.get(person), fr["t"])
            rows.append((fr["t"], person, cause, where, gap))
    return pd.DataFrame(rows, columns=["frame", "person", "cause", "where", "gap_s"])


def _around(times, t: float) -> tuple[str, float]:
    """Where a miss at ``t`` lies among the person's tracked rows (``times``, sorted) when no
    gap of one id covers it: ``between`` rows of other ids on both sides (a perfect re-link would
    make it a gap; gap_s between them), ``edge`` rows on one side only, ``untracked`` none."""
    if times is None or not len(times):
        return "untracked", np.nan
    k = np.searchsorted(times, t)
    if 0 < k < len(times):
        return "between", float(times[k] - times[k - 1])
    return "edge", np.nan


def fill_rows(cam: dict, filled: pd.DataFrame) -> dict:
    """The filled rows of ``filled`` by what lies under them (module docstring)."""
    from experiments.cctv_corridor_tune import _iou
    from pipeline.cctv.metrics import MIN_VISIBLE

    new = filled[filled["filled"]]
    out = {"filled": len(new), "fill_right": 0, "fill_other": 0, "fill_none": 0,
           "fill_hidden": 0}
    if not len(new):
        return out
    from experiments.cctv_dwell_tune import row_people

    own = row_people(cam, filled)
    # the person of each id's last own row before each filled row
    f = filled.assign(person=own).sort_values(["id", "frame"], kind="stable")
    before = f["person"].where(~f["filled"]).groupby(f["id"]).ffill()
    truth = {round(fr["t"], 6): fr["truth"] for fr in cam["frames"]}
    for (idx, r), whose in zip(f[f["filled"]].iterrows(), before[f["filled"]]):
        tr = truth.get(round(r["frame"], 6))
        m = _iou(np.array([[r.x1, r.y1, r.x2, r.y2]]),
                 tr[["x1", "y1", "x2", "y2"]].to_numpy(float)) if tr is not None and len(tr) \
            else np.zeros((1, 0))
        if not m.size or m.max() < 0.5:
            out["fill_none"] += 1
            continue
        j = int(m.argmax())
        if 1.0 - float(tr["occluded"].fillna(0.0).iloc[j]) < MIN_VISIBLE:
            out["fill_hidden"] += 1
        elif int(tr["traveler_id"].iloc[j]) == whose:
            out["fill_right"] += 1
        else:
            out["fill_other"] += 1
    return out


def replay(folders, spec: str, cameras, gaps: list[float], low: float):
    """(fill table, misses table) over every cached camera (module docstring)."""
    from experiments.cctv_corridor_tune import stream_track_camera
    from experiments.cctv_track_tune import grid, load, score, truth_of
    from pipeline.cctv.gaps import fill_gaps
    from pipeline.cctv.metrics import MIN_VISIBLE

    fills, missed = [], []
    for opts in grid(spec) if spec else [{}]:
        for folder in folders:
            for cam in load(folder, cameras):
                hyp, boxes = stream_track_camera(cam, opts)
                hyp = hyp[COLS].reset_index(drop=True)
                truth = truth_of(cam)
                key = {**opts, "seed": cam["seed"], "camera": cam["camera"],
                       "in_sight": int(((1.0 - truth["occluded"].fillna(0.0))
                                        >= MIN_VISIBLE).sum())}
                if low is not None:
                    missed.append(misses(cam, hyp, boxes, opts, low).assign(**key))
                frames = pd.DataFrame({"frame": [fr["t"] for fr in cam["frames"]]})
                for g in gaps:
                    f = fill_gaps(hyp, frames, g, by=())
                    m = score(truth, f[COLS])
                    fills.append({**key, "max_gap_s": g, **m, **fill_rows(cam, f)})
    return pd.DataFrame(fills), (pd.concat(missed, ignore_index=True) if missed
                                 else pd.DataFrame())


def ceiling(m: pd.DataFrame) -> pd.DataFrame:
    """Misses by camera, cause, where and gap length (counts)."""
    gap = pd.cut(m["gap_s"], GAP_BINS, labels=GAP_LABELS).astype(object).fillna("-")
    t = (m.assign(gap=gap).groupby(["camera", "cause", "where", "gap"]).size()
         .unstack("gap", fill_value=0))
    return t.reindex(columns=[c for c in (*GAP_LABELS, "-") if c in t.columns]).reset_index()


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = cache_parser(sub, "replay")
    p.add_argument("--gaps", default="0,0.4,1,2,4", help="max gaps (s) to fill; 0: none")
    p.add_argument("--misses", default=None, help="also write the missed boxes (CSV)")
    p.add_argument("--low", type=float, default=-0.7,
                   help="the lowest head threshold (dlib margin) a 'below' miss is found at")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    fills, missed = replay(a.folders, a.grid, cams, [float(x) for x in a.gaps.split(",")],
                           a.low if a.misses else None)
    if a.csv:
        fills.to_csv(a.csv, index=False)
    cols = [c for c in fills.columns if c not in ("DetA", "AssA", "gt_ids", "tracker_ids")]
    print(fills[cols].round(4).to_string(index=False), "\n")
    if a.misses:
        missed.to_csv(a.misses, index=False)
        print(ceiling(missed).to_string(index=False))


if __name__ == "__main__":
    main()
