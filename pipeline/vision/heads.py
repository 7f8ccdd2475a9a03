"""A head-and-shoulders detector for CCTV person tracking: dlib's HOG sliding-window detector
(``dlib.simple_object_detector``) trained on synthetic frames only
(``airtwin train heads``, :mod:`experiments.cctv_heads_train`).

Heads stay visible in a queue or a crowd seen from 3-4 m up, and show a face or the back of a
head, so a head finds the people a face detector misses (turned away, too small) and a
background model merges (a queue at the belt). Every detection is one person:

- the detector's box is a *head-and-shoulders* box (:func:`shoulder_boxes_from_heads`): a
  square two head heights a side around the head, its top a quarter of a head above the hair
  (the head alone is 3 x 3 HOG cells at the smallest heads; the shoulders' outline adds the
  rest);
- the person's body box is implied from the head (:func:`body_boxes_from_heads`) in measured
  proportions, as :func:`pipeline.cctv.persons.body_boxes_from_faces` implies one from a face;
- faces attach to those bodies with :func:`pipeline.cctv.persons.attach_faces`, through
  :data:`HeadDetector.head_share` (the face must lie in the head, not anywhere in the body).

:class:`HeadDetector` follows the danger pipeline's ``PersonDetector`` protocol (``name``,
``prepare``, ``detect(image) -> Detections``, ``reset``), so ``CctvStream(person_detector=...)``
takes it as it takes MOG2. The frame is downscaled to :attr:`HeadDetector.scale` of 1080p
before the HOG pyramid runs (the model was trained at that scale), which sets both the
smallest head found and the cost per frame.

A second pass at each side of the frame (:data:`EDGE_PAD`, on by default) finds the heads
whose shoulders the side cuts, where the interior pass's window does not fit: the HOG again
on a narrow strip mirrored past the side, keeping windows whose centre is in the frame (a
window centred in the mirror is the reflection of a head in the frame); the interior pass's
heads stay as they are.

The model file is looked up at :data:`DEFAULT_MODEL` (shipped beside its provenance,
``heads_hog.json``: seeds, command, code version, sha256); a missing file raises
:class:`HeadModelError` naming it and the command that makes it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.vision.bodies import implied_bodies
from pipeline.vision.detections import Blob, Detections, check_frame, iou_matrix

__all__ = ["CROP_BOX_PX", "CROP_MARGIN", "DEFAULT_MODEL", "HeadDetector", "HeadModelError",
           "TRAIN_HEIGHT",
           "band_rows", "body_boxes_from_heads", "heads_from_shoulder_boxes",
           "shoulder_boxes_from_heads"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "heads_hog.svm"
TRAIN_COMMAND = "airtwin train heads --seeds 1,2,3 --out pipeline/vision/models/heads_hog.svm"
# Frames are detected (and the model trained) at this height in pixels: 1080p frames at 0.75,
# 4K at 0.375. A head of 27 px at 1080p (the back of the reclaim crowd) is a 40 px
# head-and-shoulders box here, the detector's window.
TRAIN_HEIGHT = 810
WINDOW_PX = 40  # the HOG window, a side (5 x 5 cells of 8 px)
# The edge pass (HeadDetector(edge_pad=...), px at TRAIN_HEIGHT): the HOG again on each side's
# EDGE_STRIP px mirrored EDGE_PAD px past the side, its windows kept at a margin >= EDGE_ADJUST
# when they start less than EDGE_REACH px inside the side. Chosen on tune seeds 1-3
# (1330-1345 s, experiments/cctv_track_tune.py replay edge=1): edge heads found 172 -> 239 of
# 375 (reclaim_exit's crowd), mean per-camera IDF1 0.827 -> 0.830, no camera-window down; a
# 72 px strip finds what a 128 px one does there (the crowd's heads are small) for 60 % of the
# CPU; margin 0 rather than the interior's -0.3 (a half-size window on a head the side cuts
# swapped two people on seed 3 hall_exit).
EDGE_PAD = 48
# The far band (HeadDetector(band=...)): heads at the back of a hall, high in the frame, are
# smaller than the window at TRAIN_HEIGHT; the HOG again on the frame's top rows scaled to
# BAND_HEIGHT rows finds heads down to WINDOW_PX / 2 px at that scale.
BAND_HEIGHT = 1080
# The far band's pass runs on the top band + BAND_MARGIN rows (of a 1080-row frame) only, not
# the whole frame (None): about a third of the CPU at band 300. dlib's pyramid levels fall
# differently on a crop, so a crop finds its own windows at the threshold and has its own tune
# caches (experiments/cctv_track_tune.py collect --band-rows). Chosen on tune seeds 1-8
# (1330-1360 s, hall_exit and corridor_far, band 300): mean IDF1 whole frame 0.8388, margin 120
# 0.8397, margin 60 0.8489 (14 of 16 camera-windows at 0.8, as the whole frame), within
# single-window noise of each other; 60 costs least.
BAND_MARGIN = 60
# The detector's threshold, as dlib's SVM margin (HeadDetector(adjust=...)): heads down to
# -0.3 are kept (ByteTrack's second pass takes those under 0).
ADJUST = -0.3
EDGE_STRIP = 72
EDGE_ADJUST = 0.0
EDGE_REACH = 0

# Half-window twins (HeadDetector(twins=True)): dlib's non-maximum suppression keeps a window
# one half-window step from a head it found (the same size, head-box IoU 1/3), so one person
# gets two heads, two boxes and two tracks that trade the person frame to frame. Of two heads
# whose widths differ by less than TWIN_RATIO and whose centres lie TWIN_OFFSET head widths
# apart, the lower-scored is dropped. On tune seeds 1-3 (experiments/cctv_corridor_tune.py
# replay twins=0,1; 1330-1360 s, five cameras): 240 such pairs on one person against 32 on two
# (mostly one walker right behind another on corridor_near), mean per-camera IDF1
# 0.824 -> 0.841, ID switches 143 -> 78; 1360-1390 s (corridors, hall_exit) 0.806 -> 0.826.
TWIN_RATIO = 1.01
TWIN_OFFSET = (0.48, 0.52)

# Head-and-shoulders box from a head box (a HEAD_M = 0.25 m square, hair top to chin).
HS_SIDE = 2.0  # head heights a side
HS_ABOVE = 0.25  # head heights above the hair top
# Body box from a head box: medians over the ground truth of tune seed 1 (141 visible,
# untruncated people on the five face cameras, their first 4 sampled frames each:
# ``python -m experiments.cctv_heads_train measure-body --seeds 1``): 7.09 head heights tall,
# 1.96 wide, the body's top 0.13 above the head's.
BODY_HEIGHTS_PER_HEAD = 7.1
BODY_WIDTHS_PER_HEAD = 2.0
BODY_TOP_ABOVE_HEAD = 0.13
# A face belongs to a head-implied body when its centre lies in the body's top HEAD_SHARE (the
# head is the top 1/7 of the body; a little more for a box that sits a little high or low).
HEAD_SHARE = 0.2
# HeadDetector.heads_in_box: the crop around a figure grows its box by CROP_MARGIN on each side
# and is scaled so that the box is CROP_BOX_PX tall (the probe of round 10 on tune seed 20's
# near pair, 175-190 px figures)
CROP_MARGIN = 0.25
CROP_BOX_PX = 300.0
_RESIZE = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR}  # HeadDetector(resize=...)


class HeadModelError(ValueError):
    """The head detector's model file is missing or unreadable; the message names the file."""


