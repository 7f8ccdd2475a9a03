"""What a CCTV identification run means for the people in it, and whether it keeps up: pure
functions over record tables, tested on hand-built ones.

- :func:`surveillance_reach`: share of travelers seen by the cameras who were identified at
  least once, overall and by group, consent and enrolment; time from arrival (first
  appearance on any camera) to first identification.
- :func:`false_identifications`: identifications that named the wrong person (or someone who is
  not in the gallery), per hour of the run and per camera-hour.
- :func:`identification_latency`: time from a face's first appearance on a camera to the
  identification event on that camera (p50, p95).
- :func:`realtime`: processing rate against each camera's fps (real-time factor).
- :func:`gallery_size_sweep`: FNIR/FPIR, rank-1 and false identifications as the gallery grows.

An identification event is a search whose best candidate reached the threshold (``matched``);
it is correct when the claimed traveler (``claimed_traveler``; -1: an extra population
identity) is the true one (``traveler_id``; -1: nobody's track).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.cctv.metrics import identification_table

REACH_BY = ("skin_tone", "age_band", "sex_presentation", "consent", "on_manifest", "watchlist")


def _pct(v, q) -> float:
    v = pd.Series(v, dtype=float).dropna()
    return float(np.percentile(v, q)) if len(v) else float("nan")


def label_events(searches: pd.DataFrame) -> pd.DataFrame:
    """``searches`` with ``correct`` and ``false_id`` (both False for unmatched searches)."""
    s = searches.copy()
    matched = s["matched"].astype(bool)
    s["correct"] = matched & (s["traveler_id"] >= 0) & (s["claimed_traveler"] == s["traveler_id"])
    s["false_id"] = matched & ~s["correct"]
    return s


def surveillance_reach(searches: pd.DataFrame, truth: pd.DataFrame, travelers: pd.DataFrame,
                       by=REACH_BY) -> pd.DataFrame:
    """One row per (by, group): travelers seen, identified at least once (correctly), share,
    and arrival -> first identification p50/p95 (s). ``truth``: camera, frame (t), id;
    ``travelers``: traveler_id and the ``by`` columns."""
    s = label_events(searches)
    seen = truth.groupby("id")["frame"].min().rename("arrival_t")
    first = s[s["correct"]].groupby("traveler_id")["t"].min().rename("first_id_t")
    people = travelers.set_index("traveler_id").join(seen, how="inner").join(first)
    people["identified"] = people["first_id_t"].notna()
    people["to_first_id_s"] = people["first_id_t"] - people["arrival_t"]
    rows = [_reach_row("all", "all", people)]
    for col in by:
        if col in people.columns:
            rows += [_reach_row(col, str(key), g) for key, g in people.groupby(col)]
    return pd.DataFrame(rows)


def _reach_row(by: str, group: str, g: pd.DataFrame) -> dict:
    return {"by": by, "group": group, "travelers": len(g), "identified": int(g["identified"].sum()),
            "share_identified": float(g["identified"].mean()) if len(g) else float("nan"),
            "to_first_id_p50_s": _pct(g["to_first_id_s"], 50),
            "to_first_id_p95_s": _pct(g["to_first_id_s"], 95)}


def false_identifications(searches: pd.DataFrame, cameras: pd.DataFrame,
                          span_s: float) -> dict:
    """False identifications in all, per hour of the run (``span_s``) and per camera-hour
    (``cameras``: frames and fps per camera)."""
    s = label_events(searches)
    n = int(s["false_id"].sum())
    cam_h = float((cameras["frames"] / cameras["fps"]).sum()) / 3600
    return {"identifications": int(s["matched"].sum()), "correct": int(s["correct"].sum()),
            "false_identifications": n, "run_hours": span_s / 3600, "camera_hours": cam_h,
            "false_ids_per_hour": n / (span_s / 3600) if span_s > 0 else float("nan"),
            "false_ids_per_camera_hour": n / cam_h if cam_h > 0 else float("nan")}


def identification_latency(searches: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per camera and overall: for each (camera, traveler) correctly identified there, the
    seconds from the traveler's first frame with a face on that camera (``face_x1`` not NaN)
    to the first correct identification on it."""
    s = label_events(searches)
    ident = s[s["correct"]].groupby(["camera", "traveler_id"])["t"].min()
    faces = truth[truth["face_x1"].notna()].groupby(["camera", "id"])["frame"].min()
    faces.index = faces.index.set_names(["camera", "traveler_id"])
    lat = (ident - faces.reindex(ident.index)).dropna().rename("latency_s").reset_index()
    rows = [{"camera": "all", "identified": len(lat), "latency_p50_s": _pct(lat["latency_s"], 50),
             "latency_p95_s": _pct(lat["latency_s"], 95)}]
    for cam, g in lat.groupby("camera"):
        rows.append({"camera": cam, "identified": len(g),
                     "latency_p50_s": _pct(g["latency_s"], 50),
                     "latency_p95_s": _pct(g["latency_s"], 95)})
    return pd.DataFrame(rows)


