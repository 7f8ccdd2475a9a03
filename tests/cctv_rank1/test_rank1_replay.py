"""experiments.cctv_rank1_trace: a run's searches replayed from recorded templates through the
stream's own TrackFaces (the same searches, the same faces), and other probes scored on them."""

import numpy as np
import pandas as pd

from experiments.cctv_rank1_trace import (RULES, Recorded, at_ipd, failure_class, replay,
                                          rules_table, scored)
from pipeline.cctv.aggregate import AggregationConfig
from pipeline.cctv.quality import FaceQuality


def _unit(*xy):
    v = np.zeros(8, np.float32)
    for k, w in xy:
        v[k] = w
    return v / np.linalg.norm(v)


def _recorded():
    """Track 1 of traveler 0: faces at 15, 25 and 45 px IPD (values 0.25, 0.42, 0.75: three
    searches at research gain 1.4); its 45 px face looks more like traveler 1 than like 0."""
    faces = pd.DataFrame({"camera": "corridor_far", "track_id": 1, "frame": [0.0, 1.0, 2.0],
                          "ipd_px": [15.0, 25.0, 45.0], "person": 0})
    vectors = np.stack([_unit((0, 1.0)), _unit((0, 1.0), (2, 0.2)), _unit((0, 0.6), (1, 0.8))])
    quality = [FaceQuality(ipd, 0.0, 0.0, 200.0, 0.9) for ipd in (15.0, 25.0, 45.0)]
    searches = pd.DataFrame({"camera": "corridor_far", "track_id": 1, "search": [1, 2, 3],
                             "t": [0.0, 1.0, 2.0], "mated": True, "traveler_id": 0,
                             "best_ipd_px": [15.0, 25.0, 45.0], "mate_rank": 1,
                             "ipd_band": ["<20", "20-40", "40-60"],
                             "candidate_ids": [["e0"]] * 3})
    return Recorded(faces, vectors, quality, ["e0", "e1", "e2"], np.array([0, 1, 2]),
                    np.stack([_unit((0, 1.0)), _unit((1, 1.0)), _unit((2, 1.0))]), searches,
                    AggregationConfig())


def test_the_replay_searches_when_the_stream_does_with_the_same_faces():
    r = replay(_recorded())
    assert r["search"].tolist() == [1, 2, 3] and r["t"].tolist() == [0.0, 1.0, 2.0]
    assert [sorted(u) for u in r["used"]] == [[0], [0, 1], [0, 1, 2]]
    assert int(np.argmax(r["scores"].iloc[2])) == 0  # the weighted mean still finds traveler 0


def test_other_probes_are_scored_on_the_same_searches():
    d = _recorded()
    assert scored(d)["replay_rank"].tolist() == [1, 1, 1]
    assert scored(d, RULES["best"])["replay_rank"].tolist() == [1, 1, 2]  # the 45 px face alone
    t = rules_table([d], {"stream": None, "best": RULES["best"]}).set_index("rule")
    assert t.loc["stream", "40-60"] == "1/1" and t.loc["best", "40-60"] == "0/1"
    assert t.loc["best", "all"] == "2/3"


def test_a_track_is_probed_once_when_its_first_40_px_face_joins():
    d = _recorded()
    a = at_ipd(d, 40.0)
    assert a[["track_id", "t", "ipd", "traveler_id", "rank"]].values.tolist() == [[1, 2.0, 45.0,
                                                                                   0, 1]]
    assert at_ipd(d, 50.0).empty  # no face that large


def test_a_failed_search_is_classed_by_the_faces_it_used():
    assert failure_class(7, [8, 8, 7], 8, 0.2) == "track"
    assert failure_class(7, [7, 7, 8], 9, 0.2) == "mixed"
    assert failure_class(7, [7, 7], 9, 0.6) == "look-alike"
    assert failure_class(7, [7, 7], 9, 0.3) == "recognition"
