"""A claim against the track's earlier searches (pipeline.cctv.aggregate, claim_conflict_score):
a track whose first searches named one person and whose later faces are another's (two walkers
in line, the one in front turning up) makes the later search, but claims nobody."""

import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.quality import FaceQuality


def _face(t, who, ipd, noise=0.1):
    v = np.zeros(8, np.float32)
    v[who] = 1.0
    v[7] = noise
    return TrackFace(t, FaceQuality(ipd, 0.0, 0.0, 150.0, 1.0), v / np.linalg.norm(v))


def _gallery():
    return build_gallery(pd.DataFrame({"template_id": ["t0", "t1"], "traveler_id": [0, 1],
                                       "consent": True, "watchlist": False}),
                         np.eye(2, 8, dtype=np.float32), "manifest")


def test_shipped_off_with_the_old_group_after_the_held_out_replay():
    cfg = AggregationConfig()  # both lost held out (101-103, 106): off, and 0.45 as before
    assert cfg.claim_conflict_score is None and cfg.consistent_min_cosine == 0.45
    with pytest.raises(ValueError, match="claim_conflict_score"):
        AggregationConfig(claim_conflict_score=1.5)


def test_a_claim_conflicts_only_with_another_person_named_at_the_score():
    tf = TrackFaces(1, AggregationConfig(claim_conflict_score=0.60))
    assert not tf.claim_conflicts("t1")  # no earlier search
    tf.mark_searched(("t0", 0.59))
    assert not tf.claim_conflicts("t1")  # named below the score: no evidence
    tf.mark_searched(("t0", 0.62))
    assert tf.claim_conflicts("t1") and not tf.claim_conflicts("t0")
    off = TrackFaces(1, AggregationConfig(claim_conflict_score=None))
    off.mark_searched(("t0", 0.9))
    assert not off.claim_conflicts("t1")
    tf.forget()
    assert not tf.named and not tf.claim_conflicts("t1")


def test_the_stricter_group_keeps_two_walkers_at_cosine_half_apart():
    """Two faces at cosine 0.5 (two walkers in line, a look-alike pair): one group at the
    shipped 0.45, two at 0.55; the search uses the larger."""
    a = np.zeros(8, np.float32)
    a[0] = 1.0
    b = np.zeros(8, np.float32)
    b[0], b[1] = 0.5, np.sqrt(0.75)
    faces = [TrackFace(0.4 * k, FaceQuality(20 + k, 0.0, 0.0, 150.0, 1.0), v)
             for k, v in enumerate([a, a, a, b, b])]
    old, new = TrackFaces(1), TrackFaces(1, AggregationConfig(consistent_min_cosine=0.55))
    for f in faces:
        old.add(f)
        new.add(f)
    assert len(old.search_faces()) == 5
    assert [f.t for f in new.search_faces()] == pytest.approx([0.8, 0.4, 0.0])


@pytest.mark.parametrize("rule", [None, 0.60])
def test_the_stream_withholds_a_claim_its_earlier_search_contradicts(rule, one_face_source):
    import cv2

    from pipeline.cctv.stream import CctvStream, StreamConfig

    who, ipd = [0, 0, 0, 1, 1, 1, 1, 1, 1], [20, 20, 20, 32, 32, 32, 32, 32, 60]
    faces = one_face_source(who, ipd)
    cfg = StreamConfig(fps=5.0, threshold=0.5, relink=None, swaps=None,
                       aggregation=AggregationConfig(embed_interval_s=0.0,
                                                     claim_conflict_score=rule))
    s = CctvStream("cam", (640, 640), faces, faces, _gallery(), cfg)
    rng = np.random.default_rng(0)
    image = cv2.resize(rng.integers(0, 255, (160, 160, 3), np.uint8), (640, 640))  # sharp
    searches = [x for k in range(len(who)) for x in s.process(image, 0.2 * k).searches]
    first = searches[0]
    assert first.candidates[0].template_id == "t0" and first.matched
    later = [x for x in searches if x.candidates[0].template_id == "t1"]
    assert later and all(x.candidates[0].score >= 0.5 for x in later)  # the other walker
    assert all(x.matched == (rule is None) for x in later)
    assert s.claim(first.track_id)[0] == "t0"
