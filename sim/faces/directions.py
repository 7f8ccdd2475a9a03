"""Named directions of per-person deformation, localised on the identity's own features.

The random warp (:func:`sim.faces.layers._warp`) bends every feature a little in its own way;
this module adds a few *named* bends a recogniser can read as identity: the eyes further
apart, higher, larger or tilted, the brows raised, the nose tip up, the cheeks wider, ...
Each direction is a smooth displacement field: a Gaussian bump (``BUMP`` face units) centred
on the identity's own feature (both eyes, the nose tip, the mouth corners, ...), mirrored left
and right, that moves the feature as a whole (a shift, or a scale or turn about its centre).
Its peak displacement is one face unit per unit coefficient.

Each identity draws one standard-normal coefficient per direction from a stream of its own
(``texture_seed``), whichever directions are on, so switching one on leaves the others' draws
alone; a relative shares ``kin_share`` of them (:func:`sim.faces.geometry.inherit_and_age`),
ageing keeps them (``AGEING_DIRECTIONS`` radians per ten years turn them into new ones; 0),
and each is clipped at ``BOUND`` standard deviations. The field is added to the head's warp,
so landmarks follow.

``MEAN`` moves everyone's mean face along some directions by the same signed amount (face
units of peak displacement), before anyone's own draw: the draw is about the new mean. The
sparing share scales the person's draw, never the shared offset.

Off by default (``SD`` and ``MEAN`` empty, ``SPARE_DETECTION`` False; docs/faces.md, issue
13 rounds 8 to 10): the directions that lower ArcFace impostor scores most for what they cost
dlib's HOG detector are the eyes' tilt, spacing and height, the nose tip and bridge and the
cheeks (``BEST``), but the full draw pushes captures that HOG barely finds below its
threshold. :func:`draw_scale` scales a person's draw down where HOG is predicted to come close
to missing them (:mod:`sim.faces.detection_risk`) when ``SPARE_DETECTION`` is on; measure it
with ``python -m experiments.face_directions``. To switch on: ``SD = dict(BEST)``,
``SPARE_DETECTION = True``, and re-ship the dlib calibration.
"""

from __future__ import annotations

import zlib
from typing import Callable

import numpy as np

from sim.faces.geometry import Grid, gauss, inherit_and_age
from sim.faces.identity import Identity

BUMP = 0.13  # face units: width of the Gaussian bump that carries each direction
BOUND = 2.0  # coefficients clipped at this many standard deviations
AGEING_DIRECTIONS = 0.0  # radians per ten years: ageing keeps the directions
# Face units of peak displacement per standard deviation, by direction; empty: off.
SD: dict[str, float] = {}
# The best ratio of ArcFace impostor drop to HOG score drop on round 8's screen (tune seed
# 5300): eyes' tilt, spacing and height, nose tip and bridge, cheeks.
BEST: dict[str, float] = {"eye_tilt": 0.06, "eyes_apart": 0.06, "eyes_up": 0.06,
                          "nose_tip_up": 0.06, "bridge_length": 0.08, "cheek_width": 0.06}
# Scale each person's draw by the predicted detection risk (sim.faces.detection_risk).
SPARE_DETECTION = False
# Everyone's shared offset, face units of peak displacement by direction, signed; empty: off.
MEAN: dict[str, float] = {}
# The way that raises dlib HOG's score (round 9's signed change model: eyes lower and closer,
# the nose tip lower, the cheeks narrower), half of BEST's standard deviation (0.06) each.
HOG_FRIENDLY: dict[str, float] = {"eyes_up": -0.03, "eyes_apart": -0.03, "nose_tip_up": -0.03,
                                  "cheek_width": -0.03}

# The field's shape: a Gaussian bump moving its centre by (du, dv) ("shift"), or scaling
# ("scale") or turning ("turn") the skin about it; peak displacement 1.
_RADIAL_PEAK = float(np.sqrt(0.5) * np.exp(-0.5))  # max of r/s * exp(-(r/s)^2)


def _eyes(i: Identity):
    return [(s * i.eye_spacing, i.eye_v, s) for s in (-1, 1)]


def _both(u: float, v: float):
    return [(s * u, v, s) for s in (-1, 1)]


