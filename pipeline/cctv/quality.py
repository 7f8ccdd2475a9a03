"""The face quality gate: only faces big, frontal and sharp enough are embedded and searched.

Measured per detected face, from the frame and the detector's five landmarks (insightface order:
the subject's right eye (image left), left eye, nose tip, right and left mouth corners):

- ``ipd_px``: inter-pupil distance in pixels, the size measure of ISO/IEC 19794-5 and NIST FRTE;
- ``yaw_deg``: from the nose tip's offset from the eyes' midpoint, in half-IPDs
  (``asin`` of it: 0 frontal, ±90 at full profile, where the nose reaches the outer eye);
- ``pitch_deg``: from where the nose tip falls between the eye line and the mouth line (0.5
  is about level; the face's own ratio varies, so the gate on it is loose);
- ``sharpness``: variance of the Laplacian of the grey face crop, a face larger than
  ``SHARPNESS_IPD_PX`` first shrunk to that IPD (so a big face is not called sharp merely for
  having more pixels). Smaller faces are measured as they are: enlarging them (the gate once
  rescaled every face to 64 px) smooths their Laplacian away and called every CCTV face blurred.

Every measurement is reported (a :class:`FaceQuality` per face), pass or fail, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.types import Detection

__all__ = ["FaceQuality", "MAX_VALUE", "QualityGate", "measure_face"]

SHARPNESS_IPD_PX = 24.0  # larger faces are shrunk to this IPD before the Laplacian
MAX_VALUE = 1.0  # no face's FaceQuality.value exceeds this (each factor saturates at 1)


@dataclass(frozen=True, slots=True)
class QualityGate:
    min_ipd_px: float = 16.0
    # Beyond ~35 degrees the far eye and mouth corner fold behind the nose: five-landmark
    # alignment then warps a half profile into a frontal crop and ArcFace scores drop towards
    # impostor level, so such faces are gated out as "profile" (the renderer still draws them).
    max_abs_yaw_deg: float = 35.0
    max_abs_pitch_deg: float = 35.0
    # Laplacian variance at <= 24 px IPD. CCTV faces of the scenario's cameras measure 150-700
    # sharp and 50-105 under a 9 px motion smear (seed 1, corridor_near and hall_exit, t=600 s).
    min_sharpness: float = 100.0
    min_score: float = 0.0  # detector confidence

    def __post_init__(self):
        for name in ("min_ipd_px", "max_abs_yaw_deg", "max_abs_pitch_deg", "min_sharpness"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"QualityGate.{name} must be >= 0, got {getattr(self, name)}")

    def check(self, q: "FaceQuality") -> str:
        """'' when the face passes, else the first failed rule (what the report counts)."""
        if q.ipd_px < self.min_ipd_px:
            return "small"
        if abs(q.yaw_deg) > self.max_abs_yaw_deg:
            return "profile"
        if abs(q.pitch_deg) > self.max_abs_pitch_deg:
            return "pitch"
        if q.sharpness < self.min_sharpness:
            return "blur"
        if q.score < self.min_score:
            return "low_score"
        return ""


@dataclass(frozen=True, slots=True)
class FaceQuality:
    ipd_px: float
    yaw_deg: float
    pitch_deg: float
    sharpness: float
    score: float
    reject: str = ""  # '' = passed the gate

    @property
    def passed(self) -> bool:
        return not self.reject

    @property
    def value(self) -> float:
        """One number to rank a track's faces by (higher = better): size, frontality and
        sharpness, each saturating, multiplied; in [0, :data:`MAX_VALUE`]."""
        size = min(self.ipd_px / 60.0, 1.0)
        frontal = math.cos(math.radians(min(abs(self.yaw_deg), 89.0))) \
            * math.cos(math.radians(min(abs(self.pitch_deg), 89.0)))
        sharp = min(self.sharpness / 200.0, 1.0)
        return float(size * frontal * (0.5 + 0.5 * sharp))


def pose_from_landmarks(lm: np.ndarray) -> tuple[float, float, float]:
    """(ipd_px, yaw_deg, pitch_deg) from five landmarks (see the module docstring)."""
    lm = np.asarray(lm, np.float64).reshape(5, 2)
    eye_r, eye_l, nose, mouth_r, mouth_l = lm
    ipd = float(np.linalg.norm(eye_l - eye_r))
    if ipd < 1e-6:
        return 0.0, 90.0, 0.0
    axis = (eye_l - eye_r) / ipd  # along the eye line
    eyes_mid = (eye_l + eye_r) / 2
    mouth_mid = (mouth_l + mouth_r) / 2
    offset = float((nose - eyes_mid) @ axis) / (ipd / 2)
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, offset))))
    normal = np.array([-axis[1], axis[0]])  # down the face
    eye_to_mouth = float((mouth_mid - eyes_mid) @ normal)
    if eye_to_mouth <= 1e-6:
        return ipd, yaw, 90.0
    ratio = float((nose - eyes_mid) @ normal) / eye_to_mouth
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, (ratio - 0.55) / 0.45))))
    return ipd, yaw, pitch


def sharpness(image: np.ndarray, box, ipd_px: float) -> float:
    """Variance of the Laplacian of the face crop, shrunk to at most a 24 px IPD."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return 0.0
    crop = image[y1:y2, x1:x2]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    scale = min(SHARPNESS_IPD_PX / max(ipd_px, 1.0), 1.0)
    size = (max(int(round(grey.shape[1] * scale)), 8), max(int(round(grey.shape[0] * scale)), 8))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def measure_face(image: np.ndarray, det: Detection, gate: QualityGate) -> FaceQuality:
    """The quality of one detected face, with the gate's verdict."""
    if det.landmarks is None:
        raise ValueError(f"face at {det.box}: the detector gave no landmarks; the quality gate "
                         f"needs the five points (eyes, nose, mouth corners)")
    ipd, yaw, pitch = pose_from_landmarks(det.landmarks)
    q = FaceQuality(ipd, yaw, pitch, sharpness(image, det.box, ipd), float(det.score))
    return FaceQuality(q.ipd_px, q.yaw_deg, q.pitch_deg, q.sharpness, q.score, gate.check(q))
