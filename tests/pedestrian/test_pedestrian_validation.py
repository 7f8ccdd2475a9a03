"""The pedestrian model against published measurements, on seeds it was not fitted on (it was
fitted on seed 3; see sim.pedestrian.validation)."""

from __future__ import annotations

import pytest

from sim.pedestrian.crowd import weidmann_speed
from sim.pedestrian.validation import bottleneck_flow, corridor_speed

# Weidmann's (1993) data scatter about +-0.3 m/s around his curve at a given density (his
# Fig. 2.8 and Buchmueller & Weidmann 2006); we ask for less.
WEIDMANN_SCATTER = 0.25


def test_weidmann_curve_itself():
    assert float(weidmann_speed(0.0)) == pytest.approx(1.34)
    assert float(weidmann_speed(5.4)) == pytest.approx(0.0)
    assert float(weidmann_speed(2.0)) == pytest.approx(0.605, abs=0.01)


@pytest.mark.parametrize("density", [0.5, 1.0, 2.0])
def test_corridor_speed_follows_weidmann(density):
    r = corridor_speed(density, seed=11)
    assert r.density == pytest.approx(density, abs=0.35)  # the crowd is where we put it
    assert abs(r.speed - r.weidmann) <= WEIDMANN_SCATTER, r


def test_door_flow_in_published_range():
    r = bottleneck_flow(1.2, seed=12, people=90)
    assert r.passed >= 80, r
    assert 1.3 <= r.specific_flow <= 1.9, r
