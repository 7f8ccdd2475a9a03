"""The crowd looks where the library's stage hides the contest (``LibraryTracker(looks_frame=...,
looks_alone=...)``, :mod:`pipeline.cctv.crowd_looks`): ByteTrack's first stage sees only the
boxes at its high score, so a standing person's half-hidden head, scored low, leaves a passing
neighbour's head the only box the person's track overlaps there: uncontested, it was taken
without asking the clothes, and the person left behind came back under a new id (docs/cctv.md "Swaps
between standing neighbours"). Fails on 0042ea5: LibraryTracker has no looks_frame /
looks_alone (the track takes the neighbour's box)."""

import numpy as np
import pytest

from pipeline.cctv.crowd_looks import CrowdLooks, CrowdLooksConfig
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker
from test_crowd_looks import BLUE, FPS, HEAD, RED


def _tracker(**kw) -> LibraryTracker:
    opts = {**CCTV_TRACKER_OPTIONS, "side_width": 0.0, "looks_veto": 0.5,
            "looks_still_m_s": 0.0, "looks_frame": False, "looks_alone": False,
            "looks_place": 0.0, **kw}  # the stander's own place apart (tests/cctv_belt)
    return LibraryTracker("bytetrack", FPS, **opts)


def _frame(tr: LibraryTracker, k: int, xs: list[float], looks: list,
           scores: list[float] | None = None) -> dict[float, int]:
    """Heads at ``xs`` (one row) with their clothes and scores: head x -> the track id on it."""
    heads = np.array([[x, 300.0, x + HEAD, 300.0 + HEAD] for x in xs]).reshape(-1, 4)
    bodies = np.column_stack([heads[:, 0] - HEAD / 2, heads[:, 1] - HEAD / 2,
                              heads[:, 2] + HEAD / 2, heads[:, 1] + 7 * HEAD])
    s = np.asarray(scores if scores is not None else [0.9] * len(xs), np.float32)
    out = tr.update(k / FPS, bodies, s, heads=heads, looks=looks)
    return {xs[t.detection]: t.track_id for t in out}


def _walker_passes_a_hidden_stander(tr: LibraryTracker) -> tuple[int, dict]:
    """Red stands at x 200 for 2 s; then a blue walker's head (high score) is found at 215
    while red's, half hidden behind it, scores under ByteTrack's high threshold."""
    for k in range(10):
        red = _frame(tr, k, [200.0], [RED]).get(200.0)
    return red, _frame(tr, 10, [200.0, 215.0], [RED, BLUE], [0.3, 0.9])


def test_the_first_stage_hands_the_walker_the_stander_s_track():
    red, after = _walker_passes_a_hidden_stander(_tracker())
    assert after[215.0] == red  # the swap: red's track took blue (uncontested in stage one)
    assert 200.0 not in after  # red, low, is left without a track


@pytest.mark.parametrize("option", ["looks_frame", "looks_alone"])
def test_the_stander_keeps_the_track(option):
    red, after = _walker_passes_a_hidden_stander(_tracker(**{option: True}))
    assert after.get(200.0) == red  # refused blue in stage one, took its own low head
    assert after.get(215.0) != red  # blue: a track of its own (tentative this frame)


def test_the_frame_contest_leaves_a_lone_box_to_the_overlap():
    # no second box anywhere in the frame: nothing contested, clothes not asked
    tr = _tracker(looks_frame=True)
    ids = [_frame(tr, k, [200.0], [RED if k < 5 else BLUE]).get(200.0) for k in range(10)]
    assert len(set(ids[1:])) == 1 and ids[1] is not None


def test_alone_refuses_a_lone_box_of_other_clothes():
    tr = _tracker(looks_alone=True)
    ids = [_frame(tr, k, [200.0], [RED if k < 5 else BLUE]).get(200.0) for k in range(10)]
    assert ids[4] is not None and ids[4] != ids[5]


def test_frame_counts_every_box_of_the_frame():
    class Plain:  # overlaps of the rows' boxes against the columns' (first coordinate apart)
        def compute(self, a, b):
            a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
            return np.clip(1 - np.abs(a[:, :1] - b[:, 0][None]) / 20.0, 0, 1)

    class Track:
        def __init__(self, tid, box):
            self.tracker_id, self._box = tid, np.asarray(box, np.float64)

        def get_state_bbox(self):
            return self._box

    tr = Track(0, [0, 0, 10, 10])
    high, low = np.array([[5, 0, 15, 10]], np.float32), np.array([[0, 0, 10, 10]], np.float32)
    every = np.vstack([low, high])
    for frame, vetoed in ((False, False), (True, True)):
        looks = CrowdLooks(Plain(), CrowdLooksConfig(veto=0.5, frame=frame))
        looks.frame([tr], every, [RED, RED])
        looks.taken([(0, 0)], [0])
        looks.frame([tr], every, [RED, BLUE])
        sim = looks.compute(tr._box[None], high)  # the first stage: the high box only
        assert (sim[0, 0] == 0.0) == vetoed


def test_the_stream_s_tracker_contests_on_the_frame():
    assert CCTV_TRACKER_OPTIONS.get("looks_frame") is True
    tr = LibraryTracker("bytetrack", FPS, **{**CCTV_TRACKER_OPTIONS, "side_width": 0.0})
    red, after = _walker_passes_a_hidden_stander(tr)  # no camera: the image speed, red reads 0
    assert after.get(200.0) == red
