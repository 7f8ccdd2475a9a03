"""Maintained trackers as the danger tracker's association step.

The danger rules need floor positions, velocities and their error bars per track, so every
tracker here keeps :class:`pipeline.danger.track.Tracker`'s floor Kalman filter, samples,
coasting, lineage and speed-error code, and swaps only *which observation continues which
track* (:meth:`Tracker._associate`):

- ``floor`` (default): the hand-written association, Hungarian on gated Mahalanobis distances
  on the floor plane (:class:`pipeline.danger.track.Tracker` itself);
- ``bytetrack`` / ``ocsort``: the ``trackers`` library (Roboflow, Apache-2.0) on image boxes
  (IoU; ByteTrack's second stage takes low-score blobs);
- ``norfair``: ``norfair`` (Tryolabs, BSD-3) on floor points, Euclidean distance in metres,
  from the maintained fork ``norfair-enough`` (a declared dependency; norfair 2.3 itself pins
  numpy < 2).

A library id seen for the first time starts a track; an observation the library holds back
(its id -1 while the library track is tentative) is dropped, as the library drops it. A library
id that comes back after our track ended starts a new track (lineage still joins the two).
Chosen by ``association:`` in the danger config
(:func:`make_floor_tracker`); compared by ``experiments/danger_tracker_compare.py``.
"""

from __future__ import annotations

import numpy as np

from pipeline.danger.observe import Observation
from pipeline.danger.track import Track, Tracker, TrackerConfig

ASSOCIATIONS = ("floor", "bytetrack", "ocsort", "norfair")


class _KeyedTracker(Tracker):
    """A tracker whose association comes as an outside id per observation (-1: none)."""

    def __init__(self, cfg: TrackerConfig = TrackerConfig()):
        super().__init__(cfg)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self._by_key: dict[int, Track] = {}
        self._keys: dict[int, int] = {}  # this frame: observation index -> outside id

    def _outside_ids(self, t: float, observations: list[Observation]) -> dict[int, int]:
        raise NotImplementedError

    def _associate(self, t: float, observations: list[Observation]):
        self._keys = self._outside_ids(t, observations) if observations else {}
        index = {id(tr): i for i, tr in enumerate(self.tracks)}
        self._by_key = {k: tr for k, tr in self._by_key.items() if id(tr) in index}
        pairs, births = [], []
        for j, key in self._keys.items():
            if key < 0:
                continue
            tr = self._by_key.get(key)
            if tr is None:
                births.append(j)
            else:
                pairs.append((index[id(tr)], j))
        return pairs, sorted(births)

    def _born(self, j: int, track: Track) -> None:
        self._by_key[self._keys[j]] = track


class LibraryAssociation(_KeyedTracker):
    """ByteTrack or OC-SORT (``trackers``) on the observations' image boxes."""

    def __init__(self, kind: str, cfg: TrackerConfig = TrackerConfig(), fps: float = 5.0,
                 min_iou: float = 0.1, high_score: float = 0.6):
        if kind not in ("bytetrack", "ocsort"):
            raise ValueError(f"tracker.association: library tracker must be 'bytetrack' or "
                             f"'ocsort', got {kind!r}")
        self.kind, self.fps, self.min_iou, self.high_score = kind, float(fps), min_iou, high_score
        super().__init__(cfg)

    def reset(self) -> None:
        import trackers

        super().reset()
        # the library counts its lost-track buffer in frames at 30 frames/s, whatever the rate
        opts = dict(lost_track_buffer=max(int(round(self.cfg.max_coast_s * 30)), 1),
                    frame_rate=self.fps, minimum_consecutive_frames=1,
                    minimum_iou_threshold=self.min_iou, high_conf_det_threshold=self.high_score)
        if self.kind == "bytetrack":
            self._lib = trackers.ByteTrackTracker(track_activation_threshold=0.5, **opts)
        else:
            self._lib = trackers.OCSORTTracker(**opts)

    def _outside_ids(self, t, observations):
        import supervision as sv

        boxes = np.array([ob.box for ob in observations], np.float32).reshape(-1, 4)
        scores = np.array([ob.score for ob in observations], np.float32)
        det = sv.Detections(xyxy=boxes, confidence=scores,
                            data={"obs": np.arange(len(observations))})
        out = self._lib.update(det, timestamp=float(t))
        if len(out) == 0 or "obs" not in out.data:
            return {}
        return {int(j): int(k) for j, k in zip(out.data["obs"], out.tracker_id)}


class NorfairAssociation(_KeyedTracker):
    """``norfair`` on the observations' floor points (metres, Euclidean)."""

    def __init__(self, cfg: TrackerConfig = TrackerConfig(), fps: float = 5.0,
                 gate_m: float = 1.5):
        self.fps, self.gate_m = float(fps), float(gate_m)
        super().__init__(cfg)

    def reset(self) -> None:
        import norfair

        super().reset()
        self._frame = 0
        self._lib = norfair.Tracker(distance_function="euclidean",
                                    distance_threshold=self.gate_m,
                                    hit_counter_max=max(int(round(self.cfg.max_coast_s * self.fps)), 1),
                                    initialization_delay=1)

    def _outside_ids(self, t, observations):
        import norfair

        self._frame += 1
        dets = [norfair.Detection(np.array([ob.xy], np.float64), data=(self._frame, j))
                for j, ob in enumerate(observations)]
        out = {}
        for obj in self._lib.update(dets):
            frame, j = obj.last_detection.data
            if frame == self._frame and obj.id is not None:
                out[j] = int(obj.id)
        return out


def make_floor_tracker(cfg: TrackerConfig = TrackerConfig(), association: str = "floor",
                       fps: float = 5.0) -> Tracker:
    """The danger tracker with the named association (:data:`ASSOCIATIONS`)."""
    if association == "floor":
        return Tracker(cfg)
    if association in ("bytetrack", "ocsort"):
        return LibraryAssociation(association, cfg, fps)
    if association == "norfair":
        return NorfairAssociation(cfg, fps)
    raise ValueError(f"tracker.association: one of {', '.join(ASSOCIATIONS)}, "
                     f"got {association!r}")
