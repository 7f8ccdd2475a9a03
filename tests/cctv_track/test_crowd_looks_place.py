"""A stander's own place at ByteTrack's first stage (``LibraryTracker(looks_place=...)``,
``CrowdLooksConfig.place``, :mod:`pipeline.cctv.crowd_looks`): a neighbour standing half behind
a stander, in clothes alike, is found at a high score while the stander's own head, at the very
place the track predicts, scores low; the first stage handed the neighbour's head to the
stander's track and the stander came back under a new id (docs/cctv.md "A stander's own
half-hidden head").
Fails on 05b12f9: LibraryTracker has no looks_place (the track takes the neighbour's box), and
the stream's tracker options do not set it."""

import numpy as np

from pipeline.cctv.crowd_looks import CrowdLooks, CrowdLooksConfig
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker
from test_crowd_looks import FPS, RED, _hist
from test_crowd_looks_stages import _frame

PINK = RED + 0.2 * _hist(1)  # clothes alike RED's (over the veto)


def _tracker(**kw) -> LibraryTracker:
    """The stream's tracker (crowd looks on the frame, veto 0.4) without the side-on width and
    with no floor speed (no camera: every still track reads 0)."""
    return LibraryTracker("bytetrack", FPS, **{**CCTV_TRACKER_OPTIONS, "side_width": 0.0, **kw})


def _neighbour_behind_a_stander(tr: LibraryTracker) -> tuple[int, dict]:
    """Red stands at x 200 for 2 s; then a neighbour in clothes alike is found at 220 (high
    score) while red's head, half hidden, scores under ByteTrack's high threshold."""
    for k in range(10):
        red = _frame(tr, k, [200.0], [RED]).get(200.0)
    return red, _frame(tr, 10, [200.0, 220.0], [RED, PINK], [0.3, 0.9])


def test_the_shipped_frame_contest_hands_the_neighbour_the_stander_s_track():
    red, after = _neighbour_behind_a_stander(_tracker(looks_place=0.0))
    assert after[220.0] == red  # clothes alike: the first stage's only box, taken
    assert 200.0 not in after


def test_the_stander_keeps_its_own_low_head():
    red, after = _neighbour_behind_a_stander(_tracker(looks_place=0.2))
    assert after.get(200.0) == red  # refused the neighbour in stage one, took its own head
    assert after.get(220.0) != red


def test_the_stream_s_tracker_keeps_the_stander_s_place():
    assert CCTV_TRACKER_OPTIONS.get("looks_place") == 0.2
    red, after = _neighbour_behind_a_stander(_tracker())  # the shipped options
    assert after.get(200.0) == red


def test_a_walker_or_a_low_box_in_other_clothes_is_left_to_the_overlap():
    class Track:
        def __init__(self, tid, box):
            self.tracker_id, self._box = tid, np.asarray(box, np.float64)

        def get_state_bbox(self):
            return self._box

    class Plain:  # overlap of boxes one unit tall, by their first coordinate
        def compute(self, a, b):
            a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
            return np.clip(1 - np.abs(a[:, :1] - b[:, 0][None]) / 20.0, 0, 1)

    track = Track(0, [0, 0, 10, 10])
    low, high = np.array([[0, 0, 10, 10]], np.float32), np.array([[8, 0, 18, 10]], np.float32)
    # standing and the low box's clothes the track's own: refused; walking, or the low box in
    # the neighbour's clothes and the high one in the track's: left to the overlap
    for speed, clothes, refused in ((0.0, [RED, PINK], True), (1.5, [RED, PINK], False),
                                    (0.0, [PINK, RED], False)):
        looks = CrowdLooks(Plain(), CrowdLooksConfig(veto=0.4, frame=True, place=0.2,
                                                     still_m_s=0.8), lambda tid: speed)
        looks.frame([track], low, [RED])
        looks.taken([(0, 0)], [0])
        looks.frame([track], np.vstack([low, high]), clothes)
        first = looks.compute(track._box[None], high)  # the first stage: the high box only
        assert (first[0, 0] == 0.0) == refused
        second = looks.compute(track._box[None], low)  # the second stage is left alone
        assert second[0, 0] > 0.5  # not refused (blended with the clothes where contested)


def test_place_is_off_by_default_and_validated():
    import pytest

    assert CrowdLooksConfig().place == 0.0
    with pytest.raises(ValueError):
        CrowdLooksConfig(place=1.5)

