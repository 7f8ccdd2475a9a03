"""The swap guard's heal (pipeline.cctv.swaps, ``SwapConfig.heal_s``): a cut whose new segment
settles back to the look of the id it was cut from is undone from then on; a real change is
not."""

import pytest

from pipeline.cctv.swaps import SWAP_ID_BASE, SwapConfig, SwapGuard

from test_swap_guard import _run

# one person (clothes 0); a neighbour (clothes 6) stands in front of them for 5 s, longer than
# the rejoin's 4 s, so the track is cut, and cut again when the person shows again
OCCLUDED = [[(1, 0)]] * 10 + [[(1, 6)]] * 25 + [[(1, 0)]] * 25


def test_a_cut_that_settles_back_to_the_old_look_is_healed_going_forward():
    plain = [i[0] for i in _run(SwapGuard(SwapConfig(heal_s=None)), OCCLUDED)]
    assert plain[-1] >= SWAP_ID_BASE  # without the heal the person ends under a new id
    guard = SwapGuard(SwapConfig(heal_s=30.0))
    ids = [i[0] for i in _run(guard, OCCLUDED)]
    assert guard.heals == 1
    assert ids[:12] == plain[:12]  # causal: what was reported before the heal is unchanged
    assert ids[12] >= SWAP_ID_BASE  # the cut itself still happens (the neighbour's frames)
    healed = ids.index(1, 12)
    assert ids[:healed] == plain[:healed]
    assert set(ids[healed:]) == {1}  # back to the old id, past the neighbour's segment
    assert healed - 35 <= SwapConfig().window + SwapConfig().heal_frames + 1


def test_a_cut_to_someone_else_is_not_healed():
    frames = [[(1, 0)]] * 10 + [[(1, 6)]] * 50  # the track moved onto another person for good
    guard = SwapGuard(SwapConfig(heal_s=30.0))
    ids = [i[0] for i in _run(guard, frames)]
    assert guard.heals == 0 and ids[-1] >= SWAP_ID_BASE and 1 not in ids[12:]


def test_no_heal_after_heal_s():
    guard = SwapGuard(SwapConfig(heal_s=3.0))  # the person shows again 5 s after the cut
    assert [i[0] for i in _run(guard, OCCLUDED)][-1] >= SWAP_ID_BASE and guard.heals == 0


def test_the_heal_settings_are_checked():
    assert SwapConfig().heal_s == 30.0  # shipped on
    assert SwapGuard(SwapConfig(heal_s=0)).config.heal_s == 0  # 0: off
    with pytest.raises(ValueError, match="heal_s"):
        SwapConfig(heal_s=-1.0)
    with pytest.raises(ValueError, match="heal_frames"):
        SwapConfig(heal_frames=0)
    with pytest.raises(ValueError, match="heal_similarity"):
        SwapConfig(heal_similarity=1.5)
    assert SwapConfig(heal_similarity=0.9).heal_threshold == 0.9
    assert SwapConfig().heal_threshold == SwapConfig().rejoin_similarity
