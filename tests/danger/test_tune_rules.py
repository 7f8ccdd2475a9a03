"""The danger-tune round's rule changes, each on hand-built input that makes it fail if the
change is undone: gates too foreshortened to judge tailgating at, running and counterflow
beside the processor rows, the loitering label's walk-in in the scoring."""

import pandas as pd

from danger_clips import FLOOR, Clip, Thing, alerts, geometry, legs, run
from experiments import danger_score as S
from pipeline.danger.config import DangerConfig, Rules, Tailgating
from pipeline.danger.floor import FloorMap
from pipeline.danger.geometry import Gate
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
