"""Image ↔ floor mapping for one fixed camera, so speeds are in m/s and densities in persons/m².

A floor homography alone maps foot points; sizes (is this blob a standing person, a bag, someone
lying down?) also need the vertical direction. For a natural camera (square pixels, principal
point at the image centre, no skew) the full projection P = K [r1 r2 r3 t] follows from the floor
homography H = K [r1 r2 t]: r3 = r1 × r2, and the focal length is either given (from the field of
view) or recovered from the orthogonality of r1 and r2 (Zhang's calibration constraint). So four
marked floor points are enough for both uses.

Floor coordinates are metres in the terminal frame (x east, y north, z up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


class FloorMapError(ValueError):
    """A homography or a set of marked points that cannot describe a camera over a floor."""


@dataclass(frozen=True)
class FloorMap:
    """A camera's projection of the terminal floor. ``P`` is 3×4 (world metres → pixels)."""

    P: np.ndarray
    size: tuple[int, int]  # image width, height in pixels

    # --- construction ------------------------------------------------------------------
    @classmethod
    def from_homography(cls, H: np.ndarray, size: tuple[int, int],
                        fov_deg: float | None = None) -> "FloorMap":
        """``H`` maps floor (x, y, 1) to image (u, v, w). ``fov_deg`` is the horizontal field of
        view; without it the focal length is recovered from ``H``."""
        H = np.asarray(H, dtype=np.float64)
        if H.shape != (3, 3) or not np.all(np.isfinite(H)) or abs(np.linalg.det(H)) < 1e-12:
            raise FloorMapError(f"floor homography must be a finite invertible 3x3 matrix, got {H!r}")
        w, h = size
        cx, cy = w / 2.0, h / 2.0
        # Normalise the sign so floor points seen by the camera have positive depth (the
        # bottom-centre pixel of a camera tilted down always sees the floor in front of it).
        seen = np.linalg.solve(H, [cx, h - 1.0, 1.0])
        H = H if seen[2] > 0 else -H
        shift = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        Hc = shift @ H
        f = (w / 2.0) / math.tan(math.radians(fov_deg) / 2) if fov_deg else _focal_from(Hc)
        K = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1.0]])
        M = np.linalg.solve(K, H)  # = λ [r1 r2 t]
        lam = (np.linalg.norm(M[:, 0]) + np.linalg.norm(M[:, 1])) / 2
        r1, r2, t = M[:, 0] / lam, M[:, 1] / lam, M[:, 2] / lam
        r3 = np.cross(r1, r2)
        P = K @ np.column_stack([r1, r2, r3, t])
        fm = cls(P=P, size=(int(w), int(h)))
        # The camera stands above the floor: a point 1 m up must appear higher in the image.
        x, y = fm.image_to_floor(np.array([[cx, cy]]))[0]
        if fm.project(np.array([[x, y, 1.0]]))[0, 1] > cy:
            fm = cls(P=K @ np.column_stack([r1, r2, -r3, t]), size=(int(w), int(h)))
        return fm

    @classmethod
    def from_points(cls, image_pts, floor_pts, size: tuple[int, int],
                    fov_deg: float | None = None) -> "FloorMap":
        """Four (or more) marked points: pixel positions and their floor positions in metres."""
        img = np.asarray(image_pts, dtype=np.float64).reshape(-1, 2)
        flo = np.asarray(floor_pts, dtype=np.float64).reshape(-1, 2)
        if len(img) < 4 or len(img) != len(flo):
            raise FloorMapError(f"need at least 4 matching image and floor points, got "
                                f"{len(img)} image and {len(flo)} floor points")
        H, _ = cv2.findHomography(flo, img, 0)
        if H is None:
            raise FloorMapError("marked points are degenerate (three or more on one line?)")
        return cls.from_homography(H, size, fov_deg)

    @classmethod
    def from_pose(cls, position: tuple[float, float, float], yaw_deg: float, tilt_deg: float,
                  fov_deg: float, size: tuple[int, int]) -> "FloorMap":
        """A camera at ``position`` (x, y, height in metres) whose optical axis heads ``yaw_deg``
        (counter-clockwise from +x) and points ``tilt_deg`` below the horizontal."""
        w, h = size
        f = (w / 2.0) / math.tan(math.radians(fov_deg) / 2)
        K = np.array([[f, 0, w / 2.0], [0, f, h / 2.0], [0, 0, 1.0]])
        yaw, tilt = math.radians(yaw_deg), math.radians(tilt_deg)
        fwd = np.array([math.cos(yaw) * math.cos(tilt), math.sin(yaw) * math.cos(tilt),
                        -math.sin(tilt)])
        right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
        down = np.cross(fwd, right)
        R = np.vstack([right, down, fwd])  # rows: camera x (right), y (down), z (forward)
        t = -R @ np.asarray(position, dtype=np.float64)
        return cls(P=K @ np.column_stack([R, t]), size=(int(w), int(h)))

    @classmethod
    def from_camera(cls, camera) -> "FloorMap":
        """From a camera model: exact when it exposes intrinsics ``K``, rotation ``R`` and
        ``center`` (:class:`floorplan.camera.CameraModel` does); else from its ``homography()`` (floor → image)
        with its ``fov_deg`` and ``width``/``height``."""
        size = (int(camera.width), int(camera.height))
        if all(hasattr(camera, a) for a in ("K", "R", "center")):
            R, c = np.asarray(camera.R, float), np.asarray(camera.center, float)
            return cls(P=np.asarray(camera.K, float) @ np.column_stack([R, -R @ c]), size=size)
        return cls.from_homography(np.asarray(camera.homography()), size,
                                   getattr(camera, "fov_deg", None))

    # --- mappings ----------------------------------------------------------------------
    @property
    def homography(self) -> np.ndarray:
        return self.P[:, [0, 1, 3]]

    def project(self, xyz: np.ndarray) -> np.ndarray:
        """World points (N, 3) in metres → pixels (N, 2)."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        p = np.column_stack([xyz, np.ones(len(xyz))]) @ self.P.T
        return p[:, :2] / p[:, 2:3]

    def floor_to_image(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return self.project(np.column_stack([xy, np.zeros(len(xy))]))

    def image_to_floor(self, uv: np.ndarray, height_m: float = 0.0) -> np.ndarray:
        """Pixels (N, 2) → points of the horizontal plane ``z = height_m``, (N, 2) metres."""
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        Hz = self.P[:, [0, 1, 3]].copy()
        Hz[:, 2] += height_m * self.P[:, 2]
        p = np.column_stack([uv, np.ones(len(uv))]) @ np.linalg.inv(Hz).T
        return p[:, :2] / p[:, 2:3]

    def in_front(self, xy: np.ndarray, height_m: float = 0.0) -> np.ndarray:
        """Whether points (N, 2) of the horizontal plane ``z = height_m`` lie in front of the
        camera (positive depth)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return (np.column_stack([xy, np.full(len(xy), float(height_m)), np.ones(len(xy))])
                @ self.P[2]) > 0

    def pixels_per_metre(self, xy: np.ndarray, height_m: float = 1.7) -> np.ndarray:
        """Vertical pixels per metre of a standing object at floor points (N,) — its image height
        divided by ``height_m``."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        foot = self.project(np.column_stack([xy, np.zeros(len(xy))]))
        head = self.project(np.column_stack([xy, np.full(len(xy), height_m)]))
        return np.abs(foot[:, 1] - head[:, 1]) / height_m

    def lying_height_m(self, xy: np.ndarray, length_m: float = 1.7,
                       thickness_m: float = 0.3) -> np.ndarray:
        """What a body lying along the line of sight at floor points (N, 2) reads as, in the
        metres of an upright thing standing there (:meth:`pixels_per_metre`): from its near
        end on the floor to its far end, ``length_m`` farther from the camera and
        ``thickness_m`` up. Near and shallow it reads low; far below a steep camera it reads
        nearly as tall as someone standing. Nothing lying there can read taller."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        away = xy - self.camera_floor_position()
        away /= np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-9)
        foot = self.project(np.column_stack([xy, np.zeros(len(xy))]))
        far = self.project(np.column_stack([xy + away * length_m,
                                            np.full(len(xy), thickness_m)]))
        return (foot[:, 1] - far[:, 1]) / np.maximum(self.pixels_per_metre(xy), 1e-9)

    def visible_floor(self, polygon, max_range_m: float = 40.0) -> np.ndarray:
        """The part of a floor polygon inside the image (and within ``max_range_m`` of the
        camera's foot point, beyond which people are a few pixels tall), as an (N, 2) polygon."""
        w, h = self.size
        poly = np.asarray(polygon, dtype=np.float32).reshape(-1, 2)
        # Image border sampled densely, mapped to the floor, kept where in front of the camera.
        border = _border_points(w, h, 24)
        cam = self.camera_floor_position()
        pts = self.image_to_floor(border)
        ok = self.in_front(pts)
        d = pts - cam
        dist = np.linalg.norm(d, axis=1)
        far = dist > max_range_m
        pts[far] = cam + d[far] / dist[far, None] * max_range_m
        view = pts[ok]
        if len(view) < 3:
            return np.zeros((0, 2))
        view = cv2.convexHull(view.astype(np.float32)).reshape(-1, 2)
        area, inter = cv2.intersectConvexConvex(view, cv2.convexHull(poly).reshape(-1, 2))
        return np.zeros((0, 2)) if inter is None or area <= 0 else inter.reshape(-1, 2)

    def camera_floor_position(self) -> np.ndarray:
        """The floor point under the camera's centre."""
        return self.camera_centre()[:2]

    def camera_centre(self) -> np.ndarray:
        """The camera's centre (x, y, height), metres."""
        return -np.linalg.solve(self.P[:, :3], self.P[:, 3])


