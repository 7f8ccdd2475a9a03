"""Procedural danger-detection scenes: one immigration hall, one CCTV camera and a handful of
staged incidents and near misses per seed, so the rules are measured on halls nobody tuned
them on (issue 12).

Each seed draws (one ``numpy.random.Generator`` from ``SeedSequence([SCENE_SALT, seed])``):

- the hall: 28-50 m wide, 30-45 m deep, a rectangle or one with a chamfered south corner;
  desks and e-gates in one row 5-8 m from the north wall (desks west or east), their queues
  snaking south in front of them;
- the camera: on a corner or wall middle of the hall, 3-10 m up, tilt 20-60°, horizontal
  field of view 50-100°, 1280x720 or 1920x1080, aimed at a random point of the hall;
- the crowd: quiet, normal, busy or surge (flight size and spacing; a surge queues above the
  level-of-service band);
- ``STAGED`` incidents of kinds drawn in rotation over the seeds (so every kind appears), each
  with a random spot, start, duration, speed and direction, and one near miss (a brisk walk,
  a short stop, a bag picked up again, a fall with an immediate get-up, a second traveler a
  gate cycle behind). Actors of every kind but counterflow walk within 75° of the hall's flow
  (a runner, who laps back and forth, and a bag's owner who comes back walk across it; a crowd
  gathers from the south), so no scene stages an unlabelled counterflow.

**In view** means: the spot's foot point and a 1.7 m head above it lie inside the image with a
5 % margin, a standing person there is at least ``MIN_PERSON_PX`` tall, and the spot is
neither in a queue nor at a processor; a left bag's spot also shows the bag (not hidden behind
the processor row's desks or cabinets, :meth:`_View.bag_in_picture`); an overcrowding square has all four corners in view;
a tailgating gate has its approach and exit in view (no such gate: no tailgating in that
scene). Spots of incidents that overlap in time are at least ``MIN_APART_M`` apart.

A scene is plain scenario data (:func:`scene`), validated by ``sim.loader.parse_scenario``;
:func:`generate` writes them as YAML with a manifest. Deterministic by seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

TUNE_SEEDS = tuple(range(0, 20))
TEST_SEEDS = tuple(range(1000, 1040))
SPLITS = {"tune": TUNE_SEEDS, "test": TEST_SEEDS}
SCENE_SALT = 12_012  # issue 12: keeps these draws apart from every other use of a seed
KINDS = ("overcrowding", "abandoned_bag", "running", "fall", "loitering", "counterflow",
         "tailgating")
NEAR_MISS_KINDS = ("running", "loitering", "abandoned_bag", "fall", "tailgating")
STAGED = 3  # staged incidents per scene (plus one near miss)
MIN_PERSON_PX = 48.0  # a standing person at an incident's spot is at least this tall
MIN_APART_M = 8.0
BAG_OFFSET_M = 0.45  # a left bag stands this far beside its spot (sim.cctv.incidents)
BAG_HEIGHT_M = 0.55  # the part of a left bag that must show
LOITER_THRESHOLD_S = 120.0  # the site's loitering definition: the rule's default dwell
FIRST_INCIDENT_S = 330.0  # the hall has filled and the background is learnt by then
PREROLL_S = 90.0  # analysed before the first incident's lead-in; alerts there are dropped
BASELINE_S = 120.0  # incident-free tail analysed after the last incident
CROWDS = {  # passengers per flight, seconds between flights, desks, e-gates
    "quiet": (60, 900, (8, 12), (6, 10)),
    "normal": (180, 900, (8, 12), (6, 10)),
    "busy": (260, 600, (6, 10), (4, 8)),
    "surge": (320, 300, (4, 6), (4, 6)),
}


def _hall(rng):
    W, D = float(rng.uniform(28, 50)), float(rng.uniform(30, 45))
    shape = str(rng.choice(["rect", "chamfer_sw", "chamfer_se"]))
    c = float(rng.uniform(4, 8))
    poly = {"rect": [[0, 0], [W, 0], [W, D], [0, D]],
            "chamfer_sw": [[c, 0], [W, 0], [W, D], [0, D], [0, c]],
            "chamfer_se": [[0, 0], [W - c, 0], [W, c], [W, D], [0, D]]}[shape]
    return W, D, shape, [[round(x, 2), round(y, 2)] for x, y in poly]


def _processors(rng, W, D, crowd):
    _, _, (d_lo, d_hi), (e_lo, e_hi) = CROWDS[crowd]
    n_desk, n_gate = int(rng.integers(d_lo, d_hi + 1)), int(rng.integers(e_lo, e_hi + 1))
    row_y = round(D - float(rng.uniform(5, 8)), 2)
    desks_west = bool(rng.random() < 0.5)
    L_desk, L_gate = (n_desk - 1) * 1.6, (n_gate - 1) * 1.2
    x_desk = 3.0 if desks_west else W - 3.0 - L_desk
    x_gate = W - 3.0 - L_gate if desks_west else 3.0

    def placement(x0, L, spacing):
        head = x0 + L / 2
        path = [[head, row_y - 3], [head, row_y - 6], [x0, row_y - 6], [x0, row_y - 8],
                [x0 + L + 2, row_y - 8]]
        return {"origin": [round(x0, 2), row_y], "spacing_m": spacing,
                "queue_path": [[round(x, 2), round(y, 2)] for x, y in path]}

    return n_desk, n_gate, row_y, placement(x_desk, L_desk, 1.6), placement(x_gate, L_gate, 1.2)


def _camera(rng, W, D, poly, target=None):
    mounts = [(0.5, 0.5), (W - 0.5, 0.5), (0.5, D - 0.5), (W - 0.5, D - 0.5), (W / 2, 0.5),
              (0.5, D / 2), (W - 0.5, D / 2)]
    mx, my = mounts[int(rng.integers(len(mounts)))]
    from floorplan.shapes import points_in_polygon

    while not points_in_polygon(np.array([[mx, my]]), np.asarray(poly, float))[0]:
        mx, my = mx + (W / 2 - mx) * 0.1, my + (D / 2 - my) * 0.1  # off a chamfered corner
    tx, ty = rng.uniform(0.2 * W, 0.8 * W), rng.uniform(0.15 * D, 0.85 * D)
    if target is not None:  # a scene with tailgating looks at the e-gates
        tx, ty = target[0] + rng.uniform(-3, 3), target[1] + rng.uniform(-5, 1)
    res = [1280, 720] if rng.random() < 0.5 else [1920, 1080]
    return {"id": "cam", "zone": "immigration_hall", "kind": "cctv", "fps": 10,
            "resolution": res, "position": [round(mx, 2), round(my, 2),
                                            round(float(rng.uniform(3, 10)), 2)],
            "yaw_deg": round(math.degrees(math.atan2(ty - my, tx - mx)), 1),
            "tilt_deg": round(float(rng.uniform(20, 60)), 1),
            "fov_deg": round(float(rng.uniform(50, 100)), 1)}


def _base(seed, rng, aim_gates: bool = False) -> tuple[dict, dict]:
    crowd = str(rng.choice(list(CROWDS)))
    W, D, shape, poly = _hall(rng)
    n_desk, n_gate, row_y, desk_pl, gate_pl = _processors(rng, W, D, crowd)
    gx = gate_pl["origin"][0] + (n_gate - 1) * 0.6
    cam = _camera(rng, W, D, poly, (gx, row_y) if aim_gates else None)
    pax, every, _, _ = CROWDS[crowd]
    data = {
        "name": f"danger_scene_{seed}",
        "description": f"procedural danger scene, seed {seed} ({crowd} crowd, {shape} hall)",
        "seed": int(seed), "horizon_s": 3600.0,  # cut to the staged incidents below
        "terminal": {
            "zones": [
                {"id": "pier", "kind": "gate", "area_m2": 20 * W,
                 "polygon": [[0, -30], [W, -30], [W, -10], [0, -10]]},
                {"id": "immigration_hall", "kind": "immigration_hall",
                 "area_m2": round(_area(poly), 1), "polygon": poly, "flow_direction": [0, 1]},
                {"id": "reclaim", "kind": "baggage_reclaim", "area_m2": 2000,
                 "polygon": [[0, D + 10], [50, D + 10], [50, D + 50], [0, D + 50]]},
                {"id": "customs", "kind": "customs", "area_m2": 400,
                 "polygon": [[55, D + 20], [75, D + 20], [75, D + 40], [55, D + 40]]},
                {"id": "arrivals_hall", "kind": "exit", "area_m2": 400,
                 "polygon": [[80, D + 20], [100, D + 20], [100, D + 40], [80, D + 40]]},
            ],
            "walks": [{"from": "pier", "to": "immigration_hall", "distance_m": 150},
                      {"from": "immigration_hall", "to": "reclaim", "distance_m": 40},
                      {"from": "reclaim", "to": "customs", "distance_m": 30},
                      {"from": "customs", "to": "arrivals_hall", "distance_m": 20}],
            # the typed walks are shorter than the drawn hall: the model's walks cover the
            # routes sim.positions draws, so nobody is drawn running
            "walking": {"cover_drawn_routes": True},
        },
        "immigration": {
            "egate_banks": [{"id": "egates", "count": n_gate,
                             "transaction_time": {"dist": "lognormal", "mean": 13, "sd": 3},
                             "eligible": ["national", "resident"], "placement": gate_pl}],
            "desks": [{"id": "desks", "count": n_desk,
                       "classes": ["national", "resident", "visitor", "first_time_visitor"],
                       "service_time": {"dist": "lognormal", "mean": 60, "sd": 20},
                       "first_time_factor": 1.6, "placement": desk_pl}],
        },
        "flights": {"deplaning": {"door_open_s": {"dist": "uniform", "low": 30, "high": 90},
                                  "rate_per_min": 20},
                    "schedule": [{"id": f"GEN{k}", "time_s": float(k * every),
                                  "passengers": pax, "origin": "GEN", "gate": "pier"}
                                 for k in range(int(3600 // every))]},
        "travelers": {"mix": {"national": 0.5, "resident": 0.1, "visitor": 0.3,
                              "first_time_visitor": 0.1},
                      "party_size": {"dist": "empirical", "values": [1, 2, 3],
                                     "weights": [0.6, 0.3, 0.1]},
                      "walking_speed": {"dist": "lognormal", "mean": 1.3, "sd": 0.2},
                      "checked_bag_rate": 0.7},
        "cameras": [cam],
    }
    info = {"seed": int(seed), "crowd": crowd, "hall_shape": shape, "hall_w_m": round(W, 2),
            "hall_d_m": round(D, 2), "row_y": row_y, "resolution": f"{cam['resolution'][1]}p",
            "camera_height_m": cam["position"][2], "tilt_deg": cam["tilt_deg"],
            "fov_deg": cam["fov_deg"]}
    return data, info


def _area(poly) -> float:
    p = np.asarray(poly, float)
    return float(abs(np.dot(p[:, 0], np.roll(p[:, 1], 1)) - np.dot(p[:, 1], np.roll(p[:, 0], 1))) / 2)


class _View:
    """What the scene's camera sees of its hall (the sim's own camera model and floor plan)."""

    def __init__(self, data: dict):
        from sim.layout import floor_plan
        from sim.loader import parse_scenario

        self.scenario = parse_scenario(data, data["name"])
        self.plan = floor_plan(self.scenario)
        self.cam = self.plan.camera("cam")
        self.hall = self.plan.zone("immigration_hall")
        self.gates = [r for r in self.plan.rows_in("immigration_hall") if r.kind == "egate"][0]
        self._props = None  # the renderer's processor props, built on first use

    def sees(self, xy, need_px: float = MIN_PERSON_PX) -> np.ndarray:
        xy = np.atleast_2d(np.asarray(xy, float))
        w, h = self.cam.width, self.cam.height
        feet, _ = self.cam.project(np.column_stack([xy, np.zeros(len(xy))]))
        head, _ = self.cam.project(np.column_stack([xy, np.full(len(xy), 1.7)]))
        ok = np.ones(len(xy), bool)
        for uv in (feet, head):
            ok &= np.all(np.isfinite(uv), axis=1)
            with np.errstate(invalid="ignore"):
                ok &= ((uv[:, 0] >= 0.05 * w) & (uv[:, 0] <= 0.95 * w)
                       & (uv[:, 1] >= 0.05 * h) & (uv[:, 1] <= 0.95 * h))
        with np.errstate(invalid="ignore"):
            ok &= np.abs(feet[:, 1] - head[:, 1]) >= need_px
        return ok

    def open_floor(self, xy, row_y: float) -> np.ndarray:
        """Inside the hall, 1.5 m from its walls, out of the queues and processor row."""
        from floorplan.shapes import points_in_polygon

        xy = np.atleast_2d(np.asarray(xy, float))
        x0, y0, x1, y1 = self.hall.bounds
        inside = points_in_polygon(xy, self.hall.polygon)
        for dx, dy in ((1.5, 0), (-1.5, 0), (0, 1.5), (0, -1.5)):
            inside &= points_in_polygon(xy + [dx, dy], self.hall.polygon)
        queues = (xy[:, 1] > row_y - 9.5) & (xy[:, 1] < row_y + 2.0)
        return inside & ~queues

    def bag_in_picture(self, xy) -> np.ndarray:
        """A bag set down within ``BAG_OFFSET_M`` of each point (the owner leaves it beside
        them) is in the picture: less than half of it painted over by a processor prop nearer
        the camera (desk counters 1.1 m and screens 1.9 m, e-gate cabinets 1.0 m tall hide a
        0.55 m bag behind the row while a standing person's head still shows)."""
        from sim.cctv.scene import hidden_share, processor_props

        if self._props is None:
            self._props = processor_props(self.plan, self.cam)
        xy = np.atleast_2d(np.asarray(xy, float))
        ok = np.ones(len(xy), bool)
        if not self._props or not len(xy):
            return ok
        ring = [(0.0, 0.0)] + [(BAG_OFFSET_M * math.cos(a), BAG_OFFSET_M * math.sin(a))
                               for a in np.arange(4) * math.pi / 2]
        lows = np.linspace(0.03, BAG_HEIGHT_M, 6)
        for dx, dy in ring:
            c = xy + [dx, dy]
            pts = np.stack([np.column_stack([c, np.full(len(c), z)]) for z in lows], axis=1)
            ok &= hidden_share(self.cam, self._props, pts) < 0.5
        return ok

    def distance(self, xy) -> float:
        return float(np.hypot(*(np.asarray(xy, float) - self.cam.center[:2])))


def _pick_spot(rng, view: _View, row_y: float, avoid: list, kind: str, size: float = 0.0,
               band_m: tuple[float, float] | None = None):
    """A spot in view on open floor, ``MIN_APART_M`` from each of ``avoid``; ``band_m``
    (a staged batch's, :mod:`experiments.danger_stage`): only ``min``-``max`` m from the camera."""
    x0, y0, x1, y1 = view.hall.bounds
    cand = np.column_stack([rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)])
    ok = view.sees(cand) & view.open_floor(cand, row_y)
    if band_m is not None:
        d = np.hypot(*(cand - view.cam.center[:2]).T)
        ok &= (d >= band_m[0]) & (d <= band_m[1])
    if size:  # an overcrowding square: every corner in view and on open floor, not too far
        for dx, dy in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
            c = cand + np.array([dx, dy]) * size / 2
            ok &= view.sees(c) & view.open_floor(c, row_y)
        ok &= np.hypot(*(cand - view.cam.center[:2]).T) <= 22.0
    for a in avoid:
        ok &= np.hypot(*(cand - a).T) >= MIN_APART_M
    if kind == "abandoned_bag" and ok.any():  # the bag itself must be in the picture
        ok[ok] = view.bag_in_picture(cand[ok])
    idx = np.flatnonzero(ok)
    return None if not len(idx) else cand[idx[0]]


