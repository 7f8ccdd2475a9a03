"""The floor plan a scenario gives (sim.layout.floor_plan): the processor points, the way
through them, the doors, belts and camera mounts the simulator and renderers used to compute
each for themselves, checked against values worked out by hand on a small scenario, and pinned
on the shipped scenarios."""

import math
import subprocess
import sys

import numpy as np
import pytest

from floorplan.plan import ZONE_KINDS, FloorPlan, PlanError, PlanZone
from sim.layout import floor_plan
from sim.loader import load_scenario, parse_scenario
from sim.scenario import ZoneKind


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


SMALL = {
    "name": "small", "horizon_s": 3600,
    "terminal": {
        "zones": [
            {"id": "pier", "kind": "gate", "area_m2": 200, "polygon": rect(0, -20, 20, -10)},
            {"id": "hall", "kind": "immigration_hall", "area_m2": 200,
             "polygon": rect(0, 0, 20, 10), "flow_direction": [0, 2]},
            {"id": "reclaim", "kind": "baggage_reclaim", "area_m2": 3600,
             "polygon": rect(0, 20, 60, 60)},
            {"id": "customs", "kind": "customs", "area_m2": 200, "polygon": rect(30, 0, 50, 10)},
            {"id": "out", "kind": "exit", "area_m2": 100, "polygon": rect(60, 0, 70, 10)},
        ],
        "walks": [{"from": "pier", "to": "hall", "distance_m": 30},
                  {"from": "hall", "to": "reclaim", "distance_m": 30},
                  {"from": "reclaim", "to": "customs", "distance_m": 30},
                  {"from": "customs", "to": "out", "distance_m": 30}],
    },
    "immigration": {
        # The queue head (y 6) is north of the gates (y 3): travelers pass through southwards.
        "egate_banks": [{"id": "eg", "count": 3, "placement": {
            "origin": [2, 3], "spacing_m": 1.5, "queue_path": [[4, 6], [4, 9]]}}],
        # No queue path: an unroped line 5 m straight back, and through northwards.
        "desks": [{"id": "dk", "count": 2, "classes": ["national"],
                   "placement": {"origin": [10, 8], "spacing_m": 2}}],
    },
    "flights": {"schedule": [{"id": "F1", "time_s": 0, "passengers": 2, "gate": "pier"}]},
    "travelers": {"mix": {"national": 1.0}},
    "customs": {"officers": 3},
    "cameras": [{"id": "cam", "zone": "hall", "kind": "cctv"},
                {"id": "gatecam", "zone": "hall", "kind": "egate", "bank": "eg"}],
}


@pytest.fixture(scope="module")
def small():
    return floor_plan(parse_scenario(SMALL, "small"))


def test_processor_rows_stand_where_the_placements_say(small):
    eg, dk, customs = small.rows
    assert [r.id for r in small.rows] == ["eg", "dk", "customs"]
    assert (eg.kind, eg.zone, dk.kind, dk.zone) == ("egate", "hall", "desk", "hall")
    assert eg.points.tolist() == [[2.0, 3.0], [3.5, 3.0], [5.0, 3.0]]  # origin + k * spacing
    assert eg.through == (0.0, -1.0)  # away from the queue head, which stands north
    assert eg.queue_path.tolist() == [[4.0, 6.0], [4.0, 9.0]]
    assert eg.queue_line() is eg.queue_path and eg.slot_spacing_m == 0.8
    assert dk.points.tolist() == [[10.0, 8.0], [12.0, 8.0]] and dk.through == (0.0, 1.0)
    assert dk.queue_path is None and dk.queue_line().tolist() == [[10.0, 8.0], [10.0, 3.0]]
    # Customs: 3 officers along the far wall, 0.6 of the 20 m width shared (2 m apart at most),
    # centred on x 40, 1.5 m off the wall; one queue from 3.5 m off the wall down the middle.
    assert (customs.kind, customs.zone, customs.spacing_m) == ("customs", "customs", 2.0)
    assert customs.points.tolist() == [[38.0, 8.5], [40.0, 8.5], [42.0, 8.5]]
    assert customs.queue_path.tolist() == [[40.0, 6.5], [40.0, 0.5]]
    assert customs.through == (0.0, 1.0)
    assert small.rows_in("hall") == [eg, dk] and small.row("customs") is customs


