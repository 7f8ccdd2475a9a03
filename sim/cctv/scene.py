"""The static part of a camera's view: floor, walls, doors, queue barriers, belts and processors.

Everything here is drawn once per camera. Floor, walls, barriers and baggage belts go into the
background image (drawn at twice the resolution and shrunk, so far tiles do not shimmer).
E-gate cabinets, desks and customs counters are *props*: small sprites with a depth, drawn in
the same far-to-near order as the people, so a traveler standing in an e-gate lane is hidden
behind the near cabinet and in front of the far one.

All of it is read from the floor plan (:mod:`floorplan.plan`). Props are drawn for rows laid out
as a scenario places them: along +x, travelers passing along y (``through``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from floorplan.camera import NEAR_M, CameraModel
from floorplan.plan import Belt, FloorPlan, PlanZone, ProcessorRow
from floorplan.shapes import segments

__all__ = ["Prop", "Backdrop", "build_backdrop", "processor_props", "hidden_share"]

CEILING_ABOVE_CAMERA_M = 1.5  # walls reach the ceiling, above any camera
SS = 2  # supersampling of the background
CEILING = (96, 104, 110)
FLOOR_IN = np.array([178, 186, 190], float)  # BGR terrazzo inside the zone
FLOOR_OUT = np.array([120, 126, 130], float)
WALL = np.array([196, 208, 214], float)
STEEL = np.array([172, 174, 170], float)


@dataclass(frozen=True)
class Prop:
    """A sprite of a static 3-D object: paste ``patch`` where ``mask`` at (x0, y0)."""

    depth: float
    x0: int
    y0: int
    patch: np.ndarray
    mask: np.ndarray

    def draw(self, img: np.ndarray) -> None:
        h, w = self.mask.shape
        cv2.copyTo(self.patch, self.mask, img[self.y0:self.y0 + h, self.x0:self.x0 + w])


@dataclass(frozen=True)
class Backdrop:
    camera: CameraModel
    zone: PlanZone
    background: np.ndarray
    props: tuple[Prop, ...]
    prop_depths: np.ndarray


# --- 3-D polygons with near-plane clipping --------------------------------------------------

STATIC_NEAR_M = 0.02  # walls may pass right beside the camera: clip them much closer


def _clip_near(pc: np.ndarray, near: float = STATIC_NEAR_M) -> np.ndarray:
    """Sutherland-Hodgman clip of a camera-frame polygon to z >= ``near``."""
    out = []
    n = len(pc)
    for k in range(n):
        a, b = pc[k], pc[(k + 1) % n]
        a_in, b_in = a[2] >= near, b[2] >= near
        if a_in:
            out.append(a)
        if a_in != b_in:
            s = (near - a[2]) / (b[2] - a[2])
            out.append(a + (b - a) * s)
    return np.asarray(out)


def _poly_px(cam: CameraModel, pts: np.ndarray, scale: float = 1.0, offset=(0, 0)
            ) -> np.ndarray | None:
    """World polygon → clipped pixel polygon (int32, 4 bits of subpixel) or None if unseen."""
    pc = _clip_near(cam.to_camera(pts))
    if len(pc) < 3:
        return None
    f = cam.focal_px
    uv = np.column_stack([f * pc[:, 0] / pc[:, 2] + cam.width / 2 - offset[0],
                          f * pc[:, 1] / pc[:, 2] + cam.height / 2 - offset[1]]) * scale
    return np.clip(np.round(uv * 16), -2 ** 26, 2 ** 26).astype(np.int32)


def _fill(img, cam, pts, colour, scale=1.0, offset=(0, 0)):
    px = _poly_px(cam, np.asarray(pts, float), scale, offset)
    if px is not None:
        cv2.fillPoly(img, [px], tuple(float(c) for c in colour), cv2.LINE_AA, 4)


def _box_faces(center, size, yaw=0.0):
    """Faces of an axis-aligned box (cx, cy, z0) + (sx, sy, sz) as (polygon, outward normal)."""
    cx, cy, z0 = center
    sx, sy, sz = size
    x0, x1, y0, y1, z1 = cx - sx / 2, cx + sx / 2, cy - sy / 2, cy + sy / 2, z0 + sz
    return [
        ([(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)], (0, 0, 1)),
        ([(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)], (0, -1, 0)),
        ([(x1, y1, z0), (x0, y1, z0), (x0, y1, z1), (x1, y1, z1)], (0, 1, 0)),
        ([(x0, y1, z0), (x0, y0, z0), (x0, y0, z1), (x0, y1, z1)], (-1, 0, 0)),
        ([(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)], (1, 0, 0)),
    ]


def _shade(colour, normal) -> np.ndarray:
    light = np.array([0.3, -0.4, 0.87])
    k = 0.62 + 0.38 * max(0.0, float(np.dot(normal, light)))
    return np.clip(np.asarray(colour, float) * k, 0, 255)


def _draw_box(img, cam, center, size, colour, scale=1.0, top_colour=None, offset=(0, 0)):
    eye = cam.center
    for poly, normal in _box_faces(center, size):
        pts = np.asarray(poly, float)
        if np.dot(eye - pts.mean(axis=0), normal) <= 0:
            continue
        c = top_colour if (normal[2] == 1 and top_colour is not None) else colour
        _fill(img, cam, pts, _shade(c, normal), scale, offset)


# --- background -----------------------------------------------------------------------------

def _draw_floor(img, cam: CameraModel, zone: PlanZone, seed: int) -> None:
    """Tiled floor computed per pixel in image space: each pixel's ray meets the floor at
    (x, y); 1.2 m tiles with grout lines and a random shade per tile, lighter inside the zone."""
    h, w = img.shape[:2]
    top = int(max(0, min(h, math.ceil((cam.horizon_row() + 1) * SS))))
    if top >= h:
        return
    inv = (np.linalg.inv(np.diag([SS, SS, 1.0]) @ cam.homography())).astype(np.float32)
    u = np.arange(w, dtype=np.float32)[None, :]
    v = np.arange(top, h, dtype=np.float32)[:, None]
    den = inv[2, 0] * u + (inv[2, 1] * v + inv[2, 2])
    tile = np.float32(1.2)
    x = (inv[0, 0] * u + (inv[0, 1] * v + inv[0, 2])) / den / tile
    y = (inv[1, 0] * u + (inv[1, 1] * v + inv[1, 2])) / den / tile
    tx, ty = np.floor(x), np.floor(y)
    rng = np.random.default_rng([seed, 11])
    table = rng.normal(0, 3.5, (64, 64)).astype(np.float32)
    light = table[ty.astype(np.int64) & 63, tx.astype(np.int64) & 63]
    fx, fy = x - tx, y - ty
    edge = np.minimum(np.minimum(fx, 1 - fx), np.minimum(fy, 1 - fy))
    light += cv2.GaussianBlur(rng.normal(0, 5.0, light.shape).astype(np.float32), (0, 0), 1.0)
    inside = np.zeros((h, w), np.uint8)
    px = _poly_px(cam, np.column_stack([np.asarray(zone.polygon, float),
                                        np.zeros(len(zone.polygon))]), SS)
    if px is not None:
        cv2.fillPoly(inside, [px], 1, cv2.LINE_8, 4)
    gain = np.where(edge * tile < 0.012, np.float32(0.8), np.float32(1.0))
    for c in range(3):
        base = np.where(inside[top:] > 0, np.float32(FLOOR_IN[c]), np.float32(FLOOR_OUT[c]))
        img[top:, :, c] = np.clip((base + light) * gain, 0, 255).astype(np.uint8)


def _draw_walls(img, cam: CameraModel, zone: PlanZone, doors: list[np.ndarray]) -> None:
    WALL_H = max(4.5, cam.position[2] + CEILING_ABOVE_CAMERA_M)
    poly = np.asarray(zone.polygon, float)
    walls = []
    for a, b in zip(poly, np.roll(poly, -1, axis=0)):
        mid = (a + b) / 2
        walls.append((float(np.hypot(*(mid - cam.center[:2]))), a, b))
    for _, a, b in sorted(walls, key=lambda w: -w[0]):
        edge = b - a
        length = float(np.hypot(*edge))
        if length < 1e-6:
            continue
        u = edge / length
        normal = np.array([u[1], -u[0], 0.0])
        quad = [(*a, 0.0), (*b, 0.0), (*b, WALL_H), (*a, WALL_H)]
        _fill(img, cam, quad, _shade(WALL, normal) * 0.95, SS)
        _fill(img, cam, [(*a, 0.0), (*b, 0.0), (*b, 0.15), (*a, 0.15)], WALL * 0.55, SS)
        _fill(img, cam, [(*a, 3.6), (*b, 3.6), (*b, 3.8), (*a, 3.8)], WALL * 0.8, SS)
        for d in doors:
            s = float(np.dot(d - a, u))
            if np.hypot(*(a + u * s - d)) > 0.05 or not 0 <= s <= length:
                continue
            for lo, hi, z0, z1, col in ((s - 1.4, s + 1.4, 0.0, 2.4, (60, 62, 64)),
                                        (s - 1.2, s + 1.2, 0.0, 2.3, (34, 36, 38)),
                                        (s - 0.9, s + 0.9, 2.7, 3.2, (40, 150, 220))):
                p0, p1 = a + u * lo, a + u * hi
                _fill(img, cam, [(*p0, z0), (*p1, z0), (*p1, z1), (*p0, z1)], col, SS)


def _line3(img, cam, a, b, colour, width_m, scale):
    uv, z = cam.project(np.asarray([a, b], float))
    if not np.all(np.isfinite(uv)):
        return
    thick = max(1, int(round(width_m * cam.focal_px / max(z.min(), NEAR_M) * scale)))
    p = np.round(uv * scale * 16).astype(np.int64)
    p = np.clip(p, -2 ** 24, 2 ** 24)
    cv2.line(img, tuple(map(int, p[0])), tuple(map(int, p[1])), colour, min(thick, 40),
             cv2.LINE_AA, 4)


def _draw_barriers(img, cam: CameraModel, path, scale) -> None:
    """Retractable-belt stanchions on both sides of a queue path, posts every ~2 m."""
    for side in (-0.55, 0.55):
        posts = []
        for a, b, u, length in segments(path, 1e-6):
            off = np.array([-u[1], u[0]]) * side
            n = max(1, int(round(length / 2.0)))
            posts += [a + off + (b - a) * k / n for k in range(n + 1)]
        for p, q in zip(posts[:-1], posts[1:]):
            _line3(img, cam, (*p, 0.9), (*q, 0.9), (140, 60, 30), 0.05, scale)
        for p in posts:
            _line3(img, cam, (*p, 0.0), (*p, 0.98), (70, 72, 75), 0.05, scale)


def _draw_belts(img, cam: CameraModel, belts: list[Belt], scale) -> None:
    for belt in belts:
        (cx, cy), hl, hw = belt.centre, belt.half_length_m, belt.half_width_m
        ang = np.linspace(0, math.pi, 12)
        outline = np.vstack([
            np.column_stack([cx + hw * np.cos(ang), cy + hl + hw * np.sin(ang)]),
            np.column_stack([cx + hw * np.cos(ang + math.pi), cy - hl + hw * np.sin(ang + math.pi)])])
        ring = list(zip(outline, np.roll(outline, -1, axis=0)))
        ring.sort(key=lambda ab: -float(np.hypot(*((ab[0] + ab[1]) / 2 - cam.center[:2]))))
        for a, b in ring:
            _fill(img, cam, [(*a, 0), (*b, 0), (*b, 0.45), (*a, 0.45)], STEEL * 0.8, scale)
        _fill(img, cam, [(*p, 0.45) for p in outline], (48, 50, 52), scale)
        inner = np.column_stack([cx + (outline[:, 0] - cx) * 0.55, cy + (outline[:, 1] - cy)
                                 * (hl + 0.55 * hw) / (hl + hw)])
        _fill(img, cam, [(*p, 0.5) for p in inner], STEEL, scale)


def _vignette(h, w) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    return (1.0 - 0.18 * r2 / 2).astype(np.float32)


# --- props ----------------------------------------------------------------------------------

def _sprite(cam: CameraModel, boxes, depth_xy) -> Prop | None:
    """Draw ``boxes`` [(center, size, colour, top_colour)] into a sprite with a mask."""
    corners = []
    for (cx, cy, z0), (sx, sy, sz), _, _ in boxes:
        corners += [(cx + dx * sx / 2, cy + dy * sy / 2, z0 + dz * sz)
                    for dx in (-1, 1) for dy in (-1, 1) for dz in (0, 1)]
    uv, z = cam.project(np.asarray(corners, float))
    if np.any(z <= NEAR_M):  # partly behind the camera: draw on a full-size canvas
        x0, y0, x1, y1 = 0, 0, cam.width, cam.height
    else:
        x0, y0 = (int(max(0, math.floor(uv[:, k].min()) - 2)) for k in (0, 1))
        x1 = int(min(cam.width, math.ceil(uv[:, 0].max()) + 2))
        y1 = int(min(cam.height, math.ceil(uv[:, 1].max()) + 2))
    if x1 <= x0 or y1 <= y0:
        return None
    canvas = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for center, size, colour, top in boxes:
        _draw_box(canvas, cam, center, size, colour, 1.0, top, (x0, y0))
        _draw_box(mask, cam, center, size, (255,), 1.0, (255,), (x0, y0))
    mask = np.where(mask > 127, 255, 0).astype(np.uint8)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    a0, a1, b0, b1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    depth = float(cam.to_camera(np.array([[*depth_xy, 0.0]]))[0, 2])
    return Prop(depth, int(x0 + a0), int(y0 + b0), canvas[b0:b1, a0:a1].copy(),
                mask[b0:b1, a0:a1].copy())


def _egate_props(cam, row: ProcessorRow):
    """A cabinet on either side of each lane, a reader post at each lane's entry."""
    d = row.through[1]
    pts, n, spacing = row.points, len(row.points), row.spacing_m
    x0, y0 = pts[0]
    out = []
    for k in range(n + 1):
        x = x0 + (k - 0.5) * spacing
        y = y0 + 0.2 * d
        boxes = [((x, y, 0.0), (0.22, 1.6, 1.02), (176, 178, 172), (70, 72, 74))]
        if k < n:  # reader post with a screen at the lane's entry
            px, py = pts[k][0] - spacing / 2 + 0.2, y0 - 0.75 * d
            boxes += [((px, py, 0.0), (0.07, 0.07, 1.3), (90, 92, 95), None),
                      ((px, py, 1.3), (0.26, 0.06, 0.2), (40, 40, 44), None)]
        out.append(_sprite(cam, boxes, (x, y)))
    return out


