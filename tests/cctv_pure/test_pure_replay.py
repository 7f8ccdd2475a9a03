"""experiments.cctv_pure: a recording replayed with other aggregation settings counts the
wrong-person claims the claim rule withholds (a synthetic recording of one track of two
walkers in line)."""

import numpy as np
import pandas as pd

from experiments.cctv_pure import BEFORE, VARIANTS, census, rates, with_settings
from experiments.cctv_rank1_trace import Recorded
from pipeline.cctv.aggregate import AggregationConfig
from pipeline.cctv.quality import FaceQuality


def _recording() -> Recorded:
    """Track 1 (truth: traveler 0) shows traveler 0's face three times at 20 px, then traveler
    1's (in front of them) six times, growing: its first search names 0, its later ones 1."""
    who = [0, 0, 0, 1, 1, 1, 1, 1, 1]
    ipd = [20, 20, 20, 32, 32, 32, 32, 32, 60]
    rng = np.random.default_rng(1)
    vectors = np.zeros((len(who), 8), np.float32)
    for k, p in enumerate(who):
        vectors[k, p], vectors[k, 4 + k % 4] = 1.0, 0.1 * rng.random()
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    faces = pd.DataFrame({"camera": "cam", "track_id": 1, "frame": 0.4 * np.arange(len(who)),
                          "person": who})
    searches = pd.DataFrame({"camera": ["cam"], "track_id": [1], "t": [0.0], "search": [1],
                             "traveler_id": [0], "mated": [True]})
    return Recorded(faces, vectors, [FaceQuality(v, 0.0, 0.0, 150.0, 1.0) for v in ipd],
                    ["t0", "t1", "t2"], np.array([0, 1, 2]), np.eye(3, 8, dtype=np.float32),
                    searches, AggregationConfig(embed_interval_s=0.0))


def test_the_claim_rule_withholds_the_other_walkers_claim():
    d = _recording()
    before, shipped = rates([d], BEFORE), rates([d], VARIANTS["group55+conflict60"])
    assert before["wrong all"] == 1 and before["blocked all"] == 0
    assert shipped["wrong all"] == 0 and shipped["blocked all"] >= 1
    assert shipped["rank1 all"] == before["rank1 all"]  # a claim rule, not a probe rule
    frames = 0.4 * np.arange(9)
    tracks = pd.DataFrame({"camera": "cam", "frame": frames, "id": 1, "x1": 0.0, "y1": 0.0,
                           "x2": 10.0, "y2": 30.0})
    truth = pd.concat([pd.DataFrame({"camera": "cam", "frame": frames, "id": p, "x1": x,
                                     "y1": 0.0, "x2": x + 10.0, "y2": 30.0, "occluded": occ})
                       for p, x, occ in ((0, 0.0, 1.0), (1, 5.0, 0.0))])
    lines = census(with_settings(d, **BEFORE), "synthetic", tracks, truth)
    claim = next(k for k, x in enumerate(lines) if "claimed as 1" in x)
    assert "switch" in lines[claim] and "earlier searches named 0@" in lines[claim]
    assert lines[claim + 1] == ("  box: IoU 1.00 with the traveler's body, 0.33 with the claimed "
                                "person's; traveler's face occluded 1.00; other tracks on the "
                                "claimed person: none")
