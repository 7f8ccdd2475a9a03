"""Per-person skin texture and painted relief: what makes two faces of one rendering style two
people's faces.

Every identity draws its own *traits* (how uneven its pigment is and at what scale, its moles and
blemishes, the darkness around its eyes and mouth, its brows' shape and colour, its lips' tone
and border, how its nose and folds catch the light, its wrinkle pattern, how patchy its beard
grows) from its ``texture_seed``, procedurally: no photos, scans or fitted data. Traits are
standard-normal draws mapped onto ranges, so that

- a relative (``kin_seed``) shares ``kin_share`` of them, as of the relief and warp;
- years of individual ageing (``drift``) turn part of them into new ones (``AGEING_TEXTURE``
  radians per ten years), as the relief and warp do, and spots and lines grow with age.

:func:`paint_skin` paints the skin-wide part (called by :func:`sim.faces.paint.face_albedo`
before the features); the features read their own traits (:func:`traits`).
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from math import erf, sqrt

import cv2
import numpy as np

from sim.faces.geometry import Grid, gauss, inherit_and_age, segment_falloff
from sim.faces.identity import Identity

# Ranges each trait maps onto (its standard-normal draw through the normal CDF, so a uniform
# spread over the range). Amplitudes are multiplicative on the albedo unless named otherwise.
TRAIT_RANGES = {
    "pigment": (0.03, 0.18),  # uneven pigmentation, amplitude
    "pigment_cells": (5.0, 16.0),  # its patches across the sprite width
    "redness": (0.0, 0.15),  # uneven redness (erythema), its own field
    "periorbital": (0.0, 0.35),  # darker skin around the eyes
    "perioral": (0.0, 0.22),  # darker skin around the mouth
    "forehead": (-0.1, 0.1),  # forehead lighter (-) or darker (+) than the cheeks
    "cheek_patch": (0.0, 0.12),  # blotchy cheek pigment (melasma-like)
    "moles": (0.0, 12.0),  # expected number of moles
    "blemishes": (0.0, 10.0),  # expected number of small red spots
    "pores": (0.0, 0.05),  # fine grain
    "brow_shade": (0.25, 0.8),  # brow colour as a share of the hair colour
    "brow_peak": (0.25, 2.0),  # exponent of the arch: low peaks early, high peaks late
    "brow_head": (0.7, 1.8),  # thickness of the inner end
    "brow_sparse": (0.0, 0.8),  # gaps in the brow
    "lid_shade": (0.0, 0.25),  # upper-lid darkening
    "iris_ring": (0.2, 0.8),  # limbal ring darkness
    "lip_dark": (-0.24, 0.36),  # lips darker (+) or lighter (-) than drawn
    "lip_border": (0.0, 0.5),  # vermilion border line
    "lip_two_tone": (0.0, 0.5),  # upper lip darker than the lower
    "nose_light": (0.0, 0.14),  # highlight down the nasal bridge
    "nose_side": (0.0, 0.18),  # shadow on the nose's side walls
    "fold": (0.0, 0.25),  # nasolabial fold shading (grows with age)
    "tear_trough": (0.0, 0.32),  # shadow under the lower lid (grows with age)
    "forehead_lines": (0.0, 1.0),  # share of the wrinkle weight spent on the forehead
    "line_wave": (0.005, 0.03),  # waviness of forehead lines
    "glabella": (0.0, 1.0),  # vertical lines between the brows
    "beard_patchy": (0.0, 0.6),  # patches where a beard does not grow
    "beard_line": (-0.12, 0.12),  # beard's cheek line higher (-) or lower (+)
}
REDNESS_TINT = (-0.15, -0.45, 0.3)  # BGR change per unit of redness: pink, not orange
AGEING_TEXTURE = 1.5  # radians: ten years turn this much of the traits into new ones


def _phi(z: float) -> float:
    return 0.5 * (1 + erf(z / sqrt(2)))


def _z(seed_parts: list[int]) -> np.ndarray:
    return np.random.default_rng(seed_parts).normal(0, 1, len(TRAIT_RANGES))


@lru_cache(maxsize=4096)
def traits(idt: Identity) -> dict[str, float]:
    """The identity's texture traits (cached by identity)."""
    tag = zlib.crc32(b"texture traits")
    z = inherit_and_age(idt, _z([idt.texture_seed, tag]), lambda: _z([idt.kin_seed, tag]),
                        lambda: _z([idt.texture_seed, tag, 0xA6E]), AGEING_TEXTURE)
    return {k: lo + (hi - lo) * _phi(float(v)) for (k, (lo, hi)), v in zip(TRAIT_RANGES.items(), z)}


def _field(g: Grid, idt: Identity, part: str, cells: float) -> np.ndarray:
    """A smooth noise field that a relative partly shares and that ages like the traits."""
    from sim.faces.paint import noise

    tag = zlib.crc32(part.encode())

    def field(seed):
        return lambda: noise(np.random.default_rng(seed), g.U.shape, int(cells))
    return inherit_and_age(idt, field([idt.texture_seed, tag])(), field([idt.kin_seed, tag]),
                           field([idt.texture_seed, tag, 1]), AGEING_TEXTURE)


