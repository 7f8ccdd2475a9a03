"""A person's look as the CCTV pipeline compares it: upper and lower body apart, only where seen.

The 12x4 hue-saturation histogram of the torso (:mod:`pipeline.cctv.appearance`) is too weak a
cue for the swap guard (:mod:`pipeline.cctv.swaps`): when someone passes in front the histogram
is the passer's, when the torso is half seen at range it is a few pixels, and either reads as a
change of person. A :class:`Look` is:

- **two parts**, upper body (the box's 20-52 % band) and lower body (56-88 %), central 70 % of
  the width; trousers tell apart two people in the same coat;
- in a **lighting-robust colour space**: chromatic pixels (saturation and value above a floor)
  vote in an 8 hue x 3 saturation grid, the others (black, grey, white clothes, whose hue is
  noise) in 4 value bins; brightness enters only for those;
- **only where seen**: pixels inside another person box whose bottom edge is lower in the frame
  (nearer the camera, which looks down at the floor) are masked out;
- with a **confidence** per part: the seen share of the part times its size against
  ``full_px`` rows (a far-away box's band of 6 rows is a weak look); 0 when less than
  ``min_seen`` of the part is seen.

Crops are first scaled to at most :data:`CROP_HEIGHT` rows (area-averaged), so the cost and the
histograms do not depend on how near the person is. :func:`compare` gives the
confidence-weighted similarity of two looks and the confidence of that answer; a caller
accumulates a track's look with :meth:`Look.added`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["CROP_HEIGHT", "Look", "LookConfig", "body_crop", "compare", "look_of", "looks",
           "occluders", "part_similarities"]

CROP_HEIGHT = 96  # body crops are scaled to at most this many rows before any histogram
HUE_BINS, SAT_BINS, GREY_BINS = 8, 3, 4
BINS = HUE_BINS * SAT_BINS + GREY_BINS
PARTS = {"upper": (0.20, 0.52), "lower": (0.56, 0.88)}  # bands of the body box's height
SIDE = 0.15  # share of the box width dropped at each side (background, arms)
# a body box cut by the frame's top or bottom edge is continued past it to this height per
# width (head-implied bodies are 3.55 widths tall, face-implied 2.7), so the parts stay on the
# body; what lies past the edge is not seen
BODY_ASPECT = 3.0


@dataclass(frozen=True)
class LookConfig:
    min_sat: int = 48  # OpenCV saturation 0-255: below, a pixel is grey (hue is noise)
    min_val: int = 40  # value below this: black, grey too
    full_px: float = 24.0  # rows of a part (in the frame) at which its confidence saturates
    min_seen: float = 0.35  # seen share of a part below this: that part says nothing
    # how the parts' similarities make one: "mean" (weighted by confidence) or "min" (the
    # least alike part both show: a change of trousers under the same coat is a change)
    combine: str = "min"

    def __post_init__(self):
        if not (0 <= self.min_sat <= 255 and 0 <= self.min_val <= 255):
            raise ValueError(f"LookConfig: min_sat and min_val must be in [0, 255], got "
                             f"{self.min_sat}, {self.min_val}")
        if self.combine not in ("mean", "min"):
            raise ValueError(f"LookConfig.combine must be 'mean' or 'min', got {self.combine!r}")
        if not self.full_px > 0 or not 0 <= self.min_seen <= 1:
            raise ValueError(f"LookConfig: full_px must be > 0 and min_seen in [0, 1], got "
                             f"{self.full_px}, {self.min_seen}")


@dataclass(frozen=True)
class Look:
    """Per part (rows: upper, lower) a histogram (L1-normalised where its weight is > 0) and a
    weight: one frame's confidence, or a track's summed confidences."""
    hist: np.ndarray  # (2, BINS) float64
    weight: np.ndarray  # (2,) float64

    @staticmethod
    def empty() -> Look:
        return Look(np.zeros((len(PARTS), BINS)), np.zeros(len(PARTS)))

    @property
    def confidence(self) -> float:
        return float(self.weight.max())

    def added(self, other: Look) -> Look:
        """The confidence-weighted mean of two looks (a track's look plus one more frame)."""
        w = self.weight + other.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            h = (self.hist * self.weight[:, None] + other.hist * other.weight[:, None]) / w[:, None]
        return Look(np.where(w[:, None] > 0, h, 0.0), w)

    __add__ = added  # looks add up like the histograms they stand in for


def body_crop(image: np.ndarray, box) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The body box's pixels (clipped to the frame) scaled to at most :data:`CROP_HEIGHT` rows,
    and the clipped box in the frame; an empty crop when less than 2x2 px are inside."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    xa, ya, xb, yb = int(max(x1, 0)), int(max(y1, 0)), int(min(np.ceil(x2), w)), \
        int(min(np.ceil(y2), h))
    if xb - xa < 2 or yb - ya < 2:
        return np.zeros((0, 0, 3), np.uint8), (x1, y1, x2, y2)
    crop = image[ya:yb, xa:xb]
    if crop.shape[0] > CROP_HEIGHT:
        k = CROP_HEIGHT / crop.shape[0]
        crop = cv2.resize(crop, (max(2, round(crop.shape[1] * k)), CROP_HEIGHT),
                          interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop), (xa, ya, xb, yb)


def occluders(boxes: np.ndarray, k: int) -> np.ndarray:
    """The boxes in front of box ``k``: overlapping it with their bottom edge lower in the frame
    (nearer a camera that looks down at the floor)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    me = b[k]
    over = ((b[:, 0] < me[2]) & (b[:, 2] > me[0]) & (b[:, 1] < me[3]) & (b[:, 3] > me[1])
            & (b[:, 3] > me[3]))
    over[k] = False
    return b[over]


def look_of(crop: np.ndarray, frame_box, box, in_front: np.ndarray,
            config: LookConfig = LookConfig(), frame_height: float | None = None) -> Look:
    """The look of one body from its crop (:func:`body_crop`, ``frame_box`` the clipped box it
    shows), the full body ``box`` (the parts are bands of it, also where it leaves the frame)
    and the boxes ``in_front`` of it (masked out). With ``frame_height``, a box touching the
    frame's top or bottom edge is continued past it (:data:`BODY_ASPECT`)."""
    out = Look.empty()
    if crop.size == 0:
        return out
    ch, cw = crop.shape[:2]
    xa, ya, xb, yb = frame_box
    sx, sy = cw / max(xb - xa, 1e-9), ch / max(yb - ya, 1e-9)  # frame px -> crop px
    x1, y1, x2, y2 = (float(v) for v in box)
    bw, bh = x2 - x1, y2 - y1
    if frame_height is not None and bh < BODY_ASPECT * bw:
        if y2 >= frame_height - 1:  # walking out at the bottom: the head is at the top
            y2 = y1 + BODY_ASPECT * bw
        elif y1 <= 0:  # coming in at the top: the feet are at the bottom
            y1 = y2 - BODY_ASPECT * bw
        bh = y2 - y1
    seen = np.ones((ch, cw), bool)
    for ox1, oy1, ox2, oy2 in np.asarray(in_front, np.float64).reshape(-1, 4):
        c1, c2 = int(np.floor((ox1 - xa) * sx)), int(np.ceil((ox2 - xa) * sx))
        r1, r2 = int(np.floor((oy1 - ya) * sy)), int(np.ceil((oy2 - ya) * sy))
        seen[max(r1, 0):max(r2, 0), max(c1, 0):max(c2, 0)] = False
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    chroma = (sat >= config.min_sat) & (val >= config.min_val)
    hbin = np.minimum(hue.astype(np.int32) * HUE_BINS // 180, HUE_BINS - 1)
    sbin = np.minimum((sat.astype(np.int32) - config.min_sat) * SAT_BINS
                      // max(256 - config.min_sat, 1), SAT_BINS - 1)
    gbin = HUE_BINS * SAT_BINS + np.minimum(val.astype(np.int32) * GREY_BINS // 256,
                                            GREY_BINS - 1)
    code = np.where(chroma, hbin * SAT_BINS + np.maximum(sbin, 0), gbin)
    cols = slice(max(int((x1 + SIDE * bw - xa) * sx), 0), min(int(np.ceil((x2 - SIDE * bw - xa)
                                                                          * sx)), cw))
    hist, weight = out.hist.copy(), out.weight.copy()
    for p, (lo, hi) in enumerate(PARTS.values()):
        fa, fb = y1 + lo * bh, y1 + hi * bh  # the band in the frame
        rows = slice(max(int((fa - ya) * sy), 0), min(int(np.ceil((fb - ya) * sy)), ch))
        part_seen = seen[rows, cols]
        total = (fb - fa) * (1 - 2 * SIDE) * bw * sx * sy  # the band's area, in crop px
        n = int(part_seen.sum())
        if total <= 0 or n < 4:
            continue
        share = min(n / total, 1.0)
        if share < config.min_seen:
            continue
        counts = np.bincount(code[rows, cols][part_seen], minlength=BINS).astype(np.float64)
        hist[p] = counts / counts.sum()
        weight[p] = share * min((fb - fa) / config.full_px, 1.0)
    return Look(hist, weight)


def looks(image: np.ndarray, boxes, config: LookConfig = LookConfig(),
          only: list[int] | None = None) -> list[Look]:
    """The look of every person box of a frame (each masked by the boxes in front of it), or
    of the boxes ``only`` (indices) in that order."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    out = []
    for k in range(len(b)) if only is None else only:
        crop, fbox = body_crop(image, b[k])
        out.append(look_of(crop, fbox, b[k], occluders(b, k), config, image.shape[0]))
    return out


def part_similarities(a: Look, b: Look) -> tuple[np.ndarray, np.ndarray]:
    """Per part (upper, lower) the Bhattacharyya coefficient of two looks and the weight both
    give it (the smaller, each capped at 1; 0 where either does not show the part)."""
    w = np.minimum(np.minimum(a.weight, 1.0), np.minimum(b.weight, 1.0))
    return np.sqrt(a.hist * b.hist).sum(axis=1), w


def compare(a: Look | None, b: Look | None, combine: str = "min") -> tuple[float, float]:
    """(similarity, confidence) of two looks over the parts both show: per part the
    Bhattacharyya coefficient, combined as ``combine`` says ("mean": weighted by min(weight a,
    weight b); "min": the least alike part); the confidence is the largest of those weights
    (1 when a part is fully and closely seen on both sides). (0, 0) when no part is shown by
    both."""
    if a is None or b is None:
        return 0.0, 0.0
    bc, w = part_similarities(a, b)
    if not w.max() > 0:
        return 0.0, 0.0
    sim = float(bc[w > 0].min()) if combine == "min" else float((bc * w).sum() / w.sum())
    return sim, float(w.max())
