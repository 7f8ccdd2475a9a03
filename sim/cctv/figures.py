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

__all__ = ["Appearance", "FigureBatch", "appearance", "bag_quads", "draw_bag", "draw_figure",
           "face_patch", "figure_batch"]

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


@dataclass(frozen=True, eq=False)  # hashed by object: appearance() hands out one per key
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
    top = _mute(top, 0.25)
    return Appearance(
        key=(seed, pid), height_m=float(height),
        shoulder_m=0.18 if sex == "female" else 0.205, hip_m=0.16 if sex == "female" else 0.15,
        skin=skin, hair=hair, long_hair=long_hair, bald=bald, top=tuple(top),
        bottom=_BOTTOMS[int(u[9] * len(_BOTTOMS))], shoes=(25, 25, 28) if u[10] < 0.7
        else (200, 200, 200), carry=carry, bag=_BAGS[int(u[11] * len(_BAGS))], identity=idt)


def _mute(colour, k: float) -> tuple[int, int, int]:
    """Pull a colour towards grey: clothes under hall lighting, seen by a CCTV sensor."""
    return tuple(int(c * (1 - k) + 128 * k) for c in colour)


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


def face_patch(app: Appearance, size_px: int, yaw_deg: float):
    """(BGR, mask) uint8 head patch of ``size_px`` for a figure, or None when no face renderer
    is available."""
    if app.identity is None:
        return None
    return _face_sized(app, int(size_px), int(round(max(-60.0, min(60.0, yaw_deg)) / 30)))


@lru_cache(maxsize=4096)  # a few KiB each: tens of MiB at most
def _face_sized(app: Appearance, size_px: int, yaw_step: int):
    ref = _face_ref(app.identity, yaw_step)
    if ref is None:
        return None
    interp = cv2.INTER_AREA if size_px < FACE_REF_PX else cv2.INTER_LINEAR
    patch = cv2.resize(ref, (size_px, size_px), interpolation=interp)
    return np.ascontiguousarray(patch[..., :3]), np.where(patch[..., 3] > 127, 255, 0).astype(
        np.uint8)


# Body landmarks in figure coordinates: height (fraction of body height, plus metres) and
# lateral offset (metres, multiplied by the torso width factor where marked).
_LM = {  # name: (height fraction, height metres, lateral m, scales with torso width)
    "hip_l": (0.49, 0, -0.08, 1), "hip_r": (0.49, 0, 0.08, 1),
    "ank_l": (0.04, 0, -0.08, 1), "ank_r": (0.04, 0, 0.08, 1),
    "sh_l": (0.80, 0, -0.17, 2), "sh_r": (0.80, 0, 0.17, 2),
    "hand_l": (0.45, 0, -0.21, 2), "hand_r": (0.45, 0, 0.21, 2),
    "t_hl": (0.47, 0, -1.0, 3), "t_hr": (0.47, 0, 1.0, 3),
    "t_sr": (0.80, 0, 1.0, 4), "t_nr": (0.84, 0, 0.07, 0),
    "t_nl": (0.84, 0, -0.07, 0), "t_sl": (0.80, 0, -1.0, 4),
    "neck0": (0.82, 0, 0.0, 0), "neck1": (0.88, 0, 0.0, 0),
    "head": (1.0, -0.115, 0.0, 0), "cap": (1.0, -0.095, 0.0, 0),
    "face": (1.0, -0.135, 0.0, 0), "face_back": (1.0, -0.175, 0.0, 0),
    "top_l": (1.0, 0, -0.09, 0), "top_r": (1.0, 0, 0.09, 0),
    "foot_l": (0.0, 0, -0.1, 0), "foot_r": (0.0, 0, 0.1, 0),
    "bp0": (0.56, 0, -0.15, 0), "bp1": (0.56, 0, 0.15, 0), "bp2": (0.79, 0, 0.15, 0),
    "bp3": (0.79, 0, -0.15, 0),
    "hb0": (0.42, 0, 0.02, 5), "hb1": (0.42, 0, 0.14, 5), "hb2": (0.56, 0, 0.14, 5),
    "hb3": (0.56, 0, 0.02, 5), "drop": (1.0, -0.315, 0.0, 0),
    "eye_l": (1.0, -0.11, -0.03, 0), "eye_r": (1.0, -0.11, 0.03, 0),
    "mouth_l": (1.0, -0.175, -0.025, 0), "mouth_r": (1.0, -0.175, 0.025, 0),
}
LM = {name: k for k, name in enumerate(_LM)}
(HIP_L, HIP_R, ANK_L, ANK_R, SH_L, SH_R, HAND_L, HAND_R, NECK0, NECK1, HEAD, CAP, FACE,
 FACE_BACK, DROP, EYE_L, EYE_R, MOUTH_L, MOUTH_R) = (LM[n] for n in (
    "hip_l", "hip_r", "ank_l", "ank_r", "sh_l", "sh_r", "hand_l", "hand_r", "neck0", "neck1",
    "head", "cap", "face", "face_back", "drop", "eye_l", "eye_r", "mouth_l", "mouth_r"))
