"""Fixes traced on tune seeds (issue 12, round 5). Each test fails without its fix."""

from danger_clips import FLOOR, FPS, blob, geometry
from pipeline.danger.config import DangerConfig
from pipeline.danger.geometry import Gate
from pipeline.danger.stream import CameraStream

# Two neighbouring e-gates 1.2 m apart letting people through northwards (+y) at y 7
GATES = (Gate("egates", 0, (0.0, 7.0), (0.0, 1.0), 0.6),
         Gate("egates", 1, (1.2, 7.0), (0.0, 1.0), 0.6))


def _tailgating(people, seconds: float) -> list:
    """``people``: functions of t giving (x, y, persons) or None (not seen)."""
    st = CameraStream("c", FLOOR, geometry(gates=GATES), DangerConfig())
    out = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        obs = [blob(*p) for p in (f(t) for f in people) if p is not None]
        out += [a for a in st.judge(t, obs, {}).alerts if a.kind == "tailgating"]
    return out


def _stander(t, y0=3.0, stop_y=6.36, leave_t=5.8, v_out=1.2):
    """Walks up gate 0's lane from ``y0`` at 1.2 m/s, stands at ``stop_y`` (at the line) until
    ``leave_t`` (the transaction), walks on at ``v_out``."""
    reach_t = (stop_y - y0) / 1.2
    if t < reach_t:
        return (0.0, y0 + 1.2 * t, 0.9)
    if t < leave_t:
        return (0.0, stop_y, 0.9)
    y = stop_y + v_out * (t - leave_t)
    return (0.0, y, 0.9) if y < 10.0 else None


def test_a_traveler_seen_standing_in_the_gate_passes_verified():
    # Traced on tune seed 13 (439.6 s): a traveler stood in gate 1 and walked through as
    # another walked straight up the same lane and veered to the next gate; an identity switch
    # then made a second "passage" out of gate 1. The veering walker's walk-up vouched for
    # both passages: two unverified people, tailgating. The one who stood passed verified.
    def veerer(t):  # straight up gate 0's lane, then across to gate 1's and through it
        if t < 2.0 or t >= 8.0:
            return None
        y = min(3.0 + 1.2 * (t - 2.0), 6.3)
        x = 0.0 if t < 4.6 else min(1.2, 1.0 * (t - 4.6))
        y = y if t < 5.8 else 6.3 + 1.2 * (t - 5.8)
        return (x, y, 0.9)

    def double(t):  # a fresh blob just past gate 0 right after the stander (an id switch)
        return (0.25, 7.1 + 1.2 * (t - 6.6), 0.9) if 6.6 <= t < 8.5 else None

    assert _tailgating([_stander, veerer, double], 11.0) == []
    # without the stop, the same two through gate 0 are two unverified people (the walker
    # 0.56 m behind the fresh blob: two bodies apart, not one blob two tracks take, round 8)
    def walker(t):
        y = 3.0 + 1.2 * (t - 3.6)
        return (0.0, y, 0.9) if 3.6 <= t and y < 10.0 else None
    assert len(_tailgating([walker, veerer, double], 11.0)) == 1


def test_a_walker_merged_with_the_stander_is_not_a_pair():
    # Traced on tune seed 14 (316.4 s): a walker merged with a traveler standing at the gate
    # line into one blob of 2.8-3.1 persons, split from it at the line and walked through
    # alone (0.9-1.5 persons past the gate). The pair check past the gate read the last second,
    # mostly the merged blob before the line: two people. The stander is still there.
    def walker(t):  # up the lane as a blob of two (merged with a passer-by), slowing into
        # the stander (one blob of three), out past the line alone
        if t < 2.5:
            y = 3.0 + 1.2 * t
            return (0.0, y, 2.1 if y < 5.4 else 2.9)
        if t < 4.25:
            return (0.0, 6.0 + 0.6 * (t - 2.5), 2.9)
        y = 7.05 + 1.4 * (t - 4.25)
        return (0.0, y, 1.0) if y < 10.0 else None

    def stander(t):  # stands at the gate line the whole time, hidden while merged
        y = walker(t)
        return None if y is not None and 5.4 <= y[1] < 7.05 else (0.0, 6.6, 0.9)

    assert _tailgating([stander, walker], 9.0) == []


def test_a_pair_walking_straight_through_is_still_tailgating():
    # the staged tailgaters: two people 0.8 m apart read as one blob of two walking up, and
    # still as two past the gate
    def pair(t):
        y = 3.0 + 1.0 * t
        return (0.0, y, 2.0) if y < 10.0 else None
    assert len(_tailgating([pair], 9.0)) == 1


