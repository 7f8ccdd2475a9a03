"""A bag is kept through a break only if its unattended clock was running (issue 12, round
21, branch danger-bags6). Round 19's ``spot_keep_s`` carries a bag's owner and clock over a
break (a passer's blob took it); on staged surge 673 at 619.6 s it carried a stale owner: an
object among people standing 1.5 m off, owned by a lineage long gone but its clock not
started, read upright for a moment; kept, it took up the gone owner, the people beside it no
longer attended it, and it alerted 30 s later. ``AbandonedBag.spot_keep_running`` keeps only a
bag whose clock was running when it was lost. The stale-owner case fails on 0347475."""

from danger_clips import FLOOR
from test_s22_close import _obs
from test_s28_bags import SPOT, _left
from test_s35_bags import _taken
from test_s36_bags import _kinds

from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import GROUP, PERSON


def _cfg(running: bool) -> DangerConfig:
    return DangerConfig.model_validate({"rules": {"abandoned_bag": {
        "spot_keep_s": 10.0, "spot_keep_running": running}}})


def _stale(merged=(20.0, 23.0)):
    """test_s28's bag, its owner walking off at 7 s, with a bystander standing 1.5 m off all
    along; until the break the bag reads 0.15 m tall (half hidden: not bag-sized, so its clock
    never starts), during ``merged`` a passer's blob takes it, after it the bag reads whole."""
    owner, _ = _left()
    bag = _left()[1]
    short = _left(bag_h=0.15)[1]

    def b(t):
        if merged[0] <= t < merged[1]:
            return _obs(SPOT[0] + 0.45, SPOT[1], GROUP, 1.7, 1.0, 1.3, FLOOR)
        return (short if t < merged[0] else bag)(t)

    def bystander(t):
        return _obs(SPOT[0] + 0.45, SPOT[1] + 1.5, PERSON, 1.7, 0.5, 0.9, FLOOR)
    return [owner, b, bystander]


def test_keeping_any_owned_bag_carries_the_stale_owner():
    # the failure on 673, in miniature: the kept owner is gone, the bystander no longer counts
    assert _kinds(_stale(), _cfg(False)) == ["abandoned_bag"]


def test_a_bag_whose_clock_had_not_started_is_read_afresh():
    # not kept: owned by the bystander beside it after the break, who attends it
    assert _kinds(_stale(), _cfg(True)) == []


def test_a_bag_whose_clock_was_running_is_kept():
    # control: round 19's bag (its owner walked off, a passer's blob took it at 17 s unattended)
    assert _kinds(_taken(), _cfg(True)) == ["abandoned_bag"]


def test_the_shipped_default():
    p = DangerConfig().rules.abandoned_bag
    assert _kinds(_stale(), DangerConfig()) == (
        ["abandoned_bag"] if p.spot_keep_s >= 3.0 and not p.spot_keep_running else [])
