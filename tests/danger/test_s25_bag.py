"""Abandoned bags: the size a bag reads (issue 12, round 9: danger-tail). Two false bags traced
on tune seeds 20-39 were a scrap and a body; each case fails on the round-8 code, and the
controls keep their verdicts. At SPOT a standing body is 103 px tall (720p): the blur margin
(4 px a side) is 0.13 m there."""

from test_s22_close import _judge, _owner_leaves


def _kinds(bag_h: float, bag_w: float, persons: float) -> list[str]:
    return [k for k, _ in _judge(_owner_leaves(bag_h, bag_w, persons), 45.0)]


def test_a_sliver_is_not_a_bag():
    # tune seed 20 at 492.4 s: a 12-px sliver (0.20 m raw, 0.07 m less the margin) where a
    # passer had stood, "unattended" 30 s: a false bag
    assert _kinds(0.25, 0.3, 0.08) == []


def test_a_body_lying_along_the_line_of_sight_is_not_a_bag():
    # tune seed 29 at 625.2 s: a faller lying along the line of sight 10 m off read as an
    # "object" 0.97 m tall (0.87 m less the margin), 0.54 m wide: taller than any bag reads
    assert _kinds(1.02, 0.55, 0.45) == []


def test_bags_still_read_as_bags():
    # controls: the staged suitcase (0.65-0.76 m raw on tune), a big case (0.9 m raw, 0.77 m
    # less the margin) and a small bag (0.4 m raw)
    assert _kinds(0.7, 0.5, 0.35) == ["abandoned_bag"]
    assert _kinds(0.9, 0.75, 0.5) == ["abandoned_bag"]
    assert _kinds(0.4, 0.4, 0.15) == ["abandoned_bag"]
