"""NIST-style metrics on small hand-built tables."""

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.metrics import (d_prime, eer, identification_metrics, max_min_ratio, per_group,
                              score_summary, tar_at_far, threshold_at_fmr, verification_metrics)


def _verif():
    return pd.DataFrame({
        "genuine": [True] * 6 + [False] * 4,
        "decision": ["pass", "pass", "pass", "reject", "fta", "pass",
                     "reject", "pass", "fta", "reject"],
        "skin_tone": ["I-II", "I-II", "V-VI", "V-VI", "V-VI", "I-II",
                      "I-II", "V-VI", "V-VI", "I-II"],
    })


def test_verification_rates():
    m = verification_metrics(_verif())
    assert m["n_genuine"] == 6 and m["n_impostor"] == 4
    assert m["fta"] == pytest.approx(2 / 10)
    assert m["fnmr"] == pytest.approx(2 / 6)  # the reject and the FTA
    assert m["fnmr_acquired"] == pytest.approx(1 / 5)
    assert m["fmr"] == pytest.approx(1 / 4)


def test_per_group_and_ratio():
    table, ratios = per_group(_verif(), verification_metrics)
    light = table[(table.attribute == "skin_tone") & (table.group == "I-II")].iloc[0]
    dark = table[(table.attribute == "skin_tone") & (table.group == "V-VI")].iloc[0]
    assert light.fnmr == 0.0 and dark.fnmr == pytest.approx(2 / 3)
    r = ratios.set_index("attribute").loc["skin_tone"]
    assert math.isinf(r.fnmr)  # 2/3 over 0
    assert dark.fmr == pytest.approx(1 / 2) and light.fmr == 0.0 and math.isinf(r.fmr)
    assert dark.fta == pytest.approx(2 / 5) and light.fta == 0.0
    assert r.fnmr_acquired == pytest.approx(math.inf)
    # ratios of non-zero rates
    t2, r2 = per_group(_verif().assign(decision="pass"), verification_metrics)
    assert r2.set_index("attribute").loc["skin_tone"].fmr == pytest.approx(1.0)
    assert "sex_presentation" not in set(table.attribute)


def test_max_min_ratio_edges():
    assert max_min_ratio(pd.Series([0.02, 0.01, 0.04])) == pytest.approx(4.0)
    assert math.isnan(max_min_ratio(pd.Series([0.0, 0.0])))
    assert math.isinf(max_min_ratio(pd.Series([0.0, 0.1])))


def test_identification_rates():
    df = pd.DataFrame({
        "mated": [True, True, True, True, False, False],
        "mate_rank": [1, 2, np.nan, 1, np.nan, np.nan],
        "mate_score": [0.9, 0.8, np.nan, 0.4, np.nan, np.nan],
        "top_score": [0.9, 0.85, 0.3, 0.4, 0.7, np.nan],
    })
    m = identification_metrics(df, threshold=0.5, rank=1)
    assert m["rank1"] == pytest.approx(2 / 4)
    assert m["fnir"] == pytest.approx(3 / 4)  # rank 2, absent, and rank 1 below threshold
    assert m["fpir"] == pytest.approx(1 / 2)
    assert identification_metrics(df, 0.5, rank=2)["fnir"] == pytest.approx(2 / 4)


def test_threshold_at_fmr_counts_exactly():
    imp = np.arange(1000) / 1000.0  # 0.000 .. 0.999
    t = threshold_at_fmr(imp, 1e-2)
    assert (imp >= t).sum() == 10 and 0.989 < t <= 0.990
    assert (imp >= threshold_at_fmr(imp, 1e-4)).sum() == 0


def test_eer_dprime_tar():
    g = np.array([0.6, 0.7, 0.8, 0.9])
    i = np.array([0.1, 0.2, 0.3, 0.65])
    e, t = eer(g, i)
    assert e == pytest.approx(0.25) and 0.6 <= t <= 0.65
    assert d_prime(g, i) == pytest.approx(abs(g.mean() - i.mean()) / np.sqrt((g.var(ddof=1) + i.var(ddof=1)) / 2))
    tar, thr = tar_at_far(g, i, 0.25)  # one impostor may pass: threshold just above 0.3
    assert tar == 1.0 and 0.3 < thr < 0.31
    s = score_summary(g, i, far=1e-3)
    assert not s["far_resolvable"] and s["tar_at_far"] == pytest.approx(0.75)  # above the top impostor


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="'decision'"):
        verification_metrics(pd.DataFrame({"genuine": [True]}))
