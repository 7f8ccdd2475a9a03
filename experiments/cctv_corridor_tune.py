"""Where a camera's ID switches come from, and tracker settings replayed as the stream runs them.

    python -m experiments.cctv_corridor_tune trace /work/runs/ctrack22/full_s1 \\
        /work/runs/ctrack22/full_s2 /work/runs/ctrack22/full_s3 --cameras corridor_far,corridor_near
    python -m experiments.cctv_corridor_tune replay /work/runs/ctrack22/full_s1 ... \\
        --grid "lost_s=1,2;r_window_s=4,6" --csv runs/corr/grid.csv
    python -m experiments.cctv_corridor_tune misses /work/runs/cctv-exit/s4 --cameras hall_exit
    python -m experiments.cctv_corridor_tune cost CACHES --grid "born=0,1" --repeat 3

Both run the caches of ``experiments.cctv_track_tune collect`` through the whole per-camera
chain of :class:`pipeline.cctv.stream.CctvStream` at its defaults: the head detector's heads
with its edge pass merged (``cctv_track_tune._heads``), the person boxes, ByteTrack
(:data:`pipeline.cctv.persons.CCTV_TRACKER_OPTIONS`, overridden by the grid's tracker keys), the
re-linker (``r_*`` keys: :class:`pipeline.cctv.relink.RelinkConfig` fields) and the swap guard
(``s_*`` keys: :class:`pipeline.cctv.swaps.SwapConfig` fields; ``swaps=0``: off), and the head
detector's half-window-twin suppression (:func:`pipeline.vision.heads.half_window_twins`, on as
shipped; ``twins=0``: off; ``twin_ratio``, ``twin_lo``, ``twin_hi``). The caches hold no face
templates, so links on probation are not replayed. It is
:func:`experiments.cctv_track_tune.track_camera` with those defaults (there ``twins`` defaults
to 0, as the caches' earlier replays ran; ``twins=1`` in their grids turns it on).

``trace`` sorts every ID switch of the motmetrics event table (a ground-truth person matched by
another track id than last time) by what happened between the two matches:

- ``missed``: the person was unmatched for frames in between and no person box lay on them
  (IoU >= 0.3): the head detector lost them; counted by head size (px) and where the head was
  (``side``: within a head of the left/right edge, ``top``, ``inside``), and by how many boxes of
  the person's neighbours were within one body width (``in_group``);
- ``dropped``: unmatched in between although a person box lay on them: the tracker did not take
  the box (ByteTrack lost the walker);
- ``relink_refused``: the old id was unseen when the new one started (a new track born on the
  person) and the re-linker did not continue it, with the reason (gate, scale, appearance);
- ``swap``: the new id was on another person before (a group's boxes traded), ``old_alive``:
  the old id is in the frame on someone else;
- ``split``: the swap guard ended the track (new id above ``SWAP_ID_BASE``).

``losses`` splits each camera's IDF1 loss, box by box, under the IDF1 assignment (each person
to the one track id covering most of their frames): a person's box is ``id_tp`` (their track
covers it), ``no_box`` (no person box at IoU >= 0.5: the detector), ``untracked`` (a person
box but no track on it: ByteTrack had not confirmed or had dropped it), ``loose`` (a track box
near but below IoU 0.5) or ``other_id`` (covered by another id: a fragment or a switch); a
track box not on its person is ``fp_other`` (on another person) or ``fp_none``. Counted by
activity (``walking``, ``service``, ...), by whether the person moves (``still``: under
0.2 m/s on the floor), and by where the head is (``side``, ``top``, ``inside``).

``cost`` times the chain after the head detector (CPU ms per frame) under each setting of a
grid, the settings taking turns (median of ``--repeat``).

``misses`` explains the ``no_box`` boxes whose head is drawn (:func:`head_misses`): the
cached window nearest the head (the caches keep heads down to ``collect --adjust``), so a head
found under the threshold (``below``), a window of the wrong size or place (``offset``) and no
window at all (``none``) are told apart, by place, activity and yaw.

Tune seeds only (the caches refuse 101-103).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

def stream_track_camera(cam: dict, opts: dict | None = None) -> tuple[pd.DataFrame, list]:
    """The (frame, id, x1, y1, x2, y2, face) tracks of one cached camera as the stream makes
    them (module docstring: :func:`experiments.cctv_track_tune.track_camera` with the shipped
    tracker options, heads, re-linker, guard and twin rule), and each frame's person boxes."""
    from experiments.cctv_track_tune import stream_options, track_camera

    opts = dict(opts or {})
    swap = ({k[2:]: v for k, v in opts.items() if k.startswith("s_")}
            if int(opts.get("swaps", 1)) else None)
    run = {**stream_options(),
           **{k: v for k, v in opts.items() if not k.startswith("s_") and k != "swaps"}}
    hyp = track_camera(cam, run, swap)
    return hyp, hyp.attrs["boxes"]


