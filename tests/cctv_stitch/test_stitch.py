"""A finished run's track fragments stitched offline within one camera
(:mod:`pipeline.cctv.stitch`): one global assignment on time gap, place, scale, clothes and face
claims; the stitched id beside the tracker's own; the evaluation scores own / filled / stitched
side by side and a stitch of two people costs what it costs. Fails on f8d78be: there is no
pipeline.cctv.stitch, no ``stitched_id`` and no ``cctv_tracking_stitched`` table."""

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_evaluate import filled_side_by_side
from experiments.cctv_run import evaluate
from pipeline.cctv.stitch import (StitchConfig, stitch, stitch_links, stitched_summaries,
                                  summary_looks)
from pipeline.cctv.stream import TrackSummary

STEP = 0.2
RED, BLUE = np.zeros((12, 4), np.float32), np.zeros((12, 4), np.float32)
RED[0, 3], BLUE[8, 3] = 1.0, 1.0


def _walk(tid, t0, t1, x0, speed=10.0, y=100.0, w=40.0, camera="a"):
    """A track walking right at ``speed`` px/s from ``x0`` at ``t0`` to ``t1``."""
    t = np.round(np.arange(t0, t1 + 1e-9, STEP), 6)
    x = x0 + speed * (t - t0)
    return pd.DataFrame({"camera": camera, "frame": t, "id": tid, "x1": x, "y1": y,
                         "x2": x + w, "y2": y + 3.5 * w})


def test_a_walker_lost_for_longer_than_the_online_window_is_stitched():
    # hidden 8 s (the online re-linker keeps 4 s); both fragments red
    tracks = pd.concat([_walk(1, 0.0, 4.0, 100.0), _walk(5, 12.0, 16.0, 220.0)])
    out = stitch(tracks, StitchConfig(), looks={("a", 1): RED, ("a", 5): RED})
    assert out["id"].tolist() == tracks["id"].tolist()  # the tracker's own id stays
    assert set(out["stitched_id"]) == {1}
    links = stitch_links(tracks, StitchConfig(), {1: RED, 5: RED})
    assert links[["id", "next"]].values.tolist() == [[1, 5]]
    assert links["gap_s"].iloc[0] == pytest.approx(8.0)


@pytest.mark.parametrize("later, looks, claims, why", [
    (_walk(5, 3.0, 6.0, 140.0), None, None, "overlaps in time"),
    (_walk(5, 12.0, 16.0, 220.0), {1: RED, 5: BLUE}, None, "other clothes"),
    (_walk(5, 12.0, 16.0, 220.0), None, {1: "t1", 5: "t2"}, "two face claims"),
    (_walk(5, 12.0, 16.0, 900.0), None, None, "too far"),
    (_walk(5, 12.0, 16.0, 220.0, w=80.0), None, None, "twice as wide"),
    (_walk(5, 50.0, 54.0, 220.0), None, None, "gap over max_gap_s"),
])
def test_never_joined(later, looks, claims, why):
    tracks = pd.concat([_walk(1, 0.0, 4.0, 100.0), later])
    assert stitch_links(tracks, StitchConfig(), looks, claims).empty, why


def test_the_assignment_is_global_not_greedy():
    """End 1 fits start 7 best and start 8 too; end 2 fits only start 7. A greedy join of the
    best pair (1-7) leaves 2 alone; the assignment joins 1-8 and 2-7."""
    cfg = StitchConfig(gate=0.5, per_s=0.0, max_gap_s=10.0)
    tracks = pd.concat([_walk(1, 0.0, 2.0, 100.0, speed=0.0),
                        _walk(2, 0.0, 2.0, 160.0, speed=0.0),
                        _walk(7, 6.0, 8.0, 125.0, speed=0.0),
                        _walk(8, 6.0, 8.0, 80.0, speed=0.0)])
    links = stitch_links(tracks, cfg)
    assert sorted(links[["id", "next"]].values.tolist()) == [[1, 8], [2, 7]]


def test_fragments_chain_and_cameras_are_stitched_apart():
    tracks = pd.concat([_walk(1, 0.0, 2.0, 100.0), _walk(2, 6.0, 8.0, 160.0),
                        _walk(3, 12.0, 14.0, 220.0), _walk(4, 6.0, 8.0, 160.0, camera="b")])
    out = stitch(tracks)
    a = out[out["camera"] == "a"]
    assert set(a["stitched_id"]) == {1}
    assert set(out.loc[out["camera"] == "b", "stitched_id"]) == {4}


def test_bad_settings_and_tables_are_named():
    with pytest.raises(ValueError, match="max_gap_s"):
        StitchConfig(max_gap_s=-1.0)
    with pytest.raises(ValueError, match="max_scale"):
        StitchConfig(max_scale=0.5)
    with pytest.raises(ValueError, match="min_appearance"):
        StitchConfig(min_appearance=1.5)
    with pytest.raises(ValueError, match="x2"):
        stitch_links(_walk(1, 0.0, 1.0, 0.0).drop(columns="x2"))
    with pytest.raises(ValueError, match="camera"):
        stitch(_walk(1, 0.0, 1.0, 0.0).drop(columns="camera"))


