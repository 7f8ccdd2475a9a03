"""Loitering through a merge, and a staged loitering batch (issue 12, round 18, branch
danger-loit). ``rules.loitering.spot_merged_keeps`` (off in round 18: it lost check seed 101's
loiterer; on since round 19 with ``spot_from_present``, test_s35_loitering) lets a slow merged
sighting keep its spot alive and sighted without holding or claiming it.
Every case fails on 05b12f9 (no ``Sighting.keeps``, no census tool; staging loitering in a band
gave up on seed 632); the controls pin what stays a turnover or an end."""

import numpy as np

from experiments.danger_loiter_census import _loiterers
from experiments.danger_stage import stage_scene
from sim.loader import parse_scenario
from pipeline.danger.config import DangerConfig
from pipeline.danger.dwell import Sighting, SpotDwell
from test_s27_dwell import _run

ROUND12 = DangerConfig().rules.loitering


def _spot() -> SpotDwell:
    p = ROUND12
    return SpotDwell(p.dwell_s, p.spot_radius_m, p.spot_leave_m, p.spot_gap_s, p.spot_min_seen,
                     p.spot_max_shared, walk_in_m=p.spot_walk_in_m,
                     merged_claims=p.spot_merged_holds)


def _merged_lingerer(keeps: bool, back_as: int = 1, born=(0.0, 12.0)):
    """A lingerer at (0, 12) (track 1) for 50 s; from 50 to 80 s she stands merged with
    passers-by (a slow blob reading "group", track 9, that ``keeps`` or not); then she is seen
    alone again as track ``back_as``, born at ``born`` (tune seeds 48, 71: her spot ended
    unseen every 15-55 s while she read "group")."""
    def lingerer(t):
        if 50.0 <= t < 80.0:
            return Sighting(9, 0.3, 12.2, slow=True, eligible=False, merged=True,
                            origin=(0.0, 6.0), keeps=keeps)
        track = 1 if t < 50.0 else back_as
        return Sighting(track, 0.2 * np.sin(t), 12.0, slow=True,
                        origin=(0.0, 12.0) if track == 1 else born)
    return [lingerer]


def test_a_slow_merged_sighting_keeps_the_spot_alive_and_sighted():
    held = _run(_spot(), 140.0, _merged_lingerer(keeps=True))
    assert len(held) == 1 and held[0][0] < 121.0  # 120 s from her first sighting


def test_without_it_the_spot_ends_unseen_in_the_merge():
    # control (round 12): 30 s merged is 30 s unseen, over spot_gap_s: the dwell starts again
    assert _run(_spot(), 140.0, _merged_lingerer(keeps=False)) == []


def test_her_own_track_out_of_the_merge_is_the_occupant():
    # her first track walked in from afar (origin 8 m off) before it held the spot
    def walked_in(t):
        s = _merged_lingerer(keeps=True)[0](t)
        return s._replace(origin=(0.0, 4.0)) if s.track == 1 else s
    held = _run(_spot(), 140.0, [walked_in])
    assert len(held) == 1 and held[0][0] < 121.0


def test_a_newcomer_after_a_bridged_gap_is_a_turnover():
    # control: after the merge a track born 8 m off (not one that held the spot) claims it:
    # someone new walked in, as after a vacate; her dwell restarts at 80 s
    held = _run(_spot(), 140.0, _merged_lingerer(keeps=True, back_as=2, born=(0.0, 4.0)))
    assert held == []


def test_loitering_stages_in_a_band_where_open_floor_lies_mostly_outside_it():
    data, info = stage_scene(632, "loitering", count=4, min_m=12.0, max_m=32.0)
    assert data["incidents"] and all(e["kind"] == "loitering" for e in data["incidents"])
    assert all(12.0 <= f["distance_m"] <= 32.0 for f in info["incidents"])


def test_the_census_follows_each_loiterer_from_arrival_to_leaving():
    data, info = stage_scene(634, "loitering", count=4, min_m=12.0, max_m=32.0)
    lo = _loiterers(parse_scenario(data, data["name"]), info)
    assert [x["incident"] for x in lo] == list(range(5))
    for x, e in zip(lo, data["incidents"]):
        assert x["enter"] == e["time_s"] - 120.0  # the sim's actor stands threshold_s first
        assert x["leave"] == (x["enter"] + 60.0 if x["near_miss"]
                              else e["time_s"] + e["duration_s"])
