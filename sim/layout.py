"""Default floor geometry for scenarios that give areas but no polygons or placements.

Only rendering uses geometry (the queueing model needs walking distances and counts), so a
scenario may leave it out; this fills a plain plan: zones as rectangles left to right in file
order, processors in a row along the far wall of their zone, each queue snaking straight back.
"""

from __future__ import annotations

import math

from sim.scenario import Placement, Scenario, Zone, ZoneKind

GAP_M = 5.0


def zone_bounds(zone: Zone) -> tuple[float, float, float, float]:
    xs = [p[0] for p in zone.polygon]
    ys = [p[1] for p in zone.polygon]
    return min(xs), min(ys), max(xs), max(ys)


def zone_centroid(zone: Zone) -> tuple[float, float]:
    x0, y0, x1, y1 = zone_bounds(zone)
    return (x0 + x1) / 2, (y0 + y1) / 2


def _rectangles(zones: list[Zone]) -> list[Zone]:
    out, x = [], 0.0
    for z in zones:
        if z.polygon is not None:
            out.append(z)
            x = max(x, zone_bounds(z)[2] + GAP_M)
            continue
        width = math.sqrt(z.area_m2 * 1.5)
        depth = z.area_m2 / width
        poly = [(x, 0.0), (x + width, 0.0), (x + width, depth), (x, depth)]
        out.append(z.model_copy(update={"polygon": poly}))
        x += width + GAP_M
    return out


def _place_row(groups, zone: Zone):
    """Processors along the top wall of ``zone``, queues running down towards the entrance."""
    x0, y0, x1, y1 = zone_bounds(zone)
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
