"""Finding people (and the objects they leave) in CCTV frames, behind one Protocol.

Two backends, registered by name:

- ``mog2`` / ``knn`` (default ``mog2``): OpenCV background subtraction on a downscaled frame,
  morphology, connected components. Needs no weights. A fixed camera over a hall is the textbook
  case for it, and it also finds what a person detector never would: a bag left on the floor.
  The background memory is set in seconds: MOG2 absorbs a newly still object after about
  ``-ln(background_ratio) × history`` frames, so the default (10 min, ratio 0.5) keeps a bag or
  a person lying down in the foreground for several minutes, while a passer-by never enters the
  background. OpenCV's automatic learning rate (1/min(2n, history)) clears a busy first frame
  (people present when the stream starts) within about twice their dwell.
- ``onnx``: a person detector model file the user supplies, run on onnxruntime (see
  :mod:`pipeline.danger.onnx_detector`).

Frames are uint8 BGR (H, W, 3). Boxes come back in full-resolution pixels.
"""

from __future__ import annotations

import importlib
import inspect
import math

import cv2
import numpy as np

from pipeline.vision.detections import (Blob, Detections, DetectorError, PersonDetector,
                                        check_frame)

__all__ = ["BackgroundSubtractionDetector", "known_detectors", "make_detector"]


# A held box is painted with the model's background picture, fetched this often (frames): it
# changes slowly, and fetching it costs about as much as a frame's update.
BG_REFRESH_FRAMES = 25


