"""Per-person texture traits (sim.faces.texture): drawn from the identity, in range, shared by
relatives, changed by the years, and painted so that two people's skin differs."""

import dataclasses

import numpy as np

from sim.faces import make_identity, relative
from sim.faces.change import at_age
from sim.faces.geometry import Grid
from sim.faces.texture import TRAIT_RANGES, _spots, paint_skin, traits


def _vec(idt) -> np.ndarray:
    t = traits(idt)
    return np.array([(t[k] - lo) / (hi - lo) if hi > lo else 0.5
                     for k, (lo, hi) in TRAIT_RANGES.items()])


def test_traits_are_deterministic_in_range_and_differ_between_people():
    ids = [make_identity((31, i)) for i in range(40)]
    for idt in ids:
        t = traits(idt)
        traits.cache_clear()  # an equal identity would get the cached dict back
        assert t == traits(make_identity(idt.key))
        for k, (lo, hi) in TRAIT_RANGES.items():
            assert lo <= t[k] <= hi, (idt.key, k, t[k])
    # Each trait spreads over its range across people, not stuck at one value.
    spread = np.std([_vec(i) for i in ids], axis=0)
    assert (spread > 0.15).all(), dict(zip(TRAIT_RANGES, spread.round(2)))


def test_relatives_share_traits_and_twins_most():
    def dist(a, b):
        return float(np.abs(_vec(a) - _vec(b)).mean())
    base = [make_identity((32, i)) for i in range(12)]
    strangers = np.mean([dist(b, make_identity((33, i), skin_tone=b.skin_tone))
                         for i, b in enumerate(base)])
    siblings = np.mean([dist(b, relative(b, (34, i), "sibling")) for i, b in enumerate(base)])
    twins = np.mean([dist(b, relative(b, (35, i), "twin")) for i, b in enumerate(base)])
    assert twins < siblings < strangers


def test_years_change_the_traits_more_the_more_years():
    ids = [make_identity((36, i), age_band="45-59") for i in range(12)]
    change = [np.mean([np.abs(_vec(i) - _vec(at_age(i, i.age - y))).mean() for i in ids])
              for y in (0, 2, 5, 10)]
    assert change[0] == 0
    assert change[1] < change[2] < change[3], change


def test_spots_come_with_the_years():
    idt = make_identity((37, 3), age_band="60+")
    g = Grid.make(12.0)
    counts = [len(_spots(g, dataclasses.replace(idt, drift=float(y)), "moles", 20.0,
                         (0.01, 0.02))) for y in (0, 10, 30, 45)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1], counts


def test_two_people_of_one_colour_get_different_skin():
    g = Grid.make(24.0)
    a = make_identity((38, 1), skin_tone="III-IV")
    b = dataclasses.replace(make_identity((38, 2), skin_tone="III-IV"), skin_bgr=a.skin_bgr)
    flat = np.broadcast_to(np.asarray(a.skin_bgr, np.float32), (*g.U.shape, 3)).copy()
    pa, pb = paint_skin(g, a, flat.copy()), paint_skin(g, b, flat.copy())
    face = (np.abs(g.U) < 0.7) & (g.V > -0.8) & (g.V < 1.0)
    # Each is textured (not flat), and the two textures are not the same field.
    assert pa[face].std() > 0.005 and pb[face].std() > 0.005
    la, lb = pa[face].mean(axis=1), pb[face].mean(axis=1)
    assert abs(np.corrcoef(la, lb)[0, 1]) < 0.8
