"""Abandoned bags far off (issue 12, round 12: danger-bags2). Tune seed 47 (29.5 m, 720p): the
staged bag, set down by its owner who walked on, stood still 140 s, 0.62 m tall less the blur
margin, where a standing body is 49.6 px tall: one pixel short of the rules' ``min_shape_px``
(50), so the bag rule never judged it. The bag rule now reads figures down to its own
``abandoned_bag.min_shape_px`` (45). The bag case fails on 6e2e5bc and with the key at None."""

from danger_clips import FLOOR
from test_s22_close import _judge, _obs

from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import OBJECT, PERSON

# the clips' camera at 360p: a standing body 16 m off is 47.9 px tall
SPOT = (0.0, 16.0)


def _left(bag_h: float = 0.85, bag_w: float = 0.6, persons: float = 0.35, owner_leaves=True):
    """Walks to SPOT, stands 3 s with the bag, then walks on along the hall (or stays beside
    it); the bag stays 0.45 m beside the spot, seen on its own from 7.6 s."""
    def owner(t):
        if t < 4.0:
            return _obs(SPOT[0] - 1.2 * (4.0 - t), SPOT[1], PERSON, 1.7, 0.5, 0.9, FLOOR)
        if t < 7.0 or not owner_leaves:
            return _obs(*SPOT, PERSON, 1.7, 0.8, 1.2, FLOOR)
        x = SPOT[0] + 1.3 * (t - 7.0)
        return _obs(x, SPOT[1], PERSON, 1.7, 0.5, 0.9, FLOOR) if x < 11.0 else None

    def bag(t):
        return (_obs(SPOT[0] + 0.45, SPOT[1], OBJECT, bag_h, bag_w, persons, FLOOR)
                if t >= 7.6 else None)
    return [owner, bag]


def _kinds(things, config: DangerConfig = DangerConfig()) -> list[str]:
    return [k for k, _ in _judge(things, 45.0, FLOOR, config=config)]


def test_a_bag_left_where_a_body_is_48_px_is_judged():
    assert _kinds(_left()) == ["abandoned_bag"]


def test_off_it_is_not():
    off = DangerConfig.model_validate(
        {"rules": {"abandoned_bag": {"min_shape_px": None}}})
    assert _kinds(_left(), off) == []


def test_a_bag_whose_owner_stays_is_no_alert_there():
    # control: luggage parked by someone who stays with it
    assert _kinds(_left(owner_leaves=False)) == []


def test_a_scrap_that_far_is_still_no_bag():
    # control: a 0.25-m sliver (less than 0.25 m once the margin is taken off) is no bag
    assert _kinds(_left(0.3, 0.3, 0.08)) == []


def test_the_bag_threshold_is_the_rules_one_when_unset():
    cfg = DangerConfig.model_validate({"rules": {"min_shape_px": 45.0,
                                                 "abandoned_bag": {"min_shape_px": None}}})
    assert _kinds(_left(), cfg) == ["abandoned_bag"]