def _desk_props(cam, row: ProcessorRow):
    """A counter before each desk (or customs officer), a screen behind, a side panel."""
    d, spacing = row.through[1], row.spacing_m
    out = []
    for x, y in row.points:
        boxes = [((x, y + 0.75 * d, 0.0), (0.8 * spacing, 0.6, 1.1), (70, 105, 140),
                  (150, 160, 165)),
                 ((x, y + 1.45 * d, 0.0), (0.9 * spacing, 0.05, 1.9), (150, 140, 120),
                  None),
                 ((x - spacing / 2, y + 0.9 * d, 0.0), (0.05, 1.2, 1.5), (150, 140, 120),
                  None)]
        out.append(_sprite(cam, boxes, (x, y + 0.75 * d)))
    return out


def build_backdrop(plan: FloorPlan, cam: CameraModel, seed: int) -> Backdrop:
    """The background and props of ``cam``'s view of its zone."""
    zone = plan.zone(cam.zone)
    big = np.empty((cam.height * SS, cam.width * SS, 3), np.uint8)
    big[:] = CEILING
    _draw_floor(big, cam, zone, seed)
    _draw_walls(big, cam, zone, [np.asarray(d.xy, float) for d in plan.doors_of(zone.id)])
    rows = plan.rows_in(zone.id)
    for row in rows:
        if row.queue_path is not None:
            _draw_barriers(big, cam, row.queue_path, SS)
    _draw_belts(big, cam, plan.belts_in(zone.id), SS)
    bg = cv2.resize(big, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
    bg = np.clip(bg.astype(np.float32) * _vignette(cam.height, cam.width)[..., None], 0, 255)
    props = processor_props(plan, cam)
    return Backdrop(cam, zone, bg.astype(np.uint8), props,
                    np.asarray([p.depth for p in props], float))


def processor_props(plan: FloorPlan, cam: CameraModel) -> tuple[Prop, ...]:
    """The props (e-gate cabinets, desks) of ``cam``'s zone, far to near."""
    props = []
    for row in plan.rows_in(cam.zone):
        props += (_egate_props if row.kind == "egate" else _desk_props)(cam, row)
    return tuple(sorted((p for p in props if p is not None), key=lambda p: -p.depth))


def hidden_share(cam: CameraModel, props, points: np.ndarray) -> np.ndarray:
    """Per group of 3-D points (array (N, K, 3): K points of each of N things), the share of
    its points that a prop nearer the camera paints over (the renderer's far-to-near order:
    a low thing behind a desk counter or an e-gate cabinet is not in the picture)."""
    pts = np.asarray(points, float)
    n, k = pts.shape[:2]
    uv, z = cam.project(pts.reshape(-1, 3))
    depth = np.repeat(z.reshape(n, k).mean(axis=1), k)
    with np.errstate(invalid="ignore"):
        u = np.round(uv[:, 0])
        v = np.round(uv[:, 1])
    fin = np.isfinite(u) & np.isfinite(v) & (z > NEAR_M)
    hid = np.zeros(n * k, bool)
    for p in props:
        h, w = p.mask.shape
        pu = np.where(fin, u, -1).astype(np.int64) - p.x0
        pv = np.where(fin, v, -1).astype(np.int64) - p.y0
        ok = fin & (p.depth < depth) & (pu >= 0) & (pv >= 0) & (pu < w) & (pv < h)
        hid[ok] |= p.mask[pv[ok], pu[ok]] > 0
    return hid.reshape(n, k).mean(axis=1)
