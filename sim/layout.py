"""The scenario's floor: default geometry where a scenario gives areas but no polygons or
placements (:func:`fill_layout`), and the scenario as a plain :class:`~floorplan.plan.FloorPlan`
(:func:`floor_plan`), which the renderers, walking and danger detection read.

Only rendering uses geometry (the queueing model needs walking distances and counts), so a
scenario may leave it out; :func:`fill_layout` fills a plain plan: zones as rectangles left to
right in file order, processors in a row along the far wall of their zone, each queue snaking
straight back. What the schema never places (customs officers, baggage belts, the mount of a
camera without a position, the ends of typed walks where no door is given) is derived in
:func:`floor_plan`; ``terminal.doors`` and ``terminal.barriers`` pass through as given (walking
routes, :mod:`sim.walking`).
"""

from __future__ import annotations

import math

import numpy as np

from floorplan.camera import CameraModel
from floorplan.plan import Belt, Door, FloorPlan, PlanZone, ProcessorRow
from floorplan.shapes import bounds, bounds_centre, door_point, points_in_polygon
from sim.scenario import Camera, Placement, Scenario, SpaceBand, Zone, ZoneKind

__all__ = ["fill_layout", "floor_plan"]

GAP_M = 5.0
CAMERA_MOUNT_M = 6.0  # a camera without a position hangs this high in a corner of its zone


def _rectangles(zones: list[Zone]) -> list[Zone]:
    out, x = [], 0.0
    for z in zones:
        if z.polygon is not None:
            out.append(z)
            x = max(x, bounds(z.polygon)[2] + GAP_M)
            continue
        width = math.sqrt(z.area_m2 * 1.5)
        depth = z.area_m2 / width
        poly = [(x, 0.0), (x + width, 0.0), (x + width, depth), (x, depth)]
        out.append(z.model_copy(update={"polygon": poly, "laid_out": True}))
        x += width + GAP_M
    return out


def _place_row(groups, zone: Zone):
    """Processors along the top wall of ``zone``, queues running down towards the entrance."""
    x0, y0, x1, y1 = bounds(zone.polygon)
    n_total = sum(max(g.count, 1) for g in groups) + len(groups)
    spacing = max(0.8, min(2.0, (x1 - x0 - 2) / max(n_total, 1)))
    x, out = x0 + 1.0, []
    for g in groups:
        if g.placement is not None:
            out.append(g)
            continue
        n = max(g.count, 1)
        head_x = x + (n - 1) * spacing / 2
        placement = Placement(origin=(x, y1 - 1.5), spacing_m=spacing,
                              queue_path=[(head_x, y1 - 3.5), (head_x, y0 + 0.5)])
        out.append(g.model_copy(update={"placement": placement}))
        x += (n + 1) * spacing
    return out


def fill_layout(s: Scenario) -> Scenario:
    zones = _rectangles(list(s.terminal.zones))
    terminal = s.terminal.model_copy(update={"zones": zones})
    s = s.model_copy(update={"terminal": terminal})
    hall = s.zone_of_kind(ZoneKind.immigration_hall)
    groups = _place_row(list(s.immigration.egate_banks) + list(s.immigration.desks), hall)
    nb = len(s.immigration.egate_banks)
    imm = s.immigration.model_copy(update={"egate_banks": groups[:nb], "desks": groups[nb:]})
    return s.model_copy(update={"immigration": imm})


# --- the scenario as a floor plan ------------------------------------------------------------

def floor_plan(s: Scenario) -> FloorPlan:
    """The floor of ``s`` (laid out first where it gives no geometry) as a plain plan."""
    s = fill_layout(s)
    space = s.level_of_service.space
    zones = tuple(_plan_zone(z, space.get(z.kind.value)) for z in s.terminal.zones)
    rows = [_row(g.id, "egate", g.placement, g.count, zones) for g in s.immigration.egate_banks]
    rows += [_row(g.id, "desk", g.placement, g.count, zones) for g in s.immigration.desks]
    customs = s.zone_of_kind(ZoneKind.customs)
    rows.append(_row("customs", "customs", _customs_placement(customs, s.customs.officers),
                     s.customs.officers, zones))
    belts = tuple(b for z in s.terminal.zones if z.kind == ZoneKind.baggage_reclaim
                  for b in _reclaim_belts(z))
    cameras = tuple(_mount(s, c) for c in s.cameras if c.kind == "cctv")
    barriers = tuple(np.asarray(b.points, float) for b in s.terminal.barriers)
    return FloorPlan(s.name, zones, tuple(rows), belts, _doors(s, zones), cameras, barriers)


