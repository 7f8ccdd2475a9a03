"""A short re-link in a dense crowd needs closer clothes (``RelinkConfig.crowd_appearance``): at
the belts the re-link's gate holds neighbours. Someone with a neighbour or two (a corridor, the
desks) keeps ``min_appearance``. Fails on 6e2e5bc: RelinkConfig has no crowd_appearance (the
0.55-alike fragment was linked)."""

import numpy as np
import pytest

from pipeline.cctv.appearance import similarity
from pipeline.cctv.persons import PersonTrack
from pipeline.cctv.relink import RelinkConfig, Relinker

CROWD = RelinkConfig()  # crowd_appearance 0.6 by default
OFF = RelinkConfig(crowd_appearance=0.0)


def _hist(share: float = 1.0) -> np.ndarray:
    """Clothes: ``share`` of the torso in hue bin 3, the rest in bin 9."""
    h = np.zeros((12, 4), np.float32)
    h[3, 1], h[9, 1] = share, 1.0 - share
    return h


def _body(x: float, w: float = 40.0) -> tuple:
    return (x, 100.0, x + w, 100.0 + 3.5 * w)


NEAR = 0.636  # a fragment 0.55 alike: over min_appearance 0.5, under crowd_appearance 0.6


def _lost_then_fragment(config: RelinkConfig, step_px: float = 0.0, crowd: int = 4):
    """Track 1 stands (or walks ``step_px`` a frame) 3 s at 5 fps, with ``crowd`` tracks
    standing within a body height (140 px) of where it is lost, and 1 s later track 9, 0.55
    alike, starts where it was: the id track 9 gets."""
    r = Relinker(config)
    last = 500 + step_px * 14
    neighbours = [PersonTrack(5 + j, _body(last + dx), 1 + j)
                  for j, dx in enumerate((-60, 60, -120, 120)[:crowd])]
    for k in range(15):
        r.update(k * 0.2, [PersonTrack(1, _body(500 + step_px * k), 0)] + neighbours,
                 [_hist()] + [_hist(0.0)] * len(neighbours))
    out = r.update(4.0, [PersonTrack(9, _body(last + 4 + step_px * 5), 0)] + neighbours,
                   [_hist(NEAR)] + [_hist(0.0)] * len(neighbours))
    return out[0].track_id


def test_the_fragment_is_between_the_two_thresholds():
    assert 0.5 < similarity(_hist(), _hist(NEAR)) < 0.6


def test_a_standing_persons_short_link_in_a_crowd_needs_closer_clothes():
    assert _lost_then_fragment(OFF) == 1  # as before: linked
    assert _lost_then_fragment(CROWD) == 9


@pytest.mark.parametrize("crowd", [0, 2, 3])
def test_people_with_a_neighbour_or_two_keep_the_usual_threshold(crowd):
    assert _lost_then_fragment(CROWD, crowd=crowd) == 1


def test_a_walker_lost_in_a_dense_crowd_needs_closer_clothes_too():
    assert _lost_then_fragment(CROWD, step_px=20.0) == 9


def test_the_crowd_settings_are_checked():
    with pytest.raises(ValueError, match="crowd_appearance"):
        RelinkConfig(crowd_appearance=1.2)
    with pytest.raises(ValueError, match="crowd_count"):
        RelinkConfig(crowd_count=0)
