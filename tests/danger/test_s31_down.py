"""A left bag is not a person down (issue 12, round 15, branch danger-down; traced on the staged
bag batch 450-459, busy and surge halls): far off, where no lying body reads as tall as
``Fall.down_min_height_m``, the fall rule takes an object whose OWN lineage was the upright
person on that spot for a person down (round 11). In a crowd a bag owner's track stays on the
bag set down while the owner steps off and is lost: the blob first stretches (the owner moving
off, 1.93-2.53 m) and the part left reads "object" in one frame — 9 false falls at staged
bags. A faller's own track reads shorter on its way down (about 0.64-0.84 of its standing
height on tune seeds 43, 46, 50, 51, 60 and staged fall 420). ``Fall.down_own_came_down``
(0.9) asks for that. The bag cases fail on 0113ef2 (and with the key 0)."""

from test_s22_close import SPOT, _judge, _obs, _walker_down
from test_s27_far_fall import FAR

from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import OBJECT, PERSON


def _owner_sets_down(last_m: float = 2.2):
    """Walks to SPOT, stands 3 s, the blob stretches to ``last_m`` (the owner stepping off
    behind, lost in the crowd), then the bag left on the spot reads as the same track."""
    def f(t):
        if t < 4.0:
            return _obs(SPOT[0] - 1.2 * (4.0 - t), SPOT[1], PERSON, 1.7, 0.5, 0.9, FAR)
        if t < 6.0:
            return _obs(*SPOT, PERSON, 1.7, 0.8, 1.1, FAR)
        if t < 7.0:
            return _obs(*SPOT, PERSON, 1.7 + (last_m - 1.7) * (t - 6.0), 0.9, 1.1, FAR)
        return _obs(*SPOT, OBJECT, 0.58, 0.6, 0.4, FAR)
    return f


def _kinds(things, config=DangerConfig()):
    return [k for k, _ in _judge(things, 30.0, floor=FAR, config=config)]


def test_a_bag_whose_owners_track_stays_on_it_is_no_fall():
    assert "fall" not in _kinds([_owner_sets_down()])


def test_a_bag_whose_owner_read_as_tall_as_standing_is_no_fall():
    # staged 454, 459: the last upright reading 1.93-1.99 m on a lineage standing 1.75-2.0 m
    assert "fall" not in _kinds([_owner_sets_down(1.75)])


def test_off_the_bag_is_the_old_false_fall():
    cfg = DangerConfig.model_validate({"rules": {"fall": {"down_own_came_down": 0.0}}})
    assert _kinds([_owner_sets_down()], cfg) == ["fall"]


def test_a_faller_seen_going_down_is_still_a_fall():
    # tune seed 46: 1.59 m on its way down from 1.86-1.98 m (0.84 of standing)
    hits = _judge([_walker_down(0.58, 0.65, 0.35, floor=FAR, way_down_m=1.43)], 30.0, floor=FAR)
    assert [k for k, _ in hits] == ["fall"], hits
