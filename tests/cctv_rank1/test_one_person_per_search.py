"""One person per search: a track whose faces show two people searches with the faces of the
larger group only (pipeline.cctv.aggregate.TrackFaces.search_faces)."""

import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.quality import FaceQuality


def _face(t, who, ipd, noise=0.0):
    v = np.zeros(8, np.float32)
    v[who] = 1.0
    v[7] = noise
    return TrackFace(t, FaceQuality(ipd, 0.0, 0.0, 150.0, 1.0), v / np.linalg.norm(v))


def _mixed(cfg):
    """Three small faces of person 0, then two large ones of person 1 (the tracker moved the
    track onto them): by quality the best five are weighted towards person 1."""
    tf = TrackFaces(1, cfg)
    for k, f in enumerate([_face(0.0, 0, 18, 0.2), _face(0.4, 0, 19, 0.1), _face(0.8, 0, 20),
                           _face(1.2, 1, 50, 0.1), _face(1.6, 1, 56)]):
        tf.add(f)
    return tf


def _claim(tf):
    g = build_gallery(pd.DataFrame({"template_id": ["t0", "t1"], "traveler_id": [0, 1],
                                    "consent": True, "watchlist": False}),
                      np.eye(2, 8, dtype=np.float32), "manifest")
    return g.store.search(tf.template(), k=1)[0].template_id


@pytest.mark.parametrize("rule", [None, 0.4])
def test_a_mixed_track_searches_with_its_larger_group_of_one_person(rule):
    tf = _mixed(AggregationConfig(consistent_min_cosine=rule))
    if rule is None:  # the old behaviour: the mean of both people answers for the newcomer
        assert _claim(tf) == "t1" and len(tf.search_faces()) == 5
        return
    assert _claim(tf) == "t0"
    assert [f.t for f in tf.search_faces()] == [0.8, 0.4, 0.0]  # person 0's faces, best first


def test_a_track_of_one_person_searches_with_its_best_k_as_before():
    cfg = AggregationConfig(k=3)
    tf, old = TrackFaces(1, cfg), TrackFaces(1, AggregationConfig(k=3, consistent_min_cosine=None))
    for k in range(7):
        f = _face(0.4 * k, 0, 20 + 5 * (k % 4), 0.1 * k)
        tf.add(f)
        old.add(f)
    assert [f.t for f in tf.search_faces()] == [f.t for f in old.best]
    np.testing.assert_allclose(tf.template(), old.template(), atol=1e-6)


def test_the_kept_faces_are_bounded_and_forgotten_with_the_track():
    tf = TrackFaces(1, AggregationConfig(k=2, max_kept=3))
    for k in range(6):
        tf.add(_face(0.4 * k, 0, 20 + k))
    assert sorted(f.quality.ipd_px for f in tf.kept) == [23, 24, 25]
    tf.forget()
    assert not tf.kept and not tf.best
    with pytest.raises(ValueError, match="max_kept"):
        AggregationConfig(k=5, max_kept=4)


@pytest.mark.parametrize("rule", [None, 0.45])
def test_the_stream_reports_the_faces_a_search_used(rule, one_face_source):
    import cv2

    from pipeline.cctv.stream import CctvStream, StreamConfig

    g = build_gallery(pd.DataFrame({"template_id": ["t0", "t1"], "traveler_id": [0, 1],
                                    "consent": True, "watchlist": False}),
                      np.eye(2, 8, dtype=np.float32), "manifest")
    faces = one_face_source(who=[0, 0, 0, 0, 1, 1], ipd=[20, 20, 20, 20, 50, 50])
    cfg = StreamConfig(fps=5.0, threshold=0.5, relink=None,
                       aggregation=AggregationConfig(embed_interval_s=0.0,
                                                     consistent_min_cosine=rule))
    s = CctvStream("cam", (640, 640), faces, faces, g, cfg)
    rng = np.random.default_rng(0)
    image = cv2.resize(rng.integers(0, 255, (160, 160, 3), np.uint8), (640, 640))  # sharp
    searches = [x for k in range(6) for x in s.process(image, 0.2 * k).searches]
    assert len(searches) == 2  # the first face, then the 50 px face (research gain)
    second = searches[1]
    if rule is None:  # the old rule: the newcomer's face joins the search of person 0's track
        assert second.faces == 4 and second.best_ipd_px == pytest.approx(50, abs=1)
        return
    assert second.faces == 3 and second.best_ipd_px == pytest.approx(20, abs=1)
    assert second.candidates[0].template_id == "t0"
