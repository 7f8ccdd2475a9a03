"""Site files: a floor plan as plain YAML, the input of the service's danger detection.

A site file says everything danger detection needs to know about the floor its cameras watch,
and nothing about how it was made. Write one from a scenario with
``airtwin site export SCENARIO --out site.yaml``, or by hand for a real site::

    version: 1
    name: incidents_demo
    zones:                       # polygons in metres, x east, y north
      - {id: immigration_hall, kind: immigration_hall, area_m2: 1200,
         polygon: [[0, 0], [40, 0], [40, 30], [0, 30]],
         flow: [0.0, 1.0],        # allowed direction of movement (unit vector), or null
         space_m2: [1.0, 1.2]}    # IATA space band, m² per person: low, high (or null)
    rows:                        # rows of processors: e-gates, desks, customs officers
      - {id: egates, kind: egate, zone: immigration_hall, points: [[12, 21], [13.2, 21]],
         through: [0.0, 1.0], queue_path: [[12.6, 19], [12.6, 10]], spacing_m: 1.2,
         slot_spacing_m: 0.8}
    belts: [{zone: reclaim, centre: [25, 60], half_length_m: 12, half_width_m: 2.5}]
    doors: [{zone: immigration_hall, toward: reclaim, xy: [20, 30]}]
    cameras:                     # position: x, y, height (m); yaw from east, tilt below level
      - {id: hall_south, zone: immigration_hall, resolution: [1280, 720],
         position: [0.5, 0.5, 7.0], yaw_deg: 22, tilt_deg: 35, fov_deg: 80}

Reading validates with a frozen schema that forbids unknown fields; every error names the file,
the field path and the value (``site.yaml: cameras[0].zone: unknown zone 'hal' (known: ...)``).
Writing then reading gives back the same plan, float for float.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from floorplan.camera import CameraError, CameraModel
from outputs.atomic import write_text
from floorplan.plan import (PROCESSOR_KINDS, ZONE_KINDS, Belt, Door, FloorPlan, PlanError,
                            PlanZone, ProcessorRow)

__all__ = ["SITE_VERSION", "SiteError", "parse_site", "read_site", "site_document", "write_site"]

SITE_VERSION = 1
ID = r"^[A-Za-z0-9_\-]+$"
Point = tuple[float, float]


class SiteError(ValueError):
    """A site file that cannot be used; ``str()`` names the file, the field path and the value."""


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ZoneEntry(_Entry):
    id: str = Field(pattern=ID)
    kind: Literal[ZONE_KINDS]
    area_m2: float = Field(gt=0)
    polygon: list[Point] = Field(min_length=3)
    flow: Point | None = None
    space_m2: tuple[float, float] | None = None  # low, high m² per person


class RowEntry(_Entry):
    id: str = Field(pattern=ID)
    kind: Literal[PROCESSOR_KINDS]
    zone: str = ""
    points: list[Point] = Field(min_length=1)
    through: Point
    queue_path: list[Point] | None = Field(default=None, min_length=2)
    spacing_m: float = Field(gt=0)
    slot_spacing_m: float = Field(default=0.8, gt=0)


class BeltEntry(_Entry):
    zone: str
    centre: Point
    half_length_m: float = Field(gt=0)
    half_width_m: float = Field(gt=0)


class DoorEntry(_Entry):
    zone: str
    toward: str
    xy: Point
    width_m: float = Field(default=0.0, ge=0)  # an opening walking routes pass (0: a point)


class CameraEntry(_Entry):
    id: str = Field(pattern=ID)
    zone: str
    resolution: tuple[int, int]
    position: tuple[float, float, float]
    yaw_deg: float
    tilt_deg: float
    fov_deg: float
    faces: bool = False  # a camera placed to see faces


class SiteFile(_Entry):
    version: Literal[1] = SITE_VERSION
    name: str = ""
    zones: list[ZoneEntry] = Field(min_length=1)
    rows: list[RowEntry] = Field(default_factory=list)
    belts: list[BeltEntry] = Field(default_factory=list)
    doors: list[DoorEntry] = Field(default_factory=list)
    cameras: list[CameraEntry] = Field(default_factory=list)


# --- reading -------------------------------------------------------------------------------

def _where(loc) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _problem(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown field (not in the site schema; check the spelling), got {err['input']!r}"
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "too_short":
        return f"must have at least {err['ctx']['min_length']} items, got {err['input']!r}"
    return f"{err['msg'].removeprefix('Value error, ')}, got {err.get('input')!r}"


def _direction(v, where: str) -> tuple[float, float]:
    """A unit vector; a file may give any non-zero length (a unit one is kept as written, so a
    written plan reads back float for float)."""
    x, y = float(v[0]), float(v[1])
    n = float(np.hypot(x, y))
    if not n > 0:
        raise PlanError(f"{where}: must be a non-zero direction, got {list(v)}")
    return (x, y) if abs(n - 1.0) < 1e-12 else (x / n, y / n)


def _plan(site: SiteFile) -> FloorPlan:
    zones = []
    for i, z in enumerate(site.zones):
        low, high = z.space_m2 if z.space_m2 is not None else (None, None)
        if low is not None and not 0 < low <= high:
            raise PlanError(f"zones[{i}].space_m2: must be 0 < low <= high, got {list(z.space_m2)}")
        zones.append(PlanZone(z.id, z.kind, z.polygon, z.area_m2,
                              None if z.flow is None else _direction(z.flow, f"zones[{i}].flow"),
                              low, high))
    rows = [ProcessorRow(r.id, r.kind, r.zone, r.points,
                         _direction(r.through, f"rows[{i}].through"), r.queue_path,
                         r.spacing_m, r.slot_spacing_m) for i, r in enumerate(site.rows)]
    cameras = []
    for i, c in enumerate(site.cameras):
        try:
            cameras.append(CameraModel(c.id, c.resolution[0], c.resolution[1], c.position,
                                       c.yaw_deg, c.tilt_deg, c.fov_deg, c.zone, c.faces))
        except CameraError as exc:
            raise PlanError(f"cameras[{i}]: {exc}") from None
    return FloorPlan(site.name, tuple(zones), tuple(rows),
                     tuple(Belt(b.zone, b.centre, b.half_length_m, b.half_width_m)
                           for b in site.belts),
                     tuple(Door(d.zone, d.toward, d.xy, d.width_m) for d in site.doors),
                     tuple(cameras))


def parse_site(data: Any, source: str = "<site>") -> FloorPlan:
    """A plan from an already-parsed mapping; errors name ``source``."""
    if not isinstance(data, dict):
        raise SiteError(f"{source}: (top level): must be a mapping of fields, "
                        f"got {type(data).__name__}")
    try:
        site = SiteFile.model_validate(data)
    except ValidationError as exc:
        raise SiteError("\n".join(f"{source}: {_where(e['loc'])}: {_problem(e)}"
                                  for e in exc.errors())) from None
    try:
        return _plan(site)
    except PlanError as exc:
        raise SiteError("\n".join(f"{source}: {line}" for line in str(exc).splitlines())) from None


def read_site(path: str | Path) -> FloorPlan:
    path = Path(path)
    if not path.is_file():
        raise SiteError(f"{path}: site file not found (make one from a scenario with "
                        f"`airtwin site export SCENARIO --out {path.name}`)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise SiteError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_site(data, str(path))


# --- writing -------------------------------------------------------------------------------

def _xy(p) -> list[float]:
    return [float(v) for v in p]


def _pts(a) -> list[list[float]]:
    return [_xy(p) for p in np.asarray(a, float)]


def site_document(plan: FloorPlan) -> dict:
    """The plan as the plain mapping a site file holds (floats as Python floats)."""
    return {
        "version": SITE_VERSION, "name": plan.name,
        "zones": [{"id": z.id, "kind": z.kind, "area_m2": float(z.area_m2),
                   "polygon": _pts(z.polygon), "flow": None if z.flow is None else _xy(z.flow),
                   "space_m2": None if z.space_low_m2 is None else
                   [float(z.space_low_m2), float(z.space_high_m2)]} for z in plan.zones],
        "rows": [{"id": r.id, "kind": r.kind, "zone": r.zone, "points": _pts(r.points),
                  "through": _xy(r.through),
                  "queue_path": None if r.queue_path is None else _pts(r.queue_path),
                  "spacing_m": float(r.spacing_m),
                  "slot_spacing_m": float(r.slot_spacing_m)} for r in plan.rows],
        "belts": [{"zone": b.zone, "centre": _xy(b.centre),
                   "half_length_m": float(b.half_length_m),
                   "half_width_m": float(b.half_width_m)} for b in plan.belts],
        "doors": [{"zone": d.zone, "toward": d.toward, "xy": _xy(d.xy),
                   **({"width_m": float(d.width_m)} if d.width_m else {})} for d in plan.doors],
        "cameras": [{"id": c.id, "zone": c.zone, "resolution": [int(c.width), int(c.height)],
                     "position": _xy(c.position), "yaw_deg": float(c.yaw_deg),
                     "tilt_deg": float(c.tilt_deg), "fov_deg": float(c.fov_deg),
                     **({"faces": True} if c.faces else {})}
                    for c in plan.cameras],
    }


class _FlowLists(yaml.SafeDumper):
    """Points and short number lists on one line, mappings in block style: a readable file."""


def _represent_list(dumper, data):
    flow = all(not isinstance(v, (dict, list)) for v in data) or all(
        isinstance(v, list) and len(v) <= 3 for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowLists.add_representer(list, _represent_list)


def write_site(plan: FloorPlan, path: str | Path, header: str = "") -> Path:
    """Write the plan as a site file, atomically (``header``: comment lines to open it with)."""
    path = Path(path)
    text = yaml.dump(site_document(plan), Dumper=_FlowLists, sort_keys=False, width=100)
    lead = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, lead + text)
