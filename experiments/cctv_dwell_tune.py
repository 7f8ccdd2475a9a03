"""Identity kept over minutes: long windows replayed whole and by the minute, where a dwelling
person's identity breaks, and the re-linker's wrong merges.

    python -m experiments.cctv_track_tune collect scenarios/cctv_identification.yaml --seed 1 \\
        --from 1330 --to 1630 --fps 5 --adjust -0.7 --edge-pad 48 --cameras reclaim_exit \\
        --out /work/runs/cctv-long/s1
    python -m experiments.cctv_dwell_tune replay /work/runs/cctv-long/s1 /work/runs/cctv-long/s2 \\
        --grid "r_dwell_s=0,60" [--slice 60] [--csv GRID.csv]
    python -m experiments.cctv_dwell_tune breaks /work/runs/cctv-long/s1 [--grid "r_dwell_s=0"] \\
        --csv BREAKS.csv
    python -m experiments.cctv_dwell_tune revivals /work/runs/cctv-heads/bandcache/s2 \\
        --grid "walker_lost_s=4,1" [--min-gap 1] [--csv REVIVALS.csv]
    python -m experiments.cctv_dwell_tune speeds CACHES --cameras corridor_near,reclaim_exit
    python -m experiments.cctv_dwell_tune links /work/runs/cctv-long/s1 \\
        [--grid "r_crowd_appearance=0"]

Both run the caches of ``experiments.cctv_track_tune collect`` through the stream's
per-camera chain (``experiments.cctv_corridor_tune.stream_track_camera``: head detector,
ByteTrack, re-linker, swap guard on histograms; grid keys as there, ``r_*`` the
:class:`pipeline.cctv.relink.RelinkConfig` fields).

``replay`` scores each camera over the whole window (IDF1, ID switches) and over consecutive
``--slice`` second slices of it (the same tracks cut, as a one-minute window would score them:
mean and lowest slice IDF1), and counts the re-linker's links by kind (``short``: within
``window_s``; ``dwell``: a dwelling person's, lost longer) and how many join two people
(**wrong merges**: the person under the last ``LINK_ROWS`` boxes of the continued id before the
link differs from the one under its first ``LINK_ROWS`` boxes after it; each box's person: the
ground-truth box it overlaps at IoU >= 0.5, the most overlapped).

``replay`` also counts the tracker's own **take-backs** (``revived``: an id unseen for 1 s or
more that the tracker continues itself, ByteTrack's lost buffer; no re-link at that moment),
how many join two people (``revived_wrong``) and how many of those were lost while walking
(``walker_revived``, ``walker_revived_wrong``: the person before the gap at ``WALKING_M_S`` or
faster on the floor, ground truth). ``revivals`` lists them one by one (:func:`revivals`) and
counts them by walking or standing: where a walker's lost track was taken by the next walker.

``links`` lists the re-linker's links (:func:`link_merges`: wrong or not, the clothing
similarity, how far the lost track had moved, how many others stood near its last place).

``speeds`` reads each tracked row's speed cues as the tracker's head trail holds them (the
head's image displacement in metres through its size, and the person's speed on the floor
through the camera's calibration) against the ground truth's floor speed, per camera for
walkers (over ``WALKER_M_S``) and people standing (under ``STANDER_M_S``), per row and per
track: each cue's median and the share read under ``--still`` (where the crowd looks ask).

``breaks`` lists every ID switch (``experiments.cctv_corridor_tune.classify``: its kind,
``missed`` / ``dropped`` / ``relink_refused`` / ``swap`` / ``split`` ...) with what the person
was doing: activity, how far they moved on the floor in the ``STILL_S`` seconds before the
break (``moved_m``), how long they had been in view, the gap, and for a new id born on them the
re-linker's view of the pair: head point distance from the old id's last place in body heights
(``dist_h``), the box scale, the torso-histogram similarity (``app``), and why it was not
continued (``why``: ``window`` beyond ``window_s``, ``gate``, ``scale``, ``appearance``).

Tune seeds only (the caches refuse the held-out seeds).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

LINK_ROWS = 10  # boxes either side of a link that name its two people
STILL_S = 10.0  # breaks: how far the person moved over this many seconds before
REVIVAL_SPEED_S = 2.0  # revivals: the person's floor speed over this many seconds before
SPEED_S = 2.0  # speeds: the ground truth's floor speed over the seconds before a row
WALKER_M_S, STANDER_M_S = 0.5, 0.1  # speeds: walking faster, standing slower (ground truth)


def row_people(cam: dict, hyp: pd.DataFrame) -> np.ndarray:
    """The true person under each row of ``hyp`` (most overlapped ground-truth box at IoU >=
    0.5; -1: none)."""
    from experiments.cctv_corridor_tune import _iou

    truth = {round(fr["t"], 6): fr["truth"] for fr in cam["frames"]}
    out = np.full(len(hyp), -1, np.int64)
    cols = ["x1", "y1", "x2", "y2"]
    for f, rows in hyp.groupby("frame"):
        tr = truth.get(round(f, 6))
        if tr is None or not len(tr):
            continue
        m = _iou(rows[cols].to_numpy(float), tr[cols].to_numpy(float))
        best = m.argmax(1)
        ok = m[np.arange(len(rows)), best] >= 0.5
        out[hyp.index.get_indexer(rows.index)] = np.where(
            ok, tr["traveler_id"].to_numpy()[best], -1)
    return out


def link_merges(cam: dict, hyp: pd.DataFrame) -> pd.DataFrame:
    """One row per re-link of the replay (``hyp.attrs["links"]``): its time, kind, the two
    fragments' people and ``wrong`` (two different people; NaN where either is unknown), and
    what the re-linker saw: ``app`` the torso-histogram similarity of the continued id's boxes
    before and the first box after, ``moved_h`` how far (body heights) the old id's top centre
    strayed from its last place over its last 2 s, ``near`` how many other ids were in view
    within a body height of that place at the link (the crowd rule's count)."""
    from pipeline.cctv.appearance import similarity
    from pipeline.cctv.relink import HEIGHT_PER_WIDTH

    people = row_people(cam, hyp)
    rid = np.asarray(hyp.attrs["relinked_ids"])
    hists = hyp.attrs["hists"]
    t = hyp["frame"].to_numpy()
    xy = np.column_stack([(hyp["x1"] + hyp["x2"]).to_numpy() / 2, hyp["y1"].to_numpy()])
    width = (hyp["x2"] - hyp["x1"]).to_numpy()
    rows = []
    for at, raw, oid, kind in hyp.attrs["links"]:
        mine = rid == oid
        before = people[mine & (t < at)][-LINK_ROWS:]
        after = people[mine & (t >= at)][:LINK_ROWS]
        a, b = majority_person(before), majority_person(after)
        old = np.flatnonzero(mine & (t < at))
        last = t[old].max() if len(old) else np.nan
        app = moved = np.nan
        near = -1
        if len(old):
            i = old[-1]
            height = HEIGHT_PER_WIDTH * max(width[i], 1.0)
            trail = old[t[old] >= t[i] - 2.0]
            moved = float(np.hypot(*(xy[trail] - xy[i]).T).max() / height)
            now = np.flatnonzero((np.abs(t - at) < 1e-6) & (rid != oid))
            near = int((np.hypot(*(xy[now] - xy[i]).T) <= height).sum())
            first = np.flatnonzero(mine & (t >= at))
            hs = [hists[k] for k in old if hists[k] is not None]
            if hs and len(first) and hists[first[0]] is not None:
                app = similarity(np.sum(hs, axis=0), hists[first[0]])
        rows.append({"t": at, "kind": kind, "old": oid, "new": raw, "gap_s": at - last,
                     "person_before": a, "person_after": b,
                     "wrong": np.nan if a < 0 or b < 0 else float(a != b),
                     "app": app, "moved_h": moved, "near": near})
    return pd.DataFrame(rows, columns=["t", "kind", "old", "new", "gap_s", "person_before",
                                       "person_after", "wrong", "app", "moved_h", "near"])


def _truth_rows(cam: dict) -> pd.DataFrame:
    """Every ground-truth box of the cached camera with its frame time."""
    return pd.concat([fr["truth"].assign(frame=fr["t"]) for fr in cam["frames"]],
                     ignore_index=True)


def _floor_speed(full: pd.DataFrame, person: int, t0: float, t1: float) -> float:
    """The person's floor speed (m/s) from their first to their last box in [t0, t1]; NaN
    with fewer than two boxes there."""
    p = full[(full["traveler_id"] == person) & (full["frame"] >= t0) & (full["frame"] <= t1)]
    if len(p) < 2 or p["frame"].iloc[-1] <= p["frame"].iloc[0]:
        return np.nan
    return float(np.hypot(p["floor_x"].iloc[-1] - p["floor_x"].iloc[0],
                          p["floor_y"].iloc[-1] - p["floor_y"].iloc[0])
                 / (p["frame"].iloc[-1] - p["frame"].iloc[0]))


def revivals(cam: dict, hyp: pd.DataFrame, min_gap_s: float = 1.0) -> pd.DataFrame:
    """One row per track the tracker took back itself after ``min_gap_s`` or more unseen (an
    id, after the re-linker, that reappears with no re-link at that moment: ByteTrack's lost
    buffer): its time, gap, the people under it before and after (``wrong``: two people, as
    :func:`link_merges` tells them) and how fast the person before walked on the floor over the
    ``REVIVAL_SPEED_S`` seconds before the gap (``speed_m_s``, ground truth)."""
    people = row_people(cam, hyp)
    rid = np.asarray(hyp.attrs["relinked_ids"])
    t = hyp["frame"].to_numpy()
    linked = {(round(at, 6), oid) for at, _, oid, _ in hyp.attrs["links"]}
    full = _truth_rows(cam)
    rows = []
    for oid in np.unique(rid):
        mine = np.flatnonzero(rid == oid)
        times = t[mine]
        for k in np.flatnonzero(np.diff(times) >= min_gap_s - 1e-6):
            at = times[k + 1]
            if (round(at, 6), oid) in linked:
                continue
            a = majority_person(people[mine[:k + 1]][-LINK_ROWS:])
            b = majority_person(people[mine[k + 1:]][:LINK_ROWS])
            speed = (_floor_speed(full, a, times[k] - REVIVAL_SPEED_S, times[k]) if a >= 0
                     else np.nan)
            rows.append({"t": at, "id": oid, "gap_s": at - times[k], "person_before": a,
                         "person_after": b, "speed_m_s": speed,
                         "wrong": np.nan if a < 0 or b < 0 else float(a != b)})
    return pd.DataFrame(rows, columns=["t", "id", "gap_s", "person_before", "person_after",
                                       "speed_m_s", "wrong"])


def speeds(cam: dict, hyp: pd.DataFrame) -> pd.DataFrame:
    """Each tracked row's speed cues as the tracker's head trail reads them after that frame
    (:class:`pipeline.cctv.lost_buffer.HeadTrail`: ``image_m_s`` the head's image
    displacement through its size, ``floor_m_s`` the head plane's medians; NaN: unknown)
    against the ground truth: ``truth_m_s`` the floor speed of the person under the row over
    the trail's ``speed_s`` seconds before it; ``track``: the tracker's own id."""
    cues = list(hyp.attrs.get("speeds") or [])
    if len(cues) != len(hyp):
        raise SystemExit("speeds: the replay kept no speed cue (no tracker option reads the "
                         "head trail: set looks_still_m_s or walker_lost_s)")
    people = row_people(cam, hyp)
    full = _truth_rows(cam)
    by_person = {p: g.sort_values("frame") for p, g in full.groupby("traveler_id")}
    t = hyp["frame"].to_numpy()
    rows = []
    for k, (img, flo) in enumerate(cues):
        p = people[k]
        g = by_person.get(p)
        if g is None:
            continue
        v = _floor_speed(g, p, t[k] - SPEED_S, t[k])
        if np.isnan(v):
            continue
        rows.append({"t": t[k], "track": hyp.attrs["raw_ids"][k], "person": p,
                     "image_m_s": np.nan if img is None else img,
                     "floor_m_s": np.nan if flo is None else flo, "truth_m_s": v})
    return pd.DataFrame(rows, columns=["t", "track", "person", "image_m_s", "floor_m_s",
                                       "truth_m_s"])


def speed_table(t: pd.DataFrame, still_m_s: float = 0.2) -> pd.DataFrame:
    """Per camera, walkers (ground truth over :data:`WALKER_M_S`) and standers (under
    :data:`STANDER_M_S`), per row and per track (its rows' medians): each cue's median and the
    share read under ``still_m_s`` (where the crowd looks ask a track)."""
    t = t.assign(who=np.select([t["truth_m_s"] > WALKER_M_S, t["truth_m_s"] < STANDER_M_S],
                               ["walker", "stander"], "between"))
    per_track = (t.groupby(["camera", "seed", "track", "person"])
                 [["image_m_s", "floor_m_s", "truth_m_s"]].median().reset_index())
    per_track["who"] = np.select([per_track["truth_m_s"] > WALKER_M_S,
                                  per_track["truth_m_s"] < STANDER_M_S],
                                 ["walker", "stander"], "between")
    out = []
    for unit, d in (("row", t), ("track", per_track)):
        d = d[d["who"] != "between"]
        for (cam, who), g in d.groupby(["camera", "who"]):
            row = {"camera": cam, "who": who, "unit": unit, "n": len(g),
                   "truth_med": g["truth_m_s"].median()}
            for cue in ("image_m_s", "floor_m_s"):
                v = g[cue].dropna()
                row[f"{cue[:-4]}_med"] = v.median()
                row[f"{cue[:-4]}_under"] = float((v < still_m_s).mean()) if len(v) else np.nan
                row[f"{cue[:-4]}_known"] = len(v) / max(len(g), 1)
            out.append(row)
    return pd.DataFrame(out)


def majority_person(p: np.ndarray) -> int:
    """The person most of ``p``'s known rows (>= 0) belong to; -1 if none is known."""
    p = p[p >= 0]
    if not len(p):
        return -1
    v, c = np.unique(p, return_counts=True)
    return int(v[c.argmax()])


def sliced(truth: pd.DataFrame, hyp: pd.DataFrame, slice_s: float) -> list[float]:
    """IDF1 of each consecutive ``slice_s`` slice of the window (the same tracks, cut)."""
    from experiments.cctv_track_tune import score

    t0, t1 = truth["frame"].min(), truth["frame"].max()
    out = []
    for a in np.arange(t0, t1 + 1e-9, slice_s):
        g = truth[(truth["frame"] >= a - 1e-6) & (truth["frame"] < a + slice_s - 1e-6)]
        h = hyp[(hyp["frame"] >= a - 1e-6) & (hyp["frame"] < a + slice_s - 1e-6)]
        if g["frame"].nunique() >= slice_s * 0.5:  # a short tail is no slice
            out.append(score(g, h)["IDF1"])
    return out


def replay(folders: list[Path], spec: str, cameras: list[str] | None,
           slice_s: float) -> pd.DataFrame:
    from experiments.cctv_corridor_tune import replays
    from experiments.cctv_track_tune import score

    rows = []
    for opts, c, truth, hyp in replays(folders, spec, cameras):
        cols = hyp[["frame", "id", "x1", "y1", "x2", "y2"]]
        m = score(truth, cols)
        parts = sliced(truth, cols, slice_s)
        links = link_merges(c, hyp)
        back = revivals(c, hyp)
        walked = back["speed_m_s"] >= WALKING_M_S
        rows.append({**opts, "seed": c["seed"], "camera": c["camera"],
                     "IDF1": m["IDF1"], "ID_switches": m["ID_switches"],
                     "tracker_ids": m["tracker_ids"], "gt_ids": m["gt_ids"],
                     "slice_mean": float(np.mean(parts)) if parts else np.nan,
                     "slice_min": float(np.min(parts)) if parts else np.nan,
                     **{f"{k}_links": int((links["kind"] == k).sum())
                        for k in ("short", "dwell")},
                     **{f"{k}_wrong": int(links.loc[links["kind"] == k, "wrong"].eq(1).sum())
                        for k in ("short", "dwell")},
                     "revived": len(back), "revived_wrong": int(back["wrong"].eq(1).sum()),
                     "walker_revived": int(walked.sum()),
                     "walker_revived_wrong": int((walked & back["wrong"].eq(1)).sum())})
    return pd.DataFrame(rows)


REVIVAL_COLUMNS = ("seed", "camera", "t", "id", "gap_s", "person_before", "person_after",
                   "speed_m_s", "wrong")
WALKING_M_S = 0.3  # revivals: a person faster than this on the floor counts as walking


def revival_table(folders: list[Path], spec: str, cameras: list[str] | None,
                  min_gap_s: float) -> pd.DataFrame:
    """:func:`revivals` of every replayed camera, with the grid's options."""
    from experiments.cctv_corridor_tune import replays

    parts = [revivals(c, hyp, min_gap_s).assign(**opts, seed=c["seed"], camera=c["camera"])
             for opts, c, _, hyp in replays(folders, spec, cameras)]
    return pd.concat(parts, ignore_index=True)


def breaks(folders: list[Path], spec: str, cameras: list[str] | None) -> pd.DataFrame:
    """Every ID switch of the replay with the person's dwell and the re-linker's view of it
    (module docstring)."""
    from experiments.cctv_corridor_tune import trace
    from experiments.cctv_track_tune import grid
    from pipeline.cctv.relink import RelinkConfig

    opts = grid(spec)[0] if spec else {}
    cfg = RelinkConfig(**{k[2:]: v for k, v in opts.items() if k.startswith("r_")})
    return trace(folders, cameras, opts, more=lambda c, hyp, t: _dwell_columns(c, hyp, t, cfg))


def _dwell_columns(c: dict, hyp: pd.DataFrame, t: pd.DataFrame, cfg) -> pd.DataFrame:
    from pipeline.cctv.appearance import similarity
    from pipeline.cctv.relink import HEIGHT_PER_WIDTH

    full = _truth_rows(c)
    hists = hyp.attrs["hists"]
    extra = []
    for _, e in t.iterrows():
        p = full[full["traveler_id"] == e["gt"]]
        now = p[p["frame"] <= e["frame"]].iloc[-1]
        ago = p[p["frame"] >= e["frame"] - STILL_S].iloc[0]
        old = hyp[(hyp["id"] == e["old"]) & (hyp["frame"] < e["frame"])]
        new = hyp[hyp["id"] == e["new"]]
        x = {"activity": now["activity"], "floor_x": now["floor_x"],
             "floor_y": now["floor_y"], "in_view_s": e["frame"] - p["frame"].min(),
             "moved_m": float(np.hypot(now["floor_x"] - ago["floor_x"],
                                       now["floor_y"] - ago["floor_y"])),
             "gap_s": e["frame"] - e["prev_frame"]}
        if len(old) and len(new) and new["frame"].min() > old["frame"].max():
            a, b = old.iloc[-1], new.iloc[0]
            w = max(a["x2"] - a["x1"], 1.0)
            step = np.array([(b["x1"] + b["x2"] - a["x1"] - a["x2"]) / 2, b["y1"] - a["y1"]])
            hs = [hists[i] for i in old.index if hists[i] is not None]
            app = similarity(np.sum(hs, axis=0), hists[new.index[0]]) \
                if hs and hists[new.index[0]] is not None else np.nan
            gap = b["frame"] - a["frame"]
            dist = np.hypot(*step) / (HEIGHT_PER_WIDTH * w)
            scale = (b["x2"] - b["x1"]) / w
            why = ("window" if gap > cfg.window_s else
                   "scale" if not 1 / cfg.max_scale <= scale <= cfg.max_scale else
                   "gate" if dist > cfg.gate + cfg.per_s * gap else
                   "appearance" if not app >= cfg.min_appearance else "other")
            x.update(old_gap_s=gap, dist_h=dist, scale=scale, app=app, why=why)
        extra.append(x)
    return pd.concat([t.reset_index(drop=True), pd.DataFrame(extra)], axis=1)


def _per_replay(table, folders, grid, cams, csv) -> pd.DataFrame:
    """``table(cache, hyp)`` for every replay of the caches, labelled with its options, seed
    and camera (written to ``csv`` too when given)."""
    from experiments.cctv_corridor_tune import replays

    t = pd.concat([table(c, hyp).assign(**opts, seed=c["seed"], camera=c["camera"])
                   for opts, c, _, hyp in replays(folders, grid, cams)], ignore_index=True)
    if csv:
        t.to_csv(csv, index=False)
    return t


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    from experiments.cctv_corridor_tune import cache_parser

    for name in ("replay", "breaks", "revivals", "speeds", "links"):
        p = cache_parser(sub, name)
        if name == "replay":
            p.add_argument("--slice", type=float, default=60.0,
                           help="seconds per slice of the window scored on its own")
        if name == "speeds":
            p.add_argument("--still", type=float, default=0.2,
                           help="m/s: the share of each cue read under this")
        if name == "revivals":
            p.add_argument("--min-gap", type=float, default=1.0,
                           help="seconds unseen before a take-back is listed")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    if a.cmd in ("links", "speeds"):
        t = _per_replay(link_merges if a.cmd == "links" else speeds, a.folders, a.grid, cams,
                        a.csv)
    if a.cmd == "links":
        print(t.round(3).to_string(index=False))
        return
    if a.cmd == "speeds":
        print(speed_table(t, a.still).round(3).to_string(index=False))
        return
    if a.cmd == "revivals":
        t = revival_table(a.folders, a.grid, cams, a.min_gap)
        if a.csv:
            t.to_csv(a.csv, index=False)
        keys = [k for k in t.columns if k not in REVIVAL_COLUMNS]
        t["walking"] = t["speed_m_s"] >= WALKING_M_S
        print(t.groupby(keys + ["walking"]).agg(revivals=("t", "size"),
                                                wrong=("wrong", "sum")).to_string())
        return
    if a.cmd == "breaks":
        t = breaks(a.folders, a.grid, cams)
        if a.csv:
            t.to_csv(a.csv, index=False)
        if t.empty:
            print("no ID switch")
            return
        print(t.groupby(["camera", "kind"]).size().unstack(fill_value=0).to_string(), "\n")
        print(t.groupby(["activity", "kind"]).size().unstack(fill_value=0).to_string(), "\n")
        if "why" in t.columns:
            print(t.groupby(["activity", "why"]).size().unstack(fill_value=0).to_string(), "\n")
        return
    t = replay(a.folders, a.grid, cams, a.slice)
    if a.csv:
        t.to_csv(a.csv, index=False)
    print(t.round(3).to_string(index=False))
    keys = [k for k in t.columns if k not in ("seed", "camera", "IDF1", "ID_switches",
                                              "tracker_ids", "gt_ids", "slice_mean",
                                              "slice_min") and not k.endswith(("_links",
                                                                               "_wrong"))
            and not k.endswith("revived")]
    if keys:
        print(t.groupby(keys + ["camera"])[["IDF1", "slice_mean", "ID_switches", "short_links",
                                            "short_wrong", "dwell_links", "dwell_wrong",
                                            "revived", "revived_wrong", "walker_revived",
                                            "walker_revived_wrong"]]
              .mean().round(4).to_string())


if __name__ == "__main__":
    main()
