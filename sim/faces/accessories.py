"""Glasses, hats and masks, drawn into the capture after the head is placed.

Each accessory is a few 3D polylines in sprite pixels (x, y, depth); they go through the same
pose and placement as the landmarks and are drawn antialiased with OpenCV. Drawing them in the
frame keeps the identity's cached sprite untouched, so an accessory costs a few polylines
rather than a repaint of the head.
"""

from __future__ import annotations

import cv2
import numpy as np

from sim.faces.capture import GLASSES, HATS, MASKS, Shot
from sim.faces.geometry import outline_width
from sim.faces.identity import Identity
from sim.faces.layers import HeadLayers
from sim.faces.pose import Pose, apply_affine, forward_points

_SHIFT = 4  # fixed-point bits for subpixel drawing
_ONE = 1 << _SHIFT


def check_kit(glasses: str, hat: str, mask: str) -> None:
    for name, value, known in (("glasses", glasses, GLASSES), ("hat", hat, HATS),
                               ("mask", mask, MASKS)):
        if value not in known:
            raise ValueError(f"{name}: unknown value {value!r}; expected one of "
                             f"{', '.join(known)}")


class _Pen:
    """Projects face-unit points (u, v, depth in face units) to frame pixels and draws."""

    def __init__(self, frame: np.ndarray, L: HeadLayers, pose: Pose, m: np.ndarray, shot: Shot):
        self.frame, self.L, self.pose, self.m = frame, L, pose, m
        self.scale = float(np.hypot(m[0, 0], m[0, 1])) * L.grid.ppu  # frame px per face unit
        ld = np.asarray(shot.light_dir)
        facing = max(0.0, float(ld[2]))  # accessories face the camera, roughly
        self.light = (shot.ambient + (1 - shot.ambient) * facing) * shot.exposure
        self.tint = np.asarray(shot.light_bgr)

    def project(self, uvz: np.ndarray) -> np.ndarray:
        g = self.L.grid
        x, y = g.to_px(uvz[:, 0], uvz[:, 1])
        pts = np.column_stack([x - 0.5, y - 0.5, uvz[:, 2] * g.ppu])
        return apply_affine(self.m, forward_points(self.L, self.pose, pts))

    def colour(self, bgr) -> tuple[float, float, float]:
        c = np.clip(np.asarray(bgr) * self.light * self.tint * 255.0, 0, 255)
        return tuple(float(v) for v in c)

    def line(self, uvz, bgr, width_units: float, closed: bool = False) -> None:
        pts = np.round(self.project(np.asarray(uvz, float)) * _ONE).astype(np.int32)
        t = max(1, int(round(width_units * self.scale)))
        cv2.polylines(self.frame, [pts], closed, self.colour(bgr), t, cv2.LINE_AA, _SHIFT)

    def fill(self, uvz, bgr, opacity: float = 1.0) -> None:
        xy = self.project(np.asarray(uvz, float))
        pts = np.round(xy * _ONE).astype(np.int32)
        if opacity >= 1.0:
            cv2.fillPoly(self.frame, [pts], self.colour(bgr), cv2.LINE_AA, _SHIFT)
            return
        h, w = self.frame.shape[:2]
        x0, y0 = np.clip(np.floor(xy.min(0)).astype(int) - 1, 0, (w, h))
        x1, y1 = np.clip(np.ceil(xy.max(0)).astype(int) + 2, 0, (w, h))
        if x1 <= x0 or y1 <= y0:
            return
        roi = self.frame[y0:y1, x0:x1]
        layer = roi.copy()
        cv2.fillPoly(layer, [pts - np.array([x0, y0]) * _ONE], self.colour(bgr), cv2.LINE_AA,
                     _SHIFT)
        cv2.addWeighted(layer, opacity, roi, 1 - opacity, 0, dst=roi)


def _glasses(pen: _Pen, idt: Identity, style: str, rng) -> None:
    thick = {"round": 0.013, "rect": 0.016, "thick": 0.03}[style]
    colour = [(0.05, 0.05, 0.05), (0.1, 0.15, 0.25), (0.55, 0.55, 0.55)][int(rng.integers(3))]
    hw, hh = idt.eye_width * 1.45, max(0.14, idt.eye_width * 0.85)
    depth = idt.face_depth + 0.12
    p = 2.0 if style == "round" else 5.0  # superellipse rims: round vs rectangular
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    cu = np.sign(np.cos(t)) * np.abs(np.cos(t)) ** (2 / p)
    cv = np.sign(np.sin(t)) * np.abs(np.sin(t)) ** (2 / p)
    for side in (-1, 1):
        ex = side * idt.eye_spacing
        rim = np.column_stack([ex + hw * cu, idt.eye_v + 0.02 + hh * cv, np.full_like(t, depth)])
        pen.line(rim, colour, thick, closed=True)
        outer = ex + side * hw
        arm = [(outer, idt.eye_v - 0.04, depth), (side * 1.0, idt.eye_v - 0.06, 0.3)]
        pen.line(arm, colour, thick * 0.7)
    inner = idt.eye_spacing - hw
    pen.line([(-inner, idt.eye_v - 0.03, depth), (0, idt.eye_v - 0.06, depth + 0.05),
              (inner, idt.eye_v - 0.03, depth)], colour, thick * 0.8)


