"""The floor plan: plain, documented geometry that the simulator, the renderers, walking and
danger detection all read, and none of them recomputes.

A :class:`FloorPlan` holds zones (polygons with their area, allowed flow and level-of-service
space band), rows of processors (where each e-gate, desk or customs officer stands, the way
travelers pass through, the queue path), baggage belts, the doors between zones that travelers
walk between, and the CCTV cameras over the floor. Everything is in terminal metres (x east,
y north); arrays are read-only.

Where a plan comes from is not its concern: :func:`sim.layout.floor_plan` derives one from a
scenario, :mod:`floorplan.site` reads one from a site file (the service's input).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from floorplan.camera import CameraModel
from floorplan.shapes import bounds, bounds_centre

__all__ = ["ZONE_KINDS", "PROCESSOR_KINDS", "Belt", "Door", "FloorPlan", "PlanError", "PlanZone",
           "ProcessorRow"]

# The zone kinds of an arrivals floor (the scenario's ZoneKind values).
ZONE_KINDS = ("gate", "immigration_hall", "baggage_reclaim", "customs", "exit", "corridor")
PROCESSOR_KINDS = ("egate", "desk", "customs")
DEFAULT_QUEUE_M = 5.0  # an unroped queue lines up this far straight back from processor 0


class PlanError(ValueError):
    """A plan whose parts do not fit together; the message names the field path and value."""


def _frozen_points(value, what: str, min_points: int) -> np.ndarray:
    pts = np.array(value, dtype=float)  # a copy: the plan owns its arrays
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < min_points:
        raise PlanError(f"{what}: must be at least {min_points} (x, y) points, "
                        f"got shape {pts.shape}")
    pts.flags.writeable = False
    return pts


@dataclass(frozen=True, eq=False)
class PlanZone:
    """A zone of the floor. ``flow`` is the unit vector travelers are allowed to move along
    (None: any way); the space band is IATA's m² per person, below ``space_low_m2`` sub-optimum
    (None: the zone has no band)."""

    id: str
    kind: str  # one of ZONE_KINDS
    polygon: np.ndarray  # (N, 2), N >= 3
    area_m2: float  # the floor area the queueing model counts with (not the polygon's)
    flow: tuple[float, float] | None = None
    space_low_m2: float | None = None
    space_high_m2: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "polygon", _frozen_points(self.polygon, f"zone {self.id}: "
                                                           "polygon", 3))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return bounds(self.polygon)

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the zone's bounding box."""
        return bounds_centre(self.polygon)


@dataclass(frozen=True, eq=False)
class ProcessorRow:
    """A row of processors of one group (an e-gate bank, a desk group, the customs officers).

    ``points`` are where each processor stands, processor 0 first (one point even for a closed
    row, so its queue has a head); ``through`` is the unit vector a traveler moves along when
    passing one, queue side to exit side. ``queue_path`` is the roped queue, head first (None:
    no ropes; travelers line up along :meth:`queue_line`)."""

    id: str
    kind: str  # one of PROCESSOR_KINDS
    zone: str  # the zone the row stands in ("" when in none)
    points: np.ndarray  # (n, 2)
    through: tuple[float, float]
    queue_path: np.ndarray | None
    spacing_m: float  # between neighbouring processors
    slot_spacing_m: float  # between travelers standing in the queue

    def __post_init__(self):
        object.__setattr__(self, "points", _frozen_points(self.points, f"row {self.id}: "
                                                          "points", 1))
        if self.queue_path is not None:
            object.__setattr__(self, "queue_path", _frozen_points(
                self.queue_path, f"row {self.id}: queue_path", 2))

    def queue_line(self) -> np.ndarray:
        """Where travelers queue, head first: the roped path, or a straight line back from
        processor 0 against ``through``."""
        if self.queue_path is not None:
            return self.queue_path
        head = self.points[0]
        return np.array([head, head - DEFAULT_QUEUE_M * np.asarray(self.through, float)])

    @property
    def queue_slots(self) -> int:
        """How many travelers the queue holds standing ``slot_spacing_m`` apart along its line
        (the roped serpentine's capacity; beyond it the queue spills into the hall)."""
        line = self.queue_line()
        length = float(np.hypot(*np.diff(line, axis=0).T).sum())
        return int(length / self.slot_spacing_m + 1e-9) + 1  # 4 m at 0.8 m: 6 slots


@dataclass(frozen=True)
class Belt:
    """A baggage belt: a stadium (two half circles joined by straights) running along y."""

    zone: str
    centre: tuple[float, float]
    half_length_m: float  # of the straights, from the centre
    half_width_m: float  # radius of the ends


