"""Round 15 (issue 12, abandoned bags far off in busy halls): the benchmark stages a left bag
only where the bag itself is in the picture. A staged batch of 30 bags at 15-40 m in busy and
surge halls (seeds 450-453) lost 4 of its 9 misses to bags set down behind the processor row:
the desk counters (1.1 m) and e-gate cabinets (1.0 m) hide a 0.55 m bag while the owner's head
shows, so no camera could see them (tune seed 19's bag at 29.9 m is the same case)."""

import numpy as np
import pytest

from experiments.danger_scenes import BAG_HEIGHT_M, _View, scene
from sim.cctv.scene import hidden_share, processor_props

SEED19_HIDDEN_SPOT = (20.1, 33.0)  # where 0042ea5's generator set tune seed 19's fourth bag


def _bag(view, xy):
    """A bag's points at ``xy`` from the floor to BAG_HEIGHT_M, as one thing (1, K, 3)."""
    return np.array([[[xy[0], xy[1], z] for z in np.linspace(0.03, BAG_HEIGHT_M, 6)]])


@pytest.fixture(scope="module")
def seed19():
    data, info = scene(19)
    view = _View(data)
    return data, info, view, processor_props(view.plan, view.cam)


def test_a_bag_behind_the_desks_is_hidden_and_one_on_open_floor_is_not(seed19):
    _, info, view, props = seed19
    assert props  # the hall's desks and e-gate cabinets
    assert hidden_share(view.cam, props, _bag(view, SEED19_HIDDEN_SPOT))[0] >= 0.5
    for f in info["incidents"]:
        if f["kind"] == "abandoned_bag":
            assert hidden_share(view.cam, props, _bag(view, (f["x"], f["y"])))[0] < 0.5


def test_every_staged_bag_is_in_the_picture(seed19):
    """Fails on 0042ea5: tune seed 19 staged its fourth bag behind the desks (20.1, 33.0)."""
    for s in (19, 0, 2, 5):
        data, info = scene(s) if s != 19 else seed19[:2]
        view = _View(data)
        bags = [f for f in info["incidents"] if f["kind"] == "abandoned_bag"]
        assert bags
        for f in bags:
            assert view.bag_in_picture([f["x"], f["y"]])[0], (s, f)
            assert np.hypot(f["x"] - SEED19_HIDDEN_SPOT[0], f["y"] - SEED19_HIDDEN_SPOT[1]) > 1


def test_the_check_draws_no_extra_random_numbers():
    """Only a scene whose bag would be hidden changes: seed 19 keeps its camera, crowd and its
    other incidents (the candidates are drawn as before; only which one is taken differs)."""
    data, info = scene(19)
    assert info["crowd"] == "quiet" and info["resolution"] == "1080p"
    kinds = [(f["kind"], f["near_miss"]) for f in info["incidents"]]
    assert kinds.count(("abandoned_bag", False)) >= 1 and len(kinds) == 4
