"""Genuine change over time and look-alikes, with their ground truth.

A passport photo is up to ten years old when its holder reaches an e-gate: they have aged, may
have gained or lost weight, changed their hairstyle, grown or shaved a beard, and may wear
glasses at the gate. :func:`draw_change` draws such an :class:`AppearanceChange` from
:class:`ChangeSettings`, and :func:`enrolment_identity` gives the person as the photo shows them
(:func:`at_age` for the ageing alone). :func:`relative` makes a sibling or twin of an identity:
a look-alike for stress-testing false matches.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.faces.identity import (BEARD_STYLES, HAIR_STYLES, Identity, age_shape, make_identity)

GLASSES_STYLES = ("round", "rect", "thick")
AGEING_DRIFT = 2.5  # scale of the individual feature drift (_DRIFT_SD per ten years)
# Shape change per point of body-mass index (face units): fuller cheeks and jaw, a lower chin
# line (Coetzee et al. 2009 on facial adiposity).
_WEIGHT_SHAPE = {"cheek_fullness": 0.012, "jaw_width": 0.008, "jaw_v": 0.006, "chin_v": 0.004}


@dataclass(frozen=True)
class ChangeSettings:
    """How much people change between their enrolment photo and the gate.

    ``photo_age_years``: the photo's age is drawn uniformly in this range (passports run ten
    years). ``weight_sd_bmi``: body-mass-index change over ten years, sd (points).
    ``*_p``: probability that the hairstyle, the facial hair (male-presenting only) changed, and
    that the traveler wears glasses at the gate (the photo is without, as ICAO asks).
    """

    enabled: bool = True
    photo_age_years: tuple[float, float] = (0.0, 10.0)
    weight_sd_bmi: float = 2.0
    hairstyle_p: float = 0.4
    facial_hair_p: float = 0.3
    glasses_p: float = 0.15

    @classmethod
    def off(cls) -> "ChangeSettings":
        return cls(enabled=False)


@dataclass(frozen=True)
class AppearanceChange:
    """Ground truth of one traveler's change from the photo to the gate."""

    photo_age_years: float = 0.0
    weight_change_bmi: float = 0.0  # today minus then
    photo_hair_style: str | None = None  # the style in the photo, where it differs
    photo_beard_style: str | None = None
    glasses: str = "none"  # worn at the gate

    def meta(self) -> dict:
        return dataclasses.asdict(self)


NO_CHANGE = AppearanceChange()


def draw_change(rng: np.random.Generator, idt: Identity,
                settings: ChangeSettings = ChangeSettings()) -> AppearanceChange:
    """One traveler's change, drawn by ``rng`` (the same number of draws whatever the result)."""
    years = float(rng.uniform(*settings.photo_age_years))
    weight = float(rng.normal(0, settings.weight_sd_bmi) * np.sqrt(years / 10.0))
    hair_p, beard_p, glasses_p = rng.random(3)
    hair = HAIR_STYLES[int(rng.integers(len(HAIR_STYLES)))]
    beard = BEARD_STYLES[int(rng.integers(len(BEARD_STYLES)))]
    glasses = GLASSES_STYLES[int(rng.integers(len(GLASSES_STYLES)))]
    if not settings.enabled:
        return NO_CHANGE
    male = idt.sex_presentation == "male"
    changed_hair = hair_p < settings.hairstyle_p and hair != idt.hair_style and (
        male or hair != "bald")
    changed_beard = male and beard_p < settings.facial_hair_p and beard != idt.beard_style
    return AppearanceChange(
        photo_age_years=round(years, 2), weight_change_bmi=round(weight, 2),
        photo_hair_style=hair if changed_hair else None,
        photo_beard_style=beard if changed_beard else None,
        glasses=glasses if glasses_p < settings.glasses_p else "none")


# Individual ageing: besides the average trend (age_shape), each person's features drift their
# own way; sd per ten years, face units (radians for tilts), about a tenth of each range.
_DRIFT_SD = {"eye_open": 0.012, "lid_curve": 0.06, "lid_skew": 0.06, "eye_tilt": 0.03,
             "brow_gap": 0.02, "brow_arch": 0.012, "brow_tilt": 0.03, "brow_thickness": 0.008,
             "nose_width": 0.015, "nose_projection": 0.02, "nose_tip": 0.006,
             "alar_spread": 0.02, "mouth_width": 0.02, "upper_lip": 0.008, "lower_lip": 0.008,
             "lip_bow": 0.04, "cheekbone": 0.01, "cheek_fullness": 0.012,
             "chin_prominence": 0.012, "jaw_width": 0.015, "chin_width": 0.015,
             "lower_lid": 0.03, "mouth_corner": 0.004}


_DRIFT_FLOOR = {"eye_open": 0.045, "upper_lip": 0.05, "lower_lip": 0.06, "brow_gap": 0.08}


