"""Blobs in pixels → things on the floor in metres: where they stand, how tall and long they
are, what they look like (a standing person, a group, someone lying down, a bag), and how many
people the foreground holds per square metre of floor.

Sizes come from the camera's projection: a blob's foot point (bottom centre of its box) is on the
floor; its height in metres is its pixel height over the pixels per metre of an upright thing
standing there, its width the same across the line of sight, and its area is counted in
standing-person areas at that spot. Tall blobs are people (a group when they hold two or more
person areas and are wide); low ones are a body on the floor when wide across the view or as big
as a standing person, else an object such as a bag. A low blob cut by the image border, or too
far away to be read, counts as a person: its shape says nothing then.

Density uses the foreground area, not the blobs: in a crowd blobs merge, while the foreground
area of k people is about k times one person's, less what they hide of each other. Every mask
pixel is mapped to the floor through the plane at mid-body height and weighted by 1/(image area
of one standing person there), so summing weights over a floor region counts people in it
(``DensityMap.counts``). In a dense crowd silhouettes overlap and the foreground saturates; for
people standing at random the uncovered share is exp(-n / capacity), so the count is recovered
as -capacity · ln(1 - coverage) (:func:`occupancy_count`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.danger.floor import FloorMap
from pipeline.vision.detections import Blob, Detections

PERSON, GROUP, LYING, OBJECT = "person", "group", "lying", "object"
KINDS = (PERSON, GROUP, LYING, OBJECT)


@dataclass(frozen=True)
class BodyModel:
    """Sizes that sort blobs into kinds (metres), and how much of a person's box is foreground."""

    person_height_m: float = 1.7
    person_width_m: float = 0.55
    person_fill: float = 0.9  # foreground share of an upright person's box (blur and closing included)
    object_max_height_m: float = 1.15  # shorter than this is not an upright person
    lying_min_width_m: float = 1.1  # a low thing this wide across the view is a body ...
    lying_min_persons: float = 1.1  # ... or one covering more image than a standing person
    object_min_height_m: float = 0.15
    group_min_persons: float = 2.0  # a blob with this many person-areas ...
    group_min_width_m: float = 0.9  # ... and this wide is a group; or with ...
    crowd_min_persons: float = 2.8  # ... this many person-areas, whatever its width
    max_range_m: float = 45.0  # farther blobs are a few pixels tall: ignored
    min_shape_px: float = 40.0  # a standing person shorter than this in the image: too small
    # to tell lying from standing or a bag from a person; such blobs count as people


@dataclass(frozen=True, slots=True)
class Observation:
    box: tuple[float, float, float, float]  # pixels
    xy: tuple[float, float]  # foot point on the floor, metres
    height_m: float  # as an upright thing
    width_m: float  # across the line of sight
    length_m: float  # along the floor, from the foot to where the top edge lands near the floor
    kind: str
    persons: float  # people-equivalents of foreground area
    score: float
    sigma_m: float  # how far off the foot point may be (a few pixels of box error, in metres)
    person_px: float  # image height a standing person would have here: how well it is seen
    clipped: bool = False  # cut by the image border or an ignored region