def replays(folders: list[Path], spec: str, cameras: list[str] | None = None):
    """(options, cached camera, its truth, its tracks) for every combination of the grid
    ``spec`` and every cached camera, the tracks as :func:`stream_track_camera` makes them."""
    from experiments.cctv_track_tune import grid, load, truth_of

    cams = [c for f in folders for c in load(f, cameras)]
    truths = [truth_of(c) for c in cams]
    for opts in grid(spec) if spec else [{}]:
        for c, truth in zip(cams, truths):
            yield opts, c, truth, stream_track_camera(c, opts)[0]


def replay(folders: list[Path], spec: str, cameras: list[str] | None = None) -> pd.DataFrame:
    from experiments.cctv_track_tune import score

    return pd.DataFrame([{**opts, "seed": c["seed"], "camera": c["camera"],
                          **score(truth, hyp[["frame", "id", "x1", "y1", "x2", "y2"]])}
                         for opts, c, truth, hyp in replays(folders, spec, cameras)])


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from pipeline.vision.detections import iou_matrix as iou

    return iou(np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4))


def switch_events(truth: pd.DataFrame, hyp: pd.DataFrame) -> pd.DataFrame:
    """The ID switches of the scored (persons in sight) boxes as CLEAR MOT counts them (per
    frame a person keeps last frame's track where IoU >= 0.5, the rest Hungarian on IoU >= 0.5;
    a switch: matched by another id than at the previous match), with the frame of the
    person's previous match and the track id then."""
    from scipy.optimize import linear_sum_assignment

    from pipeline.cctv.metrics import drop_dont_care

    g, h = drop_dont_care(truth, hyp, ["frame"])
    g_by, h_by = dict(list(g.groupby("frame"))), dict(list(h.groupby("frame")))
    last: dict[int, tuple[int, float]] = {}
    on: dict[int, int] = {}  # track id -> the person it was last matched to
    out = []
    for f in sorted(g_by):
        gf, hf = g_by[f], h_by.get(f, h.iloc[:0])
        gids, hids = gf["id"].to_numpy(), hf["id"].to_numpy()
        m = _iou(gf[["x1", "y1", "x2", "y2"]].to_numpy(), hf[["x1", "y1", "x2", "y2"]].to_numpy())
        pairs = {}
        for i, gid in enumerate(gids):  # keep last frame's pair where it still holds
            if gid in last:
                j = np.flatnonzero(hids == last[gid][0])
                if len(j) and m[i, j[0]] >= 0.5:
                    pairs[i] = j[0]
        free_g = [i for i in range(len(gids)) if i not in pairs]
        free_h = [j for j in range(len(hids)) if j not in pairs.values()]
        if free_g and free_h:
            sub = m[np.ix_(free_g, free_h)]
            for a, b in zip(*linear_sum_assignment(-sub)):
                if sub[a, b] >= 0.5:
                    pairs[free_g[a]] = free_h[b]
        for i, j in pairs.items():
            gid, hid = int(gids[i]), int(hids[j])
            if gid in last and last[gid][0] != hid:
                out.append({"gt": gid, "frame": f, "prev_frame": last[gid][1],
                            "old": last[gid][0], "new": hid, "new_was_on": on.get(hid, -1)})
            last[gid] = (hid, f)
        for i, j in pairs.items():
            on[int(hids[j])] = int(gids[i])
    return pd.DataFrame(out, columns=["gt", "frame", "prev_frame", "old", "new", "new_was_on"])


