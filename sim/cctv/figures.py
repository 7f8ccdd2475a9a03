"""People as CCTV sees them: a figure per traveler or actor, drawn with OpenCV primitives.

A figure is a billboard standing on its floor point: the image of the foot point and of the
head top (both projected, so perspective leans and shrinks figures correctly) give the body
axis; widths come from the image scale at that depth. Legs and arms swing with a walking phase,
the torso narrows when seen side-on, the head shows the face (a small patch from
:mod:`sim.faces` where the person faces the camera) or the back of the hair. A fall tilts the
axis down to the floor. Clothes, hair, skin, height and carry-on bag come from the identity, so
the same traveler looks the same in every camera and every run with the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from sim.positions import hash_uniform

__all__ = ["Appearance", "appearance", "draw_figure", "draw_bag", "FigurePose", "face_patch"]

SHIFT = 3  # subpixel bits for cv2 drawing
ONE = 1 << SHIFT

_TOPS = [(40, 40, 42), (235, 235, 232), (120, 60, 30), (50, 50, 140), (60, 110, 60),
         (150, 150, 150), (90, 40, 110), (30, 120, 200), (170, 120, 60), (70, 80, 100),
         (200, 190, 170), (40, 30, 90)]
_BOTTOMS = [(110, 70, 40), (40, 40, 42), (90, 120, 140), (70, 70, 75), (140, 90, 50),
            (60, 50, 40), (160, 170, 175)]
_BAGS = [(30, 30, 32), (100, 60, 30), (40, 40, 120), (60, 100, 60), (120, 120, 125),
         (30, 80, 160), (150, 140, 130)]
_SKIN = {"I-II": (170, 190, 225), "III-IV": (120, 150, 195), "V-VI": (60, 80, 115)}
_HAIR = [(25, 25, 28), (30, 40, 60), (50, 70, 100), (90, 140, 180), (150, 150, 155)]
CARRY = ("none", "backpack", "roller", "handbag")


@dataclass(frozen=True)
class Appearance:
    key: tuple[int, int]
    height_m: float
    shoulder_m: float  # half-width
    hip_m: float
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    long_hair: bool
    bald: bool
    top: tuple[int, int, int]
    bottom: tuple[int, int, int]
    shoes: tuple[int, int, int]
    carry: str
    bag: tuple[int, int, int]
    identity: object | None  # a sim.faces Identity when the face renderer is available


def _bgr(c) -> tuple[int, int, int]:
    """sim.faces colours are BGR in 0..1; figures use 0..255."""
    return tuple(int(np.clip(v * 255, 0, 255)) for v in c)


@lru_cache(maxsize=20000)
def appearance(key: tuple[int, int], skin_tone: str | None = None, age_band: str | None = None,
               sex: str | None = None) -> Appearance:
    """Deterministic from the identity key and the demographics the records hold."""
    seed, pid = int(key[0]), int(key[1])
    u = hash_uniform(pid * 16 + np.arange(12), seed * 7919 + 17)
    idt = _identity(key, skin_tone, age_band, sex)
    sex = sex or ("female" if u[0] < 0.5 else "male")
    age_band = age_band or "30-44"
    height = (1.62 if sex == "female" else 1.75) + (u[1] - 0.5) * 0.2
    height -= 0.03 if age_band == "60+" else 0.0
    if idt is not None:
        skin, hair = _bgr(idt.skin_bgr), _bgr(idt.hair_bgr)
        long_hair = idt.hair_style in ("long", "medium", "bun", "afro")
        bald = idt.hair_style == "bald"
        top = _bgr(idt.clothes_bgr) if u[2] < 0.7 else _TOPS[int(u[3] * len(_TOPS))]
    else:
        skin = _SKIN.get(skin_tone or "III-IV", _SKIN["III-IV"])
        skin = tuple(int(np.clip(c * (0.9 + 0.2 * u[4]), 0, 255)) for c in skin)
        hair = _HAIR[4] if age_band == "60+" and u[5] < 0.6 else _HAIR[int(u[5] * 4)]
        long_hair = u[6] < (0.6 if sex == "female" else 0.06)
        bald = sex == "male" and u[6] > 0.93
        top = _TOPS[int(u[3] * len(_TOPS))]
    carry = CARRY[min(3, int(u[7] * 4 + 0.2))] if u[8] > 0.1 else "none"
    return Appearance(
        key=(seed, pid), height_m=float(height),
        shoulder_m=0.18 if sex == "female" else 0.205, hip_m=0.16 if sex == "female" else 0.15,
        skin=skin, hair=hair, long_hair=long_hair, bald=bald, top=tuple(top),
        bottom=_BOTTOMS[int(u[9] * len(_BOTTOMS))], shoes=(25, 25, 28) if u[10] < 0.7
        else (200, 200, 200), carry=carry, bag=_BAGS[int(u[11] * len(_BAGS))], identity=idt)


def _identity(key, skin_tone, age_band, sex):
    try:
        from sim.faces import make_identity
    except ImportError:  # faces not available: plain ovals
        return None
    try:
        return make_identity((int(key[0]), int(key[1])), skin_tone=skin_tone,
                             age_band=age_band, sex_presentation=sex)
    except ValueError:
        return make_identity((int(key[0]), int(key[1])))


FACE_REF_PX = 32  # faces are rendered once at this size per yaw step and resized


@lru_cache(maxsize=8192)
def _face_ref(identity, yaw_step: int) -> np.ndarray | None:
    try:
        from sim.faces import render_face_patch
    except ImportError:
        return None
    return render_face_patch(identity, FACE_REF_PX, float(yaw_step * 30))


def face_patch(app: Appearance, size_px: int, yaw_deg: float) -> np.ndarray | None:
    """BGRA head patch of ``size_px`` for a figure, or None (no face renderer)."""
    if app.identity is None:
        return None
    ref = _face_ref(app.identity, int(round(np.clip(yaw_deg, -60, 60) / 30)))
    if ref is None:
        return None
    return cv2.resize(ref, (size_px, size_px), interpolation=cv2.INTER_AREA)


@dataclass
class FigurePose:
    """Per-figure drawing inputs, in pixels, from the renderer's vectorised projection."""

    foot: np.ndarray  # (2,) pixel of the foot point
    top: np.ndarray  # (2,) pixel of the head top (or the head end when lying)
    ppm: float  # pixels per metre at the figure
    swing: float  # leg swing, -1..1 (sin of the walking phase times amplitude)
    side: float  # heading · camera right (+1 walking to the right of the image)
    away: float  # heading · view direction (+1 walking away from the camera)
    tilt_sin: float  # sin of the camera tilt (depth swings show as vertical offsets)
    lying: bool = False


