"""Identification and tracking metrics reproduce hand-computed values on hand-built tables."""

import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.metrics import (cross_camera_idf1, drop_dont_care, identification_table,
                                   ipd_band, max_min_ratio, mot_metrics, threshold_at_fpir)


def _searches():
    # 4 mated: mate at rank 1 with 0.9, 0.7, 0.5; one mate at rank 2. 10 non-mated top scores.
    mated = pd.DataFrame({"mated": True, "mate_rank": [1, 1, 1, 2],
                          "mate_score": [0.9, 0.7, 0.5, 0.8], "top_score": [0.9, 0.7, 0.5, 0.85],
                          "group": ["a", "a", "b", "b"]})
    non = pd.DataFrame({"mated": False, "mate_rank": 0, "mate_score": np.nan,
                        "top_score": [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65],
                        "group": ["a"] * 5 + ["b"] * 5})
    return pd.concat([mated, non], ignore_index=True)


def test_threshold_at_fpir_allows_the_target_share_of_false_positives():
    s = np.arange(1, 101) / 100  # 100 non-mated top scores 0.01 .. 1.00
    assert threshold_at_fpir(s, 1e-2) == pytest.approx(0.99) and threshold_at_fpir(s, 1e-2) > 0.99
    assert (s >= threshold_at_fpir(s, 0.05)).sum() == 5
    assert threshold_at_fpir([], 1e-2) == np.inf


def test_fnir_at_fpir_and_rank1_by_hand():
    t = identification_table(_searches(), targets=(0.1,))
    row = t.iloc[0]
    # FPIR 0.1 of 10 non-mated -> 1 allowed -> threshold just above 0.6 -> mated hits: 0.9, 0.7
    assert row["threshold_fpir_1e-1"] == pytest.approx(0.6) and row["threshold_fpir_1e-1"] > 0.6
    assert row["fnir_at_fpir_1e-1"] == pytest.approx(0.5)
    assert row["fpir_measured_1e-1"] == pytest.approx(0.1)
    assert row["rank1"] == pytest.approx(0.75)
    by = identification_table(_searches(), by=["group"], targets=(0.1,)).set_index("group")
    assert by.loc["a", "fnir_at_fpir_1e-1"] == 0.0 and by.loc["b", "fnir_at_fpir_1e-1"] == 1.0
    assert by.loc["b", "fpir_measured_1e-1"] == pytest.approx(0.2)  # global threshold
    assert max_min_ratio(by["rank1"]) == pytest.approx(1.0 / 0.5)


def test_ipd_bands_are_nist_style_half_open():
    assert list(ipd_band([5, 20, 39.9, 40, 60, 200]).astype(str)) == \
        ["<20", "20-40", "20-40", "40-60", ">=60", ">=60"]


def _gt():
    return pd.DataFrame({"frame": [0, 1, 2, 3], "id": [7] * 4, "x1": 0.0, "y1": 0.0,
                         "x2": 10.0, "y2": 10.0})


def test_mot_metrics_of_a_perfect_track():
    m = mot_metrics(_gt(), _gt().assign(id=3))
    assert (m["HOTA"], m["MOTA"], m["IDF1"], m["ID_switches"]) == (1.0, 1.0, 1.0, 0)


def test_mot_metrics_of_one_id_switch_halfway():
    m = mot_metrics(_gt(), _gt().assign(id=[1, 1, 2, 2]))
    assert m["ID_switches"] == 1
    assert m["MOTA"] == pytest.approx(0.75)  # (4 TP - 0 FP - 1 IDSW) / 4
    assert m["IDF1"] == pytest.approx(0.5)  # the best single id covers 2 of 4 boxes
    assert m["HOTA"] == pytest.approx(np.sqrt(0.5))  # DetA 1, AssA 0.5


def test_mot_metrics_of_a_missed_half_and_a_false_box():
    hyp = pd.concat([_gt().iloc[:2].assign(id=1),
                     pd.DataFrame({"frame": [0], "id": [9], "x1": 50.0, "y1": 50.0,
                                   "x2": 60.0, "y2": 60.0})])
    m = mot_metrics(_gt(), hyp)
    assert m["MOTA"] == pytest.approx((2 - 1 - 0) / 4)
    assert m["IDF1"] == pytest.approx(2 * 2 / (4 + 3))  # 2 IDTP / (4 gt + 3 tracker boxes)


def test_cross_camera_idf1_rewards_one_journey_across_cameras():
    gt = pd.concat([_gt().assign(camera="a"), _gt().assign(camera="b")])
    one = gt.assign(id=1)
    split = gt.assign(id=np.where(gt["camera"] == "a", 1, 2))
    assert cross_camera_idf1(gt, one)["IDF1"] == 1.0
    assert cross_camera_idf1(gt, split)["IDF1"] == pytest.approx(0.5)


def test_hidden_persons_are_dont_care_neither_missed_nor_false():
    # person 7 in sight and tracked; person 8 hidden (90 % behind others) in every frame
    hidden = _gt().assign(id=8, x1=100.0, x2=110.0, occluded=0.9)
    gt = pd.concat([_gt().assign(occluded=0.1), hidden], ignore_index=True)
    on_hidden = hidden.drop(columns="occluded").assign(id=2).iloc[:2]  # a track on person 8
    elsewhere = pd.DataFrame({"frame": [0], "id": [9], "x1": 50.0, "y1": 50.0, "x2": 60.0,
                              "y2": 60.0})  # a box on nobody
    hyp = pd.concat([_gt().assign(id=1), on_hidden, elsewhere], ignore_index=True)
    everyone = mot_metrics(gt, hyp)
    assert everyone["MOTA"] == pytest.approx((6 - 1) / 8)  # 4 + 2 hits of 8, one false box
    g, h = drop_dont_care(gt, hyp, ["frame"])
    assert set(g["id"]) == {7} and set(h["id"]) == {1, 9}  # the track on person 8 is dropped
    in_sight = mot_metrics(g, h)
    assert in_sight["MOTA"] == pytest.approx((4 - 1) / 4)  # the box on nobody still counts
    assert in_sight["IDF1"] == pytest.approx(2 * 4 / (4 + 5))
    # a track that only overlaps a hidden person a little (IoU < 0.5) is a false positive
    near = on_hidden.assign(x1=105.0, x2=115.0)  # IoU 5/15
    _, h2 = drop_dont_care(gt, pd.concat([_gt().assign(id=1), near], ignore_index=True),
                           ["frame"])
    assert len(h2) == 6
    # no visibility column: everyone counts
    g3, h3 = drop_dont_care(gt.drop(columns="occluded"), hyp, ["frame"])
    assert len(g3) == 8 and len(h3) == len(hyp)
