"""The CCTV threshold that follows the gallery's size N: the rule, the setting that turns it
on, the stream applying it at its own gallery's size, and the size sweep of the evaluation."""

import math

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_reach import gallery_size_sweep
from pipeline.cctv.aggregate import TrackFace
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.operating import (CCTV_SIZE_GROWTH, CCTV_THRESHOLDS, FOLLOW_GALLERY_SIZE,
                                     SizedThreshold, cctv_decision, cctv_operating_point,
                                     threshold_at)
from pipeline.cctv.quality import FaceQuality
from pipeline.cctv.stream import CctvStream, StreamConfig

EMB = "arcface:w600k_mbf_int8"


def test_the_threshold_rises_with_ln_n_from_where_it_was_chosen():
    rule = SizedThreshold(0.7, 234, 0.02)
    assert rule.at(234) == pytest.approx(0.7)
    assert rule.at(468) == pytest.approx(0.7 + 0.02 * math.log(2))
    assert rule.at(117) < 0.7 < rule.at(100_000)
    assert threshold_at(rule, 468) == rule.at(468) and threshold_at(0.65, 10**6) == 0.65
    floored = SizedThreshold(0.7, 234, 0.02, min_size=60)  # not extrapolated below 60
    assert floored.at(5) == floored.at(60) == pytest.approx(0.7 - 0.02 * math.log(234 / 60))
    with pytest.raises(ValueError, match="rise >= 0"):
        SizedThreshold(0.7, 234, -0.01)
    with pytest.raises(ValueError, match="min_size <= size"):
        SizedThreshold(0.7, 0, 0.01)


def test_the_setting_turns_the_sized_rule_on_and_off_and_the_source_says_so():
    fixed = cctv_operating_point(EMB, follow_size=False)
    assert fixed.rule == CCTV_THRESHOLDS[EMB][0] and fixed.sized is None
    sized = cctv_operating_point(EMB, follow_size=True)
    size, rise, smallest, _ = CCTV_SIZE_GROWTH[EMB]
    assert sized.sized == SizedThreshold(CCTV_THRESHOLDS[EMB][0], size, rise, smallest)
    assert sized.rule.at(size) == pytest.approx(fixed.rule) and rise > 0
    assert "following the gallery's size" in sized.source
    default = cctv_operating_point(EMB)
    assert (default.sized is not None) == FOLLOW_GALLERY_SIZE



def test_a_cctv_search_decides_at_a_given_then_the_cctv_then_the_marked_gate_threshold():
    # one rule for the run tools and the service's CCTV route: a user's --threshold wins, then
    # the recogniser's CCTV operating point, then its gate calibration, marked as not CCTV
    class Gate:
        threshold, source = 0.968, "dlib calibration at FMR 1e-3"

    given = cctv_decision(EMB, 0.61, lambda: Gate)
    assert given.rule == 0.61 and given.source == "given (--threshold)"
    chosen = cctv_decision(EMB, None, lambda: Gate)
    assert chosen == cctv_operating_point(EMB) and chosen.source.startswith("CCTV operating")
    gate = cctv_decision("dlib_resnet_v1", None, lambda: Gate)
    assert gate.rule == 0.968 and gate.source == "gate calibration, not CCTV: " + Gate.source
    with pytest.raises(ValueError, match="no CCTV threshold was chosen for 'dlib_resnet_v1'"):
        cctv_decision("dlib_resnet_v1")

def _gallery(n):
    enr = pd.DataFrame({"template_id": [f"t{i}" for i in range(n)], "traveler_id": range(n),
                        "consent": True, "watchlist": False})
    g = np.eye(n, 8, dtype=np.float32)
    g[0] = [0.66, 0.75, 0, 0, 0, 0, 0, 0]  # cosine 0.66 with the probe (axis 0)
    return build_gallery(enr, g / np.linalg.norm(g, axis=1, keepdims=True), "manifest")


class _Nothing:
    name, dim = "none", 8

    def detect(self, image):
        return []


def _claims(threshold, n):
    s = CctvStream("cam", (64, 64), _Nothing(), _Nothing(), _gallery(n),
                   StreamConfig(threshold=threshold))
    live = s._open(1, 0.0)
    live.faces.add(TrackFace(0.0, FaceQuality(40.0, 0.0, 0.0, 200.0, 0.9),
                             np.eye(1, 8, dtype=np.float32)[0]))
    return s.threshold, s._search(live, 0.1).matched


def test_the_stream_applies_the_rule_at_its_own_gallery_s_size():
    rule = SizedThreshold(0.60, 2, 0.10)
    assert _claims(0.60, 6) == (0.60, True)  # fixed: 0.66 is claimed at any size
    t2, claimed2 = _claims(rule, 2)
    t6, claimed6 = _claims(rule, 6)
    assert t2 == pytest.approx(0.60) and claimed2
    assert t6 == pytest.approx(0.60 + 0.10 * math.log(3)) and not claimed6  # 0.71 > 0.66


def test_the_size_sweep_sets_the_threshold_for_each_swept_size():
    # non-mated search: its best extra reaches 0.75 at every size; a fixed 0.7 lets it through
    # at 12 and 102 identities, the rule (0.7 at N=2, +0.02 ln N) only at 12 (0.736)
    s = pd.DataFrame({"traveler_id": [9], "listed_ids": [["e2", "e1"]],
                      "listed_scores": [[0.3, 0.1]], "extra_max": [[-np.inf, 0.75, 0.75]]})
    mates = {1: "e1", 2: "e2"}
    fixed = gallery_size_sweep(s, [0, 10, 100], 2, mates, 0.7).set_index("n_extra")
    rule = SizedThreshold(0.7, 2, 0.02)
    sized = gallery_size_sweep(s, [0, 10, 100], 2, mates, rule).set_index("n_extra")
    assert list(fixed["false_identifications"]) == [0, 1, 1]
    assert list(sized["false_identifications"]) == [0, 1, 0]
    assert sized.loc[100, "threshold"] == pytest.approx(rule.at(102))


def test_a_run_says_which_threshold_it_used_and_for_which_n():
    from dataclasses import asdict

    from experiments.cctv_evaluate import run_threshold
    from experiments.cctv_identify import BackendParts, _threshold_source

    rule = SizedThreshold(0.698, 234, 0.0145)
    sized = BackendParts("insightface", None, None, rule, "CCTV operating point: x")
    assert _threshold_source(sized, 470).startswith(f"{rule.at(470):.3f} for this gallery's "
                                                    f"N=470: CCTV operating point")
    fixed = BackendParts("dlib", None, None, 0.6, "gate calibration")
    assert _threshold_source(fixed, 470).endswith("fixed, whatever the gallery's size (here "
                                                  "N=470)")
    # the evaluation rebuilds the rule from the run's metadata (the size sweep applies it)
    assert run_threshold({"threshold": rule.at(470), "threshold_rule": asdict(rule)}) == rule
    assert run_threshold({"threshold": 0.6, "threshold_rule": None}) == 0.6
    assert run_threshold({"threshold": 0.6}) == 0.6  # runs written before the rule
