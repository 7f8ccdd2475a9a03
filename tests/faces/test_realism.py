"""Faces that behave like real ones: skin tone per group, change over time, look-alikes.

Each test runs on a small fixed sample; the population figures are `airtwin bench faces`'s.
"""

import dataclasses

import numpy as np
import pytest

from experiments.bench_faces import ita_cheeks
from sim.faces import (AppearanceChange, CaptureVariation, ChangeSettings, draw_change,
                       enrolment_identity, make_identity, relative, render_enrolment,
                       render_live)
from sim.faces.change import NO_CHANGE, at_age

ITA_BANDS = {"I-II": (41.0, 90.0), "III-IV": (10.0, 41.0), "V-VI": (-90.0, 10.0)}


@pytest.fixture(scope="module")
def dlib_embed():
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    from pipeline.registry import get_embedder
    from pipeline.types import Detection

    emb = get_embedder("dlib")
    emb.prepare()

    def embed(cap):
        return emb.embed(cap.image, [Detection(tuple(cap.box), 1.0, cap.landmarks)])[0].vector
    return embed


@pytest.mark.parametrize("tone", ITA_BANDS)
def test_ita_of_each_group_lies_in_its_band(tone):
    # Cheeks of enrolment photos under the standard light (fixed exposure: no per-face
    # brightening), 8 identities per group.
    ita = np.array([ita_cheeks(render_enrolment(make_identity((31, i), skin_tone=tone)))
                    for i in range(8)])
    lo, hi = ITA_BANDS[tone]
    assert lo < ita.mean() < hi, ita
    # Relief and light move a single face's reading by several degrees, as on real cheeks.
    assert ((ita > lo) & (ita < hi)).mean() >= 7 / 8, ita
    if tone == "V-VI":  # "dark" skin is there, not only "brown"
        assert (ita < -30).mean() >= 0.25, ita


def test_groups_stay_apart_on_live_captures_too():
    # Face-priority metering lifts a dark face a little, never to a light face's level.
    bare = CaptureVariation.none()
    ita = {t: np.mean([ita_cheeks(render_live(make_identity((32, i), skin_tone=t),
                                              np.random.default_rng(i), bare))
                       for i in range(4)]) for t in ITA_BANDS}
    assert ita["I-II"] > ita["III-IV"] + 15 > ita["V-VI"] + 30, ita


def test_ageing_lowers_genuine_scores_monotonically(dlib_embed):
    # The same four people photographed 0, 4 and 10 years before a frontal gate capture.
    scores = []
    for years in (0.0, 4.0, 10.0):
        s = []
        for i in range(4):
            idt = make_identity((33, i), age_band="45-59")
            live = render_live(idt, np.random.default_rng(i), CaptureVariation.none())
            photo = render_enrolment(at_age(idt, idt.age - years) if years else idt)
            s.append(float(dlib_embed(live) @ dlib_embed(photo)))
        scores.append(np.mean(s))
    assert scores[0] > scores[1] > scores[2], scores


def test_look_alikes_score_above_ordinary_impostors(dlib_embed):
    roots = [make_identity((34, i)) for i in range(4)]
    enrol = [dlib_embed(render_enrolment(r)) for r in roots]
    twins = [dlib_embed(render_enrolment(relative(r, (35, i), "twin")))
             for i, r in enumerate(roots)]
    sibs = [dlib_embed(render_enrolment(relative(r, (36, i), "sibling")))
            for i, r in enumerate(roots)]
    twin = np.mean([t @ e for t, e in zip(twins, enrol)])
    sibling = np.mean([t @ e for t, e in zip(sibs, enrol)])
    impostor = np.mean([twins[i] @ enrol[j] for i in range(4) for j in range(4) if i != j])
    assert twin > sibling > impostor, (twin, sibling, impostor)


def test_relatives_are_labelled_and_keep_the_family_demographics():
    root = make_identity((37, 0), skin_tone="V-VI", sex_presentation="female")
    twin = relative(root, (37, 1), "twin")
    assert twin.key == (37, 1) and twin.kin_seed == root.texture_seed and twin.kin_share == 0.9
    assert (twin.skin_tone, twin.sex_presentation, twin.age) == ("V-VI", "female", root.age)
    with pytest.raises(ValueError, match="kind"):
        relative(root, (37, 2), "cousin")


def test_change_is_drawn_deterministically_and_can_be_switched_off():
    idt = make_identity((38, 0), sex_presentation="male", age_band="30-44")
    a = draw_change(np.random.default_rng(5), idt)
    assert a == draw_change(np.random.default_rng(5), idt)
    assert 0 <= a.photo_age_years <= 10
    assert draw_change(np.random.default_rng(5), idt, ChangeSettings.off()) == NO_CHANGE
    assert enrolment_identity(idt, NO_CHANGE) is idt


def test_enrolment_identity_is_the_person_as_the_photo_shows_them():
    idt = make_identity((39, 0), sex_presentation="male", age_band="60+")
    change = AppearanceChange(photo_age_years=8.0, weight_change_bmi=3.0,
                              photo_hair_style="long", photo_beard_style="full", glasses="rect")
    then = enrolment_identity(idt, change)
    assert then.age == pytest.approx(idt.age - 8.0, abs=0.1) and then.drift == 8.0
    assert then.wrinkles <= idt.wrinkles and then.grey <= idt.grey
    assert then.chin_v < idt.chin_v and then.cheek_fullness < idt.cheek_fullness + 1e-9
    assert (then.hair_style, then.beard_style) == ("long", "full")
    assert (then.key, then.texture_seed, then.skin_bgr) == (idt.key, idt.texture_seed, idt.skin_bgr)
    # Glasses are worn at the gate: the live capture draws them, the photo never does.
    cap = render_live(idt, np.random.default_rng(1), CaptureVariation.none(), glasses="rect")
    assert cap.meta["glasses"] == "rect"


def test_scenario_change_and_look_alike_settings_have_defaults(default_scenario):
    rc = default_scenario.immigration.recognizer
    assert rc.appearance_change.enabled and rc.appearance_change.photo_age_years_max == 10
    assert rc.look_alikes.share == 0.0
    d = dataclasses.asdict(draw_change(np.random.default_rng(0), make_identity((40, 0))))
    assert set(d) == {"photo_age_years", "weight_change_bmi", "photo_hair_style",
                      "photo_beard_style", "glasses"}
