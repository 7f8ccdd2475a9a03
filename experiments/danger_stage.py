"""Staged batches for the procedural danger benchmark (issue 12): scenes of fresh seeds whose
staged incidents are all of ONE kind, in a band of distances from the camera, so a round can
measure the class it works on many times over instead of once every seven scenes.

A staged scene is a procedural scene (:mod:`experiments.danger_scenes`: hall, processors,
camera, crowd drawn as there, from its own seed salt) with ``count`` incidents of ``kind`` plus
one near miss of that kind (when it has one). Tailgating is staged at gates the rule judges
(:func:`experiments.danger_scenes.resolvable_gates`) whose approach and exit are in view and
which lie ``min_m``-``max_m`` from the camera (the camera is aimed at the e-gates; a pose with
no such gate is drawn again); every other kind at a spot in view on open floor in that band.
Incidents start ``SPACING_S`` (+ up to 8 s) apart, more than the scorer's episode gap
(:data:`experiments.danger_score.EPISODE_GAP_S`) after the previous one's alerts, so the
benchmark's own episodes count each incident (round 13's batches came every ~40 s at
neighbouring gates and had to be counted per incident). Deterministic by seed.

The scenes go to ``ROOT/scenes/<seed>/`` (``scene_<seed>.yaml`` + ``scenes.json``), where
:func:`experiments.danger_tracker_compare.measure_scene` finds and measures them (it generates
a benchmark scene only where none is kept), and :func:`experiments.danger_tracker_compare.judge_scene`
judges them. Stage, measure and judge a batch, and score it like the benchmark::

    OMP_NUM_THREADS=1 nice -n 5 python -m experiments.danger_stage --kind tailgating \\
        --seeds 600-619 --root runs/stage --measure --judge runs/stage/base

then :func:`experiments.danger_bench.score_split` on ``runs/stage/base`` (``--judge`` prints
its kind table). ``--config JSON`` judges with rule overrides (a ``DangerConfig`` dict).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from experiments import danger_scenes as S

STAGE_SALT = 12_017  # keeps a staged scene's draws apart from the benchmark scene of its seed
COUNT = 6  # staged incidents per scene (plus one near miss of the kind, where it has one)
SPACING_S = 66.0  # start to start: an incident's alerts end > EPISODE_GAP_S before the next's
POSES = 200  # camera poses drawn before a seed is given up as unstageable


def far_gates(view: S._View, min_m: float, max_m: float) -> list[int]:
    """Gates (indices along the e-gate row) the tailgating rule judges, with approach and exit
    in view (:func:`experiments.danger_scenes._visible_gate`'s test), ``min_m``-``max_m`` from
    the camera."""
    row = view.gates
    th = np.asarray(row.through, float)
    judged = S.resolvable_gates(view)
    out = []
    for g in sorted(judged):
        p = row.points[g]
        if (min_m <= view.distance(p) <= max_m
                and view.sees([p - 2.5 * th, p + 2.5 * th], need_px=S.MIN_PERSON_PX).all()):
            out.append(int(g))
    return out


def _spot_in_band(rng, view, row_y, avoid, kind, min_m, max_m):
    # drawn among the band's candidates: taking the first open spot and keeping it if in band
    # gave up on poses whose open floor lies mostly outside the band (loitering, seed 632)
    for _ in range(20):
        spot = S._pick_spot(rng, view, row_y, avoid, kind, band_m=(min_m, max_m))
        if spot is not None:
            return spot
    return None


def stage_scene(seed: int, kind: str = "tailgating", count: int = COUNT, min_m: float = 26.0,
                max_m: float = 40.0, crowds: tuple[str, ...] | None = None) -> tuple[dict, dict]:
    """(scenario data, scene facts) of one staged scene: ``count`` incidents of ``kind`` and
    one near miss of it, all ``min_m``-``max_m`` from the camera. ``crowds``: draw scenes
    until the crowd is one of these (``None``: whatever the draw gives, as before). Raises
    ValueError when no camera pose in ``POSES`` draws has a place for them."""
    if kind not in S.KINDS:
        raise ValueError(f"kind: one of {', '.join(S.KINDS)}, got {kind!r}")
    if crowds is not None and not set(crowds) <= set(S.CROWDS):
        raise ValueError(f"crowds: among {', '.join(S.CROWDS)}, got {crowds!r}")
    rng = np.random.default_rng(np.random.SeedSequence([S.SCENE_SALT, STAGE_SALT, int(seed)]))
    for _ in range(POSES):
        data, info = S._base(seed, rng, aim_gates=kind == "tailgating")
        if crowds is not None and info["crowd"] not in crowds:
            continue  # a busier batch: the quiet draws hide the merged class (round 18)
        view = S._View(data)
        if kind == "tailgating":
            gates = far_gates(view, min_m, max_m)
            if gates:
                break
        elif _spot_in_band(rng, view, info["row_y"], [], kind, min_m, max_m) is not None:
            gates = []
            break
    else:
        crowd = f" in a {'/'.join(crowds)} crowd" if crowds else ""
        raise ValueError(f"seed {seed}: no camera pose in {POSES} draws stages {kind} at "
                         f"{min_m}-{max_m} m{crowd}")
    plan = [False] * count + ([True] if kind in S.NEAR_MISS_KINDS else [])
    plan = [plan[i] for i in rng.permutation(len(plan))]
    incidents, facts, recent = [], [], []
    t = S.FIRST_INCIDENT_S
    for near in plan:
        gate, spot = None, None
        if kind == "tailgating":
            gate = int(rng.choice(gates))
            where = view.gates.points[gate]
        else:
            spot = _spot_in_band(rng, view, info["row_y"], [s for s, _ in recent], kind,
                                 min_m, max_m)
            if spot is None:
                continue
            where = spot
        entry, start, end = S._stage(rng, kind, near, spot, gate, t)
        incidents.append(entry)
        facts.append({"index": len(incidents) - 1, "kind": kind, "near_miss": near,
                      "x": float(where[0]), "y": float(where[1]),
                      "distance_m": round(view.distance(where), 2)}
                     | ({"gate": gate} if gate is not None else {}))
        recent = [(s, e) for s, e in recent if e > start - 60] + [(np.asarray(where), end)]
        t = max(end, start + SPACING_S + float(rng.uniform(0, 8)) - 12.0)
    if not incidents:
        raise ValueError(f"seed {seed}: no spot for {kind} at {min_m}-{max_m} m")
    data["incidents"] = incidents
    data["horizon_s"] = float(math.ceil(t + S.BASELINE_S + 30))
    data["flights"]["schedule"] = [f for f in data["flights"]["schedule"]
                                   if f["time_s"] < data["horizon_s"]]
    data["description"] += f"; staged batch: {kind} at {min_m:g}-{max_m:g} m"
    info.update(incidents=facts, staged_kind=kind, band_m=[min_m, max_m],
                analyse_from_s=max(S.PREROLL_S, min(e["time_s"] for e in incidents) - 140.0),
                baseline_from_s=round(t + 30, 1))
    return data, info


def stage(seeds, root: str | Path, kind: str = "tailgating", count: int = COUNT,
          min_m: float = 26.0, max_m: float = 40.0,
          crowds: tuple[str, ...] | None = None) -> list[Path]:
    """Write each seed's staged scene to ``root/scenes/<seed>/`` (``scene_<seed>.yaml`` and
    ``scenes.json``, the layout :func:`experiments.danger_tracker_compare.measure_scene`
    reads). A seed whose scene is kept is left alone (its measurement depends on it)."""
    import yaml

    from outputs.atomic import write_text

    paths = []
    for s in seeds:
        folder = Path(root) / "scenes" / str(int(s))
        p = folder / f"scene_{int(s)}.yaml"
        if not (folder / "scenes.json").is_file():
            data, info = stage_scene(int(s), kind, count, min_m, max_m, crowds)
            folder.mkdir(parents=True, exist_ok=True)
            write_text(p, f"# Staged danger scene, seed {s} (experiments/danger_stage.py; issue "
                          f"12): {count} x {kind} at {min_m:g}-{max_m:g} m, {info['crowd']} "
                          f"crowd.\n# Units: metres, seconds, m/s, m2.\n"
                       + yaml.safe_dump(data, sort_keys=False))
            write_text(folder / "scenes.json", json.dumps({str(int(s)): info}, indent=1))
        paths.append(p)
    return paths


def main(argv=None) -> None:
    from experiments.danger_tracker_compare import _seeds

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", required=True, help="fresh seeds, e.g. 600-619")
    ap.add_argument("--root", required=True)
    ap.add_argument("--kind", default="tailgating", choices=S.KINDS)
    ap.add_argument("--count", type=int, default=COUNT)
    ap.add_argument("--min-m", type=float, default=26.0)
    ap.add_argument("--max-m", type=float, default=40.0)
    ap.add_argument("--crowd", help="comma-separated crowds to draw until, e.g. busy,surge "
                    "(default: any, as drawn)")
    ap.add_argument("--measure", action="store_true", help="measure every staged scene")
    ap.add_argument("--judge", help="judge every measured scene into this folder and score")
    ap.add_argument("--config", default="{}", help="DangerConfig overrides (JSON) to judge with")
    a = ap.parse_args(argv)
    seeds = _seeds(a.seeds)
    if any(s < 600 for s in seeds):  # the benchmark's splits and older batches live below
        raise SystemExit(f"--seeds: fresh staged seeds are 600 and up, got {a.seeds}")
    crowds = tuple(a.crowd.split(",")) if a.crowd else None
    stage(seeds, a.root, a.kind, a.count, a.min_m, a.max_m, crowds)
    if a.measure:
        from experiments.danger_tracker_compare import measure_scene

        for s in seeds:
            measure_scene(s, a.root)
            print(f"measured {s}", flush=True)
    if a.judge:
        from experiments.danger_sweep import judge_kept
        from pipeline.danger.config import DangerConfig

        cfg = DangerConfig.model_validate(json.loads(a.config))
        _, table, _ = judge_kept(a.root, a.judge, seeds, cfg, label="staged", n_boot=1000)
        print(table.to_string())


if __name__ == "__main__":
    main()
