"""``airtwin bench cctv``: the CCTV identification stream's cost on one core.

Frames: 1080p composites (:mod:`experiments.cctv_composite`) with ``people`` real synthetic
faces in view at 30-70 px inter-pupil distance, walking. One :class:`CctvStream` processes them
in order with OpenCV held to one thread; CPU time (``time.process_time``) over the timed frames
gives frames/s per core and, with the faces the detector found, faces/s per core through
detect -> quality gate -> embed -> aggregate -> search. Cameras per core at 10 fps is
frames/s per core / 10. The 1:N search is timed separately on a gallery of ``search_size``
face-like templates (:func:`experiments.cctv_identify.face_like_templates`), exact scan.
Rendering is not timed.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from outputs.progress import steps


def _walkers(people: int, keys, rng):
    from experiments.cctv_composite import Walker

    return [Walker(i, keys[i], float(rng.uniform(30, 70)), float(rng.uniform(-1.5, 0.5)),
                   float(rng.uniform(250, 450)), 40 + (i % 5) * 200 + float(rng.uniform(0, 40)),
                   tuple(int(v) for v in rng.integers(20, 235, 3))) for i in range(people)]


# prepare_backend's settings before the speed work (issue 11), for --baseline
BASELINE = {"threads": None, "fast_prelu": False}
STAGES = ("heads", "faces", "quality", "track", "embed", "search", "other")


class _Timed:
    """A detector or embedder whose ``detect``/``embed`` calls add their process CPU seconds to
    ``cpu`` (everything else passes through), so the stream's "detect" stage splits into the
    head detector's share and the face detector's."""

    def __init__(self, inner, method: str):
        self._inner, self._method, self.cpu = inner, method, 0.0

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def timed(*args, **kwargs):
            c0 = time.process_time()
            try:
                return attr(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - c0
        return timed


def bench_cctv(backend: str = "dlib", n_frames: int = 10, people: int = 20,
               search_size: int = 1_000_000, warmup: int = 2, quiet: bool = False,
               persons: str = "heads", head_options: dict | None = None,
               baseline: bool = False) -> dict:
    """``persons``: ``faces`` (bodies implied by faces) or ``heads`` (the head-and-shoulders
    detector, :mod:`pipeline.vision.heads`, run on every frame: its cost, not its recall, since
    the composites paste faces without figures).

    ``baseline``: also time the recogniser settings of before this speed work
    (:data:`BASELINE`: onnxruntime's default thread pool, the recogniser's PRelu as shipped)
    beside the defaults of :func:`experiments.cctv_identify.prepare_backend`. Each variant runs
    its own stream over the same frames, the variants taking turns frame by frame, so their
    figures share one machine state. The result is the defaults', every variant's (with CPU
    ms per frame per stage) under ``variants``."""
    import cv2

    from experiments.cctv_composite import composite_stream, enrolment_templates
    from experiments.cctv_identify import face_like_templates, prepare_backend
    from pipeline.cctv.galleries import build_gallery
    from pipeline.cctv.stream import CctvStream, StreamConfig
    from pipeline.matching import NumpyGallery

    if n_frames < 1 or people < 1 or search_size < 1:
        raise ValueError(f"bench cctv: frames, people and search size must be >= 1, got "
                         f"{n_frames}, {people}, {search_size}")
    if persons not in ("faces", "heads"):
        raise ValueError(f"bench cctv: --persons must be faces or heads, got {persons!r}")
    if persons != "heads" and head_options:
        raise ValueError(f"--head-height / --head-every / --head-band set the head detector; "
                         f"--persons {persons} does not run it")
    if baseline and backend != "insightface":
        raise ValueError(f"bench cctv: --baseline compares onnxruntime settings of the "
                         f"insightface backend; backend {backend} has none")
    settings = {"default": {}, **({"baseline": BASELINE} if baseline else {})}
    rng = np.random.default_rng(20261205)
    keys = [(99, i) for i in range(people)]
    enr = pd.DataFrame({"template_id": [f"e{i}" for i in range(people)],
                        "traveler_id": range(people), "consent": True, "watchlist": True})
    fps = 10.0
    frames = list(composite_stream("bench", _walkers(people, keys, rng), 0.0,
                                   (n_frames + warmup) / fps, fps, (1920, 1080), seed=5))
    runs, templates = [], None
    for label, opts in settings.items():
        parts = prepare_backend(backend, frame_sizes=[(1920, 1080)], **opts)
        if templates is None:
            templates = enrolment_templates(keys, parts.detector, parts.embedder)
            gallery = build_gallery(enr, templates, "manifest")
        person_detector = None
        if persons == "heads":
            from pipeline.vision.heads import HeadDetector

            person_detector = HeadDetector(**(head_options or {}))
            person_detector.prepare()
            person_detector = _Timed(person_detector, "detect")
        faces_det = _Timed(parts.detector_for((1920, 1080)), "detect")
        stream = CctvStream("bench", (1920, 1080), faces_det, parts.embedder, gallery,
                            StreamConfig(fps=fps, threshold=parts.threshold),
                            person_detector=person_detector)
        runs.append({"variant": label, "settings": _settings(parts), "stream": stream, "faces_det": faces_det,
                     "heads_det": person_detector, "cpu": 0.0, "lat": [], "faces": 0,
                     "stages": dict.fromkeys(STAGES, 0.0)})
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with steps("bench cctv", len(frames) * len(runs), "frames", quiet=quiet) as advance:
            for k, f in enumerate(frames):
                for run in runs:  # the variants take turns on each frame
                    _frame(run, f, timed=k >= warmup)
                    advance()
    finally:
        cv2.setNumThreads(cv_threads)
    in_view = float(np.mean([len(f.persons) for f in frames[warmup:]]))
    dim = templates.shape[1]
    big = face_like_templates(search_size, templates, rng)
    store = NumpyGallery(dim)
    store.reserve(search_size)
    store.add([f"x{i}" for i in range(search_size)], big)
    del big
    probes = templates[: min(people, 10)]
    store.search(probes[0], k=5)  # warm the pages
    c0 = time.perf_counter()
    for p in probes:
        store.search(p, k=5)
    search_ms = (time.perf_counter() - c0) / len(probes) * 1000
    head = runs[0]["heads_det"]
    used = ({"height": head.height, "every": head.every, "resize": head.resize,
             "edge_pad": head.edge_pad, "edge_strip": head.edge_strip, "band": head.band}
            if head is not None else None)  # what ran, never what was not used
    variants = [_summary(run, n_frames) for run in runs]
    return {"backend": backend, "persons": persons, "head_options": used,
            "frames": n_frames, "people_in_view": in_view, **variants[0],
            "target_frames_per_core_s": 5.0,
            "search_size": search_size, "search_dim": dim, "search_ms_per_probe": search_ms,
            "variants": variants}


def _frame(run: dict, f, timed: bool) -> None:
    """One frame through one variant's stream; its CPU seconds per stage when ``timed``."""
    heads, faces = run["heads_det"], run["faces_det"]
    before = (heads.cpu if heads is not None else 0.0, faces.cpu)
    r = run["stream"].process(f.image, f.t)  # times itself: wall and process CPU
    if not timed:
        return
    st, cpu = run["stages"], r.cpu_stages
    dh = heads.cpu - before[0] if heads is not None else 0.0
    df = faces.cpu - before[1]
    st["heads"] += dh
    st["faces"] += df
    rest = {k: cpu.get(k, 0.0) for k in ("quality", "track", "embed", "search")}
    for k, v in rest.items():
        st[k] += v
    st["other"] += r.cpu_seconds - dh - df - sum(rest.values())
    run["cpu"] += r.cpu_seconds
    run["lat"].append(r.seconds)
    run["faces"] += sum(1 for o in r.faces if o.quality.passed)


def _summary(run: dict, n_frames: int) -> dict:
    cpu = run["cpu"]
    fps_core = n_frames / cpu if cpu > 0 else float("inf")
    return {"variant": run["variant"], "settings": run["settings"],
            "faces_passed": run["faces"],
            "faces_per_core_s": run["faces"] / cpu if cpu > 0 else float("inf"),
            "frames_per_core_s": fps_core, "cameras_per_core_at_10fps": fps_core / 10.0,
            "meets_target": fps_core >= 5.0,
            "latency_ms_p50": float(np.percentile(run["lat"], 50) * 1000),
            "latency_ms_p99": float(np.percentile(run["lat"], 99) * 1000),
            "stage_cpu_ms": {k: v / n_frames * 1000 for k, v in run["stages"].items()}}


def _settings(parts) -> dict:
    """The recogniser settings a variant ran with (insightface: onnxruntime threads, PRelu)."""
    emb = parts.embedder
    return {"ort_threads": getattr(emb, "threads", None) or "default",
            "fast_prelu": bool(getattr(emb, "fast_prelu", False))}
