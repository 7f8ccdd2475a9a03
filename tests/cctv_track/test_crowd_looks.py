"""Clothes at association between standing neighbours (``LibraryTracker(looks_veto=...)``,
:mod:`pipeline.cctv.crowd_looks`): where a box is contested by two tracks (or a track by two
boxes), a pair whose clothes differ is refused, so a neighbour's head found where the missed
person's track predicts does not take over that track. Fails on 02fc8fa: LibraryTracker has no
looks_veto (ByteTrack associates on overlap alone and hands the box to the wrong track)."""

import numpy as np
import pytest

from pipeline.cctv.crowd_looks import CrowdLooks, CrowdLooksConfig
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker
from test_cctv_tracking import _NoFaces

FPS = 5.0
HEAD = 40.0


def _hist(k: int) -> np.ndarray:
    h = np.zeros((12, 4), np.float32)
    h[k, 2] = 1.0
    return h


RED, BLUE = _hist(0), _hist(6)


def _tracker(**kw) -> LibraryTracker:
    """The stream's tracker without the side-on width, its clothes off unless ``kw`` asks."""
    opts = {**CCTV_TRACKER_OPTIONS, "side_width": 0.0, "looks_veto": 0.0, "looks_still_m_s": 0.0,
            **kw}
    return LibraryTracker("bytetrack", FPS, **opts)


def _frame(tr: LibraryTracker, k: int, xs: list[float], looks: list) -> dict[float, int]:
    """Heads at ``xs`` (one row, standing) with their clothes: head x -> the track id on it."""
    heads = np.array([[x, 300.0, x + HEAD, 300.0 + HEAD] for x in xs]).reshape(-1, 4)
    bodies = np.column_stack([heads[:, 0] - HEAD / 2, heads[:, 1] - HEAD / 2,
                              heads[:, 2] + HEAD / 2, heads[:, 1] + 7 * HEAD])
    more = {"looks": looks} if tr.wants_looks else {}
    out = tr.update(k / FPS, bodies, np.full(len(xs), 0.9, np.float32), heads=heads, **more)
    return {xs[t.detection]: t.track_id for t in out}


def _neighbour_on_missed_place(tr: LibraryTracker) -> tuple[dict, dict]:
    """Two people standing side by side (red at x 200, blue at 240) for 2 s; then red's head is
    missed and blue's is found leaning towards red's place (x 212): who takes it."""
    for k in range(10):
        before = _frame(tr, k, [200.0, 240.0], [RED, BLUE])
    return before, _frame(tr, 10, [212.0], [BLUE])


def test_plain_bytetrack_hands_the_neighbour_the_missed_track():
    before, after = _neighbour_on_missed_place(_tracker())
    assert after[212.0] == before[200.0]  # the swap this module prevents


def test_veto_keeps_the_box_on_its_own_track():
    before, after = _neighbour_on_missed_place(_tracker(looks_veto=0.5))
    assert after[212.0] == before[240.0]


def test_the_stream_s_tracker_asks_standing_neighbours_their_clothes():
    shipped = {k: CCTV_TRACKER_OPTIONS[k] for k in ("looks_veto", "looks_still_m_s")}
    assert shipped["looks_veto"] > 0
    before, after = _neighbour_on_missed_place(_tracker(**shipped))
    assert after[212.0] == before[240.0]


def test_uncontested_pair_keeps_the_overlap():
    tr = _tracker(looks_veto=0.9)
    ids = [_frame(tr, k, [200.0], [RED if k < 5 else BLUE]) for k in range(10)]
    assert len({i[200.0] for i in ids[1:]}) == 1  # alone in view: clothes are not asked


def test_compute_vetoes_only_contested_pairs_with_known_clothes():
    class Plain:
        def compute(self, a, b):
            return np.array([[0.6, 0.3], [0.2, 0.0]])

    class Track:
        def __init__(self, tid, box):
            self.tracker_id, self._box = tid, np.asarray(box, np.float64)

        def get_state_bbox(self):
            return self._box

    t1, t2 = Track(0, [0, 0, 10, 10]), Track(1, [20, 0, 30, 10])
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], np.float32)
    looks = CrowdLooks(Plain(), CrowdLooksConfig(veto=0.5))
    looks.frame([t1, t2], boxes, [BLUE, None])
    looks.taken([(0, 0)], [0, 1])  # track 0 wore blue
    looks.frame([t1, t2], boxes, [RED, RED])
    sim = looks.compute(np.vstack([t1._box, t2._box]), boxes)
    assert sim[0, 0] == 0.0 and sim[0, 1] == 0.0  # track 0 contested, red is not blue
    assert sim[1, 0] == pytest.approx(0.2)  # track 1 has no clothes yet: overlap kept


