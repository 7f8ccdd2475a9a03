"""Tailgating: a far pair lost at the gate (issue 12, round 21, branch danger-tail8). Far off
(35-42 m) the rule records a pair walking up a lane but no passage past its line: on tune seed
74 (#3) the pair's blob was lost 0.36 m past gate 0's line and what came out was born 3.4 m on
(beyond ``pair_first_seen_m``), 0.84 bodies; on 18 (#0) the pair's track coasted through the
line and was found 2.2 m on with no measured speed until the transit window closed.

``tailgating.lost_pair_s``: a walk-up reading two whose lineage was last seen at the line,
still walking, and whose passage was never judged counts as two when someone is seen in that
lane between ``pass_depth_m`` and ``lost_pair_reach_m`` past the line within this long (0:
off, as shipped; judged at 1.5). Fails on 0347475 (unknown key); a lone walker lost the same way, and a
pair last seen 1.6 m before the line, stay unjudged."""
from test_s31_tailgating import _alerts

from pipeline.danger.config import DangerConfig

OFF = DangerConfig()  # shipped off (round 9's jump case, test_s25_gate)
ON = DangerConfig.model_validate({"rules": {"tailgating": {"lost_pair_s": 1.5}}})


def _lost(walk_up_persons: float, lost_y: float = 7.3):
    """A blob walks straight up gate 0's centre at 1 m/s from 4 m before its line (y = 7), 70
    px a body (``walk_up_persons``; 1.88 reads 1.18 bodies there: a pair), and is lost at
    ``lost_y`` (0.3 m past the line); 0.4 s later a blob of 1.34 persons (0.84 bodies) is born
    3.3 m past the line and walks on at 0.5 m/s (seed 74 at 637 s)."""
    born = lost_y - 3.0 + 0.4

    def f(t: float):
        y = 3.0 + 1.0 * t
        if y <= lost_y:
            return (6.0, y, walk_up_persons, 70.0, 0.1)
        if t < born:
            return None
        y = 10.3 + 0.5 * (t - born)
        return (6.0, y, 1.34, 70.0, 0.1) if y < 10.95 else None
    return f


def test_a_pair_lost_at_the_line_and_someone_born_past_it_is_two():
    assert _alerts([_lost(1.88)], 10.0, OFF) == []
    assert len(_alerts([_lost(1.88)], 10.0, ON)) == 1


def test_a_lone_walker_lost_the_same_way_is_not():
    # control: 1.3 persons walking up (0.82 bodies): one walker, no pair to infer
    assert _alerts([_lost(1.3)], 10.0, ON) == []


def test_a_pair_lost_before_the_line_is_not():
    # control (seed 61 at 842.4 s): the pair last seen 1.6 m before the line, someone born
    # past it: not lost at the line (``lost_pair_near_m`` 0.5); with the bound wide it is two
    assert _alerts([_lost(1.88, lost_y=5.4)], 10.0, ON) == []
    wide = DangerConfig.model_validate({"rules": {"tailgating": {"lost_pair_s": 1.5,
                                                                 "lost_pair_near_m": 5.0}}})
    assert len(_alerts([_lost(1.88, lost_y=5.4)], 10.0, wide)) == 1
