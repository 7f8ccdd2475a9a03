"""A lost track is kept by what its person was doing (``LibraryTracker(walker_lost_s=...)``,
:mod:`pipeline.cctv.lost_buffer`): a walker's track ends after ``walker_lost_s`` (in a corridor
the next walker arrives where the first one was, and a long buffer hands them the old id), a
standing person's keeps the tracker's ``lost_s`` (at a baggage belt they are found again in
place). Fails on 6e2e5bc: LibraryTracker has no walker_lost_s (every track kept ``lost_s``)."""

import numpy as np
import pytest

from pipeline.cctv.lost_buffer import LostBuffer, buffer_frames
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker, PersonTrack

FPS = 5.0
HEAD = 40.0  # px: 0.25 m (pipeline.cctv.side_on.HEAD_M)


def _tracker(**kw) -> LibraryTracker:
    opts = {**CCTV_TRACKER_OPTIONS, "lost_s": 4.0, "side_width": 0.0, **kw}
    return LibraryTracker("bytetrack", FPS, **opts)


def _head(x: float, y: float = 300.0) -> np.ndarray:
    return np.array([[x, y, x + HEAD, y + HEAD]])


def _step(tr: LibraryTracker, k: int, head: np.ndarray | None) -> list[int]:
    if head is None:
        return [t.track_id for t in tr.update(k / FPS, np.zeros((0, 4)), np.zeros(0),
                                              heads=np.zeros((0, 4)))]
    body = np.array([[head[0, 0] - HEAD / 2, head[0, 1] - HEAD / 2,
                      head[0, 2] + HEAD / 2, head[0, 1] + 7 * HEAD]])
    return [t.track_id for t in tr.update(k / FPS, body, np.array([0.9]), heads=head)]


def _hidden_then_back(tr: LibraryTracker, px_per_frame: float, hidden_s: float = 2.0):
    """A head seen for 3 s moving ``px_per_frame`` to the right, hidden for ``hidden_s``, then
    a head on the same line where that motion leads: the ids before and after."""
    seen, hidden = int(3 * FPS), int(hidden_s * FPS)
    before = [_step(tr, k, _head(200 + px_per_frame * k)) for k in range(seen)]
    for k in range(seen, seen + hidden):
        assert _step(tr, k, None) == []
    after = [_step(tr, k, _head(200 + px_per_frame * k))
             for k in range(seen + hidden, seen + hidden + 5)]
    return {i for ids in before for i in ids}, {i for ids in after for i in ids}


WALK = 1.3 * HEAD / 0.25 / FPS  # px per frame at 1.3 m/s


def test_a_walkers_lost_track_is_not_taken_back_after_the_walker_buffer():
    # with every track kept 4 s the head found 2 s later on the walker's line takes their id
    # (in a corridor: the next walker); with walker_lost_s 1 it starts a new track, and the
    # re-linker decides by clothing whether it continues the first
    assert _hidden_then_back(_tracker(), WALK) == ({1}, {1})
    before, after = _hidden_then_back(_tracker(walker_lost_s=1.0), WALK)
    assert before == {1} and after and 1 not in after


def test_a_standing_persons_lost_track_keeps_the_long_buffer():
    before, after = _hidden_then_back(_tracker(walker_lost_s=1.0), 0.5, hidden_s=3.0)
    assert before == after == {1}


def test_a_walker_found_again_within_the_walker_buffer_keeps_the_id():
    assert _hidden_then_back(_tracker(walker_lost_s=1.0), WALK, hidden_s=0.8) == ({1}, {1})


def test_the_head_speed_reads_metres_per_second_through_the_head_size():
    buf = LostBuffer(1.0, FPS)
    for k in range(11):  # 2 s at 1.3 m/s, then the window holds the last 2 s
        buf.seen(k / FPS, [PersonTrack(7, (0, 0, 1, 1), 0)],
                 np.array([[100 + WALK * k, 300.0]]), np.array([HEAD]))
    assert buf.speed(7) == pytest.approx(1.3) and buf.walking(7)
    assert buf.speed(8) is None and not buf.walking(8)  # never seen: the long buffer


@pytest.mark.parametrize("lost_s,fps", [(1.0, 5.0), (4.0, 5.0), (1.0, 10.0), (0.5, 7.5)])
def test_the_walker_buffer_counts_frames_as_the_library_does(lost_s, fps):
    lib = LibraryTracker("bytetrack", fps, lost_s=lost_s)._tracker
    assert buffer_frames(lost_s, fps) == lib.maximum_frames_without_update


@pytest.mark.parametrize("field", ["walker_lost_s", "speed_s", "still_m_s"])
def test_bad_buffer_settings_are_refused_by_name(field):
    kw = {"walker_lost_s": 1.0, field: 0.0} if field != "walker_lost_s" else {field: -1.0}
    with pytest.raises(ValueError, match=field):
        _tracker(**kw)