def _pt(p) -> tuple[int, int]:
    return int(round(p[0] * ONE)), int(round(p[1] * ONE))


def draw_figure(img: np.ndarray, app: Appearance, pose: FigurePose, faces: bool = True
                ) -> tuple[float, float, float, float]:
    """Draw one person; returns its box (x0, y0, x1, y1) in pixels, unclipped."""
    H = app.height_m
    F, T = pose.foot, pose.top
    axis = T - F
    length = float(math.hypot(*axis))
    if length < 1e-3:
        return (F[0], F[1], F[0], F[1])
    e = axis / length
    n = np.array([-e[1], e[0]])
    along = length / H  # pixels per metre along the body
    s = pose.ppm
    wf = 0.62 + 0.38 * abs(pose.away)  # torso narrower when seen side-on

    def P(h, w):
        return F + e * (h * along) + n * (w * s)

    sw, hw = app.shoulder_m * wf, app.hip_m * wf
    stride = 0.32 * pose.swing
    lat = stride * pose.side
    dep = stride * pose.away * pose.tilt_sin
    hip_l, hip_r = P(0.49 * H, -0.08 * wf), P(0.49 * H, 0.08 * wf)
    ank_l, ank_r = P(0.04 * H + dep, -0.08 * wf + lat), P(0.04 * H - dep, 0.08 * wf - lat)
    sh_l, sh_r = P(0.80 * H, -(sw - 0.03)), P(0.80 * H, sw - 0.03)
    hand_l = P(0.45 * H - 0.5 * dep, -(sw + 0.01) - 0.6 * lat)
    hand_r = P(0.45 * H + 0.5 * dep, sw + 0.01 + 0.6 * lat)
    head = P(H - 0.115, 0.0)
    limb = max(1, int(round(0.13 * s)))
    arm = max(1, int(round(0.085 * s)))
    back_view = pose.away > 0.25

    pts = [ank_l, ank_r, sh_l - n * 0.05 * s, sh_r + n * 0.05 * s, hand_l, hand_r,
           P(H, -0.09), P(H, 0.09), P(0, -0.1), P(0, 0.1)]
    if app.carry == "backpack" and not back_view:
        _quad(img, P(0.56 * H, -0.15), P(0.56 * H, 0.15), P(0.79 * H, 0.15),
              P(0.79 * H, -0.15), app.bag)
    for a, b in ((hip_l, ank_l), (hip_r, ank_r)):
        cv2.line(img, _pt(a), _pt(b), app.bottom, limb, cv2.LINE_8, SHIFT)
    shoe = max(1, int(round(0.05 * s)))
    for a in (ank_l, ank_r):
        cv2.circle(img, _pt(a), shoe * ONE, app.shoes, -1, cv2.LINE_8, SHIFT)
    torso = np.array([_pt(P(0.47 * H, -hw)), _pt(P(0.47 * H, hw)), _pt(P(0.80 * H, sw)),
                      _pt(P(0.84 * H, 0.07)), _pt(P(0.84 * H, -0.07)),
                      _pt(P(0.80 * H, -sw))], np.int32)
    cv2.fillConvexPoly(img, torso, app.top, cv2.LINE_AA, SHIFT)
    if app.carry == "backpack" and back_view:
        _quad(img, P(0.55 * H, -0.14), P(0.55 * H, 0.14), P(0.79 * H, 0.14),
              P(0.79 * H, -0.14), app.bag)
    for a, b in ((sh_l, hand_l), (sh_r, hand_r)):
        cv2.line(img, _pt(a), _pt(b), app.top, arm, cv2.LINE_8, SHIFT)
        cv2.circle(img, _pt(b), max(1, arm // 2 + 1) * ONE, app.skin, -1, cv2.LINE_8, SHIFT)
    if app.carry == "handbag":
        _quad(img, P(0.42 * H, sw + 0.02), P(0.42 * H, sw + 0.14), P(0.56 * H, sw + 0.14),
              P(0.56 * H, sw + 0.02), app.bag)
        pts += [P(0.42 * H, sw + 0.14)]
    cv2.line(img, _pt(P(0.82 * H, 0)), _pt(P(0.88 * H, 0)), app.skin,
             max(1, int(round(0.09 * s))), cv2.LINE_8, SHIFT)
    _head(img, app, pose, head, e, n, s, back_view, faces)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def _quad(img, a, b, c, d, colour):
    cv2.fillConvexPoly(img, np.array([_pt(a), _pt(b), _pt(c), _pt(d)], np.int32), colour,
                       cv2.LINE_8, SHIFT)


def _head(img, app, pose, head, e, n, s, back_view, faces):
    half_h, half_w = 0.12 * s, 0.085 * s
    angle = math.degrees(math.atan2(e[1], e[0]))
    axes = (max(1, int(round(half_h * ONE))), max(1, int(round(half_w * ONE))))
    if app.long_hair and not pose.lying:
        drop = head - e * (0.2 * s)
        cv2.line(img, _pt(head), _pt(drop), app.hair, max(1, int(round(0.17 * s))),
                 cv2.LINE_8, SHIFT)
    if back_view or pose.lying:
        colour = app.skin if app.bald else app.hair
        cv2.ellipse(img, _pt(head), axes, angle, 0, 360, colour, -1, cv2.LINE_AA, SHIFT)
        return
    size = int(round(2 * half_h * 1.1))
    patch = None
    if faces and size >= 10 and pose.away < -0.2:
        yaw = math.degrees(math.asin(float(np.clip(pose.side, -1, 1)))) * 0.9
        patch = face_patch(app, size, -yaw)
    if patch is None:
        hair = app.skin if app.bald else app.hair
        cv2.ellipse(img, _pt(head + e * 0.02 * s), axes, angle, 0, 360, hair, -1, cv2.LINE_AA,
                    SHIFT)
        face_axes = (max(1, int(axes[0] * 0.8)), max(1, int(axes[1] * 0.85)))
        offset = 0.02 if pose.away < 0 else 0.06
        cv2.ellipse(img, _pt(head - e * offset * s), face_axes, angle, 0, 360, app.skin, -1,
                    cv2.LINE_AA, SHIFT)
        if pose.away < -0.2 and half_h >= 4:  # eyes and mouth on a plain oval
            for side in (-0.03, 0.03):
                cv2.circle(img, _pt(head + e * 0.005 * s + n * side * s),
                           max(ONE // 2, int(0.012 * s * ONE)), (30, 30, 30), -1, cv2.LINE_8,
                           SHIFT)
            cv2.line(img, _pt(head - e * 0.06 * s - n * 0.025 * s),
                     _pt(head - e * 0.06 * s + n * 0.025 * s), (60, 60, 120), 1, cv2.LINE_8,
                     SHIFT)
        return
    _paste(img, patch, head)


def _paste(img, patch, center):
    h, w = patch.shape[:2]
    x0, y0 = int(round(center[0] - w / 2)), int(round(center[1] - h / 2))
    X0, Y0 = max(x0, 0), max(y0, 0)
    X1, Y1 = min(x0 + w, img.shape[1]), min(y0 + h, img.shape[0])
    if X1 <= X0 or Y1 <= Y0:
        return
    p = patch[Y0 - y0:Y1 - y0, X0 - x0:X1 - x0]
    a = p[..., 3:4].astype(np.float32) * (1 / 255)
    roi = img[Y0:Y1, X0:X1]
    roi[:] = (roi * (1 - a) + p[..., :3] * a).astype(np.uint8)


def draw_bag(img, base_px, top_px, ppm, colour) -> tuple[float, float, float, float]:
    """A rolling suitcase or left bag: upright box from its floor point to its top."""
    axis = top_px - base_px
    length = float(math.hypot(*axis))
    if length < 1e-3:
        return (base_px[0], base_px[1], base_px[0], base_px[1])
    e = axis / length
    n = np.array([-e[1], e[0]]) * 0.19 * ppm
    corners = [base_px - n, base_px + n, top_px + n, top_px - n]
    _quad(img, *corners, colour)
    dark = tuple(int(c * 0.6) for c in colour)
    cv2.line(img, _pt(base_px + e * length * 0.5 - n), _pt(base_px + e * length * 0.5 + n),
             dark, max(1, int(0.02 * ppm)), cv2.LINE_8, SHIFT)
    xs = [c[0] for c in corners]
    ys = [c[1] for c in corners]
    return (min(xs), min(ys), max(xs), max(ys))
