"""One camera's identification stream: frames in time order -> person tracks, their faces, one
1:N search per track, identification events.

    stream = CctvStream("pier_cam_1", (1920, 1080), detector, embedder, gallery, audit=log,
                        person_detector=mog2)           # None: bodies implied by faces
    for frame in frames:
        result = stream.process(frame.image, frame.t)   # FrameResult: tracks, faces, events,
                                                         # wall seconds per stage, CPU seconds
    summaries = stream.finish()                          # TrackSummary per track, for journeys

Privacy rules live here, not in the caller: templates are kept per live track only (never
images), a track that ends without a match is forgotten whole, and every identification (a
search whose best candidate reaches the threshold) is appended to the hash-chained audit log
with its camera, time, track, candidate id and score, never a face or a template. Searches that
match nothing are returned to the caller (an evaluation needs their scores) but never logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from pipeline.camera_queue import BadFrameError

from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
from pipeline.cctv.appearance import HIST_BINS, clothing_histogram
from pipeline.cctv.galleries import Gallery
from pipeline.cctv.operating import SizedThreshold, threshold_at
from pipeline.cctv.persons import (CCTV_TRACKER_OPTIONS, FACE_BODY_SCORE, PersonBoxes,
                                   PersonTracker, body_boxes_from_faces, make_tracker,
                                   person_boxes)
from pipeline.cctv.quality import FaceQuality, QualityGate, measure_face
from pipeline.cctv.relink import RelinkConfig, Relinker
from pipeline.cctv.swaps import SwapConfig, SwapGuard
from pipeline.types import Candidate, FaceDetector, FaceEmbedder
from pipeline.vision.detections import FrameError, check_frame

__all__ = ["CctvStream", "FaceObservation", "FrameResult", "Identification", "StreamConfig",
           "StreamError", "TrackSummary", "clothing_histogram"]



# ids of tracks started by an identity split (pipeline.cctv.aggregate), above any tracker's
SPLIT_ID_BASE = 1_000_000


class StreamError(BadFrameError):
    """A frame the stream cannot take (out of time order, wrong size)."""


@dataclass(frozen=True)
class StreamConfig:
    fps: float = 10.0
    tracker: str = "bytetrack"
    # a search's best score must reach this to identify (cosine); a SizedThreshold: the
    # threshold for the stream's gallery size (pipeline.cctv.operating)
    threshold: float | SizedThreshold = 0.6
    candidates: int = 5  # kept per search (rank-k for the evaluation)
    gate: QualityGate = field(default_factory=QualityGate)
    aggregation: AggregationConfig = field(default_factory=AggregationConfig)
    end_after_s: float = 2.0  # a track unseen this long is ended
    # options of the person tracker (pipeline.cctv.persons.LibraryTracker: assoc, iou, ...)
    tracker_options: dict = field(default_factory=lambda: dict(CCTV_TRACKER_OPTIONS))
    # a new track continuing one lost a moment ago keeps its id (None: off); a track is kept
    # open at least its window, so the fragment joins the same summary and face aggregate
    relink: RelinkConfig | None = field(default_factory=RelinkConfig)
    # a track whose clothes change ends there, the person it changed to continuing their own
    # id where one fits (pipeline.cctv.swaps; None: off)
    swaps: SwapConfig | None = field(default_factory=SwapConfig)


@dataclass(frozen=True, slots=True)
class FaceObservation:
    t: float
    track_id: int  # -1: not on a confirmed track this frame
    box: tuple[float, float, float, float]
    quality: FaceQuality
    # embedded this frame: the cosine with its track's template before it joined (NaN: the
    # track had no face to compare, or too small to judge; see TrackFaces.agreement)
    embedded: bool = False
    agreement: float = float("nan")


@dataclass(frozen=True, slots=True)
class Identification:
    """One 1:N search of a track's aggregated template. ``matched`` when the best candidate
    reaches the threshold; only those are identifications (audited, reported as claims)."""

    camera: str
    track_id: int
    t: float
    first_face_t: float
    search: int  # 1 = the track's first search
    candidates: tuple[Candidate, ...]
    matched: bool
    watchlist: bool  # matched a watchlist entry
    faces: int  # faces in the template
    best_ipd_px: float


@dataclass(frozen=True)
class FrameResult:
    camera: str
    t: float
    tracks: tuple[tuple[int, tuple[float, float, float, float]], ...]  # (track id, body box)
    faces: tuple[FaceObservation, ...]
    searches: tuple[Identification, ...]
    seconds: float  # wall time of the whole frame
    cpu_seconds: float = float("nan")  # process CPU time of the whole frame
    # wall seconds per stage: detect (faces and person boxes), quality (the gate), track (the
    # tracker and clothing histograms), embed, search
    stages: dict = field(default_factory=dict)
    cpu_stages: dict = field(default_factory=dict)  # process CPU seconds per stage, same keys
    person_boxes: int = 0  # boxes the tracker was given
    boxes_from_faces: int = 0  # of which implied by faces no detected person box carried


@dataclass
class TrackSummary:
    camera: str
    track_id: int
    t_in: float
    t_out: float
    identity: str | None  # claimed template id (best matched search)
    score: float  # its score (NaN without a claim)
    watchlist: bool
    histogram: np.ndarray  # normalised clothing colour histogram (HIST_BINS)
    frames: int


@dataclass
class _Live:
    summary: TrackSummary
    faces: TrackFaces
    hist_sum: np.ndarray
    last_seen: float


class CctvStream:
    def __init__(self, camera: str, frame_size: tuple[int, int], detector: FaceDetector,
                 embedder: FaceEmbedder, gallery: Gallery, config: StreamConfig = StreamConfig(),
                 audit=None, tracker: PersonTracker | None = None, person_detector=None,
                 camera_model=None):
        """``camera_model``: the camera's calibration (a :class:`floorplan.camera.CameraModel`),
        for the trackers that read the floor (the crowd looks' floor speed, the ``floor``
        tracker); None: unknown (they read the image)."""
        self.camera, self.frame_size = camera, (int(frame_size[0]), int(frame_size[1]))
        self.detector, self.embedder, self.gallery = detector, embedder, gallery
        self.config, self.audit = config, audit
        opts = dict(config.tracker_options)
        if config.tracker in ("bytetrack", "ocsort"):  # its boxes stay inside the frame
            opts["frame_size"] = self.frame_size
        self.tracker = tracker or make_tracker(config.tracker, config.fps, camera=camera_model,
                                               options=opts)
        self.relinker = Relinker(config.relink) if config.relink is not None else None
        self.swap_guard = SwapGuard(config.swaps) if config.swaps is not None else None
        self._end_after_s = max(config.end_after_s,
                                config.relink.window_s if config.relink is not None else 0.0,
                                config.swaps.rejoin_s if config.swaps is not None else 0.0)
        self.person_detector = person_detector
        self._live: dict[int, _Live] = {}
        # identity segments: tracker (or re-link) id -> the id of its current segment
        self._split_ids: dict[int, int] = {}
        self._next_split_id = SPLIT_ID_BASE
        self.splits = 0
        self._ended: list[TrackSummary] = []
        self._last_t: float | None = None

    @property
    def last_t(self) -> float | None:
        return self._last_t

    def process(self, image: np.ndarray, t: float) -> FrameResult:
        clock = _StageClock()
        try:
            check_frame(image, self.frame_size, f"frame of camera {self.camera}")
        except FrameError as exc:
            raise StreamError(str(exc)) from None
        if self._last_t is not None and not t > self._last_t:
            raise StreamError(f"camera {self.camera}: frame at t={t} is not after the previous "
                              f"frame at t={self._last_t}; a camera's frames must come in time "
                              f"order")
        self._last_t = t
        dets = self.detector.detect(image)
        face_boxes = np.array([d.box for d in dets], np.float64).reshape(-1, 4)
        if self.person_detector is None:
            people = PersonBoxes(body_boxes_from_faces(face_boxes, self.frame_size),
                                 np.full(len(dets), FACE_BODY_SCORE, np.float32),
                                 {i: i for i in range(len(dets))}, len(dets))
        else:
            blobs = self.person_detector.detect(image).blobs
            # a head detector says where each box's head is (the tracker may follow heads)
            heads = getattr(self.person_detector, "last_heads", None)
            people = person_boxes([b.box for b in blobs], [b.score for b in blobs], face_boxes,
                                  self.frame_size, heads=heads,
                                  **getattr(self.person_detector, "person_box_options", {}))
        clock.lap("detect")
        quals = [measure_face(image, d, self.config.gate) for d in dets]
        clock.lap("quality")
        # the clothing colour of the detected body (not of the track's box, which the tracker
        # may widen for a side-on walker); a predicted box (coasting, detection -1) gives none.
        # A tracker that weighs clothes where neighbours contest a box gets every box's first.
        looks = None
        if getattr(self.tracker, "wants_looks", False):
            looks = [clothing_histogram(image, b) for b in people.boxes]
            tracks = self.tracker.update(t, people.boxes, people.scores, heads=people.heads,
                                         looks=looks)
        else:
            tracks = self.tracker.update(t, people.boxes, people.scores, heads=people.heads)
        hists = [None if tr.detection < 0 else looks[tr.detection] if looks is not None
                 else clothing_histogram(image, people.boxes[tr.detection]) for tr in tracks]
        linked = []  # ids continued by another fragment this frame (links on probation)
        if self.relinker is not None:
            tracks = self.relinker.update(t, tracks, hists)
            linked += self.relinker.linked_now
        if self.swap_guard is not None:
            cues = self.swap_guard.cues(image, people.boxes, tracks, hists)
            tracks = self.swap_guard.update(t, tracks, cues)
            linked = [self.swap_guard.segment_of(i) for i in linked] + self.swap_guard.linked_now
        for tid in linked:
            live = self._live.get(self._split_ids.get(tid, tid))
            if live is not None:
                live.faces.mark_link(t)
        track_of_face: dict[int, int] = {}
        key_of_face: dict[int, int] = {}
        for tr, hist in zip(tracks, hists):
            tid = self._split_ids.get(tr.track_id, tr.track_id)  # after an identity split
            j = people.face_of_box.get(tr.detection)
            if j is not None:
                track_of_face[j], key_of_face[j] = tid, tr.track_id
            live = self._live.get(tid)
            if live is None:
                live = self._open(tid, t)
            live.summary.t_out, live.last_seen = t, t
            live.summary.frames += 1
            if hist is not None:
                live.hist_sum += hist
        clock.lap("track")
        # embed only faces that pass the gate, sit on a confirmed track and would improve a
        # search it can still make, or check its identity (TrackFaces.wants_face)
        todo = [j for j, q in enumerate(quals) if q.passed and j in track_of_face
                and self._live[track_of_face[j]].faces.wants_face(q, t)]
        agreement: dict[int, float] = {}
        if todo:
            embs = self.embedder.embed(image, [dets[j] for j in todo])
            for j, e in zip(todo, embs):
                face = TrackFace(t, quals[j], e.vector)
                tf = self._live[track_of_face[j]].faces
                agreement[j] = tf.agreement(face)
                if tf.disagrees(face, agreement[j]) or tf.contradicts_link(face):
                    track_of_face[j] = self._split(key_of_face[j], track_of_face[j], t)
                self._live[track_of_face[j]].faces.add(face)
        clock.lap("embed")
        searches = tuple(self._search(live, t) for tid, live in self._live.items()
                         if live.faces.wants_search())
        clock.lap("search")
        self._end_stale(t)
        faces = tuple(FaceObservation(t, track_of_face.get(j, -1), d.box, q, j in agreement,
                                      agreement.get(j, float("nan")))
                      for j, (d, q) in enumerate(zip(dets, quals)))
        seconds, cpu = clock.total()
        ids = self._split_ids
        return FrameResult(self.camera, t, tuple((ids.get(tr.track_id, tr.track_id), tr.box)
                                                 for tr in tracks), faces,
                           searches, seconds, cpu, clock.stages, clock.cpu_stages,
                           len(people.boxes), people.from_faces)

    @property
    def threshold(self) -> float:
        """The decision threshold a search uses: the configured one at this stream's gallery
        size (a :class:`pipeline.cctv.operating.SizedThreshold` follows it)."""
        return threshold_at(self.config.threshold, self.gallery.size)

    def claim(self, track_id: int) -> tuple[str | None, float]:
        """The template id a live track is claimed as so far (None: not identified), and its
        score (NaN without a claim)."""
        live = self._live.get(track_id)
        if live is None:
            return None, float("nan")
        return live.summary.identity, live.summary.score

    def _search(self, live: _Live, t: float) -> Identification:
        tf, cfg = live.faces, self.config
        used = tf.search_faces()  # the best k of one person (TrackFaces.search_faces)
        probe = tf.template(used)
        cands = tuple(self.gallery.store.search(probe, k=cfg.candidates))
        # a track whose earlier search named another person claims nobody
        # (AggregationConfig.claim_conflict_score)
        matched = (bool(cands) and cands[0].score >= self.threshold
                   and not tf.claim_conflicts(cands[0].template_id))
        tf.mark_searched((cands[0].template_id, cands[0].score) if cands else None)
        wl = matched and cands[0].template_id in self.gallery.watchlist_ids
        ident = Identification(self.camera, tf.track_id, t, float(tf.first_face_t), tf.searches,
                               cands, matched, wl, len(used), max(f.quality.ipd_px for f in used))
        s = live.summary
        if matched and not (s.identity is not None and s.score >= cands[0].score):
            s.identity, s.score, s.watchlist = cands[0].template_id, cands[0].score, wl
        if matched and self.audit is not None:
            self.audit.append("cctv_identify", camera=self.camera, track=tf.track_id,
                              t=round(t, 3), policy=self.gallery.policy,
                              gallery_size=self.gallery.size, candidate=cands[0].template_id,
                              score=round(cands[0].score, 4), watchlist=wl)
        return ident

    def _open(self, tid: int, t: float) -> _Live:
        live = self._live[tid] = _Live(
            TrackSummary(self.camera, tid, t, t, None, float("nan"), False,
                         np.zeros(HIST_BINS, np.float32), 0),
            TrackFaces(tid, self.config.aggregation), np.zeros(HIST_BINS, np.float32), t)
        return live

    def _split(self, key: int, tid: int, t: float) -> int:
        """End track ``tid`` (its face showed another person) and continue tracker id ``key``
        as a new track from this frame; the new track's id."""
        new, self._next_split_id = self._next_split_id, self._next_split_id + 1
        self._split_ids[key] = new
        old = self._live[tid]
        live = self._open(new, t)
        live.summary.frames = 1  # this frame is the new track's
        old.summary.frames -= 1
        self._close(tid)
        self.splits += 1
        return new

    def _end_stale(self, t: float) -> None:
        held = self._dwelling(t)
        for tid in [tid for tid, lv in self._live.items()
                    if t - lv.last_seen > self._end_after_s and tid not in held]:
            self._close(tid)

    def _dwelling(self, t: float) -> set[int]:
        """The live tracks the re-linker may still continue past ``end_after_s`` (a dwelling
        person's: :meth:`pipeline.cctv.relink.Relinker.dwelling`), under the stream's ids."""
        if self.relinker is None:
            return set()
        ids = self.relinker.dwelling(t)
        if self.swap_guard is not None:
            ids = {self.swap_guard.segment_of(i) for i in ids}
        return {self._split_ids.get(i, i) for i in ids}

    def _close(self, tid: int) -> None:
        live = self._live.pop(tid)
        live.summary.histogram = live.hist_sum / max(float(live.hist_sum.sum()), 1e-9)
        live.faces.forget()  # templates never outlive their track, matched or not
        self._ended.append(live.summary)

    def finish(self) -> list[TrackSummary]:
        """End every live track; the summaries of all tracks of this stream, by start time."""
        for tid in list(self._live):
            self._close(tid)
        return sorted(self._ended, key=lambda s: (s.t_in, s.track_id))



class _StageClock:
    """Wall and process CPU seconds per stage (``lap(name)`` ends the stage begun at the
    previous lap) and for the whole frame. Process CPU time counts every thread of the
    process (onnxruntime's own pool included), so it is this stream's cost only while one
    stream runs at a time, as in ``airtwin identify-cctv``."""

    def __init__(self):
        self.stages: dict[str, float] = {}
        self.cpu_stages: dict[str, float] = {}
        self._wall0 = self._last = time.perf_counter()
        self._cpu0 = self._last_cpu = time.process_time()

    def lap(self, stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._last
        self.cpu_stages[stage] = self.cpu_stages.get(stage, 0.0) + cpu - self._last_cpu
        self._last, self._last_cpu = now, cpu

    def total(self) -> tuple[float, float]:
        return time.perf_counter() - self._wall0, time.process_time() - self._cpu0
