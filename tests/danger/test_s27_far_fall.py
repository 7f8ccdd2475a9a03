"""A far fall whose own track went down (issue 12, the lead's round 11, traced on fresh seeds
40-59): beyond ~25 m a body lying along the line of sight reads shorter than the bag-excluding
height ``Fall.down_min_height_m`` (0.8 m), so no body there could pass the size test; the
evidence left is the track itself: the upright walker's own track went low in place, its head
came down, and nobody walked away. Fails on 961b2b4 (and with ``down_own_px`` 0); the controls
keep their verdicts."""

from test_s22_close import SPOT, _judge, _obs, _walker_down

from pipeline.danger.config import DangerConfig
from pipeline.danger.floor import FloorMap
from pipeline.danger.observe import OBJECT, PERSON

# a camera 8 m up, SPOT 34 m off: a standing body 67 px tall, a body lying along the line of
# sight reads at most 0.66 m (FloorMap.lying_height_m), under down_min_height_m
FAR = FloorMap.from_pose((0.0, -20.0, 8.0), 90.0, 20.0, 70.0, (1920, 1080))


def test_the_far_spot_is_where_the_size_test_cannot_pass():
    assert FAR.lying_height_m(SPOT)[0] < DangerConfig().rules.fall.down_min_height_m


def test_a_walker_whose_own_track_went_low_far_off_is_a_fall():
    # fresh seed 43 (34 m, 74 px): track 174 went from 1.49-1.88 m upright to an "object"
    # 0.55 m tall, 0.68 m wide within 2 s, and lay still 60 s; seeds 44, 46, 50, 51 alike
    # (round 15: on its way down it read 1.49 m, its head seen coming down)
    hits = _judge([_walker_down(0.58, 0.65, 0.35, floor=FAR, way_down_m=1.49)], 30.0, floor=FAR)
    assert [k for k, _ in hits] == ["fall"], hits


def test_off_it_is_no_fall():
    # with the key off the far faller is missed (the round-10 behaviour)
    cfg = DangerConfig.model_validate({"rules": {"fall": {"down_own_px": 0.0}}})
    hits = _judge([_walker_down(0.58, 0.65, 0.35, floor=FAR)], 30.0, floor=FAR, config=cfg)
    assert "fall" not in [k for k, _ in hits]


def test_a_far_bag_left_by_a_walker_who_walks_on_is_no_fall():
    # the owner stands 3 s at SPOT with the bag, then walks on: someone walked away from it
    def owner(t):
        if t < 4.0:
            return _obs(SPOT[0] - 1.2 * (4.0 - t), SPOT[1], PERSON, 1.7, 0.5, 0.9, FAR)
        if t < 7.0:
            return _obs(*SPOT, PERSON, 1.7, 0.8, 1.2, FAR)
        x = SPOT[0] + 1.3 * (t - 7.0)
        return _obs(x, SPOT[1], PERSON, 1.7, 0.5, 0.9, FAR) if x < 11.0 else None

    def bag(t):
        return _obs(SPOT[0] + 0.45, SPOT[1], OBJECT, 0.58, 0.6, 0.35, FAR) if t >= 7.6 else None
    assert "fall" not in [k for k, _ in _judge([owner, bag], 45.0, floor=FAR)]


def test_a_far_scrap_is_no_fall():
    # a half-hidden walker's scrap, 0.35 m tall, where they were last seen upright
    assert _judge([_walker_down(0.35, 0.3, 0.1, floor=FAR)], 20.0, floor=FAR) == []
