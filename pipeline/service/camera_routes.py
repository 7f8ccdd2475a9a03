"""What the per-camera frame routes share (``POST /v1/analyze``, ``POST /v1/cctv/frame``): the
declared form fields and error responses, finding the route's camera monitor, refusing a frame
before reading it when the queue is full, and the HTTP answer to each camera error
(:mod:`pipeline.camera_queue`)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import numpy as np
from fastapi import File, Form, Request, UploadFile

from floorplan.site import ID as CAMERA_ID_PATTERN  # any id a site file allows its cameras
from pipeline.camera_queue import (BadFrameError, FrameSizeError, OutOfOrderError,
                                   QueueFullError, UnknownCameraError)
from pipeline.service.errors import ServiceError, error_responses
from pipeline.service.forms import BooleanText, NumberText
from pipeline.service.imaging import ImageLimits, decode_image

NO_SITE = ("{what} has no site: start the service with --site FILE (make one from a scenario "
           "with `airtwin site export SCENARIO --out FILE`)")
# The frame part's media types, so clients (and generated tests) send a picture.
FRAME_ENCODING = {"requestBody": {"content": {"multipart/form-data": {
    "encoding": {"image": {"contentType": "image/jpeg, image/png"}}}}}}
FRAME_RESPONSES = error_responses(400, 404, 409, 413, 415, 422, 429, 503, described={
    404: "camera_id is not a CCTV camera of the service's site",
    409: "timestamp is not after the camera's previous frame (send reset=true)",
    422: "a field or the image is invalid (wrong size for the camera, a bad frame, a "
         "non-finite timestamp); detail names which and why",
    503: "no site (no_site: start the service with --site FILE), or models not ready "
         "(not_ready, with Retry-After)"})

FrameImage = Annotated[UploadFile, File(
    description="JPEG or PNG CCTV frame, of the camera's resolution",
    json_schema_extra={"minLength": 1})]
CameraId = Annotated[str, Form(pattern=CAMERA_ID_PATTERN,
                               description="a CCTV camera of the site (letters, digits, _ and -)")]
Timestamp = Annotated[float, Form(allow_inf_nan=False,
                                  description="seconds on the camera's clock"), NumberText]
Reset = Annotated[bool, Form(description="start this camera's stream over (its tracks end)"),
                  BooleanText]


def camera_monitor(request: Request, key: str, what: str):
    """The route's monitor from the service state's extras, or 503 saying why there is none."""
    state = request.app.state.service
    monitor = state.extras.get(key)
    if monitor is not None:
        return monitor
    if state.config.site is None:
        raise ServiceError(503, "no_site", NO_SITE.format(what=what))
    raise ServiceError(503, "not_ready", f"{what} is not ready (loading the site and models)",
                       {"Retry-After": "1"})


def camera_error(exc: Exception) -> ServiceError:
    """The service's answer to a camera error of :mod:`pipeline.camera_queue`."""
    if isinstance(exc, UnknownCameraError):
        return ServiceError(404, "unknown_camera", f"camera_id: {exc}")
    if isinstance(exc, FrameSizeError):
        return ServiceError(422, "wrong_image_size", f"image: {exc}")
    if isinstance(exc, OutOfOrderError):
        return ServiceError(409, "out_of_order", f"timestamp: {exc}; a camera's frames must come "
                            f"in time order (send reset=true to start it over)")
    if isinstance(exc, BadFrameError):
        return ServiceError(422, "bad_frame", f"image: {exc}")
    if isinstance(exc, QueueFullError):
        return ServiceError(429, "queue_full", str(exc), {"Retry-After": str(exc.retry_after_s)})
    raise TypeError(f"not a camera error: {exc!r}")


CAMERA_ERRORS = (UnknownCameraError, FrameSizeError, OutOfOrderError, BadFrameError,
                 QueueFullError)


async def read_frame(request: Request, monitor, image: UploadFile,
                     rejected_label: str) -> tuple[np.ndarray, float]:
    """Refuse at once when the monitor's queue is full (before reading the picture), then read
    and decode the frame on a thread; returns it and the seconds spent decoding."""
    state = request.app.state.service
    metrics = getattr(state, "metrics", None)
    try:
        monitor.admit()
    except QueueFullError as exc:
        if metrics is not None:
            metrics.rejected.labels(rejected_label).inc()
        raise camera_error(exc) from None
    limits = getattr(state, "limits", None) or ImageLimits()
    t0 = time.perf_counter()
    frame = await asyncio.to_thread(decode_image, await image.read(), limits, "image")
    return frame, time.perf_counter() - t0
