"""Fixtures for the CCTV tests: the incidents demo scenario, one simulated run of it (shared),
and one feed per camera built on that run."""

import pytest

from sim.feeds import CctvFeed, simulate_run
from sim.loader import load_scenario
from sim.positions import Trajectories


@pytest.fixture(scope="session")
def demo(repo_root):
    return load_scenario(repo_root / "scenarios" / "incidents_demo.yaml")


@pytest.fixture(scope="session")
def demo_records(demo):
    return simulate_run(demo, demo.seed)


@pytest.fixture(scope="session")
def demo_traj(demo, demo_records):
    return Trajectories.from_records(demo_records, demo)


@pytest.fixture(scope="session")
def demo_feeds(demo, demo_records, demo_traj):
    return {c.id: CctvFeed(demo, c.id, records=demo_records, trajectories=demo_traj)
            for c in demo.cameras if c.kind == "cctv"}
