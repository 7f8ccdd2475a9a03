"""Posing and shading an identity's cached sprite: pose, expression, light, placement.

A capture poses the sprite by a parallax remap of its depth (yaw and pitch), bends the mouth
and brows for an expression, shades the remapped normals under the capture's light (ambient +
Lambert + Blinn-Phong), and places the result with one affine warp (scale, roll, position) over
a background. Ground-truth landmarks and the face box go through the same transforms, forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from sim.faces.geometry import U_RANGE, V_RANGE
from sim.faces.layers import HeadLayers


@dataclass(frozen=True)
class Pose:
    yaw: float = 0.0  # degrees, positive turns the face towards the image right
    pitch: float = 0.0  # degrees, positive lifts the chin
    roll: float = 0.0  # degrees, positive turns clockwise in the image
    smile: float = 0.0  # 0 neutral .. 1 broad smile
    brow_raise: float = 0.0


@lru_cache(maxsize=8)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))


def _origin(L: HeadLayers) -> tuple[float, float]:
    """Pixel of the face-unit origin: the axis the head turns about."""
    return -U_RANGE[0] * L.grid.ppu - 0.5, -V_RANGE[0] * L.grid.ppu - 0.5


def _rotation(pose: Pose) -> np.ndarray:
    p, y, r = np.deg2rad([pose.pitch, pose.yaw, pose.roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _expression_points(L: HeadLayers, pose: Pose) -> list[tuple[float, float, float, float, float]]:
    """(x, y, sigma, dx, dy) sprite-pixel displacements that bend mouth and brows."""
    ppu = L.grid.ppu
    lm = L.landmarks
    out = []
    if pose.smile > 0:
        for i, side in ((3, -1), (4, 1)):
            out.append((lm[i, 0], lm[i, 1], 0.09 * ppu, side * 0.06 * ppu * pose.smile,
                        -0.07 * ppu * pose.smile))
    if pose.brow_raise > 0:
        for i in (0, 1):
            out.append((lm[i, 0], lm[i, 1] - 0.22 * ppu, 0.14 * ppu, 0.0,
                        -0.05 * ppu * pose.brow_raise))
    return out


def _displace(x, y, pts) -> tuple[np.ndarray, np.ndarray]:
    dx = np.zeros_like(x)
    dy = np.zeros_like(y)
    for px, py, s, ddx, ddy in pts:
        px, py, s, ddx, ddy = (float(a) for a in (px, py, s, ddx, ddy))
        wgt = np.exp(-((x - px) ** 2 + (y - py) ** 2) / (s * s))
        dx += ddx * wgt
        dy += ddy * wgt
    return dx, dy


def _pose_maps(L: HeadLayers, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Inverse maps (output pixel -> sprite pixel) for yaw, pitch and expression."""
    h, w = L.alpha.shape
    xs, ys = _pixel_grid(h, w)
    cx, cy = _origin(L)
    X, Y = xs - cx, ys - cy
    yaw, pitch = np.deg2rad(pose.yaw), np.deg2rad(pose.pitch)
    sy, cyaw, sp, cp = (float(f(a)) for f, a in ((np.sin, yaw), (np.cos, yaw),
                                                 (np.sin, pitch), (np.cos, pitch)))
    pts = _expression_points(L, pose)
    if pts:  # the expression moves features first; invert it approximately at the output
        dx, dy = _displace(xs, ys, [(px + ddx, py + ddy, s, ddx, ddy)
                                    for px, py, s, ddx, ddy in pts])
        X, Y = (X - dx).astype(np.float32), (Y - dy).astype(np.float32)
    if yaw == 0 and pitch == 0:
        return X + cx, Y + cy
    # Forward: pitch about x, then yaw about y (orthographic). Invert by fixed-point iteration
    # on the depth found at the current estimate of the source pixel.
    z = L.z_smooth
    sx, syy = X, Y
    for _ in range(3):
        zz = cv2.remap(z, sx + cx, syy + cy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        syy = (Y + zz * sp) / cp
        sx = (X - (syy * sp + zz * cp) * sy) / cyaw
    return (sx + cx).astype(np.float32), (syy + cy).astype(np.float32)


def _forward(L: HeadLayers, pose: Pose, pts3: np.ndarray) -> np.ndarray:
    """Sprite points (x, y, z) to posed sprite pixels, as the remap renders them."""
    cx, cy = _origin(L)
    p = pts3.astype(np.float64).copy()
    dx, dy = _displace(p[:, 0], p[:, 1], _expression_points(L, pose))
    p[:, 0] += dx
    p[:, 1] += dy
    p[:, 0] -= cx
    p[:, 1] -= cy
    r = _rotation(Pose(yaw=pose.yaw, pitch=pose.pitch))
    q = p @ r.T
    return np.column_stack([q[:, 0] + cx, q[:, 1] + cy])


def _shade(stack: np.ndarray, pose: Pose, light_dir, light_bgr, ambient: float,
           exposure: float) -> tuple[np.ndarray, np.ndarray]:
    """Premultiplied BGR (0..255) and alpha of the posed sprite under one light."""
    albedo, n, alpha, spec = stack[..., :3], stack[..., 3:6], stack[..., 6], stack[..., 7]
    r = _rotation(pose).astype(np.float32)
    n = n @ r.T
    ldir = np.asarray(light_dir, np.float32)
    ldir /= np.linalg.norm(ldir)
    half = ldir + np.array([0, 0, 1], np.float32)
    half /= np.linalg.norm(half)
    # Wrapped Lambert: light bleeds past the terminator as it does through skin.
    diff = np.clip((n @ ldir + 0.25) / 1.25, 0, None)
    hl = np.clip(n @ half, 0, None)
    shine = 0.5 * spec * hl ** 12
    # Sky-like ambient: surfaces facing up get a little more than those facing down.
    amb = ambient * (0.85 - 0.15 * n[..., 1])
    col = albedo * (amb + (1 - ambient) * 1.1 * diff)[..., None] + shine[..., None]
    col = col * np.asarray(light_bgr, np.float32) * (255.0 * exposure)
    return col * alpha[..., None], alpha


def render_layers(L: HeadLayers, pose: Pose, light_dir, light_bgr, ambient: float,
                  exposure: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Posed, shaded sprite: premultiplied colour, alpha, landmarks and box points (sprite px)."""
    mx, my = _pose_maps(L, pose)
    stack = cv2.remap(L.stack, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    col, alpha = _shade(stack, pose, light_dir, light_bgr, ambient, exposure)
    return col, alpha, _forward(L, pose, L.landmarks), _forward(L, pose, L.box_points)


def place(frame: np.ndarray, col: np.ndarray, alpha: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Composite premultiplied ``col``/``alpha`` into ``frame`` (uint8) through affine ``m``."""
    h, w = col.shape[:2]
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m.T
    x0, y0 = np.floor(corners.min(0)).astype(int)
    x1, y1 = np.ceil(corners.max(0)).astype(int)
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, fw), min(y1, fh)
    if x1 <= x0 or y1 <= y0:
        return frame
    mr = m.copy()
    mr[:, 2] -= (x0, y0)
    src = np.dstack([col, alpha])
    out = cv2.warpAffine(src, mr, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT)
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    a = out[..., 3:4]
    frame[y0:y1, x0:x1] = np.clip(roi * (1 - a) + out[..., :3], 0, 255).astype(np.uint8)
    return frame


def affine(L: HeadLayers, scale: float, roll_deg: float, centre: tuple[float, float],
            pre_scale: float = 1.0) -> np.ndarray:
    """Sprite pixel -> image pixel: the face origin lands on ``centre``."""
    cx, cy = _origin(L)
    m = cv2.getRotationMatrix2D((cx, cy), -roll_deg, scale * pre_scale)
    m[:, 2] += (centre[0] - cx, centre[1] - cy)
    return m


def apply_affine(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


def bounding_box(pts: np.ndarray) -> tuple[float, float, float, float]:
    x1, y1 = pts.min(0)
    x2, y2 = pts.max(0)
    return float(x1), float(y1), float(x2), float(y2)
