"""Approximate 1:N search, for galleries where reading every template per probe is too slow:
faiss IVF-PQ (``pip install 'airtwin[faiss]'``), its shortlist re-scored exactly.

IVF splits the gallery into ``lists`` cells around k-means centroids and a probe reads only the
``probe_lists`` nearest cells; PQ stores each template as ``code_bytes`` bytes (one byte per
sub-vector) so those cells are scanned fast and held small. The ``shortlist`` best PQ scores are
then re-scored against the exact float32 templates (which a service replica holds anyway for
verification), so the scores returned are exact and only the recall is approximate.

Row numbers are the index's ids: the caller maps them to template ids (the rows of the exact
matrix it passes to :meth:`ApproximateIndex.search`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ID_BYTES = 8  # faiss keeps one int64 id per template in its inverted lists
PQ_TRAIN_MIN = 10_000  # each PQ sub-quantizer fits 256 centroids: faiss asks for 39 samples each


@dataclass(frozen=True)
class IvfPqSettings:
    lists: int = 1024  # IVF cells
    code_bytes: int = 16  # PQ sub-quantizers, 8 bits each: bytes per template in the index
    probe_lists: int = 128  # cells read per probe
    shortlist: int = 256  # PQ candidates re-scored exactly
    train_per_list: int = 40  # k-means training templates per cell (faiss's own minimum: 39)

    def __post_init__(self):
        for name in ("lists", "code_bytes", "probe_lists", "shortlist", "train_per_list"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.probe_lists > self.lists:
            raise ValueError(f"probe_lists: must be <= lists ({self.lists}), got "
                             f"{self.probe_lists}")

    @property
    def bytes_per_template(self) -> int:
        """What the index itself holds per template (the exact vectors are extra)."""
        return self.code_bytes + ID_BYTES


def _faiss():
    try:
        import faiss
    except ImportError as exc:
        raise ImportError("the approximate index needs faiss-cpu, which is not installed: "
                          "`pip install 'airtwin[faiss]'` (or faiss-cpu)") from exc
    return faiss


class ApproximateIndex:
    """IVF-PQ over L2-normalised templates (inner product = cosine), re-ranked exactly."""

    def __init__(self, dim: int, settings: IvfPqSettings = IvfPqSettings()):
        if dim % settings.code_bytes:
            raise ValueError(f"code_bytes {settings.code_bytes} must divide the template "
                             f"dimension {dim}")
        faiss = _faiss()
        self.dim, self.settings = dim, settings
        self._coarse = faiss.IndexFlatIP(dim)  # kept: the IVF index does not own it
        self._index = faiss.IndexIVFPQ(self._coarse, dim, settings.lists, settings.code_bytes,
                                       8, faiss.METRIC_INNER_PRODUCT)

    def __len__(self) -> int:
        return self._index.ntotal

    @property
    def nbytes(self) -> int:
        return len(self) * self.settings.bytes_per_template

    def build(self, matrix: np.ndarray, rng: np.random.Generator, batch: int = 500_000,
              progress: Callable[[str], None] = lambda s: None) -> None:
        """Train on a random sample of ``matrix``'s rows, then add them all, ``batch`` at a
        time (faiss copies what it is given: batches bound the extra memory)."""
        n = len(matrix)
        sample = min(n, max(self.settings.lists * self.settings.train_per_list,
                            PQ_TRAIN_MIN))
        progress(f"training IVF{self.settings.lists},PQ{self.settings.code_bytes} on {sample:,}")
        self._index.train(np.ascontiguousarray(matrix[np.sort(rng.choice(n, sample,
                                                                         replace=False))]))
        for start in range(0, n, batch):
            self._index.add(np.ascontiguousarray(matrix[start:start + batch], np.float32))
            progress(f"indexed {min(start + batch, n):,} / {n:,}")

    def search(self, probes: np.ndarray, k: int, exact: np.ndarray | None = None,
               probe_lists: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (M, k), best first; rows are -1 where fewer were found. With
        ``exact`` (the indexed matrix), the shortlist is re-scored against it. ``probe_lists``
        overrides the settings' (to trade recall for speed on one trained index)."""
        p = np.ascontiguousarray(np.atleast_2d(probes), np.float32)
        self._index.nprobe = probe_lists or self.settings.probe_lists
        want = k if exact is None else max(k, self.settings.shortlist)
        scores, rows = self._index.search(p, want)
        if exact is None:
            return scores[:, :k], rows[:, :k]
        rescored = np.einsum("md,msd->ms", p, exact[np.maximum(rows, 0)])
        rescored[rows < 0] = -np.inf
        best = np.argsort(-rescored, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(rescored, best, 1), np.take_along_axis(rows, best, 1)


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Mean share of each probe's true top-``k`` rows that ``found`` holds in its top ``k``."""
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))
