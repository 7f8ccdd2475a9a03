"""The CCTV sections' tables (dashboard.measures_cctv) on small hand-built run tables: reach per
gallery policy with mass enrolment marked, reach by group, per-group rates, a traveler's
reconstructed journey beside ground truth (a wrongly linked track shows as not theirs), and
per-camera capacity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import figures_cctv, measures_cctv as m


def _reach(shares: dict[tuple[str, str], tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"by": by, "group": g, "travelers": n, "identified": k,
                          "share_identified": k / n, "to_first_id_p50_s": 3.0,
                          "to_first_id_p95_s": 9.0} for (by, g), (n, k) in shares.items()])


FALSE = pd.DataFrame([{"identifications": 5, "correct": 4, "false_identifications": 1,
                       "run_hours": 0.5, "camera_hours": 2.5, "false_ids_per_hour": 2.0,
                       "false_ids_per_camera_hour": 0.4}])


def test_reach_per_policy_marks_mass_enrolment_and_splits_consent():
    wl = {"cctv": {"policy": "watchlist", "gallery_size": 3}, "mass_enrolment_policy": False}
    mf = {"cctv": {"policy": "manifest", "gallery_size": 40}, "mass_enrolment_policy": True}
    reach_wl = _reach({("all", "all"): (10, 1), ("consent", "True"): (8, 1),
                       ("consent", "False"): (2, 0)})
    reach_mf = _reach({("all", "all"): (10, 6), ("consent", "True"): (8, 6),
                       ("consent", "False"): (2, 0)})
    t = m.reach_by_policy([("wl", wl, reach_wl, FALSE.iloc[:0]), ("mf", mf, reach_mf, FALSE)])
    assert t["gallery policy"].tolist() == ["watchlist", "manifest (MASS ENROLMENT)"]
    assert t["identified (share)"].tolist() == [0.1, 0.6]
    assert t["consenting"].tolist() == [0.125, 0.75] and t["not consenting"].tolist() == [0, 0]
    assert t["false identifications"].tolist() == [0, 1]
    assert math.isnan(t["false ids per hour"][0]) and t["false ids per hour"][1] == 2.0
    assert m.mass_enrolment({"cctv": {"policy": "population"}})
    assert not m.mass_enrolment(wl) and m.is_cctv_run(wl) and not m.is_cctv_run({"headline": {}})
    g = m.reach_by_group([("mf", mf, reach_mf)], "consent")
    assert g[["group", "identified", "share_identified"]].values.tolist() == \
        [["True", 6, 0.75], ["False", 0, 0.0]]
    figures_cctv.reach_bars(g, "consent")  # builds


def test_group_rates_and_their_ratio():
    ident = pd.DataFrame([
        {"by": "all", "n_mated": 10, "n_nonmated": 4, "rank1": 0.8},
        {"by": "skin_tone", "skin_tone": "I-II", "n_mated": 5, "n_nonmated": 2, "rank1": 0.9,
         "fnir_at_fpir_1e-2": 0.1, "fnir_at_fpir_1e-3": 0.2},
        {"by": "skin_tone", "skin_tone": "V-VI", "n_mated": 5, "n_nonmated": 2, "rank1": 0.6,
         "fnir_at_fpir_1e-2": 0.4, "fnir_at_fpir_1e-3": 0.5}])
    rates = m.group_rates(ident)
    assert rates["group"].tolist() == ["I-II", "V-VI"] and rates["rank-1"].tolist() == [0.9, 0.6]
    assert m.max_min_ratio(rates["rank-1"]) == pytest.approx(1.5)


def _box(x, t, cam, ident):
    return {"camera": cam, "frame": t, "id": ident, "x1": x, "y1": 100.0, "x2": x + 50,
            "y2": 300.0}


def test_journey_beside_truth_shows_a_wrong_link_and_the_claim():
    # Traveler 7 walks past cam_a (t 0-0.2) then cam_b (t 5-5.1); traveler 8 is on cam_b later.
    truth = pd.DataFrame(
        [{**_box(100 + 10 * k, 0.1 * k, "cam_a", 7), "face_x1": 1.0} for k in range(3)]
        + [{**_box(400, 5 + 0.1 * k, "cam_b", 7), "face_x1": np.nan} for k in range(2)]
        + [{**_box(900, 9 + 0.1 * k, "cam_b", 8), "face_x1": 1.0} for k in range(2)])
    tracks = pd.DataFrame(
        [_box(102 + 10 * k, 0.1 * k, "cam_a", 1) for k in range(3)]
        + [_box(401, 5 + 0.1 * k, "cam_b", 4) for k in range(2)]
        + [_box(899, 9 + 0.1 * k, "cam_b", 5) for k in range(2)])
    journeys = pd.DataFrame({"journey_id": [1, 1, 2], "camera": ["cam_a", "cam_b", "cam_b"],
                             "track_id": [1, 5, 4], "t_in": [0.0, 9.0, 5.0],
                             "t_out": [0.2, 9.1, 5.1], "identity": ["e000007", None, None],
                             "score": [0.97, np.nan, np.nan]})
    gallery = pd.DataFrame({"template_id": ["e000007", "e000008"], "traveler_id": [7, 8]})
    gt, rec = m.journey_vs_truth(7, truth, tracks, journeys, gallery)
    assert gt[["camera", "t_in", "t_out", "frames", "face_seen"]].values.tolist() == \
        [["cam_a", 0.0, 0.2, 3, True], ["cam_b", 5.0, 5.1, 2, False]]
    # Journey 1 took in traveler 8's track on cam_b: shown, flagged as not this traveler.
    assert rec[["journey_id", "camera", "track_id", "is_traveler"]].values.tolist() == \
        [[1, "cam_a", 1, True], [1, "cam_b", 5, False], [2, "cam_b", 4, True]]
    assert rec["claimed_traveler"].tolist()[0] == 7 and rec["claim_correct"].tolist()[0]
    figures_cctv.journey_timeline(gt, rec, 7)  # builds
    searches = pd.DataFrame({"traveler_id": [7], "matched": [True], "claimed_traveler": [7]})
    cov = m.travelers_by_coverage(truth, searches)
    assert cov["traveler_id"].tolist() == [7, 8] and cov["identified"].tolist() == [True, False]


def test_a_track_follows_a_traveler_by_its_own_rows_not_by_filled_ones():
    # Track 3's own boxes are elsewhere; only rows filled into its gap after the run lie on
    # traveler 7: the cameras never saw track 3 follow 7.
    truth = pd.DataFrame([_box(100, 0.1 * k, "cam_a", 7) for k in range(4)])
    own = [{**_box(600, 0.1 * k, "cam_a", 3), "filled": False} for k in (0, 3)]
    filled = [{**_box(100, 0.1 * k, "cam_a", 3), "filled": True} for k in (1, 2)]
    tracks = pd.DataFrame(own + filled)
    assert m.tracks_of(7, truth, tracks).empty
    tracks["filled"] = False  # the same boxes as the tracker's own: they follow 7
    assert m.tracks_of(7, truth, tracks)["track_id"].tolist() == [3]


def test_camera_capacity_from_frame_times():
    frames = pd.DataFrame({"camera": ["a"] * 4 + ["b"] * 2,
                           "seconds": [0.05, 0.05, 0.05, 0.05, 0.2, 0.2]})
    realtime = pd.DataFrame({"camera": ["a", "b"], "fps": [10.0, 5.0]})
    cap = m.camera_capacity(frames, realtime).set_index("camera")
    assert cap.loc["a", "frames/s processed"] == pytest.approx(20.0)
    assert cap.loc["a", "cameras per thread"] == pytest.approx(2.0)
    assert cap.loc["b", "real-time factor"] == pytest.approx(1.0)
    assert cap.loc["all", "frames"] == 6 and cap.loc["all", "frame p50 (ms)"] == pytest.approx(50)
    assert m.stage_latencies(frames) is None
    staged = frames.assign(detect_s=0.03, embed_s=0.01)
    st = m.stage_latencies(staged)
    assert st["stage"].tolist() == ["detect", "embed"] and st["p50_ms"].tolist() == \
        pytest.approx([30.0, 10.0])
    figures_cctv.camera_latency_bars(m.camera_capacity(frames, realtime))
    assert cap.loc["a", "capacity from"] == "wall time"
    # a run that recorded CPU time per frame is sized by it, not by wall time
    on_cpu = m.camera_capacity(frames.assign(cpu_s=[0.025] * 4 + [0.1] * 2),
                               realtime).set_index("camera")
    assert on_cpu.loc["a", "frames/s processed"] == pytest.approx(40.0)
    assert on_cpu.loc["b", "real-time factor"] == pytest.approx(0.5)
    assert on_cpu.loc["a", "capacity from"] == "CPU time"
    assert on_cpu.loc["a", "frame p50 (ms)"] == pytest.approx(50)  # latency stays wall time