def _plan_zone(z: Zone, band: SpaceBand | None) -> PlanZone:
    flow = None
    if z.flow_direction is not None:
        v = np.asarray(z.flow_direction, float)
        n = float(np.hypot(*v))
        flow = (float(v[0] / n), float(v[1] / n)) if n > 0 else None
    return PlanZone(z.id, z.kind.value, z.polygon, z.area_m2, flow,
                    band.low_m2 if band else None, band.high_m2 if band else None)


def _row(group_id: str, kind: str, pl: Placement, count: int,
         zones: tuple[PlanZone, ...]) -> ProcessorRow:
    """Processors every ``spacing_m`` along +x from the placement's origin; travelers pass
    through them along y, away from the head of their queue."""
    points = np.asarray(pl.origin, float) + np.outer(np.arange(max(count, 1)), [pl.spacing_m, 0.0])
    head = (pl.queue_path or [pl.origin])[0]
    through = (0.0, float(np.sign(pl.origin[1] - head[1]) or 1.0))
    # The zone it stands in: the first (in file order) whose outline holds processor 0.
    zone = next((z.id for z in zones if points_in_polygon(points[:1], z.polygon)[0]), "")
    return ProcessorRow(group_id, kind, zone, points, through, pl.queue_path, pl.spacing_m,
                        pl.slot_spacing_m)


def _customs_placement(zone: Zone, officers: int) -> Placement:
    """Customs has no placement in the schema: officers along the zone's far wall, one queue."""
    x0, y0, x1, y1 = bounds(zone.polygon)
    n = max(officers, 1)
    spacing = max(1.0, min(2.0, 0.6 * (x1 - x0) / n))
    mid = (x0 + x1) / 2
    return Placement(origin=(mid - spacing * (n - 1) / 2, y1 - 1.5), spacing_m=spacing,
                     queue_path=[(mid, y1 - 3.5), (mid, y0 + 0.5)])


def _reclaim_belts(zone: Zone) -> list[Belt]:
    """Baggage belts laid out across the reclaim zone, one per ~1800 m² (at most 4)."""
    x0, y0, x1, y1 = bounds(zone.polygon)
    n = max(1, min(4, round(zone.area_m2 / 1800)))
    w = (x1 - x0) / n
    half_len = max(2.0, 0.3 * (y1 - y0))
    half_wid = min(2.5, 0.15 * w)
    return [Belt(zone.id, (x0 + w * (k + 0.5), (y0 + y1) / 2), half_len, half_wid)
            for k in range(n)]


def _doors(s: Scenario, zones: tuple[PlanZone, ...]) -> tuple[Door, ...]:
    """The scenario's doors (openings in shared walls, both ways round), and for each typed
    walk without one, both its ends: the point of each zone's outline nearest the other's
    middle."""
    by_id = {z.id: z for z in zones}
    out = {}
    for d in s.terminal.doors:
        a, b = d.between
        xy = (float(d.at[0]), float(d.at[1]))
        out[a, b] = Door(a, b, xy, float(d.width_m))
        out[b, a] = Door(b, a, xy, float(d.width_m))
    pairs = {(w.from_zone, w.to_zone) for w in s.terminal.walks}
    pairs |= {(b, a) for a, b in pairs}
    for a, b in sorted(pairs):
        if a != b and (a, b) not in out:
            out[a, b] = Door(a, b, tuple(float(v) for v in door_point(by_id[a].polygon,
                                                                       by_id[b].centre)))
    return tuple(out[k] for k in sorted(out))


def _mount(s: Scenario, cam: Camera) -> CameraModel:
    """A scenario camera; one without a position is mounted in a corner of its zone,
    ``CAMERA_MOUNT_M`` up, looking at the zone's middle."""
    pos, yaw, tilt = cam.position, cam.yaw_deg, cam.tilt_deg
    if pos is None:
        polygon = s.zone(cam.zone).polygon
        x0, y0, _, _ = bounds(polygon)
        cx, cy = bounds_centre(polygon)
        pos = (x0 + 1.0, y0 + 1.0, CAMERA_MOUNT_M)
        yaw = math.degrees(math.atan2(cy - pos[1], cx - pos[0]))
        tilt = min(60.0, max(15.0, math.degrees(math.atan2(pos[2], math.hypot(
            cx - pos[0], cy - pos[1])))))
    w, h = cam.resolution
    return CameraModel(cam.id, int(w), int(h), tuple(float(v) for v in pos), float(yaw),
                       float(tilt), float(cam.fov_deg), cam.zone, cam.faces is not None)
