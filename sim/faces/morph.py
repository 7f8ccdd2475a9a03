"""Correlated shape modes: the low-dimensional part of a morphable face model.

Real faces do not vary one measurement at a time. Principal components of 3-D facial
anthropometry (Hammond et al. 2004; Claes et al. 2014, "Modeling 3D facial shape from DNA";
the Basel Face Model's shape PCA, Paysan et al. 2009) come out as a handful of whole-face
modes: face height against width, a robust-gracile axis (brow ridge, nose, jaw and chin
together, the main axis of sexual dimorphism), the midface against the lower face, how close
the features crowd to the face's centre, and the size of the soft features (lips, nose tip,
lids). Each identity draws a coefficient per mode (a standard normal, shifted by sex along
the dimorphism axis) and every named shape parameter moves by the sum of the modes' loadings,
on top of its own independent draw. The modes spend variety where recognisers look
(:mod:`experiments.face_sensitivity`: eyes, nose, mouth and outline move embeddings) while
keeping proportions coherent, which a wider independent spread did not: odd combinations
cost dlib's HOG detector its grip.

Loadings are face units (radians for tilts) per standard deviation of the mode; they were set
by hand from the direction of each published component, not fitted to any person's data.
"""

from __future__ import annotations

import numpy as np

# mode -> {parameter: loading per sd}
SHAPE_MODES: dict[str, dict[str, float]] = {
    # Long and narrow against short and wide (the first shape component in most studies).
    "height_width": {"chin_v": 0.07, "jaw_v": 0.05, "crown_v": -0.04, "jaw_width": -0.03,
                     "skull_width": -0.02, "temple_width": -0.02, "nose_v": 0.03,
                     "mouth_v": 0.045, "eye_v": -0.015},
    # Robust against gracile: brow ridge, nose, jaw and chin together; men sit towards robust.
    "robustness": {"jaw_width": 0.03, "chin_width": 0.03, "chin_prominence": 0.025,
                   "nose_projection": 0.035, "nose_width": 0.02, "brow_gap": -0.03,
                   "brow_thickness": 0.01, "eye_socket": 0.015, "upper_lip": -0.008,
                   "lower_lip": -0.008, "cheek_fullness": -0.012},
    # Midface height against the lower face: nose and mouth down, chin up.
    "midface": {"nose_v": 0.045, "mouth_v": 0.03, "chin_v": -0.03, "eye_v": -0.02,
                "brow_gap": 0.015},
    # Features crowded to the centre against spread out.
    "spread": {"eye_spacing": 0.03, "mouth_width": 0.035, "nose_width": 0.018,
               "brow_length": 0.06, "cheekbone": 0.012},
    # Size of the soft features: lips, nose tip and lids.
    "soft_features": {"upper_lip": 0.012, "lower_lip": 0.015, "nose_tip": 0.012,
                      "eye_width": 0.015, "lip_bow": 0.06, "nostril": 0.1},
    # Eye shape: round and open against narrow and almond, tilted.
    "eye_shape": {"lid_curve": -0.1, "eye_tilt": 0.06, "lid_skew": 0.08, "brow_arch": 0.015,
                  "eye_width": -0.008},
    # Eye size against the face: large, open eyes under close brows against small, hooded
    # ones (eye_open is a share of the eye width in make_identity).
    "eye_size": {"eye_width": 0.014, "eye_open_share": 0.06, "brow_gap": -0.02,
                 "eye_socket": -0.01},
    # Lip fullness: full, wide lips with a shallow bow against thin ones.
    "lips": {"upper_lip": 0.012, "lower_lip": 0.014, "mouth_width": 0.02, "lip_bow": -0.05},
    # Nose size: broad, low-bridged, round-tipped against narrow, high-bridged, fine.
    "nose_size": {"nose_width": 0.03, "nose_tip": 0.012, "nose_bridge": 0.008,
                  "nose_projection": -0.02, "alar_spread": 0.04},
}
# Mean of the robustness coefficient by sex presentation (sd units): the dimorphism axis.
SEX_SHIFT = {"female": -0.6, "male": 0.6}
# Further sex-dependent means (sd units): women's lips fuller and eyes larger against the face
# (Farkas 1994, anthropometric norms), men's noses broader.
SEX_MEANS = {"female": {"lips": 0.3, "eye_size": 0.3, "nose_size": -0.2},
             "male": {"lips": -0.3, "eye_size": -0.3, "nose_size": 0.2}}
# Scale of every mode; 0 switches the model off (the independent draws alone). Off by default:
# at 1.0 (with FEATURE_SHAPE 1.0) held-out bench faces (n = 200, seeds 16180 / 27182) gave
# ArcFace impostors 0.356 / 0.355 (0.390 / 0.381 off) and dlib FMR at L2 0.6 54 / 57 %
# (61 / 63 % off), but dlib HOG found fewer faces (16180: 12 live misses of 800 against 6 off,
# 3 photo misses of 200 against 0; 27182: 3 photo misses against 2), and HOG detection is a
# guard rail. Turn both on where that trade is wanted (and re-ship the dlib calibration).
MODE_SCALE = 0.0


def mode_coefficients(rng: np.random.Generator, sex_presentation: str) -> dict[str, float]:
    """One identity's coefficient per mode: standard normal, the dimorphism axis shifted by sex."""
    z = rng.standard_normal(len(SHAPE_MODES))
    out = {m: float(v) for m, v in zip(SHAPE_MODES, z)}
    out["robustness"] += SEX_SHIFT[sex_presentation]
    for m, shift in SEX_MEANS[sex_presentation].items():
        out[m] += shift
    return out


# How far each feature outline varies about the shape every face had before (0: that shape).
FEATURE_SHAPE = 0.0  # off by default with the modes (see MODE_SCALE)
_OUTLINES = {  # name: (fixed shape, sd, lower bound, upper bound)
    "lower_lid": (0.6, 0.12, 0.4, 0.85),
    "upper_lip_taper": (0.5, 0.14, 0.25, 0.85),
    "lower_lip_taper": (0.6, 0.14, 0.3, 0.95),
    "mouth_corner": (0.0, 0.014, -0.035, 0.035),
}


def feature_shapes(rng: np.random.Generator) -> dict[str, float]:
    """One identity's feature outlines (lower lid, lip tapers, mouth corners): normal draws
    about the fixed shapes, bounded. Resting mouth corners and lid shapes differ between
    people as much as the features' sizes do, and recognisers weigh the eye and mouth
    regions most (experiments.face_sensitivity)."""
    z = rng.standard_normal(len(_OUTLINES))
    return {k: float(np.clip(mid + FEATURE_SHAPE * sd * v, lo, hi))
            for (k, (mid, sd, lo, hi)), v in zip(_OUTLINES.items(), z)}


def mode_offsets(coefficients: dict[str, float]) -> dict[str, float]:
    """The shape change the coefficients make: parameter -> additive offset."""
    off: dict[str, float] = {}
    for mode, c in coefficients.items():
        for name, loading in SHAPE_MODES[mode].items():
            off[name] = off.get(name, 0.0) + MODE_SCALE * loading * c
    return off