def classify(cam: dict, truth: pd.DataFrame, hyp: pd.DataFrame, boxes: list) -> pd.DataFrame:
    """One row per ID switch (:func:`switch_events`) with its class (module docstring)."""
    from pipeline.cctv.swaps import SWAP_ID_BASE

    times = [fr["t"] for fr in cam["frames"]]
    box_at = dict(zip(times, boxes))
    w, hgt = cam["size"]
    ev = switch_events(truth, hyp)
    rows = []
    for _, e in ev.iterrows():
        gap = [t for t in times if e["prev_frame"] < t < e["frame"]]
        person = truth[truth["id"] == e["gt"]]
        detected_gap = 0
        for t in gap:
            p = person[person["frame"] == t]
            if not len(p):
                continue
            pb = p[["x1", "y1", "x2", "y2"]].to_numpy(float)
            if len(box_at[t]) and _iou(pb, box_at[t]).max() >= 0.3:
                detected_gap += 1
        at = person[person["frame"] <= e["frame"]].tail(len(gap) + 1).iloc[0]
        tp = cam["frames"][times.index(at["frame"])]["truth"]
        hrow = tp[tp["traveler_id"] == e["gt"]]
        hh = float((hrow["head_y2"] - hrow["head_y1"]).iloc[0]) if len(hrow) else np.nan
        hx1 = float(hrow["head_x1"].iloc[0]) if len(hrow) else 0.0
        hx2 = float(hrow["head_x2"].iloc[0]) if len(hrow) else 0.0
        hy1 = float(hrow["head_y1"].iloc[0]) if len(hrow) else 0.0
        pos = ("side" if hx1 < hh or hx2 > w - hh else "top" if hy1 < hh else "inside")
        others = truth[(truth["frame"] == at["frame"]) & (truth["id"] != e["gt"])]
        bw = at["x2"] - at["x1"]
        cx = (at["x1"] + at["x2"]) / 2
        group = int((((others["x1"] + others["x2"]) / 2 - cx).abs() < bw).sum())
        old_seen = hyp[(hyp["id"] == e["old"]) & (hyp["frame"] < e["frame"])]["frame"]
        new_before = hyp[(hyp["id"] == e["new"]) & (hyp["frame"] < e["frame"])]
        old_now = hyp[(hyp["id"] == e["old"]) & (hyp["frame"] == e["frame"])]
        if e["new"] >= SWAP_ID_BASE and not len(new_before):
            kind = "split"
        elif len(new_before):
            kind = ("back" if e["new_was_on"] == e["gt"] else "swap" if e["new_was_on"] >= 0
                    else "off_truth")
        elif gap and detected_gap < len(gap):
            kind = "missed"
        elif gap:
            kind = "dropped"
        else:
            kind = "relink_refused" if not len(old_now) else "born_beside"
        rows.append({**e.to_dict(), "kind": kind, "gap_frames": len(gap),
                     "gap_detected": detected_gap, "head_px": hh, "where": pos,
                     "in_group": group, "old_alive": bool(len(old_now)),
                     "old_unseen_s": float(e["frame"] - old_seen.max()) if len(old_seen)
                     else np.nan, "new_age_s": float(e["frame"] - new_before["frame"].min())
                     if len(new_before) else 0.0})
    return pd.DataFrame(rows)


STILL_M_S = 0.2  # a person moving slower than this on the floor is standing (losses)


def _where(truth: pd.DataFrame, size) -> np.ndarray:
    """side / top / inside of each ground-truth row by its head box (as :func:`classify`)."""
    w = size[0]
    hh = (truth["head_y2"] - truth["head_y1"]).to_numpy(float)
    side = (truth["head_x1"].to_numpy(float) < hh) | (truth["head_x2"].to_numpy(float) > w - hh)
    top = truth["head_y1"].to_numpy(float) < hh
    return np.where(side, "side", np.where(top, "top", "inside"))


