"""Danger detection for every CCTV camera of a site: one :class:`CameraStream` per camera, built
when its first frame comes, and one worker thread that analyses frames in arrival order.

A :class:`DangerMonitor` knows nothing of HTTP: it raises danger-domain errors (an unknown
camera, a frame of the wrong size or out of time order, a full queue) and the service's route
(:mod:`pipeline.service.routes_danger`) answers them with statuses.
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from floorplan.plan import FloorPlan
from pipeline.danger.config import DangerConfig
from pipeline.danger.detect import FrameError
from pipeline.danger.stream import CameraStream, FrameResult

__all__ = ["DangerMonitor", "FrameSizeError", "QueueFullError", "UnknownCameraError"]


class UnknownCameraError(KeyError):
    """A camera the site does not have; the message lists the ones it has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class FrameSizeError(FrameError):
    """A frame whose size is not its camera's."""


class QueueFullError(RuntimeError):
    """More frames wait than the queue holds; try again after ``retry_after_s``."""

    def __init__(self, waiting: int, retry_after_s: int):
        super().__init__(f"the danger-analysis queue is full ({waiting} frames waiting); "
                         f"retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class DangerMonitor:
    """The streams of every camera of a site's floor plan, and the one worker that runs them."""

    def __init__(self, plan: FloorPlan, config: DangerConfig = DangerConfig(),
                 queue_size: int = 16):
        if queue_size < 1:
            raise ValueError(f"queue_size: must be >= 1, got {queue_size}")
        self.plan, self.config, self.queue_size = plan, config, queue_size
        self.streams: dict[str, CameraStream] = {}
        self.pending = 0
        self._item_s = 0.05  # running mean of analysis time per frame, for the retry hint
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="airtwin-danger")

    def stream(self, camera_id: str) -> CameraStream:
        st = self.streams.get(camera_id)
        if st is None:
            known = {c.id for c in self.plan.cameras}
            if camera_id not in known:
                raise UnknownCameraError(f"no cctv camera {camera_id!r} on site {self.plan.name}"
                                         f" (known: {', '.join(sorted(known)) or 'none'})")
            st = CameraStream.from_plan(self.plan, camera_id, self.config)
            st.prepare()
            self.streams[camera_id] = st
        return st

    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.pending * self._item_s))

    def admit(self) -> None:
        """:class:`QueueFullError` at once when there is no room for one more frame."""
        if self.pending >= self.queue_size:
            raise QueueFullError(self.pending, self.retry_after_s())

    def _run(self, camera_id: str, image: np.ndarray, t: float, reset: bool) -> FrameResult:
        st = self.stream(camera_id)
        if reset:
            st.reset()
        w, h = st.size
        if image.shape[1] != w or image.shape[0] != h:
            raise FrameSizeError(f"{image.shape[1]}x{image.shape[0]} does not match camera "
                                 f"{camera_id}'s {w}x{h}")
        st.check_time(t)
        return st.process(image, t)

    async def analyze(self, camera_id: str, image: np.ndarray, t: float,
                      reset: bool = False) -> FrameResult:
        """Analyse one frame of ``camera_id`` taken at ``t`` (after ``reset``: start its stream
        over), on the worker thread."""
        self.admit()
        self.pending += 1
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._run, camera_id, image, t, reset)
        finally:
            self.pending -= 1
            self._item_s = 0.9 * self._item_s + 0.1 * (time.perf_counter() - started)
