"""Danger detection for every CCTV camera of a site: one :class:`CameraStream` per camera, built
when its first frame comes, and one worker thread that analyses frames in arrival order.

A :class:`DangerMonitor` knows nothing of HTTP: it raises danger-domain errors (an unknown
camera, a frame of the wrong size or out of time order, a full queue) and the service's route
(:mod:`pipeline.service.routes_danger`) answers them with statuses.
"""

from __future__ import annotations

import numpy as np

from floorplan.plan import FloorPlan
from pipeline.camera_queue import (FrameQueue, FrameSizeError, QueueFullError,
                                   UnknownCameraError, check_frame_size)
from pipeline.danger.config import DangerConfig
from pipeline.danger.stream import CameraStream, FrameResult

__all__ = ["DangerMonitor", "FrameSizeError", "QueueFullError", "UnknownCameraError"]


class DangerMonitor:
    """The streams of every camera of a site's floor plan, and the one worker that runs them."""

    def __init__(self, plan: FloorPlan, config: DangerConfig = DangerConfig(),
                 queue_size: int = 16):
        self.plan, self.config = plan, config
        self.streams: dict[str, CameraStream] = {}
        self.queue = FrameQueue("danger-analysis", queue_size, 0.05, "airtwin-danger")
        self.admit = self.queue.admit

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

    def _run(self, camera_id: str, image: np.ndarray, t: float, reset: bool) -> FrameResult:
        st = self.stream(camera_id)
        if reset:
            st.reset()
        check_frame_size(image, camera_id, *st.size)
        st.check_time(t)  # StreamError: an OutOfOrderError
        return st.process(image, t)  # FrameError: a BadFrameError

    async def analyze(self, camera_id: str, image: np.ndarray, t: float,
                      reset: bool = False) -> FrameResult:
        """Analyse one frame of ``camera_id`` taken at ``t`` (after ``reset``: start its stream
        over), on the worker thread."""
        return await self.queue.run(self._run, camera_id, image, t, reset)
