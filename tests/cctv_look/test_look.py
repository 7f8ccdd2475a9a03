"""A look (pipeline.cctv.look): upper and lower body apart, masked where a nearer box covers
it, sure in proportion to how much of it is seen and how large."""

import numpy as np
import pytest

from pipeline.cctv.look import LookConfig, compare, looks
from test_look_guard import BLUE, KHAKI, NAVY, RED, _background, _draw


def test_the_part_behind_a_nearer_box_is_left_out():
    far, near = (200, 100, 300, 400), (255, 110, 375, 480)  # 3/7 of its parts covered
    alone = _background()
    _draw(alone, far, RED, NAVY)
    seen_alone = looks(alone, [far])[0]
    both = alone.copy()
    _draw(both, near, BLUE, KHAKI)  # nearer: its bottom edge is lower
    behind, front = looks(both, [far, near])
    assert behind.confidence < seen_alone.confidence  # less of it is seen
    sim, sure = compare(seen_alone, behind)
    assert sure > 0 and sim > 0.95  # what is seen is still red over navy
    assert compare(front, looks(both, [near])[0])[0] > 0.99  # the one in front is not masked


def _two_looks(*people):
    """The looks of (box, top, bottom) people drawn side by side on one frame."""
    img = _background()
    for box, top, bottom in people:
        _draw(img, box, top, bottom)
    return looks(img, [box for box, _, _ in people])


def test_confidence_falls_with_the_size_of_the_body():
    a, b = _two_looks(((100, 50, 200, 450), RED, NAVY), ((400, 50, 410, 80), RED, NAVY))
    assert a.confidence == pytest.approx(1.0)
    assert 0 < b.confidence < 0.5


def test_upper_and_lower_body_are_compared_apart():
    a, b = _two_looks(((100, 50, 200, 450), RED, NAVY), ((300, 50, 400, 450), RED, KHAKI))
    assert np.sqrt(a.hist[0] * b.hist[0]).sum() > 0.95  # the same coat
    assert compare(a, b, "min")[0] < 0.3  # not the same person
    assert compare(a, b, "mean")[0] > compare(a, b, "min")[0]


def test_a_bad_setting_is_named():
    with pytest.raises(ValueError, match="LookConfig.combine"):
        LookConfig(combine="max")
