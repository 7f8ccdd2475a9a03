"""Roles of the recognition pipeline: one Protocol per backend role, frozen results.

Construction does no heavy work; ``prepare()`` loads models. Backends are registered by name in
:mod:`pipeline.registry` and looked up with a clear error for an unknown name.
Images are numpy uint8 arrays in BGR order (OpenCV's), shape (H, W, 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True, slots=True)
class Detection:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels
    score: float
    landmarks: np.ndarray | None = None  # (5, 2): left eye, right eye, nose, mouth left, right


@dataclass(frozen=True, slots=True)
class Embedding:
    vector: np.ndarray  # (D,) float32, L2-normalised
    model: str  # backend/model name, so templates from different models are never compared


@runtime_checkable
class FaceDetector(Protocol):
    name: str

    def prepare(self) -> None: ...

    def detect(self, image: np.ndarray) -> list[Detection]: ...


@runtime_checkable
class FaceEmbedder(Protocol):
    name: str
    dim: int

    def prepare(self) -> None: ...

    def embed(self, image: np.ndarray, detections: list[Detection]) -> list[Embedding]:
        """Align each detected face (by its landmarks) and embed it; batch where the model can."""
        ...


# --- added by the recognition pipeline: split alignment from embedding, and matching --------

@runtime_checkable
class AligningEmbedder(FaceEmbedder, Protocol):
    """An embedder whose alignment and network can be timed apart (both shipped backends)."""

    def align(self, image: np.ndarray, detections: list[Detection]) -> list[np.ndarray]:
        """One aligned face crop per detection, in the model's input size."""
        ...

    def embed_aligned(self, crops: list[np.ndarray]) -> list[Embedding]:
        """Embed already aligned crops in one batch."""
        ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """One gallery entry returned by a 1:N search, best first."""

    template_id: str
    score: float
    rank: int  # 1-based


@runtime_checkable
class Matcher(Protocol):
    """Scores templates (higher = more alike) and searches an in-memory gallery."""

    metric: str

    def score(self, a: np.ndarray, b: np.ndarray) -> float: ...

    def verify(self, probe: np.ndarray, reference: np.ndarray, threshold: float) -> tuple[bool, float]: ...

    def search(self, probe: np.ndarray, k: int = 1, threshold: float | None = None) -> list[Candidate]: ...
