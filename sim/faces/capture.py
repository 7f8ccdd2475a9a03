"""What a capture is and how it varies: :class:`FaceCapture`, :class:`CaptureVariation`, the
per-capture draw of pose, light, expression, accessories and camera degradations."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

Range = tuple[float, float]


@dataclass(frozen=True)
class FaceCapture:
    """One rendered face image with its ground truth.

    ``landmarks`` are (5, 2) float32 pixels in insightface order: the subject's right eye (image
    left), left eye (image right), nose tip, right mouth corner (image left), left mouth corner
    (image right). ``box`` is x1, y1, x2, y2 of the face from the brows to the chin.
    """

    image: np.ndarray  # uint8 BGR (H, W, 3)
    identity_key: tuple[int, int]
    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    kind: str  # "enrolment" | "live"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaptureVariation:
    """Ranges a live e-gate capture draws from (uniform within each range).

    Angles in degrees; ``face_width_px`` is the cheek-to-cheek width in the output image;
    ``light_azimuth_deg`` 0 is a light on the camera axis; ``*_p`` are probabilities per capture.
    Masks are off by default: they hide most of what recognition uses.
    """

    size: tuple[int, int] = (640, 480)  # width, height
    # A gate keeps the frame it takes as the traveler faces its camera: within about 10 degrees
    # of yaw, the "high" pose grade of an open SDK's quality check (SeetaFace6 QualityOfPoseEx:
    # yaw < 10 high, 10-25 medium); a passport portrait itself allows 5 (ISO/IEC 19794-5 7.2.2).
    yaw_deg: Range = (-10.0, 10.0)
    pitch_deg: Range = (-7.0, 7.0)
    roll_deg: Range = (-6.0, 6.0)
    face_width_px: Range = (110.0, 160.0)
    offset_frac: float = 0.08  # face centre jitter, fraction of the frame size
    # The gate's own light panels flank the camera, so the key light stays within about 30
    # degrees of its axis and below steep overhead angles; the hall's ceiling is the ambient.
    light_azimuth_deg: Range = (-30.0, 30.0)
    light_elevation_deg: Range = (5.0, 35.0)
    ambient: Range = (0.38, 0.6)
    light_warmth: Range = (0.0, 1.0)  # 0 cool daylight .. 1 warm tungsten
    exposure: Range = (0.85, 1.15)
    smile: Range = (0.0, 0.6)
    brow_raise: Range = (0.0, 0.4)
    glasses_p: float = 0.12
    hat_p: float = 0.03
    mask_p: float = 0.0
    motion_blur_p: float = 0.3
    motion_blur_px: Range = (1.0, 4.0)
    defocus_sigma: Range = (0.0, 0.8)
    noise_sigma: Range = (1.0, 5.0)  # grey levels
    jpeg_p: float = 0.5  # share of captures that went through JPEG
    jpeg_quality: Range = (60.0, 95.0)

    @classmethod
    def none(cls, size: tuple[int, int] = (640, 480)) -> "CaptureVariation":
        """Frontal, neutral, evenly lit, no accessories and no camera degradation."""
        zero = (0.0, 0.0)
        return cls(size=size, yaw_deg=zero, pitch_deg=zero, roll_deg=zero,
                   face_width_px=(min(150.0, 0.5 * min(size)),) * 2, offset_frac=0.0,
                   light_azimuth_deg=zero,
                   light_elevation_deg=(15.0, 15.0), ambient=(0.5, 0.5), light_warmth=(0.3, 0.3),
                   exposure=(1.0, 1.0), smile=zero, brow_raise=zero, glasses_p=0.0, hat_p=0.0,
                   mask_p=0.0, motion_blur_p=0.0, defocus_sigma=zero, noise_sigma=zero,
                   jpeg_p=0.0, jpeg_quality=(100.0, 100.0))

    def __post_init__(self):
        w, h = self.size
        if not (isinstance(w, int) and isinstance(h, int) and 64 <= w <= 4096 and 64 <= h <= 4096):
            raise ValueError(f"CaptureVariation.size: expected (width, height) ints in 64..4096, "
                             f"got {self.size!r}")
        for f in fields(self):
            val = getattr(self, f.name)
            if f.name.endswith("_p") and not 0.0 <= val <= 1.0:
                raise ValueError(f"CaptureVariation.{f.name}: probability must be in 0..1, "
                                 f"got {val}")
            if isinstance(val, tuple) and f.name != "size" and val[0] > val[1]:
                raise ValueError(f"CaptureVariation.{f.name}: range low > high: {val}")
        if min(self.face_width_px) < 16 or max(self.face_width_px) > 0.9 * min(w, h):
            raise ValueError(f"CaptureVariation.face_width_px: must lie in 16..{0.9 * min(w, h)} "
                             f"for size {self.size}, got {self.face_width_px}")


GLASSES = ("none", "round", "rect", "thick")
HATS = ("none", "cap", "beanie")
MASKS = ("none", "surgical", "cloth")


@dataclass(frozen=True)
class Shot:
    """One draw from a :class:`CaptureVariation`: everything a single capture uses."""

    yaw: float
    pitch: float
    roll: float
    face_width_px: float
    centre: tuple[float, float]
    light_dir: tuple[float, float, float]
    light_bgr: tuple[float, float, float]
    ambient: float
    exposure: float
    smile: float
    brow_raise: float
    glasses: str
    hat: str
    mask: str
    motion_blur_px: float
    motion_blur_deg: float
    defocus_sigma: float
    noise_sigma: float
    jpeg_quality: int
    background: int

    def meta(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _u(rng: np.random.Generator, r: Range) -> float:
    return float(r[0]) if r[0] == r[1] else float(rng.uniform(r[0], r[1]))


def light_colour(warmth: float) -> tuple[float, float, float]:
    cool, warm = np.array([1.0, 0.97, 0.93]), np.array([0.72, 0.87, 1.0])
    c = cool + (warm - cool) * warmth
    return tuple(float(x) for x in c / c.max())


def light_direction(azimuth_deg: float, elevation_deg: float) -> tuple[float, float, float]:
    """Unit vector towards the light (x right, y down, z to the camera)."""
    a, e = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    return (float(np.sin(a) * np.cos(e)), float(-np.sin(e)), float(np.cos(a) * np.cos(e)))


def draw_shot(var: CaptureVariation, rng: np.random.Generator) -> Shot:
    w, h = var.size
    pick = (lambda p, opts: opts[1 + int(rng.integers(len(opts) - 1))]
            if rng.random() < p else "none")
    blur = rng.random() < var.motion_blur_p
    return Shot(
        yaw=_u(rng, var.yaw_deg), pitch=_u(rng, var.pitch_deg), roll=_u(rng, var.roll_deg),
        face_width_px=_u(rng, var.face_width_px),
        centre=(w / 2 + w * _u(rng, (-var.offset_frac, var.offset_frac)),
                h * 0.47 + h * _u(rng, (-var.offset_frac, var.offset_frac))),
        light_dir=light_direction(_u(rng, var.light_azimuth_deg),
                                  _u(rng, var.light_elevation_deg)),
        light_bgr=light_colour(_u(rng, var.light_warmth)), ambient=_u(rng, var.ambient),
        exposure=_u(rng, var.exposure), smile=_u(rng, var.smile),
        brow_raise=_u(rng, var.brow_raise),
        glasses=pick(var.glasses_p, GLASSES), hat=pick(var.hat_p, HATS),
        mask=pick(var.mask_p, MASKS),
        motion_blur_px=_u(rng, var.motion_blur_px) if blur else 0.0,
        motion_blur_deg=float(rng.uniform(0, 180)), defocus_sigma=_u(rng, var.defocus_sigma),
        noise_sigma=_u(rng, var.noise_sigma),
        jpeg_quality=(int(round(_u(rng, var.jpeg_quality))) if rng.random() < var.jpeg_p
                      else 100),
        background=int(rng.integers(1 << 16)))


@lru_cache(maxsize=4)
def _noise_tile(width: int) -> np.ndarray:
    """Unit Gaussian noise, 2048 rows of the image's width: read at a random row offset, a
    contiguous slice, since drawing fresh normals per pixel would cost more than the render."""
    return np.random.default_rng(7).normal(0, 1, (2048, width, 3)).astype(np.float32)


def degrade(img: np.ndarray, shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """Camera effects on a uint8 BGR image: motion blur, defocus, sensor noise, JPEG."""
    if shot.motion_blur_px >= 1.0:
        n = int(np.ceil(shot.motion_blur_px)) | 1
        k = np.zeros((n, n), np.float32)
        a = np.deg2rad(shot.motion_blur_deg)
        c, r = n // 2, shot.motion_blur_px / 2
        cv2.line(k, (int(round(c - r * np.cos(a))), int(round(c - r * np.sin(a)))),
                 (int(round(c + r * np.cos(a))), int(round(c + r * np.sin(a)))), 1.0, 1,
                 cv2.LINE_AA)
        img = cv2.filter2D(img, -1, k / k.sum())
    if shot.defocus_sigma > 0.3:  # below that a blur changes next to nothing
        img = cv2.GaussianBlur(img, (0, 0), shot.defocus_sigma)
    if shot.noise_sigma > 0:
        h, w = img.shape[:2]
        if h <= 1024:
            y = int(rng.integers(0, 2049 - h))
            nz = _noise_tile(w)[y:y + h]
        else:
            nz = rng.normal(0, 1, img.shape).astype(np.float32)
        img = cv2.addWeighted(img, 1.0, nz, shot.noise_sigma, 0.0, dtype=cv2.CV_8U)
    if shot.jpeg_quality < 100:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg_quality])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img
