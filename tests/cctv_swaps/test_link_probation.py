"""Links on probation (pipeline.cctv.aggregate): a track continued by a fragment (re-link, swap
guard) is split again when the first large face after the link is another person's."""

import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.persons import PersonTrack
from pipeline.cctv.quality import FaceQuality


def _vector(who):
    v = np.zeros(8, np.float32)
    v[who], v[7] = 1.0, 0.1
    return v / np.linalg.norm(v)


def _face(t, who, ipd):
    return TrackFace(t, FaceQuality(ipd, 0.0, 0.0, 150.0, 1.0), _vector(who))


def test_the_first_large_face_after_a_link_is_checked_against_the_faces_before():
    tf = TrackFaces(1)
    for k in range(3):
        tf.add(_face(0.2 * k, 0, 30))
    tf.mark_link(1.0)
    assert not tf.contradicts_link(_face(0.8, 1, 30))  # before the link
    assert not tf.contradicts_link(_face(1.2, 1, 16))  # too small to judge: still on probation
    assert tf.link_t == 1.0
    assert tf.contradicts_link(_face(1.4, 1, 30))
    assert tf.link_t is None and not tf.contradicts_link(_face(1.6, 1, 30))  # checked once


def test_a_link_to_the_same_person_or_without_earlier_faces_stands():
    tf = TrackFaces(1)
    tf.add(_face(0.0, 0, 30))
    tf.mark_link(1.0)
    assert not tf.contradicts_link(_face(1.2, 0, 30))
    bare = TrackFaces(2)
    bare.mark_link(1.0)  # a faceless track: nothing to compare
    assert bare.link_t is None and not bare.contradicts_link(_face(1.2, 1, 30))
    off = TrackFaces(3, AggregationConfig(link_min_cosine=None))
    off.add(_face(0.0, 0, 30))
    off.mark_link(1.0)
    assert not off.contradicts_link(_face(1.2, 1, 30))


class _Scene:
    """Detector, embedder and tracker in one: frame k shows person ``who[k]`` (None: nobody)
    in the middle of the frame at 30 px IPD; the tracker calls them track ``ids[k]``."""

    name, dim = "fake", 8

    def __init__(self, who, ids):
        self.who, self.ids, self.k = who, ids, -1

    def prepare(self):
        pass

    def reset(self):
        pass

    def detect(self, image):
        from pipeline.types import Detection

        self.k += 1
        if self.who[self.k] is None:
            return []
        ipd, cx, cy = 30.0, 320.0, 150.0
        lm = np.array([[cx - ipd / 2, cy], [cx + ipd / 2, cy], [cx, cy + 0.55 * ipd],
                       [cx - 0.4 * ipd, cy + ipd], [cx + 0.4 * ipd, cy + ipd]], np.float32)
        return [Detection((cx - 0.9 * ipd, cy - 0.9 * ipd, cx + 0.9 * ipd, cy + 1.6 * ipd), 0.99,
                          lm)]

    def embed(self, image, dets):
        from pipeline.types import Embedding

        return [Embedding(_vector(self.who[self.k]), self.name) for _ in dets]

    def update(self, t, boxes, scores, heads=None):
        return [PersonTrack(self.ids[self.k], tuple(map(float, b)), i)
                for i, b in enumerate(boxes)]


@pytest.mark.parametrize("probation", [0.45, None])
def test_a_relinked_fragment_showing_another_face_becomes_its_own_track(probation):
    import cv2

    from pipeline.cctv.stream import SPLIT_ID_BASE, CctvStream, StreamConfig

    g = build_gallery(pd.DataFrame({"template_id": ["t0", "t1"], "traveler_id": [0, 1],
                                    "consent": True, "watchlist": False}),
                      np.eye(2, 8, dtype=np.float32), "manifest")
    who = [0] * 5 + [None] * 2 + [1] * 5
    scene = _Scene(who, [1] * 7 + [2] * 5)  # the tracker lost track 1; track 2 is new
    cfg = StreamConfig(fps=5.0, threshold=0.5, swaps=None,
                       aggregation=AggregationConfig(embed_interval_s=0.0,
                                                     link_min_cosine=probation))
    s = CctvStream("cam", (640, 640), scene, scene, g, cfg, tracker=scene)
    rng = np.random.default_rng(0)
    image = cv2.resize(rng.integers(0, 255, (160, 160, 3), np.uint8), (640, 640))
    results = [s.process(image, 0.2 * k) for k in range(len(who))]
    assert s.relinker.relinked == 1  # same place, same clothes: the re-linker joins them
    ids = [r.tracks[0][0] for r in results if r.tracks]
    claims = {x.track_id: x.candidates[0].template_id for r in results for x in r.searches}
    if probation is None:  # the old stream: person 1's faces join person 0's track
        assert set(ids) == {1} and claims == {1: "t0"}
        return
    assert ids[:5] == [1] * 5 and set(ids[5:]) == {SPLIT_ID_BASE}
    assert claims == {1: "t0", SPLIT_ID_BASE: "t1"}
