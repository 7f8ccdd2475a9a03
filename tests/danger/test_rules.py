"""Every rule on short synthetic clips: once where the event happens, once where it nearly does
(a brisk walk, a brief stop, a bag set down and picked up again, a sparse gathering, a second
traveler one gate cycle later). The clips run the real detector, tracker and rules."""

import math

import numpy as np
import pytest

from danger_clips import (BAG_BOX, LYING_BOX, PERSON_BOX, Clip, Thing, alerts, geometry, legs,
                          run)
from pipeline.danger.config import AbandonedBag, DangerConfig, Loitering, Rules
from pipeline.danger.geometry import Gate

FAST = DangerConfig(rules=Rules(abandoned_bag=AbandonedBag(unattended_s=8.0),
                                loitering=Loitering(dwell_s=20.0)))
T0 = 100.0  # the clips' clock starts here


def kinds(results):
    return sorted({a.kind for a in alerts(results)})


def test_running_is_flagged_and_a_brisk_walk_is_not():
    runner = run(Clip([Thing(legs((3, -8, 6), (7, 8, 6)))], 9))  # 4 m/s
    hits = alerts(runner, "running")
    assert len(hits) == 1 and kinds(runner) == ["running"]
    assert float(hits[0].detail.split()[0]) == pytest.approx(4.0, abs=0.5)
    assert 3 <= hits[0].t - T0 <= 7  # running from 3 s; fitted over 1.6 s, held 1.2 s
    brisk = run(Clip([Thing(legs((3, -8, 6), (11, 8, 6)))], 12))  # 2 m/s
    assert alerts(brisk) == []


def test_a_fall_is_flagged_and_a_stop_or_a_stumble_is_not():
    lie = lambda until: (lambda t: LYING_BOX if 7.5 <= t < until else PERSON_BOX)
    fall = run(Clip([Thing(legs((3, -4, 6), (7, 0, 6), (20, 0, 6)), shape=lie(99))], 20))
    hits = alerts(fall, "fall")
    assert len(hits) == 1 and kinds(fall) == ["fall"]
    assert 7.5 + 3 <= hits[0].t - T0 <= 7.5 + 6
    stop = run(Clip([Thing(legs((3, -4, 6), (7, 0, 6), (10, 0, 6), (14, 4, 6)))], 16))
    assert alerts(stop) == []
    stumble = run(Clip([Thing(legs((3, -4, 6), (7, 0, 6), (10, 0, 6), (14, 4, 6)),
                              shape=lie(8.7))], 16))
    assert alerts(stumble, "fall") == []


def test_loitering_is_flagged_and_a_brief_stop_is_not():
    wander = lambda t: None if t < 2 else (1.5 * math.cos(t * 0.3), 6 + 1.5 * math.sin(t * 0.3))
    loiter = run(Clip([Thing(wander)], 30), FAST)
    hits = alerts(loiter, "loitering")
    assert len(hits) == 1 and kinds(loiter) == ["loitering"]
    assert 20 <= hits[0].t - T0 - 2 <= 24
    brief = run(Clip([Thing(legs((2, -6, 6), (6, 0, 6), (14, 0, 6), (19, 7, 6)))], 24), FAST)
    assert alerts(brief) == []


def test_loitering_in_a_queue_is_expected():
    wander = lambda t: None if t < 2 else (1.5 * math.cos(t * 0.3), 6 + 1.5 * math.sin(t * 0.3))
    queue = [np.array([[-4, 3], [4, 3], [4, 9], [-4, 9]])]
    assert alerts(run(Clip([Thing(wander)], 30), FAST, geometry(waiting=queue))) == []


def test_counterflow_is_flagged_and_walking_with_the_flow_is_not():
    against = run(Clip([Thing(legs((3, 8, 7), (12, -4, 7)))], 13))  # the zone flows +x
    hits = alerts(against, "counterflow")
    assert len(hits) == 1 and kinds(against) == ["counterflow"]
    along = run(Clip([Thing(legs((3, -8, 7), (12, 4, 7)))], 13))
    assert alerts(along) == []


def _owner_and_bag(owner_points, bag_points):
    return [Thing(legs(*owner_points)),
            Thing(legs(*bag_points), size=BAG_BOX, colour=(20, 140, 40))]


def test_an_abandoned_bag_is_flagged_and_one_picked_up_again_is_not():
    left = run(Clip(_owner_and_bag(
        [(2, -6, 6), (6, 0, 6), (7, 0, 6), (12, 9, 10)],
        [(2, -5.7, 6), (6, 0.3, 6), (30, 0.3, 6)]), 30), FAST)
    hits = alerts(left, "abandoned_bag")
    assert len(hits) == 1 and kinds(left) == ["abandoned_bag"]
    assert hits[0].t - T0 >= 8 + 8  # set down at 6 s, owner out of reach after 8 s, then 8 s
    picked = run(Clip(_owner_and_bag(
        [(2, -6, 6), (6, 0, 6), (8, 0, 9), (10, 0.2, 6.6), (14, 0.2, 6.6), (20, 8, 6)],
        [(2, -5.7, 6), (6, 0.3, 6), (14, 0.3, 6), (20, 8.3, 6)]), 26), FAST)
    assert alerts(picked) == []


def _crowd(n, centre, side, seed=3):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        x = centre[0] + rng.uniform(-side / 2, side / 2)
        y = centre[1] + rng.uniform(-side / 2, side / 2)
        start = x - 8 if k % 2 else x + 8
        out.append(Thing(legs((2, start, y), (6, x, y), (60, x + 0.2 * math.sin(k), y)),
                         colour=tuple(int(c) for c in rng.integers(20, 120, 3))))
    return out


def test_overcrowding_is_flagged_and_a_sparse_gathering_is_not():
    cfg = DangerConfig(enabled=["overcrowding"])
    packed = run(Clip(_crowd(50, (0, 6), 5.0), 20), cfg)  # 2 persons/m², limit 1 (1 m²/pax)
    hits = alerts(packed, "overcrowding")
    assert len(hits) == 1 and hits[0].zone == "hall"
    assert 2 + 8 <= hits[0].t - T0 <= 6 + 12  # gathering from 2 s to 6 s, sustained 8 s
    sparse = run(Clip(_crowd(12, (0, 6), 5.0), 20), cfg)  # 0.5 persons/m²
    assert alerts(sparse) == []


def test_tailgating_is_flagged_and_the_next_gate_cycle_is_not():
    gate = Gate("egates", 0, (0.0, 7.0), (0.0, 1.0), 0.6)
    geom = geometry(gates=(gate,))
    through = lambda t0: legs((t0, 0, 3), (t0 + 4, 0, 7), (t0 + 8, 0, 11))
    pair = run(Clip([Thing(through(3.0)), Thing(through(3.8), colour=(150, 60, 40))], 14),
               geom=geom)
    hits = alerts(pair, "tailgating")
    assert len(hits) == 1 and kinds(pair) == ["tailgating"]
    cycle = run(Clip([Thing(through(3.0)), Thing(through(10.0), colour=(150, 60, 40))], 20),
                geom=geom)
    assert alerts(cycle) == []
