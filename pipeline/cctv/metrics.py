"""Identification (NIST FRTE style) and tracking (MOTChallenge style) metrics, pure functions.

Identification, over a table of 1:N searches (one row per search):

- ``mated``: the probe's true identity is enrolled in the gallery;
- ``mate_rank``: 1-based rank of the true mate among the returned candidates (0: not returned);
- ``mate_score``: its score (NaN when not returned); ``top_score``: the best candidate's score.

FPIR(T) is the share of non-mated searches whose best score reaches T; FNIR(T) the share of
mated searches whose mate is not returned at rank 1 with a score >= T (NIST IR 8271's
definitions with R = 1). The threshold for a target FPIR is set on all non-mated searches, then
applied to every group, as FRTE does for its demographic tables. Rank-1 is the share of mated
searches with the mate at rank 1, whatever its score.

Tracking: HOTA, CLEAR (MOTA, ID switches) and Identity (IDF1) from the ``trackers`` library's
evaluation module, a TrackEval-compatible implementation, on per-frame IoU matrices. Cross-camera
IDF1 (AI City Challenge multi-camera track) is IDF1 over all cameras' frames at once with global
ids: a journey that carries one person across cameras scores as one id.

Visibility: a person mostly hidden behind nearer people (less than :data:`MIN_VISIBLE` of their
body box in sight) is a "don't care" region, as TrackEval's MOTChallenge preprocessing treats
distractors and KITTI its DontCare boxes (:func:`drop_dont_care`): nobody is asked to track them,
and a tracker box that lands on one (Hungarian match at IoU >= 0.5) is neither a hit nor a false
positive. Evaluations report both: everyone in view, and the persons in sight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.vision.detections import iou_matrix

__all__ = ["FPIR_TARGETS", "MIN_VISIBLE", "TRACK_COLUMNS", "drop_dont_care", "threshold_at_fpir", "fnir_fpir",
           "identification_by",
           "identification_table", "max_min_ratio", "mot_metrics", "cross_camera_idf1",
           "ipd_band"]

FPIR_TARGETS = (1e-2, 1e-3)
IPD_BANDS = (0.0, 20.0, 40.0, 60.0, np.inf)
IPD_LABELS = ("<20", "20-40", "40-60", ">=60")
SEARCH_COLUMNS = ("mated", "mate_rank", "mate_score", "top_score")
TRACK_COLUMNS = ("frame", "id", "x1", "y1", "x2", "y2")
# Ground truth less visible than this (share of the body box not behind nearer people's boxes)
# is "don't care": a quarter of a body is about a head and shoulders, what a person detector
# needs to see someone in a crowd.
MIN_VISIBLE = 0.25


def ipd_band(ipd_px) -> pd.Series:
    return pd.cut(pd.Series(ipd_px, dtype=float), IPD_BANDS, right=False, labels=IPD_LABELS)


def _check(searches: pd.DataFrame) -> None:
    missing = [c for c in SEARCH_COLUMNS if c not in searches.columns]
    if missing:
        raise ValueError(f"searches table lacks column(s) {', '.join(missing)} "
                         f"(needs {', '.join(SEARCH_COLUMNS)})")


def threshold_at_fpir(nonmated_top: np.ndarray, target: float) -> float:
    """The lowest threshold whose FPIR on these non-mated top scores is <= ``target``
    (+inf without non-mated searches: nothing may be called a match)."""
    s = np.sort(np.asarray(nonmated_top, float))[::-1]
    if len(s) == 0:
        return float("inf")
    allowed = int(np.floor(target * len(s)))  # false positives the target permits
    if allowed >= len(s):
        return float(s[-1])
    return float(np.nextafter(s[allowed], np.inf))  # just above the first disallowed score


def fnir_fpir(searches: pd.DataFrame, threshold: float) -> tuple[float, float]:
    _check(searches)
    m = searches[searches["mated"].astype(bool)]
    n = searches[~searches["mated"].astype(bool)]
    hit = (m["mate_rank"] == 1) & (m["mate_score"] >= threshold)
    fnir = float(1 - hit.mean()) if len(m) else float("nan")
    fpir = float((n["top_score"] >= threshold).mean()) if len(n) else float("nan")
    return fnir, fpir


def identification_table(searches: pd.DataFrame, by: list[str] | None = None,
                         targets=FPIR_TARGETS) -> pd.DataFrame:
    """One row per group of ``by`` (one row for all without): n_mated, n_nonmated, rank1, and
    for each target FPIR the global threshold, that group's FNIR and its measured FPIR."""
    _check(searches)
    nonmated = searches.loc[~searches["mated"].astype(bool), "top_score"].to_numpy()
    thresholds = {t: threshold_at_fpir(nonmated, t) for t in targets}
    groups = [((), searches)] if not by else searches.groupby(by, observed=True, dropna=False)
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        mated = g[g["mated"].astype(bool)]
        row = dict(zip(by or [], key))
        row.update(n_mated=len(mated), n_nonmated=int((~g["mated"].astype(bool)).sum()),
                   rank1=float((mated["mate_rank"] == 1).mean()) if len(mated) else float("nan"))
        for t, thr in thresholds.items():
            fnir, fpir = fnir_fpir(g, thr)
            tag = f"{t:.0e}".replace("e-0", "e-")
            row[f"threshold_fpir_{tag}"] = thr
            row[f"fnir_at_fpir_{tag}"] = fnir
            row[f"fpir_measured_{tag}"] = fpir
        rows.append(row)
    return pd.DataFrame(rows)


