"""Person tracks of one camera stream: boxes in, stable track ids out, behind one small Protocol.

Two trackers, compared on the same detections by ``experiments/cctv_tracker_compare.py``:

- ``bytetrack`` / ``ocsort`` (default ``bytetrack``): the maintained ``trackers`` library
  (Roboflow; clean-room ByteTrack and OC-SORT) in image pixels;
- ``floor``: the danger pipeline's own tracker (:mod:`pipeline.danger.track`), a Kalman filter
  on the floor plane through the camera's calibration. It needs the camera model.

Where the person boxes come from is the caller's choice: a :class:`pipeline.danger.detect.
PersonDetector` (MOG2 or an ONNX person detector), or the faces themselves
(:func:`body_boxes_from_faces`): at a face camera's choke point every person worth identifying
shows a face, and a face box is a far tighter detection than a background-subtraction blob in a
crowd, so the face-driven source is the default of :class:`pipeline.cctv.stream.CctvStream`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["PersonTrack", "PersonTracker", "LibraryTracker", "FloorTracker", "TRACKERS",
           "body_boxes_from_faces", "make_tracker"]

# A person's box in face-detection boxes (SCRFD's box runs brow to chin, narrower than the head):
# medians over detected faces against the ground-truth body boxes of tune seed 1 (corridor
# cameras at 1300-1320 s and corridor_near/hall_exit at 600-604 s, 139 faces): 9.5 boxes tall,
# 3.5 wide, the body's top 0.5 box heights above the face box. (The first guess, 7.5 x 2.6 from
# 0.25 above, matched ground truth at IoU >= 0.5 for well under half the faces.)
BODY_HEIGHTS_PER_FACE = 9.5
BODY_WIDTHS_PER_FACE = 3.5
BODY_TOP_ABOVE_FACE = 0.5


@dataclass(frozen=True, slots=True)
class PersonTrack:
    track_id: int
    box: tuple[float, float, float, float]
    detection: int  # index of the input box this track took in this frame


@runtime_checkable
class PersonTracker(Protocol):
    name: str

    def update(self, t: float, boxes: np.ndarray, scores: np.ndarray) -> list[PersonTrack]:
        """This frame's person boxes (N, 4) x1 y1 x2 y2 with scores in [0, 1] -> the confirmed
        tracks that took one of them."""
        ...

    def reset(self) -> None: ...


def body_boxes_from_faces(face_boxes: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """Body boxes (N, 4) implied by face boxes: the face at the top centre of a standing body,
    clipped to the frame (``frame_size`` = width, height)."""
    f = np.asarray(face_boxes, np.float64).reshape(-1, 4)
    w, h = frame_size
    fw, fh = f[:, 2] - f[:, 0], f[:, 3] - f[:, 1]
    cx = (f[:, 0] + f[:, 2]) / 2
    top = f[:, 1] - BODY_TOP_ABOVE_FACE * fh
    out = np.column_stack([cx - BODY_WIDTHS_PER_FACE * fw / 2, top,
                           cx + BODY_WIDTHS_PER_FACE * fw / 2, top + BODY_HEIGHTS_PER_FACE * fh])
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, w - 1)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, h - 1)
    return out


class LibraryTracker:
    """ByteTrack or OC-SORT from the ``trackers`` library, on image boxes."""

    def __init__(self, kind: str = "bytetrack", fps: float = 10.0, lost_s: float = 2.0,
                 min_hits: int = 2, min_iou: float = 0.1):
        if kind not in ("bytetrack", "ocsort"):
            raise ValueError(f"library tracker kind must be 'bytetrack' or 'ocsort', got {kind!r}")
        self.name, self.fps = kind, float(fps)
        self._opts = dict(lost_track_buffer=max(int(round(lost_s * fps)), 1), frame_rate=fps,
                          minimum_consecutive_frames=min_hits, minimum_iou_threshold=min_iou)
        self.reset()

    def reset(self) -> None:
        import trackers

        if self.name == "bytetrack":
            self._tracker = trackers.ByteTrackTracker(track_activation_threshold=0.3,
                                                      high_conf_det_threshold=0.5, **self._opts)
        else:
            self._tracker = trackers.OCSORTTracker(high_conf_det_threshold=0.5, **self._opts)

    def update(self, t: float, boxes: np.ndarray, scores: np.ndarray) -> list[PersonTrack]:
        import supervision as sv

        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(scores, np.float32).reshape(-1)
        det = sv.Detections(xyxy=boxes, confidence=scores,
                            data={"det": np.arange(len(boxes))})
        out = self._tracker.update(det)
        if len(out) == 0 or "det" not in out.data:
            return []
        return [PersonTrack(int(tid) + 1, tuple(float(v) for v in box), int(i))
                for box, tid, i in zip(out.xyxy, out.tracker_id, out.data["det"]) if tid >= 0]


class FloorTracker:
    """The danger pipeline's floor-plane tracker behind the same Protocol (needs the camera)."""

    name = "floor"

    def __init__(self, camera, min_hits: int = 2, max_coast_s: float = 2.0):
        from pipeline.danger.floor import FloorMap
        from pipeline.danger.observe import Observer
        from pipeline.danger.track import Tracker, TrackerConfig

        self._observer = Observer(FloorMap.from_camera(camera))
        self._cfg = TrackerConfig(min_hits=min_hits, max_coast_s=max_coast_s)
        self._make = lambda: Tracker(self._cfg)
        self.reset()

    def reset(self) -> None:
        self._tracker = self._make()

    def update(self, t: float, boxes: np.ndarray, scores: np.ndarray) -> list[PersonTrack]:
        from pipeline.danger.detect import Blob, Detections

        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        blobs = tuple(Blob(tuple(map(float, b)), float((b[2] - b[0]) * (b[3] - b[1])), float(s))
                      for b, s in zip(boxes, scores))
        obs = self._observer.observe(Detections(blobs))
        by_box = {bl.box: i for i, bl in enumerate(blobs)}
        out = []
        for tr in self._tracker.update(t, obs):
            if tr.confirmed and tr.seen:
                out.append(PersonTrack(tr.id, tr.box, by_box.get(tr.box, -1)))
        return out


TRACKERS = ("bytetrack", "ocsort", "floor")


def make_tracker(name: str, fps: float, camera=None) -> PersonTracker:
    if name in ("bytetrack", "ocsort"):
        return LibraryTracker(name, fps)
    if name == "floor":
        if camera is None:
            raise ValueError("the floor tracker needs the camera model (its calibration)")
        return FloorTracker(camera)
    raise ValueError(f"unknown person tracker {name!r} (known: {', '.join(TRACKERS)})")