def _open_view(rng, view: _View, row_y: float) -> float:
    """Share of the hall's bounding box that is open floor in good view."""
    x0, y0, x1, y1 = view.hall.bounds
    cand = np.column_stack([rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)])
    return float(np.mean(view.sees(cand) & view.open_floor(cand, row_y)))


def resolvable_gates(view: _View) -> frozenset[int]:
    """Indices (along the e-gate row) of the gates the tailgating rule judges from this
    camera: lane width and pass depth both at least ``min_gate_px`` image pixels
    (:func:`pipeline.danger.tailgating.judged_gates`, the rule's own check and setting)."""
    from pipeline.danger.config import Tailgating
    from pipeline.danger.floor import FloorMap
    from pipeline.danger.geometry import scene_geometry
    from pipeline.danger.tailgating import judged_gates

    gates = [g for g in scene_geometry(view.plan).gates if g.bank == view.gates.id]
    judged = judged_gates(FloorMap.from_camera(view.cam), gates, Tailgating())
    return frozenset(gates[i].index for i in judged)


def _visible_gate(view: _View) -> int | None:
    """The nearest gate whose approach and exit are in view and that the tailgating rule can
    resolve (:func:`resolvable_gates`): staging tailgating where the camera cannot tell one
    passage from two would score the rule's documented blind spot as a miss."""
    row = view.gates
    th = np.asarray(row.through, float)
    judged = resolvable_gates(view)
    for g in np.argsort(np.hypot(*(row.points - view.cam.center[:2]).T)):
        p = row.points[g]
        if int(g) in judged and view.sees([p - 2.5 * th, p + 2.5 * th],
                                          need_px=MIN_PERSON_PX).all():
            return int(g)
    return None


