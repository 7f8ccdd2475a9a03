"""Tailgating: one walker counted as two passers (issue 12, round 8: danger-gate2). Each
behaviour change has a hand-built case that fails on the round-7 code, and a control that keeps
its verdict."""

from test_s22_close import _tailgating


def _walker_and_piece(piece_ahead_m: float):
    """One body (0.9 persons at 82 px) walks straight through gate 0 at 1 m/s; from 4.6 s (just
    before it passes the gate line at 7 m) to 5.6 s a second blob is read ``piece_ahead_m``
    ahead of it in the lane (a second track takes part of its blob): tune seed 9 at 402.0 and 532.4 s, two tracks passing on one traveler's
    blob within 0.2 s."""
    def walker(t):
        y = 3.0 + 1.0 * t
        return (0.0, y, 0.9, 82.0) if y < 12.0 else None

    def piece(t):
        return (0.0, 3.0 + t + piece_ahead_m, 0.5, 82.0) if 4.6 <= t < 5.6 else None
    return [walker, piece]


def test_one_walker_whose_blob_two_tracks_take_is_one_passer():
    # A lone walker, never seen as two bodies apart before the gate: the piece's track was
    # born past the gate line and counted as a second passer within the cycle: tailgating.
    assert _tailgating(_walker_and_piece(0.3), 10.0) == []


def _pair_as_two_tracks(gap_m: float):
    """Two walkers ``gap_m`` apart one behind the other, each read as one body, walking
    straight through gate 0 at 1 m/s (tune seed 9 at 445 s: two tracks, 0.8 s apart)."""
    def front(t):
        y = 3.0 + 1.0 * t
        return (0.0, y, 0.9, 82.0) if y < 12.0 else None

    def rear(t):
        y = 3.0 + 1.0 * t - gap_m
        return (0.0, y, 0.9, 82.0) if y < 12.0 else None
    return [front, rear]


def test_a_pair_seen_as_two_bodies_before_the_gate_is_still_tailgating():
    # control: seen apart in the lane before the gate, the second passer is a second person
    assert len(_tailgating(_pair_as_two_tracks(0.8), 10.0)) == 1


def test_a_second_body_apart_from_the_walker_past_the_gate_still_counts():
    # control: a second body 0.6 m ahead, seen at once with the walker, is a second person
    assert len(_tailgating(_walker_and_piece(0.6), 10.0)) == 1


def _walker_then_second(drop: tuple = ()):
    """A walker through gate 0 at 1 m/s (unseen at the times in ``drop``) and a second body
    first seen past the gate line at 6 s, 1.1 m behind it and 0.35 m to its side (review of
    round 8: the guard's verdict must wait for the frame that shows the two apart)."""
    def front(t):
        y = 3.0 + 1.0 * t
        if any(abs(t - d) < 1e-6 for d in drop):
            return None
        return (-0.15, y, 0.9, 82.0) if y < 12.0 else None

    def second(t):
        y = 7.9 + 1.0 * (t - 6.0)
        return (0.2, y, 0.9, 82.0) if t >= 6.0 - 1e-9 and y < 12.0 else None
    return [front, second]


def test_a_second_passer_judged_while_the_first_is_unseen_is_judged_again():
    # seen together from the next frame: tailgating, as when the walker is seen every frame
    # (dropped for good before the mend: the passage was marked judged before the guard ran)
    assert len(_tailgating(_walker_then_second(), 10.0)) == 1
    assert len(_tailgating(_walker_then_second(drop=(6.4,)), 10.0)) == 1
