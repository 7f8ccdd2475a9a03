"""Tables the CCTV sections of the dashboard show, from the tables of an ``airtwin identify-cctv``
run folder (after ``airtwin evaluate-tracking``; formats in :mod:`outputs.run`). Pure pandas:
no Streamlit, no simulator, no pipeline; tested on small hand-built frames.

Stakeholder: surveillance reach per gallery policy (:func:`reach_by_policy`,
:func:`reach_by_group`), false identifications, per-group identification rates
(:func:`group_rates`), and one traveler's reconstructed journey beside its ground truth
(:func:`journey_vs_truth`). Engineer: per-camera frame latency and real-time capacity
(:func:`camera_capacity`), per-track time to identification, stage latencies where the run
recorded them (:func:`stage_latencies`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POLICY_LABEL = {"watchlist": "watchlist", "manifest": "manifest (MASS ENROLMENT)",
                "population": "population (MASS ENROLMENT)"}
GROUP_BY = ("skin_tone", "age_band", "sex_presentation", "consent", "on_manifest", "watchlist")
IOU_MATCH = 0.3  # a track box and a ground-truth box this close are the same person
STAGES = ("detect", "quality", "track", "embed", "search", "other")  # seconds: <stage>_s


def is_cctv_run(summary: dict) -> bool:
    """A run folder written by ``airtwin identify-cctv`` (its summary has a ``cctv`` section)."""
    return isinstance(summary.get("cctv"), dict)


def mass_enrolment(summary: dict) -> bool:
    """Manifest and population runs search everyone enrolled, not a watchlist."""
    return bool(summary.get("mass_enrolment_policy")) or \
        (summary.get("cctv") or {}).get("policy") in ("manifest", "population")


def policy_label(summary: dict) -> str:
    policy = (summary.get("cctv") or {}).get("policy") or summary.get("gallery_policy") or "?"
    label = POLICY_LABEL.get(policy, policy)
    if mass_enrolment(summary) and "MASS" not in label:
        label += " (MASS ENROLMENT)"
    return label


def _reach_share(reach: pd.DataFrame, by: str, group: str) -> float:
    row = reach[(reach["by"] == by) & (reach["group"].astype(str) == group)]
    return float(row["share_identified"].iloc[0]) if len(row) else float("nan")


def reach_by_policy(runs: list[tuple[str, dict, pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """One row per CCTV run: (label, summary, cctv_reach, cctv_false_ids) -> policy, gallery
    size, travelers seen, share identified at least once (all, consenting, not consenting),
    false identifications and per hour."""
    rows = []
    for label, summary, reach, false in runs:
        meta = summary.get("cctv") or {}
        f = false.iloc[0] if len(false) else pd.Series(dtype=float)
        everyone = reach[reach["by"] == "all"]
        rows.append({
            "run": label, "gallery policy": policy_label(summary),
            "gallery size": int(meta.get("gallery_size", 0)),
            "travelers seen": int(everyone["travelers"].iloc[0]) if len(everyone) else 0,
            "identified (share)": _reach_share(reach, "all", "all"),
            "consenting": _reach_share(reach, "consent", "True"),
            "not consenting": _reach_share(reach, "consent", "False"),
            "false identifications": int(f.get("false_identifications", 0)),
            "false ids per hour": float(f.get("false_ids_per_hour", np.nan)),
            "arrival to first id p50 (s)": float(everyone["to_first_id_p50_s"].iloc[0])
            if len(everyone) else np.nan})
    return pd.DataFrame(rows)


def reach_by_group(runs: list[tuple[str, dict, pd.DataFrame]], by: str) -> pd.DataFrame:
    """Share identified at least once per group of ``by``, one row per (run, group)."""
    rows = []
    for label, summary, reach in runs:
        sub = reach[reach["by"] == by]
        for r in sub.itertuples(index=False):
            rows.append({"run": label, "policy": policy_label(summary), "group": str(r.group),
                         "travelers": int(r.travelers), "identified": int(r.identified),
                         "share_identified": float(r.share_identified)})
    return pd.DataFrame(rows, columns=["run", "policy", "group", "travelers", "identified",
                                       "share_identified"])


def group_rates(ident: pd.DataFrame) -> pd.DataFrame:
    """Per demographic group: searches of enrolled travelers (mated) and of others, rank-1 and
    FNIR at FPIR 1e-2 / 1e-3, with the group column named ``group`` and its kind ``by``."""
    rows = []
    for by in ("skin_tone", "age_band", "sex_presentation", "consent"):
        sub = ident[ident["by"] == by]
        for r in sub.to_dict("records"):
            rows.append({"by": by, "group": str(r.get(by)), "mated searches": r.get("n_mated"),
                         "non-mated searches": r.get("n_nonmated"), "rank-1": r.get("rank1"),
                         "FNIR @ FPIR 1e-2": r.get("fnir_at_fpir_1e-2"),
                         "FNIR @ FPIR 1e-3": r.get("fnir_at_fpir_1e-3")})
    return pd.DataFrame(rows, columns=["by", "group", "mated searches", "non-mated searches",
                                       "rank-1", "FNIR @ FPIR 1e-2", "FNIR @ FPIR 1e-3"])


def max_min_ratio(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.max() / v.min()) if len(v) and v.min() > 0 else float("nan")


# --- one traveler's journey ------------------------------------------------------------------

def travelers_by_coverage(truth: pd.DataFrame, searches: pd.DataFrame) -> pd.DataFrame:
    """Travelers seen by the cameras: cameras, frames, whether a track of theirs was searched
    and whether a search correctly named them. Identified first, then searched, then the
    most-seen (the default pick is someone the system did follow)."""
    seen = truth.groupby("id").agg(cameras=("camera", "nunique"), frames=("frame", "size"))
    ok = searches[searches["matched"].astype(bool) & (searches["traveler_id"] >= 0)
                  & (searches["claimed_traveler"] == searches["traveler_id"])]
    seen["searched"] = seen.index.isin(searches["traveler_id"].astype(int))
    seen["identified"] = seen.index.isin(ok["traveler_id"].astype(int))
    seen = seen.reset_index().rename(columns={"id": "traveler_id"})
    return seen.sort_values(["identified", "searched", "cameras", "frames", "traveler_id"],
                            ascending=[False, False, False, False, True], ignore_index=True)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1, y1 = np.maximum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1])
    x2, y2 = np.minimum(a[:, 2], b[:, 2]), np.minimum(a[:, 3], b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def tracks_of(traveler: int, truth: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """The (camera, track id) pairs that followed ``traveler``: tracks whose box overlaps the
    traveler's ground-truth box (IoU >= IOU_MATCH) on at least half of the frames they share.
    Only the tracker's own rows count: boxes filled into a track's gaps after the run
    (``filled``, ``pipeline/cctv/gaps.py``) are not what the cameras saw."""
    if "filled" in tracks.columns:
        tracks = tracks[~tracks["filled"].astype(bool)]
    mine = truth[truth["id"] == traveler][["camera", "frame", "x1", "y1", "x2", "y2"]]
    both = tracks.merge(mine, on=["camera", "frame"], suffixes=("", "_gt"))
    if both.empty:
        return pd.DataFrame(columns=["camera", "track_id", "overlap"])
    iou = _iou(both[["x1", "y1", "x2", "y2"]].to_numpy(float),
               both[["x1_gt", "y1_gt", "x2_gt", "y2_gt"]].to_numpy(float))
    both["hit"] = iou >= IOU_MATCH
    share = both.groupby(["camera", "id"])["hit"].mean().rename("overlap").reset_index()
    share = share[share["overlap"] >= 0.5].rename(columns={"id": "track_id"})
    return share.reset_index(drop=True)


def journey_vs_truth(traveler: int, truth: pd.DataFrame, tracks: pd.DataFrame,
                     journeys: pd.DataFrame, gallery: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                            pd.DataFrame]:
    """(ground truth, reconstruction) of one traveler's way past the cameras.

    Ground truth: per camera where the traveler was in view, first and last frame time and
    whether a face was visible. Reconstruction: every row of the journeys that hold a track that
    followed the traveler (so a journey that wrongly took in someone else's track shows it),
    with the claimed identity turned back into a traveler id (``cctv_gallery``) and whether the
    track really is the traveler."""
    mine = truth[truth["id"] == traveler]
    gt = mine.groupby("camera").agg(t_in=("frame", "min"), t_out=("frame", "max"),
                                    frames=("frame", "size"),
                                    face_seen=("face_x1", lambda s: bool(s.notna().any())))
    gt = gt.reset_index().sort_values("t_in", ignore_index=True)
    followed = tracks_of(traveler, truth, tracks)
    keys = set(zip(followed["camera"], followed["track_id"].astype(int)))
    j = journeys.copy()
    j["is_traveler"] = [(c, int(t)) in keys for c, t in zip(j["camera"], j["track_id"])]
    ids = set(j.loc[j["is_traveler"], "journey_id"])
    rec = j[j["journey_id"].isin(ids)].sort_values(["journey_id", "t_in"], ignore_index=True)
    who = dict(zip(gallery["template_id"], gallery["traveler_id"].astype(int)))
    claim = rec["identity"] if "identity" in rec else pd.Series([None] * len(rec))
    rec["claimed_traveler"] = [who.get(c, -1) if isinstance(c, str) else None for c in claim]
    rec["claim_correct"] = [None if c is None else c == traveler for c in rec["claimed_traveler"]]
    cols = ["journey_id", "camera", "track_id", "t_in", "t_out", "identity", "score",
            "claimed_traveler", "claim_correct", "is_traveler"]
    return gt, rec[[c for c in cols if c in rec.columns]]


# --- engineer ---------------------------------------------------------------------------------

def camera_capacity(frames: pd.DataFrame, realtime: pd.DataFrame | None) -> pd.DataFrame:
    """Per camera (and "all"): frames, processing time per frame p50/p95/p99 (ms), frames/s
    processed, the camera's fps, real-time factor and how many such cameras one processing
    thread keeps up with (frames/s processed over the camera's fps). Capacity comes from the
    frames' CPU time (``cpu_s``) where the run recorded it, else from wall time; the row says
    which."""
    fps = {} if realtime is None or realtime.empty else \
        dict(zip(realtime["camera"], realtime["fps"].astype(float)))
    rows = []
    groups = [(cam, g) for cam, g in frames.groupby("camera")] + [("all", frames)]
    for cam, g in groups:
        ms = g["seconds"].to_numpy(float) * 1000
        # capacity from CPU time where the run recorded it (wall time on a shared machine
        # counts other processes' work against the camera)
        cpu = "cpu_s" in g.columns and bool(g["cpu_s"].notna().all()) and len(g) > 0
        proc = float(g["cpu_s"].sum() if cpu else g["seconds"].sum())
        rate = len(g) / proc if proc > 0 else np.nan
        f = fps.get(cam, np.mean(list(fps.values())) if fps else np.nan)
        rows.append({"camera": cam, "frames": len(g),
                     "frame p50 (ms)": float(np.percentile(ms, 50)) if len(ms) else np.nan,
                     "frame p95 (ms)": float(np.percentile(ms, 95)) if len(ms) else np.nan,
                     "frame p99 (ms)": float(np.percentile(ms, 99)) if len(ms) else np.nan,
                     "frames/s processed": rate, "camera fps": f,
                     "real-time factor": f / rate if rate and rate > 0 else np.nan,
                     "cameras per thread": rate / f if f and f > 0 else np.nan,
                     "capacity from": "CPU time" if cpu else "wall time"})
    return pd.DataFrame(rows)


def stage_latencies(frames: pd.DataFrame) -> pd.DataFrame | None:
    """Per stage (detect, quality, embed, search, track; columns ``<stage>_s`` of cctv_frames
    where the run recorded them): mean, p50 and p95 ms per frame. None without them."""
    have = [s for s in STAGES if f"{s}_s" in frames.columns]
    if not have:
        return None
    rows = []
    for s in have:
        ms = frames[f"{s}_s"].to_numpy(float) * 1000
        rows.append({"stage": s, "mean_ms": float(np.nanmean(ms)),
                     "p50_ms": float(np.nanpercentile(ms, 50)),
                     "p95_ms": float(np.nanpercentile(ms, 95))})
    return pd.DataFrame(rows)
