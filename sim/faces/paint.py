"""Painted albedo of the face: skin, eyes, brows, lips, nostrils, wrinkles and facial hair.

Colours are BGR floats in 0..1. Textures are seeded noise fields (``texture_seed``), so two
identities with close parameters still differ in their skin, brows and stubble.
"""

from __future__ import annotations

import zlib

import cv2
import numpy as np

from sim.faces.geometry import Grid, gauss
from sim.faces.identity import Identity
from sim.faces import dark_skin, texture


def stream(idt: Identity, part: str) -> np.random.Generator:
    """The random stream of one part of the identity's texture.

    Each part draws from its own stream so that draws sized by the resolution (white noise for
    strands, stubble) never shift another part's draws: enrolment and live sprites, painted at
    different resolutions, must show the same person.
    """
    return np.random.default_rng([idt.texture_seed, zlib.crc32(part.encode())])


def noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth noise in about -1..1 with ``cells`` features across the larger side."""
    h, w = shape
    ch = max(2, int(round(cells * h / max(h, w))))
    cw = max(2, int(round(cells * w / max(h, w))))
    small = rng.normal(0, 1, (ch, cw)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def strands(rng: np.random.Generator, shape: tuple[int, int], length: int,
            angle_deg: float = 90.0) -> np.ndarray:
    """Hair-like streaks: white noise smeared along a direction, normalised to about -1..1."""
    n = rng.normal(0, 1, shape).astype(np.float32)
    k = np.zeros((length, length), np.float32)
    c = length // 2
    a = np.deg2rad(angle_deg)
    cv2.line(k, (int(c - np.cos(a) * c), int(c - np.sin(a) * c)),
             (int(c + np.cos(a) * c), int(c + np.sin(a) * c)), 1.0, 1)
    s = cv2.filter2D(n, -1, k / k.sum())
    return s / (s.std() + 1e-6)


def mix(base: np.ndarray, colour, alpha: np.ndarray) -> np.ndarray:
    """Blend ``colour`` (BGR or an (H, W, 3) layer) over ``base`` with per-pixel ``alpha``."""
    a = np.asarray(alpha, np.float32)[..., None]
    return base + (np.asarray(colour, np.float32) - base) * a


def eye_style(idt: Identity) -> dict[str, float]:
    """How the identity's eyes read, beyond their shape: lash line, sclera, iris size, crease,
    socket and under-eye shadows. Real eyes differ in all of these, and recognisers look at
    the eye region more than anywhere else; both eyes share the draw."""
    r = stream(idt, "eye style")
    # Narrow ranges: a faint lash line or a pale socket costs dlib's HOG detector its grip on
    # the eyes (measured), and moved neither recogniser's scores.
    return {"lash": r.uniform(0.8, 0.98), "lash_w": r.uniform(0.85, 1.3),
            "sclera": r.uniform(0.85, 0.95), "iris": r.uniform(0.38, 0.46),
            "crease": r.uniform(0.2, 1.0), "crease_dark": r.uniform(0.6, 1.0),
            "socket": r.uniform(0.5, 0.75), "under": r.uniform(0.15, 0.3)}


def _eye(g: Grid, idt: Identity, side: int, albedo: np.ndarray, rng) -> np.ndarray:
    cx, cy, a = side * idt.eye_spacing, idt.eye_v, idt.eye_width
    st = eye_style(idt)
    crease = st["crease"]
    # Local frame: x points to the outer corner, tilt raises the outer corner.
    t = idt.eye_tilt
    dx, dy = (g.U - cx) * side, g.V - cy
    x = dx * np.cos(t) - dy * np.sin(t)
    y = dx * np.sin(t) + dy * np.cos(t)
    r = np.clip(1 - (x / a) ** 2, 0, 1)
    skew = 1 + idt.lid_skew * (x / a)
    upper = -idt.eye_open * r ** idt.lid_curve * skew
    lower = idt.eye_open * idt.lower_lid * r ** 0.8
    inside = g.soft(np.minimum(y - upper, lower - y)) * (np.abs(x) < a)
    rad = np.hypot(g.U - cx, g.V - cy)
    ri = a * st["iris"]
    sclera = (np.asarray([0.86, 0.9, 0.94], np.float32) * st["sclera"]
              * (0.85 + 0.15 * r[..., None]))
    iris_tex = 0.75 + 0.35 * np.clip(noise(rng, g.U.shape, 60)[..., None], -1, 1) * 0.5
    iris = np.asarray(idt.iris_bgr, np.float32) * iris_tex
    eye = mix(sclera, iris, g.soft(ri - rad))
    eye = mix(eye, (0.02, 0.02, 0.02), g.soft(ri * 0.42 - rad))
    tr = texture.traits(idt)
    eye = mix(eye, (0.1, 0.1, 0.1), g.soft(0.008 - np.abs(rad - ri)) * tr["iris_ring"])  # limbus
    albedo = mix(albedo, eye, inside)
    # Lash line along the upper lid, a fainter lower lid line, and the lid crease.
    lash_w = st["lash_w"] * dark_skin.lash_gain(idt)
    lash = g.soft((0.014 + 0.01 * r) * lash_w - np.abs(y - upper + 0.006))
    lash = lash * (np.abs(x) < a * 1.08)
    albedo = mix(albedo, (0.03, 0.03, 0.04), lash * st["lash"])
    albedo = mix(albedo, albedo * 0.6, g.soft(0.006 - np.abs(y - lower)) * (np.abs(x) < a) * 0.6)
    crease_y = upper - 0.03 - 0.05 * crease
    crease = g.soft(0.01 - np.abs(y - crease_y)) * (np.abs(x) < a * 0.9) * r
    albedo = mix(albedo, albedo * 0.72, crease * 0.7 * st["crease_dark"])
    # Corner shadows and dark circles under the eye.
    under = gauss(g, cx, cy + idt.eye_open * 1.6, a * 0.9, 0.06)
    albedo = mix(albedo, albedo * 0.78, under * (st["under"] + 0.3 * idt.wrinkles))
    # The socket between lid and brow is darker (thin skin, shadowed by the brow ridge).
    socket = gauss(g, cx, cy - idt.eye_open - 0.04, a * 1.1, 0.07)
    albedo = mix(albedo, albedo * 0.7, socket * st["socket"])
    lid = g.soft(np.minimum(y - crease_y, upper - y)) * (np.abs(x) < a)
    return mix(albedo, albedo * 0.6, lid * tr["lid_shade"] * 2)


def _brow(g: Grid, idt: Identity, side: int, albedo: np.ndarray, rng) -> np.ndarray:
    cx = side * idt.eye_spacing
    inner = cx - side * idt.eye_width * 0.95
    outer = cx + side * idt.eye_width * idt.brow_length * 1.15
    tr = texture.traits(idt)
    t = np.clip((g.U - inner) / (outer - inner), 0, 1)
    base = idt.eye_v - idt.brow_gap
    yc = (base - idt.brow_arch * np.sin(np.pi * t ** (0.8 * tr["brow_peak"]))
          - idt.brow_tilt * (t - 0.4) * 0.2)
    # Thick and rounded at the inner end, tapering to a point at the outer end.
    head = tr["brow_head"]
    thick = idt.brow_thickness * (head - (head - 0.7) * t) * np.sqrt(np.clip(1 - t ** 2.5, 0, 1))
    thick = thick * np.sqrt(np.clip(t * 10, 0, 1))
    inside = g.soft(thick / 2 - np.abs(g.V - yc)) * (t > 0) * (t < 1)
    # Brow hairs overlap: the core of a brow hides most of the skin under it, so brows read
    # against dark skin as well as against light.
    hairs = np.clip(0.92 + 0.25 * strands(rng, g.U.shape, 7, 20.0 if side > 0 else 160.0), 0, 1)
    if tr["brow_sparse"] > 0.05:  # gaps where the brow grows thin
        gaps = noise(rng, g.U.shape, max(4, int(g.U.shape[1] / (0.08 * g.ppu))))
        hairs = hairs * np.clip(1 - tr["brow_sparse"] * np.clip(gaps, 0, None) * 1.5, 0.2, 1)
    colour = np.asarray(idt.hair_bgr, np.float32) * (tr["brow_shade"] + 0.3 * idt.grey)
    return mix(albedo, colour, inside * hairs * idt.brow_density)


def _lips(g: Grid, idt: Identity, albedo: np.ndarray) -> np.ndarray:
    mw, mv = idt.mouth_width, idt.mouth_v
    r = np.clip(1 - (g.U / mw) ** 2, 0, 1)
    bow = 1 - idt.lip_bow * np.exp(-(g.U / 0.05) ** 2)
    corner = idt.mouth_corner * (g.U / mw) ** 2  # the lip line bends to the corners
    top = mv + corner - idt.upper_lip * r ** idt.upper_lip_taper * bow
    bottom = mv + corner + idt.lower_lip * r ** idt.lower_lip_taper
    lip = g.soft(np.minimum(g.V - top, bottom - g.V)) * (np.abs(g.U) < mw)
    tr = texture.traits(idt)
    shade = 1 - 0.15 * np.clip((g.V - mv) / idt.lower_lip, 0, 1)[..., None]
    shade = shade * (1 - tr["lip_dark"] - tr["lip_two_tone"] * (g.V < mv)[..., None])
    albedo = mix(albedo, np.asarray(idt.lip_bgr, np.float32) * shade, lip)
    # The vermilion border: a fine line where lip meets skin.
    border = g.soft(0.006 - np.abs(np.minimum(g.V - top, bottom - g.V))) * (np.abs(g.U) < mw)
    albedo = mix(albedo, albedo * 0.7, border * tr["lip_border"] * 2)
    line_y = mv + corner + 0.008 * (g.U / mw) ** 2
    line = g.soft(0.009 * (0.6 + r) - np.abs(g.V - line_y)) * (np.abs(g.U) < mw * 1.03)
    return mix(albedo, albedo * 0.3, line)


def _facial_hair(g: Grid, idt: Identity, albedo: np.ndarray, rng) -> np.ndarray:
    if idt.beard_style == "none":
        return albedo
    mw, mv = idt.mouth_width, idt.mouth_v
    # Moustache: from under the nose to the lip, curving down and thinning at the sides.
    r = np.clip(np.abs(g.U) / (mw * 1.1), 0, 1)
    top = idt.nose_v + 0.06 + 0.05 * r ** 2
    low = mv - idt.upper_lip * 0.6 * (1 - r ** 2) - 0.01 + 0.03 * r ** 2
    moustache = g.soft(np.minimum(g.V - top, low - g.V)) * g.soft(mw * 1.1 - np.abs(g.U))
    moustache = moustache * (1 - 0.5 * r ** 2)
    chin = g.soft(g.V - (mv + idt.lower_lip + 0.02)) * g.soft(mw * 0.85 - np.abs(g.U))
    # The beard's upper edge runs from the sideburns down across the cheeks to the moustache.
    tr = texture.traits(idt)
    top = mv - 0.2 + tr["beard_line"]
    cheek_line = top - (top - (idt.eye_v + 0.3)) * np.clip(np.abs(g.U) / 1.0, 0, 1) ** 3
    jaw = np.clip((g.V - cheek_line) / 0.12, 0, 1)
    lip = (np.abs(g.U) < mw) & (g.V > mv - idt.upper_lip) & (g.V < mv + idt.lower_lip)
    region = {"stubble": np.maximum(np.maximum(moustache, chin), jaw),
              "moustache": moustache, "goatee": np.maximum(moustache, chin),
              "full": np.maximum(np.maximum(moustache, chin), jaw)}[idt.beard_style]
    region = region * ~lip
    if tr["beard_patchy"] > 0.05:  # where a beard does not grow, in the person's own pattern
        cells = max(4, int(g.U.shape[1] / (0.25 * g.ppu)))
        patch = np.clip(noise(stream(idt, "beard patches"), g.U.shape, cells) + 0.3, 0, None)
        region = region * np.clip(1 - tr["beard_patchy"] * patch * 1.5, 0, 1)
    colour = np.asarray(idt.hair_bgr, np.float32) * (1 - idt.grey) + 0.55 * idt.grey
    region = region * (1 - 0.35 * idt.grey)  # grey beards are sparser
    if idt.beard_style == "stubble":
        # A shaved beard reads as a smooth shadow with a fine grain.
        dots = np.clip(rng.normal(0, 1, g.U.shape) + 0.3, 0, 1).astype(np.float32)
        return mix(albedo, colour, region * (0.3 + 0.12 * dots) * idt.beard_density)
    tex = np.clip(0.75 + 0.25 * strands(rng, g.U.shape, 5, 90.0), 0, 1)
    edge = cv2.GaussianBlur(region.astype(np.float32), (0, 0), 0.02 * g.ppu)
    return mix(albedo, colour * (0.8 + 0.3 * tex[..., None]),
               edge * (0.7 + 0.3 * tex) * idt.beard_density)


def _wrinkles(g: Grid, idt: Identity, albedo: np.ndarray, rng) -> np.ndarray:
    if idt.wrinkles < 0.15:
        return albedo
    k = idt.wrinkles
    tr = texture.traits(idt)
    fl = 0.4 + 1.2 * tr["forehead_lines"]  # this person's forehead lines against crow's feet
    lines = np.zeros_like(g.U)
    brow_v = idt.eye_v - idt.brow_gap
    gap = rng.uniform(0.07, 0.12)
    for i in range(int(1 + 4 * k * tr["forehead_lines"] + 1)):  # forehead lines
        y = (brow_v - 0.14 - gap * i + tr["line_wave"] * np.sin(g.U * rng.uniform(2, 6)
                                                                + rng.uniform(0, 6)))
        lines += fl * g.soft(0.006 - np.abs(g.V - y)) * gauss(g, rng.uniform(-0.1, 0.1),
                                                              y.mean(), rng.uniform(0.35, 0.6), 1.0)
    for side in (-1, 1):  # crow's feet
        ox = side * (idt.eye_spacing + idt.eye_width + 0.06)
        for ang in (-0.5, 0.0, 0.5):
            y = idt.eye_v + (g.U - ox) * side * np.tan(ang)
            lines += (g.soft(0.005 - np.abs(g.V - y)) * gauss(g, ox + side * 0.05, idt.eye_v,
                                                               0.07, 0.08))
    return mix(albedo, albedo * 0.7, np.clip(lines, 0, 1) * k * 0.8)


def face_albedo(g: Grid, idt: Identity) -> np.ndarray:
    """Skin and facial features painted over the whole grid (the head mask cuts it later)."""
    skin = np.asarray(idt.skin_bgr, np.float32)
    shape = g.U.shape
    rng = stream(idt, "skin")
    m1 = noise(rng, shape, 10)[..., None]
    m2 = noise(rng, shape, 40)[..., None]
    tint = np.asarray([-0.5, -0.2, 0.6], np.float32)  # towards red for blotches
    albedo = skin * (1 + idt.mottle * (m1 + 0.5 * m2)) + 0.04 * idt.mottle * m2 * tint
    red = sum(gauss(g, s * 0.5, 0.12, 0.2, 0.15) for s in (-1, 1))
    red = red + 0.6 * gauss(g, 0, idt.nose_v - 0.03, 0.08, 0.06)
    albedo = mix(albedo, skin * np.asarray([0.8, 0.78, 1.08], np.float32), red * idt.blush * 4)
    if idt.freckles:
        dots = (stream(idt, "freckles").random(shape) < 0.012 * idt.freckles).astype(np.float32)
        dots = cv2.GaussianBlur(dots, (0, 0), 0.012 * g.ppu) * 6
        area = gauss(g, 0, idt.nose_v - 0.1, 0.7, 0.25)
        albedo = mix(albedo, skin * 0.72, np.clip(dots, 0, 1) * area)
    albedo = texture.paint_skin(g, idt, albedo)
    albedo = _wrinkles(g, idt, albedo, stream(idt, "wrinkles"))
    # Features are painted in windows around them: the full grid would cost ten times more.
    for side in (-1, 1):
        ex = side * idt.eye_spacing
        w, sl = g.window(ex - 0.5, ex + 0.5, idt.eye_v - idt.brow_gap - 0.3, idt.eye_v + 0.3)
        part = _eye(w, idt, side, albedo[sl], stream(idt, f"eye{side}"))
        albedo[sl] = _brow(w, idt, side, part, stream(idt, f"brow{side}"))
        w, sl = g.window(side * idt.nose_width * 0.5 - 0.25, side * idt.nose_width * 0.5 + 0.25,
                         idt.nose_v - 0.2, idt.nose_v + 0.2)
        part = albedo[sl]
        nx, ny = side * idt.nose_width * 0.42, idt.nose_v + 0.035
        nostril = gauss(w, nx, ny, 0.05 * (0.7 + 0.4 * idt.nostril), 0.026)
        # Seen from the front the nostrils are half hidden by the tip: a soft shadow, not two
        # dark holes (dlib's 5-point model took those for eyes and aligned on the nose).
        part = mix(part, part * 0.45, np.clip(nostril * (0.5 + 0.6 * idt.nostril), 0, 1))
        # The alar groove: a soft dark crease curving around each nostril wing.
        ala = np.hypot((w.U - side * idt.nose_width * idt.alar_spread) / 0.1,
                       (w.V - idt.nose_v) / 0.085)
        groove = np.exp(-((ala - 1.0) / 0.18) ** 2) * (w.V < idt.nose_v + 0.05)
        groove *= (w.U * side > idt.nose_width * 0.5)
        albedo[sl] = mix(part, part * 0.6, groove * 0.6)
    w, sl = g.window(-idt.mouth_width - 0.1, idt.mouth_width + 0.1, idt.mouth_v - 0.2,
                     idt.mouth_v + 0.25)
    albedo[sl] = _lips(w, idt, albedo[sl])
    w, sl = g.window(-1.1, 1.1, idt.eye_v, idt.chin_v + 0.05)
    albedo[sl] = _facial_hair(w, idt, albedo[sl], stream(idt, "beard"))
    return np.clip(albedo, 0, 1).astype(np.float32)
