"""Fixes traced on tune seeds (issue 12, round 7: danger-still): who owns a bag that shows up
only once its owner has stepped off, a fall whose standing figure was cut by the image border,
a "person down" that was hardly seen, a body lying along the line of sight that reads as a
short person, and the still-person hold in the background model (an option, off by default).
Each change has a hand-built case that fails on the round-6 code and a control that keeps its
verdict."""

from dataclasses import replace

from test_s22_close import SPOT, _judge, _obs, _owner_leaves, _walker_down

from pipeline.danger.floor import FloorMap
from pipeline.danger.observe import LYING, OBJECT, PERSON


# --- a bag that appears only when its owner is already a few metres off ---------------------

def test_a_bag_that_shows_up_after_its_owner_stepped_off_is_the_owners():
    # Traced on tune seed 7 (14.7 m, 720p, quiet; missed): the bag was inside its owner's blob
    # until the owner had walked on; it showed up as its own track when the owner was 3.3 m
    # off, beyond the 2.5-m owner radius: "nobody set it down", never alerted. The owner had
    # been 0.8 m off 2 s before. Here the owner (who stood 3 s at the spot with the bag, then
    # walked on at 1.3 m/s) is 3.4 m from the spot when the bag appears.
    hits = _judge(_owner_leaves(0.7, 0.5, 0.35, bag_from=9.6), 50.0)
    assert [k for k, _ in hits] == ["abandoned_bag"], hits


def test_an_object_where_nobody_was_lately_is_still_nobodys():
    # Control: a walker passed the spot 6 s before the object showed up (longer ago than
    # owner_recent_s): a ghost or a scrap, not a bag set down; no alert on either code.
    def walker(t):
        x = SPOT[0] - 4.0 + 1.3 * t
        return _obs(x, SPOT[1], PERSON, 1.7, 0.5, 0.9) if x < 11.0 else None

    def thing(t):  # the walker passed SPOT at t = 3.1 s
        return _obs(SPOT[0] + 0.45, SPOT[1], OBJECT, 0.7, 0.5, 0.35) if t >= 9.1 else None
    assert _judge([walker, thing], 50.0) == []


# --- a fall whose standing figure was cut by the image border ---------------------------------

def _faller(clipped: bool, lying_top_m: float):
    """Walks up to SPOT (seen with its box cut by the image border when ``clipped``: only
    its upper part, so the box top sits low), goes down there at t = 4 s, and lies across the
    view (1.3 m wide) with the top of its box at ``lying_top_m`` above the floor."""
    def f(t):
        if t < 4.0:
            o = _obs(SPOT[0] - 1.2 * (4.0 - t), SPOT[1], PERSON, 1.7, 0.5, 0.9)
            if clipped:  # the figure's lower part only (its upper part beyond the border)
                o = replace(o, box=(o.box[0], o.box[3] - 0.4 * (o.box[3] - o.box[1]),
                                    o.box[2], o.box[3]), clipped=True)
            return o
        if t < 4.6:
            return None
        return _obs(SPOT[0] + 0.3, SPOT[1], LYING, lying_top_m, 1.3, 0.7)
    return f


def test_a_fall_after_a_figure_cut_by_the_border_is_a_fall():
    # Traced on tune seed 15 (11.6 m, 720p; missed): the faller walked in from the frame's
    # bottom edge and was seen only clipped (tops 666-706 px) until she went down; lying, her
    # box top was at 564 px, "higher" than the clipped figure's, so the head-drop check said
    # "half hidden, not fallen". A clipped box has no head to compare: someone stood there.
    hits = _judge([_faller(clipped=True, lying_top_m=1.0)], 20.0)
    assert [k for k, _ in hits] == ["fall"], hits


def test_a_whole_figure_whose_head_stayed_up_is_still_no_fall():
    # Control: seen whole, a low wide blob whose top stays at standing height is someone half
    # hidden, not fallen (both codes).
    assert _judge([_faller(clipped=False, lying_top_m=1.6)], 20.0) == []


# --- a person down must be seen down ----------------------------------------------------------

def _down_then_hidden(back_for_s: float):
    """A walker goes down at SPOT (read as an object, as far falls are), is seen 1.8 s, hidden
    5.6 s (its track coasts on the spot), then seen again for ``back_for_s`` s."""
    down = _walker_down()

    def f(t):
        if 6.4 <= t < 12.0 or t >= 12.0 + back_for_s:
            return None
        return down(t)
    return f


def test_a_person_down_seen_once_after_a_gap_is_not_yet_a_fall():
    # Traced on tune seed 6 (busy; a false fall): a walker's track that flickered between
    # person and a body-sized "object" in a crowd coasted 7 s, then took one scrap 3 m on;
    # "still for lying_s" held on that one sample, and it alerted "down 10 s".
    assert [k for k, _ in _judge([_down_then_hidden(0.2)], 30.0)] == []
    # seen lying still for 2 s after the gap, it is a fall again
    hits = _judge([_down_then_hidden(30.0)], 30.0)
    assert [k for k, _ in hits] == ["fall"], hits
    assert hits[0][1] >= 13.8