def losses(cam: dict, hyp: pd.DataFrame, boxes: list) -> pd.DataFrame:
    """One row per scored ground-truth box and per unmatched track box of one camera: the
    IDF1 loss class (module docstring) with the person's activity, motion and place."""
    from scipy.optimize import linear_sum_assignment

    from pipeline.cctv.metrics import drop_dont_care

    rows = []
    for fr, b in zip(cam["frames"], boxes):
        p = fr["truth"]
        if len(p):
            rows.append(p.assign(frame=fr["t"], id=p["traveler_id"].to_numpy()))
    truth = pd.concat(rows, ignore_index=True).sort_values(["id", "frame"])
    dt = truth.groupby("id")["frame"].diff()
    step = np.hypot(truth.groupby("id")["floor_x"].diff(), truth.groupby("id")["floor_y"].diff())
    truth["speed"] = (step / dt).groupby(truth["id"]).bfill().fillna(0.0)
    truth["where"] = _where(truth, cam["size"])
    g, h = drop_dont_care(truth, hyp, ["frame"])
    cols = ["x1", "y1", "x2", "y2"]
    box_at = {fr["t"]: np.asarray(b, float).reshape(-1, 4) for fr, b in zip(cam["frames"], boxes)}
    gids, hids = list(pd.unique(g["id"])), list(pd.unique(h["id"]))
    gi, hi = {v: i for i, v in enumerate(gids)}, {v: i for i, v in enumerate(hids)}
    count = np.zeros((len(gids), len(hids)))
    g_by, h_by = dict(list(g.groupby("frame"))), dict(list(h.groupby("frame")))
    per_frame = {}
    # every frame of either side: a track box on a frame with no scored person is a false box
    for f in sorted(set(g_by) | set(h_by)):
        gf, hf = g_by.get(f, g.iloc[:0]), h_by.get(f, h.iloc[:0])
        m = _iou(gf[cols].to_numpy(float), hf[cols].to_numpy(float))
        per_frame[f] = (gf, hf, m)
        for i, j in zip(*np.nonzero(m >= 0.5)):
            count[gi[gf["id"].iloc[i]], hi[hf["id"].iloc[j]]] += 1
    r, c = linear_sum_assignment(-count) if count.size else ([], [])
    own = {gids[a]: hids[b] for a, b in zip(r, c) if count[a, b] > 0}
    out = []
    for f, (gf, hf, m) in per_frame.items():
        hid = hf["id"].to_numpy()
        det = _iou(gf[cols].to_numpy(float), box_at[f])
        used = set()
        for i in range(len(gf)):
            row = gf.iloc[i]
            mine = np.flatnonzero(hid == own.get(row["id"], -10 ** 9))
            if len(mine) and m[i, mine[0]] >= 0.5:
                kind = "id_tp"
                used.add(mine[0])
            elif (m[i] >= 0.5).any():
                kind = "other_id"
            elif not det.shape[1] or det[i].max() < 0.5:
                kind = "no_box"
            elif (m[i] >= 0.2).any():
                kind = "loose"
            else:
                kind = "untracked"
            out.append({"frame": f, "gt": row["id"], "kind": kind, "activity": row["activity"],
                        "still": bool(row["speed"] < STILL_M_S), "where": row["where"],
                        "head_px": float(row["head_y2"] - row["head_y1"]),
                        "occluded": float(row["occluded"])})
        for j in range(len(hf)):
            if j in used:
                continue
            on = np.flatnonzero(m[:, j] >= 0.5) if len(gf) else []
            out.append({"frame": f, "gt": -1, "kind": "fp_other" if len(on) else "fp_none",
                        "activity": gf["activity"].iloc[on[0]] if len(on) else "",
                        "still": bool(gf["speed"].iloc[on[0]] < STILL_M_S) if len(on) else False,
                        "where": gf["where"].iloc[on[0]] if len(on) else "",
                        "head_px": np.nan, "occluded": np.nan, "track": hid[j]})
    return pd.DataFrame(out)


