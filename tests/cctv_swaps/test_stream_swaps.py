"""The CCTV stream ends a track where the clothes under its box change (pipeline.cctv.swaps):
the faces after the change go to another track, so each track's search is one person's."""

import numpy as np
import pandas as pd
import pytest

from pipeline.cctv.aggregate import AggregationConfig
from pipeline.cctv.galleries import build_gallery


def _vector(who):
    v = np.zeros(8, np.float32)
    v[who], v[7] = 1.0, 0.1
    return v / np.linalg.norm(v)


class _Faces:
    """One face in the middle of the frame; frame k shows person ``who[k]`` at 20 px IPD."""

    name, dim = "fake", 8

    def __init__(self, who):
        self.who, self.k = who, -1

    def prepare(self):
        pass

    def detect(self, image):
        from pipeline.types import Detection

        self.k += 1
        ipd, cx, cy = 20.0, 320.0, 200.0
        lm = np.array([[cx - ipd / 2, cy], [cx + ipd / 2, cy], [cx, cy + 0.55 * ipd],
                       [cx - 0.4 * ipd, cy + ipd], [cx + 0.4 * ipd, cy + ipd]], np.float32)
        return [Detection((cx - 0.9 * ipd, cy - 0.9 * ipd, cx + 0.9 * ipd, cy + 1.6 * ipd), 0.99,
                          lm)]

    def embed(self, image, dets):
        from pipeline.types import Embedding

        return [Embedding(_vector(self.who[self.k]), self.name) for _ in dets]


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
    faces = _Faces(who)
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
