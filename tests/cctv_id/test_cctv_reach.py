"""Surveillance reach, false identifications, latency, real-time factor and the gallery-size
sweep reproduce hand-computed values on hand-built tables; the size sweep's store answers as
the gallery does."""

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_evaluate import policy_banner
from experiments.cctv_identify import SizeSweepStore, face_like_templates
from experiments.cctv_reach import (false_identifications, gallery_size_sweep,
                                    identification_latency, realtime, surveillance_reach)
from pipeline.matching import NumpyGallery


def _truth():
    # travelers 1, 2, 3 seen; 1 from t=10 (cam a, face from 11), 2 from t=20, 3 from t=30
    rows = [("a", 10.0, 1, np.nan), ("a", 11.0, 1, 5.0), ("b", 40.0, 1, 5.0),
            ("a", 20.0, 2, 5.0), ("a", 30.0, 3, 5.0)]
    return pd.DataFrame(rows, columns=["camera", "frame", "id", "face_x1"])


def _searches():
    # 1: correct at t=13 (cam a) and 45 (cam b); 2: wrongly named as 3 at 22; 3: unmatched;
    # a track of nobody (-1) named as 1 at 50.
    return pd.DataFrame({
        "camera": ["a", "b", "a", "a", "b"], "t": [13.0, 45.0, 22.0, 31.0, 50.0],
        "traveler_id": [1, 1, 2, 3, -1], "claimed_traveler": [1, 1, 3, 3, 1],
        "matched": [True, True, True, False, True]})


def _travelers():
    return pd.DataFrame({"traveler_id": [1, 2, 3, 4], "consent": [True, True, False, True],
                         "skin_tone": ["I-II", "V-VI", "V-VI", "I-II"]})


def test_reach_counts_only_correct_identifications_of_travelers_seen():
    r = surveillance_reach(_searches(), _truth(), _travelers()).set_index(["by", "group"])
    all_ = r.loc[("all", "all")]
    assert (all_["travelers"], all_["identified"]) == (3, 1)  # 4 never seen; 2 named wrongly
    assert all_["to_first_id_p50_s"] == pytest.approx(3.0)  # arrival 10 -> first id 13
    assert r.loc[("skin_tone", "V-VI"), "share_identified"] == 0.0
    assert r.loc[("skin_tone", "I-II"), "share_identified"] == 1.0
    assert r.loc[("consent", "True"), "travelers"] == 2


def test_false_identifications_per_hour_and_camera_hour():
    cams = pd.DataFrame({"camera": ["a", "b"], "frames": [18000, 18000], "fps": [10.0, 10.0]})
    f = false_identifications(_searches(), cams, span_s=1800.0)
    assert (f["identifications"], f["correct"], f["false_identifications"]) == (4, 2, 2)
    assert f["false_ids_per_hour"] == pytest.approx(4.0)  # 2 in half an hour
    assert f["false_ids_per_camera_hour"] == pytest.approx(2.0)  # 2 in 1 camera-hour


def test_latency_runs_from_the_first_face_on_that_camera():
    lat = identification_latency(_searches(), _truth()).set_index("camera")
    assert lat.loc["a", "latency_p50_s"] == pytest.approx(2.0)  # face at 11, identified at 13
    assert lat.loc["b", "latency_p50_s"] == pytest.approx(5.0)
    assert lat.loc["all", "identified"] == 2


def test_realtime_factor():
    frames = pd.DataFrame({"camera": ["a"] * 10 + ["b"] * 10,
                           "seconds": [0.05] * 10 + [0.2] * 10})
    cams = pd.DataFrame({"camera": ["a", "b"], "fps": [10.0, 10.0]})
    r = realtime(frames, cams).set_index("camera")
    assert r.loc["a", "realtime_factor"] == pytest.approx(0.5) and r.loc["a", "keeps_up"]
    assert r.loc["b", "realtime_factor"] == pytest.approx(2.0) and not r.loc["b", "keeps_up"]
    assert r.loc["b", "frames_per_s"] == pytest.approx(5.0)


