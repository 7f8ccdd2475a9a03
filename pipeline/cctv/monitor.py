"""CCTV identification for every camera of a site: one :class:`~pipeline.cctv.stream.CctvStream`
per camera, built when its first frame comes, and one worker thread that runs frames in arrival
order.

The gallery is a live view of enrolled templates (:class:`EnrolledGallery`: in the service, its
:class:`~pipeline.service.templates.TemplateStore`, where only consenting travelers are ever
enrolled), searched with the detector's and embedder's model, so an enrolment or a purge counts
from the next search on. A :class:`CctvMonitor` knows nothing of HTTP: it raises CCTV-domain
errors (an unknown camera, a frame of the wrong size or out of time order, a full queue) and the
service's route (:mod:`pipeline.service.routes_cctv`) answers them with statuses.
"""

from __future__ import annotations

import math
from typing import Callable, Protocol

import numpy as np

from floorplan.camera import CameraModel
from pipeline.camera_queue import (FrameQueue, FrameSizeError, OutOfOrderError, QueueFullError,
                                   UnknownCameraError, check_frame_size)
from pipeline.cctv.stream import CctvStream, FrameResult, StreamConfig
from pipeline.types import Candidate, FaceDetector, FaceEmbedder

__all__ = ["CctvMonitor", "EnrolledGallery", "FrameSizeError", "OutOfOrderError",
           "QueueFullError", "UnknownCameraError", "ENROLLED_POLICY"]

ENROLLED_POLICY = "enrolled"  # the gallery is whoever enrolled (with consent), as the audit says


class TemplateSearch(Protocol):
    def search(self, probe: np.ndarray, model: str, k: int) -> tuple[list[Candidate], int]: ...


class EnrolledGallery:
    """Enrolled templates of one model, as the gallery a :class:`CctvStream` searches. Nobody is
    on a watchlist: an identification names an enrolled template, nothing more."""

    policy = ENROLLED_POLICY
    watchlist_ids: frozenset[str] = frozenset()

    def __init__(self, templates: TemplateSearch, model: str):
        self.templates, self.model = templates, model
        self.size = 0  # at the last search

    @property
    def store(self) -> "EnrolledGallery":  # CctvStream searches gallery.store
        return self

    def search(self, probe: np.ndarray, k: int = 1) -> list[Candidate]:
        found, self.size = self.templates.search(probe, self.model, k)
        return found


class CctvMonitor:
    """The identification streams of a site's cameras, and the one worker that runs them.

    ``person_detector``: makes each camera's person detector when its stream starts (a
    :class:`~pipeline.vision.heads.HeadDetector` in the service); None: person boxes are implied
    by the faces found."""

    def __init__(self, cameras: list[CameraModel], detector: FaceDetector, embedder: FaceEmbedder,
                 gallery: EnrolledGallery, config: StreamConfig = StreamConfig(), audit=None,
                 site: str = "", queue_size: int = 8,
                 person_detector: Callable[[CameraModel], object] | None = None):
        self.cameras = {c.id: c for c in cameras}
        self.detector, self.embedder, self.gallery = detector, embedder, gallery
        self.person_detector = person_detector
        self.config, self.audit, self.site = config, audit, site
        self.streams: dict[str, CctvStream] = {}
        self.queue = FrameQueue("CCTV identification", queue_size, 0.2, "airtwin-cctv")
        self.admit, self.close = self.queue.admit, self.queue.close

    def camera(self, camera_id: str) -> CameraModel:
        cam = self.cameras.get(camera_id)
        if cam is None:
            raise UnknownCameraError(f"no cctv camera {camera_id!r} on site {self.site or '?'} "
                                     f"(known: {', '.join(sorted(self.cameras)) or 'none'})")
        return cam

    def _stream(self, cam: CameraModel, reset: bool) -> CctvStream:
        st = self.streams.get(cam.id)
        if st is not None and reset:
            st.finish()  # ends its tracks: their templates are forgotten
            st = None
        if st is None:
            st = self.streams[cam.id] = CctvStream(
                cam.id, (cam.width, cam.height), self.detector, self.embedder, self.gallery,
                self.config, audit=self.audit,
                person_detector=self.person_detector(cam) if self.person_detector else None,
                camera_model=cam)
        return st

    def _run(self, camera_id: str, image: np.ndarray, t: float, reset: bool) -> FrameResult:
        cam = self.camera(camera_id)
        check_frame_size(image, camera_id, cam.width, cam.height)
        st = self._stream(cam, reset)
        if st.last_t is not None and not t > st.last_t:
            raise OutOfOrderError(f"camera {camera_id}: frame at t={t} is not after the previous "
                                  f"frame at t={st.last_t}")
        return st.process(image, t)  # StreamError: a BadFrameError

    async def identify(self, camera_id: str, image: np.ndarray, t: float,
                       reset: bool = False) -> FrameResult:
        """Run one frame of ``camera_id`` taken at ``t`` (after ``reset``: start its stream
        over) on the worker thread."""
        return await self.queue.run(self._run, camera_id, image, t, reset)

    def live_identity(self, camera_id: str, track_id: int) -> tuple[str | None, float]:
        """The identity a live track of the camera is claimed as so far, and its score."""
        st = self.streams.get(camera_id)
        return (None, math.nan) if st is None else st.claim(track_id)
