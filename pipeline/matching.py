"""Comparing templates: scores, 1:1 verification, 1:N search over an in-memory gallery.

Scores are "higher = more alike" for every metric, so one threshold rule serves all:
``cosine`` is the dot product of L2-normalised templates (in [-1, 1]); ``l2`` is the negated
Euclidean distance (so a distance of 0.6 is the score -0.6). For unit vectors they rank
identically (d² = 2 - 2·cos).

:class:`NumpyGallery` keeps the templates in one contiguous matrix and searches with one
matrix-vector (or matrix-matrix, for a batch of probes) product: the search is bound by reading
the gallery from memory once. :class:`FaissGallery` is the same interface on faiss-cpu's exact
flat index for users who have it (``pip install 'airtwin[faiss]'``).
"""

from __future__ import annotations

import numpy as np

from pipeline.types import Candidate

METRICS = ("cosine", "l2")


def _check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    return metric


def normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float32)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def scores(probes: np.ndarray, gallery: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """(M, N) scores of M probes against N gallery templates (1-D inputs are one row)."""
    _check_metric(metric)
    p = np.atleast_2d(np.asarray(probes, np.float32))
    g = np.atleast_2d(np.asarray(gallery, np.float32))
    if p.shape[1] != g.shape[1]:
        raise ValueError(f"template sizes differ: probe {p.shape[1]}-d, gallery {g.shape[1]}-d "
                         f"(templates from different models cannot be compared)")
    if metric == "cosine":
        return normalise(p) @ normalise(g).T
    d2 = (p * p).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2 * p @ g.T
    return -np.sqrt(np.maximum(d2, 0))


def score(a: np.ndarray, b: np.ndarray, metric: str = "cosine") -> float:
    return float(scores(a, b, metric)[0, 0])


def verify(probe: np.ndarray, reference: np.ndarray, threshold: float,
           metric: str = "cosine") -> tuple[bool, float]:
    """1:1: (match?, score); a match is ``score >= threshold``."""
    s = score(probe, reference, metric)
    return s >= threshold, s


def top_k(score_row: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first (ties broken by lower index)."""
    n = score_row.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.empty(0, np.int64)
    idx = np.argpartition(-score_row, k - 1)[:k] if k < n else np.arange(n)
    return idx[np.lexsort((idx, -score_row[idx]))]


class NumpyGallery:
    """A 1:N gallery in one numpy matrix. Not thread-safe for concurrent add and search."""

    def __init__(self, dim: int, metric: str = "cosine", dtype=np.float32):
        self.dim, self.metric = int(dim), _check_metric(metric)
        self.dtype = np.dtype(dtype)
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._rows = np.empty((0, self.dim), self.dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __contains__(self, template_id: str) -> bool:
        return template_id in self._index

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def nbytes(self) -> int:
        return self._n * self.dim * self.dtype.itemsize

    def _prep(self, vectors: np.ndarray) -> np.ndarray:
        v = np.atleast_2d(np.asarray(vectors, np.float32))
        if v.shape[1] != self.dim:
            raise ValueError(f"gallery holds {self.dim}-d templates, got {v.shape[1]}-d")
        return normalise(v) if self.metric == "cosine" else v

    def reserve(self, n: int) -> None:
        """Make room for ``n`` templates at once (a 1M gallery then never holds two copies)."""
        if n > len(self._rows):
            grown = np.empty((n, self.dim), self.dtype)
            grown[:self._n] = self._rows[:self._n]
            self._rows = grown

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        v = self._prep(vectors)
        if len(ids) != len(v):
            raise ValueError(f"{len(ids)} ids for {len(v)} templates")
        if not self._index.keys().isdisjoint(ids) or len(set(ids)) != len(ids):
            dup = [i for i in ids if i in self._index] or [ids[0]]
            raise ValueError(f"template id {dup[0]!r} is already in the gallery")
        need = self._n + len(v)
        if need > len(self._rows):  # grow geometrically so repeated adds stay linear
            grown = np.empty((max(need, 2 * len(self._rows), 64), self.dim), self.dtype)
            grown[:self._n] = self._rows[:self._n]
            self._rows = grown
        self._rows[self._n:need] = v
        self._index.update(zip(ids, range(self._n, need)))  # C speed: 1M ids load in a blink
        self._ids.extend(ids)
        self._n = need

    def remove(self, template_id: str) -> None:
        try:
            row = self._index.pop(template_id)
        except KeyError:
            raise KeyError(f"unknown template id {template_id!r}") from None
        last = self._n - 1
        if row != last:  # move the last row into the hole
            self._rows[row] = self._rows[last]
            moved = self._ids[last]
            self._ids[row] = moved
            self._index[moved] = row
        self._ids.pop()
        self._n = last

    def matrix(self) -> np.ndarray:
        return self._rows[:self._n]

    def vector(self, template_id: str) -> np.ndarray:
        """A copy of one template as stored (L2-normalised under cosine)."""
        try:
            return self._rows[self._index[template_id]].copy()
        except KeyError:
            raise KeyError(f"unknown template id {template_id!r}") from None

    def score_matrix(self, probes: np.ndarray) -> np.ndarray:
        """(M, N) scores of M probes against the whole gallery: one matrix product."""
        p = self._prep(probes)
        g = self.matrix()
        if self.metric == "cosine":
            if len(p) == 1:  # one probe: a matrix-vector product, read the gallery once
                return (g @ p[0].astype(self.dtype))[None, :].astype(np.float32, copy=False)
            return (p.astype(self.dtype) @ g.T).astype(np.float32, copy=False)
        return scores(p, g.astype(np.float32), "l2")

    def search_batch(self, probes: np.ndarray, k: int = 1,
                     threshold: float | None = None) -> list[list[Candidate]]:
        if self._n == 0:
            return [[] for _ in range(len(np.atleast_2d(probes)))]
        s = self.score_matrix(probes)
        out = []
        for row in s:
            cands = [Candidate(self._ids[i], float(row[i]), r + 1)
                     for r, i in enumerate(top_k(row, k))]
            out.append([c for c in cands if threshold is None or c.score >= threshold])
        return out

    def search(self, probe: np.ndarray, k: int = 1,
               threshold: float | None = None) -> list[Candidate]:
        """1:N: up to k candidates, best first, with ``score >= threshold`` if one is given."""
        return self.search_batch(probe, k, threshold)[0]


class FaissGallery(NumpyGallery):
    """The same gallery searched by faiss's exact flat index (inner product or L2)."""

    def __init__(self, dim: int, metric: str = "cosine"):
        try:
            import faiss
        except ImportError as exc:
            raise ImportError("the faiss gallery needs faiss-cpu, which is not installed: "
                              "`pip install 'airtwin[faiss]'` (or faiss-cpu), or use the numpy "
                              "gallery (kind='numpy'), which needs nothing") from exc
        super().__init__(dim, metric, np.float32)
        self._faiss = faiss
        self._flat = None  # rebuilt lazily after changes

    def add(self, ids, vectors) -> None:
        super().add(ids, vectors)
        self._flat = None

    def remove(self, template_id: str) -> None:
        super().remove(template_id)
        self._flat = None

    def search_batch(self, probes, k: int = 1, threshold: float | None = None):
        if self._n == 0:
            return [[] for _ in range(len(np.atleast_2d(probes)))]
        if self._flat is None:
            cls = self._faiss.IndexFlatIP if self.metric == "cosine" else self._faiss.IndexFlatL2
            self._flat = cls(self.dim)
            self._flat.add(np.ascontiguousarray(self.matrix(), np.float32))
        p = np.ascontiguousarray(self._prep(probes), np.float32)
        sims, idx = self._flat.search(p, min(k, self._n))
        if self.metric == "l2":  # faiss returns squared distances
            sims = -np.sqrt(np.maximum(sims, 0))
        out = []
        for srow, irow in zip(sims, idx):
            cands = [Candidate(self._ids[i], float(s), r + 1)
                     for r, (s, i) in enumerate(zip(srow, irow)) if i >= 0]
            out.append([c for c in cands if threshold is None or c.score >= threshold])
        return out


GALLERIES = {"numpy": NumpyGallery, "faiss": FaissGallery}


def make_gallery(dim: int, metric: str = "cosine", kind: str = "numpy", **opts) -> NumpyGallery:
    try:
        cls = GALLERIES[kind]
    except KeyError:
        raise ValueError(f"unknown gallery kind {kind!r} (known: {', '.join(GALLERIES)})") from None
    return cls(dim, metric, **opts)


class GalleryMatcher:
    """The :class:`pipeline.types.Matcher` role over a gallery: score, verify, search."""

    def __init__(self, gallery: NumpyGallery):
        self.gallery = gallery
        self.metric = gallery.metric

    def score(self, a, b) -> float:
        return score(a, b, self.metric)

    def verify(self, probe, reference, threshold: float) -> tuple[bool, float]:
        return verify(probe, reference, threshold, self.metric)

    def search(self, probe, k: int = 1, threshold: float | None = None) -> list[Candidate]:
        return self.gallery.search(probe, k, threshold)
