"""What every CCTV detector returns, and the frame and box checks they share.

:class:`PersonDetector` is the one Protocol for finding people in a frame; its backends live with
the pipeline that owns them (background subtraction and the ONNX person detector in
:mod:`pipeline.danger.detect`, the head-and-shoulders detector in :mod:`pipeline.vision.heads`)
and return :class:`Detections` of :class:`Blob`. Frames are uint8 BGR (H, W, 3), boxes full-
resolution pixels x1 y1 x2 y2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from pipeline.camera_queue import BadFrameError

__all__ = ["Blob", "Detections", "DetectorError", "FrameError", "PersonDetector", "box_iou",
           "check_frame", "iou_matrix"]


class DetectorError(ValueError):
    """An unknown backend or option, or a model file that cannot serve as a person detector."""


class FrameError(BadFrameError):
    """A frame the pipeline cannot take: wrong type, shape, size or dtype; the message says
    which."""


@dataclass(frozen=True, slots=True)
class Blob:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in full-resolution pixels
    area_px: float  # foreground pixels inside the box (full resolution); box area for detectors
    score: float  # detector confidence in [0, 1]
    clipped: bool = False  # touches the image border or an ignored region: its size is unsure


@dataclass(frozen=True)
class Detections:
    blobs: tuple[Blob, ...]
    # Foreground mask (uint8, 0/255) at ``mask_scale`` of the frame, for density by area; None
    # from detectors that only give boxes.
    mask: np.ndarray | None = field(default=None, repr=False)
    mask_scale: float = 1.0


@runtime_checkable
class PersonDetector(Protocol):
    name: str

    def prepare(self) -> None: ...

    def detect(self, image: np.ndarray) -> Detections: ...

    def reset(self) -> None:
        """Forget what was learnt from earlier frames (a new stream)."""
        ...


def check_frame(image, size: tuple[int, int] | None = None, what: str = "frame") -> np.ndarray:
    """The frame as a uint8 (H, W, 3) array, or :class:`FrameError` naming what is wrong."""
    if not isinstance(image, np.ndarray):
        raise FrameError(f"{what}: expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise FrameError(f"{what}: expected dtype uint8, got {image.dtype}")
    if image.ndim == 2:
        raise FrameError(f"{what}: expected a colour (H, W, 3) BGR image, got a grey "
                         f"{image.shape} array")
    if image.ndim != 3 or image.shape[2] != 3:
        raise FrameError(f"{what}: expected shape (H, W, 3), got {image.shape}")
    h, w = image.shape[:2]
    if size is not None and (w, h) != tuple(size):
        raise FrameError(f"{what}: size {w}x{h} does not match the camera's {size[0]}x{size[1]}")
    if min(h, w) < 16:
        raise FrameError(f"{what}: {w}x{h} pixels is too small (need 16 a side)")
    return image


def box_iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU (len(a), len(b)) of boxes x1 y1 x2 y2 (arrays (N, 4), (M, 4))."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)
