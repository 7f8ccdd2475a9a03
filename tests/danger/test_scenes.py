"""The procedural benchmark's scenes (issue 12): deterministic by seed, varied within the
issue's ranges, and every staged incident inside its camera's view."""

import numpy as np
import pytest

from experiments.danger_scenes import MIN_PERSON_PX, TEST_SEEDS, TUNE_SEEDS, _View, scene

SEEDS = (0, 3, 7, 1000, 1013)


@pytest.fixture(scope="module")
def scenes():
    return {s: scene(s) for s in SEEDS}


def test_a_seed_gives_the_same_scene_and_seeds_differ(scenes):
    assert scene(1000) == scenes[1000]
    cams = {tuple(scenes[s][0]["cameras"][0]["position"]) for s in SEEDS}
    assert len(cams) == len(SEEDS)
    assert not set(TUNE_SEEDS) & set(TEST_SEEDS)


def test_cameras_and_halls_stay_in_the_issue_ranges(scenes):
    for data, info in scenes.values():
        cam = data["cameras"][0]
        assert 3 <= cam["position"][2] <= 10 and 20 <= cam["tilt_deg"] <= 60
        assert 50 <= cam["fov_deg"] <= 100 and cam["resolution"] in ([1280, 720], [1920, 1080])
        assert info["crowd"] in ("quiet", "normal", "busy", "surge")
        assert sum(i["near_miss"] for i in info["incidents"]) <= 1
        assert len(data["incidents"]) == len(info["incidents"]) >= 3


def test_every_incident_is_inside_its_cameras_view(scenes):
    for data, info in scenes.values():
        view = _View(data)
        for inc, fact in zip(data["incidents"], info["incidents"]):
            assert inc["kind"] == fact["kind"]
            spot = np.array([fact["x"], fact["y"]])
            if inc["kind"] == "tailgating":
                th = np.asarray(view.gates.through)
                assert view.sees([spot - 2.5 * th, spot + 2.5 * th]).all()
                continue
            assert view.sees(spot)[0], (info["seed"], inc)
            foot = view.cam.floor_to_image(spot[None])[0]
            head = view.cam.project(np.array([[*spot, 1.7]]))[0][0]
            assert foot[1] - head[1] >= MIN_PERSON_PX
            if inc["kind"] == "overcrowding":
                half = np.sqrt(inc["params"]["area_m2"]) / 2
                corners = spot + half * np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
                assert view.sees(corners).all()


@pytest.mark.parametrize("seed", [4, 13])
def test_tailgating_is_staged_only_at_gates_the_rule_can_resolve(seed):
    """Tune seeds 4 and 13 staged tailgating at gates 24-29 m away whose pass depth spans
    fewer pixels than the rule's ``min_gate_px``: the rule skips such gates by design, so the
    generator now stages at the nearest gate the rule judges."""
    from experiments.danger_scenes import resolvable_gates

    data, info = scene(seed)
    gates = [inc["params"]["gate"] for inc in data["incidents"] if inc["kind"] == "tailgating"]
    assert gates
    assert set(gates) <= resolvable_gates(_View(data))
