"""Recognition accuracy as NIST FRTE reports it, as pure functions over record tables.

Verification (1:1), over a table with one row per comparison and columns ``genuine`` (bool:
same identity), ``decision`` ('pass' | 'reject' | 'fta'):

- FTA: share of attempts where no usable face was acquired.
- FNMR: share of genuine attempts not accepted. A failure to acquire counts as a non-match,
  as in FRTE 1:1 (a template that cannot be made gets the lowest score); ``fnmr_acquired``
  leaves those out.
- FMR: share of impostor attempts accepted (an impostor FTA is never a false match).

Identification (1:N), one row per search with ``mated`` (bool: the probe's identity is in the
gallery), ``mate_rank`` (1-based rank of the mate among returned candidates, NaN if absent),
``mate_score`` and ``top_score`` (NaN when nothing was returned):

- FNIR(T, R): share of mated searches whose mate is not returned at rank <= R with score >= T.
- FPIR(T): share of non-mated searches that return any candidate with score >= T.
- rank-1: share of mated searches whose mate is at rank 1, whatever its score.

Score distributions (genuine vs impostor): d', EER, TAR at a given FAR.
Each metric can be broken down by demographic group, with the max/min ratio across groups
(FRTE's demographic summaries).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

DEMOGRAPHICS = ("skin_tone", "age_band", "sex_presentation")


def _rate(mask: pd.Series | np.ndarray) -> float:
    mask = np.asarray(mask, bool)
    return float(mask.mean()) if mask.size else math.nan


def verification_metrics(df: pd.DataFrame) -> dict[str, float]:
    for col in ("genuine", "decision"):
        if col not in df:
            raise KeyError(f"verification table needs a {col!r} column; has {list(df.columns)}")
    gen = df[df["genuine"].astype(bool)]
    imp = df[~df["genuine"].astype(bool)]
    gen_acq = gen[gen["decision"] != "fta"]
    return {
        "n": int(len(df)), "n_genuine": int(len(gen)), "n_impostor": int(len(imp)),
        "fta": _rate(df["decision"] == "fta"),
        "fnmr": _rate(gen["decision"] != "pass"),
        "fnmr_acquired": _rate(gen_acq["decision"] != "pass"),
        "fmr": _rate(imp["decision"] == "pass"),
    }


def identification_metrics(df: pd.DataFrame, threshold: float, rank: int = 1) -> dict[str, float]:
    for col in ("mated", "mate_rank", "mate_score", "top_score"):
        if col not in df:
            raise KeyError(f"search table needs a {col!r} column; has {list(df.columns)}")
    mated = df[df["mated"].astype(bool)]
    non = df[~df["mated"].astype(bool)]
    hit = (mated["mate_rank"] <= rank) & (mated["mate_score"] >= threshold)
    return {
        "n_mated": int(len(mated)), "n_nonmated": int(len(non)),
        "fnir": _rate(~hit.fillna(False)),
        "fpir": _rate((non["top_score"] >= threshold).fillna(False)),
        "rank1": _rate((mated["mate_rank"] == 1).fillna(False)),
    }


def max_min_ratio(values: pd.Series) -> float:
    """max/min across groups; inf when the smallest is 0 and the largest is not, NaN if all 0."""
    v = values.dropna()
    if v.empty:
        return math.nan
    hi, lo = float(v.max()), float(v.min())
    if lo == 0:
        return math.nan if hi == 0 else math.inf
    return hi / lo


def per_group(df: pd.DataFrame, metric_fn: Callable[[pd.DataFrame], dict[str, float]],
              groups: tuple[str, ...] = DEMOGRAPHICS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows per attribute value with the metrics, rows per attribute with max/min ratios).

    Attributes not in ``df`` are skipped, so a table without demographics gives empty frames.
    """
    rows = []
    for attr in groups:
        if attr not in df:
            continue
        for value, part in df.groupby(attr, sort=True):
            rows.append({"attribute": attr, "group": value, **metric_fn(part)})
    table = pd.DataFrame(rows)
    if table.empty:
        return table, pd.DataFrame()
    rate_cols = [c for c in table.columns
                 if c not in ("attribute", "group") and not c.startswith("n")]
    ratios = table.groupby("attribute")[rate_cols].agg(max_min_ratio).reset_index()
    return table, ratios


# --- score distributions -------------------------------------------------------------------

def d_prime(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Decidability: |mean_g - mean_i| / sqrt((var_g + var_i) / 2)."""
    g, i = np.asarray(genuine, float), np.asarray(impostor, float)
    spread = math.sqrt((g.var(ddof=1) + i.var(ddof=1)) / 2)
    return abs(g.mean() - i.mean()) / spread if spread > 0 else math.inf


def far_frr(genuine: np.ndarray, impostor: np.ndarray, thresholds: np.ndarray):
    """FAR (impostor >= t) and FRR (genuine < t) at each threshold."""
    g, i = np.sort(np.asarray(genuine, float)), np.sort(np.asarray(impostor, float))
    t = np.asarray(thresholds, float)
    far = 1 - np.searchsorted(i, t, side="left") / len(i)
    frr = np.searchsorted(g, t, side="left") / len(g)
    return far, frr


def eer(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    """(equal error rate, threshold where FAR and FRR cross), over every observed score."""
    t = np.unique(np.concatenate([genuine, impostor]))
    far, frr = far_frr(genuine, impostor, t)
    j = int(np.argmin(np.abs(far - frr)))
    return float((far[j] + frr[j]) / 2), float(t[j])


def threshold_at_fmr(impostor: np.ndarray, fmr: float) -> float:
    """The lowest threshold whose observed FMR (share of impostor scores >= it) is <= ``fmr``.

    Scores are float32 (as the models produce them); the threshold is the next float32 above
    the highest impostor score allowed to fail, so comparisons in float32 or float64 agree.
    """
    s = np.sort(np.asarray(impostor, np.float32))[::-1]
    if not len(s):
        raise ValueError("no impostor scores")
    k = int(math.floor(fmr * len(s)))  # how many impostors may pass
    if k >= len(s):
        return float(s[-1])
    return float(np.nextafter(s[k], np.float32(np.inf)))


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the threshold whose observed FAR is <= ``far``."""
    t = threshold_at_fmr(impostor, far)
    return float((np.asarray(genuine) >= t).mean()), t


def score_summary(genuine: np.ndarray, impostor: np.ndarray, far: float = 1e-3) -> dict:
    g, i = np.asarray(genuine, float), np.asarray(impostor, float)
    e, et = eer(g, i)
    tar, tt = tar_at_far(g, i, far)
    return {"n_genuine": int(len(g)), "n_impostor": int(len(i)),
            "genuine_mean": float(g.mean()), "genuine_sd": float(g.std(ddof=1)),
            "impostor_mean": float(i.mean()), "impostor_sd": float(i.std(ddof=1)),
            "d_prime": d_prime(g, i), "eer": e, "eer_threshold": et,
            "tar_at_far": tar, "far": far, "far_threshold": tt,
            # With N impostor scores an FAR below ~1/N cannot be observed.
            "far_resolvable": bool(len(i) * far >= 1)}
