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


def test_pigment_patches_on_the_cheeks_stay_subtle():
    # Blotches up to 0.18 of the albedo (and cheek patches up to 0.12) cost dlib's HOG
    # detector 0.05-0.1 of its score on the faces they marked. Now the cheeks' patch-scale
    # unevenness (log luminance, pores and moles blurred away) stays under 0.12 sd in
    # everyone (old ranges: up to 0.17 in these 30).
    import cv2

    g = Grid.make(24.0)

    def blotch(idt):
        skin = np.asarray(idt.skin_bgr, np.float32)
        alb = paint_skin(g, idt, np.broadcast_to(skin, (*g.U.shape, 3)).copy())
        y = cv2.GaussianBlur(np.log(alb @ np.array([0.114, 0.587, 0.299], np.float32)),
                             (0, 0), 0.1 * g.ppu)
        cheeks = (np.abs(g.U) > 0.25) & (np.abs(g.U) < 0.7) & (g.V > -0.1) & (g.V < 0.4)
        return float(y[cheeks].std())

    worst = max(blotch(make_identity((5300, i))) for i in range(30))
    assert worst < 0.12, worst


def test_brows_and_eye_sockets_read_dark_against_the_forehead():
    # Faint, gappy brows and pale sockets cost dlib's HOG detector its grip on the eyes. Across
    # 30 people the brow now averages under 0.59 of the forehead's luminance and the socket
    # under 0.42 (old ranges: 0.62 and 0.45).
    from sim.faces.geometry import sample
    from sim.faces.paint import face_albedo

    g = Grid.make(24.0)
    ratios = []
    for i in range(30):
        idt = make_identity((5300, i))
        y = face_albedo(g, idt) @ np.array([0.114, 0.587, 0.299], np.float32)
        for s in (-1, 1):
            u = s * idt.eye_spacing
            fore = sample(g, y, u, idt.eye_v - idt.brow_gap - 0.25)
            ratios.append((sample(g, y, u, idt.eye_v - idt.brow_gap) / fore,
                           sample(g, y, u, idt.eye_v - idt.eye_open - 0.04) / fore))
    brow, socket = np.mean(ratios, axis=0)
    assert brow < 0.59 and socket < 0.42, (brow, socket)
