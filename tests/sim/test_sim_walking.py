"""Walking in the fast mode (sim.walking): Weidmann's speed-density relation, congestion off
equal to the model before it, routed distances in the model, queue space and spillback."""

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.layout import floor_plan
from sim.loader import ScenarioError, load_scenario, parse_scenario
from sim.positions import Trajectories
from sim.terminal import simulate
from sim.walking import walk_routes, weidmann_factor

from tiny_scenarios import tiny_data

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_weidmann_factor_published_points():
    # Weidmann (1993): v = v0 (1 - exp(-1.913 (1/rho - 1/5.4))); v0 = 1.34 m/s gives about
    # 1.06 m/s at 1 person/m² and 0.33 m/s at 3 persons/m².
    assert 1.34 * weidmann_factor(1.0) == pytest.approx(1.058, abs=0.002)
    assert 1.34 * weidmann_factor(3.0) == pytest.approx(0.331, abs=0.002)
    assert weidmann_factor(0.0) == 1.0 and weidmann_factor(0.04) == 1.0  # exactly free
    assert weidmann_factor(5.4) == weidmann_factor(50.0) == 0.1  # floored: a jam creeps
    rho = np.linspace(0.1, 4.1, 40)  # the floor takes over at about 4.2 persons/m²
    assert np.all(np.diff([weidmann_factor(r) for r in rho]) < 0)


def test_congestion_off_gives_the_figures_of_before():
    # Regression values from the model before walking had congestion (main at dc95804): the
    # regional airport scenario, generator seed 7.
    s = load_scenario(SCENARIOS / "regional_airport.yaml")
    walking = s.terminal.walking.model_copy(update={"congestion": False})
    s = s.model_copy(update={"terminal": s.terminal.model_copy(update={"walking": walking})})
    f = simulate(s, np.random.default_rng(7)).frames()
    assert len(f["walks"]) == 4080
    assert float(f["walks"]["t1"].sum()) == 28681484.954518594
    assert float(f["visits"]["start_t"].sum()) == 13940591.5829019
    assert float(f["travelers"]["exit_t"].sum()) == 7435807.500284424


def crowded(congestion: bool, width: float = 1.0, **changes):
    """200 travelers off one aircraft at 200/min onto a 10 m walk ``width`` m wide."""
    return parse_scenario(tiny_data(
        terminal__walking={"congestion": congestion, "corridor_width_m": width},
        flights__deplaning={"door_open_s": 0, "rate_per_min": 200},
        flights__schedule__0__passengers=200, **changes), "crowded.yaml")


def test_a_crowded_corridor_slows_everyone_in_it():
    free = simulate(crowded(False), np.random.default_rng(1)).frames()["walks"]
    slow = simulate(crowded(True), np.random.default_rng(1)).frames()["walks"]
    first = [w[w["from_zone"] == "gate"].set_index("traveler_id") for w in (free, slow)]
    d_free, d_slow = (w["t1"] - w["t0"] for w in first)
    assert np.allclose(d_free, 10.0)  # 10 m at 1 m/s
    assert (d_slow >= 10.0 - 1e-9).all()
    assert d_slow.max() > 15.0  # tens of walkers on 10 m²
    # a wide corridor holds the same crowd at low density: (nearly) free speed
    wide = simulate(crowded(True, width=200.0), np.random.default_rng(1)).frames()["walks"]
    d_wide = wide[wide["from_zone"] == "gate"].eval("t1 - t0")
    assert d_wide.max() < 10.5


def spill_scenario(queue_space: bool):
    """One slow desk; its roped queue holds 6 (4 m at 0.8 m); 40 travelers arrive at once."""
    return parse_scenario(tiny_data(
        terminal__walking={"queue_space": queue_space, "corridor_width_m": 1.0},
        immigration__egate_banks=[],
        immigration__desks__0__service_time=60,
        immigration__desks__0__placement={"origin": [23, 7], "queue_path": [[23, 6], [23, 2]],
                                          "slot_spacing_m": 0.8},
        flights__deplaning={"door_open_s": 0, "rate_per_min": 60},
        flights__schedule__0__passengers=40), "spill.yaml")


