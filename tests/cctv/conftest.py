"""Fixtures for the CCTV tests: the incidents demo scenario, one simulated run of it (shared),
and one feed per camera built on that run."""

import pytest

from sim.feeds import CctvFeed, simulate_run
from sim.loader import load_scenario
from sim.positions import Trajectories


@pytest.fixture(scope="session")
def simulated(repo_root):
    """``simulated(name)``: a shipped scenario and the records of its run at its own seed,
    simulated once per session."""
    runs = {}

    def get(name: str):
        if name not in runs:
            s = load_scenario(repo_root / "scenarios" / f"{name}.yaml")
            runs[name] = (s, simulate_run(s, s.seed))
        return runs[name]

    return get


@pytest.fixture(scope="session")
def demo(simulated):
    return simulated("incidents_demo")[0]


@pytest.fixture(scope="session")
def demo_records(simulated):
    return simulated("incidents_demo")[1]


@pytest.fixture(scope="session")
def demo_traj(demo, demo_records):
    return Trajectories.from_records(demo_records, demo)


@pytest.fixture(scope="session")
def demo_feeds(demo, demo_records, demo_traj):
    return {c.id: CctvFeed(demo, c.id, records=demo_records, trajectories=demo_traj)
            for c in demo.cameras if c.kind == "cctv"}