def shoulder_boxes_from_heads(heads: np.ndarray) -> np.ndarray:
    """Head-and-shoulders boxes (N, 4) from head boxes (N, 4) x1 y1 x2 y2: a square of
    :data:`HS_SIDE` head heights centred on the head, its top :data:`HS_ABOVE` above the hair."""
    h = np.asarray(heads, np.float64).reshape(-1, 4)
    side = np.maximum(h[:, 2] - h[:, 0], h[:, 3] - h[:, 1])
    cx = (h[:, 0] + h[:, 2]) / 2
    top = h[:, 1] - HS_ABOVE * side
    return np.column_stack([cx - HS_SIDE * side / 2, top, cx + HS_SIDE * side / 2,
                            top + HS_SIDE * side])


def heads_from_shoulder_boxes(boxes: np.ndarray) -> np.ndarray:
    """The inverse of :func:`shoulder_boxes_from_heads`: head boxes from detector boxes."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    side = (b[:, 2] - b[:, 0] + b[:, 3] - b[:, 1]) / 2 / HS_SIDE
    cx = (b[:, 0] + b[:, 2]) / 2
    top = b[:, 1] + HS_ABOVE * side
    return np.column_stack([cx - side / 2, top, cx + side / 2, top + side])


def body_boxes_from_heads(heads: np.ndarray, frame_size: tuple[int, int] | None) -> np.ndarray:
    """Body boxes (N, 4) implied by head boxes: the head at the top centre of a standing body,
    clipped to the frame (``frame_size`` = width, height; None: not clipped)."""
    h = np.asarray(heads, np.float64).reshape(-1, 4)
    return implied_bodies(h, h[:, 3] - h[:, 1], frame_size, BODY_HEIGHTS_PER_HEAD,
                          BODY_WIDTHS_PER_HEAD, BODY_TOP_ABOVE_HEAD)


def merge_edge_heads(heads: np.ndarray, scores: np.ndarray, edge: np.ndarray,
                     edge_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interior pass's heads unchanged, plus the edge pass's heads that overlap none of
    them (head-box IoU < 0.3)."""
    edge = np.asarray(edge, np.float64).reshape(-1, 4)
    keep = edge_keep(edge, heads)
    return np.vstack([heads, edge[keep]]), np.concatenate([scores, np.asarray(edge_scores)[keep]])


