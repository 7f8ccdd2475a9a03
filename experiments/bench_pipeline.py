"""``airtwin bench pipeline``: what the recognition pipeline costs, against what it must cost.

- Per-face latency p50/p99 by stage (detect, align, embed, match) on rendered e-gate captures.
- Overhead: the pipeline's end-to-end time over the bare model calls it makes on the same
  inputs (detector network, shape predictor where dlib uses one, recogniser network); target
  <= 1.10x.
- 1:N search over random unit templates (10k, 100k, 1M) against the memory bound: one search
  must read the gallery once, so gallery bytes / measured memory bandwidth is its floor.
- Batch sweep (faces/s and p99 per batch of aligned crops, 1..64): the figure that sizes GPU
  capacity with ``--provider cuda`` (onnxruntime-gpu on an NVIDIA GPU).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from pipeline.matching import NumpyGallery
from pipeline.recognizer import Recognizer

GALLERY_SIZES = (10_000, 100_000, 1_000_000)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)
BENCH_SEED = 27_182


def _pct(values, q) -> float:
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else float("nan")


def render_captures(n: int, seed: int = BENCH_SEED) -> list[np.ndarray]:
    from sim.faces import make_identity, render_live

    return [render_live(make_identity((seed, i)), np.random.default_rng([seed, i])).image
            for i in range(n)]


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def _bare_calls(rec: Recognizer, backend: str, image: np.ndarray, det) -> Callable[[], None]:
    """A function making only the model calls the pipeline makes for ``image`` (inputs
    prepared beforehand, outside the timing)."""
    if backend == "dlib":
        from pipeline.backends import dlib_backend as db

        rgb = np.ascontiguousarray(image[:, :, ::-1])
        detector = db._hog() if rec.detector.model == "hog" else db._cnn()
        rect = db._rect(det.box)
        sp, net = db._shape_predictor(), db._resnet()
        chip = rec.embedder.align(image, [det])

        def bare():
            detector(rgb, rec.detector.upsample)
            sp(rgb, rect)  # landmarks for the detection
            sp(rgb, rect)  # the embedder's own fit for its chip
            net.compute_face_descriptor(chip, 0)
        return bare
    import cv2

    m = rec.detector._model
    size = (rec.detector.det_size, rec.detector.det_size)
    # SCRFD's own letterbox: resize keeping aspect, pad to the square input.
    h, w = image.shape[:2]
    scale = min(size[0] / w, size[1] / h)
    pad = np.zeros((size[1], size[0], 3), np.uint8)
    pad[:int(h * scale), :int(w * scale)] = cv2.resize(image, (int(w * scale), int(h * scale)))
    det_blob = cv2.dnn.blobFromImage(pad, 1.0 / m.input_std, size, (m.input_mean,) * 3, swapRB=True)
    det_names = [o.name for o in m.session.get_outputs()]
    det_input = m.session.get_inputs()[0].name
    emb = rec.embedder
    rec_blob = emb.preprocess(emb.align(image, [det]))

    def bare():
        m.session.run(det_names, {det_input: det_blob})
        emb.forward(rec_blob)
    return bare


def stage_latencies(rec: Recognizer, backend: str, images: list[np.ndarray],
                    progress=None, repeats: int = 2) -> dict:
    """Stage latencies per face, and the end-to-end over bare-model-calls ratio (each side the
    best of ``repeats`` runs per image, so both see the same noise)."""
    ref = None
    rows, e2e_t, bare_t = [], [], []
    for im in images[:3]:  # warm-up: first calls pay for allocations and lazy init
        rec.extract(im)
    for im in images:
        best = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            probe = rec.extract(im)
            res = rec.compare(probe, probe.vector if ref is None else ref, 0.5) \
                if probe.acquired else None
            e2e = time.perf_counter() - t0
            if best is None or e2e < best[0]:
                best = (e2e, probe, res)
        if progress:
            progress(1)
        e2e, probe, res = best
        if res is None:
            continue
        ref = probe.vector
        lat = res.latency
        rows.append((lat.detect_s, lat.align_s, lat.embed_s, lat.match_s, lat.total_s))
        e2e_t.append(e2e)
        bare = _bare_calls(rec, backend, im, probe.detection)
        bare()
        bare_t.append(min(_timed(bare) for _ in range(repeats)))
    a = np.asarray(rows, float).reshape(-1, 5)
    names = ("detect", "align", "embed", "match", "total")
    stages = {n: {"p50_ms": 1e3 * _pct(a[:, i], 50), "p99_ms": 1e3 * _pct(a[:, i], 99)}
              for i, n in enumerate(names)}
    e2e_med, bare_med = float(np.median(e2e_t)), float(np.median(bare_t))
    return {"n_faces": int(len(a)), "n_fta": len(images) - int(len(a)), "stages": stages,
            "end_to_end_ms": 1e3 * e2e_med, "bare_model_calls_ms": 1e3 * bare_med,
            "overhead_ratio": e2e_med / bare_med, "overhead_target": 1.10}


def memory_bandwidth(nbytes: int = 1 << 29, repeats: int = 5) -> float:
    """Bytes/s of a large array copy (read + write counted, as STREAM's Copy does)."""
    src = np.ones(nbytes // 4, np.float32)
    dst = np.empty_like(src)
    best = min(_timed(np.copyto, dst, src) for _ in range(repeats))
    return 2 * src.nbytes / best


def search_scaling(dim: int, sizes=GALLERY_SIZES, dtype=np.float32, bandwidth: float | None = None,
                   probes: int = 64, seed: int = BENCH_SEED, progress=None) -> list[dict]:
    """Exact 1:N search time per gallery size against gallery_bytes / bandwidth."""
    bandwidth = bandwidth or memory_bandwidth()
    rng = np.random.default_rng(seed)
    out = []
    for n in sizes:
        g = NumpyGallery(dim, "cosine", dtype)
        g.reserve(n)
        chunk = 100_000
        for s in range(0, n, chunk):
            m = min(chunk, n - s)
            g.add([str(i) for i in range(s, s + m)],
                  rng.standard_normal((m, dim), dtype=np.float32))
        q = rng.standard_normal((probes, dim), dtype=np.float32)
        g.search(q[0], k=5)  # warm-up
        single = [_timed(g.search, q[i], 5) for i in range(min(probes, 20))]
        batch = min(_timed(g.search_batch, q, 5) for _ in range(3)) / probes
        bound = g.nbytes / bandwidth
        out.append({"templates": n, "dim": dim, "dtype": np.dtype(dtype).name,
                    "gallery_mb": g.nbytes / 2**20, "search_ms": 1e3 * float(np.median(single)),
                    "batched_search_ms_per_probe": 1e3 * batch, "memory_bound_ms": 1e3 * bound,
                    "ratio_to_bound": float(np.median(single)) / bound})
        del g
        if progress:
            progress(1)
    return out


def batch_sweep(rec: Recognizer, images: list[np.ndarray], sizes=BATCH_SIZES,
                repeats: int = 5) -> list[dict]:
    """Embedder throughput on batches of aligned crops (the serving path's unit of work)."""
    crops = []
    for im in images:
        t = rec.extract(im)
        if t.acquired:
            crops.extend(rec.embedder.align(im, [t.detection]))
    if not crops:
        return []
    out = []
    for b in sizes:
        batch = [crops[i % len(crops)] for i in range(b)]
        rec.embedder.embed_aligned(batch)  # warm-up (GPU kernels pick algorithms per shape)
        times = [_timed(rec.embedder.embed_aligned, batch) for _ in range(repeats)]
        out.append({"batch": b, "faces_per_s": b / float(np.median(times)),
                    "p50_ms": 1e3 * _pct(times, 50), "p99_ms": 1e3 * _pct(times, 99)})
    return out
