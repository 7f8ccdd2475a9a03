"""Tailgating fixes traced on tune seeds (issue 12, round 7: danger-gate). Each behaviour change
has a hand-built case that fails on the round-6 code, and a control that keeps its verdict."""

from danger_clips import FLOOR, blob
from pipeline.danger.observe import OBJECT
from test_s22_close import _judge, _tailgating


def _far_pair(exit_persons: float, gap=(5.0, 5.2)):
    """A pair one behind the other walking through gate 0 at 1 m/s, far off (57 px a body):
    one blob reading 1.95 persons walking up (1.19 bodies there), 1.4 just past the gate line
    (the cabinets hide part of it), then ``exit_persons`` once clear; unseen for one frame in
    ``gap`` (another track took its blob)."""
    def pair(t):
        y = 3.0 + 1.0 * t
        if y >= 11.0 or gap[0] <= t < gap[1]:
            return None
        if y <= 7.0:
            return (0.0, y, 1.95, 57.0)
        return (0.0, y, 1.4 if t < 5.0 else exit_persons, 57.0)
    return pair


def test_a_far_pair_missed_for_one_frame_past_the_gate_is_still_judged():
    # Traced on tune seed 18 (41.6 m, surge): the pair read 1.2 bodies walking up and 0.93
    # just past the gate; a second track took its blob for one frame (351.0 s), and the
    # pending "may be two" check was dropped on that frame, before it could grow back. (Seed
    # 18 itself stays missed: its pair reads 0.96 bodies at most past the gate, and the other
    # track keeps its blob after 351.4 s.)
    assert len(_tailgating([_far_pair(2.0)], 9.0)) == 1


def test_a_far_walker_that_stays_one_body_past_the_gate_is_not_a_pair():
    # control: the same walk-up, missed for the same frame, reading one body (1.5 persons at
    # 57 px = 0.92 bodies) once clear of the cabinets: one person, no alert
    assert _tailgating([_far_pair(1.5)], 9.0) == []


def _pair_lost_at_the_gate(scrap: bool):
    """Seed 2's mechanism: a pair (2.4 persons at 64 px: 1.5 bodies) walks up gate 0, is lost
    at the gate line (the cabinets), its track picks up a scrap in the lane a second later
    (``scrap``), and the pair comes out past the gate as a fresh blob growing back to two."""
    def pair(t):
        y = 3.0 + 1.0 * t
        if t <= 3.4:
            return (0.0, y, 2.4, 64.0)
        if t < 4.6 or y >= 11.0:
            return None
        return (0.0, y, 0.9 if t < 5.0 else 2.3, 64.0)

    def piece(t):
        return (0.3, 6.9, 0.36, 64.0, OBJECT) if scrap and t == 4.4 else None
    return [pair, piece]


def test_a_pair_whose_track_jumped_onto_a_scrap_is_still_a_walk_up():
    # Traced on tune seed 2 (22.2 m, quiet): the pair's track, lost at the gate line, took a
    # scrap a second later; with one sample in its last second it had no speed, and "no speed"
    # was recorded as "stopped before the gate", so the pair's walk-up was void: missed.
    assert len(_tailgating(_pair_lost_at_the_gate(scrap=True), 10.0)) == 1


def test_a_pair_lost_at_the_gate_without_a_scrap_is_tailgating():
    # control: the same pair without the scrap was caught before and after
    assert len(_tailgating(_pair_lost_at_the_gate(scrap=False), 10.0)) == 1


def _counterflow(track, seconds: float) -> list:
    """``track``: function of t giving (x, y) of one walker or None; the hall's flow is +x."""
    def walker(t):
        p = track(t)
        return None if p is None else blob(p[0], p[1], 0.9)
    return [h for h in _judge([walker], seconds, FLOOR) if h[0] == "counterflow"]


def test_a_track_seen_in_few_frames_is_not_a_walk_against_the_flow():
    # Traced on tune seed 15 (303.6 s, 40 s before the staged walker): a track seen in 3 of
    # the 13 frames its last 3 s spanned (gaps of 0.8 and 1.6 s) was picked up each time by
    # whoever was near its coasting gate: a steady 1.8 m/s "against the flow" over 6 m.
    seen = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 2.4, 4.0, 5.6}

    def sparse(t):
        return (8.0 - 1.8 * t, 12.0) if t in seen else None

    assert _counterflow(sparse, 6.0) == []


def test_a_walker_seen_in_most_frames_is_still_against_the_flow():
    # control: the same walk seen in most frames (hidden for 1 s midway) is counterflow
    def walker(t):
        return None if 2.0 <= t < 3.0 else (8.0 - 1.8 * t, 12.0)

    assert len(_counterflow(walker, 6.0)) == 1


def _pair_parting_past_the_gate(walk_up_persons: float):
    """A blob reading ``walk_up_persons`` (raw, at 82 px a body: one body reads 1.46 there)
    walks up gate 0 at 1 m/s and on past it reading one body; 0.6 s after it passes, someone
    is first seen 2.65 m past the gate line, walking on (tune seed 11 at 409.0 s: the rear one
    of a pair, out from behind the front one)."""
    def front(t):
        y = 3.0 + 1.0 * t
        if y >= 12.0:
            return None
        return (0.0, y, walk_up_persons if y <= 7.0 else 1.3, 82.0)

    def rear(t):
        return (0.1, 9.65 + 1.0 * (t - 5.4), 1.3, 82.0) if 5.4 <= t < 7.4 else None
    return [front, rear]


def test_the_rear_one_of_a_pair_first_seen_farther_past_the_gate_is_a_passage():
    # Traced on tune seed 11 (27.4 m, normal): the pair read 1.9 bodies walking up, its track
    # one body past the gate; the rear one was first seen 2.65 m past the line, beyond the
    # 1.5 m within which a fresh track counts as having come through: missed.
    assert len(_tailgating(_pair_parting_past_the_gate(2.7), 10.0)) == 1


def test_someone_first_seen_farther_past_the_gate_after_a_lone_walk_up_is_no_passage():
    # control: after a walk-up reading one body (1.3 persons at 82 px) the same late track is
    # not counted as a second person through the gate
    assert _tailgating(_pair_parting_past_the_gate(1.3), 10.0) == []
