"""Density over the plan on a hand-built case: two zones, a handful of people placed by hand,
every count and m² per traveler worked out on paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from floorplan.plan import FloorPlan, PlanZone
from sim.density import (cell_density, density_tables, fruin_level, iata_status, polygon_area,
                         worst_moments, zone_density)


@pytest.fixture()
def plan() -> FloorPlan:
    # hall 10 m x 4 m = 40 m² with IATA band 1.0-1.2 m²; corridor 10 m x 2 m = 20 m², no band.
    hall = PlanZone("hall", "immigration_hall", [(0, 0), (10, 0), (10, 4), (0, 4)], 999.0,
                    space_low_m2=1.0, space_high_m2=1.2)
    corridor = PlanZone("corridor", "corridor", [(0, 4), (10, 4), (10, 6), (0, 6)], 999.0)
    return FloorPlan("hand-built", (hall, corridor))


def _positions(rows) -> pd.DataFrame:
    t, x, y = zip(*rows)
    return pd.DataFrame({"t": t, "traveler_id": range(len(t)), "x": x, "y": y, "zone": "",
                         "activity": "walking"})


def test_zone_density_counts_and_levels(plan):
    # t=0: 40 people in the hall (1.0 m² each), 1 in the corridor; t=10: 10 in the hall, none
    # in the corridor; one person outside both zones at t=10 counts nowhere.
    hall_40 = [(0.0, 0.5 + (k % 10), 0.5 + (k // 10) * 0.9) for k in range(40)]
    rows = hall_40 + [(0.0, 5.0, 5.0)] + [(10.0, 0.5 + k, 1.0) for k in range(10)] + \
        [(10.0, 20.0, 20.0)]
    d = zone_density(_positions(rows), plan).set_index(["t", "zone"])
    assert polygon_area(plan.zone("hall").polygon) == 40.0
    assert d.loc[(0.0, "hall"), "travelers"] == 40
    assert d.loc[(0.0, "hall"), "m2_per_pax"] == pytest.approx(1.0)
    assert d.loc[(0.0, "hall"), "iata_status"] == "optimum"
    assert d.loc[(0.0, "hall"), "fruin_los"] == "B"  # Fruin's queueing table: 0.9-1.2 m²
    assert d.loc[(10.0, "hall"), "m2_per_pax"] == pytest.approx(4.0)
    assert d.loc[(10.0, "hall"), "iata_status"] == "over-design"
    assert d.loc[(0.0, "corridor"), "m2_per_pax"] == pytest.approx(20.0)
    assert d.loc[(0.0, "corridor"), "fruin_los"] == "A"
    assert d.loc[(10.0, "corridor"), "travelers"] == 0
    assert np.isinf(d.loc[(10.0, "corridor"), "m2_per_pax"])
    assert d.loc[(10.0, "corridor"), "iata_status"] == "empty"
    assert d["travelers"].sum() == 40 + 1 + 10


def test_cells_count_who_stands_in_them():
    # Three people in cell (0, 0) of 2 m cells, one in cell (2, 1); at t=5 one in (0, 0).
    pos = _positions([(0.0, 0.2, 0.2), (0.0, 1.9, 1.9), (0.0, 1.0, 0.5), (0.0, 5.5, 3.0),
                      (5.0, 0.1, 0.1)])
    c = cell_density(pos, origin=(0.0, 0.0), cell_m=2.0).set_index(["t", "ix", "iy"])
    assert list(c.index) == [(0.0, 0, 0), (0.0, 2, 1), (5.0, 0, 0)]
    assert c.loc[(0.0, 0, 0), "travelers"] == 3
    assert c.loc[(0.0, 0, 0), "m2_per_pax"] == pytest.approx(4 / 3)
    assert c.loc[(0.0, 0, 0), "fruin_los"] == "D"  # walkway 0.9-1.4 m²
    assert (c.loc[(0.0, 2, 1), "x"], c.loc[(0.0, 2, 1), "y"]) == (5.0, 3.0)
    assert c.loc[(5.0, 0, 0), "fruin_los"] == "A"


def test_fruin_and_iata_edges():
    assert list(fruin_level([3.3, 3.29, 0.5, 0.49, np.inf], "walkway")) == ["A", "B", "E", "F",
                                                                            ""]
    assert list(fruin_level([1.2, 0.25, 0.1], "queue")) == ["A", "E", "F"]
    assert list(iata_status([1.3, 1.1, 0.9, np.inf], 1.0, 1.2)) == [
        "over-design", "optimum", "sub-optimum", "empty"]
    with pytest.raises(ValueError, match="fruin standard"):
        fruin_level([1.0], "stairs")


def test_worst_moments_list_each_crush_once(plan):
    # The hall is crowded at t=0..20 (one long crush) and again at t=400; the worst list takes
    # t=10 (the peak of the first crush) and t=400, not t=0 or t=20 beside it.
    rows = []
    for t, n in ((0.0, 20), (10.0, 40), (20.0, 30), (400.0, 25)):
        rows += [(t, 0.5 + (k % 10), 0.5 + (k // 10) * 0.9) for k in range(n)]
    w = worst_moments(zone_density(_positions(rows), plan), n=3)
    assert list(zip(w["zone"], w["t"])) == [("hall", 10.0), ("hall", 400.0)]
    assert list(w["rank"]) == [1, 2]


def test_density_tables_from_one_positions_table(plan):
    pos = _positions([(0.0, 1.0, 1.0), (10.0, 1.0, 5.0)])
    tables = density_tables(pos, plan, times=np.array([0.0, 10.0, 20.0]))
    assert set(tables) == {"density_zones", "density_cells", "density_worst"}
    z = tables["density_zones"]
    assert len(z) == 3 * 2  # every instant asked for, every zone, even when empty
    assert z[z["t"] == 20.0]["travelers"].sum() == 0
