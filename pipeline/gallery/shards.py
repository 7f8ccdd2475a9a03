"""Exact 1:N search split across Dask workers, for galleries larger than one machine's memory.

Each shard is a Dask actor: a :class:`~pipeline.matching.NumpyGallery` living on one worker,
which keeps its templates between calls. A template goes to the shard its id hashes to (CRC-32,
stable across processes and runs); a search fans the probes out to every shard at once and
merges their top-k lists, which is exact because every shard returns its own top k.
"""

from __future__ import annotations

import zlib
from collections import defaultdict

import numpy as np

from pipeline.matching import NumpyGallery
from pipeline.types import Candidate


class GalleryShard:
    """One worker's part of a gallery (runs as a Dask actor on that worker)."""

    def __init__(self, dim: int, metric: str = "cosine"):
        self.gallery = NumpyGallery(dim, metric)

    def add(self, ids: list[str], vectors: np.ndarray) -> int:
        self.gallery.add(ids, vectors)
        return len(self.gallery)

    def remove(self, template_id: str) -> bool:
        if template_id not in self.gallery:
            return False
        self.gallery.remove(template_id)
        return True

    def size(self) -> int:
        return len(self.gallery)

    def search(self, probes: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        return [[(c.template_id, c.score) for c in found]
                for found in self.gallery.search_batch(probes, k)]


def shard_of(template_id: str, shards: int) -> int:
    return zlib.crc32(template_id.encode()) % shards


class ShardedGallery:
    """A gallery whose templates are spread over ``shards`` actors on a Dask cluster's workers
    (one per worker by default), searched as one."""

    def __init__(self, client, dim: int, shards: int | None = None, metric: str = "cosine"):
        workers = sorted(client.scheduler_info()["workers"])
        if not workers:
            raise ValueError("the Dask cluster has no workers to hold gallery shards")
        n = shards or len(workers)
        self.dim, self.metric = dim, metric
        self._shards = [client.submit(GalleryShard, dim, metric, actor=True,
                                      workers=[workers[i % len(workers)]]).result()
                        for i in range(n)]

    def __len__(self) -> int:
        return sum(self.sizes())

    def sizes(self) -> list[int]:
        """Templates held by each shard."""
        return [f.result() for f in [s.size() for s in self._shards]]

    @property
    def shards(self) -> int:
        return len(self._shards)

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        v = np.atleast_2d(np.asarray(vectors, np.float32))
        if len(ids) != len(v):
            raise ValueError(f"{len(ids)} ids for {len(v)} templates")
        rows = defaultdict(list)
        for j, tid in enumerate(ids):
            rows[shard_of(tid, len(self._shards))].append(j)
        pending = [self._shards[s].add([ids[j] for j in js], v[js]) for s, js in rows.items()]
        for f in pending:
            f.result()

    def remove(self, template_id: str) -> bool:
        return self._shards[shard_of(template_id, len(self._shards))].remove(template_id).result()

    def search_batch(self, probes: np.ndarray, k: int = 1,
                     threshold: float | None = None) -> list[list[Candidate]]:
        p = np.atleast_2d(np.asarray(probes, np.float32))
        pending = [s.search(p, k) for s in self._shards]  # all shards at once
        per_shard = [f.result() for f in pending]
        out = []
        for i in range(len(p)):
            merged = sorted((hit for shard in per_shard for hit in shard[i]),
                            key=lambda h: (-h[1], h[0]))[:k]
            out.append([Candidate(tid, score, r + 1) for r, (tid, score) in enumerate(merged)
                        if threshold is None or score >= threshold])
        return out

    def search(self, probe: np.ndarray, k: int = 1,
               threshold: float | None = None) -> list[Candidate]:
        return self.search_batch(probe, k, threshold)[0]