def _counterflow(track, seconds: float) -> list:
    """``track``: function of t giving (x, y, persons) or None; the hall's flow is +x."""
    st = CameraStream("c", FLOOR, geometry(), DangerConfig())
    out = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        p = track(t)
        obs = [] if p is None else [blob(*p)]
        out += [a for a in st.judge(t, obs, {}).alerts if a.kind == "counterflow"]
    return out


def test_a_crowd_blob_is_not_a_walker_against_the_flow():
    # Traced on tune seed 6 (762.2 s): a blob of 13-14 people (a crowd merged in the picture)
    # whose bottom edge grew towards the camera as people joined it: its foot point "walked"
    # 4 m against the hall's flow. Blobs of more than a few people are not judged.
    def walk(persons):
        return lambda t: (4.0 - 1.2 * t, 12.0, persons) if t < 5.0 else None

    assert _counterflow(walk(13.0), 5.0) == []
    assert len(_counterflow(walk(1.0), 5.0)) == 1  # one person walking so is


def test_an_identity_switch_is_not_a_walk_against_the_flow():
    # Traced on tune seed 1 (329.8 s): a track stood 1.4 s, coasted unseen 1.2 s and took
    # over someone 2.5 m behind it (against the flow): a line fit through the window reads a
    # walk backwards at 1 m/s. Each half of the window must carry its share of the walk.
    def switch(t):
        if t < 2.4:
            return (2.0, 12.0, 1.0)
        if t < 3.6:
            return None
        return (-0.5 - 1.0 * (t - 3.6), 12.0, 1.0) if t < 4.0 else None

    assert _counterflow(switch, 4.0) == []
    # someone walking against the flow, hidden 1.2 s midway, still is
    def hidden(t):
        return None if 1.6 <= t < 2.8 or t >= 5.0 else (4.0 - 1.2 * t, 12.0, 1.0)
    assert len(_counterflow(hidden, 5.0)) == 1


def test_a_walker_crossing_a_queue_lane_is_judged_someone_leaving_the_queue_is_not():
    # Traced on tune seed 8 (staged counterflow at 19 m, missed): the walker set off inside
    # the e-gates' queue lane at 1.5 m/s; anyone seen in a waiting area in the last 15 s was
    # taken for someone leaving a queue and never judged. Leaving a queue means having waited
    # in it.
    lane = [[2.0, 11.0], [6.0, 11.0], [6.0, 13.0], [2.0, 13.0]]

    def run(track, seconds):
        st = CameraStream("c", FLOOR, geometry(waiting=(lane,)), DangerConfig())
        out = []
        for k in range(int(seconds * FPS)):
            t = k / FPS
            p = track(t)
            out += [a for a in st.judge(t, [] if p is None else [blob(*p)], {}).alerts
                    if a.kind == "counterflow"]
        return out

    def crosser(t):
        return (5.5 - 1.5 * t, 12.0, 1.0) if t < 6.0 else None

    def leaver(t):  # stood 3 s in the queue, then walked back out against the flow
        return (5.5, 12.0, 1.0) if t < 3.0 else (5.5 - 1.5 * (t - 3.0), 12.0, 1.0)

    assert len(run(crosser, 6.0)) == 1
    assert run(leaver, 9.0) == []


def test_a_verified_traveler_is_not_judged_again_when_its_stop_is_old():
    # Found in review after the round-5 freeze: a traveler who stood 1.3 m before the line and
    # then walked slowly through passed verified by its stop, but was not marked as passed;
    # once the stop was more than max_transit_s + 1 s old, and while it was still within
    # max_transit_s of the line, it was judged again as an unverified passage, which with one
    # walker behind it read as tailgating.
    def slow_stander(t):  # stands 1.3 m before the line, then walks through at 0.7 m/s
        return _stander(t, y0=3.3, stop_y=5.7, leave_t=5.0, v_out=0.7)

    def walker(t):
        y = 3.0 + 1.2 * (t - 5.5)
        return (0.0, y, 0.9) if t >= 5.5 and y < 10.5 else None

    assert _tailgating([slow_stander, walker], 14.0) == []
    # two walking straight through, as close, are still tailgating
    def first(t):
        y = 3.0 + 1.2 * (t - 4.0)
        return (0.0, y, 0.9) if t >= 4.0 and y < 10.5 else None
    assert len(_tailgating([first, walker], 14.0)) == 1
