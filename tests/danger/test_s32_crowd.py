"""Overcrowding reads a crowd that stands still as the still crowd it is (issue 12, round 16,
branch danger-crowd3): a density window whose reading has held still for
``rules.overcrowding.steady_s`` (40 s, spread under ``steady_cv`` 0.5 % of its mean) is read
``steady_factor`` (1.5) times its density. On the tune seeds the staged crowds of 23 (19.9 m,
read 0.88 of the band), 67 (7.7 m) and 72 (20.2 m) held a frozen reading under the alert line
(the detector holds the foreground of people standing still). Every test fails on f8d78be
(no ``pipeline.danger.overcrowding``, no steadiness); the first also fails with ``steady_s`` 0
(round 15's reading); the controls (a moving crowd, a still queue) stay quiet with it on."""

import numpy as np
import pytest

from pipeline.danger.config import Overcrowding
from pipeline.danger.overcrowding import OvercrowdingRule, Steadiness
from pipeline.danger.scene import Scene

from test_s25_crowd import hall_stream, paint_people

HIGH = (8.4, 35.0, 80.0)  # camera height m, tilt deg, field of view deg (tune seed 42's kind)
FPS = 5.0


def _crowd_xy(centre, per_m2: float, side: float = 5.0, jitter_seed: int = 3) -> np.ndarray:
    """A crowd as the simulator stages one: a ``side`` m square grid, jittered."""
    n = int(round(side * side * per_m2))
    cols = int(np.ceil(np.sqrt(n)))
    k = np.arange(n)
    xy = np.column_stack([centre[0] + ((k % cols + 0.5) / cols - 0.5) * side,
                          centre[1] + ((k // cols + 0.5) / cols - 0.5) * side])
    return xy + (np.random.default_rng(jitter_seed).uniform(size=xy.shape) - 0.5) * side / cols * 0.5


def _alerts(p: Overcrowding, per_m2: float, moving: bool = False, seconds: float = 70.0):
    """Overcrowding alerts on a crowd at ``per_m2`` 12 m from the high camera, read every
    frame for ``seconds``: standing still (the same foreground each frame) or ``moving`` (each
    person shuffling up to 0.25 m a frame, so its foreground changes)."""
    st = hall_stream(HIGH, p)
    rule = OvercrowdingRule(p)
    xy = _crowd_xy((0.0, 12.0), per_m2)
    rng = np.random.default_rng(7)
    still = st._window_density(st._density.counts(paint_people(st, xy, 0.8)), overlap=True)
    out = []
    for t in np.arange(0.0, seconds, 1.0 / FPS):
        density = still
        if moving:
            step = xy + rng.uniform(-0.25, 0.25, xy.shape)
            density = st._window_density(st._density.counts(paint_people(st, step, 0.8)),
                                         overlap=True)
        out += rule.update(Scene(float(t), st.camera, [], st.geometry, density, st.regions))
    return out, max(still.values())


def test_a_still_crowd_under_the_line_alerts_once_its_reading_holds():
    # 1.6 / m² (band 1 / m²) reads about 1.05 / m² here: under the alert line (1.25 x the band)
    # until it has held still 40 s; then once (sustained 8 s more)
    p = Overcrowding()
    assert p.steady_s == 40.0 and p.steady_factor == 1.5 and p.steady_cv == 0.005
    hits, read = _alerts(p, 1.6)
    assert read < p.margin
    assert len(hits) == 1 and 40.0 + 8.0 - 0.5 <= hits[0].t <= 40.0 + 8.0 + 0.5
    # round 15's reading (steadiness off): no alert
    assert _alerts(Overcrowding(steady_s=0), 1.6)[0] == []


def test_a_moving_crowd_at_the_same_density_is_not_boosted():
    # the control: people shuffling change the foreground every frame (spread >= 0.5 %)
    hits, read = _alerts(Overcrowding(), 1.6, moving=True, seconds=60.0)
    assert hits == []


def test_a_still_queue_at_half_the_band_stays_under_the_line():
    # people standing in a queue hold their foreground too: 0.5 / m² boosted stays far under
    hits, read = _alerts(Overcrowding(), 0.5)
    assert hits == [] and read * Overcrowding().steady_factor < Overcrowding().margin


def test_steadiness_needs_the_whole_span():
    s = Steadiness(40.0, 0.005)
    for t in np.arange(0.0, 39.0, 0.2):
        assert s.update(float(t), {"w": 1.0}) == set()  # not watched 40 s yet
    assert s.update(40.0, {"w": 1.0}) == {"w"}
    assert s.update(40.2, {"w": 1.1}) == set()  # a 10 % jump breaks it
    with pytest.raises(ValueError):
        Overcrowding(steady_s=-1)