class Observer:
    """Measures blobs of one camera; the per-pixel tables are built once per camera."""

    def __init__(self, floor: FloorMap, body: BodyModel = BodyModel()):
        self.floor, self.body = floor, body
        self._cam = floor.camera_floor_position()

    def observe(self, det: Detections) -> list[Observation]:
        blobs = det.blobs
        if not blobs:
            return []
        b = self.body
        boxes = np.array([bl.box for bl in blobs], dtype=np.float64)
        foot_uv = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]])
        xy = self.floor.image_to_floor(foot_uv)
        ok = self.floor.in_front(xy) & np.all(np.isfinite(xy), axis=1)
        dist = np.linalg.norm(xy - self._cam, axis=1)
        ok &= dist <= b.max_range_m
        ppm = np.where(ok, self.floor.pixels_per_metre(np.where(ok[:, None], xy, self._cam + 1)), 1.0)
        # Horizontal scale: a 1 m segment across the line of sight at the foot point.
        across = _unit_across(xy - self._cam)
        left = self.floor.floor_to_image(xy - across * 0.5)
        right = self.floor.floor_to_image(xy + across * 0.5)
        hppm = np.maximum(np.linalg.norm(right - left, axis=1), 1e-6)
        h_px = boxes[:, 3] - boxes[:, 1]
        w_px = boxes[:, 2] - boxes[:, 0]
        height_m = h_px / ppm
        width_m = w_px / hppm
        top_uv = np.column_stack([foot_uv[:, 0], boxes[:, 1]])
        top_xy = self.floor.image_to_floor(top_uv, height_m=0.3)
        top_front = self.floor.in_front(top_xy) & np.all(np.isfinite(top_xy), axis=1)
        length_m = np.where(top_front, np.linalg.norm(top_xy - xy, axis=1), np.inf)
        length_m = np.maximum(length_m, width_m)
        person_area = b.person_height_m * ppm * b.person_width_m * hppm * b.person_fill
        persons = np.array([bl.area_px for bl in blobs]) / np.maximum(person_area, 1.0)
        # Foot-point uncertainty: 3 px of box error along the image column, mapped to the floor.
        below = self.floor.image_to_floor(foot_uv + [0.0, 3.0])
        sigma = np.clip(np.linalg.norm(below - xy, axis=1), 0.08, 2.0)
        out = []
        for i, bl in enumerate(blobs):
            if not ok[i]:
                continue
            kind = self._kind(height_m[i], width_m[i], length_m[i], persons[i])
            if kind in (LYING, OBJECT) and (bl.clipped or ppm[i] * b.person_height_m < b.min_shape_px):
                kind = PERSON  # its true height is unknown (cut by the border) or unreadable
            if kind is None:
                continue
            out.append(Observation(bl.box, (float(xy[i, 0]), float(xy[i, 1])),
                                   float(height_m[i]), float(width_m[i]), float(length_m[i]),
                                   kind, float(persons[i]), bl.score, float(sigma[i]),
                                   float(ppm[i] * b.person_height_m), bl.clipped))
        return out

    def _kind(self, height_m: float, width_m: float, length_m: float,
              persons: float) -> str | None:
        b = self.body
        if height_m < b.object_min_height_m:
            return None  # a sliver: noise or a shadow edge
        if height_m >= b.object_max_height_m:
            group = persons >= b.crowd_min_persons or (
                persons >= b.group_min_persons and width_m >= b.group_min_width_m)
            return GROUP if group else PERSON
        # Low things: a body on the floor is wide across the view, or (lying along the line of
        # sight) covers at least a standing person's image area; a bag is compact.
        if persons >= b.lying_min_persons or width_m >= b.lying_min_width_m:
            return LYING
        return OBJECT


