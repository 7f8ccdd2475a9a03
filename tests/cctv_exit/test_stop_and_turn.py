"""hall_exit and corridor_far: a walker who stops or turns back while unseen keeps the id, and a
far walker whose head flickers at the detector's threshold is still tracked (hand-built boxes)."""

import numpy as np
import pytest

from pipeline.cctv.heads import body_boxes_from_heads
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, PersonTrack, make_tracker
from pipeline.cctv.relink import RelinkConfig, Relinker


def _hist(bin_: int) -> np.ndarray:
    h = np.zeros((12, 4), np.float32)
    h[bin_, 1] = 1.0
    return h


def _body(x: float, y: float = 100.0, w: float = 60.0) -> tuple:
    return (x, y, x + w, y + 3.5 * w)


def _walk_then_lose(r: Relinker) -> None:
    for k in range(5):  # track 1 walks right 40 px a frame at 5 fps (200 px/s), then is lost
        r.update(k * 0.2, [PersonTrack(1, _body(100 + 40 * k), 0)], [_hist(3)])


@pytest.mark.parametrize("x", [260.0, 200.0], ids=["stopped", "turned back"])
def test_a_walker_who_stopped_or_turned_back_while_unseen_keeps_the_id(x):
    # 1.6 s later: the motion puts him 320 px on (580), but he stopped at the desk where he was
    # last seen (260) or came back (200); same clothes. The old gate measured from the
    # prediction only (1.5 body heights off, gate 1.15) and gave him a new id.
    r = Relinker()
    _walk_then_lose(r)
    out = r.update(2.4, [PersonTrack(7, _body(x), 0)], [_hist(3)])
    assert [t.track_id for t in out] == [1] and r.relinked == 1


def test_from_the_last_place_still_needs_the_clothes_and_the_gate():
    r = Relinker()
    _walk_then_lose(r)
    out = r.update(2.4, [PersonTrack(7, _body(260), 0)], [_hist(9)])  # other clothes
    assert out[0].track_id == 7
    r = Relinker(RelinkConfig(from_last=False))  # the old gate, kept as a switch
    _walk_then_lose(r)
    assert r.update(2.4, [PersonTrack(7, _body(260), 0)], [_hist(3)])[0].track_id == 7


def _far_walker(tracker, seen) -> list[tuple[int, int]]:
    """(frame, id) of a far walker's head coming down from the top at 5 fps, found only in the
    frames ``seen`` (a head at the detector's threshold)."""
    out = []
    for k in range(10):
        hd = np.array([[900.0, 10 + 6 * k, 930, 40 + 6 * k]])
        body = body_boxes_from_heads(hd, (1920, 1080))
        boxes, scores = (body, np.array([0.6])) if k in seen else (np.zeros((0, 4)), np.zeros(0))
        heads = hd if k in seen else np.zeros((0, 4))
        out += [(k, t.track_id) for t in tracker.update(k * 0.2, boxes, scores, heads=heads)]
    return out


def test_a_far_walker_whose_head_flickers_is_tracked_with_one_id():
    # found every other frame: a new track needed two frames in a row (min_hits 2), so the
    # walker was never tracked
    opts = {**CCTV_TRACKER_OPTIONS, "frame_size": (1920, 1080)}
    got = _far_walker(make_tracker("bytetrack", 5.0, options=opts), {0, 2, 4, 6, 8})
    assert [k for k, _ in got] == [2, 4, 6, 8] and len({i for _, i in got}) == 1


def test_a_walker_missed_right_after_the_first_frame_is_tracked_from_the_next_one():
    opts = {**CCTV_TRACKER_OPTIONS, "frame_size": (1920, 1080)}
    got = _far_walker(make_tracker("bytetrack", 5.0, options=opts), {0, 2, 3, 4, 5})
    assert [k for k, _ in got] == [2, 3, 4, 5] and len({i for _, i in got}) == 1