def _with_flow(rng) -> float:
    """A heading (degrees, 0 = east) within 75° of the hall's flow (north): actors of other
    kinds must not walk against the flow, or they would stage an unlabelled counterflow."""
    return round(90.0 + float(rng.uniform(-75, 75)), 1)


def _across_flow(rng) -> float:
    """A heading across the hall's flow (east or west, within 30°): a runner laps back and
    forth along it, and neither lap may be against the flow."""
    return round(float(rng.choice([0.0, 180.0]) + rng.uniform(-30, 30)), 1)


def _stage(rng, kind: str, near: bool, spot, gate, t: float) -> tuple[dict, float, float]:
    """One incident entry, with its lead-in (actors arrive) and its end."""
    p: dict = {}
    if spot is not None:
        p.update(x=round(float(spot[0]), 2), y=round(float(spot[1]), 2))
    if near:
        p["near_miss"] = 1
    lead = 12.0
    if kind == "running":
        dur = 15.0
        p.update(heading_deg=_across_flow(rng),
                 length_m=round(float(rng.uniform(10, 18)), 1),
                 speed_mps=round(float(rng.uniform(1.7, 2.2) if near else rng.uniform(3.8, 6.0)), 2))
    elif kind == "fall":
        dur = float(rng.uniform(30, 90))
        p["heading_deg"] = _with_flow(rng)
    elif kind == "loitering":
        dur = float(rng.uniform(40, 90))
        p["threshold_s"] = LOITER_THRESHOLD_S
        p["heading_deg"] = _with_flow(rng)
        lead = LOITER_THRESHOLD_S + 10
    elif kind == "abandoned_bag":
        dur = float(rng.uniform(60, 150))
        p["heading_deg"] = _with_flow(rng)
        if near:  # the owner walks off and back: across the flow, so neither leg is against it
            p["heading_deg"] = round(float(rng.choice([0.0, 180.0]) + rng.uniform(-20, 20)), 1)
            p["return_s"] = round(float(rng.uniform(8, 20)), 1)
            dur = p["return_s"] + 1
    elif kind == "counterflow":
        dur = float(rng.uniform(20, 40))
        p.update(length_m=round(float(rng.uniform(8, 14)), 1),
                 speed_mps=round(float(rng.uniform(1.0, 1.6)), 2))
    elif kind == "overcrowding":
        dur = float(rng.uniform(60, 150))
        p["area_m2"] = round(float(rng.uniform(16, 30)), 1)
        p.update(approach_deg=270.0, approach_spread_deg=120.0)  # gathers from the south
        lead = 25.0
    elif kind == "tailgating":
        dur = 12.0
        p["gate"] = int(gate)  # the gate is the spot
    else:  # pragma: no cover - KINDS is closed
        raise ValueError(f"unknown incident kind {kind!r}")
    start = round(t + lead, 1)
    entry = {"kind": kind, "time_s": start, "duration_s": round(dur, 1),
             "zone": "immigration_hall", "params": p}
    return entry, start, start + dur


