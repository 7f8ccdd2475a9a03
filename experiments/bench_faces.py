"""``airtwin bench faces``: how real the synthetic faces look to real face models.

Over ``n`` identities x ``lives`` live e-gate captures (variation on) and their enrolment photos
(the traveler as their photo shows them: up to ten years younger, other weight, hair and facial
hair, no glasses; :class:`sim.faces.ChangeSettings`), with a share of sibling and twin pairs:

- detection rate of dlib HOG and SCRFD det_500m on every capture, and of dlib CNN on a sample of
  live captures (it takes ~2 s a frame on this CPU). A capture counts as detected when a box
  holds the ground-truth nose tip and its area is within 4x of the ground-truth face box.
- skin tone: ITA deg on the cheeks of every enrolment photo, per Fitzpatrick group.
- identity separability of dlib ResNet and ArcFace (w600k_mbf_int8): every live capture scored
  against its own enrolment (genuine) and every other unrelated identity's (impostor), look-alike
  pairs apart; d', EER, TAR at FAR 1e-3, and dlib at its published Euclidean distance 0.6 on its
  raw descriptors. Each embedder aligns from its own backend's detection, falling back to the
  ground truth (box for dlib, landmarks for ArcFace) when that detector missed, so separability
  is not confounded with detection.
- rendering speed on one core (OpenCV held to one thread): e-gate captures/s with the
  identity's layers cached, and CCTV 1280x720 frames/s where ``sim.cctv`` offers a hook.

Reference values for real faces, with their sources, are in :mod:`experiments.faces_reference`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.metrics import d_prime, score_summary
from pipeline.types import Detection

BENCH_SEED = 16_180
DLIB_PUBLISHED_DISTANCE = 0.6  # dlib's Euclidean cut on raw descriptors (99.38% on LFW)


@dataclass
class Subject:
    """One benchmark identity: its captures and their ground truth."""

    identity: object  # sim.faces.Identity, as at the gate
    enrolment: object  # FaceCapture of the photo
    lives: list = field(default_factory=list)
    change: object = None  # sim.faces.AppearanceChange between photo and gate
    kin_of: int = -1  # index of the identity this one is a sibling or twin of
    kin_kind: str = ""


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


def render_set(n: int, lives: int, seed: int = BENCH_SEED, progress=None, change=None,
               look_alike_share: float = 0.1, twin_share: float = 1 / 3) -> list[Subject]:
    """``n`` identities keyed ``(seed, i)``; the last ``look_alike_share`` of them are
    relatives (a third twins) of the first ones, labelled in ``kin_of``/``kin_kind``."""
    from sim.faces import ChangeSettings, make_identity, relative
    from sim.faces.render import render_traveler

    change = ChangeSettings() if change is None else change
    ids = [make_identity((seed, i)) for i in range(n)]
    kin = {}
    for k in range(min(int(round(look_alike_share * n)), n // 2)):
        j = n - 1 - k
        kind = "twin" if k < round(twin_share * look_alike_share * n) else "sibling"
        ids[j] = relative(ids[k], (seed, j), kind)
        kin[j] = (k, kind)
    out = []
    for i, idt in enumerate(ids):
        enrol, ls, ch = render_traveler(idt, (seed, i), lives, change)
        k, kind = kin.get(i, (-1, ""))
        out.append(Subject(idt, enrol, ls, ch, k, kind))
        if progress:
            progress(1)
    return out


def ita_cheeks(cap) -> float:
    """Individual Typology Angle (deg) of the cheeks: CIELab (D65, sRGB) of two patches on the
    cheekbones, below the pupils and 40% of the way down to the mouth corners (clear of the
    lower lids' shadow and of the nose's wings); ITA = atan2(L* - 50, b*) of their median
    colour (Chardon et al. 1991)."""
    import cv2

    lm = np.asarray(cap.landmarks, np.float32)
    lab = cv2.cvtColor(cap.image.astype(np.float32) / 255, cv2.COLOR_BGR2Lab)
    ipd = float(np.linalg.norm(lm[1] - lm[0]))
    r = int(max(2, 0.1 * ipd))
    px = []
    for eye, mouth in ((lm[0], lm[3]), (lm[1], lm[4])):
        x, y = int(eye[0]), int(eye[1] + 0.4 * (mouth[1] - eye[1]))
        px.append(lab[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3))
    L, _, b = np.median(np.concatenate(px), axis=0)
    return float(np.degrees(np.arctan2(L - 50, b)))


def skin_tone_ita(data: list[Subject]) -> dict:
    """ITA per Fitzpatrick group on enrolment photos under the standard studio light and
    exposure (the benchmark's own photos vary in studio, as real ones do)."""
    from sim.faces import render_enrolment

    by: dict[str, list[float]] = {}
    for s in data:
        by.setdefault(s.identity.skin_tone, []).append(ita_cheeks(render_enrolment(s.identity)))
    return {t: {"n": len(v), "mean": float(np.mean(v)), "min": float(np.min(v)),
                "max": float(np.max(v)), "share_below_minus_30": float(np.mean(np.less(v, -30)))}
            for t, v in sorted(by.items())}


def detection_rates(detector, captures, groups) -> dict:
    hits = np.array([detected(detector.detect(c.image), c) for c in captures])
    by = pd.Series(hits).groupby(pd.Series(groups)).mean().to_dict() if len(hits) else {}
    return {"n": int(len(hits)), "rate": float(hits.mean()) if len(hits) else math.nan,
            "by_skin_tone": {k: float(v) for k, v in by.items()}}


def _fallback(det_hits: list[Detection], cap) -> Detection:
    if det_hits and detected(det_hits, cap):
        return max(det_hits, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    return Detection(tuple(cap.box), 1.0, np.asarray(cap.landmarks, np.float32))


def _hist(genuine: np.ndarray, impostor: np.ndarray, kin: np.ndarray) -> dict:
    allv = np.concatenate([genuine, impostor, kin])
    edges = np.linspace(float(allv.min()), float(allv.max()), 41)
    return {"hist_edges": edges.round(4).tolist(),
            "genuine_hist": np.histogram(genuine, edges)[0].tolist(),
            "impostor_hist": np.histogram(impostor, edges)[0].tolist(),
            "look_alike_hist": np.histogram(kin, edges)[0].tolist()}


def separability(detector, embedder, backend: str, data: list[Subject], far: float = 1e-3,
                 progress=None, raw_distance: float | None = None) -> dict:
    """Genuine, impostor (unrelated identities) and look-alike scores of live captures against
    enrolments. With ``raw_distance`` the embedder gives raw vectors (dlib): cosine scores are
    taken on their unit versions, and FMR/FNMR at that Euclidean distance on the raw ones."""
    enrol, lives, owner, fallbacks = [], [], [], 0
    for i, s in enumerate(data):
        vecs = []
        for cap in [s.enrolment, *s.lives]:
            dets = detector.detect(cap.image)
            d = _fallback(dets, cap)
            fallbacks += not (dets and detected(dets, cap))
            vecs.append(embedder.embed(cap.image, [d])[0].vector)
        enrol.append(vecs[0])
        lives.extend(vecs[1:])
        owner.extend([i] * len(s.lives))
        if progress:
            progress(1)
    summary = separation(np.stack(enrol), np.stack(lives), np.asarray(owner),
                         [s.kin_of for s in data], far, raw_distance)
    summary["ground_truth_fallbacks"] = int(fallbacks)
    return summary


def separation(E: np.ndarray, L: np.ndarray, owner: np.ndarray, kin_of: list[int],
               far: float = 1e-3, raw_distance: float | None = None) -> dict:
    """:func:`separability`'s figures from the templates: enrolments ``E`` (one row per
    identity), live captures ``L`` and the identity each belongs to (``owner``), and each
    identity's relative (``kin_of``, -1 for none)."""
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    S = unit(L) @ unit(E).T
    own = np.zeros_like(S, bool)
    own[np.arange(len(owner)), owner] = True
    kin = np.zeros_like(S, bool)
    for i, k in enumerate(kin_of):
        if k >= 0:
            kin[owner == i, k] = True
            kin[owner == k, i] = True
    imp = ~own & ~kin
    summary = score_summary(S[own], S[imp], far)
    summary["look_alike"] = {"n": int(kin.sum()),
                             "mean": float(S[kin].mean()) if kin.any() else math.nan,
                             "above_impostor_mean": bool(kin.any() and S[kin].mean()
                                                         > S[imp].mean())}
    summary.update(_hist(S[own], S[imp], S[kin]))
    if raw_distance is not None:
        D = np.linalg.norm(L[:, None, :] - E[None, :, :], axis=2)
        g, i_, k = D[own], D[imp], D[kin]
        summary["euclidean"] = {
            "threshold": raw_distance, "fmr": float((i_ <= raw_distance).mean()),
            "fnmr": float((g > raw_distance).mean()),
            "look_alike_fmr": float((k <= raw_distance).mean()) if len(k) else math.nan,
            "genuine_mean": float(g.mean()), "genuine_sd": float(g.std(ddof=1)),
            "impostor_mean": float(i_.mean()), "impostor_sd": float(i_.std(ddof=1)),
            "d_prime": float(d_prime(i_, g)), "descriptor_norm": float(np.linalg.norm(
                np.concatenate([E, L]), axis=1).mean()), **_hist(g, i_, k)}
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