TORSO = [LM[n] for n in ("t_hl", "t_hr", "t_sr", "t_nr", "t_nl", "t_sl")]
BACKPACK = [LM[n] for n in ("bp0", "bp1", "bp2", "bp3")]
HANDBAG = [LM[n] for n in ("hb0", "hb1", "hb2", "hb3")]
_LM_ARR = np.asarray(list(_LM.values()), float)
_BOX_PTS = [LM[n] for n in ("ank_l", "ank_r", "hand_l", "hand_r", "top_l", "top_r", "foot_l",
                            "foot_r", "t_sl", "t_sr")]


@dataclass
class FigureBatch:
    """Landmark pixels (N, K, 2) and sizes of every figure in a frame, computed at once."""

    pts: np.ndarray  # float pixels
    ipts: np.ndarray  # int32 pixels << SHIFT
    ppm: np.ndarray
    away: np.ndarray
    side: np.ndarray
    lying: np.ndarray
    angle: np.ndarray  # body axis angle in the image (degrees)
    boxes: np.ndarray  # (N, 4) x0, y0, x1, y1


def figure_batch(foot, top, ppm, height, shoulder, hip, swing, side, away, tilt_sin, lying
                 ) -> FigureBatch:
    """Vectorised body geometry. ``foot``/``top``: (N, 2) pixels of the foot point and the
    head top; widths scale with ``ppm``; the torso narrows when seen side-on."""
    axis = top - foot
    length = np.maximum(np.hypot(axis[:, 0], axis[:, 1]), 1e-3)
    e = axis / length[:, None]
    n = np.column_stack([-e[:, 1], e[:, 0]])
    along = length / height
    wf = 0.62 + 0.38 * np.abs(away)
    frac, metres, lat, kind = _LM_ARR.T
    h = frac[None, :] * height[:, None] + metres[None, :]
    w = np.broadcast_to(lat[None, :], h.shape).copy()
    sw, hw = (shoulder * wf)[:, None], (hip * wf)[:, None]
    w = np.where(kind == 1, w * wf[:, None], w)
    w = np.where(kind == 2, np.sign(w) * (sw + np.abs(w) - 0.19), w)
    w = np.where(kind == 3, w * hw, w)
    w = np.where(kind == 4, w * sw, w)
    w = np.where(kind == 5, w + sw, w)
    stride = 0.32 * swing
    lat_sw = (stride * side)[:, None]
    dep = (stride * away * tilt_sin)[:, None]
    w[:, [LM["ank_l"]]] += lat_sw
    w[:, [LM["ank_r"]]] -= lat_sw
    h[:, [LM["ank_l"]]] += dep
    h[:, [LM["ank_r"]]] -= dep
    w[:, [LM["hand_l"]]] -= 0.6 * lat_sw
    w[:, [LM["hand_r"]]] += 0.6 * lat_sw
    h[:, [LM["hand_l"]]] -= 0.5 * dep
    h[:, [LM["hand_r"]]] += 0.5 * dep
    pts = (foot[:, None, :] + e[:, None, :] * (h * along[:, None])[..., None]
           + n[:, None, :] * (w * ppm[:, None])[..., None])
    box_pts = pts[:, _BOX_PTS]
    pad = 0.04 * ppm[:, None]
    boxes = np.column_stack([box_pts[..., 0].min(1), box_pts[..., 1].min(1),
                             box_pts[..., 0].max(1), box_pts[..., 1].max(1)])
    boxes += np.column_stack([-pad, -pad, pad, pad])
    ipts = np.clip(np.round(pts * ONE), -2 ** 28, 2 ** 28).astype(np.int32)
    angle = np.degrees(np.arctan2(e[:, 1], e[:, 0]))
    return FigureBatch(pts, ipts, ppm, away, side, lying, angle, boxes)


