"""Pinhole model of a CCTV camera: where floor points and 3-D points land in the image.

World frame: terminal metres, x east, y north, z up (floor at z = 0). A camera stands at
``position`` (x, y, height), looks along ``yaw_deg`` (counter-clockwise from east, on the floor
plane), tilted ``tilt_deg`` below horizontal, with a horizontal field of view ``fov_deg`` and
square pixels. No lens distortion: the image of the floor is an exact homography, which is what
a video-analytics pipeline calibrates from four marked floor points.

A camera also names the ``zone`` it watches (and says whether it is a ``faces`` camera, one
placed at a choke point to see faces): the zone's walls bound what it sees of the crowd.
Cameras of a scenario are mounted by :func:`sim.layout.floor_plan` (one without a position in a
corner of its zone); a site file gives them directly (:mod:`floorplan.site`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["CameraError", "CameraModel", "NEAR_M"]

NEAR_M = 0.3  # points nearer than this (along the optical axis) are not drawn


class CameraError(ValueError):
    """A camera that cannot form an image of the floor; the message names camera and field."""


@dataclass(frozen=True)
class CameraModel:
    id: str
    width: int
    height: int
    position: tuple[float, float, float]
    yaw_deg: float
    tilt_deg: float
    fov_deg: float
    zone: str = ""  # the zone it watches
    faces: bool = False  # placed and built to see faces (a choke point, 1080p or 4K, narrow)

    def __post_init__(self):
        if self.width <= 0 or self.height <= 0:
            raise CameraError(f"camera {self.id}: resolution must be positive, "
                              f"got {self.width}x{self.height}")
        if not self.position[2] > 0:
            raise CameraError(f"camera {self.id}: position height must be > 0 m (a camera at or "
                              f"below the floor sees no floor), got {self.position[2]}")
        if not 0 <= self.tilt_deg <= 90:
            raise CameraError(f"camera {self.id}: tilt_deg must be in [0, 90], got {self.tilt_deg}")
        if not 0 < self.fov_deg < 180:
            raise CameraError(f"camera {self.id}: fov_deg must be in (0, 180), got {self.fov_deg}")
        if not all(math.isfinite(v) for v in (*self.position, self.yaw_deg)):
            raise CameraError(f"camera {self.id}: position and yaw must be finite numbers")

    # --- intrinsics and pose --------------------------------------------------------------
    @cached_property
    def focal_px(self) -> float:
        return (self.width / 2) / math.tan(math.radians(self.fov_deg) / 2)

    @cached_property
    def K(self) -> np.ndarray:
        f = self.focal_px
        return np.array([[f, 0, self.width / 2], [0, f, self.height / 2], [0, 0, 1.0]])

    @cached_property
    def R(self) -> np.ndarray:
        """World → camera rotation; camera axes: x right, y down, z forward."""
        yaw, tilt = math.radians(self.yaw_deg), math.radians(self.tilt_deg)
        fwd = np.array([math.cos(yaw) * math.cos(tilt), math.sin(yaw) * math.cos(tilt),
                        -math.sin(tilt)])
        right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
        down = np.cross(fwd, right)  # keeps the frame right-handed: right × down = fwd
        R = np.vstack([right, down, fwd])
        R.flags.writeable = False
        return R

    @cached_property
    def center(self) -> np.ndarray:
        c = np.asarray(self.position, float)
        c.flags.writeable = False
        return c

    # --- projections ----------------------------------------------------------------------
    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """World points (N, 3) → camera coordinates (N, 3); z is the depth along the axis."""
        return (np.asarray(pts, float) - self.center) @ self.R.T

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (N, 3) → pixels (N, 2) and depth (N,); pixels are NaN for points
        nearer than ``NEAR_M`` or behind the camera."""
        pc = self.to_camera(pts)
        z = pc[:, 2]
        ok = z > NEAR_M
        f = self.focal_px
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = np.column_stack([f * pc[:, 0] / z + self.width / 2,
                                  f * pc[:, 1] / z + self.height / 2])
        uv[~ok] = np.nan
        return uv, z

    def floor_to_image(self, xy) -> np.ndarray:
        """Floor points (N, 2) in metres → pixels (N, 2); NaN where behind the camera."""
        xy = np.atleast_2d(np.asarray(xy, float))
        uv, _ = self.project(np.column_stack([xy, np.zeros(len(xy))]))
        return uv

    def image_to_floor(self, uv) -> np.ndarray:
        """Pixels (N, 2) → floor points (N, 2) in metres; NaN where the pixel's ray does not
        reach the floor (on or above the horizon)."""
        uv = np.atleast_2d(np.asarray(uv, float))
        f = self.focal_px
        rays_c = np.column_stack([(uv[:, 0] - self.width / 2) / f,
                                  (uv[:, 1] - self.height / 2) / f, np.ones(len(uv))])
        rays = rays_c @ self.R  # camera → world directions
        with np.errstate(divide="ignore", invalid="ignore"):
            s = -self.center[2] / rays[:, 2]
        out = self.center[:2] + rays[:, :2] * s[:, None]
        out[~(s > 0)] = np.nan
        return out

    def homography(self) -> np.ndarray:
        """3x3 H with [u, v, 1] ~ H @ [x, y, 1] for floor points (z = 0), normalised H[2, 2] = 1
        when possible. ``np.linalg.inv(H)`` maps pixels back to the floor."""
        Rt = np.column_stack([self.R[:, 0], self.R[:, 1], -self.R @ self.center])
        H = self.K @ Rt
        if abs(H[2, 2]) > 1e-12:
            H = H / H[2, 2]
        return H

    def pixels_per_metre(self, xy) -> np.ndarray:
        """Image scale (pixels per metre, for upright things) at floor points (N, 2)."""
        xy = np.atleast_2d(np.asarray(xy, float))
        z = self.to_camera(np.column_stack([xy, np.zeros(len(xy))]))[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(z > NEAR_M, self.focal_px / z, np.nan)

    def horizon_row(self) -> float:
        """Image row of the horizon (may lie outside the image)."""
        return self.height / 2 - self.focal_px * math.tan(math.radians(self.tilt_deg))

    def visible_floor(self, margin_px: float = 0.0) -> np.ndarray:
        """The image's floor footprint as a polygon (M, 2) in metres, clipped near the horizon
        to at most 200 m away."""
        w, h = self.width, self.height
        top = max(-margin_px, self.horizon_row() + 0.02 * h)
        far = self.image_to_floor([[w / 2, top]])[0]
        if not np.all(np.isfinite(far)) or np.hypot(*(far - self.center[:2])) > 200:
            # Find the row whose floor point is 200 m away along the axis.
            ang = math.atan2(self.center[2], 200.0)
            top = h / 2 + self.focal_px * math.tan(ang - math.radians(self.tilt_deg))
        top = min(max(top, -margin_px), h + margin_px - 1)
        corners = [[-margin_px, top], [w + margin_px, top], [w + margin_px, h + margin_px],
                   [-margin_px, h + margin_px]]
        return self.image_to_floor(corners)