def _spots(g: Grid, idt: Identity, part: str, expected: float, size: tuple[float, float]
           ) -> list[tuple[float, float, float, float]]:
    """(u, v, radius, strength) of a Poisson number of spots on the face; a relative's are its
    own, and a younger photo shows fewer of them (they come with the years)."""
    rng = np.random.default_rng([idt.texture_seed, zlib.crc32(part.encode())])
    n = int(rng.poisson(expected))
    out = []
    for i in range(n):
        u, v = rng.uniform(-0.8, 0.8), rng.uniform(-0.9, idt.chin_v - 0.1)
        r, s = rng.uniform(*size), rng.uniform(0.5, 1.0)
        born = rng.uniform(0, 40)  # years before today the spot appeared
        if idt.drift > born:
            continue
        # Keep spots off the eyes and lips, where they would read as features.
        if (abs(abs(u) - idt.eye_spacing) < idt.eye_width * 1.2 and abs(v - idt.eye_v) < 0.12
                or abs(u) < idt.mouth_width + 0.03 and abs(v - idt.mouth_v) < 0.12):
            continue
        out.append((u, v, r, s))
    return out


def paint_skin(g: Grid, idt: Identity, albedo: np.ndarray) -> np.ndarray:
    """Skin-wide texture: uneven pigment, regional darkening, moles, blemishes, pores, folds."""
    t = traits(idt)
    skin = np.asarray(idt.skin_bgr, np.float32)
    aged = float(np.clip((idt.age - 30) / 45, 0, 1))
    f = _field(g, idt, "pigment", t["pigment_cells"])
    dark = t["pigment"] * f
    dark = dark + t["forehead"] * np.clip((idt.eye_v - 0.15 - g.V) / 0.3, 0, 1)
    patch = np.clip(_field(g, idt, "cheek patch", 30), 0, None)
    for side in (-1, 1):
        ex = side * idt.eye_spacing
        dark = dark + t["periorbital"] * gauss(g, ex, idt.eye_v + 0.02, idt.eye_width * 1.5, 0.16)
        dark = dark + t["tear_trough"] * (0.4 + aged) * gauss(
            g, ex - side * 0.05, idt.eye_v + idt.eye_open * 2.2, idt.eye_width * 0.9, 0.035)
        dark = dark + t["cheek_patch"] * patch * gauss(g, side * 0.5, 0.0, 0.28, 0.2)
        # Nose side walls in shadow, the bridge in light: relief the albedo carries.
        dark = dark + t["nose_side"] * gauss(g, side * idt.nose_bridge * 1.6,
                                             (idt.eye_v + idt.nose_v) / 2, 0.05,
                                             (idt.nose_v - idt.eye_v) * 0.45)
        # Nasolabial fold, darker with the years.
        a = np.array([side * idt.nose_width * 1.0, idt.nose_v + 0.02])
        b = np.array([side * (idt.mouth_width + 0.08), idt.mouth_v + 0.1])
        dark = dark + t["fold"] * (0.3 + 0.9 * aged) * segment_falloff(g, a, b, 0.025)
    dark = dark + t["perioral"] * gauss(g, 0, idt.mouth_v, idt.mouth_width * 1.4, 0.16)
    dark = dark - t["nose_light"] * gauss(g, 0, (idt.eye_v + idt.nose_v) / 2 + 0.05,
                                          idt.nose_bridge * 0.6, (idt.nose_v - idt.eye_v) * 0.45)
    if t["glabella"] > 0.5 and idt.wrinkles > 0.2:
        for s in (-1, 1):
            x = s * 0.05 * (0.5 + t["glabella"])
            line = g.soft(0.004 - np.abs(g.U - x)) * gauss(g, x, idt.eye_v - idt.brow_gap,
                                                            0.03, 0.07)
            dark = dark + 0.25 * idt.wrinkles * line
    albedo = albedo * np.clip(1 - dark, 0.3, 1.3)[..., None]
    # Erythema: blood under the skin absorbs green most, so it reads pink (not orange), and
    # melanin above it masks it on darker skin.
    red_f = np.clip(_field(g, idt, "redness", t["pigment_cells"] * 1.5), 0, None)
    masked = float(np.clip(float(skin @ np.asarray([0.114, 0.587, 0.299])) / 0.5, 0.3, 1.0))
    albedo = albedo * (1 + t["redness"] * masked * red_f[..., None]
                       * np.asarray(REDNESS_TINT, np.float32))
    if t["pores"] > 0.01:
        grain = np.random.default_rng([idt.texture_seed, 0x9035]).normal(0, 1, g.U.shape)
        grain = cv2.GaussianBlur(grain.astype(np.float32), (0, 0), 0.006 * g.ppu + 0.3)
        grain /= grain.std() + 1e-6
        albedo = albedo * (1 + t["pores"] * np.clip(grain, -2.5, 2.5))[..., None]
    mole = np.zeros_like(g.U)
    for u, v, r, s in _spots(g, idt, "moles", t["moles"] * (0.6 + 0.8 * aged), (0.008, 0.022)):
        mole = np.maximum(mole, s * g.soft(r - np.hypot(g.U - u, g.V - v)))
    albedo = albedo + (skin * np.asarray([0.45, 0.5, 0.6], np.float32) - albedo) * mole[..., None]
    red = np.zeros_like(g.U)
    for u, v, r, s in _spots(g, idt, "blemishes", t["blemishes"], (0.01, 0.03)):
        red = np.maximum(red, s * gauss(g, u, v, r, r))
    tint = skin * np.asarray([0.8, 0.8, 1.05], np.float32)
    albedo = albedo + (tint - albedo) * (0.6 * red)[..., None]
    return albedo.astype(np.float32)
