"""Danger detection inside a sim run: render every CCTV camera's frames over the run (sim.feeds),
analyse them with one :class:`~pipeline.danger.stream.CameraStream` per camera, and keep the
alerts as records beside the run's own tables, with the ground truth the renderer gives.

Frames are analysed at ``analysis_fps`` (default 5 frames/s; the cameras record at 10), which is
what keeps a two-hour, three-camera run affordable on a small CPU. Cameras run in parallel
processes when ``workers`` > 1.

Tables (one row each; times in seconds of the run):

- ``danger_alerts``: camera, t, kind, zone, track_ids ("3,7"), confidence, x1, y1, x2, y2, detail
- ``danger_truth``: camera, incident, kind, zone, t_start, t_end, near_miss, frames (analysed
  frames where the incident's people or bag were in the picture), box_height_px (largest)
- ``danger_incidents``: incident, kind, zone, t_start, t_end, near_miss (every scripted span)
- ``danger_coverage``: camera, window, t_from, t_to, frames, incidents (spans overlapping the
  window; 0 = a baseline window), wall_s, ms_per_frame
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.danger.config import DangerConfig

ALERT_COLUMNS = ["camera", "t", "kind", "zone", "track_ids", "confidence", "x1", "y1", "x2",
                 "y2", "detail"]
TRUTH_COLUMNS = ["camera", "incident", "kind", "zone", "t_start", "t_end", "near_miss",
                 "frames", "box_height_px"]
# Truth rows are lists in TRUTH_COLUMNS order, counted up frame by frame: read them by name.
T_INCIDENT, T_FRAMES, T_BOX_H = (TRUTH_COLUMNS.index(c) for c in
                                 ("incident", "frames", "box_height_px"))
INCIDENT_COLUMNS = ["incident", "kind", "zone", "t_start", "t_end", "near_miss"]
COVERAGE_COLUMNS = ["camera", "window", "t_from", "t_to", "frames", "incidents", "wall_s",
                    "ms_per_frame"]


@dataclass(frozen=True)
class Window:
    name: str
    t_from: float
    t_to: float
    preroll_s: float = 0.0  # analysed before t_from to learn the scene; its alerts are dropped


def hour_windows(horizon_s: float) -> list[Window]:
    n = max(1, math.ceil(horizon_s / 3600 - 1e-9))
    return [Window(f"hour{k + 1}", k * 3600.0, min((k + 1) * 3600.0, horizon_s)) for k in range(n)]


def incident_spans(scenario, seed: int) -> pd.DataFrame:
    from sim.cctv.incidents import IncidentScript

    script = IncidentScript(scenario, seed)
    rows = [(s.index, s.label, s.zone, s.t_start, s.t_end, s.near_miss) for s in script.spans]
    return pd.DataFrame(rows, columns=INCIDENT_COLUMNS)


def with_overlay(config: DangerConfig, overlay) -> DangerConfig:
    """``config`` whose background subtraction ignores the renderer's clock overlay box."""
    opts = dict(config.detector.options)
    if config.detector.backend in ("mog2", "knn"):
        opts["ignore_boxes"] = [tuple(b) for b in opts.get("ignore_boxes", [])] + [tuple(overlay)]
    return config.model_copy(update={"detector": config.detector.model_copy(
        update={"options": opts})})


