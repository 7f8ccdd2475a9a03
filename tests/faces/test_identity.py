"""Synthetic identities: deterministic from the key, demographics honoured, bad input named."""

import dataclasses

import pytest

from sim.faces import AGE_BANDS, SEX_PRESENTATIONS, SKIN_TONES, Identity, make_identity


def test_same_key_same_identity_and_keys_differ():
    a, b = make_identity((3, 17)), make_identity((3, 17))
    assert a == b and hash(a) == hash(b)
    others = {make_identity((3, i)) for i in range(20)} | {make_identity((4, 17))}
    assert len(others) == 21


def test_given_demographics_are_honoured():
    for tone in SKIN_TONES:
        for band in AGE_BANDS:
            for sex in SEX_PRESENTATIONS:
                idt = make_identity((1, 5), skin_tone=tone, age_band=band, sex_presentation=sex)
                assert (idt.skin_tone, idt.age_band, idt.sex_presentation) == (tone, band, sex)
    assert 60 <= make_identity((1, 5), age_band="60+").age <= 85
    assert 18 <= make_identity((1, 5), age_band="18-29").age <= 30


def test_missing_demographics_are_drawn_from_all_groups():
    ids = [make_identity((0, i)) for i in range(120)]
    assert {i.skin_tone for i in ids} == set(SKIN_TONES)
    assert {i.age_band for i in ids} == set(AGE_BANDS)
    assert {i.sex_presentation for i in ids} == set(SEX_PRESENTATIONS)
    # Female-presenting identities never get facial hair.
    assert all(i.beard_style == "none" for i in ids if i.sex_presentation == "female")


def test_skin_tone_groups_order_by_lightness():
    mean = {t: sum(sum(make_identity((2, i), skin_tone=t).skin_bgr) for i in range(30)) / 30
            for t in SKIN_TONES}
    assert mean["I-II"] > mean["III-IV"] > mean["V-VI"]


def test_face_layout_is_plausible():
    for i in range(200):
        f = make_identity((5, i))
        assert f.hairline_v < f.eye_v - f.brow_gap < f.eye_v < f.nose_v < f.mouth_v < f.chin_v
        assert f.mouth_v + f.lower_lip < f.chin_v - 0.15
        assert f.eye_width < f.eye_spacing


@pytest.mark.parametrize("kw, field", [
    ({"skin_tone": "dark"}, "skin_tone"),
    ({"age_band": "20-30"}, "age_band"),
    ({"sex_presentation": "other"}, "sex_presentation"),
])
def test_unknown_demographic_is_named(kw, field):
    with pytest.raises(ValueError, match=field) as e:
        make_identity((0, 1), **kw)
    assert repr(next(iter(kw.values()))) in str(e.value)


@pytest.mark.parametrize("key", [(0,), (0, -1), ("a", 1), [0, 1], (0, 1.5)])
def test_bad_key_is_named(key):
    with pytest.raises(ValueError, match="key"):
        make_identity(key)


def test_identity_is_frozen():
    idt = make_identity((0, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        idt.eye_spacing = 0.5  # type: ignore[misc]
    assert isinstance(idt, Identity)
