"""Synthetic identities: a parameter vector for a face that belongs to no one.

An identity is drawn deterministically from its key (replication seed, traveler id) with a
``numpy.random.SeedSequence``; demographics the caller knows (from the traveler record) are
honoured and the rest drawn. Geometry is in *face units*: 1 unit is half the cheekbone width,
``u`` runs to the image right (the subject's left), ``v`` runs down, the origin sits between the
cheekbones at eye-to-nose level. Recognition models see identity in proportions and texture, so
ranges are wide and many parameters are independent; per-identity bump fields and textures come
from ``texture_seed``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from sim.faces.morph import feature_shapes, mode_coefficients, mode_offsets

SKIN_TONES = ("I-II", "III-IV", "V-VI")
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")
SEX_PRESENTATIONS = ("female", "male")
HAIR_STYLES = ("bald", "buzz", "short", "side_part", "medium", "long", "bun", "curly", "afro")
BEARD_STYLES = ("none", "stubble", "moustache", "goatee", "full")

# Skin colour per Fitzpatrick group as CIELab draws: the Individual Typology Angle
# ITA = atan((L* - 50) / b*) (Chardon et al. 1991; Del Bino & Bernerd 2013) in a range that
# puts I-II in "light"/"very light" (> 41 deg), III-IV in "intermediate"/"tan" (10..41) and V-VI
# in "brown"/"dark" (< 10, about a third below -30), with b* (yellowness) and a* (redness)
# in the ranges colorimetry of real skin reports. L* follows from ITA and b*, capped where
# b* would make it implausibly light. The albedo is the sRGB colour of that Lab value: under
# the standard enrolment light and exposure a cheekbone renders a few degrees lighter than its
# albedo (it faces the light), which the ranges allow for.
_SKIN_LAB = {  # ITA deg, b*, a*: uniform ranges; L* max
    "I-II": ((48.0, 66.0), (11.0, 18.0), (5.0, 12.0), 78.0),
    "III-IV": ((13.0, 31.0), (15.0, 22.0), (7.0, 13.0), 70.0),
    "V-VI": ((-58.0, -4.0), (10.0, 19.0), (7.0, 13.0), 56.0),
}


def skin_albedo(ita_deg: float, b: float, a: float, l_max: float) -> tuple[float, ...]:
    """BGR albedo (0..1) of the skin colour with that ITA, b* and a* (L* at most ``l_max``)."""
    t = np.tan(np.deg2rad(ita_deg))
    if 50 + b * t > l_max:
        b = (l_max - 50) / t
    lab = np.array([[[50 + b * t, a, b]]], np.float32)
    return tuple(float(c) for c in np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)[0, 0], 0.01, 1))


_GREY_DELAY = {"I-II": 0.0, "III-IV": 0.12, "V-VI": 0.24}  # later greying, in units of aged
_AGE_YEARS = {"18-29": (18, 30), "30-44": (30, 45), "45-59": (45, 60), "60+": (60, 85)}
_HAIR_BGR = {  # natural hair colours, BGR 0..1
    "black": (0.05, 0.05, 0.06), "dark_brown": (0.08, 0.11, 0.16), "brown": (0.13, 0.21, 0.32),
    "light_brown": (0.22, 0.33, 0.47), "blond": (0.38, 0.58, 0.74), "red": (0.10, 0.23, 0.50),
    "auburn": (0.09, 0.14, 0.30),
}
_HAIR_BY_TONE = {
    "I-II": {"black": 0.08, "dark_brown": 0.22, "brown": 0.25, "light_brown": 0.17,
             "blond": 0.17, "red": 0.05, "auburn": 0.06},
    "III-IV": {"black": 0.45, "dark_brown": 0.35, "brown": 0.14, "light_brown": 0.03,
               "auburn": 0.03},
    "V-VI": {"black": 0.75, "dark_brown": 0.22, "brown": 0.03},
}
_IRIS_BGR = {
    "dark_brown": (0.05, 0.09, 0.16), "brown": (0.08, 0.18, 0.30), "hazel": (0.16, 0.32, 0.38),
    "green": (0.25, 0.42, 0.30), "blue": (0.55, 0.42, 0.28), "grey": (0.45, 0.45, 0.42),
}
_IRIS_BY_TONE = {
    "I-II": {"dark_brown": 0.1, "brown": 0.2, "hazel": 0.15, "green": 0.15, "blue": 0.3,
             "grey": 0.1},
    "III-IV": {"dark_brown": 0.5, "brown": 0.35, "hazel": 0.1, "green": 0.05},
    "V-VI": {"dark_brown": 0.85, "brown": 0.15},
}
_STYLE_BY_SEX = {
    "female": {"short": 0.08, "side_part": 0.1, "medium": 0.25, "long": 0.3, "bun": 0.12,
               "curly": 0.1, "afro": 0.05},
    "male": {"bald": 0.08, "buzz": 0.2, "short": 0.32, "side_part": 0.18, "medium": 0.08,
             "long": 0.03, "curly": 0.07, "afro": 0.04},
}


@dataclass(frozen=True, slots=True)
class Identity:
    """A synthetic face. Hashable, so renderers cache layers keyed by the identity itself."""

    key: tuple[int, int]
    skin_tone: str
    age_band: str
    sex_presentation: str
    age: float
    # head outline: half-widths (face units) at skull, temples, jaw angle and chin; heights (v)
    skull_width: float
    temple_width: float
    jaw_width: float
    chin_width: float
    crown_v: float
    jaw_v: float
    chin_v: float
    face_depth: float
    # eyes
    eye_spacing: float  # half the distance between pupils
    eye_v: float
    eye_width: float  # half-width of the eye opening
    eye_open: float  # height of the upper lid arc
    eye_tilt: float  # radians, outer corner up for positive
    eye_socket: float  # socket depth
    lid_curve: float  # exponent of the upper lid arc: low is round, high is almond
    lid_skew: float  # how far the lid's peak sits towards the outer corner
    iris_bgr: tuple[float, float, float]
    # brows
    brow_gap: float  # brow above the eye centre
    brow_thickness: float
    brow_arch: float
    brow_tilt: float
    brow_length: float
    brow_density: float
    # nose
    nose_v: float  # tip
    nose_width: float  # half-width of the alae
    nose_projection: float
    nose_bridge: float  # bridge half-width
    nose_tip: float  # tip bulb radius
    nostril: float  # nostril darkness/size
    alar_spread: float  # where the nostril wings sit, as a share of the nose width
    # mouth
    mouth_v: float
    mouth_width: float  # half-width, corner to centre
    upper_lip: float
    lower_lip: float
    lip_bow: float  # depth of the cupid's bow
    lip_bgr: tuple[float, float, float]
    # cheeks, chin, ears
    cheekbone: float
    cheek_fullness: float
    chin_prominence: float
    ear_size: float
    ear_v: float
    ear_out: float
    # skin
    skin_bgr: tuple[float, float, float]
    mottle: float
    blush: float
    freckles: float
    wrinkles: float
    # hair
    hair_style: str
    hair_bgr: tuple[float, float, float]
    grey: float  # share of grey hair
    hairline_v: float
    hair_recession: float
    hair_volume: float
    hair_length: float  # for long styles, how far below the chin (face units)
    fringe: float  # 0 none .. 1 forehead covered to the brows
    part: float  # -1 left .. 1 right
    # facial hair
    beard_style: str
    beard_density: float
    # clothing
    clothes_bgr: tuple[float, float, float]
    collar: str
    texture_seed: int
    # Change over time and kinship (sim.faces.change): ``drift`` is years of individual ageing
    # change applied to the relief and warp (0 for the person as they look now); a relative
    # shares ``kin_share`` of the relief and warp drawn from ``kin_seed`` (-1: none).
    drift: float = 0.0
    kin_seed: int = -1
    kin_share: float = 0.0
    # Feature outlines (sim.faces.morph.feature_shapes; the defaults are the fixed shapes
    # every face had before): the lower lid's height as a share of the upper's, how fast
    # each lip thins towards the corners (exponent: low is full to the corner), and the
    # mouth corners' height against the lip line (face units, + down).
    lower_lid: float = 0.6
    upper_lip_taper: float = 0.5
    lower_lip_taper: float = 0.6
    mouth_corner: float = 0.0


# Widens the named shape ranges about their middle. Kept at 1: at 1.3-1.5 ArcFace impostor
# scores fell by 0.01-0.04 only, while dlib's HOG detector missed more of the odder faces
# (experiments.face_sensitivity says where variety moves the embeddings).
SHAPE_SPREAD = 1.0
# The same for the features recognisers look at most (eyes, nose, mouth: their shapes move
# ArcFace three times as much as the outline, experiments.face_sensitivity).
FEATURE_SPREAD = 1.0


def age_shape(age: float) -> dict[str, float]:
    """Additive shape change of an adult face from age 30 to ``age`` (face units).

    Soft tissue descends and thins with age (Farkas's anthropometry; Coleman & Grover 2006 on
    facial ageing): the jaw line and chin sag, the cheeks hollow, the nose lengthens and
    widens, the lips thin, the brows drop, the upper lids close a little and the sockets
    deepen. Before 30 the face is a little fuller. Applied on top of an identity's own shape,
    so the same person can be drawn at another age (:func:`sim.faces.change.at_age`).
    """
    t = float(np.clip((age - 30.0) / 45.0, -0.3, 1.0))  # -0.3 at 16 .. 1 at 75
    return {"jaw_v": 0.07 * t, "chin_v": 0.05 * t, "cheek_fullness": -0.05 * t,
            "nose_v": 0.05 * t, "nose_width": 0.035 * t, "mouth_v": 0.04 * t,
            "upper_lip": -0.02 * t, "lower_lip": -0.02 * t, "eye_open": -0.008 * t,
            "brow_gap": -0.04 * t, "eye_socket": 0.03 * t, "ear_size": 0.04 * t,
            "jaw_width": 0.02 * t, "mouth_corner": 0.012 * t}


def _check(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name}: unknown value {value!r}; expected one of {', '.join(allowed)}")


def _choice(rng: np.random.Generator, shares: dict[str, float]) -> str:
    keys = list(shares)
    p = np.asarray([shares[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _colour(c, jitter: float, rng: np.random.Generator) -> tuple[float, float, float]:
    c = np.clip(np.asarray(c) * (1 + rng.normal(0, jitter, 3)), 0.01, 1.0)
    return tuple(round(float(x), 4) for x in c)


def make_identity(key: tuple[int, int], skin_tone: str | None = None, age_band: str | None = None,
                  sex_presentation: str | None = None) -> Identity:
    """The identity for ``key`` (replication seed, traveler id), deterministic from the key.

    Given demographics are honoured; missing ones are drawn uniformly. The parameter draws do
    not depend on which demographics were given, only their values do, so a traveler record
    and a bare key with the same demographics give the same face.
    """
    if (not isinstance(key, tuple) or len(key) != 2
            or not all(isinstance(k, (int, np.integer)) and k >= 0 for k in key)):
        raise ValueError(f"key: expected (replication seed, traveler id) as two ints >= 0, "
                         f"got {key!r}")
    _check("skin_tone", skin_tone, SKIN_TONES)
    _check("age_band", age_band, AGE_BANDS)
    _check("sex_presentation", sex_presentation, SEX_PRESENTATIONS)
    key = (int(key[0]), int(key[1]))
    # A third child for the shape modes (sim.faces.morph): the first two streams, and so
    # every independent draw, are what they were without the modes.
    demo_rng, rng, mode_rng = (np.random.default_rng(s)
                               for s in np.random.SeedSequence([0xFACE, *key]).spawn(3))
    drawn = (SKIN_TONES[demo_rng.integers(3)], AGE_BANDS[demo_rng.integers(4)],
             SEX_PRESENTATIONS[demo_rng.integers(2)])
    tone = skin_tone or drawn[0]
    band = age_band or drawn[1]
    sex = sex_presentation or drawn[2]
    male = sex == "male"
    off = mode_offsets(mode_coefficients(mode_rng, sex))
    outlines = feature_shapes(mode_rng)
    u = rng.uniform
    n = rng.normal

    def w(lo: float, hi: float) -> float:
        """A shape parameter: its nominal range widened by ``SHAPE_SPREAD`` about the middle."""
        return (lo + hi) / 2 + (u(lo, hi) - (lo + hi) / 2) * SHAPE_SPREAD

    def f(lo: float, hi: float) -> float:
        """A feature's shape parameter: widened by ``FEATURE_SPREAD`` as well."""
        return (lo + hi) / 2 + (w(lo, hi) - (lo + hi) / 2) * FEATURE_SPREAD

    lo, hi = _AGE_YEARS[band]
    age = float(u(lo, hi))
    aged = np.clip((age - 30) / 45, 0, 1)  # 0 young .. 1 old

    ita_r, b_r, a_r, l_max = _SKIN_LAB[tone]
    skin = np.asarray(skin_albedo(u(*ita_r), u(*b_r), u(*a_r), l_max))
    hair_name = _choice(rng, _HAIR_BY_TONE[tone])
    # Greying starts about five years later in East Asian and ten in African populations
    # than in European ones (Tobin & Paus 2001): ``aged`` counts 45 years.
    grey = float(np.clip(n(aged * 1.1 - 0.35 - _GREY_DELAY[tone], 0.25), 0, 1))
    style = _choice(rng, _STYLE_BY_SEX[sex])
    if male and aged > 0.3 and u() < aged * 0.6:
        style = "bald" if u() < 0.4 else style
    beard = "none"
    if male:
        beard = _choice(rng, {"none": 0.45, "stubble": 0.2, "moustache": 0.1, "goatee": 0.1,
                              "full": 0.15})
    jaw = w(0.62, 0.82) + (0.04 if male else -0.02) + off.pop("jaw_width", 0.0)
    chin_v = w(0.95, 1.38) + (0.04 if male else 0.0) + off.pop("chin_v", 0.0)
    eye_v = -w(0.25, 0.52) + off.pop("eye_v", 0.0)
    nose_v = max(w(0.05, 0.42) + off.pop("nose_v", 0.0), eye_v + 0.4)
    lower_lip = float(np.clip(f(0.08, 0.16) + (0.0 if male else 0.015)
                              + off.pop("lower_lip", 0.0), 0.06, 0.2))
    # Room below the nose for the mouth and a chin: a short face keeps its features apart.
    chin_v = max(chin_v, nose_v + lower_lip + 0.45)
    # The mouth sits between the nose tip and the chin at an identity-specific share.
    mouth_v = min(nose_v + (chin_v - nose_v) * w(0.25, 0.5) + off.pop("mouth_v", 0.0),
                  chin_v - lower_lip - 0.22)
    mouth_v = max(mouth_v, nose_v + 0.2)
    # Adult interpupillary distance spreads about +-15% around its mean (63 mm; Dodgson 2004):
    # the modes move it within that, never past it.
    eye_spacing = float(np.clip(f(0.36, 0.5) + off.pop("eye_spacing", 0.0), 0.365, 0.495))
    # The outer eye corner stays inside the cheek line.
    eye_width = float(min(max(f(0.16, 0.24) + off.pop("eye_width", 0.0), 0.15),
                          eye_spacing * 0.62, 0.74 - eye_spacing))
    eye_open = max(eye_width * float(np.clip(f(0.28, 0.55) + off.pop("eye_open_share", 0.0),
                                             0.24, 0.62)), 0.045)
    idt = Identity(
        key=key, skin_tone=tone, age_band=band, sex_presentation=sex, age=round(age, 1),
        skull_width=w(0.88, 1.04), temple_width=w(0.84, 0.95), jaw_width=jaw,
        chin_width=w(0.2, 0.38) + (0.05 if male else 0.0), crown_v=-w(1.5, 1.85),
        jaw_v=float(min(mouth_v + w(0.05, 0.3) + off.pop("jaw_v", 0.0), chin_v - 0.35)),
        chin_v=chin_v,
        face_depth=w(0.95, 1.25),
        eye_spacing=eye_spacing, eye_v=eye_v, eye_width=eye_width,
        eye_open=eye_open, eye_tilt=n(0.0, 0.14) * FEATURE_SPREAD, eye_socket=w(0.05, 0.12),
        lid_curve=f(0.4, 0.9), lid_skew=f(-0.1, 0.45),
        iris_bgr=_colour(_IRIS_BGR[_choice(rng, _IRIS_BY_TONE[tone])], 0.12, rng),
        brow_gap=w(0.1, 0.3) + (0.0 if male else 0.03),
        brow_thickness=w(0.07, 0.13) * (1.1 if male else 0.85), brow_arch=w(0.0, 0.09),
        brow_tilt=n(0.0, 0.12), brow_length=w(0.85, 1.3), brow_density=u(0.7, 1.0),
        nose_v=nose_v,
        nose_width=f(0.15, 0.33) + (0.02 if tone == "V-VI" else 0) + (0.02 if male else 0),
        nose_projection=f(0.25, 0.45) + (0.03 if male else 0), nose_bridge=f(0.05, 0.1),
        nose_tip=f(0.07, 0.13), nostril=u(0.3, 1.0), alar_spread=f(0.6, 0.85),
        mouth_v=mouth_v, mouth_width=f(0.26, 0.46), upper_lip=f(0.06, 0.12),
        lower_lip=lower_lip,
        lip_bow=f(0.1, 0.5),
        lip_bgr=_colour(skin * np.asarray([0.78, 0.7, 0.95]) * (1.0 if male else
                        np.asarray([0.85, 0.8, 1.0])), 0.07, rng),
        cheekbone=w(0.0, 0.08), cheek_fullness=w(-0.05, 0.06), chin_prominence=w(0.0, 0.12),
        ear_size=w(0.26, 0.4), ear_v=w(-0.35, -0.1), ear_out=w(0.04, 0.2),
        skin_bgr=_colour(skin, 0.0, rng), mottle=u(0.02, 0.08), blush=u(0.0, 0.06),
        freckles=float(u(0, 1) if tone == "I-II" and u() < 0.25 else 0.0),
        wrinkles=float(np.clip(aged + n(0, 0.12), 0, 1)),
        hair_style=style, hair_bgr=_colour(_HAIR_BGR[hair_name], 0.12, rng), grey=grey,
        hairline_v=min(-u(0.95, 1.25), eye_v - 0.55),
        hair_recession=float(u(0, aged * 0.5 if male else 0.1)),
        hair_volume=u(0.08, 0.3), hair_length=u(0.4, 2.0),
        fringe=float(u(0, 0.8) if u() < 0.25 else 0),
        part=float(u(-1, 1)),
        beard_style=beard, beard_density=u(0.4, 1.0),
        clothes_bgr=_colour(rng.uniform(0.1, 0.9, 3), 0.0, rng),
        collar=("round", "v", "shirt")[int(rng.integers(3))],
        texture_seed=int(rng.integers(2**31)), **outlines,
    )
    # The shape modes' remaining offsets (those not already used by the constraints above),
    # kept inside the limits a face still reads as one.
    moved = {k: getattr(idt, k) + d for k, d in off.items()}
    moved = {k: float(np.clip(v, *_MODE_LIMITS[k])) if k in _MODE_LIMITS else v
             for k, v in moved.items()}
    idt = dataclasses.replace(idt, **moved)
    idt = dataclasses.replace(idt, **{k: getattr(idt, k) + d for k, d in age_shape(age).items()})
    # The brow clears the open upper lid: a brow on the lid reads as no face to a detector.
    return dataclasses.replace(idt, brow_gap=max(idt.brow_gap, idt.eye_open + BROW_CLEARANCE))


BROW_CLEARANCE = 0.07  # least gap between the upper lid's peak and the brow's centre line



# Bounds the shape modes and the feature spread never push a parameter past (the eye and mouth
# positions are bounded by the constraints in make_identity).
_MODE_LIMITS = {"upper_lip": (0.05, 0.16), "nose_tip": (0.05, 0.17), "nostril": (0.2, 1.1),
                "lid_curve": (0.3, 1.05), "lid_skew": (-0.2, 0.55), "brow_length": (0.75, 1.4),
                "brow_gap": (0.09, 0.38), "brow_thickness": (0.05, 0.16),
                "nose_width": (0.13, 0.42), "nose_projection": (0.18, 0.55),
                "nose_bridge": (0.04, 0.12), "alar_spread": (0.55, 0.9),
                "mouth_width": (0.22, 0.52), "chin_width": (0.15, 0.48), "lip_bow": (0.0, 0.6),
                # deeper sockets shade the eye whites grey (ambient occlusion)
                "eye_socket": (0.04, 0.13)}
