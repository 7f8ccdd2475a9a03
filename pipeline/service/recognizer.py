"""The model work one request needs (detect, align, embed), run for a batch of requests.

This is what the batch worker calls on its model thread and what the in-process benchmark calls
directly, so the service and the baseline run the very same code. Each image gives one face, the
largest: an e-gate or a watchlist probe is about the person in front of the camera.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.registry import get_detector, get_embedder
from pipeline.types import AligningEmbedder, Detection, Embedding, FaceDetector, FaceEmbedder


@dataclass(frozen=True, slots=True)
class FaceResult:
    """The face found in one image, or none (failure to acquire)."""

    detection: Detection | None
    embedding: Embedding | None
    faces_found: int
    detect_s: float
    align_s: float
    embed_s: float  # the batch's embedding call: every request in it waited for all of it

    @property
    def acquired(self) -> bool:
        return self.embedding is not None


def _area(d: Detection) -> float:
    x1, y1, x2, y2 = d.box
    return max(x2 - x1, 0.0) * max(y2 - y1, 0.0)


class Recognizer:
    """A backend's detector and embedder, prepared together; ``process`` runs a batch."""

    def __init__(self, detector: FaceDetector, embedder: FaceEmbedder):
        self.detector, self.embedder = detector, embedder
        self.ready = False

    @classmethod
    def from_backend(cls, backend: str, model_dir: Path | None = None) -> "Recognizer":
        opts = {} if model_dir is None else {"model_dir": str(model_dir)}
        return cls(get_detector(backend, **opts), get_embedder(backend, **opts))

    @property
    def model(self) -> str:
        return self.embedder.name

    def prepare(self) -> None:
        self.detector.prepare()
        self.embedder.prepare()
        self.ready = True

    def process(self, images: list[np.ndarray]) -> list[FaceResult]:
        found: list[tuple[Detection | None, int, float, float]] = []
        crops: list[np.ndarray] = []
        for image in images:
            t0 = time.perf_counter()
            dets = self.detector.detect(image)
            t1 = time.perf_counter()
            best = max(dets, key=_area) if dets else None
            if best is not None and isinstance(self.embedder, AligningEmbedder):
                crops.append(self.embedder.align(image, [best])[0])
            found.append((best, len(dets), t1 - t0, time.perf_counter() - t1))
        t0 = time.perf_counter()
        if isinstance(self.embedder, AligningEmbedder):
            vectors = iter(self.embedder.embed_aligned(crops))
        else:  # a plain embedder aligns inside embed(): one call per image
            vectors = iter([e for img, (best, *_r) in zip(images, found) if best is not None
                            for e in self.embedder.embed(img, [best])])
        embed_s = time.perf_counter() - t0
        return [FaceResult(best, next(vectors) if best is not None else None, n, det_s, al_s,
                           embed_s)
                for best, n, det_s, al_s in found]