# name -> (centres of the identity's feature: [(u, v, side)], kind, (du, dv) per side for a
# shift, +1/-1 for a scale or turn). Side -1 is the image's left half; a positive (du) on side
# s moves outwards when multiplied by s.
_Centres = Callable[[Identity], list]
DIRECTIONS: dict[str, tuple[_Centres, str, tuple[float, float]]] = {
    "eyes_apart": (_eyes, "shift", (1.0, 0.0)),
    "eyes_up": (_eyes, "shift", (0.0, -1.0)),
    "eye_size": (_eyes, "scale", (1.0, 0.0)),
    "eye_tilt": (_eyes, "turn", (1.0, 0.0)),  # mirrored: outer corners up
    "eye_skew": (_eyes, "skew", (0.0, -1.0)),  # one eye up, the other down
    "brows_up": (lambda i: _both(i.eye_spacing, i.eye_v - i.brow_gap), "shift", (0.0, -1.0)),
    "nose_tip_up": (lambda i: [(0.0, i.nose_v - 0.035, 0)], "shift", (0.0, -1.0)),
    "nose_width": (lambda i: _both(i.nose_width * i.alar_spread, i.nose_v - 0.01), "shift",
                   (1.0, 0.0)),
    "bridge_length": (lambda i: [(0.0, i.eye_v + 0.05, 0)], "shift", (0.0, -1.0)),
    "mouth_up": (lambda i: [(0.0, i.mouth_v, 0), *_both(i.mouth_width, i.mouth_v)], "shift",
                 (0.0, -1.0)),
    "mouth_width": (lambda i: _both(i.mouth_width, i.mouth_v), "shift", (1.0, 0.0)),
    "lip_height": (lambda i: [(0.0, i.mouth_v - i.upper_lip, 0)], "shift", (0.0, -1.0)),
    "chin_down": (lambda i: [(0.0, i.chin_v, 0)], "shift", (0.0, 1.0)),
    "jaw_width": (lambda i: _both(i.jaw_width, i.jaw_v), "shift", (1.0, 0.0)),
    "cheek_width": (lambda i: _both(1.0, 0.02), "shift", (1.0, 0.0)),
    "temple_width": (lambda i: _both(i.temple_width, i.eye_v), "shift", (1.0, 0.0)),
    "forehead_height": (lambda i: _both(0.35, i.hairline_v), "shift", (0.0, -1.0)),
}
NAMES = tuple(DIRECTIONS)


def check(sd: dict[str, float], mean: dict[str, float] | None = None) -> None:
    """Clear errors for a mistyped direction, a negative amplitude or a non-finite offset."""
    for field, values in (("SD", sd), ("MEAN", mean or {})):
        for name, value in values.items():
            if name not in DIRECTIONS:
                raise ValueError(f"directions.{field}: no direction {name!r}; known: "
                                 f"{', '.join(NAMES)}")
            if field == "SD" and not value >= 0:
                raise ValueError(f"directions.SD.{name}: must be >= 0, got {value}")
            if not np.isfinite(value):
                raise ValueError(f"directions.{field}.{name}: must be finite, got {value}")


def coefficients(idt: Identity) -> np.ndarray:
    """The identity's coefficient per direction (``NAMES`` order), standard normal, shared
    with relatives and kept (or turned) by ageing, clipped at ``BOUND``."""
    def draw(seed):
        return lambda: np.random.default_rng([seed, zlib.crc32(b"directions")]
                                             ).standard_normal(len(NAMES))
    z = inherit_and_age(idt, draw(idt.texture_seed)(), draw(idt.kin_seed),
                        draw(idt.texture_seed + 0xD1E), AGEING_DIRECTIONS)
    return np.clip(z, -BOUND, BOUND)


def _one(g: Grid, idt: Identity, name: str) -> tuple[np.ndarray, np.ndarray]:
    centres, kind, (du, dv) = DIRECTIONS[name]
    dx = np.zeros_like(g.U)
    dy = np.zeros_like(g.U)
    for cu, cv, side in centres(idt):
        b = gauss(g, cu, cv, BUMP, BUMP)
        if kind == "shift":
            dx += (side or 1) * du * b
            dy += dv * b
        elif kind == "skew":  # the left feature one way, the right the other
            dy += side * dv * b
        elif kind == "scale":
            dx += du * (g.U - cu) / BUMP * b / _RADIAL_PEAK
            dy += du * (g.V - cv) / BUMP * b / _RADIAL_PEAK
        else:  # turn about the centre, mirrored so that outer corners go up together
            r = du * side / BUMP * b / _RADIAL_PEAK
            dx += r * (g.V - cv)
            dy -= r * (g.U - cu)
    return dx, dy


def displacement(g: Grid, idt: Identity, scale: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """The identity's displacement field in face units (dx, dy on the grid), or None when
    every direction is off: the shared offset ``MEAN`` plus the person's draw, which
    ``scale`` multiplies."""
    check(SD, MEAN)
    scale = max(scale, 0.0)
    on = [(k, n) for k, n in enumerate(NAMES) if MEAN.get(n, 0.0) != 0
          or scale * SD.get(n, 0.0) > 0]
    if not on:
        return None
    z = coefficients(idt)
    dx = np.zeros_like(g.U)
    dy = np.zeros_like(g.U)
    for k, name in on:
        fx, fy = _one(g, idt, name)
        a = MEAN.get(name, 0.0) + scale * SD.get(name, 0.0) * z[k]
        dx += a * fx
        dy += a * fy
    return dx, dy


def draw_scale(idt: Identity) -> float:
    """How much of the identity's draw it gets: 1, or with ``SPARE_DETECTION`` the share the
    detection-risk model allows (:func:`sim.faces.detection_risk.allowed_share`)."""
    if not SPARE_DETECTION:
        return 1.0
    from sim.faces.detection_risk import allowed_share
    return allowed_share(idt)
