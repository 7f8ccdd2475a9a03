"""The CCTV stream ends a track where the clothes under its box change (pipeline.cctv.swaps),
and where a re-linked fragment's first large face is another person's (links on probation):
the faces after the change go to another track, so each track's search is one person's."""

import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.persons import PersonTrack
from swap_faces import vector


class _Scene:
    """Detector, embedder and tracker in one: frame k shows person ``who[k]`` (None: nobody)
    in the middle of the frame at ``ipd`` px IPD; as a tracker it calls them track ``ids[k]``."""

    name, dim = "fake", 8

    def __init__(self, who, ids=None, ipd=30.0, cy=150.0):
        self.who, self.ids, self.ipd, self.cy, self.k = who, ids, ipd, cy, -1

    def prepare(self):
        pass

    def reset(self):
        pass

    def detect(self, image):
        from pipeline.types import Detection

        self.k += 1
        if self.who[self.k] is None:
            return []
        ipd, cx, cy = self.ipd, 320.0, self.cy
        lm = np.array([[cx - ipd / 2, cy], [cx + ipd / 2, cy], [cx, cy + 0.55 * ipd],
                       [cx - 0.4 * ipd, cy + ipd], [cx + 0.4 * ipd, cy + ipd]], np.float32)
        return [Detection((cx - 0.9 * ipd, cy - 0.9 * ipd, cx + 0.9 * ipd, cy + 1.6 * ipd), 0.99,
                          lm)]

    def embed(self, image, dets):
        from pipeline.types import Embedding

        return [Embedding(vector(self.who[self.k]), self.name) for _ in dets]

    def update(self, t, boxes, scores, heads=None):
        return [PersonTrack(self.ids[self.k], tuple(map(float, b)), i)
                for i, b in enumerate(boxes)]


def _frames(n_red, n_blue):
    """A sharp textured frame whose torso band under the face is red, then blue (BGR)."""
    import cv2

    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 255, (160, 160, 3), np.uint8), (640, 640))
    out = []
    for colour in [(0, 0, 220)] * n_red + [(220, 60, 0)] * n_blue:
        img = base.copy()
        img[270:640, 250:390] = colour
        out.append(img)
    return out


@pytest.mark.parametrize("guard", [True, False])
def test_a_track_whose_person_changes_searches_each_person_on_its_own_track(guard):
    from pipeline.cctv.stream import CctvStream, StreamConfig

    g = build_gallery(pd.DataFrame({"template_id": ["t0", "t1"], "traveler_id": [0, 1],
                                    "consent": True, "watchlist": False}),
                      np.eye(2, 8, dtype=np.float32), "manifest")
    who = [0] * 12 + [1] * 8
    faces = _Scene(who, ipd=20.0, cy=200.0)
    cfg = StreamConfig(fps=5.0, threshold=0.5, relink=None,
                       aggregation=AggregationConfig(embed_interval_s=0.0, research_gain=10.0),
                       **({} if guard else {"swaps": None}))
    s = CctvStream("cam", (640, 640), faces, faces, g, cfg)
    results = [s.process(img, 0.2 * k) for k, img in enumerate(_frames(12, 8))]
    ids = [r.tracks[0][0] for r in results if r.tracks]
    claims = {x.track_id: x.candidates[0].template_id for r in results for x in r.searches}
    if not guard:  # the old stream: one track, searched once, with person 0's face
        assert len(set(ids)) == 1 and list(claims.values()) == ["t0"]
        return
    assert ids[0] != ids[-1] and ids.index(ids[-1]) >= 12  # a new track after the change
    assert claims[ids[0]] == "t0" and claims[ids[-1]] == "t1"
    assert s.swap_guard.swaps == 1


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