def head_misses(cam: dict, table: pd.DataFrame, adjust: float | None = None) -> pd.DataFrame:
    """Why the head detector gave no person box (``no_box`` rows of :func:`losses`, one
    camera): for each such box whose head is drawn, the cached head (the cache's threshold,
    e.g. ``collect --adjust -0.7``) that overlaps the person's head most, its head-box IoU
    and dlib margin, the person's yaw (0: facing the camera) and ``why``: ``below`` (the
    head found at IoU >= 0.5 but under the detector's threshold ``adjust``), ``offset``
    (a window at IoU 0.3-0.5: the wrong size or place), ``none`` (no window on the head),
    ``found`` (found at the threshold: the box was lost later, e.g. to a face or the twin
    rule)."""
    from pipeline.vision.heads import ADJUST, TRAIN_HEIGHT, _margin

    adjust = ADJUST if adjust is None else adjust

    frames = {round(fr["t"], 6): fr for fr in cam["frames"]}
    out = []
    for _, row in table[table["kind"] == "no_box"].iterrows():
        fr = frames[round(row["frame"], 6)]
        p = fr["truth"][fr["truth"]["traveler_id"] == row["gt"]]
        if not len(p) or pd.isna(p["head_x1"].iloc[0]):
            continue  # no head drawn (above the frame, or hidden): nothing a head can find
        p = p.iloc[0]
        gh = np.array([[p["head_x1"], p["head_y1"], p["head_x2"], p["head_y2"]]], float)
        heads, scores = fr["heads"][TRAIN_HEIGHT][:2]
        iou, margin = 0.0, np.nan
        if len(heads):
            m = _iou(gh, heads)[0]
            j = int(np.argmax(m))
            iou = float(m[j])
            margin = float(_margin(scores[j])) if iou > 0 else np.nan
        why = ("none" if iou < 0.3 else "offset" if iou < 0.5 else
               "below" if margin < adjust - 1e-6 else "found")
        out.append({**row.to_dict(), "head_iou": iou, "margin": margin,
                    "yaw": float(abs((p["yaw_deg"] + 180) % 360 - 180)), "why": why})
    return pd.DataFrame(out)


def loss_table(folders: list[Path], cameras: list[str] | None, opts: dict,
               misses: bool = False) -> pd.DataFrame:
    """:func:`losses` of every cached camera, with its seed and camera (``misses``: only the
    boxes with no person box, as :func:`head_misses` explains them)."""
    from experiments.cctv_track_tune import load

    parts = []
    for f in folders:
        for c in load(f, cameras):
            hyp, boxes = stream_track_camera(c, opts)
            t = losses(c, hyp[["frame", "id", "x1", "y1", "x2", "y2"]], boxes)
            if misses:
                t = head_misses(c, t, opts.get("adjust"))
            parts.append(t.assign(seed=c["seed"], camera=c["camera"]))
    return pd.concat(parts, ignore_index=True)


def trace(folders: list[Path], cameras: list[str] | None, opts: dict,
          more=None) -> pd.DataFrame:
    """:func:`classify` of every cached camera, with its seed and camera; ``more(cam, hyp,
    table)``: a table with more columns of its own (e.g. ``experiments.cctv_dwell_tune``)."""
    from experiments.cctv_track_tune import load, truth_of

    parts = []
    for f in folders:
        for c in load(f, cameras):
            truth = truth_of(c)
            hyp, boxes = stream_track_camera(c, opts)
            t = classify(c, truth, hyp, boxes)
            if t.empty:
                continue
            if more is not None:
                t = more(c, hyp, t)
            t.insert(0, "camera", c["camera"])
            t.insert(0, "seed", c["seed"])
            parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def chain_cost(folders: list[Path], spec: str, cameras: list[str] | None = None,
               repeat: int = 3) -> pd.DataFrame:
    """CPU ms per frame of the per-camera chain after the head detector (person boxes, tracker,
    re-linker, swap guard; :func:`stream_track_camera`) under each setting of the grid
    ``spec``, the settings taking turns ``repeat`` times (median per cached camera): what a
    tracker option costs the stream per frame, the detectors' CPU aside."""
    import time

    from experiments.cctv_track_tune import grid, load

    cams = [c for f in folders for c in load(f, cameras)]
    settings = grid(spec) if spec else [{}]
    took: dict = {}
    for _ in range(repeat):
        for k, opts in enumerate(settings):
            for c in cams:
                t0 = time.process_time()
                stream_track_camera(c, opts)
                took.setdefault((k, c["seed"], c["camera"]), []).append(
                    (time.process_time() - t0) * 1000.0 / len(c["frames"]))
    return pd.DataFrame([{**settings[k], "seed": seed, "camera": cam,
                          "ms_per_frame": float(np.median(v))}
                         for (k, seed, cam), v in took.items()])


