"""Fixtures of the terminal model's tests."""

import pytest

from sim.loader import parse_scenario
from tiny_scenarios import tiny_data


@pytest.fixture
def tiny():
    def make(**changes):
        return parse_scenario(tiny_data(**changes), "tiny.yaml")
    return make