def draw_figure(img: np.ndarray, app: Appearance, fb: FigureBatch, k: int, faces: bool = True
                ) -> None:
    """Draw figure ``k`` of the batch (its box is ``fb.boxes[k]``)."""
    ip = fb.ipts[k]
    p = ip.tolist()
    s = float(fb.ppm[k])
    away = float(fb.away[k])
    back_view = away > 0.25
    limb = max(1, int(0.13 * s + 0.5))
    arm = max(1, int(0.085 * s + 0.5))
    line, circle, L8 = cv2.line, cv2.circle, cv2.LINE_8
    if app.carry == "backpack" and not back_view:
        cv2.fillConvexPoly(img, ip[BACKPACK], app.bag, L8, SHIFT)
    line(img, p[HIP_L], p[ANK_L], app.bottom, limb, L8, SHIFT)
    line(img, p[HIP_R], p[ANK_R], app.bottom, limb, L8, SHIFT)
    if s >= 20:  # shoes and hands are under a pixel further away
        shoe = int(0.05 * s + 0.5) * ONE
        circle(img, p[ANK_L], shoe, app.shoes, -1, L8, SHIFT)
        circle(img, p[ANK_R], shoe, app.shoes, -1, L8, SHIFT)
    cv2.fillConvexPoly(img, ip[TORSO], app.top, L8, SHIFT)
    if app.carry == "backpack" and back_view:
        cv2.fillConvexPoly(img, ip[BACKPACK], app.bag, L8, SHIFT)
    line(img, p[SH_L], p[HAND_L], app.top, arm, L8, SHIFT)
    line(img, p[SH_R], p[HAND_R], app.top, arm, L8, SHIFT)
    if s >= 20:
        hand = (arm // 2 + 1) * ONE
        circle(img, p[HAND_L], hand, app.skin, -1, L8, SHIFT)
        circle(img, p[HAND_R], hand, app.skin, -1, L8, SHIFT)
    if app.carry == "handbag":
        cv2.fillConvexPoly(img, ip[HANDBAG], app.bag, L8, SHIFT)
    if s >= 15:
        line(img, p[NECK0], p[NECK1], app.skin, max(1, int(0.09 * s + 0.5)), L8, SHIFT)
    _head(img, app, fb, k, p, s, back_view, faces)


def _head(img, app, fb, k, p, s, back_view, faces):
    lying = bool(fb.lying[k])
    angle = float(fb.angle[k])
    axes = (max(1, int(0.12 * s * ONE)), max(1, int(0.085 * s * ONE)))
    if app.long_hair and not lying:
        cv2.line(img, p[HEAD], p[DROP], app.hair, max(1, int(0.17 * s + 0.5)), cv2.LINE_8, SHIFT)
    if back_view or lying:
        colour = app.skin if app.bald else app.hair
        cv2.ellipse(img, p[HEAD], axes, angle, 0, 360, colour, -1, cv2.LINE_AA, SHIFT)
        return
    away = float(fb.away[k])
    size = int(0.264 * s + 0.5)
    if faces and size >= 10 and away < -0.2:
        yaw = math.degrees(math.asin(max(-1.0, min(1.0, float(fb.side[k]))))) * 0.9
        patch = face_patch(app, size, -yaw)
        if patch is not None:
            _paste(img, patch, fb.pts[k, HEAD])
            return
    cv2.ellipse(img, p[CAP], axes, angle, 0, 360, app.skin if app.bald else app.hair, -1,
                cv2.LINE_AA, SHIFT)
    face_axes = (max(1, int(axes[0] * 0.8)), max(1, int(axes[1] * 0.85)))
    centre = p[FACE] if away < 0 else p[FACE_BACK]
    cv2.ellipse(img, centre, face_axes, angle, 0, 360, app.skin, -1, cv2.LINE_AA, SHIFT)
    if away < -0.2 and s * 0.12 >= 4:  # eyes and mouth on a plain oval
        r = max(ONE // 2, int(0.012 * s * ONE))
        cv2.circle(img, p[EYE_L], r, (30, 30, 30), -1, cv2.LINE_8, SHIFT)
        cv2.circle(img, p[EYE_R], r, (30, 30, 30), -1, cv2.LINE_8, SHIFT)
        cv2.line(img, p[MOUTH_L], p[MOUTH_R], (60, 60, 120), 1, cv2.LINE_8, SHIFT)


def _paste(img, patch, center):
    """Copy the head patch where its alpha is over half (a binary mask: one OpenCV call)."""
    bgr, mask = patch
    h, w = mask.shape
    x0, y0 = int(round(center[0] - w / 2)), int(round(center[1] - h / 2))
    X0, Y0 = max(x0, 0), max(y0, 0)
    X1, Y1 = min(x0 + w, img.shape[1]), min(y0 + h, img.shape[0])
    if X1 <= X0 or Y1 <= Y0:
        return
    sy, sx = slice(Y0 - y0, Y1 - y0), slice(X0 - x0, X1 - x0)
    cv2.copyTo(bgr[sy, sx], mask[sy, sx], img[Y0:Y1, X0:X1])


def bag_quads(base_px: np.ndarray, top_px: np.ndarray, ppm: np.ndarray) -> np.ndarray:
    """Outlines (N, 4, 2) int32 << SHIFT of upright bags from their floor and top pixels."""
    axis = top_px - base_px
    length = np.maximum(np.hypot(axis[:, 0], axis[:, 1]), 1e-3)
    e = axis / length[:, None]
    n = np.column_stack([-e[:, 1], e[:, 0]]) * (0.19 * ppm)[:, None]
    quads = np.stack([base_px - n, base_px + n, top_px + n, top_px - n], axis=1)
    return np.clip(np.round(quads * ONE), -2 ** 28, 2 ** 28).astype(np.int32)


def draw_bag(img, quad: np.ndarray, colour) -> None:
    """A rolling suitcase or a left bag, from its :func:`bag_quads` outline."""
    cv2.fillConvexPoly(img, quad, colour, cv2.LINE_8, SHIFT)
    mid0, mid1 = (quad[0] + quad[3]) // 2, (quad[1] + quad[2]) // 2
    dark = tuple(int(c * 0.6) for c in colour)
    cv2.line(img, tuple(mid0.tolist()), tuple(mid1.tolist()), dark, 1, cv2.LINE_8, SHIFT)
