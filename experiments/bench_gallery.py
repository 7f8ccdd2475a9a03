"""``airtwin bench gallery``: the template store and the galleries beyond one exact scan.

- Enrolment latency p50/p99 (seal + commit + in-memory add, one template at a time) with 1k,
  10k, 100k and 1M templates already stored, per backend (SQLite; PostgreSQL on a throwaway
  local server); target <= 5 ms, flat. Startup: the rate at which a store opens into memory
  (read, decrypt, add to the gallery); target >= 50,000 templates/s at 1M.
- Approximate index at 10M synthetic templates: IVF-PQ recall@1 and @10 against exact search
  and latency per probe against the exact scan's (target: recall@1 >= 0.99 at >= 10x speed).
- Exact search sharded over Dask workers (a LocalCluster) against one process.
- Replicas: see :mod:`experiments.bench_replicas`.

Synthetic templates are random unit vectors: isotropic by default, the worst case for an index
(no structure to exploit), or with ``intrinsic`` dimensions (templates near a low-dimensional
subspace, as face embeddings are). A probe is a live capture of an enrolled traveler: its
template plus noise, at cosine ``PROBE_COS`` to it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.gallery.ann import ApproximateIndex, IvfPqSettings, recall_at
from pipeline.gallery.crypto import KeyRing, new_key
from pipeline.gallery.location import open_rows
from pipeline.gallery.store import Template
from pipeline.matching import NumpyGallery, top_k
from pipeline.service.templates import TemplateStore

BENCH_SEED = 1515
PROBE_COS = 0.8  # a genuine live capture against its enrolment template
ENROL_SIZES = (1_000, 10_000, 100_000, 1_000_000)
FILL_BATCH = 50_000
Progress = Callable[[str], None]


def _pct(values, q) -> float:
    return float(np.percentile(np.asarray(values, float), q))


def synthetic_templates(n: int, dim: int, rng: np.random.Generator, intrinsic: int = 0,
                        chunk: int = 1_000_000) -> np.ndarray:
    """(n, dim) float32 unit vectors, made ``chunk`` rows at a time (no float64 copy of all)."""
    out = np.empty((n, dim), np.float32)
    basis = rng.standard_normal((intrinsic, dim), dtype=np.float32) if intrinsic else None
    for s in range(0, n, chunk):
        m = min(chunk, n - s)
        if basis is None:
            block = rng.standard_normal((m, dim), dtype=np.float32)
        else:  # near an intrinsic-dimensional subspace, plus a little of every direction
            block = rng.standard_normal((m, intrinsic), dtype=np.float32) @ basis
            block += 0.3 * np.sqrt(intrinsic / dim) * rng.standard_normal((m, dim),
                                                                          dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[s:s + m] = block
    return out


def live_probes(gallery: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal((len(rows), gallery.shape[1]), dtype=np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    p = PROBE_COS * gallery[rows] + np.float32(np.sqrt(1 - PROBE_COS ** 2)) * noise
    return (p / np.linalg.norm(p, axis=1, keepdims=True)).astype(np.float32)


# --- enrolment and startup ---------------------------------------------------------------
@dataclass(frozen=True)
class EnrolPoint:
    backend: str
    stored: int  # templates in the store when the enrolments were timed
    enrol_p50_ms: float
    enrol_p99_ms: float
    load_s: float  # opening the store: every row read, decrypted, added to the gallery
    load_rate: float  # templates/s


def _fill(location, keys: KeyRing, start: int, stop: int, dim: int,
          rng: np.random.Generator) -> None:
    rows = open_rows(location, keys)
    try:
        now = time.time()
        for s in range(start, stop, FILL_BATCH):
            v = synthetic_templates(min(FILL_BATCH, stop - s), dim, rng)
            rows.put_many([keys.seal(Template(f"s{s + i:09d}", v[i], "bench", now))
                           for i in range(len(v))])
    finally:
        rows.close()


def enrolment_scaling(location, backend: str, sizes=ENROL_SIZES, dim: int = 128,
                      enrolments: int = 1000, progress: Progress = print) -> list[EnrolPoint]:
    keys, rng, held, points = KeyRing(new_key()), np.random.default_rng(BENCH_SEED), 0, []
    for size in sizes:
        if size > held:
            progress(f"{backend}: filling the store to {size:,} templates")
            _fill(location, keys, held, size, dim, rng)
        store = TemplateStore.open(location, keys, retention_s=30 * 86_400.0)
        progress(f"{backend}: {store.loaded}; timing {enrolments} enrolments")
        fresh, lat = synthetic_templates(enrolments, dim, rng), []
        for i in range(enrolments):
            t0 = time.perf_counter()
            store.add(f"e{size}-{i}", fresh[i], "bench")
            lat.append(time.perf_counter() - t0)
        held = len(store)
        points.append(EnrolPoint(backend, size, 1e3 * _pct(lat, 50), 1e3 * _pct(lat, 99),
                                 store.loaded.seconds, store.loaded.rate))
        store.close()
    return points


# --- approximate index ---------------------------------------------------------------------
@dataclass(frozen=True)
class AnnPoint:
    probe_lists: int
    recall_at_1: float
    recall_at_10: float
    ms_per_probe: float  # one probe at a time
    speedup: float  # exact scan ms per probe / this


def _exact_top(matrix: np.ndarray, probes: np.ndarray, k: int, chunk: int = 250_000):
    """Exact top-k rows of each probe, a chunk of the gallery at a time (bounded memory)."""
    best_s = np.full((len(probes), 0), -np.inf, np.float32)
    best_r = np.zeros((len(probes), 0), np.int64)
    for s in range(0, len(matrix), chunk):
        sc = probes @ matrix[s:s + chunk].T
        part = np.argpartition(-sc, min(k, sc.shape[1] - 1), axis=1)[:, :k]
        best_s = np.hstack([best_s, np.take_along_axis(sc, part, 1)])
        best_r = np.hstack([best_r, part + s])
        keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
        best_s, best_r = (np.take_along_axis(best_s, keep, 1),
                          np.take_along_axis(best_r, keep, 1))
    return best_r


def approximate_search(n: int, dim: int, settings: IvfPqSettings, probe_lists=(32, 64, 128, 256),
                       probes: int = 200, timed: int = 20, intrinsic: int = 0,
                       progress: Progress = print) -> dict:
    rng = np.random.default_rng(BENCH_SEED + 1)
    progress(f"ann: {n:,} synthetic {dim}-d templates ({n * dim * 4 / 2**30:.1f} GiB)")
    matrix = synthetic_templates(n, dim, rng, intrinsic)
    queries = live_probes(matrix, rng.integers(0, n, probes), rng)
    progress(f"ann: exact top-10 of {probes} probes (the ground truth)")
    truth = _exact_top(matrix, queries, 10)
    exact_ms = []
    for q in queries[:5]:  # the exact scan of one probe, as NumpyGallery does it
        t0 = time.perf_counter()
        top_k(matrix @ q, 10)
        exact_ms.append(1e3 * (time.perf_counter() - t0))
    exact = float(np.median(exact_ms))
    progress(f"ann: exact scan {exact:.0f} ms per probe")
    index = ApproximateIndex(dim, settings)
    t0 = time.perf_counter()
    index.build(matrix, rng, progress=lambda s: progress(f"ann: {s}"))
    build_s = time.perf_counter() - t0
    points = []
    for lists in probe_lists:
        _, rows = index.search(queries, 10, exact=matrix, probe_lists=lists)
        t0 = time.perf_counter()
        for q in queries[:timed]:
            index.search(q, 10, exact=matrix, probe_lists=lists)
        ms = 1e3 * (time.perf_counter() - t0) / timed
        points.append(AnnPoint(lists, recall_at(rows, truth, 1), recall_at(rows, truth, 10),
                               ms, exact / ms))
        progress(f"ann: nprobe {lists}: recall@1 {points[-1].recall_at_1:.3f}, {ms:.1f} ms")
    return {"templates": n, "dim": dim, "intrinsic_dim": intrinsic or None,
            "probe_cosine": PROBE_COS, "probes": probes, "settings": asdict(settings),
            "index_bytes_per_template": settings.bytes_per_template,
            "exact_bytes_per_template": dim * 4, "build_s": build_s, "exact_ms_per_probe": exact,
            "points": [asdict(p) for p in points]}


# --- sharded exact search ----------------------------------------------------------------
def sharded_search(n: int, dim: int, workers: int = 2, timed: int = 20,
                   progress: Progress = print) -> dict:
    from distributed import Client, LocalCluster

    from pipeline.gallery.shards import ShardedGallery

    rng = np.random.default_rng(BENCH_SEED + 2)
    matrix = synthetic_templates(n, dim, rng)
    ids = [f"s{i}" for i in range(n)]
    queries = live_probes(matrix, rng.integers(0, n, timed), rng)
    local = NumpyGallery(dim)
    local.add(ids, matrix)

    def per_probe(gallery) -> float:
        gallery.search(queries[0], 10)  # warm
        t0 = time.perf_counter()
        for q in queries:
            gallery.search(q, 10)
        return 1e3 * (time.perf_counter() - t0) / timed

    one = per_probe(local)
    del local
    progress(f"shards: {n:,} templates over {workers} Dask workers")
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        sharded = ShardedGallery(client, dim)
        for s in range(0, n, 100_000):
            sharded.add(ids[s:s + 100_000], matrix[s:s + 100_000])
        fanned = per_probe(sharded)
    return {"templates": n, "dim": dim, "workers": workers, "one_process_ms_per_probe": one,
            "sharded_ms_per_probe": fanned}


def bench_gallery(sizes=ENROL_SIZES, backends=("sqlite", "postgresql"), dim: int = 128,
                  enrolments: int = 1000, ann_size: int = 10_000_000,
                  ann: IvfPqSettings = IvfPqSettings(), probe_lists=(32, 64, 128, 256),
                  intrinsic: int = 0, shard_size: int = 1_000_000, replica_requests: int = 40,
                  replica_concurrency=(1, 2, 4, 8), progress: Progress = print) -> dict:
    from pipeline.gallery.pg_local import LocalPostgres

    result: dict = {"dim": dim, "enrolment": [], "ann": None, "shards": None, "replicas": None}
    needs_pg = "postgresql" in backends or replica_requests > 0
    with LocalPostgres() if needs_pg else nullcontext() as pg:
        for backend in backends:
            if backend == "sqlite":
                folder = tempfile.mkdtemp(prefix="airtwin-bench-gallery-")
                try:
                    result["enrolment"] += enrolment_scaling(folder, backend, sizes, dim,
                                                             enrolments, progress)
                finally:
                    shutil.rmtree(folder, ignore_errors=True)
            else:
                result["enrolment"] += enrolment_scaling(pg.create_database("bench_enrol"),
                                                         backend, sizes, dim, enrolments, progress)
        if replica_requests > 0:
            from experiments.bench_replicas import bench_replicas

            result["replicas"] = bench_replicas(pg.create_database("bench_replicas"),
                                                replica_concurrency, replica_requests, progress)
    result["enrolment"] = [asdict(p) for p in result["enrolment"]]
    if shard_size > 0:
        result["shards"] = sharded_search(shard_size, dim, progress=progress)
    if ann_size > 0:
        result["ann"] = approximate_search(ann_size, dim, ann, probe_lists, intrinsic=intrinsic,
                                           progress=progress)
    return result