class BackgroundSubtractionDetector:
    """Moving and newly still things against a learnt background of a fixed camera."""

    def __init__(self, algorithm: str = "mog2", fps: float = 5.0, scale: float = 0.5,
                 history_s: float = 600.0, var_threshold: float = 24.0,
                 background_ratio: float = 0.5, min_area_px: int = 120,
                 open_px: int = 3, close_px: int = 7, blur_px: int = 3, warmup_frames: int = 5,
                 ignore_boxes: list[tuple[int, int, int, int]] | tuple = ()):
        if algorithm not in ("mog2", "knn"):
            raise DetectorError(f"algorithm: must be 'mog2' or 'knn', got {algorithm!r}")
        checks = [("fps", fps > 0), ("scale", 0 < scale <= 1), ("history_s", history_s > 0),
                  ("var_threshold", var_threshold > 0), ("background_ratio", 0 < background_ratio < 1),
                  ("min_area_px", min_area_px >= 1)]
        for name, ok in checks:
            if not ok:
                raise DetectorError(f"{name}: out of range, got {locals()[name]!r}")
        self.name = algorithm
        self.fps, self.scale = fps, scale
        self.history = max(2, int(round(history_s * fps)))
        self.var_threshold, self.background_ratio = var_threshold, background_ratio
        self.min_area_px = min_area_px  # full-resolution pixels
        self.open_px, self.close_px, self.blur_px = open_px, close_px, blur_px
        # The first frames are all foreground (nothing learnt yet): report nothing from them.
        self.warmup_frames = warmup_frames
        # Regions never analysed (x1, y1, x2, y2 full-resolution pixels): a recorder's clock
        # overlay changes every frame and would otherwise be a moving blob.
        for b in ignore_boxes:
            if len(b) != 4 or not b[2] > b[0] or not b[3] > b[1]:
                raise DetectorError(f"ignore_boxes: each box is x1, y1, x2, y2 with x2 > x1 and "
                                    f"y2 > y1, got {b!r}")
        self.ignore_boxes = [tuple(int(v) for v in b) for b in ignore_boxes]
        self._model = None
        self._frames = 0
        self._hold: list[tuple[float, float, float, float]] = []
        self._applied = 0  # frames the model learnt from (OpenCV's own count)
        self._bg: np.ndarray | None = None
        self._bg_at = -10 ** 9

    def prepare(self) -> None:
        self.reset()

    def reset(self) -> None:
        if self.name == "mog2":
            m = cv2.createBackgroundSubtractorMOG2(self.history, self.var_threshold, False)
            m.setBackgroundRatio(self.background_ratio)
            m.setNMixtures(5)
        else:
            m = cv2.createBackgroundSubtractorKNN(self.history, self.var_threshold * 16, False)
        self._model = m
        self._frames = 0
        self._hold, self._applied, self._bg, self._bg_at = [], 0, None, -10 ** 9
        k = lambda n: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(n, 1), max(n, 1)))
        self._open, self._close = k(self.open_px), k(self.close_px)

    def seed(self, background: np.ndarray) -> None:
        """Start from a picture of the empty scene (a 'clean plate'), when one exists."""
        if self._model is None:
            self.reset()
        self._model.apply(self._small(check_frame(background, what="background")), learningRate=1.0)
        self._applied += 1
        self._frames = max(self._frames, self.warmup_frames)

    def hold(self, boxes) -> None:
        """Keep these image boxes (x1, y1, x2, y2, full-resolution pixels: people standing
        still) out of what the background learns from the next frame: it learns its own
        picture of the floor there instead, so a still person is not absorbed."""
        self._hold = [tuple(float(v) for v in b) for b in boxes]

    def _learn_held(self, small: np.ndarray) -> np.ndarray:
        """The foreground of ``small`` judged without learning; then the model learns from the
        frame with the held boxes painted over by its background picture (OpenCV's automatic
        rate, 1/min(2n, history))."""
        fg = self._model.apply(small, learningRate=0.0)
        self._applied += 1
        if self._applied - self._bg_at >= BG_REFRESH_FRAMES:  # -10**9 after reset: fetch
            self._bg, self._bg_at = self._model.getBackgroundImage(), self._applied
        taught = small.copy()
        s, (h, w) = self.scale, small.shape[:2]
        for x1, y1, x2, y2 in self._hold:
            a, b = max(0, int(y1 * s)), min(h, int(math.ceil(y2 * s)))
            c, d = max(0, int(x1 * s)), min(w, int(math.ceil(x2 * s)))
            if b > a and d > c:
                taught[a:b, c:d] = self._bg[a:b, c:d]
        self._model.apply(taught, learningRate=1.0 / min(2 * self._applied, self.history))
        return fg

    def _small(self, image: np.ndarray) -> np.ndarray:
        small = image if self.scale == 1 else cv2.resize(
            image, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        if self.blur_px > 1:  # sensor noise and JPEG blocks would otherwise speckle the mask
            small = cv2.blur(small, (self.blur_px, self.blur_px))
        return small

    def foreground(self, image: np.ndarray) -> np.ndarray:
        if self._model is None:
            self.reset()
        small = self._small(image)
        if self._hold and self._applied > 1:
            fg = self._learn_held(small)
        else:
            fg = self._model.apply(small, learningRate=-1)
            self._applied += 1
        s, m = self.scale, self.blur_px // 2 + 1  # the blur spreads an overlay by m pixels
        for x1, y1, x2, y2 in self.ignore_boxes:
            fg[max(0, int(y1 * s) - m):int(math.ceil(y2 * s)) + m,
               max(0, int(x1 * s) - m):int(math.ceil(x2 * s)) + m] = 0
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, self._open)
        return cv2.morphologyEx(fg, cv2.MORPH_CLOSE, self._close)

    def detect(self, image: np.ndarray) -> Detections:
        check_frame(image)
        mask = self.foreground(image)
        self._frames += 1
        if self._frames <= self.warmup_frames:
            return Detections((), np.zeros_like(mask), self.scale)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        inv = 1.0 / self.scale
        min_area = self.min_area_px * self.scale ** 2
        H, W = image.shape[:2]
        blobs = []
        for x, y, w, h, area in stats[1:]:
            if area < min_area:
                continue
            fill = area / float(w * h)
            box = (x * inv, y * inv, (x + w) * inv, (y + h) * inv)
            blobs.append(Blob(box, float(area) * inv * inv, float(min(1.0, 0.5 + fill / 2)),
                              self._clipped(box, W, H)))
        return Detections(tuple(blobs), mask, self.scale)

    def _clipped(self, box, W: int, H: int) -> bool:
        x1, y1, x2, y2 = box
        m = 2.0 / self.scale
        if x1 <= m or y1 <= m or x2 >= W - m or y2 >= H - m:
            return True
        return any(x1 <= bx2 + m and x2 >= bx1 - m and y1 <= by2 + m and y2 >= by1 - m
                   for bx1, by1, bx2, by2 in self.ignore_boxes)


# --- registry ----------------------------------------------------------------------------

_DETECTORS: dict[str, tuple[str, str, dict]] = {
    "mog2": ("pipeline.danger.detect", "BackgroundSubtractionDetector", {"algorithm": "mog2"}),
    "knn": ("pipeline.danger.detect", "BackgroundSubtractionDetector", {"algorithm": "knn"}),
    "onnx": ("pipeline.danger.onnx_detector", "OnnxPersonDetector", {}),
}


def known_detectors() -> list[str]:
    return sorted(_DETECTORS)


def make_detector(name: str, **opts) -> PersonDetector:
    """A person detector by backend name, constructed (cheap) but not prepared."""
    try:
        module, cls_name, fixed = _DETECTORS[name]
    except KeyError:
        raise DetectorError(f"unknown person detector {name!r} "
                            f"(known: {', '.join(known_detectors())})") from None
    cls = getattr(importlib.import_module(module), cls_name)
    params = set(inspect.signature(cls).parameters) - set(fixed)
    unknown = sorted(set(opts) - params)
    if unknown:
        raise DetectorError(f"person detector {name!r}: unknown option(s) {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(params))})")
    return cls(**fixed, **opts)
