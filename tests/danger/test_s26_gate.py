"""Tailgating misses traced on tune seeds 20-39 (issue 12, round 10: danger-tg). Each
behaviour change has a hand-built case that fails on 8b9e989, and a control that keeps its
verdict."""

from test_s22_close import FPS, _pair, _tailgating


def _every_other_frame(f):
    """``f`` seen on even frames only (tune seed 37 at 344-349 s: the pair's blob, 1.1-1.26
    bodies at 77 px, was taken by two tracks in turn, each seen every other frame)."""
    def g(t):
        return f(t) if round(t * FPS) % 2 == 0 else None
    return g


def test_a_pair_seen_every_other_frame_still_walks_up():
    # the round-9 code ended a track's run up the lane at every frame it missed: no walk-up,
    # so the pair passed as a verified traveler
    assert len(_tailgating([_every_other_frame(_pair(1.5, 120.0))], 9.0)) == 1


def test_a_lone_walker_seen_every_other_frame_is_not_a_pair():
    # control: one body (0.9 persons) through the same gaps
    assert _tailgating([_every_other_frame(_pair(0.9, 120.0))], 9.0) == []


def _slant(persons: float):
    """A blob of ``persons`` at 120 px a body slants into and across gate 0's lane (the gate
    line is at y = 7 m; the lane is |x| <= 0.7 m), 0.92 m across for every metre up it, from
    the lane's side 1.3 m before the line to x = -0.5 m at the line, then walks straight
    through (tune seed 26 at 912.8 s, surge: a
    merged blob of two travelers came over from gate 3 and drifted 0.8 m across gate 5 over
    1.1 m up it: "2 through", a false alarm)."""
    def f(t):
        y = 3.0 + 1.0 * t
        x = max(0.7 - 0.92 * (y - 5.7), -0.5)
        return (x, y, persons, 120.0) if y < 10.0 else None
    return f


def test_a_blob_slanting_across_the_lane_is_no_walk_up():
    # travelers reach their gate from the queue head on a slant; a walk-up is straight
    assert _tailgating([_slant(2.0)], 9.0) == []


def test_a_pair_walking_straight_up_is_still_tailgating():
    # control: the same blob straight up the lane
    assert len(_tailgating([_pair(2.0, 120.0)], 9.0)) == 1


def _pair_splits_past_the_gate(split: bool):
    """A pair walks up gate 0's lane as one blob (1.8 persons at 120 px: 1.4 bodies), and past
    the line (y = 7.2 m) splits: the rear one 0.7 m behind shows up on its own the frame the
    blob is missed, so its new track continues the pair's lineage, and both walk on reading one
    body each (tune seed 39 at 386.6 s, 8.7 m). ``split`` False: one walker, its track broken
    at the same spot (never two bodies at once)."""
    def front(t):
        y = 3.0 + 1.0 * t
        if y >= 11.0 or (4.15 < t < 4.25):
            return None
        return (0.0, y, 1.8 if y < 7.2 else 0.85, 120.0)

    def rear(t):
        y = 3.0 + 1.0 * t - 0.7
        return (0.0, y, 0.85, 120.0) if split and t > 4.15 and y < 11.0 else None
    return [front, rear]


def test_a_pair_split_into_two_tracks_of_one_lineage_is_two_people():
    # the round-9 rule judged a lineage once per passage: the rear one's track, a continuation
    # of the pair's lineage, was dropped, and the pair's own track read one body past the line
    assert len(_tailgating(_pair_splits_past_the_gate(True), 10.0)) == 1


def test_a_blob_reading_two_that_stays_one_body_past_the_gate_is_one():
    # control: nobody came out behind it
    assert _tailgating(_pair_splits_past_the_gate(False), 10.0) == []
