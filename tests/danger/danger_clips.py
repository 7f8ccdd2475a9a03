"""Short synthetic CCTV clips for the danger tests: flat-shaded boxes (people upright or lying,
bags) moving over a static tiled floor, seen by a pinhole camera. Not the sim's renderer (that is
tested with its own frames in the evaluation); just enough pixels to drive the real detector,
tracker and rules with known motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from pipeline.danger.config import DangerConfig
from pipeline.danger.floor import FloorMap
from floorplan.plan import PlanZone
from pipeline.danger.geometry import Gate, SceneGeometry
from pipeline.danger.observe import GROUP, PERSON, Observation
from pipeline.danger.stream import CameraStream, FrameResult

SIZE = (640, 360)
FPS = 5.0
# Camera 6 m up at the origin, looking north (+y) and 40° down over a 24 m x 24 m zone.
FLOOR = FloorMap.from_pose((0.0, -2.0, 6.0), 90.0, 40.0, 70.0, SIZE)
ZONE = np.array([[-12.0, 2.0], [12.0, 2.0], [12.0, 26.0], [-12.0, 26.0]])

PERSON_BOX = (0.5, 0.32, 1.7)  # length along heading, width, height (m)
LYING_BOX = (1.75, 0.5, 0.35)
BAG_BOX = (0.45, 0.3, 0.55)


def blob(x: float, y: float, persons: float = 0.9) -> Observation:
    """A standing person's observation at floor point (x, y) as the detector would give it (a
    60 px box; two people side by side read twice as wide)."""
    u, v = FLOOR.floor_to_image(np.array([[x, y]]))[0]
    h = 60.0
    w = h / 4 * (1.0 if persons < 1.5 else 2.0)
    return Observation((u - w, v - h, u + w, v), (x, y), 1.7, 0.5 * w / 15, 0.5,
                       PERSON if persons < 1.5 else GROUP, persons, 0.9, 0.05, 60.0)


def geometry(gates: tuple[Gate, ...] = (), waiting=()) -> SceneGeometry:
    hall = PlanZone("hall", "immigration_hall", ZONE, 576.0, flow=(1.0, 0.0), space_low_m2=1.0,
                    space_high_m2=1.2)
    return SceneGeometry((hall,),
                         tuple(np.asarray(w, float) for w in waiting), gates)


@lru_cache(maxsize=4)
def background(seed: int = 0) -> np.ndarray:
    """A tiled floor with per-tile shade and grout lines, seen through FLOOR."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    us, vs = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    xy = FLOOR.image_to_floor(np.column_stack([us.ravel(), vs.ravel()]))
    ok = FLOOR.in_front(xy)
    tx, ty = np.floor(xy[:, 0] / 1.2).astype(int), np.floor(xy[:, 1] / 1.2).astype(int)
    shade = rng.normal(0, 10, (64, 64))
    img = 170 + shade[ty % 64, tx % 64]
    grout = (np.abs(xy[:, 0] / 1.2 - np.round(xy[:, 0] / 1.2)) < 0.02) | (
        np.abs(xy[:, 1] / 1.2 - np.round(xy[:, 1] / 1.2)) < 0.02)
    img[grout] -= 35
    img[~ok] = 95
    img = img.reshape(h, w)
    bgr = np.stack([img, img * 1.02, img * 0.97], axis=-1)
    return np.clip(bgr, 0, 255).astype(np.uint8)


@dataclass
class Thing:
    """A box on the floor whose position is a function of time; None = not in the picture."""

    path: callable  # t → (x, y) or None
    size: tuple[float, float, float] = PERSON_BOX
    colour: tuple[int, int, int] = (40, 60, 160)
    shape: callable | None = None  # t → size, to change (stand → lie) over time
    heading: float = 0.0

    def at(self, t: float):
        xy = self.path(t)
        if xy is None:
            return None
        size = self.shape(t) if self.shape is not None else self.size
        return xy, size


def draw_box(img, xy, size, heading, colour) -> None:
    lx, wy, hz = size
    c, s = math.cos(heading), math.sin(heading)
    corners = []
    for a in (-lx / 2, lx / 2):
        for b in (-wy / 2, wy / 2):
            for z in (0.0, hz):
                corners.append((xy[0] + a * c - b * s, xy[1] + a * s + b * c, z))
    uv = FLOOR.project(np.array(corners))
    hull = cv2.convexHull(np.round(uv * 16).astype(np.int32))
    cv2.fillConvexPoly(img, hull, colour, cv2.LINE_AA, 4)


@dataclass
class Clip:
    things: list[Thing]
    duration_s: float
    occluders: list[tuple[int, int, int, int]] = field(default_factory=list)  # drawn in front
    noise: float = 2.0
    seed: int = 0

    def frames(self):
        bg = background(self.seed)
        noise = _noise(self.seed, self.noise)
        n = int(round(self.duration_s * FPS))
        cam = FLOOR.camera_floor_position()
        for k in range(n):
            t = k / FPS
            img = bg.copy()
            placed = [(th, th.at(t)) for th in self.things]
            placed = [(th, p) for th, p in placed if p is not None]
            # Far to near, so nearer people hide farther ones.
            placed.sort(key=lambda tp: -math.hypot(tp[1][0][0] - cam[0], tp[1][0][1] - cam[1]))
            for th, (xy, size) in placed:
                draw_box(img, xy, size, th.heading, th.colour)
            for x1, y1, x2, y2 in self.occluders:
                img[y1:y2, x1:x2] = (70, 90, 90)
            if noise:
                pos, neg = noise[k % len(noise)]
                cv2.subtract(cv2.add(img, pos), neg, dst=img)
            yield t, img


@lru_cache(maxsize=4)
def _noise(seed: int, sigma: float, n: int = 4):
    """A few fixed sensor-noise frames (as signed parts), cycled: cheap and still noisy."""
    if not sigma:
        return ()
    rng = np.random.default_rng(seed + 1)
    out = []
    for _ in range(n):
        z = np.round(rng.normal(0, sigma, (SIZE[1], SIZE[0], 3)))
        out.append((np.clip(z, 0, 255).astype(np.uint8), np.clip(-z, 0, 255).astype(np.uint8)))
    return tuple(out)


def run(clip: Clip, config: DangerConfig = DangerConfig(), geom: SceneGeometry | None = None,
        occluders_in_background: bool = True) -> list[FrameResult]:
    stream = CameraStream("test_cam", FLOOR, geom or geometry(), config)
    stream.prepare()
    return [stream.process(img, 100.0 + t) for t, img in clip.frames()]


def alerts(results: list[FrameResult], kind: str | None = None):
    return [a for r in results for a in r.alerts if kind is None or a.kind == kind]


def walk(p0, p1, t0, t1, stay_before=True, stay_after=False):
    """Straight walk from p0 at t0 to p1 at t1; absent before t0 / after t1 unless told."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)

    def path(t):
        if t < t0:
            return tuple(p0) if stay_before else None
        if t > t1:
            return tuple(p1) if stay_after else None
        return tuple(p0 + (p1 - p0) * (t - t0) / (t1 - t0))
    return path


def legs(*points_times):
    """Piecewise-linear path through (t, x, y) points; None outside [first t, last t]."""
    pts = np.array(points_times, float)

    def path(t):
        if t < pts[0, 0] or t > pts[-1, 0]:
            return None
        return float(np.interp(t, pts[:, 0], pts[:, 1])), float(np.interp(t, pts[:, 0], pts[:, 2]))
    return path
