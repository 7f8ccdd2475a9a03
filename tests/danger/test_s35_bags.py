"""A bag whose owner's track stays on it (issue 12, round 19, branch danger-bags4; the staged
bag batch 650-659 at 15-35 m). In a busy hall the owner stops with the bag, steps out of the
blob and walks off as a new track; the tracker keeps the owner's lineage on the bag, so when
its track first reads as an object nobody else was upright within ``owner_radius_m`` in the
last ``owner_recent_s`` and the bag rule took it for a ghost ("no owner": round 15's census).
``AbandonedBag.owner_self_s`` lets such a bag own itself. The bag case fails on a29ce4b."""

from danger_clips import FLOOR
from test_s22_close import SPOT, _judge, _obs
from test_s28_bags import _left
from test_s27_far_fall import FAR
from test_s31_down import _owner_sets_down

from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import GROUP, OBJECT, PERSON

ON = DangerConfig.model_validate({"rules": {"abandoned_bag": {"owner_self_s": 3.0}}})


def _kinds(things, config=ON):
    return [k for k, _ in _judge(things, 45.0, floor=FAR, config=config)]


def test_a_bag_whose_owners_track_stays_on_it_is_left():
    assert _kinds([_owner_sets_down()]) == ["abandoned_bag"]


def test_off_it_is_a_ghost():
    off = DangerConfig.model_validate({"rules": {"abandoned_bag": {"owner_self_s": 0.0}}})
    assert _kinds([_owner_sets_down()], off) == []


def test_the_shipped_default():
    assert _kinds([_owner_sets_down()], DangerConfig()) == (
        ["abandoned_bag"] if DangerConfig().rules.abandoned_bag.owner_self_s > 0 else [])


def test_a_person_read_low_who_stands_up_again_attends_it():
    # control: someone half hidden for a while (one lineage, object then upright again)
    own = _owner_sets_down()

    def f(t):
        if 20.0 <= t < 45.0:
            return _obs(*SPOT, PERSON, 1.7, 0.6, 0.9, FAR)
        return own(t)
    assert "abandoned_bag" not in _kinds([f])


def test_an_object_whose_lineage_was_upright_long_before_has_no_owner():
    # control: the lineage read upright last 4 s before it first read as an object (a merged
    # blob in between): no owner of its own, as on a29ce4b
    def f(t):
        if t < 4.0:
            return _obs(*SPOT, PERSON, 1.7, 0.6, 0.9, FAR)
        if t < 8.0:
            return _obs(*SPOT, GROUP, 1.7, 1.2, 1.8, FAR)
        return _obs(*SPOT, OBJECT, 0.58, 0.6, 0.4, FAR)
    assert _kinds([f]) == []


# --- a bag whose blob passers take (staged 654, surge) ---------------------------------------

KEEP = DangerConfig.model_validate({"rules": {"abandoned_bag": {"spot_keep_s": 10.0}}})


def _taken(merged=((25.0, 28.0),)):
    """test_s28's bag, set down at 16 m by an owner who walks off; during each of ``merged``
    a passer standing over it makes one blob with it (read as a group on the bag's spot)."""
    owner, bag = _left()

    def b(t):
        o = bag(t)
        if o is not None and any(a <= t < z for a, z in merged):
            return _obs(o.xy[0], o.xy[1], GROUP, 1.7, 1.0, 1.3, FLOOR)
        return o
    return [owner, b]


def _bags(things, config):
    return [k for k, _ in _judge(things, 60.0, FLOOR, config=config)]


def test_a_bag_whose_blob_a_passer_took_for_a_moment_keeps_its_owner_and_clock():
    assert _bags(_taken(), KEEP) == ["abandoned_bag"]


def test_off_it_is_forgotten():
    off = DangerConfig.model_validate({"rules": {"abandoned_bag": {"spot_keep_s": 0.0}}})
    assert _bags(_taken(), off) == []


def test_the_shipped_default_keeps_it_or_not():
    on = DangerConfig().rules.abandoned_bag.spot_keep_s >= 3.0
    assert _bags(_taken(), DangerConfig()) == (["abandoned_bag"] if on else [])


def test_a_bag_lost_longer_than_that_is_forgotten():
    assert _bags(_taken(((25.0, 40.0),)), KEEP) == []
