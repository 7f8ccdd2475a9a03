"""The danger-tune round's rule changes, each on hand-built input that makes it fail if the
change is undone: gates too foreshortened to judge tailgating at, one walker against the flow
lost and found again, a "bag" beyond the walls, the loitering label's walk-in in the scoring."""

import pandas as pd

from floorplan.plan import PlanZone
from danger_clips import BAG_BOX, FLOOR, Clip, Thing, alerts, geometry, legs, run
from experiments import danger_score as S
from pipeline.danger.config import (AbandonedBag, Counterflow, DangerConfig, Rules, Running,
                                    Tailgating)
from pipeline.danger.floor import FloorMap
from pipeline.danger.geometry import Gate, SceneGeometry
from pipeline.danger.tailgating import judged_gates


def test_a_gate_seen_end_on_far_away_is_not_judged_and_one_seen_across_is():
    # Camera 5 m up looking north: a gate 30 m up the line of sight squeezes its 0.8 m pass
    # depth into a few pixels; the same gate turned across the view, 10 m away, does not.
    floor = FloorMap.from_pose((0.0, 0.0, 5.0), 90.0, 15.0, 70.0, (1280, 720))
    far_end_on = Gate("egates", 0, (0.0, 30.0), (0.0, 1.0), 0.6)
    near_across = Gate("egates", 1, (0.0, 10.0), (1.0, 0.0), 0.6)
    p = Tailgating()
    assert judged_gates(floor, (far_end_on, near_across), p) == frozenset({1})
    assert judged_gates(floor, (far_end_on, near_across), Tailgating(min_gate_px=0)) == {0, 1}


def test_tailgating_at_a_gate_the_camera_cannot_resolve_raises_nothing():
    gate = Gate("egates", 0, (0.0, 7.0), (0.0, 1.0), 0.6)
    through = lambda t0: legs((t0, 0, 3), (t0 + 4, 0, 7), (t0 + 8, 0, 11))
    clip = Clip([Thing(through(3.0)), Thing(through(3.8), colour=(150, 60, 40))], 14)
    assert judged_gates(FLOOR, (gate,), Tailgating()) == {0}  # the clip's gate is resolved
    strict = DangerConfig(rules=Rules(tailgating=Tailgating(min_gate_px=1000.0)))
    assert alerts(run(clip, strict, geom=geometry(gates=(gate,))), "tailgating") == []


INC_COLS = ["scene", "incident", "kind", "t_start", "t_end", "near_miss", "natural", "x", "y",
            "distance_m", "crowd"]


def _match(alert_t: float, kind: str):
    alerts = pd.DataFrame([(1, alert_t, kind, 10.0, 10.0)],
                          columns=["scene", "t", "kind", "x", "y"])
    incidents = pd.DataFrame([(1, 0, kind, 200.0, 260.0, False, False, 10.0, 10.0, 12.0,
                               "busy")], columns=INC_COLS)
    eps, inc = S.match(S.episodes(alerts), alerts, incidents)
    return eps["outcome"].tolist(), inc["ttd_s"].tolist()


def test_a_loitering_alert_during_the_walk_in_is_on_time_but_other_early_alerts_are_false():
    assert _match(192.0, "loitering") == (["true"], [0.0])  # 8 s before the label: walk-in
    assert _match(185.0, "loitering")[0] == ["false"]  # earlier than any walk-in
    assert _match(192.0, "fall")[0] == ["false"]  # no other kind gets the allowance


def test_a_walker_against_the_flow_lost_and_found_again_is_one_alert():
    # One walker against the hall's +x flow, hidden for 3 s midway: a new lineage, whose
    # alert comes 9 m on (the default radius, 8 m, is set from a slower walk on tune seed 6).
    walker = [Thing(legs((3, 9, 7), (9, 1, 7))), Thing(legs((12, -3, 7), (18, -11, 7)))]
    reach = DangerConfig(rules=Rules(counterflow=Counterflow(repeat_m=12.0)))
    once = run(Clip(walker, 19), reach)
    assert len(alerts(once, "counterflow")) == 1
    no_repeat = DangerConfig(rules=Rules(counterflow=Counterflow(repeat_s=0.0)))
    assert len(alerts(run(Clip(walker, 19), no_repeat), "counterflow")) == 2


def test_a_bag_whose_foot_point_lies_beyond_the_walls_is_not_abandoned():
    fast = DangerConfig(rules=Rules(abandoned_bag=AbandonedBag(unattended_s=8.0)))
    things = [Thing(legs((2, -6, 6), (6, 0, 6), (7, 0, 6), (12, 9, 10))),
              Thing(legs((2, -5.7, 6), (6, 0.3, 6), (30, 0.3, 6)), size=BAG_BOX,
                    colour=(20, 140, 40))]
    assert len(alerts(run(Clip(things, 30), fast), "abandoned_bag")) == 1
    hall = geometry().zones[0]
    north = PlanZone("hall", "immigration_hall", hall.polygon + [0.0, 4.5], 576.0,
                     flow=(1.0, 0.0), space_low_m2=1.0, space_high_m2=1.2)
    walled = SceneGeometry((north,))  # the hall begins 0.5 m north of the bag
    assert alerts(run(Clip(things, 30), fast, geom=walled), "abandoned_bag") == []



def test_a_runner_just_out_of_a_queue_is_a_split_blob_not_a_runner():
    queue = [[-10.0, 4.0], [-5.0, 4.0], [-5.0, 8.0], [-10.0, 8.0]]
    runner = Clip([Thing(legs((3, -8, 6), (7, 8, 6)))], 9)  # 4 m/s, from inside the queue
    assert alerts(run(runner, geom=geometry(waiting=[queue])), "running") == []
    eager = DangerConfig(rules=Rules(running=Running(after_waiting_s=0.0)))
    assert len(alerts(run(runner, eager, geom=geometry(waiting=[queue])), "running")) == 1
