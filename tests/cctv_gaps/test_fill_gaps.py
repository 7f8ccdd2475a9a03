"""A track's short gaps filled after the run (:mod:`pipeline.cctv.gaps`): a person hidden for a
moment between two boxes of one track gets the boxes in between, flagged, and the evaluation
scores the tracker's own rows and the filled ones side by side; the identification reads only
the tracker's own rows. Fails on 0042ea5: there is no pipeline.cctv.gaps, no ``filled`` column
and no ``cctv_tracking_filled`` table."""

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_evaluate import filled_side_by_side
from experiments.cctv_run import evaluate
from pipeline.cctv.gaps import BOX, MAX_GAP_S, fill_gaps

STEP = 0.2  # 5 frames a second


def _frames(camera: str, n: int, start: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"camera": camera, "frame": np.round(start + STEP * np.arange(n), 6)})


def _row(camera, t, tid, x, w=40.0, h=120.0):
    return {"camera": camera, "frame": t, "id": tid, "x1": x, "y1": 100.0, "x2": x + w,
            "y2": 100.0 + h}


def test_a_hidden_stretch_between_two_boxes_of_one_track_is_filled_linearly():
    tracks = pd.DataFrame([_row("a", 0.0, 1, 100.0), _row("a", 1.0, 1, 200.0)])
    out = fill_gaps(tracks, _frames("a", 6), max_gap_s=1.0)
    assert out["frame"].tolist() == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert out["filled"].tolist() == [False, True, True, True, True, False]
    assert out["x1"].tolist() == pytest.approx([100, 120, 140, 160, 180, 200])
    assert (out["x2"] - out["x1"]).tolist() == pytest.approx([40.0] * 6)
    assert (out["id"] == 1).all() and (out["camera"] == "a").all()


def test_a_gap_longer_than_the_max_and_a_max_of_zero_fill_nothing():
    tracks = pd.DataFrame([_row("a", 0.0, 1, 100.0), _row("a", 1.0, 1, 200.0)])
    for gap in (0.8, 0.0):
        out = fill_gaps(tracks, _frames("a", 6), max_gap_s=gap)
        assert len(out) == 2 and not out["filled"].any()


def test_only_the_frames_the_camera_processed_and_never_across_ids_or_cameras():
    frames = pd.concat([_frames("a", 6).drop(index=2), _frames("b", 6)])  # a skipped 0.4
    tracks = pd.DataFrame([_row("a", 0.0, 1, 100.0), _row("a", 1.0, 1, 200.0),
                           _row("a", 0.0, 2, 500.0), _row("a", 1.0, 3, 600.0),  # two ids
                           _row("b", 0.0, 1, 100.0), _row("b", 0.2, 1, 110.0)])  # no gap
    out = fill_gaps(tracks, frames, max_gap_s=2.0)
    new = out[out["filled"]]
    assert set(new["camera"]) == {"a"} and set(new["id"]) == {1}
    assert new["frame"].tolist() == pytest.approx([0.2, 0.6, 0.8])


def test_bad_settings_and_tables_are_named():
    tracks = pd.DataFrame([_row("a", 0.0, 1, 100.0)])
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="max_gap_s"):
            fill_gaps(tracks, _frames("a", 3), bad)
    with pytest.raises(ValueError, match="x2"):
        fill_gaps(tracks.drop(columns=["x2"]), _frames("a", 3), 1.0)
    with pytest.raises(ValueError, match="camera"):
        fill_gaps(tracks, _frames("b", 3), 1.0)


def test_the_shipped_max_gap_fills_a_few_frames():
    assert 0.2 < MAX_GAP_S <= 4.0


class _Gallery:
    policy, size = "watchlist", 1
    traveler_of = {"t7": 7}


def _tables(tracks: pd.DataFrame) -> dict:
    """One camera, one person walking right for 2 s, hidden from 0.4 to 1.4 s: the tracker's
    boxes before and after, one search of the track."""
    times = np.round(STEP * np.arange(11), 6)
    truth = pd.DataFrame({"camera": "a", "frame": times, "id": 7, "x1": 100.0 + 50 * times,
                          "y1": 100.0, "x2": 140.0 + 50 * times, "y2": 220.0,
                          "face_x1": np.nan, "ipd_px": np.nan, "occluded": 0.0})
    searches = pd.DataFrame({"camera": ["a"], "track_id": [1], "t": [0.2], "first_face_t": [0.2],
                             "search": [1], "matched": [True], "watchlist": [True],
                             "best_ipd_px": [30.0], "candidate_ids": [["t7"]],
                             "candidate_scores": [[0.8]], "top_score": [0.8]})
    journeys = pd.DataFrame({"camera": ["a"], "track_id": [1], "journey_id": [0]})
    return {"cctv_tracks": tracks, "cctv_truth": truth, "cctv_searches": searches,
            "journeys": journeys}, truth


def test_evaluate_scores_own_and_filled_rows_side_by_side_and_identifies_on_own_rows():
    _, truth = _tables(None)
    seen = truth[(truth["frame"] < 0.5) | (truth["frame"] > 1.3)]
    own = seen[["camera", "frame"] + BOX].assign(id=1)
    frames = truth[["camera", "frame"]]
    filled = fill_gaps(own, frames, 2.0)
    assert filled["filled"].sum() == 4
    out = {}
    for name, rows in (("own", own), ("filled", filled)):
        tables, _ = _tables(rows)
        out[name] = evaluate(tables, _Gallery())
    a, b = out["own"], out["filled"]
    # the tracker's own rows read the same either way; the filled table gains the hidden frames
    pd.testing.assert_frame_equal(a["cctv_tracking"], b["cctv_tracking"])
    assert a["cctv_tracking_filled"]["IDF1"].iloc[0] == pytest.approx(a["cctv_tracking"]["IDF1"]
                                                                      .iloc[0])
    assert b["cctv_tracking"]["IDF1"].iloc[0] < 0.9 < b["cctv_tracking_filled"]["IDF1"].iloc[0]
    assert b["cctv_tracking_filled"]["filled_rows"].tolist() == [4]
    assert b["cctv_cross_camera_filled"]["IDF1"].iloc[0] > b["cctv_cross_camera"]["IDF1"].iloc[0]
    # identification (the search's traveler) is unchanged by filled rows
    pd.testing.assert_frame_equal(a["cctv_search_truth"], b["cctv_search_truth"])
    side = filled_side_by_side(b)
    assert side["camera"].tolist() == ["a", "cross-camera"]
    assert side["IDF1"].iloc[0] < side["IDF1 filled"].iloc[0]


def test_a_wrong_link_filled_counts_as_false_positives():
    """Two people far apart, one track jumping from the first to the second across a gap (a
    wrong re-link): the filled boxes lie between them on nobody, and the filled score drops."""
    _, truth = _tables(None)
    other = truth.assign(id=8, x1=truth["x1"] + 600, x2=truth["x2"] + 600)
    both = pd.concat([truth, other], ignore_index=True)
    rows = pd.concat([truth[truth["frame"] < 0.5], other[other["frame"] > 1.3]])
    rows = rows[["camera", "frame"] + BOX].assign(id=1)
    filled = fill_gaps(rows, truth[["camera", "frame"]], 2.0)
    tables, _ = _tables(filled)
    tables["cctv_truth"] = both
    out = evaluate(tables, _Gallery())
    own, fil = out["cctv_tracking"].iloc[0], out["cctv_tracking_filled"].iloc[0]
    assert fil["filled_rows"] == 4
    assert fil["IDF1"] < own["IDF1"] and fil["MOTA"] < own["MOTA"]