def band_keep(band: np.ndarray, heads: np.ndarray, rows: float, max_iou: float = 0.3
              ) -> np.ndarray:
    """Which far-band heads (N, 4) to add (a mask): those whose head ends within the frame's
    top ``rows`` and that overlap none of the interior pass's ``heads`` (IoU < ``max_iou``)."""
    band = np.asarray(band, np.float64).reshape(-1, 4)
    return (band[:, 3] <= rows + 1e-6) & edge_keep(band, heads, max_iou)


def band_rows(band: int, margin: int | None, height: int) -> int:
    """The rows of a frame ``height`` rows high that the far band's pass runs on: the top
    ``band`` + ``margin`` rows of a 1080-row frame, scaled (the whole frame for ``margin``
    None)."""
    if margin is None:
        return int(height)
    return min(int(height), int(np.ceil((band + margin) * height / 1080.0)))


def half_window_twins(heads: np.ndarray, scores: np.ndarray, ratio: float = TWIN_RATIO,
                      offset: tuple[float, float] = TWIN_OFFSET) -> np.ndarray:
    """Which heads (N, 4) to keep (a mask) without the half-window twins (:data:`TWIN_RATIO`):
    the heads taken by score, highest first, each dropping the untaken heads of its size
    (width ratio < ``ratio``) whose centres lie ``offset`` (lo, hi) of its width away."""
    h = np.asarray(heads, np.float64).reshape(-1, 4)
    keep = np.ones(len(h), bool)
    if len(h) < 2:
        return keep
    w = np.maximum(h[:, 2] - h[:, 0], 1e-9)
    c = (h[:, :2] + h[:, 2:]) / 2
    big = np.maximum(w[:, None], w[None])
    d = np.hypot(c[:, None, 0] - c[None, :, 0], c[:, None, 1] - c[None, :, 1]) / big
    twin = ((big / np.minimum(w[:, None], w[None]) < ratio) & (d >= offset[0])
            & (d <= offset[1]))
    np.fill_diagonal(twin, False)  # a head is not its own twin
    if not twin.any():
        return keep
    for i in np.argsort(-np.asarray(scores, np.float64), kind="stable"):
        if keep[i]:
            keep[twin[i]] = False
    return keep


def edge_windows(boxes: np.ndarray, width: float, reach: float, left: bool) -> np.ndarray:
    """Which edge-pass windows (N, 4) an image ``width`` px wide keeps (a mask): those starting
    less than ``reach`` px inside the ``left`` (else right) side whose centre, the head's, is
    in the image. A head mirrored into the border is centred outside it: the reflection of a
    head in the frame, not a person."""
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    if left:
        return (boxes[:, 0] < reach - 1e-6) & (cx >= -1e-6)
    return (boxes[:, 2] > width - reach + 1e-6) & (cx <= width + 1e-6)