@dataclass(frozen=True)
class Door:
    """Where travelers leave ``zone`` for ``toward``: a point on ``zone``'s outline. A door with
    a width is an opening in the wall the two zones share, which walking routes pass through
    (:mod:`floorplan.routing`); 0: a point only (plans without walls)."""

    zone: str
    toward: str
    xy: tuple[float, float]
    width_m: float = 0.0


def _known(ids) -> str:
    return ", ".join(ids) or "none"


@dataclass(frozen=True, eq=False)
class FloorPlan:
    name: str  # what it is the plan of (a scenario's name, a site's)
    zones: tuple[PlanZone, ...]
    rows: tuple[ProcessorRow, ...] = ()
    belts: tuple[Belt, ...] = ()
    doors: tuple[Door, ...] = ()
    cameras: tuple[CameraModel, ...] = ()
    barriers: tuple[np.ndarray, ...] = ()  # walls and rope lines inside zones: polylines (M, 2)

    def __post_init__(self):
        for field in ("zones", "rows", "belts", "doors", "cameras"):
            object.__setattr__(self, field, tuple(getattr(self, field)))
        object.__setattr__(self, "barriers", tuple(
            _frozen_points(b, f"barriers[{i}]", 2) for i, b in enumerate(self.barriers)))
        errs = []
        zones = [z.id for z in self.zones]
        for field, ids in (("zones", zones), ("rows", [r.id for r in self.rows]),
                           ("cameras", [c.id for c in self.cameras])):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                errs.append(f"{field}: ids must be unique, got {', '.join(dup)} more than once")
        refs = [(f"zones[{i}].kind", z.kind, ZONE_KINDS) for i, z in enumerate(self.zones)]
        refs += [(f"rows[{i}].kind", r.kind, PROCESSOR_KINDS) for i, r in enumerate(self.rows)]
        refs += [(f"rows[{i}].zone", r.zone, ["", *zones]) for i, r in enumerate(self.rows)]
        refs += [(f"belts[{i}].zone", b.zone, zones) for i, b in enumerate(self.belts)]
        refs += [(f"doors[{i}].{end}", getattr(d, end), zones)
                 for i, d in enumerate(self.doors) for end in ("zone", "toward")]
        refs += [(f"cameras[{i}].zone", c.zone, zones) for i, c in enumerate(self.cameras)]
        for where, value, known in refs:
            if value not in known:
                errs.append(f"{where}: unknown {where.rsplit('.', 1)[1]} {value!r} "
                            f"(known: {_known(k for k in known if k)})")
        if errs:
            raise PlanError("\n".join(errs))

    # --- look-ups ---------------------------------------------------------------------------
    def _by_id(self, items, wanted: str, what: str):
        for item in items:
            if item.id == wanted:
                return item
        raise KeyError(f"unknown {what} {wanted!r} (plan {self.name} has: "
                       f"{_known(i.id for i in items)})")

    def zone(self, zone_id: str) -> PlanZone:
        return self._by_id(self.zones, zone_id, "zone")

    def row(self, row_id: str) -> ProcessorRow:
        return self._by_id(self.rows, row_id, "processor row")

    def camera(self, camera_id: str) -> CameraModel:
        return self._by_id(self.cameras, camera_id, "camera")

    @cached_property
    def _door_xy(self) -> dict[tuple[str, str], tuple[float, float]]:
        return {(d.zone, d.toward): d.xy for d in self.doors}  # walking asks once per walk

    def door(self, zone_id: str, toward: str) -> np.ndarray:
        """The door point on ``zone_id``'s outline towards ``toward`` (a (2,) array)."""
        xy = self._door_xy.get((zone_id, toward))
        if xy is not None:
            return np.asarray(xy, float)
        raise KeyError(f"no door from zone {zone_id!r} towards {toward!r} (plan {self.name} has "
                       f"doors: {_known(f'{d.zone}->{d.toward}' for d in self.doors)})")

    def doors_of(self, zone_id: str) -> list[Door]:
        """The doors in ``zone_id``'s outline, ordered by the zone they lead to."""
        return sorted((d for d in self.doors if d.zone == zone_id), key=lambda d: d.toward)

    def belts_in(self, zone_id: str) -> list[Belt]:
        return [b for b in self.belts if b.zone == zone_id]

    def rows_in(self, zone_id: str) -> list[ProcessorRow]:
        return [r for r in self.rows if r.zone == zone_id]

    @property
    def walled(self) -> bool:
        """Whether walking routes come from this plan: it has doors with a width."""
        return any(d.width_m > 0 for d in self.doors)
