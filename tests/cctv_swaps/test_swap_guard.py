"""The swap guard (pipeline.cctv.swaps): a track whose clothes change ends there, and the
person it changed to continues the id that person had."""

import numpy as np
import pytest

from pipeline.cctv.appearance import HIST_BINS
from pipeline.cctv.persons import PersonTrack
from pipeline.cctv.swaps import SWAP_ID_BASE, SwapConfig, SwapGuard


def _hist(colour: int, noise: float = 0.0) -> np.ndarray:
    """A torso histogram of one hue bin (plus a little of the next, ``noise``)."""
    h = np.zeros(HIST_BINS, np.float32)
    h[colour, 2] = 1.0
    h[(colour + 1) % HIST_BINS[0], 2] = noise
    return h / h.sum()


def _run(guard, frames):
    """frames: per frame a list of (tracker id, colour or None); the ids the guard gives."""
    out = []
    for k, people in enumerate(frames):
        tracks = [PersonTrack(tid, (10.0 * j, 0.0, 10.0 * j + 5, 20.0), j)
                  for j, (tid, _) in enumerate(people)]
        hists = [None if c is None else _hist(c, 0.05 * (k % 3)) for _, c in people]
        out.append([tr.track_id for tr in guard.update(0.2 * k, tracks, hists)])
    return out


def test_a_track_whose_clothes_change_continues_under_a_new_id():
    ids = _run(SwapGuard(), [[(1, 0)]] * 10 + [[(1, 6)]] * 6)
    assert {i[0] for i in ids[:10]} == {1}
    assert ids[11][0] == 1  # one frame below: not yet (confirm 2)
    assert ids[12][0] >= SWAP_ID_BASE and len({i[0] for i in ids[12:]}) == 1


def test_one_odd_frame_and_faceless_coasting_frames_keep_the_id():
    frames = [[(1, 0)]] * 8 + [[(1, 6)]] + [[(1, None)]] * 3 + [[(1, 0)]] * 5
    assert {i[0] for i in _run(SwapGuard(), frames)} == {1}


def test_two_walkers_whose_boxes_swap_keep_their_own_ids():
    # tracker id 1 follows red (0) then blue (6); id 2 blue then red: an exchange in a group
    frames = [[(1, 0), (2, 6)]] * 8 + [[(1, 6), (2, 0)]] * 6
    ids = _run(SwapGuard(), frames)
    assert ids[0] == [1, 2]
    assert ids[-1] == [2, 1]  # red is 1 again, blue 2
    old = _run(SwapGuard(SwapConfig(rejoin_similarity=None)), frames)
    assert set(old[-1]).isdisjoint({1, 2})  # without rejoining: two new ids


def test_a_track_jumping_onto_a_person_whose_track_was_lost_continues_that_id():
    frames = ([[(1, 0), (2, 6)]] * 8 + [[(1, 0)]] * 3  # blue's track 2 is lost
              + [[(1, 6)]] * 5)  # and track 1 jumps onto blue
    ids = _run(SwapGuard(), frames)
    assert [i[0] for i in ids[-3:]] == [2, 2, 2]
    # a re-link bringing input id 2 back later is not merged with it
    nxt = SwapGuard()
    after = _run(nxt, frames + [[(1, 6), (2, 0)]])
    assert after[-1][0] == 2 and after[-1][1] not in (1, 2)


def test_the_settings_are_checked():
    with pytest.raises(ValueError, match="min_similarity"):
        SwapConfig(min_similarity=1.5)
    with pytest.raises(ValueError, match="window"):
        SwapConfig(window=0)


def test_ids_long_gone_are_forgotten():
    guard = SwapGuard()
    _run(guard, [[(1, 0), (2, 6)]] * 8 + [[(1, 6), (2, 0)]] * 6)
    assert guard._segment and guard._looks
    guard.update(1000.0, [], [])
    assert not guard._segment and not guard._looks


def test_a_cut_track_keeps_its_new_id_after_the_old_one_is_forgotten():
    # input id 1 is cut (clothes 0 -> 6) at about 2 s and goes on for 70 s under its new id;
    # on f8d78be the old id 1 was forgotten FORGET_S after the cut and its segment with it, so
    # the same person came back under id 1 (a second ID switch, 60 s later)
    from pipeline.cctv.swaps import FORGET_S

    frames = [[(1, 0)]] * 10 + [[(1, 6)]] * int((FORGET_S + 10) / 0.2)
    ids = [i[0] for i in _run(SwapGuard(), frames)]
    assert ids[12] >= SWAP_ID_BASE
    assert set(ids[12:]) == {ids[12]}