@pytest.mark.parametrize("speed, vetoed", [(0.0, True), (0.3, False), (None, False)])
def test_clothes_are_asked_only_of_standing_tracks(speed, vetoed):
    class Plain:
        def compute(self, a, b):
            return np.array([[0.6, 0.3]])

    class Track:
        tracker_id = 0

        def get_state_bbox(self):
            return np.array([0.0, 0, 10, 10])

    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], np.float32)
    looks = CrowdLooks(Plain(), CrowdLooksConfig(veto=0.5, still_m_s=0.05), lambda tid: speed)
    looks.frame([Track()], boxes, [BLUE, BLUE])
    looks.taken([(0, 0)], [0])
    looks.frame([Track()], boxes, [RED, RED])
    sim = looks.compute(np.array([[0.0, 0, 10, 10]]), boxes)
    assert (sim[0, 0] == 0.0) == vetoed


def test_a_walker_s_neighbour_keeps_the_plain_association():
    # as the swap above, both walking 8 px a frame: with still_m_s only standing tracks are
    # asked their clothes, so the library's overlap decides as before
    tr = _tracker(looks_veto=0.5, looks_still_m_s=0.05)
    for k in range(10):
        before = _frame(tr, k, [200.0 + 8 * k, 240.0 + 8 * k], [RED, BLUE])
    after = _frame(tr, 10, [292.0], [BLUE])
    plain = _tracker()
    for k in range(10):
        _frame(plain, k, [200.0 + 8 * k, 240.0 + 8 * k], [RED, BLUE])
    assert after[292.0] == _frame(plain, 10, [292.0], [BLUE])[292.0]
    assert set(before.values()) >= {after[292.0]}


def test_standing_neighbours_still_vetoed_with_still_m_s():
    before, after = _neighbour_on_missed_place(_tracker(looks_veto=0.5, looks_still_m_s=0.05))
    assert after[212.0] == before[240.0]


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="veto"):
        CrowdLooksConfig(veto=1.5)
    with pytest.raises(ValueError, match="still_m_s"):
        CrowdLooksConfig(still_m_s=-1)
    with pytest.raises(ValueError, match="speed"):
        CrowdLooks(None, CrowdLooksConfig(veto=0.5, still_m_s=0.05))
    with pytest.raises(ValueError, match="ByteTrack only"):
        LibraryTracker("ocsort", FPS, looks_veto=0.5)
    tr = _tracker(looks_veto=0.5)
    with pytest.raises(ValueError, match="2 histograms for 1 boxes"):
        _frame(tr, 0, [200.0], [RED, BLUE])


class _TwoHeads:
    """A head detector stand-in: two people standing side by side."""

    name = "heads"
    person_box_options = {"head_share": 0.2, "drop_fragments": False}
    HEADS = np.array([[100.0, 100, 140, 140], [300, 100, 340, 140]])

    def detect(self, image):
        from pipeline.vision.detections import Blob, Detections
        from pipeline.vision.heads import body_boxes_from_heads

        self.last_heads = self.HEADS
        return Detections(tuple(Blob(tuple(b), 1.0, 0.9)
                                for b in body_boxes_from_heads(self.last_heads, (640, 640))))


def test_the_stream_hands_the_tracker_every_box_s_clothes():
    import pandas as pd

    from pipeline.cctv.appearance import clothing_histogram
    from pipeline.cctv.galleries import build_gallery
    from pipeline.cctv.stream import CctvStream, StreamConfig

    g = build_gallery(pd.DataFrame({"template_id": ["t0"], "traveler_id": [0], "consent": [True],
                                    "watchlist": [False]}),
                      np.eye(1, 8, dtype=np.float32), "manifest")
    tracker = _tracker(looks_veto=0.5, frame_size=(640, 640))
    seen = []
    update = tracker.update
    tracker.update = lambda *a, **kw: seen.append(kw.get("looks")) or update(*a, **kw)
    s = CctvStream("cam", (640, 640), _NoFaces(), _NoFaces(), g, StreamConfig(fps=5.0),
                   tracker=tracker, person_detector=_TwoHeads())
    image = np.zeros((640, 640, 3), np.uint8)
    image[:, :320] = (0, 0, 200)
    image[:, 320:] = (200, 0, 0)
    for k in range(3):
        s.process(image, k * 0.2)
    from pipeline.vision.heads import body_boxes_from_heads

    assert len(seen) == 3 and all(len(x) == 2 for x in seen)
    bodies = body_boxes_from_heads(_TwoHeads.HEADS, (640, 640))
    want = [clothing_histogram(image, b) for b in bodies]
    assert all(np.allclose(a, b) for a, b in zip(seen[-1], want))