def at_age(idt: Identity, age: float) -> Identity:
    """The same person at another adult age: shape (:func:`age_shape` plus an individual
    drift of the features, from the identity's own stream), wrinkles, grey hair and recession
    follow; ``drift`` counts the years between the two, so the individual change in relief and
    shape (:mod:`sim.faces.geometry`, :mod:`sim.faces.layers`) grows with them. Demographic
    labels stay those of the traveler today."""
    now, then = age_shape(idt.age), age_shape(age)
    years = idt.age - age
    shape = {k: getattr(idt, k) - now[k] + then[k] for k in now}
    rng = np.random.default_rng([idt.texture_seed, 0xA6E5])
    step = rng.normal(0, 1, len(_DRIFT_SD)) * min(abs(years) / 10.0, 1.5) * AGEING_DRIFT
    for (k, sd), z in zip(_DRIFT_SD.items(), step):
        shape[k] = shape.get(k, getattr(idt, k)) + sd * z
    # Lids and lips thin with the years but never close: a shut eye is no longer a face to
    # a detector, nor a plausible photo.
    for k, floor in _DRIFT_FLOOR.items():
        shape[k] = max(shape[k], min(getattr(idt, k), floor))
    d = years / 45.0  # the identity's ``aged`` scale: 45 years from young to old
    return dataclasses.replace(
        idt, age=round(float(age), 1), drift=idt.drift + abs(years),
        wrinkles=float(np.clip(idt.wrinkles - 1.0 * d, 0, 1)),
        grey=float(np.clip(idt.grey - 1.1 * d, 0, 1)),
        hair_recession=float(np.clip(idt.hair_recession * (1 - 1.5 * d), 0, 1)), **shape)


def enrolment_identity(idt: Identity, change: AppearanceChange) -> Identity:
    """The traveler as their enrolment photo shows them: ``change.photo_age_years`` younger,
    at the weight they had then, with the hairstyle and facial hair they had then."""
    if change == NO_CHANGE:
        return idt
    then = at_age(idt, idt.age - change.photo_age_years)
    then = dataclasses.replace(then, **{
        k: getattr(then, k) - per * change.weight_change_bmi for k, per in _WEIGHT_SHAPE.items()})
    if change.photo_hair_style:  # another cut: its length, volume, fringe and parting too
        r = np.random.default_rng([idt.texture_seed, 0xC07])
        then = dataclasses.replace(
            then, hair_style=change.photo_hair_style, hair_volume=float(r.uniform(0.08, 0.3)),
            hair_length=float(r.uniform(0.4, 2.0)), part=float(r.uniform(-1, 1)),
            fringe=float(r.uniform(0, 0.8) if r.random() < 0.3 else 0.0))
    if change.photo_beard_style:
        then = dataclasses.replace(then, beard_style=change.photo_beard_style)
    return then


# Share of a relative's shape taken from the family (the rest is their own): identical twins
# share nearly all of it, siblings about half (heritability of facial shape is high: twin
# studies put it at 0.5-0.8 for most measurements, Tsagkrasoulis et al. 2017).
KIN_SHARE = {"twin": 0.9, "sibling": 0.55}
_CATEGORICAL = ("skin_tone", "age_band", "sex_presentation", "hair_style", "beard_style",
                "collar", "key", "texture_seed", "kin_seed", "kin_share", "drift")


def relative(idt: Identity, key: tuple[int, int], kind: str = "sibling") -> Identity:
    """A sibling or twin of ``idt``, keyed ``key``: same skin tone, sex and (for twins) age;
    ``KIN_SHARE[kind]`` of every shape and colour parameter and of the random relief and warp
    comes from ``idt``, the rest from the relative's own draw."""
    if kind not in KIN_SHARE:
        raise ValueError(f"kind: expected one of {', '.join(KIN_SHARE)}, got {kind!r}")
    s = KIN_SHARE[kind]
    own = make_identity(key, skin_tone=idt.skin_tone,
                        age_band=idt.age_band if kind == "twin" else None,
                        sex_presentation=idt.sex_presentation)
    if kind == "twin":
        own = at_age(own, idt.age)
        own = dataclasses.replace(own, drift=0.0)
    mixed = {}
    for f in dataclasses.fields(Identity):
        a, b = getattr(idt, f.name), getattr(own, f.name)
        if f.name in _CATEGORICAL or isinstance(a, str):
            continue
        if isinstance(a, tuple):
            mixed[f.name] = tuple(float(s * x + (1 - s) * y) for x, y in zip(a, b))
        else:
            mixed[f.name] = float(s * a + (1 - s) * b)
    root = idt.kin_seed if idt.kin_seed >= 0 else idt.texture_seed
    return dataclasses.replace(own, **mixed, kin_seed=root, kin_share=s)
