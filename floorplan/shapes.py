"""Polygon and polyline maths of the floor, in one place: plain numpy in, plain numpy out.

Floor coordinates are metres, x east, y north. A polygon is an (N, 2) array (or a list of
(x, y) pairs), its outline closing from the last point back to the first; a polyline is an
(M, 2) array walked from its first point.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["DOOR_INSET_M", "bounds", "bounds_centre", "door_point", "lane_polygons",
           "points_in_polygon", "queue_point", "segments", "serpentine_queue"]

DOOR_INSET_M = 1.5  # doors keep away from the corners of a zone


def bounds(polygon) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of the polygon's bounding box."""
    p = np.asarray(polygon, float)
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def bounds_centre(polygon) -> tuple[float, float]:
    """The middle of the polygon's bounding box (not its centre of area: a zone's 'middle' for
    doors, camera mounts and spots is the box's)."""
    x0, y0, x1, y1 = bounds(polygon)
    return (x0 + x1) / 2, (y0 + y1) / 2


def points_in_polygon(xy: np.ndarray, polygon) -> np.ndarray:
    """Even-odd rule for many points (N, 2) against one polygon: a boolean (N,) array."""
    poly = np.asarray(polygon, float)
    x, y = xy[:, 0:1], xy[:, 1:2]
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return ((crosses & (x < xc)).sum(axis=1) % 2) == 1


def door_point(polygon, toward, inset_m: float = DOOR_INSET_M) -> np.ndarray:
    """The point of the polygon's outline nearest ``toward``, kept ``inset_m`` off the corners
    (at most half an edge)."""
    poly = np.asarray(polygon, float)
    target = np.asarray(toward, float)
    best, best_d = None, math.inf
    for a, b in zip(poly, np.roll(poly, -1, axis=0)):
        ab = b - a
        length = float(np.hypot(*ab))
        if length < 1e-9:
            continue
        inset = min(inset_m, length / 2)
        s = np.clip(np.dot(target - a, ab) / length, inset, length - inset)
        p = a + ab * s / length
        d = float(np.hypot(*(p - target)))
        if d < best_d:
            best, best_d = p, d
    return best


def segments(path, min_length_m: float = 1e-9) -> Iterator[tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray, float]]:
    """(start, end, unit direction, length) of each segment of a polyline at least
    ``min_length_m`` long."""
    pts = np.asarray(path, float)
    for a, b in zip(pts[:-1], pts[1:]):
        d = b - a
        length = float(np.hypot(*d))
        if length >= min_length_m:
            yield a, b, d / length, length


def lane_polygons(path, half_width: float) -> list[np.ndarray]:
    """Rectangles around each segment of a polyline, reaching ``half_width`` past its ends
    (one (4, 2) polygon per segment; zero-length segments give none)."""
    out = []
    for a, b, u, _ in segments(path):
        perp = np.array([-u[1], u[0]]) * half_width
        a2, b2 = a - u * half_width, b + u * half_width
        out.append(np.array([a2 + perp, b2 + perp, b2 - perp, a2 - perp]))
    return out


def serpentine_queue(path, lanes: int = 30, lane_gap_m: float = 1.0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """A queue path (head first) extended past its tail as a serpentine of ``lanes`` lanes like
    the last segment (the way staff open more rope lanes), so a long queue folds instead of
    running off; returns the points (M, 2) and the arc length at each (M,)."""
    pts = np.asarray(path, float)
    a, b = pts[-2], pts[-1]
    run = b - a
    length = float(np.hypot(*run))
    if length > 1e-9 and lanes > 0:
        u = run / length
        side = np.array([-u[1], u[0]])
        if len(pts) >= 3:  # fold away from where the path came from
            back = pts[-3] - a
            side = side if np.dot(side, back) < 0 else -side
        ext, p, direction = [], b, u
        for _ in range(lanes):
            p = p + side * lane_gap_m
            ext.append(p)
            direction = -direction
            p = p + direction * length
            ext.append(p)
        pts = np.vstack([pts, ext])
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    return pts, cum


def queue_point(pts: np.ndarray, cum: np.ndarray, s: np.ndarray):
    """Points at arc lengths ``s`` along a polyline (``pts`` and ``cum`` from
    :func:`serpentine_queue`), extended past its tail along the last segment; returns (xy (N, 2),
    heading (N,) in radians, pointing back towards the head)."""
    s = np.asarray(s, float)
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(pts) - 2)
    seg = pts[i + 1] - pts[i]
    seg_len = np.maximum(cum[i + 1] - cum[i], 1e-9)
    u = seg / seg_len[:, None]
    xy = pts[i] + u * (s - cum[i])[:, None]
    heading = np.arctan2(-u[:, 1], -u[:, 0])
    return xy, heading
