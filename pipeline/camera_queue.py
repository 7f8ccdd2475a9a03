"""What a site's per-camera streams share in the service: the errors a camera's frame can meet,
and one worker thread that runs frames in arrival order behind a bounded queue.

Danger detection (:mod:`pipeline.danger.monitor`) and CCTV identification
(:mod:`pipeline.cctv.monitor`) each keep one stateful stream per camera; both refuse a frame at
once when their queue is full (the route answers 429 with the retry hint), and neither knows
HTTP: the routes map these errors to statuses (:func:`pipeline.service.errors.camera_error`).
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["BadFrameError", "FrameQueue", "FrameSizeError", "OutOfOrderError", "QueueFullError",
           "UnknownCameraError", "check_frame_size"]


class UnknownCameraError(KeyError):
    """A camera the site does not have; the message lists the ones it has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class FrameSizeError(ValueError):
    """A frame whose size is not its camera's."""


class OutOfOrderError(ValueError):
    """A frame not after its camera's previous one."""


class BadFrameError(ValueError):
    """A frame its camera's stream cannot analyse (not a colour picture, say)."""


class QueueFullError(RuntimeError):
    """More frames wait than the queue holds; try again after ``retry_after_s``."""

    def __init__(self, what: str, waiting: int, retry_after_s: int):
        super().__init__(f"the {what} queue is full ({waiting} frames waiting); "
                         f"retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


def check_frame_size(image: np.ndarray, camera_id: str, width: int, height: int) -> None:
    if image.ndim != 3 or image.shape[1] != width or image.shape[0] != height:
        raise FrameSizeError(f"{image.shape[1]}x{image.shape[0]} does not match camera "
                             f"{camera_id}'s {width}x{height}")


class FrameQueue:
    """One worker thread running frames in arrival order; :meth:`admit` refuses a frame at once
    (:class:`QueueFullError`) when ``size`` already wait."""

    def __init__(self, what: str, size: int, first_item_s: float, thread_name: str):
        if size < 1:
            raise ValueError(f"queue_size: must be >= 1, got {size}")
        self.what, self.size = what, size
        self.pending = 0
        self._item_s = first_item_s  # running mean of time per frame, for the retry hint
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)

    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.pending * self._item_s))

    def admit(self) -> None:
        if self.pending >= self.size:
            raise QueueFullError(self.what, self.pending, self.retry_after_s())

    async def run(self, fn, *args):
        """``fn(*args)`` on the worker thread, after :meth:`admit`."""
        self.admit()
        self.pending += 1
        started = time.perf_counter()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self.pending -= 1
            self._item_s = 0.9 * self._item_s + 0.1 * (time.perf_counter() - started)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
