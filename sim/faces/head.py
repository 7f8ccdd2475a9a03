"""Heads for face-capable CCTV cameras: an identity's head posed in yaw and pitch, with the
ground truth a face pipeline is scored on (five landmarks and the face box, in patch pixels).

Unlike :func:`sim.faces.render_face_patch` (10-30 px heads on overview cameras), these heads
are 40-400 px tall, so the pose is solved to convergence (no doubled features at 20-35
degrees of yaw) and the sprite is rendered at the resolution the size needs. Poses are
rounded to ``YAW_STEP``/``PITCH_STEP`` degrees and sizes to a few reference sizes, so a
walking crowd hits the cache; the reference is then resized to the exact size asked for.
A head turned further than ``MAX_FACE_YAW`` degrees from the camera shows no face: the patch
is its silhouette in hair (or scalp) colour and its landmarks are None.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from sim.faces.identity import Identity
from sim.faces.layers import head_layers
from sim.faces.pose import Pose, forward_points, posed_sprite, shade
from sim.faces.render import PATCH_HEAD_UNITS, head_source

__all__ = ["HEAD_UNITS", "MAX_FACE_YAW", "HeadPatch", "render_head"]

HEAD_UNITS = PATCH_HEAD_UNITS  # face units of head (hair top to chin) a patch is tall
MAX_FACE_YAW = 35.0  # degrees; the 2.5-D face model holds up to about here (then the far eye
# slides behind the head's outline), so a head turned further shows no face
YAW_STEP, PITCH_STEP = 10.0, 5.0  # degrees: the cached pose grid
REFERENCE_PX = (48, 96, 192, 384)  # cached patch sizes; the smallest >= the size asked for
_PPU = (12.0, 24.0, 48.0, 80.0)  # sprite resolutions (pixels per face unit) head_layers caches


@dataclass(frozen=True)
class HeadPatch:
    image: np.ndarray  # (S, S, 4) BGRA uint8; alpha 0 outside the head; read-only
    landmarks: np.ndarray | None  # (5, 2) patch pixels: eyes, nose tip, mouth corners
    face_box: tuple[float, float, float, float] | None  # brow to chin, patch pixels

    @property
    def ipd_px(self) -> float:
        """Distance between the pupils in the image (foreshortened by the yaw), or NaN."""
        if self.landmarks is None:
            return float("nan")
        return float(np.hypot(*(self.landmarks[1] - self.landmarks[0])))


def render_head(identity: Identity, size_px: int, yaw: float = 0.0, pitch: float = 0.0
                ) -> HeadPatch:
    """The head of ``identity``, ``size_px`` square, turned ``yaw`` degrees (positive: the face
    turns towards the image right; beyond +-``MAX_FACE_YAW`` the face is not seen) and pitched
    ``pitch`` degrees (positive lifts the chin; a camera above the head sees negative pitch)."""
    if not isinstance(identity, Identity):
        raise TypeError(f"identity: expected sim.faces.Identity, got {type(identity).__name__}")
    if not isinstance(size_px, (int, np.integer)) or not 4 <= size_px <= 1024:
        raise ValueError(f"size_px: expected an int in 4..1024, got {size_px!r}")
    yaw = (float(yaw) + 180.0) % 360.0 - 180.0
    if not np.isfinite(pitch):
        raise ValueError(f"pitch: must be finite, got {pitch}")
    ref = next((r for r in REFERENCE_PX if r >= size_px), REFERENCE_PX[-1])
    back = abs(yaw) > MAX_FACE_YAW
    most = int(MAX_FACE_YAW // YAW_STEP)
    yaw_step = 0 if back else int(np.clip(round(yaw / YAW_STEP), -most, most))
    pitch_step = int(round(float(np.clip(pitch, -30, 30)) / PITCH_STEP))
    image, lm, box = _reference(identity, ref, yaw_step, pitch_step, back)
    k = size_px / ref
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    out = cv2.resize(image, (int(size_px), int(size_px)), interpolation=interp)
    out.flags.writeable = False
    if back:
        return HeadPatch(out, None, None)
    # Pixel centres: x_out + 0.5 = (x_ref + 0.5) * k.
    lm = ((lm + 0.5) * k - 0.5).astype(np.float32)
    x0, y0, x1, y1 = box
    box = ((x0 + 0.5) * k - 0.5, (y0 + 0.5) * k - 0.5, (x1 + 0.5) * k - 0.5,
           (y1 + 0.5) * k - 0.5)
    return HeadPatch(out, lm, tuple(float(v) for v in box))


@lru_cache(maxsize=2048)  # 10-600 KiB each
def _reference(identity: Identity, size_px: int, yaw_step: int, pitch_step: int, back: bool):
    want = size_px / HEAD_UNITS
    ppu = next((p for p in _PPU if p >= want), _PPU[-1])
    L = head_layers(identity, ppu)
    pose = Pose(yaw=float(yaw_step * YAW_STEP), pitch=float(pitch_step * PITCH_STEP))
    shaded = shade(L, pose, (0.2, -0.6, 0.77), (1.0, 0.98, 0.95), 0.45, 1.0)
    canvas = posed_sprite(L, shaded, pose, converge=True).astype(np.float32)
    src, m = head_source(identity, L, canvas, back, size_px)
    s = m[0, 0]
    offset = 0.0
    if s < 0.5:  # warpAffine samples; shrink large sprites with area averaging, then shift
        small = cv2.resize(src, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        shift = np.array([[1, 0, m[0, 2]], [0, 1, m[1, 2]]], np.float64)
        out = cv2.warpAffine(small, shift, (size_px, size_px), flags=cv2.INTER_LINEAR)
        offset = 0.5 * s - 0.5  # resize maps pixel centres: x' + 0.5 = (x + 0.5) * s
    else:
        out = cv2.warpAffine(src, m, (size_px, size_px), flags=cv2.INTER_LINEAR)
    a = np.maximum(out[..., 3:4] / 255.0, 1e-6)
    bgr = np.where(a > 1e-3, out[..., :3] / a, 0)
    image = np.clip(np.dstack([bgr, out[..., 3]]), 0, 255).astype(np.uint8)
    image.flags.writeable = False
    if back:
        return image, None, None
    lm = forward_points(L, pose, L.landmarks) @ m[:, :2].T + m[:, 2] + offset
    outline = forward_points(L, pose, L.box_points) @ m[:, :2].T + m[:, 2] + offset
    box = (*outline.min(0), *outline.max(0))
    lm = lm.astype(np.float32)
    lm.flags.writeable = False
    return image, lm, tuple(float(v) for v in box)
