"""The swap replay's judgement of a change point (experiments.cctv_swap_tune.trace_changes): a
change is found a couple of frames after the new person appears (those frames keep the old id),
so it is judged on the person the ended id mostly followed, not on its last box."""

import pandas as pd

from experiments.cctv_swap_tune import trace_changes
from pipeline.cctv.swaps import Change

PEOPLE = {7: 0.0, 8: 100.0}  # traveler -> x of their box, standing still


def _cam(n):
    frames = []
    for k in range(n):
        truth = pd.DataFrame([(p, x, 0.0, x + 10.0, 30.0, 0.0, 0.0) for p, x in PEOPLE.items()],
                             columns=["traveler_id", "x1", "y1", "x2", "y2", "occluded",
                                      "truncated"])
        frames.append({"t": round(0.2 * k, 6), "truth": truth})
    return {"seed": 1, "camera": "c", "size": (640, 480), "frames": frames}


def _hyp(people, change_at):
    """id 1 on ``people`` (a traveler per frame), continued as 500000 from frame ``change_at``."""
    rows = [(round(0.2 * k, 6), 1 if k < change_at else 500000, PEOPLE[p], 0.0,
             PEOPLE[p] + 10.0, 30.0) for k, p in enumerate(people)]
    hyp = pd.DataFrame(rows, columns=["frame", "id", "x1", "y1", "x2", "y2"])
    x = PEOPLE[people[change_at]]
    hyp.attrs["swap_changes"] = [Change(round(0.2 * change_at, 6), 1, (x, 0.0, x + 10.0, 30.0),
                                        0.2, (0.2, 0.9))]
    hyp.attrs["boxes"] = [[[PEOPLE[p], 0.0, PEOPLE[p] + 10.0, 30.0]] for p in people]
    return hyp


def test_a_swap_found_two_frames_late_is_a_right_split():
    people = [7] * 10 + [8] * 8  # the box moves onto 8 at frame 10, the guard ends it at 12
    ch = trace_changes(_cam(18), _hyp(people, 12))
    assert ch[["kind", "p0", "p1"]].values.tolist() == [["right", 7, 8]]


def test_a_split_of_one_person_is_a_wrong_split():
    ch = trace_changes(_cam(18), _hyp([7] * 18, 12))
    assert ch[["kind", "p0", "p1", "upper", "lower"]].values.tolist() == [["wrong", 7, 7, 0.2,
                                                                            0.9]]


def test_covered_share_counts_overlapping_occluders_once():
    """Two nearer boxes over the same lower half of the track's box cover half of it, not all
    of it (the share is of their union; summed, it read 1.0)."""
    people = [7] * 18
    hyp = _hyp(people, 12)
    # frames' person boxes: the track's box (0..10 x 0..30) and two nearer ones over its lower
    # half, their bottom edges lower in the frame
    hyp.attrs["boxes"] = [[[0.0, 0.0, 10.0, 30.0], [0.0, 15.0, 10.0, 40.0],
                           [0.0, 15.0, 10.0, 41.0]] for _ in people]
    ch = trace_changes(_cam(18), hyp)
    assert ch["covered"].iloc[0] == 0.5
    assert ch["overlap"].iloc[0] == 0.5


def test_the_window_left_out_follows_the_guard_window():
    """p0 leaves out the guard's last window - 1 boxes before the change: with a window of 10
    the new person's nine frames before the change do not decide p0 (with 3 they would)."""
    people = [7] * 5 + [8] * 13  # the box moves onto 8 at frame 5, the guard ends it at 14
    assert trace_changes(_cam(18), _hyp(people, 14), window=10)["kind"].tolist() == ["right"]
    assert trace_changes(_cam(18), _hyp(people, 14), window=3)["kind"].tolist() == ["wrong"]
