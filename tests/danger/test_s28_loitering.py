"""Loitering by spot, two turnovers that were none (issue 12, round 12: danger-bags2). Each
behaviour case fails on 6e2e5bc (and with its key at the round-11 setting); the controls keep
a real queue's turnover a turnover."""

import numpy as np

from pipeline.danger.config import DangerConfig
from pipeline.danger.dwell import Sighting, SpotDwell
from pipeline.danger.rules import LoiteringRule
from test_s27_dwell import _run

ROUND12 = DangerConfig().rules.loitering


def _spot(**kw) -> SpotDwell:
    p = ROUND12.model_copy(update=kw)
    return SpotDwell(p.dwell_s, p.spot_radius_m, p.spot_leave_m, p.spot_gap_s, p.spot_min_seen,
                     p.spot_max_shared, walk_in_m=p.spot_walk_in_m,
                     merged_claims=p.spot_merged_holds)


def test_the_rule_builds_its_spots_from_the_keys():
    spots = LoiteringRule(ROUND12)._spots
    assert spots.walk_in_m == ROUND12.spot_walk_in_m == 4.5
    assert spots.merged_claims is False


# --- the occupant found again a few metres off the drifted centre ---------------------------

def _found_again(born_m: float):
    """A lingerer at (0, 12) for 40 s (track 1); her track is taken by a passer-by and walks
    off 6 m (vacating the spot); 2 s later she is a new track born ``born_m`` off the spot's
    centre, which she then stands on (tune seed 36: born 3.2 m from the drifted centre)."""
    def first(t):
        if t < 40.0:
            return Sighting(1, 0.2 * np.sin(t), 12.0, slow=True, origin=(0.0, 12.0))
        if t < 45.0:
            return Sighting(1, 1.3 * (t - 40.0), 12.0, slow=False, origin=(0.0, 12.0))
        return None

    def again(t):
        if t < 42.0:
            return None
        return Sighting(2, 0.2 * np.sin(t), 12.0, slow=True, origin=(0.0, 12.0 + born_m))
    return [first, again]


def test_an_occupant_born_3_5_m_off_is_found_again_not_a_walk_in():
    held = _run(_spot(), 140.0, _found_again(3.5))
    assert len(held) == 1 and held[0][0] < 121.0  # 120 s from the first sighting


def test_off_it_is_a_walk_in():
    assert _run(_spot(spot_walk_in_m=0.0), 140.0, _found_again(3.5)) == []


def test_someone_born_beyond_the_walk_in_distance_is_a_turnover():
    # control: a new person who walked in from 6 m restarts the dwell
    assert _run(_spot(), 140.0, _found_again(6.0)) == []


# --- a swap in a merge ---------------------------------------------------------------------

def _swap():
    """Tune seed 27 (20.5 m, 487.8 s): the lingerer's track 1 holds (0, 12); a passer-by's track
    2, born 5 m off, walks up and merges with her for 2 s (both read as a merged blob, slow);
    then track 1 walks off 6 m with the passer-by and track 2 stands on in her place."""
    def lingerer(t):
        if t < 40.0:
            return Sighting(1, 0.2 * np.sin(t), 12.0, slow=True, origin=(0.0, 12.0))
        if t < 42.0:
            return Sighting(1, 0.0, 12.0, slow=True, merged=True, origin=(0.0, 12.0))
        if t < 47.0:
            return Sighting(1, 1.3 * (t - 42.0), 12.0, slow=False, origin=(0.0, 12.0))
        return None

    def passer(t):
        if t < 36.0:
            return None
        if t < 40.0:
            return Sighting(2, 0.0, 7.0 + 1.25 * (t - 36.0), slow=False, origin=(0.0, 7.0))
        if t < 42.0:
            return Sighting(2, 0.0, 12.0, slow=True, merged=True, origin=(0.0, 7.0))
        return Sighting(2, 0.2 * np.sin(t), 12.0, slow=True, origin=(0.0, 7.0))
    return [lingerer, passer]


def test_a_holder_that_walks_off_after_a_merge_leaves_nobody():
    held = _run(_spot(), 140.0, _swap())
    assert len(held) == 1 and held[0][0] < 121.0


def test_with_merged_sightings_holding_it_is_a_turnover():
    assert _run(_spot(spot_merged_holds=True), 140.0, _swap()) == []


def test_a_holder_walking_off_unmerged_is_still_a_turnover():
    # control: the same two people, no merge: the occupant walked out, a newcomer walked in
    def unmerged(f):
        return lambda t: (None if f(t) is None else f(t)._replace(merged=False))
    assert _run(_spot(), 140.0, [unmerged(f) for f in _swap()]) == []


# --- where the alert shows the occupant ----------------------------------------------------

def test_the_spot_keeps_the_box_of_its_last_slow_sighting():
    # tune seed 36 (460.6 s): the spot's last track was a passer-by's that had taken the
    # lingerer's blob and was walking off, 3.1 m from the staged spot, when the dwell reached
    # 120 s: the alert showed it there (a false episode and a miss). The spot now keeps the box
    # of the last slow sighting that held it (the rule's alert shows that box).
    spot = _spot()
    spot.update(0.0, [Sighting(1, 0.0, 12.0, slow=True, origin=(0.0, 12.0), box=(10, 20, 30, 90))])
    spot.update(0.2, [Sighting(1, 0.1, 12.0, slow=True, origin=(0.0, 12.0), box=(11, 20, 31, 90))])
    spot.update(0.4, [Sighting(1, 1.5, 13.0, slow=False, origin=(0.0, 12.0), box=(40, 25, 60, 95))])
    assert spot.spots[0].last_box == (11, 20, 31, 90)
