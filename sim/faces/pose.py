"""Posing and shading an identity's cached sprite: pose, expression, light, placement.

A capture shades the sprite in its own frame under the capture's light turned into that frame
(ambient + wrapped Lambert + Blinn-Phong: rotating one light is cheaper than every normal),
bends mouth and brows for the expression with small local remaps, then fills the output
region with one remap that inverts, per output pixel, the placement (scale, roll, position)
and the head's yaw and pitch (a parallax remap of its depth). Ground-truth landmarks and the
face box go through the same transforms forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sim.faces.geometry import U_RANGE, V_RANGE
from sim.faces.layers import HeadLayers


# Share (as an exponent) of the full correction to ``face_luma`` that face-priority auto
# exposure applies, and the most it may lift or cut: 1 would give every face the same
# brightness, 0 meters the scene. A real camera's face-priority metering weights the face
# region but still averages in the scene and limits its bias (about +-1 stop), so a dark face
# is lifted a little and keeps reading much darker than a light one: skin tone survives.
# 0.6 (was 0.45): on the darkest faces dlib's HOG detector missed 10 of 300 live captures at
# 0.45 and 7 at 0.6 (tuning seeds 777/779); the enrolment photo, where ITA is measured, is
# exposed for its light and does not meter.
FACE_METERING = 0.6
METERING_LIMITS = (0.7, 1.9)


def _tone_curve(level: np.ndarray, knee: float = 200.0) -> np.ndarray:
    """A camera's tone curve: linear up to ``knee``, then a shoulder that approaches 255."""
    top = 255.0 - knee
    rolled = knee + top * (1 - np.exp(-(level - knee) / top))
    return np.clip(np.where(level > knee, rolled, level), 0, 255).round().astype(np.uint8)


# Shading is quantised at 1/HEADROOM scale, so levels up to HEADROOM x white survive to the
# tone curve's shoulder instead of clipping: white hair and shirts keep their texture.
HEADROOM = 1.5
_TONE = _tone_curve(np.arange(256, dtype=np.float64) * HEADROOM)


@dataclass(frozen=True)
class Pose:
    yaw: float = 0.0  # degrees, positive turns the face towards the image right
    pitch: float = 0.0  # degrees, positive lifts the chin
    roll: float = 0.0  # degrees, positive turns clockwise in the image
    smile: float = 0.0  # 0 neutral .. 1 broad smile
    brow_raise: float = 0.0


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