def test_stitched_summaries_span_their_fragments_and_keep_the_best_claim():
    s = [TrackSummary("a", 1, 0.0, 4.0, None, float("nan"), False, RED, 20),
         TrackSummary("a", 5, 12.0, 16.0, "t7", 0.6, True, BLUE, 20),
         TrackSummary("a", 9, 20.0, 22.0, "t8", 0.5, False, RED, 10)]
    tracks = pd.concat([_walk(1, 0.0, 4.0, 100.0), _walk(5, 12.0, 16.0, 220.0),
                        _walk(9, 20.0, 22.0, 900.0)])
    tracks = tracks.assign(stitched_id=tracks["id"].replace({5: 1}))
    out = stitched_summaries(s, tracks)
    assert [(m.track_id, m.t_in, m.t_out, m.identity, m.watchlist, m.frames) for m in out] == [
        (1, 0.0, 16.0, "t7", True, 40), (9, 20.0, 22.0, "t8", False, 10)]
    assert out[0].histogram.sum() == pytest.approx(1.0) and out[0].histogram[0, 3] == 0.5
    looks, claims = summary_looks(s)
    assert claims == {("a", 5): "t7", ("a", 9): "t8"} and looks[("a", 1)][0, 3] == 1.0


class _Gallery:
    policy, size = "watchlist", 1
    traveler_of = {"t7": 7}


def _tables(tracks: pd.DataFrame, truth: pd.DataFrame) -> dict:
    searches = pd.DataFrame({"camera": ["a"], "track_id": [1], "t": [0.2], "first_face_t": [0.2],
                             "search": [1], "matched": [True], "watchlist": [True],
                             "best_ipd_px": [30.0], "candidate_ids": [["t7"]],
                             "candidate_scores": [[0.8]], "top_score": [0.8]})
    ids = sorted(tracks["id"].unique())
    journeys = pd.DataFrame({"camera": "a", "track_id": ids, "journey_id": range(len(ids))})
    st = sorted(tracks["stitched_id"].unique())
    return {"cctv_tracks": tracks, "cctv_truth": truth, "cctv_searches": searches,
            "journeys": journeys,
            "journeys_stitched": pd.DataFrame({"camera": "a", "track_id": st,
                                               "journey_id": range(len(st))})}


def _truth(person, t0, t1, x0):
    w = _walk(person, t0, t1, x0)
    return w.assign(face_x1=np.nan, ipd_px=np.nan, occluded=0.0)


def test_evaluate_scores_own_filled_and_stitched_side_by_side():
    truth = _truth(7, 0.0, 16.0, 100.0)
    rows = pd.concat([_walk(1, 0.0, 4.0, 100.0), _walk(5, 12.0, 16.0, 220.0)])
    tracks = stitch(rows.assign(filled=False), looks={("a", 1): RED, ("a", 5): RED})
    out = evaluate(_tables(tracks, truth), _Gallery())
    own, st = out["cctv_tracking"].iloc[0], out["cctv_tracking_stitched"].iloc[0]
    assert st["joins"] == 1 and st["IDF1"] > own["IDF1"]
    assert out["cctv_cross_camera_stitched"]["IDF1"].iloc[0] > \
        out["cctv_cross_camera"]["IDF1"].iloc[0]
    side = filled_side_by_side(out)
    assert side["camera"].tolist() == ["a", "cross-camera"]
    assert side["IDF1 stitched"].iloc[0] > side["IDF1"].iloc[0] and side["joins"].iloc[1] == 1


def test_a_stitch_of_two_people_costs_what_it_costs():
    """Person 7 walks away at 4 s, person 8 appears at 12 s where 7 would be: the stitch joins
    them, and the stitched IDF1 drops below the tracker's own."""
    truth = pd.concat([_truth(7, 0.0, 4.0, 100.0), _truth(8, 12.0, 24.0, 220.0)])
    rows = pd.concat([_walk(1, 0.0, 4.0, 100.0), _walk(5, 12.0, 24.0, 220.0)])
    tracks = stitch(rows)
    assert set(tracks["stitched_id"]) == {1}
    out = evaluate(_tables(tracks, truth), _Gallery())
    assert out["cctv_tracking_stitched"]["IDF1"].iloc[0] < out["cctv_tracking"]["IDF1"].iloc[0]
    # a run without stitching has no stitched tables and an unchanged side-by-side table
    plain = evaluate(_tables(rows.assign(stitched_id=rows["id"]), truth), _Gallery())
    assert plain["cctv_tracking_stitched"]["joins"].iloc[0] == 0
    no = evaluate({k: v for k, v in _tables(rows.assign(stitched_id=rows["id"]), truth).items()
                   if k != "journeys_stitched"} | {"cctv_tracks": rows}, _Gallery())
    assert "cctv_tracking_stitched" not in no and "IDF1 stitched" not in filled_side_by_side(no)
