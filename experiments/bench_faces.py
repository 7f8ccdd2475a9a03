"""``airtwin bench faces``: how real the synthetic faces look to real face models.

Over ``n`` identities x ``lives`` live e-gate captures (variation on) and their enrolment photos:

- detection rate of dlib HOG and SCRFD det_500m on every capture, and of dlib CNN on a sample of
  live captures (it takes ~2 s a frame on this CPU). A capture counts as detected when a box
  holds the ground-truth nose tip and its area is within 4x of the ground-truth face box.
- identity separability of dlib ResNet and ArcFace (w600k_mbf_int8): every live capture scored
  against its own enrolment (genuine) and every other identity's (impostor); d', EER, TAR at
  FAR 1e-3. Each embedder aligns from its own backend's detection, falling back to the ground
  truth (box for dlib, landmarks for ArcFace) when that detector missed, so separability is not
  confounded with detection.
- rendering speed on one core (OpenCV held to one thread): e-gate captures/s with the
  identity's layers cached, and CCTV 1280x720 frames/s where ``sim.cctv`` offers a hook.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from pipeline.metrics import score_summary
from pipeline.types import Detection

BENCH_SEED = 16_180


def detected(dets: list[Detection], cap) -> bool:
    nose = cap.landmarks[2]
    gx1, gy1, gx2, gy2 = cap.box
    g_area = max((gx2 - gx1) * (gy2 - gy1), 1.0)
    for d in dets:
        x1, y1, x2, y2 = d.box
        area = (x2 - x1) * (y2 - y1)
        if x1 <= nose[0] <= x2 and y1 <= nose[1] <= y2 and 0.25 <= area / g_area <= 4:
            return True
    return False


def render_set(n: int, lives: int, seed: int = BENCH_SEED, progress=None):
    from sim.faces import make_identity, render_enrolment, render_live

    out = []
    for i in range(n):
        idt = make_identity((seed, i))
        rng = np.random.default_rng([seed, i])
        out.append((idt, render_enrolment(idt), [render_live(idt, rng) for _ in range(lives)]))
        if progress:
            progress(1)
    return out


def detection_rates(detector, captures, groups) -> dict:
    hits = np.array([detected(detector.detect(c.image), c) for c in captures])
    by = pd.Series(hits).groupby(pd.Series(groups)).mean().to_dict() if len(hits) else {}
    return {"n": int(len(hits)), "rate": float(hits.mean()) if len(hits) else math.nan,
            "by_skin_tone": {k: float(v) for k, v in by.items()}}


def _fallback(det_hits: list[Detection], cap, backend: str) -> Detection:
    if det_hits and detected(det_hits, cap):
        return max(det_hits, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    return Detection(tuple(cap.box), 1.0, np.asarray(cap.landmarks, np.float32))


def separability(detector, embedder, backend: str, data, far: float = 1e-3,
                 progress=None) -> dict:
    enrol, lives, owner, fallbacks = [], [], [], 0
    for i, (_, e, ls) in enumerate(data):
        vecs = []
        for cap in [e, *ls]:
            dets = detector.detect(cap.image)
            d = _fallback(dets, cap, backend)
            fallbacks += not (dets and detected(dets, cap))
            vecs.append(embedder.embed(cap.image, [d])[0].vector)
        enrol.append(vecs[0])
        lives.extend(vecs[1:])
        owner.extend([i] * len(ls))
        if progress:
            progress(1)
    E, L, owner = np.stack(enrol), np.stack(lives), np.asarray(owner)
    S = L @ E.T
    own = np.zeros_like(S, bool)
    own[np.arange(len(owner)), owner] = True
    summary = score_summary(S[own], S[~own], far)
    summary["ground_truth_fallbacks"] = int(fallbacks)
    hist_edges = np.linspace(float(S.min()), float(S.max()), 31)
    summary["genuine_hist"] = np.histogram(S[own], hist_edges)[0].tolist()
    summary["impostor_hist"] = np.histogram(S[~own], hist_edges)[0].tolist()
    summary["hist_edges"] = hist_edges.round(4).tolist()
    return summary


def render_speed(n_identities: int = 20, per_identity: int = 15, seed: int = BENCH_SEED) -> dict:
    """E-gate captures/s on one core, identity layers cached (each identity rendered once
    before timing, as a run renders the same traveler's face more than once) and the
    per-process caches warm."""
    import cv2

    from sim.faces import make_identity, render_enrolment, render_live

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        ids = [make_identity((seed + 1, i)) for i in range(n_identities)]
        t0 = time.perf_counter()
        for idt in ids:
            render_enrolment(idt)  # builds and caches the identity's layers
        first = (time.perf_counter() - t0) / n_identities
        # Steady state, as in a run of thousands of captures: the per-process caches (the e-gate
        # interiors behind travelers, the sensor-noise tile) are built by an untimed pass first.
        warm = np.random.default_rng([seed, 1])
        for idt in ids:
            for _ in range(5):
                render_live(idt, warm)
        rng = np.random.default_rng(seed)
        t0, c0 = time.perf_counter(), time.process_time()
        for idt in ids:
            for _ in range(per_identity):
                render_live(idt, rng)
        n = n_identities * per_identity
        per_capture = (time.perf_counter() - t0) / n
        cpu_per_capture = (time.process_time() - c0) / n
    finally:
        cv2.setNumThreads(threads)
    # CPU time stays honest on a shared machine, where wall time does not.
    return {"egate_captures_per_s_per_core": 1 / per_capture,
            "egate_captures_per_cpu_s": 1 / max(cpu_per_capture, 1e-9),
            "egate_capture_ms": 1e3 * per_capture,
            "first_render_of_identity_ms": 1e3 * first, "target_captures_per_s": 100}


def cctv_speed(n_frames: int = 100) -> dict:
    """CCTV 1280x720 frame rendering speed from ``sim.feeds.bench_cctv`` (helper of the CCTV
    renderer: the default scenario's hall camera at a busy moment, one core)."""
    try:
        from sim.feeds import bench_cctv
    except ImportError as exc:
        return {"available": False,
                "note": f"sim.feeds.bench_cctv not importable ({exc}); measure CCTV rendering "
                        f"with `airtwin frames` (target >= 30 frames/s/core at 1280x720)"}
    return {"available": True, **bench_cctv(n_frames=n_frames)}
