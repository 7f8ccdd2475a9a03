"""The correlated shape modes (sim.faces.morph): whole-face variation, sex-dependent, bounded,
and drawn from a stream of their own. The model is off by default (MODE_SCALE and
FEATURE_SHAPE 0: it cost dlib HOG detections); these tests switch it on."""

import dataclasses
from contextlib import contextmanager

import numpy as np
import pytest

import sim.faces.morph as morph
from sim.faces import make_identity

N = 300


@contextmanager
def model(modes: float = 1.0, outlines: float = 1.0):
    saved = morph.MODE_SCALE, morph.FEATURE_SHAPE
    morph.MODE_SCALE, morph.FEATURE_SHAPE = modes, outlines
    try:
        yield
    finally:
        morph.MODE_SCALE, morph.FEATURE_SHAPE = saved


def _draw(seed=41, modes=1.0, **kw):
    with model(modes):
        return [make_identity((seed, i), **kw) for i in range(N)]


@pytest.fixture(scope="module")
def with_modes():
    return _draw()


@pytest.fixture(scope="module")
def without_modes():
    return _draw(modes=0.0)


def test_the_model_is_off_by_default():
    assert morph.MODE_SCALE == 0.0 and morph.FEATURE_SHAPE == 0.0
    rng = np.random.default_rng(7)
    # off: no mode moves a parameter and every outline is its fixed shape
    assert set(morph.mode_offsets(morph.mode_coefficients(rng, "male")).values()) == {0.0}
    assert morph.feature_shapes(rng) == {k: v[0] for k, v in morph._OUTLINES.items()}
    with model():
        rng = np.random.default_rng(7)
        assert set(morph.mode_offsets(morph.mode_coefficients(rng, "male")).values()) != {0.0}


def _corr(ids, a, b):
    return float(np.corrcoef([getattr(i, a) for i in ids], [getattr(i, b) for i in ids])[0, 1])


def test_modes_correlate_features_across_the_face(with_modes, without_modes):
    # A robust face is robust in nose and chin at once; spread features spread together;
    # a long face is a narrow one at the crown as well.
    for a, b, sign in (("nose_projection", "chin_prominence", 1), ("mouth_width", "eye_spacing", 1),
                       ("chin_v", "crown_v", -1)):
        gain = sign * (_corr(with_modes, a, b) - _corr(without_modes, a, b))
        assert gain > 0.15, (a, b)


def test_modes_widen_the_spread_of_the_features(with_modes, without_modes):
    # (Eye spacing is left out: the adult IPD bounds it either way, see the plausibility test.)
    for name in ("chin_v", "nose_projection", "mouth_width", "chin_prominence", "lid_curve"):
        sd_on = np.std([getattr(i, name) for i in with_modes])
        sd_off = np.std([getattr(i, name) for i in without_modes])
        assert sd_on > 1.1 * sd_off, name


def test_men_sit_towards_the_robust_end():
    def gap(ids_m, ids_f, name):
        return (np.mean([getattr(i, name) for i in ids_m])
                - np.mean([getattr(i, name) for i in ids_f]))
    male, female = _draw(sex_presentation="male"), _draw(sex_presentation="female")
    male0 = _draw(modes=0.0, sex_presentation="male")
    female0 = _draw(modes=0.0, sex_presentation="female")

    def mean(sex, mode):
        return (morph.SEX_SHIFT[sex] if mode == "robustness" else 0.0) + morph.SEX_MEANS[
            sex].get(mode, 0.0)
    shift = sum(load.get("nose_projection", 0.0) * (mean("male", m) - mean("female", m))
                for m, load in morph.SHAPE_MODES.items())
    assert shift > 0.02  # men's noses project further, by the modes' means alone
    assert gap(male, female, "nose_projection") == pytest.approx(
        gap(male0, female0, "nose_projection") + shift, abs=0.012)


def test_modes_keep_faces_plausible(with_modes):
    for i in with_modes:
        assert i.eye_spacing + i.eye_width <= 0.74 + 1e-9, i.key  # eye inside the cheek line
        assert 0.365 <= i.eye_spacing <= 0.495, i.key  # adult IPD: +-15% about its mean
        assert i.nose_v - i.eye_v >= 0.38, i.key  # 0.4 less the young face's shorter nose
        assert i.mouth_v - i.nose_v >= 0.18, i.key
        assert i.chin_v - i.jaw_v >= 0.3, i.key
        assert min(i.upper_lip, i.lower_lip, i.eye_open, i.nose_tip) > 0.03, i.key


def test_modes_leave_every_other_draw_as_it_was(with_modes, without_modes):
    touched = {k for m in morph.SHAPE_MODES.values() for k in m}
    touched |= {"jaw_v", "mouth_v", "eye_open", "hairline_v"}  # derived from moved ones
    for a, b in zip(with_modes[:40], without_modes[:40]):
        for f in dataclasses.fields(a):
            if f.name not in touched:
                assert getattr(a, f.name) == getattr(b, f.name), f.name


def test_feature_outlines_vary_within_bounds_and_default_to_the_fixed_shapes(with_modes):
    for name, (mid, sd, lo, hi) in morph._OUTLINES.items():
        vals = np.array([getattr(i, name) for i in with_modes])
        assert vals.min() >= lo - 0.02 and vals.max() <= hi + 0.02, name  # + the age trend
        assert vals.std() > 0.5 * sd, name
    with model(1.0, 0.0):
        idt = make_identity((41, 3), age_band="30-44")
    assert (idt.lower_lid, idt.upper_lip_taper, idt.lower_lip_taper) == (0.6, 0.5, 0.6)
    assert abs(idt.mouth_corner) < 0.004  # only the age trend


def test_mouth_corner_landmarks_follow_the_corners():
    from sim.faces import render_enrolment

    idt = make_identity((41, 5))
    down = dataclasses.replace(idt, mouth_corner=0.03)
    up = dataclasses.replace(idt, mouth_corner=-0.03)
    a, b = render_enrolment(down).landmarks, render_enrolment(up).landmarks
    assert (a[3:, 1] > b[3:, 1] + 1).all()  # pixels: drooping corners sit lower
    assert np.allclose(a[:3], b[:3], atol=0.5)


def test_brows_clear_the_upper_lid(with_modes):
    for i in with_modes:
        assert i.brow_gap >= i.eye_open + 0.07 - 1e-9, i.key