def _hat(pen: _Pen, idt: Identity, style: str, rng) -> None:
    colour = np.asarray(rng.uniform(0.1, 0.8, 3))
    brow_top = idt.eye_v - idt.brow_gap - idt.brow_arch - 0.6 * idt.brow_thickness
    # Worn on the head, not over the eyes: the lower edge stays above the brows.
    brim_v = min(idt.hairline_v + (0.2 if style == "cap" else 0.28), brow_top - 0.1)
    vol = 0.08 + 0.25 * idt.hair_volume
    vs = np.linspace(idt.crown_v - vol, brim_v, 24)
    ws = outline_width(idt, vs) + vol
    ws[0] = 0.0
    left = np.column_stack([-ws, vs, np.zeros_like(vs)])
    right = np.column_stack([ws, vs, np.zeros_like(vs)])[::-1]
    us = np.linspace(-ws[-1], ws[-1], 16)
    front = idt.face_depth * np.sqrt(np.clip(1 - (us / ws[-1]) ** 2, 0, 1)) + 0.05
    band = np.column_stack([us, np.full_like(us, brim_v), front])
    if style == "cap":  # the visor's shadow on the forehead
        shadow = np.column_stack([us[::-1], np.full_like(us, brim_v + 0.14), front[::-1]])
        pen.fill(np.vstack([band, shadow]), (0.0, 0.0, 0.0), opacity=0.35)
    pen.fill(np.vstack([left, band, right]), colour)
    if style == "cap":
        bu = np.linspace(-0.85, 0.85, 16)
        bz = idt.face_depth + 0.25 * np.sqrt(np.clip(1 - (bu / 0.85) ** 2, 0, 1)) + 0.1
        lip = np.column_stack([bu, np.full_like(bu, brim_v + 0.01), bz])
        tip = np.column_stack([bu[::-1], np.full_like(bu, brim_v + 0.07), bz[::-1] + 0.2])
        pen.fill(np.vstack([lip, tip]), colour * 0.6)
    else:  # beanie: a folded cuff
        cuff = np.column_stack([us, np.full_like(us, brim_v - 0.1), front])
        pen.line(cuff, colour * 0.75, 0.05)


def _mask(pen: _Pen, idt: Identity, style: str, rng, z_of) -> None:
    colour = (0.88, 0.8, 0.65) if style == "surgical" else tuple(rng.uniform(0.05, 0.6, 3))
    top_v = (idt.eye_v + idt.nose_v) / 2 + 0.04
    vs = np.linspace(top_v, idt.chin_v + 0.04, 20)
    ws = np.maximum(outline_width(idt, np.minimum(vs, idt.chin_v - 0.02)), 0.2) * 0.97
    us = np.linspace(-ws[0], ws[0], 17)
    top = np.column_stack([us, np.full_like(us, top_v), [z_of(u, top_v) + 0.04 for u in us]])
    right = np.column_stack([ws, vs, np.full_like(vs, 0.2)])
    left = np.column_stack([-ws, vs, np.full_like(vs, 0.2)])[::-1]
    pen.fill(np.vstack([top, right, left]), np.asarray(colour))
    if style == "surgical":
        for k in (0.3, 0.5, 0.7):
            v = top_v + (idt.chin_v - top_v) * k
            w = float(outline_width(idt, np.array([v]))[0]) * 0.9
            pen.line([(-w, v, 0.4), (0, v, z_of(0.0, v) + 0.05), (w, v, 0.4)],
                     np.asarray(colour) * 0.85, 0.01)


def draw_accessories(frame: np.ndarray, idt: Identity, L: HeadLayers, pose: Pose,
                     m: np.ndarray, shot: Shot) -> np.ndarray:
    """Draw the shot's glasses, hat and mask over the placed head (in place)."""
    check_kit(shot.glasses, shot.hat, shot.mask)
    if shot.glasses == shot.hat == shot.mask == "none":
        return frame
    pen = _Pen(frame, L, pose, m, shot)
    rng = np.random.default_rng([idt.texture_seed, 2])  # a traveler keeps their own kit

    def z_of(u: float, v: float) -> float:
        x, y = L.grid.to_px(u, v)
        xi = int(np.clip(x, 0, L.z.shape[1] - 1))
        yi = int(np.clip(y, 0, L.z.shape[0] - 1))
        return float(L.z[yi, xi]) / L.grid.ppu

    if shot.mask != "none":
        _mask(pen, idt, shot.mask, rng, z_of)
    if shot.glasses != "none":
        _glasses(pen, idt, shot.glasses, rng)
    if shot.hat != "none":
        _hat(pen, idt, shot.hat, rng)
    return frame