def test_spillback_when_the_queue_is_full():
    s = spill_scenario(True)
    row = floor_plan(s).row("dk")
    assert row.queue_slots == 6
    f = simulate(s, np.random.default_rng(1)).frames()
    t = 200.0
    traj = Trajectories.from_records(f, s)
    pos = traj.positions_at(t)
    queued = pos[pos["activity"] == "queueing"]
    line = traj.queue_path("dk")
    on_line = (np.isclose(queued["x"], line[0, 0])
               & queued["y"].between(line[-1, 1] - 1e-6, line[0, 1] + 1e-6))
    assert on_line.sum() == 6  # the ropes are full ...
    spilled = queued[~on_line]
    assert len(spilled) == len(queued) - 6 > 10  # ... and the rest stand round its tail,
    hall = s.zone("hall").polygon  # in the hall, each on a place of their own
    assert spilled["zone"].eq("hall").all(), hall
    assert not spilled.duplicated(["x", "y"]).any()
    assert np.hypot(spilled["x"] - 23, spilled["y"] - 2).max() < 4.0
    # Spilled travelers crowd the walk into the hall: later arrivals walk slower than without.
    walks_on = f["walks"][f["walks"]["from_zone"] == "gate"].eval("t1 - t0")
    off = simulate(spill_scenario(False), np.random.default_rng(1)).frames()["walks"]
    walks_off = off[off["from_zone"] == "gate"].eval("t1 - t0")
    assert walks_on.max() > walks_off.max() + 1.0


WALLED = {
    "zones": [
        {"id": "gate", "kind": "gate", "area_m2": 100, "polygon": [[0, 0], [10, 0], [10, 10],
                                                                   [0, 10]]},
        {"id": "hall", "kind": "immigration_hall", "area_m2": 200,
         "polygon": [[10, 0], [30, 0], [30, 10], [10, 10]]},
        {"id": "reclaim", "kind": "baggage_reclaim", "area_m2": 300,
         "polygon": [[30, -10], [40, -10], [40, 20], [30, 20]]},
        {"id": "customs", "kind": "customs", "area_m2": 50,
         "polygon": [[40, 0], [50, 0], [50, 10], [40, 10]]},
        {"id": "out", "kind": "exit", "area_m2": 50,
         "polygon": [[50, 0], [60, 0], [60, 10], [50, 10]]},
    ],
    "doors": [{"between": ["gate", "hall"], "at": [10, 5]},
              {"between": ["hall", "reclaim"], "at": [30, 5]},
              {"between": ["reclaim", "customs"], "at": [40, 5]},
              {"between": ["customs", "out"], "at": [50, 5]}],
    "walking": {"congestion": False},
}


def walled(**changes):
    data = tiny_data(**changes)
    data["terminal"] = copy.deepcopy(WALLED)
    return data


def test_walks_come_from_the_plan():
    s = parse_scenario(walled(), "walled.yaml")
    routes = walk_routes(s)
    # customs (45, 5) to out (55, 5) through the door at (50, 5): a straight 10 m
    assert routes.distance["customs", "out"] == pytest.approx(10.0)
    f = simulate(s, np.random.default_rng(1)).frames()
    w = f["walks"].set_index(["traveler_id", "from_zone"])
    assert w.loc[(0, "customs"), "t1"] - w.loc[(0, "customs"), "t0"] == pytest.approx(10.0)
    # the walk into the hall: 5 m to its door, then on to the e-gate queue's tail
    into = routes.distance["gate", "hall"] + routes.into_queue_m("gate", "eg")
    assert w.loc[(0, "gate"), "t1"] - w.loc[(0, "gate"), "t0"] == pytest.approx(into)
    # positions walk the routed polyline: on the floor all the way, never off the plan
    traj = Trajectories.from_records(f, s)
    for t in np.arange(0.5, 60, 1.5):
        pos = traj.positions_at(float(t))
        walking = pos[pos["activity"] == "walking"]
        assert (walking["zone"] != "").all()