def _focal_from(Hc: np.ndarray) -> float:
    """Focal length (pixels) from a centred floor homography: r1 ⟂ r2 and |r1| = |r2| are both
    linear in g = 1/f², solved together by least squares."""
    Hc = Hc / np.linalg.norm(Hc[:, :2])  # only r1, r2 matter; the translation column is huge
    h1, h2 = Hc[:, 0], Hc[:, 1]
    a = np.array([h1[0] * h2[0] + h1[1] * h2[1],
                  h1[0] ** 2 + h1[1] ** 2 - h2[0] ** 2 - h2[1] ** 2])
    b = np.array([-h1[2] * h2[2], h2[2] ** 2 - h1[2] ** 2])
    if float(a @ a) < 1e-24 or float(b @ b) < 1e-24:
        raise FloorMapError("focal length cannot be recovered from this homography (camera "
                            "looks straight down or its axes align with the floor's): give fov_deg")
    g = float(a @ b) / float(a @ a)
    if not (g > 0 and math.isfinite(g)):
        raise FloorMapError("homography is not a pinhole view of a floor (no real focal length)")
    return 1.0 / math.sqrt(g)


def _border_points(w: int, h: int, n: int) -> np.ndarray:
    s = np.linspace(0, 1, n)
    top = np.column_stack([s * (w - 1), np.zeros(n)])
    right = np.column_stack([np.full(n, w - 1), s * (h - 1)])
    bottom = np.column_stack([s[::-1] * (w - 1), np.full(n, h - 1)])
    left = np.column_stack([np.zeros(n), s[::-1] * (h - 1)])
    return np.vstack([top, right, bottom, left])
