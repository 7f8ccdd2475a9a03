"""With ``terminal.walking.cover_drawn_routes`` nobody is drawn walking faster than their own
pace: the walk the model schedules and the route sim.positions draws come from one home
(sim.walking.typed_span / referral_span)."""

import numpy as np
import pytest

from sim.feeds import simulate_run
from sim.layout import floor_plan
from sim.loader import load_scenario
from sim.positions import WALKING, Trajectories
from sim.walking import typed_span, walk_routes


@pytest.fixture(scope="module")
def demo():
    demo = load_scenario("scenarios/incidents_demo.yaml")
    walking = demo.terminal.walking.model_copy(update={"cover_drawn_routes": True})
    s = demo.model_copy(update={"terminal": demo.terminal.model_copy(
        update={"walking": walking})})
    plan = floor_plan(s)
    rec = simulate_run(s, 1)
    return s, plan, rec, Trajectories.from_records(rec, s, plan)


def test_no_walk_leg_is_faster_than_its_walker(demo):
    # The old code drew typed walks shorter than their route on the plan at up to 67 m/s here
    # (hall -> reclaim typed 40 m, drawn up to 100 m) and walks cut by the horizon in an instant.
    s, plan, rec, tr = demo
    pace = rec["travelers"].set_index("traveler_id")["walk_speed"].reindex(tr.traveler_ids)
    pace = np.maximum(pace.to_numpy(float), 0.3)[tr.tidx]
    walking = (tr.queue < 0) & (tr.act == WALKING)
    assert walking.sum() > 1000
    assert np.all(tr.speed[walking] <= pace[walking] * 1.001 + 1e-9)
    assert tr.speed[tr.queue < 0].max() < 2.5  # no one runs (service steps included)


def test_typed_walks_cover_their_route_on_the_plan(demo):
    s, plan, _, _ = demo
    routes = walk_routes(s, plan)
    for w in s.terminal.walks:
        span = typed_span(plan, w.from_zone, w.to_zone)
        assert routes.distance[w.from_zone, w.to_zone] == pytest.approx(max(w.distance_m, span))
    # incidents_demo types hall -> reclaim as 40 m, shorter than its floor plan draws it
    assert routes.distance["immigration_hall", "reclaim"] > 40.0


def test_off_by_default_typed_walks_stay_as_typed():
    s = load_scenario("scenarios/incidents_demo.yaml")
    assert not s.terminal.walking.cover_drawn_routes
    assert walk_routes(s).distance["immigration_hall", "reclaim"] == 40.0
