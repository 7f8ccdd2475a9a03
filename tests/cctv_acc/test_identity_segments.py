"""Identity segments: a track that moves onto another person ends there, so the search of its
later faces answers for the person they show (pipeline.cctv.aggregate, pipeline.cctv.stream)."""

from dataclasses import replace

import cv2
import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.quality import FaceQuality
from pipeline.cctv.stream import SPLIT_ID_BASE, CctvStream, StreamConfig
from pipeline.types import Detection, Embedding


def _q(ipd):
    return FaceQuality(ipd, 0.0, 0.0, 150.0, 1.0)


def _unit(i, dim=8):
    v = np.zeros(dim, np.float32)
    v[i] = 1
    return v


def test_a_face_of_another_person_disagrees_and_a_small_one_is_not_judged():
    cfg = AggregationConfig(segment_min_cosine=0.5, segment_min_ipd_px=20)
    tf = TrackFaces(1, cfg)
    assert not tf.disagrees(TrackFace(0.0, _q(30), _unit(0)))  # nothing to compare with
    tf.add(TrackFace(0.0, _q(30), _unit(0)))
    same = _unit(0) + 0.3 * _unit(1)
    assert not tf.disagrees(TrackFace(0.5, _q(30), same / np.linalg.norm(same)))
    assert tf.disagrees(TrackFace(0.5, _q(30), _unit(1)))
    assert np.isnan(tf.agreement(TrackFace(0.5, _q(12), _unit(1))))
    assert not tf.disagrees(TrackFace(0.5, _q(12), _unit(1)))
    off = TrackFaces(1, AggregationConfig(segment_min_cosine=None))
    off.add(TrackFace(0.0, _q(30), _unit(0)))
    assert not off.disagrees(TrackFace(0.5, _q(30), _unit(1)))


def test_identity_segments_are_off_by_default():
    cfg = AggregationConfig()
    assert cfg.segment_min_cosine is None and cfg.verify_interval_s is None


def test_a_track_checks_its_identity_with_faces_it_would_not_keep():
    def searched(cfg):
        tf = TrackFaces(1, cfg)
        tf.add(TrackFace(0.0, _q(60), _unit(0)))
        tf.mark_searched()
        return tf

    cfg = AggregationConfig(k=1, max_searches=1, verify_interval_s=1.0)
    tf = searched(cfg)
    assert not tf.wants_face(_q(30), 0.5)  # worse, searches spent, checked recently
    assert tf.wants_face(_q(30), 1.2)  # time for an identity check
    assert not searched(replace(cfg, verify_interval_s=None)).wants_face(_q(30), 1.2)


class _OneFace:
    """One face in the middle of the frame every frame; the embedder answers identity 0 for the
    first ``switch`` frames, then identity 1 (the track has moved onto another person)."""

    name, dim = "fake", 8

    def __init__(self, switch=8):
        self.k, self.switch = 0, switch

    def prepare(self):
        pass

    def detect(self, image):
        self.k += 1
        ipd, cx, cy = 40.0, 320.0, 200.0
        lm = np.array([[cx - 20, cy], [cx + 20, cy], [cx, cy + 22], [cx - 16, cy + 40],
                       [cx + 16, cy + 40]], np.float32)
        return [Detection((cx - 0.9 * ipd, cy - 0.9 * ipd, cx + 0.9 * ipd, cy + 1.6 * ipd), 0.99,
                          lm)]

    def embed(self, image, dets):
        who = 0 if self.k <= self.switch else 1
        v = _unit(who) + 0.1 * _unit(5)
        return [Embedding(v / np.linalg.norm(v), self.name) for _ in dets]


def _stream(segment):
    enr = pd.DataFrame({"template_id": [f"t{i}" for i in range(4)], "traveler_id": range(4),
                        "consent": True, "watchlist": False})
    g = build_gallery(enr, np.eye(4, 8, dtype=np.float32), "manifest")
    agg = AggregationConfig(segment_min_cosine=segment, verify_interval_s=1.0)
    cfg = StreamConfig(fps=5.0, threshold=0.5, aggregation=agg)
    face = _OneFace()
    return CctvStream("cam", (640, 640), face, face, g, cfg)


@pytest.mark.parametrize("segment", [None, 0.5])
def test_a_track_that_moves_onto_another_person_searches_for_the_new_one(segment):
    rng = np.random.default_rng(0)
    image = cv2.resize(rng.integers(0, 255, (160, 160, 3), np.uint8), (640, 640))  # sharp
    s = _stream(segment)
    ids, found = [], set()
    for k in range(20):
        r = s.process(image, k * 0.2)
        ids.append({tid for tid, _ in r.tracks})
        found |= {x.candidates[0].template_id for x in r.searches if x.matched}
    if segment is None:  # the old behaviour: one track, its faces of person 1 never searched
        assert found == {"t0"} and len(set().union(*ids)) == 1
        return
    assert found == {"t0", "t1"}
    assert s.splits == 1 and ids[-1] == {SPLIT_ID_BASE}
    summaries = s.finish()
    assert [x.identity for x in summaries] == ["t0", "t1"]
    assert summaries[0].t_out <= summaries[1].t_in
