"""Faces on face-capable CCTV cameras (a scenario camera with ``faces:``): each traveler's own
synthetic face, at its true pixel size, turned as they walk, blurred and compressed as the
camera records it, with the ground truth a face pipeline is scored on.

- Size: the head (hair top to chin, ``HEAD_M``) spans ``focal_px * HEAD_M / depth`` pixels at
  the depth of the head; with the identities' eye spacing the pupils sit 0.053-0.074 m apart
  (0.063 m on average), so the inter-pupil distance in pixels is close to
  ``focal_px * 0.063 / depth`` (NIST's IPD bands are read off this).
- Pose: yaw is the walking direction's angle from the line to the camera, on the floor (0:
  walking straight at the camera; positive: the face turns towards the image right); pitch is
  minus the camera's elevation seen from the eyes (a camera 3 m up looks down on the face).
  Beyond ``MAX_FACE_YAW`` the head shows no face (:mod:`sim.faces.head`).
- Motion blur: the head's image motion during the shutter (``faces.shutter_s``) at the
  traveler's walking speed, as a line kernel over the head.
- Compression: the whole frame goes through JPEG at ``faces.jpeg_quality``, as the camera's
  encoder would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from floorplan.camera import NEAR_M, CameraModel
from sim.faces.head import render_head

__all__ = ["FaceTruth", "FaceView", "HEAD_M", "IPD_M", "head_poses"]

HEAD_M = 0.25  # hair top to chin, metres
IPD_M = 0.063  # mean distance between the pupils, metres (for checks and docs)
HEAD_CENTRE_BELOW_TOP_M = 0.115  # the figures' head landmark (sim.cctv.figures "head")
EYES_BELOW_TOP_M = 0.11
MIN_HEAD_PX = 12  # smaller heads keep the overview figures' 10 px face blob (no ground truth)
MAX_HEAD_PX = 1024


@dataclass(frozen=True)
class FaceTruth:
    face_box: tuple[float, float, float, float] | None  # x1, y1, x2, y2 pixels (None: no face)
    ipd_px: float  # pupil to pupil in the image (NaN: no face)


NO_FACE = FaceTruth(None, math.nan)


def head_poses(cam: CameraModel, x, y, heading, height, speed, shutter_s: float = 0.0):
    """Per person: yaw and pitch (degrees) of the head relative to the camera, depth of the head
    centre (m), its pixel, and its image motion over ``shutter_s`` (pixels, (N, 2))."""
    x, y, heading = (np.asarray(a, float) for a in (x, y, heading))
    height, speed = np.asarray(height, float), np.asarray(speed, float)
    to_cam = np.arctan2(cam.center[1] - y, cam.center[0] - x)
    yaw = np.degrees((heading - to_cam + math.pi) % (2 * math.pi) - math.pi)
    eye_z = height - EYES_BELOW_TOP_M
    horiz = np.maximum(np.hypot(cam.center[0] - x, cam.center[1] - y), 1e-6)
    pitch = -np.degrees(np.arctan2(cam.center[2] - eye_z, horiz))
    head = np.column_stack([x, y, height - HEAD_CENTRE_BELOW_TOP_M])
    step = (speed * shutter_s)[:, None] * np.column_stack([np.cos(heading), np.sin(heading),
                                                            np.zeros(len(x))])
    uv, z = cam.project(np.vstack([head, head + step]))
    n = len(x)
    motion = np.nan_to_num(uv[n:] - uv[:n])
    return yaw, pitch, z[:n], uv[:n], motion


class FaceView:
    """Draws the faces of one face camera's frames and compresses them."""

    def __init__(self, cam: CameraModel, shutter_s: float, jpeg_quality: int):
        self.cam, self.shutter_s, self.jpeg_quality = cam, float(shutter_s), int(jpeg_quality)

    def head_px(self, depth: float) -> int:
        return int(round(HEAD_M * self.cam.focal_px / max(depth, NEAR_M)))

    def draws_head(self, depth: float) -> bool:
        """Whether a head at ``depth`` metres is drawn here (else the figure's own head)."""
        return MIN_HEAD_PX <= self.head_px(depth) <= MAX_HEAD_PX

    def draw(self, img: np.ndarray, identity, centre, depth: float, yaw: float, pitch: float,
             motion) -> FaceTruth | None:
        """Paste the head of ``identity`` centred on ``centre`` (pixels); None when the head is
        too small or too large for a face (the figure's own head stays)."""
        size = self.head_px(depth)
        if identity is None or not self.draws_head(depth):
            return None
        head = render_head(identity, size, yaw, pitch)
        bgra, pad = _blurred(head.image, motion)
        x0 = int(round(centre[0] - size / 2)) - pad
        y0 = int(round(centre[1] - size / 2)) - pad
        _blend(img, bgra, x0, y0)
        if head.face_box is None:
            return NO_FACE
        bx0, by0, bx1, by1 = head.face_box
        ox, oy = x0 + pad, y0 + pad
        box = (max(bx0 + ox, 0.0), max(by0 + oy, 0.0), min(bx1 + ox, float(self.cam.width)),
               min(by1 + oy, float(self.cam.height)))
        if box[2] - box[0] < 0.5 * (bx1 - bx0) or box[3] - box[1] < 0.5 * (by1 - by0):
            return NO_FACE  # mostly outside the image
        return FaceTruth(tuple(float(v) for v in box), head.ipd_px)

    def compress(self, img: np.ndarray) -> np.ndarray:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError(f"camera {self.cam.id}: JPEG encoding failed")
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _blurred(bgra: np.ndarray, motion) -> tuple[np.ndarray, int]:
    """The patch smeared along ``motion`` (pixels), padded so the smear fits; (patch, pad)."""
    dx, dy = float(motion[0]), float(motion[1])
    length = math.hypot(dx, dy)
    if length < 1.0:
        return bgra, 0
    pad = int(math.ceil(length / 2)) + 1
    k = 2 * pad + 1
    kernel = np.zeros((k, k), np.float32)
    c = pad
    cv2.line(kernel, (int(round((c - dx / 2) * 8)), int(round((c - dy / 2) * 8))),
             (int(round((c + dx / 2) * 8)), int(round((c + dy / 2) * 8))), 1.0, 1,
             cv2.LINE_AA, 3)
    kernel /= max(float(kernel.sum()), 1e-6)
    src = cv2.copyMakeBorder(bgra, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    a = src[..., 3:4].astype(np.float32) / 255.0
    pre = np.dstack([src[..., :3].astype(np.float32) * a, a[..., 0]])
    out = cv2.filter2D(pre, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    alpha = np.maximum(out[..., 3:4], 1e-6)
    bgr = np.where(alpha > 1e-3, out[..., :3] / alpha, 0)
    return np.clip(np.dstack([bgr, out[..., 3:4] * 255.0]), 0, 255).astype(np.uint8), pad


def _blend(img: np.ndarray, bgra: np.ndarray, x0: int, y0: int) -> None:
    h, w = bgra.shape[:2]
    X0, Y0 = max(x0, 0), max(y0, 0)
    X1, Y1 = min(x0 + w, img.shape[1]), min(y0 + h, img.shape[0])
    if X1 <= X0 or Y1 <= Y0:
        return
    src = bgra[Y0 - y0:Y1 - y0, X0 - x0:X1 - x0]
    a = src[..., 3].astype(np.float32) * np.float32(1 / 255)
    roi = img[Y0:Y1, X0:X1]
    roi[:] = cv2.blendLinear(roi, np.ascontiguousarray(src[..., :3]), 1 - a, a)
