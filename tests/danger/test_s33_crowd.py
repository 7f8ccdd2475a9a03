"""Overcrowding far off: one row of people across the line of sight is not a packed crowd (issue
12, round 17, branch danger-crowd4). Where one standing body covers more floor depth in the
image than a density window is deep (far, shallow views), a queue's leg standing across the
line of sight fills the window's picture as a packed crowd does, and the occupancy model reads
it at its ceiling (tune seeds 20 and 66: 6-7 people, 0.3-0.4 x the band, read 1.3-1.8 at
22-23 m; 61: 0.6 read 1.4 at 14.7 m). ``rules.overcrowding.los_share``: such a window counts over
the line only while the window in front of it (one cell nearer the camera) reads at least that
share of its reading: a crowd deep enough to be one fills that one too, a row shows there only
as its feet. Every test fails on ec71cee (no ``los_share`` setting, no ``front_windows``)."""

import numpy as np

from pipeline.danger.config import Overcrowding
from pipeline.danger.overcrowding import OvercrowdingRule, front_windows
from pipeline.danger.scene import Scene

from test_s25_crowd import hall_stream, paint_people
from test_s32_crowd import _crowd_xy

LOW = (5.5, 35.0, 85.0)  # camera height m, tilt deg, field of view deg (tune seed 66's kind)
LOS = dict(los_share=0.4, los_span_m=4.0)


def _alerts(p: Overcrowding, xy: np.ndarray, seconds: float = 12.0):
    """Overcrowding alerts on people standing at ``xy`` (still, steadiness off: the reading
    alone), read at 5 frames a second; and the stream, for its windows."""
    st = hall_stream(LOW, p)
    density = st._window_density(st._density.counts(paint_people(st, xy)), overlap=True)
    rule = OvercrowdingRule(p)
    out = []
    for t in np.arange(0.0, seconds, 0.2):
        out += rule.update(Scene(float(t), st.camera, [], st.geometry, density, st.regions))
    return out, density, st


def test_a_queue_row_across_the_line_of_sight_far_off_alerts_only_without_the_check():
    # 15 people 0.5 m apart in one row across the view, 23 m off, in the far half of the window
    # that reads it highest: read over the alert line (a row in a window's near half shows in
    # the window in front of it too, and is not caught by the check: round 17's note)
    row = np.column_stack([np.arange(-3.5, 3.6, 0.5), np.full(15, 23.0)])
    hits, density, st = _alerts(Overcrowding(steady_s=0), row)
    assert len(hits) == 1  # round 16: a packed crowd
    worst = max(density, key=density.get)
    region = st.regions[worst]
    assert region.body_span_m > 5.0 and region.front is not None
    assert density[region.front] < 0.4 * density[worst]  # the row's feet only
    assert _alerts(Overcrowding(steady_s=0, **LOS), row)[0] == []


def test_a_deep_crowd_at_the_same_distance_still_alerts():
    # twice the band on a 5-m square 20 m off fills the window in front of it too
    hits, density, st = _alerts(Overcrowding(steady_s=0, **LOS), _crowd_xy((0.0, 20.0), 2.0))
    assert len(hits) == 1


def test_near_windows_are_not_checked():
    # a body spans under ``los_span_m`` near the camera: the check leaves those windows alone
    st = hall_stream(LOW, Overcrowding(**LOS))
    near = [r for r in st.regions.values() if r.body_span_m < 4.0]
    assert near and all(r.front is None or r.body_span_m < 4.0 for r in near)
    rule = OvercrowdingRule(Overcrowding(**LOS))
    assert all(rule._seen_in_front(r.name, r, {r.name: 9.0}) for r in near)


def test_the_front_window_lies_one_stride_nearer_along_the_line_of_sight():
    centres = np.array([[0.0, 10.0], [0.0, 12.5], [2.5, 12.5], [0.0, 15.0], [30.0, 15.0]])
    names = ["a", "b", "c", "d", "e"]
    f = front_windows(names, centres, ["z"] * 4 + ["other"], np.array([0.0, 0.0]), 2.5)
    assert f == {"a": None, "b": "a", "c": "a", "d": "b", "e": None}
    assert Overcrowding().los_share == 0.0 and Overcrowding().los_span_m == 4.0
