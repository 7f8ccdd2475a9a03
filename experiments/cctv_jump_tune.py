"""The missed-person jumps on the long windows: does a track's clothes tell the head behind from
its own person when it takes a box again after a miss?

    python -m experiments.cctv_swap_tune crops scenarios/cctv_identification.yaml \\
        --cache /work/runs/cctv-heal/long/s1 --out CROPS/s1
    python -m experiments.cctv_jump_tune returns /work/runs/cctv-heal/long/s1 \\
        [--crops CROPS/s1] [--grid "looks_missed=0"] [--csv RETURNS.csv]

Each cached camera is replayed through the stream's chain
(``experiments.cctv_corridor_tune.stream_track_camera``; grid keys as there). A **return** is a
row of a library track (the tracker's own id, before the re-linker and the swap guard) that took
a box (its clothing histogram known) after one or more frames without one: the moment a
missed-person jump happens (``experiments.cctv_relink_tune.jump_kinds``, ``missed``: the
stander's own head not found, the track takes the head right behind). For each return: how long
the track went without a box (``gap_s``), the true person under its last box before and under
the box it takes (``cctv_dwell_tune.row_people``; ``right``: one person), and ``sim``: the
clothing similarity (:func:`pipeline.cctv.appearance.similarity`) of the box's histogram against
the track's running clothes as :class:`pipeline.cctv.crowd_looks.CrowdLooks` keeps them (an
exponential mean, ``keep`` 0.9 of the old per taken box). With ``--crops`` (one crops cache per
tracker cache) also ``look``: the box's look (:mod:`pipeline.cctv.look`: upper and lower body,
the boxes in front masked out) against the sum of the track's last :data:`RECENT` looks
(:func:`pipeline.cctv.look.compare`; NaN where the track has no look yet), and ``head``: the
hue-saturation histogram of the top of the body box (the head, hair) against the mean of the
track's last ones.

The table: per refusal level ``v``, how many right and wrong returns read under it (a veto at
``v`` on a standing track's return, :class:`pipeline.cctv.crowd_looks.CrowdLooksConfig`
``missed``, refuses the wrong ones it catches and the right ones too), and the rows the wrong
ones went on carrying under the track.

Tune seeds only (the caches refuse the held-out seeds).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

KEEP = 0.9  # the running clothes' memory, as CrowdLooksConfig.keep ships
LEVELS = (0.2, 0.3, 0.4, 0.5, 0.6)  # the table's refusal levels
RECENT = 10  # returns with crops: the track's look, the sum of its last this many
NEAR_H = 0.1  # the table again for the returns this near (body heights): onto a head behind
RETURN_COLUMNS = ["raw_id", "t", "gap_s", "dist_h", "before", "after", "right", "sim", "rows_after",
                  "look", "head"]
HEAD_BAND = 0.12  # returns with crops: the top of the body box read as the head


def returns(cam: dict, hyp: pd.DataFrame, keep: float = KEEP,
            crops: dict | None = None) -> pd.DataFrame:
    """One row per return of ``hyp`` (index 0..n-1; module docstring); with ``crops`` (the
    camera's ``experiments.cctv_swap_tune crops`` cache) also ``look`` and ``head``, the box's
    against the track's last :data:`RECENT` (:func:`_cues`)."""
    from collections import deque

    from experiments.cctv_dwell_tune import row_people
    from pipeline.cctv.appearance import similarity

    people = row_people(cam, hyp)
    box_looks = _row_looks(cam, hyp, crops) if crops is not None else None
    raw = np.asarray(hyp.attrs["raw_ids"])
    hists = hyp.attrs["hists"]
    t = hyp["frame"].to_numpy()
    box = hyp[["x1", "y1", "x2", "y2"]].to_numpy(np.float64)
    xy = np.stack([(box[:, 0] + box[:, 2]) / 2, box[:, 1]], axis=1)  # the box's top centre
    height = np.maximum(box[:, 3] - box[:, 1], 1.0)
    step = 1.0 / cam["fps"]
    out = []
    for rid in np.unique(raw):
        if rid < 0:
            continue
        rows = np.flatnonzero(raw == rid)
        rows = rows[np.argsort(t[rows], kind="stable")]
        look, last, recent = None, None, deque(maxlen=RECENT)
        for j in rows:
            h = hists[j]
            if h is None or not np.asarray(h).sum() > 0:
                continue
            h = np.asarray(h, np.float64)
            if look is not None and t[j] - t[last] > 1.5 * step:
                n_after = int(np.count_nonzero((people[rows] == people[j]) & (t[rows] >= t[j])))
                out.append({"raw_id": int(rid), "t": t[j], "gap_s": t[j] - t[last],
                            "dist_h": np.hypot(*(xy[j] - xy[last])) / height[last],
                            "before": int(people[last]), "after": int(people[j]),
                            "right": bool(people[last] == people[j]),
                            "sim": similarity(look.astype(np.float32), h.astype(np.float32)),
                            "rows_after": n_after,
                            **_cues(recent, box_looks[j] if box_looks else None)})
            look = h if look is None else keep * look + (1 - keep) * h
            last = j
            if box_looks is not None and box_looks[j] is not None:
                recent.append(box_looks[j])
    return pd.DataFrame(out, columns=RETURN_COLUMNS)


def _cues(recent, now) -> dict:
    """``look`` and ``head`` of a return: the box's against the track's recent ones (NaN
    where either is unknown)."""
    from pipeline.cctv.appearance import similarity
    from pipeline.cctv.look import Look, compare

    if now is None or not recent:
        return {"look": np.nan, "head": np.nan}
    heads = [h for _, h in recent if h is not None]
    sim, confidence = compare(sum((lk for lk, _ in recent), Look.empty()), now[0])
    return {"look": sim if confidence > 0 else np.nan,
            "head": (similarity(np.mean(heads, axis=0).astype(np.float32), now[1])
                     if heads and now[1] is not None else np.nan)}


def _row_looks(cam: dict, hyp: pd.DataFrame, crops: dict) -> list:
    """Each row's look (None: coasting, or its box not among the crops cache's bodies)."""
    from experiments.cctv_corridor_tune import _iou
    from experiments.cctv_track_tune import cached_crop
    from pipeline.cctv.look import look_of, occluders

    at = {round(fr["t"], 6): fr for fr in crops["frames"]}
    frame_boxes = {round(fr["t"], 6): b for fr, b in zip(cam["frames"], hyp.attrs["boxes"])}
    hists = hyp.attrs["hists"]
    out = []
    for j, r in enumerate(hyp[["frame", "x1", "y1", "x2", "y2"]].to_numpy(np.float64)):
        key = round(r[0], 6)
        cached = at.get(key)
        boxes = np.asarray(frame_boxes.get(key, []), np.float64).reshape(-1, 4)
        if cached is None or hists[j] is None or not len(boxes) or not len(cached["boxes"]):
            out.append(None)
            continue
        # the row's person box: the frame's most overlapped (a row may be widened side-on)
        over = _iou(r[1:], boxes)[0]
        mine = int(over.argmax())
        hit = cached_crop(cached, boxes[mine], tol=1e-3)
        if over[mine] < 0.5 or hit is None:
            out.append(None)
            continue
        crop, frame_box = hit
        out.append((look_of(crop, frame_box, boxes[mine], occluders(boxes, mine),
                            frame_height=cam["size"][1]),
                    _head_hist(crop, frame_box, boxes[mine])))
    return out


def _head_hist(crop: np.ndarray, frame_box, box) -> np.ndarray | None:
    """The hue-saturation histogram (:data:`pipeline.cctv.appearance.HIST_BINS`) of the top
    :data:`HEAD_BAND` of the body box, central 70 % of its width: the head (hair), where a
    head right behind a missed person differs from the missed person's own (the body under
    it is the missed person's). None where the band is not in the crop."""
    import cv2

    from pipeline.cctv.appearance import HIST_BINS

    if crop.size == 0:
        return None
    ch, cw = crop.shape[:2]
    xa, ya, xb, yb = frame_box
    sx, sy = cw / max(xb - xa, 1e-9), ch / max(yb - ya, 1e-9)
    x1, y1, x2, y2 = (float(v) for v in box)
    top = y1 + HEAD_BAND * (y2 - y1)
    r = slice(max(int((y1 - ya) * sy), 0), min(int(np.ceil((top - ya) * sy)), ch))
    c = slice(max(int((x1 + 0.15 * (x2 - x1) - xa) * sx), 0),
              min(int(np.ceil((x2 - 0.15 * (x2 - x1) - xa) * sx)), cw))
    part = crop[r, c]
    if part.shape[0] < 2 or part.shape[1] < 2:
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(part), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HIST_BINS), [0, 180, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def table(t: pd.DataFrame, cue: str = "sim") -> pd.DataFrame:
    """Per replay and refusal level: right / wrong returns read under it, and the wrong ones'
    rows after (returns between two known people only)."""
    known = t[(t["before"] >= 0) & (t["after"] >= 0)]
    known = known[known[cue].notna()]
    keys = [c for c in t.columns if c not in RETURN_COLUMNS]
    rows = []
    for key, g in known.groupby(keys) if keys else [((), known)]:
        key = key if isinstance(key, tuple) else (key,)
        wrong, right = g[~g["right"]], g[g["right"]]
        for v in LEVELS:
            rows.append({**dict(zip(keys, key)), "cue": cue, "level": v, "right": len(right),
                         "right_under": int((right[cue] < v).sum()), "wrong": len(wrong),
                         "wrong_under": int((wrong[cue] < v).sum()),
                         "wrong_rows_under": int(wrong.loc[wrong[cue] < v, "rows_after"].sum()),
                         "wrong_rows": int(wrong["rows_after"].sum())})
    return pd.DataFrame(rows)


def _crops(folders: list) -> dict:
    """(seed, camera) -> a ``cctv_swap_tune crops`` cache."""
    import pickle

    out = {}
    for f in folders:
        for p in sorted(Path(f).glob("*.pkl")):
            with open(p, "rb") as fh:
                c = pickle.load(fh)
            out[c["seed"], c["camera"]] = c
    return out


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser
    from experiments.cctv_dwell_tune import _per_replay

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    cache_parser(sub, "returns").add_argument(
        "--crops", nargs="+", default=None,
        help="one `cctv_swap_tune crops` folder per cache: the looks too (column look)")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    crops = _crops(a.crops) if a.crops else None
    t = _per_replay(lambda c, hyp: returns(c, hyp, crops=crops and crops[c["seed"], c["camera"]]),
                    a.folders, a.grid, cams, a.csv)
    print(t.groupby(["seed", "right"])["sim"].describe().round(3).to_string(), "\n")
    for near in (False, True):
        part = t[t["dist_h"] < NEAR_H] if near else t
        print(f"returns onto a box under {NEAR_H} body heights from the last:" if near else
              "every return:")
        for cue in ("sim", "look", "head") if a.crops else ("sim",):
            print(table(part, cue).to_string(index=False), "\n")


if __name__ == "__main__":
    main()
