"""Walking routes on the floor plan (floorplan.routing): shortest paths through doors and around
obstacles equal the ones worked out by hand on small plans, and a route that cannot exist names
the wall in the way."""

import math

import pytest

from floorplan.plan import Door, FloorPlan, PlanZone
from floorplan.routing import RouteError, WalkGraph, path_length


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def two_rooms(doors=True, barriers=()):
    zones = (PlanZone("a", "immigration_hall", rect(0, 0, 10, 10), 100.0),
             PlanZone("b", "baggage_reclaim", rect(10, 0, 20, 10), 100.0),
             PlanZone("c", "customs", rect(20, 0, 30, 10), 100.0))
    ds = [Door("b", "c", (20.0, 5.0), 2.0), Door("c", "b", (20.0, 5.0), 2.0)]
    if doors:
        ds += [Door("a", "b", (10.0, 8.0), 2.0), Door("b", "a", (10.0, 8.0), 2.0)]
    return FloorPlan("rooms", zones, doors=tuple(ds), barriers=barriers)


def test_route_through_a_door_bends_at_its_jambs():
    # Clearance 0.5: the rooms shrink to [0.5, 9.5] and [10.5, 19.5]; the 2 m door at y = 8
    # leaves a 1 m gap (7.5 to 8.5). From (2, 2) to (18, 2) the shortest walk touches the
    # door's lower jambs (9.5, 7.5) and (10.5, 7.5).
    g = WalkGraph(two_rooms(), clearance_m=0.5)
    line = g.path((2, 2), (18, 2))
    expected = 2 * math.hypot(7.5, 5.5) + 1.0
    assert path_length(line) == pytest.approx(expected, abs=1e-6)
    assert [tuple(p) for p in line[1:-1]] == [pytest.approx((9.5, 7.5)),
                                              pytest.approx((10.5, 7.5))]


def test_route_in_sight_is_the_straight_line():
    g = WalkGraph(two_rooms(), clearance_m=0.5)
    assert path_length(g.path((2, 2), (8, 9))) == pytest.approx(math.hypot(6, 7))


def test_route_goes_round_a_barrier():
    # A barrier from (15, 0) to (15, 6) in room b, grown by 0.05 + 0.5 with square ends: its
    # top corners at (14.45, 6.55) and (15.55, 6.55).
    plan = two_rooms(barriers=([[15, 0], [15, 6]],))
    g = WalkGraph(plan, clearance_m=0.5)
    line = g.path((12, 2), (18, 2))
    expected = math.hypot(2.45, 4.55) + 1.1 + math.hypot(2.45, 4.55)
    assert path_length(line) == pytest.approx(expected, abs=1e-6)


def test_no_door_names_the_wall_in_the_way():
    g = WalkGraph(two_rooms(doors=False), clearance_m=0.5)
    with pytest.raises(RouteError, match=r"from zone 'a' to zone 'c'.*the wall between 'a' "
                                         r"and 'b' has no door"):
        g.path((2, 2), (25, 2))
    # b and c still connect through their door
    assert path_length(g.path((12, 5), (25, 5))) == pytest.approx(13.0)
