"""Glasses, hats and masks drawn onto an identity's sprite (cached per identity and kit)."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from sim.faces.capture import GLASSES, HATS, MASKS
from sim.faces.geometry import Grid, outline_width, sample
from sim.faces.identity import Identity
from sim.faces.layers import HeadLayers, finish, head_layers
from sim.faces.paint import mix, noise


def _over(L: dict, cover: np.ndarray, colour, z: np.ndarray, spec: float) -> None:
    L["albedo"] = mix(L["albedo"], colour, cover)
    L["z"] = L["z"] * (1 - cover) + z * cover
    L["spec"] = L["spec"] * (1 - cover) + spec * cover
    L["alpha"] = np.maximum(L["alpha"], cover)


def _glasses(g: Grid, idt: Identity, L: dict, style: str, rng) -> None:
    thick = {"round": 0.018, "rect": 0.022, "thick": 0.045}[style]
    colour = [(0.05, 0.05, 0.05), (0.1, 0.15, 0.25), (0.55, 0.55, 0.55)][int(rng.integers(3))]
    hw, hh = idt.eye_width * 1.5, max(0.15, idt.eye_width * 0.95)
    z_eye = sample(g, L["z"], idt.eye_spacing, idt.eye_v)
    zg = np.full_like(g.U, z_eye + 0.3 * g.ppu)
    frame = np.zeros_like(g.U)
    lens = np.zeros_like(g.U)
    for side in (-1, 1):
        x = (g.U - side * idt.eye_spacing) / hw
        y = (g.V - idt.eye_v - 0.02) / hh
        p = 2.0 if style == "round" else 5.0  # superellipse: round vs rectangular rims
        r = (np.abs(x) ** p + np.abs(y) ** p) ** (1 / p)
        frame = np.maximum(frame, g.soft(thick / 2 - np.abs(r - 1) * min(hw, hh)))
        lens = np.maximum(lens, g.soft((1 - r) * min(hw, hh)))
        # Temple arm from the rim's outer edge back towards the ear.
        x0 = side * (idt.eye_spacing + hw)
        arm = g.soft(thick * 0.4 - np.abs(g.V - (idt.eye_v - 0.06))) * g.soft(
            (g.U - x0) * side) * g.soft(1.05 - np.abs(g.U))
        frame = np.maximum(frame, arm)
    bridge_half = max(0.0, idt.eye_spacing - hw)
    bridge = g.soft(thick * 0.5 - np.abs(g.V - (idt.eye_v - 0.03 - 0.02 * (g.U / 0.1) ** 2)))
    frame = np.maximum(frame, bridge * g.soft(bridge_half + 0.02 - np.abs(g.U)))
    # Lenses: a faint reflection, mostly see-through.
    L["albedo"] = mix(L["albedo"], (0.85, 0.85, 0.8), lens * 0.1)
    _over(L, frame, colour, zg, 0.6)


def _hat(g: Grid, idt: Identity, L: dict, style: str, rng) -> None:
    colour = np.asarray(rng.uniform(0.1, 0.8, 3), np.float32)
    width = outline_width(idt, g.v)[:, None]
    brim_v = idt.eye_v - idt.brow_gap - (0.28 if style == "cap" else 0.12)
    top = g.soft(brim_v - g.V) * g.soft(width + 0.12 - np.abs(g.U)) * g.soft(g.V - idt.crown_v + 0.25)
    tex = 0.9 + 0.1 * noise(rng, g.U.shape, 90 if style == "beanie" else 10)
    zh = cv2.GaussianBlur(L["z"], (0, 0), 0.1 * g.ppu) + 0.06 * g.ppu
    _over(L, top, colour * tex[..., None], zh, 0.05)
    if style == "cap":
        brim = g.soft(0.05 - np.abs(g.V - brim_v - 0.02)) * g.soft(0.9 - np.abs(g.U))
        _over(L, brim, colour * 0.8, np.full_like(g.U, (idt.face_depth + 0.35) * g.ppu), 0.05)


def _mask(g: Grid, idt: Identity, L: dict, style: str, rng) -> None:
    colour = {"surgical": (0.85, 0.78, 0.62), "cloth": tuple(rng.uniform(0.05, 0.6, 3))}[style]
    width = outline_width(idt, g.v)[:, None]
    top_v = (idt.eye_v + idt.nose_v) / 2 + 0.06
    cover = g.soft(g.V - top_v) * g.soft(idt.chin_v + 0.05 - g.V) * g.soft(width * 0.97 - np.abs(g.U))
    zm = cv2.GaussianBlur(L["z"], (0, 0), 0.12 * g.ppu) + 0.03 * g.ppu
    pleats = 1 - 0.08 * (np.sin((g.V - top_v) * 40) > 0.6) if style == "surgical" else 1.0
    _over(L, cover, np.asarray(colour, np.float32) * np.asarray(pleats)[..., None]
          if style == "surgical" else colour, zm, 0.03)


@lru_cache(maxsize=64)
def dressed_layers(idt: Identity, ppu: float, glasses: str = "none", hat: str = "none",
                   mask: str = "none") -> HeadLayers:
    """The identity's sprite wearing the given glasses, hat and mask ("none" for bare)."""
    for name, value, known in (("glasses", glasses, GLASSES), ("hat", hat, HATS),
                               ("mask", mask, MASKS)):
        if value not in known:
            raise ValueError(f"{name}: unknown value {value!r}; expected one of "
                             f"{', '.join(known)}")
    base = head_layers(idt, ppu)
    if glasses == hat == mask == "none":
        return base
    g = base.grid
    rng = np.random.default_rng([idt.texture_seed, 2, GLASSES.index(glasses), HATS.index(hat),
                                 MASKS.index(mask)])
    L = {"albedo": base.albedo.copy(), "z": base.z.copy(), "spec": base.spec.copy(),
         "alpha": base.alpha.copy()}
    if mask != "none":
        _mask(g, idt, L, mask, rng)
    if glasses != "none":
        _glasses(g, idt, L, glasses, rng)
    if hat != "none":
        _hat(g, idt, L, hat, rng)
    return finish(g, L["albedo"], L["z"], L["alpha"], L["spec"], base.face, base.landmarks,
                  base.box_points)