def analyse_camera(scenario, camera_id: str, records: dict[str, pd.DataFrame],
                   windows: list[Window], config: DangerConfig, seed: int,
                   tick: Callable[[int], None] | None = None) -> dict[str, list]:
    """Run one camera's stream over the windows (in time order, one continuous stream)."""
    import cv2

    from pipeline.danger.stream import CameraStream
    from sim.feeds import OVERLAY_BOX, CctvFeed, frame_times
    from sim.layout import floor_plan

    cv2.setNumThreads(1)  # one camera per process: threads would only fight over the cores
    feed = CctvFeed(scenario, camera_id, records=records, seed=seed, faces=False)
    stream = CameraStream.from_plan(floor_plan(scenario), camera_id,
                                    with_overlay(config, OVERLAY_BOX))
    stream.prepare()
    spans = incident_spans(scenario, seed)
    alerts, truth, coverage = [], {}, []
    for w in sorted(windows, key=lambda w: w.t_from):
        start = max(0.0, w.t_from - w.preroll_s)
        if stream.last_t is not None and start <= stream.last_t:
            start = w.t_from  # continuing the stream of the window before: nothing to learn
        times = frame_times(config.analysis_fps, start, w.t_to)
        t0 = time.perf_counter()
        proc, n_kept = 0.0, 0
        for k, t in enumerate(times):
            frame = feed.render(float(t))
            p0 = time.perf_counter()
            res = stream.process(frame.image, float(t))
            proc += time.perf_counter() - p0
            if tick is not None and (k % 25 == 24 or k == len(times) - 1):
                tick(25 if k % 25 == 24 else (k % 25) + 1)
            if t < w.t_from:  # pre-roll
                continue
            n_kept += 1
            for a in res.alerts:
                alerts.append((camera_id, a.t, a.kind, a.zone, ",".join(map(str, a.track_ids)),
                               a.confidence, *a.box, a.detail))
            for inc in frame.incidents:
                if inc.box is None:
                    continue
                key = inc.incident_index
                h = float(inc.box[3] - inc.box[1])
                row = truth.get(key)
                if row is None:
                    truth[key] = [camera_id, key, inc.label, inc.zone, inc.t_start, inc.t_end,
                                  inc.near_miss, 1, h]
                else:
                    row[T_FRAMES] += 1
                    row[T_BOX_H] = max(row[T_BOX_H], h)
        wall = time.perf_counter() - t0
        n_inc = int(((spans["t_start"] < w.t_to) & (spans["t_end"] > w.t_from)).sum())
        coverage.append((camera_id, w.name, w.t_from, w.t_to, n_kept, n_inc, wall,
                         1000 * proc / max(len(times), 1)))
    return {"alerts": alerts, "truth": list(truth.values()), "coverage": coverage}


def _worker(args):
    scenario_path, camera_id, records, windows, config_json, seed, progress, job = args
    from pipeline.danger.config import DangerConfig
    from sim.loader import load_scenario

    scenario = load_scenario(scenario_path)
    config = DangerConfig.model_validate_json(config_json)

    def tick(n):
        progress[job] = progress.get(job, 0) + n
    return analyse_camera(scenario, camera_id, records, windows, config, seed, tick)


