"""What the rules see each analysed frame (:class:`Scene`) and what they report
(:class:`Alert`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pipeline.danger.floor import FloorMap
from pipeline.danger.geometry import SceneGeometry
from pipeline.danger.track import Track


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    camera: str
    t: float  # seconds of the stream's clock (the run's time in a sim run)
    zone: str
    track_ids: tuple[int, ...]
    confidence: float  # in [0, 1]
    box: tuple[int, int, int, int]  # x1, y1, x2, y2: where to crop a thumbnail
    detail: str = ""


@dataclass(frozen=True)
class Region:
    """A floor tile densities are measured on."""

    name: str
    zone: str
    area_m2: float
    box: tuple[int, int, int, int]  # its extent in the image
    limit_per_m2: float | None  # the zone's LoS density limit; None = not watched
    # Along the camera's line of sight (density windows only): the overlapping window one cell
    # nearer the camera (None: none), and the floor depth one standing body covers in the
    # image here (:func:`pipeline.danger.observe.viewing_span`).
    front: str | None = None
    body_span_m: float = 0.0


@dataclass
class Scene:
    t: float
    camera: str
    tracks: list[Track]  # confirmed tracks, seen now or coasting
    geometry: SceneGeometry
    density: dict[str, float] = field(default_factory=dict)  # region → persons/m²
    regions: dict[str, Region] = field(default_factory=dict)
    min_person_px: float = 0.0
    min_shape_px: float = 0.0
    crowd_share: float = math.inf
    windows: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    # Indices of the e-gates the camera resolves well enough to judge tailgating at; None = all
    # (no floor map to tell, e.g. hand-built scenes).
    judged_gates: frozenset[int] | None = None
    floor: FloorMap | None = None  # the camera's projection (None: hand-built scenes)
    # Heads around a figure in this frame: box (x1 y1 x2 y2, image px) -> head boxes (N, 4)
    # and scores (:meth:`pipeline.vision.heads.HeadDetector.heads_in_box`); None: no frame or
    # no head detector (the rules that ask go without)
    heads_in: Callable[[tuple], tuple[np.ndarray, np.ndarray]] | None = None

    def zone_of(self, tr: Track) -> str:
        return self.geometry.zone_at(tr.xy)

    def on_floor(self, tr: Track) -> bool:
        """Its foot point lies in a zone of the plan: a blob whose foot point falls beyond the
        walls is on a wall, a sign or behind glass, not on the floor being watched."""
        return self.zone_of(tr) != ""

    def readable(self, tr: Track) -> bool:
        """Near enough, and whole in the picture, that its speed and direction can be judged."""
        last = tr.samples[-1]
        return last.person_px >= self.min_person_px and not last.clipped

    def shapely(self, tr: Track, min_px: float | None = None) -> bool:
        """Near enough to tell a bag or a body on the floor from part of a hidden person (a
        standing body there at least ``min_px``, default ``min_shape_px``, tall in the image)."""
        last = tr.samples[-1]
        return (last.person_px >= (self.min_shape_px if min_px is None else min_px)
                and not last.clipped)

    def lying_height_m(self, xy) -> float:
        """The tallest a body lying on the floor at ``xy`` reads (along the line of sight,
        :meth:`FloorMap.lying_height_m`); inf without a floor map."""
        return math.inf if self.floor is None else float(self.floor.lying_height_m(xy)[0])

    def crowded(self, xy) -> bool:
        """In a density window above ``crowd_share`` of its limit."""
        for name, (x0, y0, x1, y1) in self.windows.items():
            if x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1:
                limit = self.regions[name].limit_per_m2
                if limit and self.density.get(name, 0.0) >= self.crowd_share * limit:
                    return True
        return False


def int_box(b) -> tuple[int, int, int, int]:
    return tuple(int(round(v)) for v in b)


def confidence(value: float, threshold: float) -> float:
    """0.5 at the threshold, towards 1 as the value doubles it."""
    return float(min(1.0, 0.5 + 0.5 * max(0.0, value / threshold - 1.0)))