def test_belts_doors_zones_and_camera_mounts(small):
    # 3600 m² of reclaim: two belts across the 60 m width, 0.3 of the depth long, 2.5 m wide.
    assert [(b.zone, b.centre, b.half_length_m, b.half_width_m) for b in small.belts] == [
        ("reclaim", (15.0, 40.0), 12.0, 2.5), ("reclaim", (45.0, 40.0), 12.0, 2.5)]
    doors = {(d.zone, d.toward): d.xy for d in small.doors}
    assert doors == {
        ("pier", "hall"): (10.0, -10.0), ("hall", "pier"): (10.0, 0.0),
        # nearest the reclaim's middle (30, 40), kept 1.5 m off the hall's corner (20, 10)
        ("hall", "reclaim"): (18.5, 10.0), ("reclaim", "hall"): (10.0, 20.0),
        ("reclaim", "customs"): (40.0, 20.0), ("customs", "reclaim"): (31.5, 10.0),
        ("customs", "out"): (50.0, 5.0), ("out", "customs"): (60.0, 5.0)}
    assert [d.toward for d in small.doors_of("reclaim")] == ["customs", "hall"]
    assert small.door("hall", "reclaim").tolist() == [18.5, 10.0]
    hall = small.zone("hall")
    assert hall.flow == (0.0, 1.0) and (hall.space_low_m2, hall.space_high_m2) == (1.0, 1.2)
    assert small.zone("out").space_low_m2 is None and small.zone("out").flow is None
    assert hall.polygon.tolist() == rect(0.0, 0.0, 20.0, 10.0) and hall.area_m2 == 200
    # Only CCTV cameras; one without a position hangs 6 m up in the zone's south-west corner,
    # looking at its middle (10, 5), tilted down at it (between 15 and 60 degrees).
    (cam,) = small.cameras
    assert (cam.id, cam.zone, cam.position) == ("cam", "hall", (1.0, 1.0, 6.0))
    assert cam.yaw_deg == pytest.approx(math.degrees(math.atan2(4, 9)))
    assert cam.tilt_deg == pytest.approx(math.degrees(math.atan2(6, math.hypot(9, 4))))


def test_look_ups_name_what_is_known(small):
    with pytest.raises(KeyError, match=r"unknown camera 'gatecam' \(plan small has: cam\)"):
        small.camera("gatecam")
    with pytest.raises(KeyError, match="unknown zone 'lobby'.*pier, hall, reclaim"):
        small.zone("lobby")
    with pytest.raises(KeyError, match="no door from zone 'pier' towards 'out'"):
        small.door("pier", "out")
    with pytest.raises(KeyError, match="unknown processor row 'x'.*eg, dk, customs"):
        small.row("x")


def test_a_plan_that_does_not_fit_together_is_refused():
    hall = PlanZone("hall", "immigration_hall", rect(0, 0, 20, 10), 200.0)
    with pytest.raises(PlanError, match="zones: ids must be unique, got hall"):
        FloorPlan("p", (hall, hall))
    with pytest.raises(PlanError, match=r"zones\[0\].kind: unknown kind 'lobby'"):
        FloorPlan("p", (PlanZone("hall", "lobby", rect(0, 0, 1, 1), 1.0),))
    with pytest.raises(PlanError, match="at least 3"):
        PlanZone("hall", "immigration_hall", [[0, 0], [1, 1]], 1.0)
    assert hall.polygon.flags.writeable is False  # a plan's arrays are read-only


def test_zone_kinds_are_the_scenarios():
    assert ZONE_KINDS == tuple(k.value for k in ZoneKind)


def test_shipped_scenarios_keep_their_geometry(repo_root, default_scenario):
    demo = floor_plan(load_scenario(repo_root / "scenarios" / "incidents_demo.yaml"))
    eg, dk, customs = demo.rows
    assert eg.points[0].tolist() == [24.0, 20.0] and len(eg.points) == 8 and eg.through == (0, 1)
    assert dk.points[[0, -1]].tolist() == [[3.0, 20.0], [17.4, 20.0]]
    assert customs.points.tolist() == [[63.0, 68.5], [65.0, 68.5], [67.0, 68.5]]
    assert [(b.centre, b.half_length_m, b.half_width_m) for b in demo.belts] == [
        ((25.0, 60.0), 12.0, 2.5)]
    assert demo.door("immigration_hall", "reclaim").tolist() == [25.0, 30.0]
    assert demo.door("reclaim", "immigration_hall").tolist() == [20.0, 40.0]
    assert [c.id for c in demo.cameras] == ["hall_south", "hall_north", "reclaim_cam"]
    icn = floor_plan(default_scenario)
    assert [(r.id, r.zone, r.through) for r in icn.rows] == [
        (r.id, z, (0.0, 1.0)) for r, z in zip(icn.rows, ["immigration_hall"] * 3 + ["customs"])]
    assert icn.row(icn.rows[0].id).points[0].tolist() == [130.0, 42.0]


def test_floorplan_imports_neither_sim_nor_pipeline():
    code = ("import sys, floorplan.plan, floorplan.site, floorplan.shapes, floorplan.camera; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sim', 'pipeline'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
