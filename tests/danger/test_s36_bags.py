"""A kept bag's clock is not taken up where its owner went down on the spot (issue 12, round
20, branch danger-bags5). Round 19's ``spot_keep_s`` keeps a bag's owner and unattended clock
through a break (a passer's blob took it), but on tune seed 73 the "bag" was a faller the fall
rule missed: its body read as an object owned by the faller's own lineage (upright beside it
a moment before, never again), a passer's blob took it at 28 s unattended and the new lineage
on the spot took up the clock, a false bag at 747.4 s. ``AbandonedBag.spot_keep_not_down``
takes up a kept clock only where no lineage of the bag went down there. The faller case fails
on 2dc1b9d."""

from danger_clips import FLOOR
from test_s22_close import SPOT, _judge, _obs
from test_s35_bags import _taken

from pipeline.danger.config import DangerConfig
from pipeline.danger.observe import GROUP, OBJECT, PERSON


def _cfg(guard: bool) -> DangerConfig:
    return DangerConfig.model_validate({"rules": {"abandoned_bag": {
        "spot_keep_s": 10.0, "spot_keep_not_down": guard}}})


OFF = 1.5


def _faller(merged=(25.0, 28.0)):
    """Walks to SPOT and goes down at t = 4 s, read from 4.6 s as a bag-sized object 0.45 m
    beside the spot (seed 73: 1.7 m off, a new lineage); during ``merged`` a passer standing
    over it makes one blob with it."""
    def f(t):
        if t < 4.0:
            return _obs(SPOT[0] - 1.2 * (4.0 - t), SPOT[1], PERSON, 1.7, 0.5, 0.9, FLOOR)
        if t < 4.6:
            return None
        kind, h, w, n = ((GROUP, 1.7, 1.0, 1.3) if merged[0] <= t < merged[1]
                         else (OBJECT, 0.85, 0.6, 0.35))
        return _obs(SPOT[0], SPOT[1] + OFF, kind, h, w, n, FLOOR)
    return [f]


def _kinds(things, config) -> list[str]:
    return [k for k, _ in _judge(things, 60.0, FLOOR, config=config)]


def test_without_the_guard_the_kept_clock_makes_a_faller_a_bag():
    # the failure on seed 73, in miniature: the key the guard sits behind is what carries it
    assert _kinds(_faller(), _cfg(False)) == ["abandoned_bag"]


def test_a_faller_whose_blob_a_passer_took_is_no_bag():
    assert _kinds(_faller(), _cfg(True)) == []


def test_a_bag_whose_owner_walked_off_keeps_its_clock_with_the_guard():
    # control: round 19's case (the owner walks off upright) is still kept
    assert _kinds(_taken(), _cfg(True)) == ["abandoned_bag"]


def test_the_shipped_default():
    p = DangerConfig().rules.abandoned_bag
    assert _kinds(_faller(), DangerConfig()) == (
        ["abandoned_bag"] if p.spot_keep_s >= 3.0 and not p.spot_keep_not_down else [])

