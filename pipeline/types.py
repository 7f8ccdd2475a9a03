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
