"""``airtwin bench danger``: frames per second per core of the danger pipeline at 1280x720 and
1920x1080, and
per-frame latency, on frames the sim renders.

Frames are rendered first (rendering is the sim's cost, benchmarked by ``airtwin bench frames``),
then one camera stream analyses them with OpenCV held to one thread. ``frames_per_cpu_s`` uses
process CPU time, which stays honest on a shared machine where wall time does not; latency is
wall time per frame (p50, p99).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "incidents_demo.yaml"
TARGET_FPS_PER_CORE = 25.0


RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}


def bench_danger(n_frames: int = 200, scenario=None, camera_id: str = "hall_south",
                 t_start: float = 1440.0, fps: float = 5.0, warmup: int = 50,
                 resolution: str | None = None) -> dict:
    """Defaults: the incident demo's south hall camera from 00:24, as a crowd of 50 gathers and
    stands (overcrowding), with the queues busy: a heavy stretch for the tracker and the rules.
    ``resolution`` ("720p", "1080p") renders that camera at that size instead of its own (same
    pose and field of view, so the same scene)."""
    import cv2

    from pipeline.danger.config import DangerConfig, DetectorSettings
    from pipeline.danger.stream import CameraStream
    from sim.feeds import OVERLAY_BOX, CctvFeed, frame_times
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    if n_frames < 1 or warmup < 0:
        raise ValueError(f"n_frames must be >= 1 and warmup >= 0, got {n_frames}, {warmup}")
    s = load_scenario(scenario or DEFAULT_SCENARIO)
    if resolution is not None:
        if resolution not in RESOLUTIONS:
            raise ValueError(f"resolution: one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
        s = s.model_copy(update={"cameras": [
            c.model_copy(update={"resolution": RESOLUTIONS[resolution]}) if c.id == camera_id
            else c for c in s.cameras]})
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        feed = CctvFeed(s, camera_id, faces=False)
        times = frame_times(fps, t_start, s.horizon_s)[:warmup + n_frames]
        if len(times) < warmup + n_frames:
            raise ValueError(f"not enough run time after t_start={t_start} s for "
                             f"{warmup + n_frames} frames at {fps} frames/s")
        frames = [feed.render(float(t)) for t in times]
        cfg = DangerConfig(analysis_fps=fps, detector=DetectorSettings(
            options={"ignore_boxes": [OVERLAY_BOX]}))
        stream = CameraStream.from_plan(floor_plan(s), camera_id, cfg)
        p0 = time.perf_counter()
        stream.prepare()
        prepare_s = time.perf_counter() - p0
        for f in frames[:warmup]:
            stream.process(f.image, f.t)
        walls, objects, persons = [], [], []
        c0, w0 = time.process_time(), time.perf_counter()
        for f in frames[warmup:]:
            t0 = time.perf_counter()
            res = stream.process(f.image, f.t)
            walls.append(time.perf_counter() - t0)
            objects.append(len(res.objects))
            persons.append(len(f.persons))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    finally:
        cv2.setNumThreads(threads)
    ms = np.asarray(walls) * 1e3
    h, w = frames[0].image.shape[:2]
    return {
        "scenario": s.name, "camera": camera_id, "resolution": f"{w}x{h}", "frames": n_frames,
        "t_start": float(times[warmup]), "analysis_fps": fps,
        "detector": cfg.detector.backend, "scale": getattr(stream.detector, "scale", None),
        "persons_in_view": float(np.mean(persons)), "tracked_objects": float(np.mean(objects)),
        "prepare_s": round(prepare_s, 3),
        "frames_per_cpu_s": n_frames / max(cpu, 1e-9), "frames_per_wall_s": n_frames / wall,
        "latency_ms_p50": float(np.percentile(ms, 50)), "latency_ms_p99": float(np.percentile(ms, 99)),
        "latency_ms_mean": float(ms.mean()), "target_frames_per_cpu_s": TARGET_FPS_PER_CORE,
        "meets_target": bool(n_frames / max(cpu, 1e-9) >= TARGET_FPS_PER_CORE),
    }
