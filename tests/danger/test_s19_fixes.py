"""Fixes traced on tune seeds (issue 12, round 3). Each test fails without its fix."""

from danger_clips import LYING_BOX, PERSON_BOX, Clip, Thing, alerts, legs, run
from pipeline.danger.config import Fall

T0 = 100.0  # the clips' clock starts here


def test_a_fall_with_an_immediate_get_up_is_not_a_fall():
    # The benchmark's near-miss fall: down for about 3.5 s (tumble, 2.2 s on the floor, getting
    # up), then walks on. With lying_s 3 it alerted (2 near-miss falls on the tune seeds).
    lie = lambda a, b: (lambda t: LYING_BOX if a <= t < b else PERSON_BOX)
    trip = run(Clip([Thing(legs((3, -4, 6), (7, 0, 6), (11, 0, 6), (15, 4, 6)),
                           shape=lie(7.5, 11.0))], 17))
    assert alerts(trip, "fall") == []
    fall = run(Clip([Thing(legs((3, -4, 6), (7, 0, 6), (20, 0, 6)), shape=lie(7.5, 99))], 20))
    hits = alerts(fall, "fall")
    assert len(hits) == 1
    assert 7.5 + Fall().lying_s <= hits[0].t - T0 <= 7.5 + Fall().lying_s + 3
