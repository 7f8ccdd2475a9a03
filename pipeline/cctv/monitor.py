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

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from floorplan.camera import CameraModel
from pipeline.cctv.stream import CctvStream, FrameResult, StreamConfig
from pipeline.types import Candidate, FaceDetector, FaceEmbedder

__all__ = ["CctvMonitor", "EnrolledGallery", "FrameSizeError", "OutOfOrderError",
           "QueueFullError", "UnknownCameraError", "ENROLLED_POLICY"]

ENROLLED_POLICY = "enrolled"  # the gallery is whoever enrolled (with consent), as the audit says


class UnknownCameraError(KeyError):
    """A camera the site does not have; the message lists the ones it has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class FrameSizeError(ValueError):
    """A frame whose size is not its camera's."""


class OutOfOrderError(ValueError):
    """A frame not after its camera's previous one."""


class QueueFullError(RuntimeError):
    """More frames wait than the queue holds; try again after ``retry_after_s``."""

    def __init__(self, waiting: int, retry_after_s: int):
        super().__init__(f"the CCTV identification queue is full ({waiting} frames waiting); "
                         f"retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


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
    """The identification streams of a site's cameras, and the one worker that runs them."""

    def __init__(self, cameras: list[CameraModel], detector: FaceDetector, embedder: FaceEmbedder,
                 gallery: EnrolledGallery, config: StreamConfig = StreamConfig(), audit=None,
                 site: str = "", queue_size: int = 8):
        if queue_size < 1:
            raise ValueError(f"queue_size: must be >= 1, got {queue_size}")
        self.cameras = {c.id: c for c in cameras}
        self.detector, self.embedder, self.gallery = detector, embedder, gallery
        self.config, self.audit, self.site, self.queue_size = config, audit, site, queue_size
        self.streams: dict[str, CctvStream] = {}
        self.pending = 0
        self._item_s = 0.2  # running mean of time per frame, for the retry hint
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="airtwin-cctv")

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
                self.config, audit=self.audit)
        return st

    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.pending * self._item_s))

    def admit(self) -> None:
        """:class:`QueueFullError` at once when there is no room for one more frame."""
        if self.pending >= self.queue_size:
            raise QueueFullError(self.pending, self.retry_after_s())

    def _run(self, camera_id: str, image: np.ndarray, t: float, reset: bool) -> FrameResult:
        cam = self.camera(camera_id)
        if image.ndim != 3 or image.shape[1] != cam.width or image.shape[0] != cam.height:
            raise FrameSizeError(f"{image.shape[1]}x{image.shape[0]} does not match camera "
                                 f"{camera_id}'s {cam.width}x{cam.height}")
        st = self._stream(cam, reset)
        if st.last_t is not None and not t > st.last_t:
            raise OutOfOrderError(f"camera {camera_id}: frame at t={t} is not after the previous "
                                  f"frame at t={st.last_t}")
        return st.process(image, t)

    async def identify(self, camera_id: str, image: np.ndarray, t: float,
                       reset: bool = False) -> FrameResult:
        """Run one frame of ``camera_id`` taken at ``t`` (after ``reset``: start its stream
        over) on the worker thread."""
        self.admit()
        self.pending += 1
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._run, camera_id, image, t, reset)
        finally:
            self.pending -= 1
            self._item_s = 0.9 * self._item_s + 0.1 * (time.perf_counter() - started)

    def live_identity(self, camera_id: str, track_id: int) -> tuple[str | None, float]:
        """The identity a live track of the camera is claimed as so far, and its score."""
        st = self.streams.get(camera_id)
        return (None, math.nan) if st is None else st.claim(track_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