def _invert_pose(L: HeadLayers, pose: Pose, X: np.ndarray, Y: np.ndarray,
                 converge: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Posed sprite coordinates (relative to the origin) -> source sprite pixels (yaw and
    pitch; the expression is already in the shaded sprite).

    Two plain fixed-point steps serve the e-gate's small poses (within about 15 degrees);
    ``converge`` runs twelve half steps instead, which keeps turned heads (CCTV, up to about
    35 degrees of yaw) from showing a doubled nose and eyes."""
    if converge:
        return _invert_pose_damped(L, pose, X, Y)
    cx, cy = _origin(L)
    yaw, pitch = np.deg2rad(pose.yaw), np.deg2rad(pose.pitch)
    sy, cyaw, sp, cp = (float(f(a)) for f, a in ((np.sin, yaw), (np.cos, yaw),
                                                 (np.sin, pitch), (np.cos, pitch)))
    sx, syy = X, Y
    if yaw != 0 or pitch != 0:
        # Forward: pitch about x, then yaw about y (orthographic). Invert by fixed-point
        # iteration on the (smoothed) depth found at the current estimate of the source.
        z = L.z_smooth
        for _ in range(2):
            zz = cv2.remap(z, sx + cx, syy + cy, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
            syy = (Y + zz * sp) / cp
            sx = (X - (syy * sp + zz * cp) * sy) / cyaw
    return (sx + cx).astype(np.float32), (syy + cy).astype(np.float32)


def _invert_pose_damped(L: HeadLayers, pose: Pose, X: np.ndarray, Y: np.ndarray,
                        steps: int = 12, damping: float = 0.5):
    cx, cy = _origin(L)
    yaw, pitch = np.deg2rad(pose.yaw), np.deg2rad(pose.pitch)
    sy, cyaw, sp, cp = (float(f(a)) for f, a in ((np.sin, yaw), (np.cos, yaw),
                                                 (np.sin, pitch), (np.cos, pitch)))
    X = X.astype(np.float32)
    Y = Y.astype(np.float32)
    sx, syy = X, Y
    if yaw != 0 or pitch != 0:
        z = L.z_smooth
        k = np.float32(damping)
        for _ in range(steps):
            zz = cv2.remap(z, sx + np.float32(cx), syy + np.float32(cy), cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
            ny = (Y + zz * np.float32(sp)) / np.float32(cp)
            nx = (X - (ny * np.float32(sp) + zz * np.float32(cp)) * np.float32(sy)) / np.float32(cyaw)
            sx = sx + k * (nx - sx)
            syy = syy + k * (ny - syy)
    return (sx + np.float32(cx)).astype(np.float32), (syy + np.float32(cy)).astype(np.float32)


def forward_points(L: HeadLayers, pose: Pose, pts3: np.ndarray) -> np.ndarray:
    """Sprite points (x, y, z) to posed sprite pixels (before placement), as rendered."""
    cx, cy = _origin(L)
    p = pts3.astype(np.float64).copy()
    dx, dy = _displace(p[:, 0], p[:, 1], _expression_points(L, pose))
    p[:, 0] += dx - cx
    p[:, 1] += dy - cy
    q = p @ _rotation(Pose(yaw=pose.yaw, pitch=pose.pitch)).T
    return np.column_stack([q[:, 0] + cx, q[:, 1] + cy])


def shade(L: HeadLayers, pose: Pose, light_dir, light_bgr, ambient: float,
          exposure: float, face_luma: float | None = None) -> np.ndarray:
    """(H, W, 4) uint8 BGRA of the sprite lit as posed (straight colour, expression applied).

    With ``face_luma`` (0..255) the camera meters on the face, as e-gate cameras do: the gain
    moves the face's mean luminance part of the way to that level (``FACE_METERING``, within
    ``METERING_LIMITS``), then ``exposure`` scales it; without, ``exposure`` is the gain. Levels go through the camera's tone
    curve, which rolls highlights off rather than clipping them.
    """
    r = _rotation(pose)
    ldir = np.asarray(light_dir, np.float64)
    ldir /= np.linalg.norm(ldir)
    half = ldir + (0.0, 0.0, 1.0)
    half /= np.linalg.norm(half)
    # Dot products of the sprite's normals with the light, the half vector and "up", all
    # taken back into the sprite's frame (n' = R n, so n'.l = n.(R^T l)); at half size,
    # since the light varies slowly and the albedo carries the detail.
    m = np.stack([r.T @ ldir, r.T @ half, r[1]]).astype(np.float32)
    dots = cv2.transform(L.normals_half, m)
    diff = np.maximum(dots[..., 0] + 0.25, 0) * (1 / 1.25)  # wrapped Lambert, as through skin
    hl = np.maximum(dots[..., 1], 0)
    hl *= hl
    hl *= hl
    shine = L.spec_half * 0.5 * (hl * hl * hl)  # Blinn-Phong, exponent 12
    # Sky-like ambient: surfaces facing up get a little more than those facing down.
    light = ambient * (0.85 - 0.15 * dots[..., 2]) + (1 - ambient) * 1.1 * diff
    h, w = L.alpha.shape
    if face_luma is not None:
        lit = float(light.ravel()[L.face_half].mean()) * L.face_luma * float(np.mean(light_bgr))
        correction = (face_luma / (255.0 * max(lit, 1e-3))) ** FACE_METERING
        exposure *= float(np.clip(correction, *METERING_LIMITS))
    gain = [np.float32(float(c) * (255.0 / HEADROOM) * exposure) for c in light_bgr]
    # The camera's colour gain goes on at half size (it is linear, so it commutes with the
    # upscale), and albedo x light + shine is one fused pass at full size.
    light3 = cv2.resize(cv2.merge([light * g for g in gain]), (w, h),
                        interpolation=cv2.INTER_LINEAR)
    col = cv2.resize(cv2.merge([shine * g for g in gain]), (w, h),
                     interpolation=cv2.INTER_LINEAR)
    cv2.accumulateProduct(L.albedo, light3, col)
    bgr = cv2.LUT(cv2.convertScaleAbs(col), _TONE)
    out = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    out[..., 3] = L.alpha_u8
    _express(out, L, pose)
    return out


def _express(img: np.ndarray, L: HeadLayers, pose: Pose) -> None:
    """Bend mouth and brows in place: local remaps in windows around each displaced point."""
    pts = _expression_points(L, pose)
    h, w = img.shape[:2]
    src = img.copy() if pts else img
    for px, py, s, dx, dy in pts:
        if abs(dx) + abs(dy) < 0.05:
            continue
        cx, cy = px + dx, py + dy
        r = 2.5 * s + abs(dx) + abs(dy)
        x0, y0 = max(0, int(cx - r)), max(0, int(cy - r))
        x1, y1 = min(w, int(cx + r) + 1), min(h, int(cy + r) + 1)
        xs = np.arange(x0, x1, dtype=np.float32)[None, :].repeat(y1 - y0, 0)
        ys = np.arange(y0, y1, dtype=np.float32)[:, None].repeat(x1 - x0, 1)
        # p' = p + d(p), so p ~ p' - d, with d centred on the displaced point.
        ddx, ddy = _displace(xs, ys, [(cx, cy, s, dx, dy)])
        img[y0:y1, x0:x1] = cv2.remap(src, xs - ddx, ys - ddy, cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)


def compose(frame: np.ndarray, L: HeadLayers, shaded: np.ndarray, pose: Pose,
            m: np.ndarray) -> np.ndarray:
    """Draw the posed, shaded sprite (BGRA uint8) into ``frame`` (uint8 BGR, in place)
    through the placement ``m`` (sprite pixel -> frame pixel, 2x3)."""
    x0, y0, x1, y1 = L.bbox
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
    out = apply_affine(m, corners)
    scale = float(np.hypot(m[0, 0], m[0, 1]))
    zmax = float(L.z_smooth.max())
    pad = scale * zmax * (abs(np.sin(np.deg2rad(pose.yaw))) + abs(np.sin(np.deg2rad(pose.pitch))))
    pad += 2
    fh, fw = frame.shape[:2]
    ox0, oy0 = (max(0, int(np.floor(v - pad))) for v in out.min(0))
    ox1 = int(min(fw, np.ceil(out[:, 0].max() + pad)))
    # The body continues below the sprite to the bottom of the frame (its last rows are
    # replicated), so a close-up never shows a bust cut off in mid-air.
    oy1 = fh
    if ox1 <= ox0 or oy1 <= oy0:
        return frame
    inv = cv2.invertAffineTransform(m)
    cx, cy = _origin(L)
    # The inverse map is smooth (it follows the smoothed depth), so it is solved at the
    # centres of 2x2 pixel blocks and interpolated back up.
    w, h = ox1 - ox0, oy1 - oy0
    hw, hh = (w + 1) // 2, (h + 1) // 2
    ox = (ox0 + 0.5 + 2 * np.arange(hw, dtype=np.float32))[None, :]
    oy = (oy0 + 0.5 + 2 * np.arange(hh, dtype=np.float32))[:, None]
    X = (inv[0, 0] * ox + inv[0, 1] * oy + np.float32(inv[0, 2] - cx)).astype(np.float32)
    Y = (inv[1, 0] * ox + inv[1, 1] * oy + np.float32(inv[1, 2] - cy)).astype(np.float32)
    sx, sy = _invert_pose(L, pose, X, Y)
    sx = cv2.resize(sx, (2 * hw, 2 * hh), interpolation=cv2.INTER_LINEAR)[:h, :w]
    sy = cv2.resize(sy, (2 * hw, 2 * hh), interpolation=cv2.INTER_LINEAR)[:h, :w]
    src = cv2.remap(shaded, sx, np.minimum(sy, np.float32(shaded.shape[0] - 1)),
                    cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    a = src[..., 3].astype(np.float32) * np.float32(1 / 255)
    roi = frame[oy0:oy1, ox0:ox1]
    frame[oy0:oy1, ox0:ox1] = cv2.blendLinear(roi, cv2.cvtColor(src, cv2.COLOR_BGRA2BGR),
                                              1 - a, a)
    return frame


def posed_sprite(L: HeadLayers, shaded: np.ndarray, pose: Pose, converge: bool = False
                 ) -> np.ndarray:
    """The posed sprite in its own frame (uint8 BGRA, straight colour), without placement
    (``converge``: see :func:`_invert_pose`)."""
    h, w = L.alpha.shape
    cx, cy = _origin(L)
    X = np.ascontiguousarray(np.broadcast_to(
        np.arange(w, dtype=np.float32)[None, :] - np.float32(cx), (h, w)))
    Y = np.ascontiguousarray(np.broadcast_to(
        np.arange(h, dtype=np.float32)[:, None] - np.float32(cy), (h, w)))
    sx, sy = _invert_pose(L, pose, X, Y, converge)
    return cv2.remap(shaded, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def affine(L: HeadLayers, scale: float, roll_deg: float, centre: tuple[float, float]
           ) -> np.ndarray:
    """Sprite pixel -> image pixel: the face origin lands on ``centre``."""
    cx, cy = _origin(L)
    m = cv2.getRotationMatrix2D((cx, cy), -roll_deg, scale)
    m[:, 2] += (centre[0] - cx, centre[1] - cy)
    return m


def apply_affine(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


def bounding_box(pts: np.ndarray) -> tuple[float, float, float, float]:
    x1, y1 = pts.min(0)
    x2, y2 = pts.max(0)
    return float(x1), float(y1), float(x2), float(y2)
