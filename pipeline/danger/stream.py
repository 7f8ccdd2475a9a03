"""One camera's analysis, frame after frame: detect → measure on the floor → track → rules.

A :class:`CameraStream` holds everything that carries from frame to frame (the learnt
background, the tracks, each rule's timers), so a camera needs one stream and frames must come in
time order. The same stream serves a sim run (:mod:`experiments.danger_run`) and the HTTP
endpoint (:mod:`pipeline.service.routes_danger`, through :mod:`pipeline.danger.monitor`). A
stream is built from a floor plan and one of its cameras (:meth:`CameraStream.from_plan`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from floorplan.plan import FloorPlan
from floorplan.shapes import points_in_polygon
from pipeline.camera_queue import OutOfOrderError
from pipeline.danger.config import DangerConfig, overridden
from pipeline.danger.detect import make_detector
from pipeline.danger.floor import FloorMap
from pipeline.danger.geometry import SceneGeometry, scene_geometry
from pipeline.danger.tailgating import judged_gates
from pipeline.danger.observe import (BodyModel, DensityMap, Observation, Observer, crowd_factors,
                                     occupancy_count, viewing_span)
from pipeline.danger.overcrowding import front_windows
from pipeline.danger.rules import make_rules
from pipeline.danger.scene import Alert, Region, Scene
from pipeline.danger.association import make_floor_tracker
from pipeline.danger.track import TrackerConfig
from pipeline.vision.detections import PersonDetector, check_frame
from pipeline.vision.heads import HeadDetector


class StreamError(OutOfOrderError):
    """Frames a stream cannot take in this order (time going backwards)."""


@dataclass(frozen=True, slots=True)
class TrackedObject:
    track_id: int
    kind: str  # person, group, lying, object
    box: tuple[int, int, int, int]
    xy: tuple[float, float]  # floor position, metres
    speed_mps: float | None
    zone: str


@dataclass(frozen=True)
class FrameResult:
    camera: str
    t: float
    objects: tuple[TrackedObject, ...]
    alerts: tuple[Alert, ...]
    density: dict[str, float]  # floor tile → persons/m²
    latency_s: float


class CameraStream:
    def __init__(self, camera: str, floor: FloorMap, geometry: SceneGeometry,
                 config: DangerConfig = DangerConfig(), detector: PersonDetector | None = None):
        self.camera, self.floor, self.geometry, self.config = camera, floor, geometry, config
        opts = dict(config.detector.options)
        if config.detector.backend in ("mog2", "knn"):
            opts.setdefault("fps", config.analysis_fps)
        self.detector = detector or make_detector(config.detector.backend, **opts)
        self.body = overridden(BodyModel, config.body, "body")
        self.tracker_cfg = overridden(TrackerConfig, config.tracker, "tracker")
        self.observer = Observer(floor, self.body)
        self.tracker = make_floor_tracker(self.tracker_cfg, config.association,
                                          config.analysis_fps)
        self.rules = make_rules(config, self.body)
        self.regions: dict[str, Region] = {}
        self._density: DensityMap | None = None
        self._cells: dict[str, np.ndarray] = {}  # density cells: name → floor polygon
        self._windows: dict[str, list[str]] = {}  # density windows: name → its cells
        self._window_boxes: dict[str, tuple[float, float, float, float]] = {}
        self.crowd_factors: dict[str, float] = {}  # density window → hidden-people scale
        self._last_t: float | None = None
        self._prepared = False
        self._judged_gates = judged_gates(floor, geometry.gates, config.rules.tailgating)
        self.head_detector = None  # crops of near walk-ups at the gates (head_vote_px)

    @classmethod
    def from_plan(cls, plan: FloorPlan, camera_id: str, config: DangerConfig = DangerConfig(),
                  detector: PersonDetector | None = None) -> "CameraStream":
        """The stream of ``camera_id``, one of the plan's CCTV cameras (KeyError naming the
        known ones otherwise)."""
        floor = FloorMap.from_camera(plan.camera(camera_id))
        return cls(camera_id, floor, scene_geometry(plan), config, detector)

    @property
    def size(self) -> tuple[int, int]:
        return self.floor.size

    @property
    def last_t(self) -> float | None:
        """Time of the last frame analysed (None before the first)."""
        return self._last_t

    def check_time(self, t: float) -> None:
        """:class:`StreamError` unless a frame at ``t`` may come next (after the last one)."""
        if self._last_t is not None and t <= self._last_t:
            raise StreamError(f"{t} is not after camera {self.camera}'s previous frame at "
                              f"{self._last_t}; frames of a camera must come in time order")

    def prepare(self) -> None:
        self.detector.prepare()
        self._build_regions()
        self._prepared = True

    @property
    def looks_at_pixels(self) -> bool:
        """A rule looks at the frame's pixels (tailgating's head vote, at a judged gate): pass
        :meth:`judge` the frame, or a function that renders it."""
        return bool(self.config.rules.tailgating.head_vote_px and self._judged_gates)

    def reset(self) -> None:
        self.detector.reset()
        self.tracker.reset()
        self.rules = make_rules(self.config, self.body)
        self._last_t = None

    def _build_regions(self) -> None:
        """Density windows over the zones in view that have a level-of-service band: a grid of
        half-window cells, and windows of 2 x 2 cells at a stride of one cell, so a crowd is
        never split between two windows that each look half as dense."""
        p = self.config.rules.overcrowding
        half = p.cell_m / 2
        cells: dict[str, np.ndarray] = {}
        windows: dict[str, list[str]] = {}
        w, h = self.size
        for z in self.geometry.zones:
            if z.space_low_m2 is None:
                continue
            view = self.floor.visible_floor(z.polygon, p.max_range_m).astype(np.float32)
            if len(view) < 3:
                continue
            x0, y0 = view.min(axis=0)
            nx = int(np.ceil((view[:, 0].max() - x0) / half))
            ny = int(np.ceil((view[:, 1].max() - y0) / half))
            for i in range(nx):
                for j in range(ny):
                    x, y = x0 + i * half, y0 + j * half
                    sq = np.array([[x, y], [x + half, y], [x + half, y + half], [x, y + half]],
                                  np.float32)
                    area, inter = cv2.intersectConvexConvex(sq, view)
                    if inter is not None and area > 0.05:
                        cells[f"{z.id}:{i}.{j}"] = inter.reshape(-1, 2).astype(float)
            for i in range(nx - 1):
                for j in range(ny - 1):
                    members = [f"{z.id}:{i + a}.{j + b}" for a in (0, 1) for b in (0, 1)]
                    members = [m for m in members if m in cells]
                    if not members:
                        continue
                    area = sum(float(cv2.contourArea(cells[m].astype(np.float32))) for m in members)
                    if area < p.min_cell_area_m2:
                        continue
                    uv = self.floor.floor_to_image(np.vstack([cells[m] for m in members]))
                    box = (max(0, int(uv[:, 0].min())), max(0, int(uv[:, 1].min())),
                           min(w, int(uv[:, 0].max())), min(h, int(uv[:, 1].max())))
                    name = f"{z.id}:{i}.{j}+"
                    windows[name] = members
                    self.regions[name] = Region(name, z.id, area, box, 1.0 / z.space_low_m2)
        self._cells, self._windows = cells, windows
        self._window_boxes = {}
        for name, members in windows.items():
            pts = np.vstack([cells[m] for m in members])
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            self._window_boxes[name] = (float(x0), float(y0), float(x1), float(y1))
        centres = np.array([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]
                            for b in self._window_boxes.values()]).reshape(-1, 2)
        factors = (crowd_factors(self.floor, centres, p.crowd_span_m, p.crowd_factor,
                                 self.body, p.crowd_factor_min) if p.crowd_span_m > 0
                   else np.full(len(centres), p.crowd_factor))
        self.crowd_factors = dict(zip(self._window_boxes, factors.tolist()))
        fronts = front_windows(list(self._window_boxes), centres,
                               [self.regions[n].zone for n in self._window_boxes],
                               self.floor.camera_floor_position(), half)
        spans = viewing_span(self.floor, centres, self.body)
        for (name, front), span in zip(fronts.items(), spans.tolist()):
            self.regions[name] = replace(self.regions[name], front=front, body_span_m=span)
        scale = getattr(self.detector, "scale", 1.0)
        self._density = DensityMap(self.floor, cells, scale, self.body) if cells else None

    def _window_density(self, counts: dict[str, float], overlap: bool) -> dict[str, float]:
        """Persons/m² per window; ``overlap``: counts are foreground areas, to be corrected for
        people hiding each other."""
        out = {}
        for name, members in self._windows.items():
            n = sum(counts[m] for m in members)
            if overlap:  # people hidden behind others: the occupancy model, then the view's
                n = occupancy_count(n, sum(self._density.capacity[m] for m in members))
                n *= self.crowd_factors[name]
            out[name] = n / self.regions[name].area_m2
        return out

    def process(self, image: np.ndarray, t: float) -> FrameResult:
        """Analyse one frame taken at ``t`` seconds (the stream's clock)."""
        started = time.perf_counter()
        obs, density = self.measure(image, t)
        return self.judge(t, obs, density, started, image)

    def measure(self, image: np.ndarray,
                t: float) -> tuple[list[Observation], dict[str, float] | None]:
        """Detect and measure one frame: its observations, and the density per window from the
        foreground mask (None from box-only detectors: :meth:`judge` counts tracks then)."""
        if not self._prepared:
            self.prepare()
        check_frame(image, self.size, f"frame of camera {self.camera}")
        self.check_time(t)
        self._last_t = t
        hold = getattr(self.detector, "hold", None)
        if hold is not None:  # still people stay foreground (TrackerConfig.hold_still_s)
            hold(self.tracker.held_boxes())
        det = self.detector.detect(image)
        obs: list[Observation] = self.observer.observe(det)
        density = None
        if self._density is not None and det.mask is not None:
            density = self._window_density(self._density.counts(det.mask), overlap=True)
        return obs, density

    def judge(self, t: float, obs: list[Observation], density: dict[str, float] | None,
              started: float | None = None,
              image: np.ndarray | Callable[[], np.ndarray] | None = None) -> FrameResult:
        """Track this frame's observations and run the rules. Another stream's
        :meth:`measure` may feed it (trackers compared on the same detections). ``image``: the
        frame (or a function that renders it, called only if a rule looks at it), for the
        rules that look at a figure's pixels (tailgating's head vote); None: they go without."""
        started = time.perf_counter() if started is None else started
        if not self._prepared:
            self.prepare()
        self._last_t = t
        tracks = self.tracker.update(t, obs)
        confirmed = [tr for tr in tracks if tr.confirmed]
        if density is None:  # box-only detectors: count the people standing in each cell
            density = (self._window_density(self._counts_from_tracks(confirmed), overlap=False)
                       if self._cells else {})
        r = self.config.rules
        scene = Scene(t, self.camera, confirmed, self.geometry, density, self.regions,
                      r.min_person_px, r.min_shape_px, r.crowd_share, self._window_boxes,
                      self._judged_gates, self.floor, self._heads_in(image))
        alerts = [a for rule in self.rules for a in rule.update(scene)]
        objects = tuple(
            TrackedObject(tr.id, tr.kind, tuple(int(v) for v in tr.box), tr.xy,
                          tr.speed(1.0, t), self.geometry.zone_at(tr.xy))
            for tr in confirmed if tr.seen)
        return FrameResult(self.camera, t, objects, tuple(alerts), density,
                           time.perf_counter() - started)

    def _heads_in(self, image) -> Callable[[tuple], tuple[np.ndarray, np.ndarray]] | None:
        """The frame's heads around a box, for the rules: the frame rendered and the head
        detector built on the first ask only."""
        if image is None or not self.looks_at_pixels:
            return None
        frame: list[np.ndarray] = []

        def heads_in(box: tuple) -> tuple[np.ndarray, np.ndarray]:
            if self.head_detector is None:
                self.head_detector = HeadDetector(edge_pad=0)
                self.head_detector.prepare()
            if not frame:
                frame.append(image() if callable(image) else image)
            return self.head_detector.heads_in_box(frame[0], box)
        return heads_in

    def _counts_from_tracks(self, tracks) -> dict[str, float]:
        pts = np.array([tr.xy for tr in tracks if tr.seen]).reshape(-1, 2)
        return {name: float(points_in_polygon(pts, poly).sum()) if len(pts) else 0.0
                for name, poly in self._cells.items()}