def cache_parser(sub, name: str) -> argparse.ArgumentParser:
    """A subcommand over tune caches: folders, ``--cameras``, ``--grid``, ``--csv`` (shared by the
    CCTV replay tools)."""
    p = sub.add_parser(name)
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--cameras", default=None)
    p.add_argument("--grid", default="", help="replay: a grid; the others: one setting")
    p.add_argument("--csv", type=Path, default=None)
    return p


def main(argv=None) -> None:
    from experiments.cctv_track_tune import grid

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("trace", "replay", "losses", "misses"):
        cache_parser(sub, name)
    cache_parser(sub, "cost").add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    if a.cmd == "losses":
        t = loss_table(a.folders, cams, grid(a.grid)[0] if a.grid else {})
        if a.csv:
            t.to_csv(a.csv, index=False)
        for by in (["seed", "camera"], ["camera", "activity", "still"], ["camera", "where"]):
            print(t.groupby(by + ["kind"]).size().unstack(fill_value=0).to_string(), "\n")
        return
    if a.cmd == "cost":
        t = chain_cost(a.folders, a.grid, cams, a.repeat)
        if a.csv:
            t.to_csv(a.csv, index=False)
        keys = [k for k in t.columns if k not in ("seed", "camera", "ms_per_frame")]
        print(t.groupby(keys + ["camera"] if keys else ["camera"])["ms_per_frame"].mean()
              .round(2).to_string())
        return
    if a.cmd == "misses":
        t = loss_table(a.folders, cams, grid(a.grid)[0] if a.grid else {}, misses=True)
        if a.csv:
            t.to_csv(a.csv, index=False)
        if t.empty:
            print("no missed head")
            return
        t["yaw_bin"] = pd.cut(t["yaw"], [-1, 30, 60, 90, 180]).astype(str)
        for by in (["camera", "where"], ["camera", "activity"], ["camera", "yaw_bin"]):
            print(t.groupby(by + ["why"]).size().unstack(fill_value=0).to_string(), "\n")
        return
    if a.cmd == "trace":
        opts = grid(a.grid)[0] if a.grid else {}
        t = trace(a.folders, cams, opts)
        if a.csv:
            t.to_csv(a.csv, index=False)
        print(t.round(2).to_string(index=False))
        if t.empty or "kind" not in t.columns:
            print("no ID switch")
            return
        print(t.groupby(["camera", "kind"]).size().unstack(fill_value=0).to_string())
        m = t[t["kind"] == "missed"]
        if len(m):
            print("missed by where:", dict(Counter(m["where"])), "head px quartiles:",
                  m["head_px"].quantile([0.25, 0.5, 0.75]).round(0).tolist(),
                  "in group (>=1 neighbour):", int((m["in_group"] > 0).sum()), "of", len(m))
        return
    t = replay(a.folders, a.grid, cams)
    if a.csv:
        t.to_csv(a.csv, index=False)
    print(t.round(3).to_string(index=False))
    keys = [k for k in t.columns if k not in ("seed", "camera", "IDF1", "IDP", "IDR", "HOTA",
                                              "MOTA", "ID_switches", "gt_ids", "tracker_ids")]
    if keys:
        print(t.groupby(keys)[["IDF1", "HOTA", "MOTA", "ID_switches"]].mean().round(4)
              .sort_values("IDF1").to_string())
    else:
        print(t[["IDF1", "HOTA", "MOTA", "ID_switches"]].mean().round(4).to_string())


if __name__ == "__main__":
    main()
