"""Claims made again from a run's stored searches at another threshold
(``cctv_link_tune --report --claims-at``): as the stream claims, a track's best-scoring search
that reaches the threshold, within the track's own time span."""

import numpy as np
import pandas as pd

from experiments.cctv_link_tune import claimed_at


def _tables():
    summaries = pd.DataFrame({
        "camera": ["a", "a", "a", "b"], "track_id": [1, 2, 2, 1],
        "t_in": [0.0, 0.0, 20.0, 0.0], "t_out": [10.0, 10.0, 30.0, 10.0],
        "identity": [None] * 4, "score": [np.nan] * 4})
    searches = pd.DataFrame({
        "camera": ["a", "a", "a", "a", "b"], "track_id": [1, 1, 2, 2, 1],
        "t": [1.0, 5.0, 2.0, 25.0, 3.0], "top_score": [0.69, 0.72, 0.60, 0.70, 0.685],
        "candidate_ids": [["e1", "e9"], ["e2", "e9"], ["e3"], ["e4"], ["e5"]]})
    return summaries, searches


def test_a_track_claims_its_best_search_that_reaches_the_threshold():
    s, q = _tables()
    c = claimed_at(s, q, 0.68)
    assert c["identity"].fillna("-").tolist() == ["e2", "-", "e4", "e5"]
    assert c["score"].iloc[0] == 0.72


def test_a_higher_threshold_claims_fewer_and_a_continued_id_keeps_its_own_searches():
    s, q = _tables()
    c = claimed_at(s, q, 0.71)
    assert c["identity"].fillna("-").tolist() == ["e2", "-", "-", "-"]
    assert np.isnan(c["score"].iloc[2])
    # track a/2's search at 25 s belongs to its second span only
    assert claimed_at(s, q, 0.65)["identity"].fillna("-").tolist()[1:3] == ["-", "e4"]
