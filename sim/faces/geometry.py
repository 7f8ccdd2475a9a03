"""The head as a height field: outline, depth, features and the five ground-truth landmarks.

Everything is evaluated on a :class:`Grid` of face-unit coordinates (see
:mod:`sim.faces.identity`), so one identity renders sharp at any resolution. Depth ``z`` is
measured from the plane of the ears (the axis the head turns about), towards the camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.interpolate import PchipInterpolator

from sim.faces.identity import Identity

U_RANGE = (-2.2, 2.2)
V_RANGE = (-2.45, 2.45)


@dataclass(frozen=True)
class Grid:
    """Face-unit coordinates of each sprite pixel centre; ``ppu`` pixels per face unit."""

    ppu: float
    u: np.ndarray  # (W,)
    v: np.ndarray  # (H,)
    U: np.ndarray  # (H, W)
    V: np.ndarray  # (H, W)

    @classmethod
    def make(cls, ppu: float) -> "Grid":
        w = int(round((U_RANGE[1] - U_RANGE[0]) * ppu))
        h = int(round((V_RANGE[1] - V_RANGE[0]) * ppu))
        u = (U_RANGE[0] + (np.arange(w, dtype=np.float32) + 0.5) / ppu).astype(np.float32)
        v = (V_RANGE[0] + (np.arange(h, dtype=np.float32) + 0.5) / ppu).astype(np.float32)
        U, V = np.meshgrid(u, v)
        return cls(ppu, u, v, U, V)

    def to_px(self, u: float, v: float) -> tuple[float, float]:
        """Pixel coordinates (x, y) of a face-unit point, pixel centres at +0.5."""
        return (u - U_RANGE[0]) * self.ppu, (v - V_RANGE[0]) * self.ppu

    def window(self, u0: float, u1: float, v0: float, v1: float
               ) -> tuple["Grid", tuple[slice, slice]]:
        """The sub-grid covering a face-unit rectangle, and the slices that cut it out."""
        x0 = int(np.clip(np.floor((u0 - U_RANGE[0]) * self.ppu), 0, len(self.u)))
        x1 = int(np.clip(np.ceil((u1 - U_RANGE[0]) * self.ppu), 0, len(self.u)))
        y0 = int(np.clip(np.floor((v0 - V_RANGE[0]) * self.ppu), 0, len(self.v)))
        y1 = int(np.clip(np.ceil((v1 - V_RANGE[0]) * self.ppu), 0, len(self.v)))
        sl = (slice(y0, y1), slice(x0, x1))
        return Grid(self.ppu, self.u[x0:x1], self.v[y0:y1], self.U[sl], self.V[sl]), sl

    def soft(self, signed: np.ndarray) -> np.ndarray:
        """Antialiased coverage of a region given a signed distance in face units (>0 inside)."""
        return np.clip(signed * self.ppu + 0.5, 0.0, 1.0)


def gauss(g: Grid, cu: float, cv: float, su: float, sv: float) -> np.ndarray:
    return np.exp(-(((g.U - cu) / su) ** 2 + ((g.V - cv) / sv) ** 2))


def outline_width(idt: Identity, v: np.ndarray) -> np.ndarray:
    """Half-width of the head outline at height ``v`` (0 outside the head)."""
    v = np.asarray(v, np.float64)
    # Evaluate on a fine fixed grid and smooth it: a kink in the outline would crease the
    # whole face, since depth follows the outline.
    fine = np.linspace(-2.5, 2.5, 1001)
    w = np.zeros_like(fine)
    top = -0.75
    # Skull: an elliptical cap from the crown to the forehead.
    m = (fine >= idt.crown_v) & (fine < top)
    w[m] = idt.skull_width * np.sqrt(np.clip(1 - ((fine[m] - top) / (idt.crown_v - top)) ** 2,
                                             0, 1))
    # Face: a smooth profile through forehead, temples and cheekbones to the jaw angle.
    pts_v = [top, idt.eye_v, 0.0, 0.5 * idt.jaw_v, idt.jaw_v]
    pts_w = [idt.skull_width, idt.temple_width, 1.0,
             idt.jaw_width + 0.55 * (1.0 - idt.jaw_width) + 0.1 * idt.cheek_fullness,
             idt.jaw_width]
    m = (fine >= top) & (fine < idt.jaw_v)
    w[m] = PchipInterpolator(pts_v, pts_w)(fine[m])
    # Jaw to chin: a superellipse quadrant, pointed (k ~ 1.6) to square (k ~ 2.6) by the
    # chin's width; vertical at the jaw angle, flat under the chin.
    k = 1.1 + 3.5 * idt.chin_width
    m = (fine >= idt.jaw_v) & (fine < idt.chin_v)
    t = (fine[m] - idt.jaw_v) / (idt.chin_v - idt.jaw_v)
    w[m] = idt.jaw_width * np.clip(1 - t ** k, 0, 1) ** (1 / k)
    inside = w > 0
    k = np.exp(-0.5 * (np.arange(-12, 13) / 5.0) ** 2)  # sigma 0.025 face units
    w = np.convolve(w, k / k.sum(), mode="same") * inside
    return np.interp(v, fine, w, left=0.0, right=0.0)


@dataclass(frozen=True)
class HeadShape:
    width: np.ndarray  # (H,) outline half-width per row
    head: np.ndarray  # (H, W) coverage of the head outline
    z: np.ndarray  # (H, W) face-unit depth of head + features (no hair, ears, body)
    z_ext: np.ndarray  # (H, W) the same surface carried past the outline without a drop
    landmarks: np.ndarray  # (5, 3) face units (u, v, z), insightface order


def _nose(g: Grid, idt: Identity) -> np.ndarray:
    U, V = g.U, g.V
    top = idt.eye_v + 0.02
    t = np.clip((V - top) / (idt.nose_v - top), 0, 1)
    # Bridge widens from the root to the alae; the ridge ends under the tip.
    width = idt.nose_bridge * 1.5 + (idt.nose_width * 0.6 - idt.nose_bridge * 1.5) * t ** 1.5
    ridge = idt.nose_projection * (0.12 + 0.63 * t ** 1.8) * np.exp(-(U / width) ** 2)
    below = np.exp(-np.clip((V - idt.nose_v + 0.02) / 0.05, 0, None) ** 2)
    ridge = np.where(V < top, ridge * np.exp(-((V - top) / 0.08) ** 2), ridge * below)
    tip = 0.4 * idt.nose_projection * gauss(g, 0, idt.nose_v - 0.035, idt.nose_tip,
                                            idt.nose_tip * 0.9)
    alae = sum(0.11 * gauss(g, s * idt.nose_width * idt.alar_spread, idt.nose_v - 0.01, 0.085,
                            0.07)
               for s in (-1, 1))
    root = -0.04 * gauss(g, 0, idt.eye_v - 0.02, 0.1, 0.06)
    return ridge + tip + alae + root


def _lips(g: Grid, idt: Identity) -> np.ndarray:
    mw, mv = idt.mouth_width, idt.mouth_v
    upper = 0.05 * gauss(g, 0, mv - idt.upper_lip * 0.5, mw * 0.8, idt.upper_lip * 0.9)
    lower = 0.06 * gauss(g, 0, mv + idt.lower_lip * 0.55, mw * 0.7, idt.lower_lip * 0.8)
    line = -0.03 * gauss(g, 0, mv, mw * 1.05, 0.015)
    philtrum = -0.015 * gauss(g, 0, (idt.nose_v + mv) / 2 + 0.02, 0.03, 0.06)
    sulcus = -0.03 * gauss(g, 0, mv + idt.lower_lip + 0.07, mw * 0.6, 0.04)
    return upper + lower + line + philtrum + sulcus


BUMP_HEIGHT = 0.22  # relief of the identity's random bumps, in bump widths


def _random_bumps(g: Grid, idt: Identity, rng: np.random.Generator) -> np.ndarray:
    # Identity-specific relief no parameter names: it makes faces differ in ways a list of
    # named sliders would not. Many small bumps rather than a few broad ones: more independent
    # ways for two faces to differ.
    z = np.zeros_like(g.U)
    for _ in range(40):
        cu, cv = rng.uniform(-0.9, 0.9), rng.uniform(-1.0, idt.chin_v - 0.1)
        s = rng.uniform(0.06, 0.18)
        # Height in proportion to width: the slope, which the light shows, stays gentle.
        z += rng.normal(0, BUMP_HEIGHT) * s * gauss(g, cu, cv, s, s * rng.uniform(0.6, 1.6))
    return z


def inherit_and_age(idt: Identity, own, family: Callable, later: Callable, ageing: float):
    """An identity's random draw ``own`` (standard-normal values or zero-mean fields), as a
    relative and the years make it: a relative (``kin_seed``) shares ``kin_share`` of it with
    the family draw ``family()``, and ``drift`` years turn ``ageing`` radians per ten years
    (at most 1.5 decades' worth) of it into the new draw ``later()``. Rotations, so the draw
    keeps its spread. The one rule for the relief, the warp and the texture traits."""
    z = own
    if idt.kin_seed >= 0:
        s = idt.kin_share
        z = np.sqrt(1 - s * s) * z + s * family()
    if idt.drift:
        t = ageing * min(idt.drift / 10.0, 1.5)
        z = np.cos(t) * z + np.sin(t) * later()
    return z


AGEING_RELIEF = 1.0  # radians: ten years turn this much of the relief into new relief


def _relief(g: Grid, idt: Identity) -> np.ndarray:
    """The identity's own random relief; a relative's is partly the shared family one, and
    years of ageing (``drift``) add a change of their own."""
    def bumps(seed):
        return lambda: _random_bumps(g, idt, np.random.default_rng(seed))
    return inherit_and_age(idt, bumps(idt.texture_seed)(), bumps(idt.kin_seed),
                           bumps([idt.texture_seed, 0xA6E]), AGEING_RELIEF)


def head_shape(g: Grid, idt: Identity) -> HeadShape:
    width = outline_width(idt, g.v).astype(np.float32)
    W = width[:, None]
    head = g.soft(W - np.abs(g.U)) * (W > 0)
    s = np.clip(np.abs(g.U) / np.maximum(W, 1e-3), 0, 1)
    p = 2.3
    # A floor keeps the face outline in front of neck, ears and hair behind it.
    z = idt.face_depth * (0.2 + 0.8 * (1 - s ** p) ** (1 / p))
    # The forehead slopes back towards the crown, the chin a little towards the neck.
    fall = np.where(g.V < -0.55, np.sqrt(np.clip(1 - ((g.V + 0.55) / (idt.crown_v + 0.55)) ** 2,
                                                 0, 1)), 1.0)
    fall = fall * (1 - 0.12 * np.clip((g.V - idt.mouth_v) / (idt.chin_v - idt.mouth_v), 0, 1))
    z = z * fall
    feat = _nose(g, idt) + _lips(g, idt) + _relief(g, idt)
    for side in (-1, 1):
        ex = side * idt.eye_spacing
        feat += -idt.eye_socket * gauss(g, ex, idt.eye_v - 0.02, idt.eye_width * 1.35, 0.14)
        feat += 0.035 * gauss(g, ex, idt.eye_v, idt.eye_width * 0.9, idt.eye_open * 1.4)
        brow = 0.035 + (0.03 if idt.sex_presentation == "male" else 0.0)
        feat += brow * gauss(g, ex, idt.eye_v - idt.brow_gap - 0.03, 0.32, 0.08)
        feat += idt.cheekbone * gauss(g, side * 0.6, 0.02, 0.26, 0.16)
        feat += idt.cheek_fullness * gauss(g, side * 0.52, idt.mouth_v - 0.12, 0.24, 0.22)
        # Nasolabial fold: a groove from the ala to past the mouth corner, deeper with age.
        a = np.array([side * idt.nose_width * 0.95, idt.nose_v])
        b = np.array([side * (idt.mouth_width + 0.1), idt.mouth_v + 0.12])
        feat += -(0.01 + 0.03 * idt.wrinkles) * segment_falloff(g, a, b, 0.03)
    feat += idt.chin_prominence * gauss(g, 0, idt.chin_v - 0.2, 0.22, 0.13)
    z_ext = (z + feat).astype(np.float32)
    z = (z_ext * head).astype(np.float32)
    lm = np.array([
        [-idt.eye_spacing, idt.eye_v],
        [idt.eye_spacing, idt.eye_v],
        [0.0, idt.nose_v - 0.03],
        [-idt.mouth_width, idt.mouth_v + idt.mouth_corner],
        [idt.mouth_width, idt.mouth_v + idt.mouth_corner],
    ], np.float32)
    zs = np.array([sample(g, z, u, v) for u, v in lm], np.float32)
    return HeadShape(width, head.astype(np.float32), z, z_ext, np.column_stack([lm, zs]))


def segment_falloff(g: Grid, a: np.ndarray, b: np.ndarray, width: float) -> np.ndarray:
    """A groove or fold from ``a`` to ``b`` (u, v): 1 on the segment, Gaussian across it
    (``width``), fading to 0 at both ends."""
    d = b - a
    t = np.clip(((g.U - a[0]) * d[0] + (g.V - a[1]) * d[1]) / float(d @ d), 0, 1)
    dist2 = (g.U - a[0] - t * d[0]) ** 2 + (g.V - a[1] - t * d[1]) ** 2
    return np.exp(-dist2 / width ** 2) * np.sin(np.pi * t) ** 0.5


def sample(g: Grid, img: np.ndarray, u: float, v: float) -> float:
    """Bilinear sample of a single-channel layer at a face-unit point."""
    x, y = g.to_px(u, v)
    x, y = x - 0.5, y - 0.5
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    fx, fy = x - x0, y - y0
    p = img[y0:y0 + 2, x0:x0 + 2].astype(np.float64)
    return float(p[0, 0] * (1 - fx) * (1 - fy) + p[0, 1] * fx * (1 - fy)
                 + p[1, 0] * (1 - fx) * fy + p[1, 1] * fx * fy)
