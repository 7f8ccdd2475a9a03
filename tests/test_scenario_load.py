from pathlib import Path

import pytest

from sim.loader import ScenarioError, load_scenario

SCENARIOS = sorted(Path(__file__).parents[1].joinpath("scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path):
    s = load_scenario(path)
    assert s.flights.schedule


def test_unknown_field_is_an_error(tmp_path):
    src = SCENARIOS[0].read_text().replace("seed:", "seeed:", 1)
    p = tmp_path / "bad.yaml"
    p.write_text(src)
    with pytest.raises(ScenarioError, match=r"bad.yaml: seeed: unknown field"):
        load_scenario(p)
