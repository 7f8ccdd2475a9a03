"""Tailgating at far gates: a pair that reads as one body past the line (issue 12, round 17,
branch danger-tail6). Past the gate line the cabinets hide the lower part of whoever comes
through, more of a far figure seen over them at a shallow angle. On the round-17 staged batch
(seed 605, gates at 27 m) pairs read 1.13-1.18 bodies walking up (``pair_persons`` 1.12: a
pair) and 0.8-1.0 past the line, under ``pair_exit_persons`` (1.05), so their passage counted
one person; one walker reads 0.6-0.8 there.

``tailgating.pair_exit_share``: a pair walk-up also passes as two when past the line it still
reads this share of its walk-up's bodies (0: off). Fails on ec71cee (unknown key); with the key
on a walk-up that was two people merged, only one of whom comes through, still passes as one."""
from test_s31_tailgating import _alerts

from pipeline.danger.config import DangerConfig

OFF = DangerConfig()
ON = DangerConfig.model_validate({"rules": {"tailgating": {"pair_exit_share": 0.75}}})


def _far_pair(exit_persons: float):
    """One blob walks straight up gate 0's centre at 1 m/s from 4 m before its line, 70 px a
    body: 1.88 persons walking up (1.18 bodies as one reads there), ``exit_persons`` past the
    line."""
    def f(t: float):
        y = 3.0 + 1.0 * t
        if y >= 10.0:
            return None
        return (6.0, y, 1.88 if y < 7.0 else exit_persons, 70.0, 0.1)
    return f


def test_a_far_pair_half_hidden_past_the_line_is_two():
    # 1.45 persons past the line: 0.91 bodies, under 1.05, but 0.77 (>= 0.75) of its walk-up's
    # 1.18
    assert _alerts([_far_pair(1.45)], 9.0, OFF) == []
    assert len(_alerts([_far_pair(1.45)], 9.0, ON)) == 1


def test_a_walk_up_that_comes_through_at_half_its_size_is_one():
    # control: 0.88 persons past the line (0.55 bodies, 0.47 of the walk-up): one person
    assert _alerts([_far_pair(0.88)], 9.0, ON) == []