def identification_by(searches: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """:func:`identification_table` for all searches (``by`` "all") and then per value of each
    of ``columns`` (``by`` the column's name), one threshold per target FPIR over all of them."""
    parts = [identification_table(searches).assign(by="all")]
    parts += [identification_table(searches, [c]).assign(by=c) for c in columns]
    return pd.concat(parts, ignore_index=True)


def max_min_ratio(values) -> float:
    """max/min of a group metric (FRTE's demographic differential); NaN when min is 0 or none."""
    v = pd.Series(values, dtype=float).dropna()
    if v.empty or v.min() <= 0:
        return float("nan")
    return float(v.max() / v.min())


def _sequence(gt: pd.DataFrame, hyp: pd.DataFrame, frame_key: list[str]):
    """Per-frame id arrays and IoU matrices, ids remapped to 0..n-1 (the library wants ints)."""
    for name, df in (("ground truth", gt), ("tracker output", hyp)):
        missing = [c for c in ("id", "x1", "y1", "x2", "y2", *frame_key) if c not in df.columns]
        if missing:
            raise ValueError(f"{name} table lacks column(s) {', '.join(missing)}")
    gid = {v: i for i, v in enumerate(pd.unique(gt["id"]))}
    hid = {v: i for i, v in enumerate(pd.unique(hyp["id"]))}
    frames = sorted(set(map(tuple, gt[frame_key].to_numpy().tolist()))
                    | set(map(tuple, hyp[frame_key].to_numpy().tolist())))
    g_by = {tuple(k) if isinstance(k, tuple) else (k,): v for k, v in gt.groupby(frame_key)}
    h_by = {tuple(k) if isinstance(k, tuple) else (k,): v for k, v in hyp.groupby(frame_key)}
    empty = gt.iloc[:0]
    gt_ids, tr_ids, sims = [], [], []
    for f in frames:
        g, h = g_by.get(f, empty), h_by.get(f, hyp.iloc[:0])
        gt_ids.append(np.array([gid[v] for v in g["id"]], int))
        tr_ids.append(np.array([hid[v] for v in h["id"]], int))
        sims.append(iou_matrix(g[["x1", "y1", "x2", "y2"]].to_numpy(float),
                         h[["x1", "y1", "x2", "y2"]].to_numpy(float)))
    return gt_ids, tr_ids, sims


def drop_dont_care(gt: pd.DataFrame, hyp: pd.DataFrame, frame_key: list[str],
                   min_visible: float = MIN_VISIBLE, iou: float = 0.5
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ground truth and tracker output without the "don't care" persons (column ``occluded``,
    the share of the box hidden; visible = 1 - occluded < ``min_visible``) and without the
    tracker boxes matched to them. Per frame, tracker boxes are matched to all ground truth
    (Hungarian on IoU, pairs at >= ``iou``), as TrackEval matches to distractors; a tracker box
    matched to a don't-care person is dropped. Without an ``occluded`` column, everyone counts."""
    from scipy.optimize import linear_sum_assignment

    if "occluded" not in gt.columns:
        return gt, hyp
    care = (1.0 - gt["occluded"].fillna(0.0).astype(float)) >= min_visible
    if care.all():
        return gt, hyp
    drop = []
    h_by = dict(list(hyp.groupby(frame_key)))
    for key, g in gt.groupby(frame_key):
        h = h_by.get(key)
        if h is None or h.empty or care.loc[g.index].all():
            continue
        m = iou_matrix(g[["x1", "y1", "x2", "y2"]].to_numpy(float),
                 h[["x1", "y1", "x2", "y2"]].to_numpy(float))
        rows, cols = linear_sum_assignment(-m)
        for i, j in zip(rows, cols):
            if m[i, j] >= iou and not care.loc[g.index[i]]:
                drop.append(h.index[j])
    return gt[care], hyp.drop(index=drop)


def mot_metrics(gt: pd.DataFrame, hyp: pd.DataFrame, iou: float = 0.5) -> dict[str, float]:
    """HOTA, DetA, AssA, MOTA, IDF1, ID switches, ... of one camera's tracks (columns
    :data:`TRACK_COLUMNS`; ``frame`` is any sortable frame key, e.g. the frame time)."""
    from trackers.eval.clear import compute_clear_metrics
    from trackers.eval.hota import compute_hota_metrics
    from trackers.eval.identity import compute_identity_metrics

    g, h, s = _sequence(gt, hyp, ["frame"])
    hota = compute_hota_metrics(g, h, s)
    clear = compute_clear_metrics(g, h, s, threshold=iou)
    ident = compute_identity_metrics(g, h, s, threshold=iou)
    return {"HOTA": float(hota["HOTA"]), "DetA": float(hota["DetA"]),
            "AssA": float(hota["AssA"]), "MOTA": float(clear["MOTA"]),
            "IDF1": float(ident["IDF1"]), "IDP": float(ident["IDP"]), "IDR": float(ident["IDR"]),
            "ID_switches": int(clear["IDSW"]), "gt_ids": int(gt["id"].nunique()),
            "tracker_ids": int(hyp["id"].nunique()), "gt_boxes": len(gt), "tracker_boxes": len(hyp)}


def cross_camera_idf1(gt: pd.DataFrame, hyp: pd.DataFrame, iou: float = 0.5) -> dict[str, float]:
    """IDF1 over every camera at once (columns ``camera`` plus :data:`TRACK_COLUMNS`; ``id``
    global: the traveler in ``gt``, the journey in ``hyp``)."""
    from trackers.eval.identity import compute_identity_metrics

    g, h, s = _sequence(gt, hyp, ["camera", "frame"])
    ident = compute_identity_metrics(g, h, s, threshold=iou)
    return {"IDF1": float(ident["IDF1"]), "IDP": float(ident["IDP"]), "IDR": float(ident["IDR"]),
            "gt_ids": int(gt["id"].nunique()), "journeys": int(hyp["id"].nunique())}