def test_typed_walks_override_routed_ones():
    data = walled()
    data["terminal"]["walks"] = [{"from": "customs", "to": "out", "distance_m": 99}]
    data["terminal"]["walks"].append({"from": "gate", "to": "hall", "distance_m": 7})
    s = parse_scenario(data, "walled.yaml")
    routes = walk_routes(s)
    assert routes.distance["customs", "out"] == 99
    assert ("customs", "out") not in routes.polyline
    assert routes.into_queue_m("gate", "eg") == 0.0  # a typed walk ends where it is typed
    w = simulate(s, np.random.default_rng(1)).frames()["walks"].set_index(
        ["traveler_id", "from_zone"])
    assert w.loc[(0, "gate"), "t1"] - w.loc[(0, "gate"), "t0"] == pytest.approx(7.0)
    assert w.loc[(0, "customs"), "t1"] - w.loc[(0, "customs"), "t0"] == pytest.approx(99.0)


def test_a_missing_door_is_an_error_naming_the_wall():
    data = walled()
    data["terminal"]["doors"] = [d for d in data["terminal"]["doors"]
                                 if d["between"] != ["hall", "reclaim"]]
    with pytest.raises(ScenarioError, match=r"walled.yaml: terminal.doors: no walking route "
                                            r"from zone 'hall' to zone 'reclaim'.*the wall "
                                            r"between 'hall' and 'reclaim' has no door"):
        parse_scenario(data, "walled.yaml")


def test_a_door_off_the_wall_is_an_error():
    data = walled()
    data["terminal"]["doors"][0]["at"] = [12, 5]
    with pytest.raises(ScenarioError, match=r"terminal.doors\[0\].at: must lie on the wall of "
                                            r"zone 'gate'"):
        parse_scenario(data, "walled.yaml")


def test_layout_pair_differs_in_walking_only_by_layout():
    front = load_scenario(SCENARIOS / "layout_egates_front.yaml")
    back = load_scenario(SCENARIOS / "layout_egates_back.yaml")
    assert front.flights == back.flights and front.travelers == back.travelers
    rf, rb = walk_routes(front), walk_routes(back)
    # e-gates by the entrance: a short walk to their queue, a long one from them to reclaim
    assert rf.into_queue_m("pier_east", "egates") < rb.into_queue_m("pier_east", "egates") - 20
    assert rf.from_row_m("egates", 0) > rb.from_row_m("egates", 0) + 20
    assert not math.isinf(floor_plan(front).row("egates").queue_slots)


def test_compare_shows_the_layouts_difference():
    from typer.testing import CliRunner

    from airtwin.cli import app

    files = [str(SCENARIOS / f"layout_egates_{x}.yaml") for x in ("front", "back")]
    result = CliRunner().invoke(app, ["compare", *files, "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["figure"]: r for r in json.loads(result.stdout)}
    front, back = "layout_egates_front", "layout_egates_back"
    for key in ("immigration_wait_mean_s", "hall_m2_per_pax_min", "walk_per_traveler_mean_s",
                "walk_crowd_delay_mean_s", "spill_max_pax"):
        r = rows[key]
        assert math.isfinite(r[front]) and math.isfinite(r[back]), key
        assert r[f"{back} - {front}"] == pytest.approx(r[back] - r[front]), key
    assert rows["spill_max_pax"][front] > 0  # the desks' ropes fill at the peak
    assert rows["walk_crowd_delay_mean_s"][front] > 0  # ... and crowd the walk into the hall
    assert rows["walk_per_traveler_mean_s"][front] != rows["walk_per_traveler_mean_s"][back]