def test_gallery_size_sweep_counts_false_identifications_growing_with_n():
    # mated search of traveler 1 (mate e1 at 0.8); an extra reaches 0.85 only in the 2nd size.
    # non-mated search (traveler 9): listed top 0.3; extras reach 0.5 then 0.75.
    s = pd.DataFrame({"traveler_id": [1, 9], "listed_ids": [["e1", "e2"], ["e2", "e1"]],
                      "listed_scores": [[0.8, 0.2], [0.3, 0.1]],
                      "extra_max": [[-np.inf, 0.6, 0.85], [-np.inf, 0.5, 0.75]]})
    t = gallery_size_sweep(s, [0, 10, 100], 2, {1: "e1", 2: "e2"}, threshold=0.7) \
        .set_index("n_extra")
    assert list(t["gallery_size"]) == [2, 12, 102]
    assert list(t["false_identifications"]) == [0, 0, 2]
    assert t.loc[0, "rank1"] == 1.0 and t.loc[100, "rank1"] == 0.0
    assert t.loc[100, "fpir_at_threshold"] == 1.0 and t.loc[10, "fpir_at_threshold"] == 0.0


def test_size_sweep_store_answers_as_the_gallery_and_records_prefix_maxima():
    rng = np.random.default_rng(3)
    real = face_like_templates(8, rng.standard_normal((5, 16)).astype(np.float32), rng)
    assert np.allclose(np.linalg.norm(real, axis=1), 1.0, atol=1e-5)
    extras = face_like_templates(300, real, rng)
    g = NumpyGallery(16)
    g.add([f"l{i}" for i in range(8)], real)
    g.add([f"x{i}" for i in range(300)], extras)
    sweep = SizeSweepStore(g, 8, (0, 10, 100, 1000), k=3)
    assert sweep.sizes == (0, 10, 100, 300)  # sizes beyond the extras become "all of them"
    probe = real[2] + 0.1 * rng.standard_normal(16).astype(np.float32)
    assert [c.template_id for c in sweep.search(probe, k=4)] == \
        [c.template_id for c in g.search(probe, k=4)]
    rec = sweep.records[0]
    scores = g.score_matrix(probe[None])[0]
    assert rec["listed_ids"][0] == "l2"
    assert rec["extra_max"][0] == -np.inf
    assert rec["extra_max"][2] == pytest.approx(scores[8:108].max())
    assert rec["extra_max"][3] == pytest.approx(scores[8:].max())


def test_the_report_marks_mass_enrolment_policies():
    for policy, marked in (("watchlist", False), ("manifest", True), ("population", True)):
        meta = {"policy": policy, "marked": marked, "gallery_size": 100_050, "extra": 100_000}
        banner = policy_banner(meta)
        assert ("MASS-ENROLMENT POLICY" in banner) == marked
        assert f"`{policy}`" in banner


def test_realtime_factor_counts_cpu_time_not_wall_time():
    # a: waits on a busy machine (wall 0.2 s) but spends 0.05 s of CPU per frame: keeps up;
    # b: onnxruntime's threads spend 0.15 s of CPU in 0.08 s of wall time: does not
    frames = pd.DataFrame({"camera": ["a"] * 10 + ["b"] * 10,
                           "seconds": [0.2] * 10 + [0.08] * 10,
                           "cpu_s": [0.05] * 10 + [0.15] * 10})
    cams = pd.DataFrame({"camera": ["a", "b"], "fps": [10.0, 10.0]})
    r = realtime(frames, cams).set_index("camera")
    assert r.loc["a", "realtime_factor"] == pytest.approx(0.5) and r.loc["a", "keeps_up"]
    assert r.loc["a", "wall_realtime_factor"] == pytest.approx(2.0)
    assert r.loc["b", "realtime_factor"] == pytest.approx(1.5) and not r.loc["b", "keeps_up"]
