"""Tailgating false alarms traced on tune seeds 20-39 (issue 12, round 9: danger-tail). Each
behaviour change has a hand-built case that fails on the round-8 code, and a control that keeps
its verdict."""

from test_s22_close import _pair, _tailgating


def _pair_then_jump(unseen: tuple[float, float], jump_y: float, seen_s: float):
    """A blob reading two (2.0 persons at 120 px) walks straight up gate 0's lane at 1 m/s
    (the gate line is at y = 7 m); it is unseen over ``unseen`` and then read at ``jump_y``
    metres for ``seen_s``, standing on one spot (tune seeds 25 at 302.2 s and 27 at 348.2 s:
    a coasting track jumped 2.7-3.1 m onto a blob of two travelers leaving neighbouring gates,
    read two bodies there for one or two frames, and was lost again)."""
    def f(t):
        if t < unseen[0]:
            return (0.0, 3.0 + 1.0 * t, 2.0, 120.0)
        if unseen[1] <= t < unseen[1] + seen_s:
            return (0.0, jump_y, 2.0, 120.0)
        return None
    return f


def test_a_track_that_jumps_onto_a_blob_past_the_gate_is_not_judged_without_a_speed():
    # the round-8 code took the jump for a passage (no speed measured: no "merge" check) and
    # the blob's two bodies for a pair through the gate: tailgating
    assert _tailgating([_pair_then_jump((3.8, 4.6), 8.5, 0.4)], 9.0) == []


def test_a_pair_walking_through_is_still_tailgating():
    # control: the same blob seen walking through (its speed measured past the line)
    assert len(_tailgating([_pair(2.0, 120.0)], 9.0)) == 1