def _unit_across(d: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(d, axis=1, keepdims=True)
    u = d / np.maximum(n, 1e-9)
    return np.column_stack([-u[:, 1], u[:, 0]])


class DensityMap:
    """People per floor region from a foreground mask: a fixed lookup from mask pixel to region
    and weight, then one bincount per frame."""

    def __init__(self, floor: FloorMap, regions: dict[str, np.ndarray], mask_scale: float,
                 body: BodyModel = BodyModel()):
        """``regions``: name → floor polygon (metres). People hidden behind others are the
        count's to correct (:func:`occupancy_count`, then :func:`crowd_factors` per window)."""
        self.names = list(regions)
        w, h = floor.size
        mw, mh = int(round(w * mask_scale)), int(round(h * mask_scale))
        self.shape = (mh, mw)
        us, vs = np.meshgrid((np.arange(mw) + 0.5) / mask_scale, (np.arange(mh) + 0.5) / mask_scale)
        uv = np.column_stack([us.ravel(), vs.ravel()])
        mid_h = body.person_height_m / 2
        mid = floor.image_to_floor(uv, height_m=mid_h)
        ok = floor.in_front(floor.image_to_floor(uv)) & np.all(np.isfinite(mid), axis=1)
        # Regions drawn into a label image through the mid-body plane (one fillPoly each).
        labels = np.zeros((mh, mw), np.uint16)
        for k, name in enumerate(self.names):
            poly = np.asarray(regions[name], float).reshape(-1, 2)
            if len(poly) < 3:
                continue
            px = floor.project(np.column_stack([poly, np.full(len(poly), mid_h)])) * mask_scale - 0.5
            if not np.all(np.isfinite(px)):
                continue
            cv2.fillPoly(labels, [np.round(px * 16).astype(np.int32)], k + 1, cv2.LINE_8, 4)
        label = labels.ravel().astype(np.int64) - 1
        ppm = floor.pixels_per_metre(np.where(ok[:, None], mid, 0.0))
        cam = floor.camera_floor_position()
        across = _unit_across(mid - cam)
        hppm = np.linalg.norm(floor.floor_to_image(mid + across * 0.5)
                              - floor.floor_to_image(mid - across * 0.5), axis=1)
        person_area = (body.person_height_m * ppm * body.person_width_m * hppm * body.person_fill
                       * mask_scale ** 2)
        weight = np.where(ok & (label >= 0), 1.0 / np.maximum(person_area, 1e-6), 0.0)
        keep = np.flatnonzero(weight > 0)
        self._pixels = keep  # flat indices into the mask
        self._label = label[keep]
        self._weight = weight[keep]
        # People-equivalents if every pixel were foreground: what a packed crowd saturates at.
        cap = np.bincount(self._label, weights=self._weight, minlength=len(self.names))
        self.capacity = dict(zip(self.names, cap.tolist()))
        self.areas = {name: float(cv2.contourArea(np.asarray(regions[name], np.float32)))
                      for name in self.names}

    def counts(self, mask: np.ndarray) -> dict[str, float]:
        """People per region from a uint8 mask of ``shape``."""
        if mask.shape != self.shape:
            mask = cv2.resize(mask, self.shape[::-1], interpolation=cv2.INTER_NEAREST)
        fg = mask.ravel()[self._pixels] > 0
        c = np.bincount(self._label[fg], weights=self._weight[fg], minlength=len(self.names))
        return dict(zip(self.names, c.tolist()))

    def density(self, mask: np.ndarray) -> dict[str, float]:
        """People per m² per region."""
        c = self.counts(mask)
        return {n: c[n] / self.areas[n] if self.areas[n] > 0 else 0.0 for n in self.names}


def crowd_factors(floor: FloorMap, points: np.ndarray, span_m: float, max_factor: float,
                  body: BodyModel = BodyModel(), min_factor: float = 1.0) -> np.ndarray:
    """Scale for people hidden behind others at floor points (N, 2), from the viewing angle: the
    stretch of floor one standing body covers in the image through the mid-body plane (the
    plane :class:`DensityMap` maps pixels to), person height x distance / (camera height - mid
    body), over ``span_m``, within [``min_factor``, ``max_factor``]. Far and shallow, people
    line up behind each other and spill their pixels onto the floor around them; near and steep
    they overlap less, but rendered crowds still read under their count there
    (``rules.overcrowding.crowd_factor_min``; 1 = round 9)."""
    span = viewing_span(floor, points, body)
    return np.clip(span / span_m, min(min_factor, max_factor), max_factor)


def viewing_span(floor: FloorMap, points: np.ndarray, body: BodyModel = BodyModel()) -> np.ndarray:
    """Metres of floor one standing body covers in the image at floor points (N, 2), through the
    mid-body plane: person height x distance from the camera / (camera height - mid body)."""
    c = floor.camera_centre()
    mid = body.person_height_m / 2
    dist = np.linalg.norm(np.asarray(points, float).reshape(-1, 2) - c[:2], axis=1)
    return body.person_height_m * dist / max(float(c[2]) - mid, 1e-3)


def occupancy_count(linear: float, capacity: float, max_coverage: float = 0.98) -> float:
    """People from the linear foreground count of a region and its capacity (the count if all
    of it were foreground), correcting for silhouettes hiding each other."""
    if capacity <= 0:
        return 0.0
    coverage = min(linear / capacity, max_coverage)
    return -capacity * float(np.log1p(-coverage))


def unblurred_height_m(height_m: float, person_px: float, margin_px: float,
                       body: BodyModel = BodyModel()) -> float:
    """A reading's height less the blur margin: blur and mask smoothing grow every blob by
    about ``margin_px`` a side, a large share of a small figure (a 0.6-m roller reads 0.85 m
    where a standing body is 54 px tall). ``person_px``: a standing body's image height there."""
    return height_m - 2.0 * margin_px * body.person_height_m / max(person_px, 1.0)


def box_of(blob: Blob) -> tuple[int, int, int, int]:
    return tuple(int(round(v)) for v in blob.box)