def detect_danger(scenario_path, config: DangerConfig = DangerConfig(),
                  cameras: list[str] | None = None, windows: list[Window] | None = None,
                  seed: int | None = None, workers: int = 1, progress: bool = True,
                  split_windows: bool = False, preroll_s: float = 300.0
                  ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Simulate the scenario, analyse its CCTV cameras; returns (tables, metadata).

    By default each camera is one stream over all windows. ``split_windows`` makes each
    (camera, window) its own stream, started ``preroll_s`` early to learn the scene (its alerts
    dropped), so more processes can share the work."""
    from sim.feeds import simulate_run
    from sim.loader import load_scenario

    scenario = load_scenario(scenario_path)
    seed = scenario.seed if seed is None else int(seed)
    cctv = [c.id for c in scenario.cameras if c.kind == "cctv"]
    if cameras:
        unknown = [c for c in cameras if c not in cctv]
        if unknown:
            raise ValueError(f"camera(s) {', '.join(unknown)} are not cctv cameras of "
                             f"{scenario.name} (its cctv cameras: {', '.join(cctv) or 'none'})")
        cctv = list(cameras)
    if not cctv:
        raise ValueError(f"{scenario.name} has no cctv camera to analyse")
    windows = windows or hour_windows(scenario.horizon_s)
    for w in windows:
        if not (0 <= w.t_from < w.t_to <= scenario.horizon_s):
            raise ValueError(f"window {w.name}: [{w.t_from}, {w.t_to}] s must lie inside the run "
                             f"[0, {scenario.horizon_s:g}] s")
    started = time.perf_counter()
    records = simulate_run(scenario, seed)
    if split_windows:
        jobs = {f"{c} {w.name}": (c, [Window(w.name, w.t_from, w.t_to, preroll_s)])
                for c in cctv for w in windows}
    else:
        jobs = {c: (c, windows) for c in cctv}
    fps = config.analysis_fps
    total = {j: sum(len(frame_range(fps, max(0.0, w.t_from - w.preroll_s), w.t_to)) for w in ws)
             for j, (c, ws) in jobs.items()}
    done = _run_all(scenario_path, scenario, jobs, records, config, seed, workers, total,
                    progress)
    results = {c: {"alerts": [], "truth": [], "coverage": []} for c in cctv}
    for j, (c, _) in jobs.items():
        for key in ("alerts", "truth", "coverage"):
            results[c][key] += done[j][key]
    for c in cctv:  # an incident seen in two windows of a camera: one truth row
        merged: dict[int, list] = {}
        for row in results[c]["truth"]:
            old = merged.get(row[T_INCIDENT])
            if old is None:
                merged[row[T_INCIDENT]] = list(row)
            else:
                old[T_FRAMES] += row[T_FRAMES]
                old[T_BOX_H] = max(old[T_BOX_H], row[T_BOX_H])
        results[c]["truth"] = list(merged.values())
    tables = {
        "danger_alerts": pd.DataFrame([r for c in cctv for r in results[c]["alerts"]],
                                      columns=ALERT_COLUMNS),
        "danger_truth": pd.DataFrame([r for c in cctv for r in results[c]["truth"]],
                                     columns=TRUTH_COLUMNS),
        "danger_incidents": incident_spans(scenario, seed),
        "danger_coverage": pd.DataFrame([r for c in cctv for r in results[c]["coverage"]],
                                        columns=COVERAGE_COLUMNS),
    }
    cams = {c.id: c for c in scenario.cameras}
    meta = {"scenario": scenario.name, "seed": seed, "cameras": cctv,
            "analysis_fps": config.analysis_fps,
            "camera_fps": sorted({float(cams[c].fps) for c in cctv}),
            "detector": config.detector.backend, "workers": workers,
            "windows": [w.__dict__ for w in windows], "split_windows": split_windows,
            "preroll_s": preroll_s if split_windows else 0.0,
            "wall_time_s": time.perf_counter() - started, "config": config.model_dump(),
            "records": records}
    return tables, meta


def frame_range(fps: float, t_from: float, t_to: float) -> np.ndarray:
    return np.arange(math.ceil(t_from * fps - 1e-9), math.ceil(t_to * fps - 1e-9))


def _run_all(scenario_path, scenario, jobs, records, config, seed, workers, total,
             show) -> dict[str, dict]:
    from outputs.progress import progress_bar

    with progress_bar("frames", quiet=not show, transient=False) as bar:
        tasks = {j: bar.add_task(j, total=total[j]) for j in jobs}
        if workers <= 1:
            out = {}
            for j, (c, ws) in jobs.items():
                out[j] = analyse_camera(scenario, c, records, ws, config, seed,
                                        lambda n, j=j: bar.advance(tasks[j], n))
            return out
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("spawn")  # no forked OpenCV/BLAS thread state
        with ctx.Manager() as manager, ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            prog = manager.dict()
            futs = {j: pool.submit(_worker, (str(scenario_path), c, records, ws,
                                             config.model_dump_json(), seed, prog, j))
                    for j, (c, ws) in jobs.items()}
            while not all(f.done() for f in futs.values()):
                for j in jobs:
                    bar.update(tasks[j], completed=prog.get(j, 0))
                time.sleep(0.5)
            for j in jobs:
                bar.update(tasks[j], completed=total[j])
            return {j: f.result() for j, f in futs.items()}