def realtime(frames: pd.DataFrame, cameras: pd.DataFrame) -> pd.DataFrame:
    """Per camera: frames, processing seconds, frames/s processed, the camera's fps and the
    real-time factor: CPU time per frame over the frame interval (``cpu_s``, the process's CPU
    seconds per frame; <= 1 keeps up on one core), and the same from wall time beside it. Runs
    recorded before ``cpu_s`` existed get the wall-time factor in both columns."""
    fps = cameras.set_index("camera")["fps"]
    rows = []
    for cam, g in frames.groupby("camera"):
        wall = float(g["seconds"].sum())
        cpu = float(g["cpu_s"].sum()) if "cpu_s" in g.columns else wall
        footage = len(g) / float(fps[cam])
        rows.append({"camera": cam, "frames": len(g), "processing_s": wall, "cpu_s": cpu,
                     "frames_per_s": len(g) / wall if wall > 0 else float("inf"),
                     "fps": float(fps[cam]), "realtime_factor": cpu / footage,
                     "wall_realtime_factor": wall / footage, "keeps_up": cpu <= footage})
    return pd.DataFrame(rows)


def gallery_size_sweep(searches: pd.DataFrame, sizes, n_listed: int, mates: dict[int, str],
                       threshold) -> pd.DataFrame:
    """One row per swept number of extra identities ``n`` (gallery = listed + first n extras):
    searches, rank-1, FNIR at FPIR 1e-2/1e-3, and at the run's ``threshold`` the FPIR, FNIR and
    false identifications. ``searches`` carries traveler_id, listed_ids, listed_scores and
    extra_max (one value per size); ``mates``: traveler -> its listed template id.
    ``threshold``: a number, or a :class:`pipeline.cctv.operating.SizedThreshold` applied at
    each swept gallery's size."""
    from pipeline.cctv.operating import threshold_at

    rows = []
    for j, n in enumerate(sizes):
        recs = []
        for tr, ids, scs, ext in zip(searches["traveler_id"], searches["listed_ids"],
                                     searches["listed_scores"], searches["extra_max"]):
            ids, scs = list(ids), list(scs)
            mate = mates.get(int(tr))
            top_listed = scs[0] if scs else -np.inf
            extra = float(ext[j])
            top = max(top_listed, extra)
            mate_score = scs[ids.index(mate)] if mate in ids else np.nan
            rank1 = mate is not None and bool(ids) and ids[0] == mate and top_listed >= extra
            recs.append((mate is not None, 1 if rank1 else (2 if mate in ids else 0),
                         mate_score, top, rank1))
        t = pd.DataFrame(recs, columns=["mated", "mate_rank", "mate_score", "top_score",
                                        "rank1_hit"])
        row = {"n_extra": int(n), "gallery_size": int(n_listed + n), "searches": len(t)}
        t_n = threshold_at(threshold, n_listed + n)  # the threshold for this size
        if len(t):
            row.update(identification_table(t).drop(columns=["n_mated", "n_nonmated"])
                       .iloc[0].to_dict())
            hit = t["top_score"] >= t_n
            non = ~t["mated"]
            row.update(threshold=t_n,
                       false_identifications=int((hit & ~(t["rank1_hit"])).sum()),
                       fpir_at_threshold=float(hit[non].mean()) if non.any() else np.nan,
                       fnir_at_threshold=float(1 - (hit & t["rank1_hit"])[~non].mean())
                       if (~non).any() else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)
