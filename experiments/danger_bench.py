"""The procedural danger benchmark (issue 12): generate a split's scenes
(:mod:`experiments.danger_scenes`), run each scene's camera through danger detection
(:func:`experiments.danger_run.detect_danger`) over the stretch around its incidents plus an
incident-free tail, and score all scenes together (:mod:`experiments.danger_score`).

Layout of ``out`` (every folder written through :mod:`outputs`):

- ``scenes/scene_<seed>.yaml`` and ``scenes/scenes.json``: the generated scenes;
- ``runs/<seed>/``: one run folder per scene (``bench_alerts``, ``bench_incidents``,
  ``bench_coverage`` beside the sim's tables); a scene whose folder exists is not run again
  (``resume``), so a long split can be stopped and picked up;
- ``result/``: the split's run folder: ``danger_bench_kinds``, ``danger_bench_episodes``,
  ``danger_bench_incidents``, ``danger_bench_breakdown`` and ``danger_bench.md``.

Only the analysed stretch costs time: from ``PREROLL_S`` before the first incident's lead-in
(the background is learnt there; its alerts are dropped) to the end of the baseline tail.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.danger_scenes import PREROLL_S, SPLITS
from pipeline.danger.config import DangerConfig

# natural crowding: density on 5 m x 5 m floor windows (>= the rule's 12 m² tiles) at a stride
# of 2.5 m, as the rule's own windows (a fixed 5 m grid split crowds on its corners)
CELL_M = 5.0
SAMPLE_S = 2.0
MAX_RANGE_M = 24.0  # the overcrowding rule's range


def _floor_xy(model, alerts: pd.DataFrame) -> np.ndarray:
    if alerts.empty:
        return np.zeros((0, 2))
    cx = (alerts["x1"] + alerts["x2"]) / 2
    foot = np.where(alerts["kind"] == "overcrowding", (alerts["y1"] + alerts["y2"]) / 2,
                    alerts["y2"])
    return model.image_to_floor(np.column_stack([cx, foot]))


def natural_spans(plan, traj, t_from: float, t_to: float) -> list[tuple]:
    """Overcrowding the simulated crowd made by itself, where the camera sees it (``plan``:
    the scene's floor plan, ``traj``: its :class:`sim.positions.Trajectories`), on
    ``CELL_M`` windows at half their side's stride (:func:`window_counts`)."""
    from experiments.danger_score import natural_crowding, window_counts

    cam = plan.camera("cam")
    hall = plan.zone("immigration_hall")
    if hall.space_low_m2 is None:
        return []
    times = np.arange(t_from, t_to, SAMPLE_S)
    _, cell_xy = window_counts(np.zeros((0, 2)), hall.bounds, CELL_M)
    counts = np.zeros((len(times), len(cell_xy)))
    for k, t in enumerate(times):
        a = traj.arrays_at(float(t))
        xy = np.column_stack([a["x"], a["y"]])
        if not len(xy):
            continue
        uv = cam.floor_to_image(xy)
        with np.errstate(invalid="ignore"):
            seen = (np.all(np.isfinite(uv), axis=1) & (uv[:, 0] >= 0) & (uv[:, 0] < cam.width)
                    & (uv[:, 1] >= 0) & (uv[:, 1] < cam.height)
                    & (np.hypot(*(xy - cam.center[:2]).T) <= MAX_RANGE_M))
        counts[k] = window_counts(xy[seen], hall.bounds, CELL_M)[0]
    return natural_crowding(times, counts, 1.0 / hall.space_low_m2, CELL_M * CELL_M, cell_xy)


# Natural running: a simulated traveler the walking model moves this fast for at least
# NATURAL_RUN_S in view. Since the model's walks cover the routes sim.positions draws
# (sim.walking.typed_span) nobody is hurried any more (0 such legs on the 20 tune seeds; there
# were 322 in view, up to 3.8 m/s, before); the check stays as a guard. Brisk walking is at most about 2 m/s
# (Weidmann's free speed 1.34 +- 0.26 m/s), so this is running by any definition; an alert on it
# is true (scored apart from staged recall, like natural crowding).
NATURAL_RUN_MPS = 2.5
NATURAL_RUN_S = 1.0


def natural_running(plan, traj, t_from: float, t_to: float,
                    step_s: float = 0.2) -> list[tuple]:
    """(t_start, t_end, path_x, path_y) of every walk leg at >= ``NATURAL_RUN_MPS`` whose feet
    are in the camera's image for >= ``NATURAL_RUN_S`` inside [t_from, t_to]."""
    cam = plan.camera("cam")
    return running_legs(traj, cam.floor_to_image, (cam.width, cam.height), t_from, t_to,
                        step_s)


def running_legs(tr, floor_to_image, size: tuple[int, int], t_from: float, t_to: float,
                 step_s: float = 0.2) -> list[tuple]:
    """:func:`natural_running` on legs (``tr``: arrays x0, y0, x1, y1, t0, t1, speed, queue as
    :class:`sim.positions.Trajectories` has them) and a floor-to-image mapping."""
    w, h = size
    fast = np.flatnonzero((tr.speed >= NATURAL_RUN_MPS) & (tr.t1 > t_from) & (tr.t0 < t_to)
                          & (tr.queue < 0))
    out = []
    for k in fast:
        a, b = max(tr.t0[k], t_from), min(tr.t1[k], t_to)
        ts = np.arange(a, b + 1e-9, step_s)
        if len(ts) < 2:
            continue
        f = (ts - tr.t0[k]) / max(tr.t1[k] - tr.t0[k], 1e-9)
        xy = np.column_stack([tr.x0[k] + (tr.x1[k] - tr.x0[k]) * f,
                              tr.y0[k] + (tr.y1[k] - tr.y0[k]) * f])
        uv = floor_to_image(xy)
        with np.errstate(invalid="ignore"):
            seen = (np.all(np.isfinite(uv), axis=1) & (uv[:, 0] >= 0) & (uv[:, 0] < w)
                    & (uv[:, 1] >= 0) & (uv[:, 1] < h))
        if seen.sum() * step_s < NATURAL_RUN_S:
            continue
        ts, xy = ts[seen], xy[seen]
        out.append((float(ts[0]), float(ts[-1]), xy[:, 0].tolist(), xy[:, 1].tolist()))
    return out


def run_scene(seed: int, root: str | Path, config: DangerConfig = DangerConfig(),
              progress: bool = False, resume: bool = True, staged: int | None = None) -> Path:
    """Generate, analyse and record one scene; returns its run folder."""
    from experiments.danger_run import Window, detect_danger
    from experiments.danger_scenes import generate
    from outputs.run import write_run
    from sim.loader import load_scenario, scenario_json

    root = Path(root)
    folder = root / "runs" / str(seed)
    if resume and (folder / "summary.json").is_file():
        return folder
    scenes = root / "scenes" / str(seed)
    cpu0 = time.process_time()  # this process's CPU: the scene's rendering and analysis
    path = generate([seed], scenes, staged)[0]
    info = json.loads((scenes / "scenes.json").read_text(encoding="utf-8"))[str(seed)]
    s = load_scenario(path)
    t_from = info["analyse_from_s"]
    win = Window("scene", t_from, s.horizon_s, preroll_s=PREROLL_S)
    t0 = time.perf_counter()
    tables, meta = detect_danger(path, config, windows=[win], progress=progress)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    records = meta.pop("records")
    summary = {"seed": seed, "horizon_s": s.horizon_s, "scene": info,
               "danger": {k: v for k, v in meta.items() if k != "config"},
               "config": config.model_dump()}
    return write_run(folder, bench_tables(seed, s, info, tables["danger_alerts"], records,
                                          wall, cpu), summary, scenario_json(s))


def bench_tables(seed: int, s, info: dict, al: pd.DataFrame, records,
                 wall: float, cpu: float = float("nan")) -> dict[str, pd.DataFrame]:
    """A scene's benchmark tables (``bench_alerts``, ``bench_incidents``, ``bench_coverage``)
    from its alerts (``danger_alerts`` columns) and the sim's records. ``wall``: the analysis's
    wall-clock seconds (the machine's load included); ``cpu``: the CPU seconds of generating and
    analysing the scene, which say how long a split takes on free cores."""
    from experiments.danger_run import incident_spans
    from sim.layout import floor_plan
    from sim.positions import Trajectories

    t_from = info["analyse_from_s"]
    plan = floor_plan(s)  # built once: natural crowding and running both read it
    traj = Trajectories.from_records(records, s, plan)
    cam = plan.camera("cam")
    xy = _floor_xy(cam, al)
    alerts = pd.DataFrame({"scene": seed, "t": al["t"].astype(float), "kind": al["kind"],
                           "x": xy[:, 0] if len(xy) else [], "y": xy[:, 1] if len(xy) else [],
                           "confidence": al["confidence"], "detail": al["detail"]})
    spans = incident_spans(s, seed).set_index("incident")
    facts = pd.DataFrame(info["incidents"]).set_index("index")
    staged = pd.DataFrame({
        "scene": seed, "incident": facts.index.astype(int), "kind": facts["kind"],
        "t_start": spans.loc[facts.index, "t_start"].to_numpy(),
        "t_end": spans.loc[facts.index, "t_end"].to_numpy(),
        "near_miss": facts["near_miss"].astype(bool), "natural": False, "x": facts["x"],
        "y": facts["y"], "distance_m": facts["distance_m"], "crowd": info["crowd"]})
    nat = natural_spans(plan, traj, t_from, s.horizon_s)
    natural = pd.DataFrame([{
        "scene": seed, "incident": 1000 + k, "kind": "overcrowding", "t_start": a, "t_end": b,
        "near_miss": False, "natural": True, "x": x, "y": y,
        "distance_m": float(np.hypot(x - cam.center[0], y - cam.center[1])),
        "crowd": info["crowd"]} for k, (a, b, x, y) in enumerate(nat)], columns=staged.columns)
    runs = natural_running(plan, traj, t_from, s.horizon_s)
    ran = pd.DataFrame([{
        "scene": seed, "incident": 2000 + k, "kind": "running", "t_start": a, "t_end": b,
        "near_miss": False, "natural": True, "x": px[0], "y": py[0],
        "distance_m": float(np.hypot(px[0] - cam.center[0], py[0] - cam.center[1])),
        "crowd": info["crowd"]} for k, (a, b, px, py) in enumerate(runs)], columns=staged.columns)
    for df, paths in ((staged, _paths(s, seed, staged)), (natural, ([[]] * len(natural),) * 2),
                      (ran, ([r[2] for r in runs], [r[3] for r in runs]))):
        for col, values in zip(("path_x", "path_y"), paths):
            df[col] = pd.Series(list(values), index=df.index, dtype=object)
    incidents = pd.concat([staged, natural, ran], ignore_index=True)
    coverage = pd.DataFrame([{"scene": seed, "t_from": t_from, "t_to": s.horizon_s,
                              "baseline_from": info["baseline_from_s"], "wall_s": wall, "cpu_s": cpu,
                              "crowd": info["crowd"], "resolution": info["resolution"]}])
    return {"bench_alerts": alerts, "bench_incidents": incidents, "bench_coverage": coverage}


def _paths(scenario, seed: int, staged: pd.DataFrame, step_s: float = 0.5):
    """Where each moving incident's people were over its span (lists of x and y, metres);
    empty lists for the other kinds, which are matched on their spot."""
    from experiments.danger_score import MOVING
    from sim.cctv.incidents import IncidentScript

    script = IncidentScript(scenario, seed)
    by_id = {a.track_id: a for a in script.actors}
    spans = {sp.index: sp for sp in script.spans}
    xs, ys = [], []
    for inc in staged.itertuples(index=False):
        px, py = [], []
        sp = spans.get(int(inc.incident))
        if inc.kind in MOVING and sp is not None:
            for t in np.arange(sp.t_start, sp.t_end + step_s, step_s):
                for tid in sp.track_ids:
                    st = by_id[tid].state(float(t)) if tid in by_id else None
                    if st is not None:
                        px.append(float(st[0]))
                        py.append(float(st[1]))
        xs.append(px)
        ys.append(py)
    return xs, ys


def _job(args):
    seed, root, cfg_json = args
    import cv2

    cv2.setNumThreads(1)
    run_scene(seed, root, DangerConfig.model_validate_json(cfg_json))
    return seed


def run_split(seeds, root: str | Path, config: DangerConfig = DangerConfig(),
              workers: int = 1, show: bool = True) -> list[Path]:
    """Every scene of ``seeds`` (already-run scenes are kept), ``workers`` at a time."""
    root = Path(root)
    seeds = [int(s) for s in seeds]
    run_pool(_job, [(s, str(root), config.model_dump_json()) for s in seeds], workers, "scenes",
             show)
    return [root / "runs" / str(s) for s in seeds]


def run_pool(fn, jobs: list, workers: int, label: str, show: bool = True) -> None:
    """``fn(job)`` for every job, ``workers`` spawned processes at a time (in this process
    when 1), with a progress bar; a failed job raises here."""
    from outputs.progress import progress_bar

    with progress_bar(label, quiet=not show, transient=False) as bar:
        task = bar.add_task(label, total=len(jobs))
        if workers <= 1:
            for j in jobs:
                fn(j)
                bar.advance(task)
            return
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            for f in as_completed([pool.submit(fn, j) for j in jobs]):
                f.result()
                bar.advance(task)


def score_split(root: str | Path, seeds, split: str, command: str = "",
                n_boot: int = 1000) -> tuple[pd.DataFrame, str, Path]:
    """Score the scenes' run folders together; writes ``root/result`` (tables + report)."""
    from experiments import danger_score as S
    from outputs.run import add_report, load_run, write_run

    root = Path(root)
    parts = {"bench_alerts": [], "bench_incidents": [], "bench_coverage": []}
    for s in seeds:
        r = load_run(root / "runs" / str(int(s)), tables=list(parts))
        for k in parts:
            parts[k].append(r[k])
    alerts, incidents, coverage = (pd.concat(parts[k], ignore_index=True) for k in parts)
    incidents["near_miss"] = incidents["near_miss"].astype(bool)
    incidents["natural"] = incidents["natural"].astype(bool)
    eps = S.episodes(alerts)
    eps, inc = S.match(eps, alerts, incidents)
    table = S.kind_table(eps, inc, alerts, coverage, n_boot=n_boot)
    by_d, by_c = S.breakdown(eps, inc, "distance"), S.breakdown(eps, inc, "crowd")
    hours = float((coverage["t_to"] - coverage["t_from"]).sum()) / 3600
    base = float((coverage["t_to"] - coverage["baseline_from"]).clip(lower=0).sum()) / 3600
    meta = {"split": split, "seeds": _seed_text(seeds), "command": command, "hours": hours,
            "baseline_hours": base, "wall_s": float(coverage["wall_s"].sum()),
            "cpu_s": float(coverage["cpu_s"].sum()) if "cpu_s" in coverage else None,
            "cpu_scenes": int(coverage["cpu_s"].notna().sum()) if "cpu_s" in coverage else 0,
            "scenes": len(coverage)}
    text = S.report_markdown(table, by_d, by_c, meta)
    out = write_run(root / "result", {
        "danger_bench_kinds": table, "danger_bench_episodes": eps,
        "danger_bench_incidents": inc, "danger_bench_breakdown": pd.concat([by_d, by_c]),
        "danger_bench_coverage": coverage}, {"danger_bench": meta}, json.dumps(
        {"split": split, "seeds": [int(s) for s in seeds]}))
    add_report(out, "danger_bench.md", text)
    return table, text, out


def _seed_text(seeds) -> str:
    s = sorted(int(v) for v in seeds)
    if s and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}-{s[-1]} ({len(s)} scenes)"
    return ", ".join(map(str, s))


def split_seeds(split: str, limit: int | None = None) -> list[int]:
    if split not in SPLITS:
        raise ValueError(f"--split: one of {', '.join(SPLITS)}, got {split!r}")
    seeds = list(SPLITS[split])
    return seeds[:limit] if limit else seeds