# --- a still person stays in the foreground ---------------------------------------------------

def _stands_still(config) -> list:
    """Walks 4 m in 4 s and stands still 14 s, under a background that learns fast (10 s of
    history: what stays put is absorbed within seconds, as a lingerer's colours were on tune
    seed 6 after two minutes of stopping on the same spot); the people seen each frame."""
    from danger_clips import Clip, Thing, legs, run

    clip = Clip([Thing(legs((0.0, -4.0, 8.0), (4.0, 0.0, 8.0), (18.0, 0.0, 8.0)))], 18.0)
    return [[o for o in r.objects if o.kind == PERSON] for r in run(clip, config)]


def _fast_background(**tracker) -> "DangerConfig":
    from pipeline.danger.config import DangerConfig, DetectorSettings

    return DangerConfig(detector=DetectorSettings(options={"history_s": 10.0}), tracker=tracker)


def test_a_person_standing_still_stays_in_the_foreground():
    # Traced on tune seed 6 (busy, 22.8 m; the loiterer missed): MOG2 had learnt the
    # lingerer's colours stop by stop, so a full, steady blob vanished at once within seconds of
    # standing still (734, 747, 754.6 s), and the dwell broke into 8 tracks. A confirmed person
    # standing still is now kept out of what the background learns.
    # (off by default until re-measured on every tune seed: TrackerConfig.hold_still_s)
    held = _stands_still(_fast_background(hold_still_s=2.0))
    assert all(len(seen) == 1 for seen in held[30:]), [len(s) for s in held]
    # with holding off (the default, round 6) the same person fades into the background
    faded = _stands_still(_fast_background())
    assert sum(len(seen) for seen in faded[-25:]) == 0


def test_only_someone_who_walked_in_is_held():
    # A blob that never moved (a ghost of someone who stood there when the stream began) is
    # not held: holding it would keep the ghost for good. Someone who walked in is.
    from danger_clips import blob

    from pipeline.danger.track import Tracker, TrackerConfig

    tracker, default = Tracker(TrackerConfig(hold_still_s=2.0)), Tracker()
    for k in range(30):
        t = k / 5.0
        walker = blob(3.0, 8.0 + min(t, 2.0) * 1.0)  # walks 2 m, then stands
        tracker.update(t, [blob(-3.0, 8.0), walker])
        default.update(t, [blob(-3.0, 8.0), walker])
    assert default.held_boxes() == []  # off by default
    boxes = tracker.held_boxes()
    assert len(boxes) == 1
    x1, _, x2, _ = boxes[0]
    u = (walker.box[0] + walker.box[2]) / 2
    assert x1 < u < x2  # the walker's, grown by the margin



# --- a body lying along the line of sight near the camera reads as a short person ------------

# seed 19's camera: 9.2 m up, SPOT 12.6 m off, a standing body 129 px tall there (a body lying
# along the line of sight reads up to 1.34 m: FloorMap.lying_height_m)
STEEP = FloorMap.from_pose((0.0, 1.4, 9.2), 90.0, 36.0, 70.0, (1920, 1080))


def _sinks(low_from: float, low_for: float, before_m: float = 1.7, floor: FloorMap = STEEP):
    """Walks up to SPOT, stands, and from ``low_from`` reads ``low_for`` s as an upright
    figure 1.24 m tall and 0.5 m wide with its foot where it stood (then stands again)."""
    def f(t):
        if t < 4.0:
            return _obs(SPOT[0] - 1.2 * (4.0 - t), SPOT[1], PERSON, before_m, 0.5, 0.9, floor)
        if low_from <= t < low_from + low_for:
            return _obs(*SPOT, PERSON, 1.24, 0.5, 0.5, floor)
        return _obs(*SPOT, PERSON, before_m, 0.5, 0.9, floor)
    return f


def test_a_body_lying_along_the_line_of_sight_is_a_fall():
    # Traced on tune seed 19 (12.6 m, 1080p, quiet; missed): down, the faller read as a person
    # 1.24 m tall, 0.51 m wide, for 65 s (box top down 38 px of a 148-px body, box bottom
    # unmoved): never "lying" nor "object", so no rule saw her.
    hits = _judge([_sinks(5.0, 40.0)], 30.0, STEEP)
    assert [k for k, _ in hits] == ["fall"], hits
    assert 14.5 <= hits[0][1] < 17.0  # about shrunk_s (10 s) after she went down


def test_a_short_kneel_or_a_short_person_is_no_fall():
    # Controls (no alert on either code): kneeling 6 s by a bag and getting up; someone 1.24 m
    # tall (a child) who was never seen taller there.
    assert _judge([_sinks(5.0, 6.0)], 30.0, STEEP) == []
    assert _judge([_sinks(5.0, 40.0, before_m=1.24)], 30.0, STEEP) == []
