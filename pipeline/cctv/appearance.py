"""A person's appearance as the CCTV pipeline compares it: the hue-saturation histogram of the
torso, and the Bhattacharyya similarity of two such histograms. One rule for both places that
use it: re-linking a camera's track fragments (:mod:`pipeline.cctv.relink`) and linking tracks
across cameras (:mod:`pipeline.cctv.journeys`).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["HIST_BINS", "clothing_histogram", "similarity"]

HIST_BINS = (12, 4)  # hue x saturation of the torso


def clothing_histogram(image: np.ndarray, box) -> np.ndarray:
    """Hue-saturation histogram of the torso (the body box's 25-60 % band), L1-normalised."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    bh = y2 - y1
    xa, xb = int(max(x1 + 0.15 * (x2 - x1), 0)), int(min(x2 - 0.15 * (x2 - x1), w))
    ya, yb = int(max(y1 + 0.25 * bh, 0)), int(min(y1 + 0.6 * bh, h))
    if xb - xa < 2 or yb - ya < 2:
        return np.zeros(HIST_BINS, np.float32)
    hsv = cv2.cvtColor(image[ya:yb, xa:xb], cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HIST_BINS), [0, 180, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya similarity (1 - distance) of two histograms (OpenCV normalises their
    sums); 0 when either is missing or empty."""
    if a is None or b is None or a.sum() <= 0 or b.sum() <= 0:
        return 0.0
    d = cv2.compareHist(a.astype(np.float32), b.astype(np.float32), cv2.HISTCMP_BHATTACHARYYA)
    return float(1.0 - d)
