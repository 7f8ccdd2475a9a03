"""``POST /v1/analyze``: one CCTV frame in (picture, camera id, timestamp), the camera's tracked
people and objects and any new alerts out.

Danger detection runs on the floor plan of a site file (``airtwin serve --site FILE``; make one
from a scenario with ``airtwin site export SCENARIO --out FILE``): its cameras and their floor
geometry. Without a site the route answers 503 ``no_site``. Rule settings come from
``$AIRTWIN_DANGER_CONFIG`` (a YAML file, optional).

Each camera has one stateful stream (:class:`~pipeline.danger.monitor.DangerMonitor`), so a
camera's frames must arrive in time order (an older timestamp is refused with 409; send
``reset=true`` to start the camera over). Same rules as the recognition routes: bad input gets a
4xx naming the problem (``{"error": code, "detail": message}``), and when more frames wait than
the queue holds a request is refused at once with 429 and ``Retry-After``. Form fields are read
as the document declares them (:mod:`pipeline.service.forms`), and the document gives the site's
camera ids as ``camera_id``'s examples and each camera's frame size. Frames are decoded on a
thread and analysed on one worker thread, in arrival order.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from floorplan.site import ID as CAMERA_ID_PATTERN  # any id a site file allows its cameras
from floorplan.site import read_site
from pipeline.danger.config import load_danger_config
from pipeline.danger.detect import FrameError
from pipeline.danger.monitor import (DangerMonitor, FrameSizeError, QueueFullError,
                                     UnknownCameraError)
from pipeline.danger.stream import FrameResult, StreamError
from pipeline.service.errors import ServiceError, error_responses
from pipeline.service.forms import BooleanText, NumberText, refuse_empty_fields
from pipeline.service.imaging import ImageLimits, decode_image

CONFIG_ENV = "AIRTWIN_DANGER_CONFIG"
MONITOR = "danger"  # its key in the service state's extras
NO_SITE = ("danger detection has no site: start the service with --site FILE (make one from a "
           "scenario with `airtwin site export SCENARIO --out FILE`)")

router = APIRouter(prefix="/v1", tags=["danger"])
# The frame part's media types, so clients (and generated tests) send a picture.
_FRAME_ENCODING = {"requestBody": {"content": {"multipart/form-data": {
    "encoding": {"image": {"contentType": "image/jpeg, image/png"}}}}}}


class TrackedOut(BaseModel):
    track_id: int
    kind: str = Field(description="person, group, lying or object")
    box: tuple[int, int, int, int] = Field(description="x1, y1, x2, y2 in pixels")
    floor_xy: tuple[float, float] = Field(description="position on the floor, metres")
    speed_mps: float | None
    zone: str


class AlertOut(BaseModel):
    kind: str
    camera_id: str
    t: float
    zone: str
    track_ids: list[int]
    confidence: float
    box: tuple[int, int, int, int] = Field(description="thumbnail box, x1, y1, x2, y2")
    detail: str


class AnalyzeResponse(BaseModel):
    camera_id: str
    timestamp: float
    detections: list[TrackedOut]
    alerts: list[AlertOut]
    max_density_per_m2: float | None = Field(description="densest floor window in view")
    latency_ms: dict[str, float]


def prepare(state) -> None:
    """Run by the app factory on its model-loading thread: read the site and the rule config."""
    if state.config.site is None:
        return
    state.extras[MONITOR] = DangerMonitor(read_site(state.config.site),
                                          load_danger_config(os.environ.get(CONFIG_ENV) or None))


def _monitor(request: Request) -> DangerMonitor:
    state = request.app.state.service
    monitor = state.extras.get(MONITOR)
    if monitor is not None:
        return monitor
    if state.config.site is None:
        raise ServiceError(503, "no_site", NO_SITE)
    raise ServiceError(503, "not_ready", "danger detection is not ready (reading the site)",
                       {"Retry-After": "1"})


async def _analyze(monitor: DangerMonitor, camera_id: str, frame, t: float,
                   reset: bool) -> FrameResult:
    """The monitor's answer, its danger-domain errors as the service's."""
    try:
        return await monitor.analyze(camera_id, frame, t, reset)
    except UnknownCameraError as exc:
        raise ServiceError(404, "unknown_camera", f"camera_id: {exc}") from None
    except FrameSizeError as exc:
        raise ServiceError(422, "wrong_image_size", f"image: {exc}") from None
    except FrameError as exc:
        raise ServiceError(422, "bad_frame", f"image: {exc}") from None
    except StreamError as exc:
        raise ServiceError(409, "out_of_order", f"timestamp: {exc} (send reset=true to start "
                           f"it over)") from None
    except QueueFullError as exc:
        raise _queue_full(exc) from None


def _queue_full(exc: QueueFullError) -> ServiceError:
    return ServiceError(429, "queue_full", str(exc), {"Retry-After": str(exc.retry_after_s)})


@router.post("/analyze", response_model=AnalyzeResponse, openapi_extra=_FRAME_ENCODING,
             dependencies=[Depends(refuse_empty_fields)],
             responses=error_responses(400, 404, 409, 413, 415, 422, 429, 503, described={
                 404: "camera_id is not a CCTV camera of the service's site",
                 409: "timestamp is not after the camera's previous frame (send reset=true)",
                 422: "a field or the image is invalid (wrong size for the camera, a bad "
                      "frame, a non-finite timestamp); detail names which and why",
                 503: "no site (no_site: start the service with --site FILE), or models not "
                      "ready (not_ready, with Retry-After)"}))
async def analyze(request: Request,
                  image: Annotated[UploadFile, File(
                      description="JPEG or PNG CCTV frame, of the camera's resolution",
                      json_schema_extra={"minLength": 1})],
                  camera_id: Annotated[str, Form(
                      pattern=CAMERA_ID_PATTERN,
                      description="a CCTV camera of the site (letters, digits, _ and -)")],
                  timestamp: Annotated[float, Form(
                      allow_inf_nan=False, description="seconds on the camera's clock"),
                      NumberText],
                  reset: Annotated[bool, Form(description="start this camera's stream over"),
                                   BooleanText] = False):
    """Analyse one CCTV frame: the camera's tracked people and objects, and any new alerts."""
    monitor = _monitor(request)
    state = request.app.state.service
    metrics = getattr(state, "metrics", None)
    try:
        monitor.admit()  # refuse before reading the picture when there is no room
    except QueueFullError as exc:
        if metrics is not None:
            metrics.rejected.labels("danger_queue_full").inc()
        raise _queue_full(exc) from None
    limits = getattr(state, "limits", None) or ImageLimits()
    t0 = time.perf_counter()
    data = await image.read()
    frame = await asyncio.to_thread(decode_image, data, limits, "image")
    decode_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    res = await _analyze(monitor, camera_id, frame, timestamp, reset)
    total_ms = (time.perf_counter() - t1) * 1000
    if metrics is not None:  # the service's stage histogram: danger_decode, danger_analyze
        metrics.observe_stages(danger_decode=decode_ms / 1000, danger_analyze=res.latency_s)
    return AnalyzeResponse(
        camera_id=camera_id, timestamp=timestamp,
        detections=[TrackedOut(track_id=o.track_id, kind=o.kind, box=o.box,
                               floor_xy=(round(o.xy[0], 3), round(o.xy[1], 3)),
                               speed_mps=None if o.speed_mps is None else round(o.speed_mps, 3),
                               zone=o.zone) for o in res.objects],
        alerts=[AlertOut(kind=a.kind, camera_id=a.camera, t=a.t, zone=a.zone,
                         track_ids=list(a.track_ids), confidence=round(a.confidence, 3),
                         box=a.box, detail=a.detail) for a in res.alerts],
        max_density_per_m2=round(max(res.density.values()), 3) if res.density else None,
        latency_ms={"decode": round(decode_ms, 2), "analyze": round(res.latency_s * 1000, 2),
                    "queue_and_analyze": round(total_ms, 2)})


def document(openapi: dict, state) -> None:
    """The cameras are this service's site's: their ids are camera_id's examples, and the
    frame's size is each camera's resolution."""
    if state.config.site is None:
        return
    cameras = read_site(state.config.site).cameras  # checked when the service started
    ref = (openapi["paths"]["/v1/analyze"]["post"]["requestBody"]["content"]
           ["multipart/form-data"]["schema"]["$ref"])
    form = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
    form["camera_id"]["examples"] = [c.id for c in cameras]
    form["image"]["description"] += ": " + ", ".join(
        f"{c.id} {c.width}x{c.height}" for c in cameras)