def scene(seed: int, staged: int = STAGED) -> tuple[dict, dict]:
    """(scenario data, scene facts) for one seed; ``staged`` incidents plus one near miss."""
    rng = np.random.default_rng(np.random.SeedSequence([SCENE_SALT, int(seed)]))
    order = [KINDS[(int(seed) * STAGED + k) % len(KINDS)] for k in range(staged)]
    near_kind = NEAR_MISS_KINDS[int(seed) % len(NEAR_MISS_KINDS)]
    aim = "tailgating" in order or near_kind == "tailgating"
    for attempt in range(40):
        data, info = _base(seed, rng, aim_gates=aim and attempt < 30)
        view = _View(data)
        if _open_view(rng, view, info["row_y"]) < 0.08:
            continue
        gate = _visible_gate(view)
        if gate is not None or not aim or attempt >= 30:
            break
    else:
        raise ValueError(f"seed {seed}: no camera pose in 40 draws sees open floor")
    plan = [(k, False) for k in order] + [(near_kind, True)]
    plan = [plan[i] for i in rng.permutation(len(plan))]
    incidents, facts, recent = [], [], []
    t = FIRST_INCIDENT_S
    for kind, near in plan:
        if kind == "tailgating" and gate is None:
            kind = "counterflow" if not near else "running"
        size = 0.0
        spot = None
        if kind == "overcrowding":
            size = math.sqrt(30.0)
        if kind != "tailgating":
            spot = _pick_spot(rng, view, info["row_y"], [s for s, _ in recent], kind, size)
            if spot is None and kind == "overcrowding":
                kind, size = ("fall" if not near else "running"), 0.0
            if spot is None:
                spot = _pick_spot(rng, view, info["row_y"], [s for s, _ in recent], kind)
            if spot is None:
                continue
        entry, start, end = _stage(rng, kind, near, spot, gate, t)
        where = spot if spot is not None else view.gates.points[gate]
        incidents.append(entry)
        facts.append({"index": len(incidents) - 1, "kind": kind, "near_miss": near,
                      "x": float(where[0]), "y": float(where[1]),
                      "distance_m": round(view.distance(where), 2)})
        recent = [(s, e) for s, e in recent if e > start - 60] + [(np.asarray(where), end)]
        t = end + float(rng.uniform(10, 25))
    data["incidents"] = incidents
    data["horizon_s"] = float(math.ceil(t + BASELINE_S + 30))
    data["flights"]["schedule"] = [f for f in data["flights"]["schedule"]
                                   if f["time_s"] < data["horizon_s"]]
    info["incidents"] = facts
    info["analyse_from_s"] = max(PREROLL_S, min(e["time_s"] for e in incidents) - 140.0)
    info["baseline_from_s"] = round(t + 30, 1)
    return data, info


def generate(seeds, out: str | Path, staged: int | None = None) -> list[Path]:
    """Write ``scene_<seed>.yaml`` per seed and ``scenes.json`` (the facts) into ``out``."""
    import json

    import yaml

    from outputs.atomic import write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths, facts = [], {}
    for s in seeds:
        data, info = scene(int(s), staged or STAGED)
        head = (f"# Procedural danger scene, seed {s} (experiments/danger_scenes.py; issue 12).\n"
                f"# Covers: {info['crowd']} crowd, {info['hall_shape']} hall "
                f"{info['hall_w_m']} m x {info['hall_d_m']} m, camera {info['camera_height_m']} m "
                f"up, tilt {info['tilt_deg']} deg, FOV {info['fov_deg']} deg, "
                f"{info['resolution']}; incidents: "
                f"{', '.join(i['kind'] + (' (near miss)' if i['near_miss'] else '') for i in info['incidents'])}.\n"
                f"# Units: metres, seconds, m/s, m2.\n")
        p = out / f"scene_{int(s)}.yaml"
        write_text(p, head + yaml.safe_dump(data, sort_keys=False))
        paths.append(p)
        facts[str(int(s))] = info
    write_text(out / "scenes.json", json.dumps(facts, indent=1))
    return paths