def edge_keep(edge: np.ndarray, heads: np.ndarray, max_iou: float = 0.3) -> np.ndarray:
    """Which edge-pass heads (N, 4) overlap none of the interior pass's ``heads`` by head-box
    IoU >= ``max_iou`` (a mask; the pairwise IoU the tracking metrics use)."""
    edge = np.asarray(edge, np.float64).reshape(-1, 4)
    if not len(edge) or not len(heads):
        return np.ones(len(edge), bool)
    return iou_matrix(edge, heads).max(1) < max_iou


def _margin(score: np.ndarray) -> np.ndarray:
    """dlib's SVM margin back from a confidence of :func:`_score`."""
    score = np.asarray(score, np.float64)
    return np.log(score / (1.0 - score)) / 4.0


def _score(svm: np.ndarray) -> np.ndarray:
    """dlib's SVM margin as a confidence in [0, 1]: 0.5 at the trained threshold (margin 0),
    so ByteTrack's high-confidence pass (>= 0.5) takes the detector's own detections and its
    second pass the ones found with a lowered threshold (:attr:`HeadDetector.adjust`)."""
    return 1.0 / (1.0 + np.exp(-4.0 * np.asarray(svm, np.float64)))


class HeadDetector:
    """Head-and-shoulders detections as person boxes (body implied from the head).

    ``model_path``: the dlib ``.svm`` file (default :data:`DEFAULT_MODEL`); ``adjust``: added to
    the detector's threshold (negative finds more heads, at lower scores); ``height``: frames
    are resized to this height before detection (:data:`TRAIN_HEIGHT`, the training scale);
    ``every``: run the detector on every ``every``-th frame only (:meth:`detect`);
    ``edge_pad`` (0: off), ``edge_strip``, ``edge_adjust``, ``edge_reach``: the edge pass
    (:data:`EDGE_PAD`), which finds heads whose shoulders a side of the frame cuts, where the
    interior pass's window does not fit; the interior pass's heads stay as they are.
    ``twins`` (on): drop the lower-scored of two heads one half-window step apart
    (:data:`TWIN_RATIO`, :func:`half_window_twins`). ``band`` (0: off; px of a 1080-row
    frame): the far band, the frame's top ``band`` + ``band_margin`` rows (:func:`band_rows`;
    ``band_margin`` None: the whole frame, about 2.3x the CPU) again at :data:`BAND_HEIGHT`
    rows, whose heads ending in the top ``band`` rows and overlapping no interior head are
    added; ``band_every``: that pass on every ``band_every``-th call of :meth:`heads` only.

    Cheaper inputs, off by default (they change the detections; ``experiments/
    cctv_speed_check.py`` measures them on tune seeds): ``grey`` runs the HOG on the grey
    image (one gradient per pixel instead of the strongest of three channels); ``resize``
    ``"linear"`` shrinks the frame bilinearly instead of by pixel area."""

    name = "heads"
    # how pipeline.cctv.persons.person_boxes treats these boxes: a face attaches inside the
    # head; a box mostly inside another person's is someone standing behind, not a fragment
    person_box_options = {"head_share": HEAD_SHARE, "drop_fragments": False}

    def __init__(self, model_path: str | Path | None = None, adjust: float = ADJUST,
                 height: int = TRAIN_HEIGHT, every: int = 1, grey: bool = False,
                 resize: str = "area", edge_pad: int = EDGE_PAD, edge_strip: int = EDGE_STRIP,
                 edge_adjust: float = EDGE_ADJUST, edge_reach: int = EDGE_REACH,
                 twins: bool = True, band: int = 0, band_margin: int | None = BAND_MARGIN,
                 band_every: int = 1):
        if int(edge_pad) < 0 or int(edge_strip) < WINDOW_PX:
            raise ValueError(f"head detector: edge_pad must be >= 0 px and edge_strip >= "
                             f"{WINDOW_PX} px, got {edge_pad} and {edge_strip}")
        self.edge_pad, self.edge_strip = int(edge_pad), int(edge_strip)
        self.edge_reach = int(edge_reach)
        self.edge_adjust = float(edge_adjust)
        self.twins = bool(twins)
        if int(band) < 0:
            raise ValueError(f"head detector: band must be >= 0 px (of a 1080-row frame), got "
                             f"{band}")
        self.band = int(band)
        if band_margin is not None and int(band_margin) < 0:
            raise ValueError(f"head detector: band_margin must be >= 0 px (of a 1080-row frame) "
                             f"or None (the whole frame), got {band_margin}")
        self.band_margin = None if band_margin is None else int(band_margin)
        if int(band_every) < 1:
            raise ValueError(f"head detector: band_every must be >= 1 frame, got {band_every}")
        self.band_every = int(band_every)
        self._band_calls = 0
        if int(every) < 1:
            raise ValueError(f"head detector: every must be >= 1 frame, got {every}")
        if resize not in _RESIZE:
            raise ValueError(f"head detector: resize must be one of {', '.join(_RESIZE)}, got "
                             f"{resize!r}")
        self.grey, self.resize = bool(grey), resize
        self.model_path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        self.adjust, self.height, self.every = float(adjust), int(height), int(every)
        self._det = None
        self._frame = 0
        self._last: Detections | None = None
        self.last_heads: np.ndarray | None = None  # the head of each box :meth:`detect` gave

    def prepare(self) -> None:
        if self._det is not None:
            return
        if not self.model_path.is_file():
            raise HeadModelError(f"head detector model {self.model_path} not found; make it with "
                                 f"`{TRAIN_COMMAND}` (or pass --head-model FILE)")
        import dlib

        try:
            self._det = dlib.fhog_object_detector(str(self.model_path))
        except RuntimeError as exc:
            raise HeadModelError(f"head detector model {self.model_path}: dlib cannot read it "
                                 f"({exc})") from None

    def reset(self) -> None:
        self._frame, self._last, self.last_heads = 0, None, None
        self._band_calls = 0

    def heads(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Head boxes (N, 4) in the frame's pixels and their scores in [0, 1]; with
        ``edge_pad`` > 0 also those of the edge pass that no interior head overlaps."""
        pixels, k = self._pixels(image)
        hs, svm = self._run(pixels, self.adjust)
        heads, scores = heads_from_shoulder_boxes(hs / k), _score(svm)
        band_now, self._band_calls = self._band_calls % self.band_every == 0, self._band_calls + 1
        if self.band and band_now:
            bh, bs = self._band_heads(image)
            keep = band_keep(bh, heads, self.band * image.shape[0] / 1080.0)
            heads, scores = np.vstack([heads, bh[keep]]), np.concatenate([scores, bs[keep]])
        if self.edge_pad:
            heads, scores = merge_edge_heads(heads, scores, *self._edge_heads(pixels, k))
        if self.twins:
            keep = half_window_twins(heads, scores)
            heads, scores = heads[keep], scores[keep]
        return heads, scores

    def heads_in_box(self, image: np.ndarray, box, margin: float = CROP_MARGIN,
                     box_px: float = CROP_BOX_PX) -> tuple[np.ndarray, np.ndarray]:
        """Heads around one figure: the HOG on a crop of ``image`` around ``box`` (x1 y1 x2 y2
        in its pixels; grown by ``margin`` of its size on each side), scaled so that the box is
        ``box_px`` tall (a near figure's head then fills several windows of the pyramid), with
        the half-window twins dropped. Head boxes (N, 4) in ``image``'s pixels and their
        scores (0.5 at the trained threshold). 10-25 ms a crop of a 180 px figure."""
        self.prepare()
        img = check_frame(image)
        x1, y1, x2, y2 = (float(v) for v in box)
        mw, mh = margin * (x2 - x1), margin * (y2 - y1)
        a0, b0 = int(max(0.0, x1 - mw)), int(max(0.0, y1 - mh))
        a1, b1 = int(min(img.shape[1], x2 + mw)), int(min(img.shape[0], y2 + mh))
        if a1 - a0 < 2 or b1 - b0 < 2:
            return np.zeros((0, 4)), np.zeros(0)
        k = box_px / max(y2 - y1, 1.0)
        crop = cv2.resize(img[b0:b1, a0:a1], None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR)
        hs, svm = self._run(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY if self.grey
                                         else cv2.COLOR_BGR2RGB), self.adjust)
        heads, scores = heads_from_shoulder_boxes(hs / k), _score(svm)
        heads[:, [0, 2]] += a0
        heads[:, [1, 3]] += b0
        if self.twins:
            keep = half_window_twins(heads, scores)
            heads, scores = heads[keep], scores[keep]
        return heads, scores

    def edge_heads(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The edge pass alone (needs ``edge_pad`` > 0): heads whose head-and-shoulders window
        reaches past a side of the frame, and their scores."""
        if not self.edge_pad:
            raise ValueError("head detector: edge_heads needs edge_pad > 0")
        return self._edge_heads(*self._pixels(image))

    def _pixels(self, image: np.ndarray, height: int | None = None
                ) -> tuple[np.ndarray, float]:
        self.prepare()
        img = check_frame(image)
        height = height or self.height
        k = height / img.shape[0]
        small = img if abs(k - 1) < 1e-6 else cv2.resize(
            img, (int(round(img.shape[1] * k)), height),
            interpolation=_RESIZE[self.resize])
        # the same pixels as small[..., ::-1], copied by OpenCV in 0.3 ms, not numpy's 4 ms
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY if self.grey else cv2.COLOR_BGR2RGB), k

    def band_heads(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The far band's pass alone (needs ``band`` > 0), all its heads (not only those in the
        band) and their scores."""
        if not self.band:
            raise ValueError("head detector: band_heads needs band > 0")
        self.prepare()
        return self._band_heads(image)

    def _band_heads(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The far band's pass: the HOG at :data:`BAND_HEIGHT` rows on the frame's top
        :func:`band_rows` (the whole frame with ``band_margin`` None); heads in the frame's
        pixels and their scores."""
        rows = band_rows(self.band, self.band_margin, image.shape[0])
        top = np.ascontiguousarray(image[:rows])
        pixels, k = self._pixels(top, max(WINDOW_PX, round(rows * BAND_HEIGHT / image.shape[0])))
        hs, svm = self._run(pixels, self.adjust)
        return heads_from_shoulder_boxes(hs / k), _score(svm)

    def _edge_heads(self, pixels: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
        boxes, svm = self._edge_pass(pixels)
        return heads_from_shoulder_boxes(boxes / k), _score(svm)

    def _run(self, pixels: np.ndarray, adjust: float) -> tuple[np.ndarray, np.ndarray]:
        """The HOG's head-and-shoulders boxes (N, 4) on ``pixels`` and their SVM margins."""
        rects, svm, _ = self._det.run(pixels, 0, adjust)
        boxes = np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects],
                         np.float64).reshape(-1, 4)
        return boxes, np.asarray(svm, np.float64).reshape(-1)

    def _edge_pass(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Heads whose shoulders a side of the frame cuts: the HOG again on each side's
        :attr:`edge_strip` px, mirrored :attr:`edge_pad` px past the side (the cut shoulder
        drawn back from the one in frame), keeping only windows that reach past the side (the
        interior pass cannot place those). Boxes in ``pixels``' coordinates, margins."""
        w, p = pixels.shape[1], self.edge_pad
        strip = min(self.edge_strip, w)
        boxes, margins = [], []
        for left in (True, False):
            part = pixels[:, :strip] if left else pixels[:, w - strip:]
            padded = cv2.copyMakeBorder(part, 0, 0, p if left else 0, 0 if left else p,
                                        cv2.BORDER_REFLECT_101)
            b, m = self._run(np.ascontiguousarray(padded), self.edge_adjust)
            b[:, [0, 2]] += -p if left else w - strip
            out = edge_windows(b, w, self.edge_reach, left)
            boxes.append(b[out])
            margins.append(m[out])
        return np.vstack(boxes), np.concatenate(margins)

    def detect(self, image: np.ndarray) -> Detections:
        """This frame's person boxes; with ``every`` > 1 the detector runs on every
        ``every``-th frame and the frames between reuse its boxes (the tracker's motion model
        carries them; a walker moves about 13 cm a frame at 10 fps)."""
        k, self._frame = self._frame, self._frame + 1
        if self._last is not None and k % self.every:
            return self._last
        self._last = self._detect(image)
        return self._last

    def _detect(self, image: np.ndarray) -> Detections:
        heads, scores = self.heads(image)
        self.last_heads = heads
        h, w = image.shape[:2]
        bodies = body_boxes_from_heads(heads, (w, h))
        return Detections(tuple(
            Blob(tuple(float(v) for v in b), float((b[2] - b[0]) * (b[3] - b[1])), float(s),
                 bool(hd[0] < 0 or hd[2] > w or hd[1] < 0))
            for b, hd, s in zip(bodies, heads, scores)))

