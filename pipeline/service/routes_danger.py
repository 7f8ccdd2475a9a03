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

import os
import time

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from floorplan.site import read_site
from pipeline.danger.config import load_danger_config
from pipeline.danger.monitor import DangerMonitor
from pipeline.service.camera_routes import (CAMERA_ERRORS, FRAME_ENCODING, FRAME_RESPONSES,
                                            CameraId, FrameImage, Reset, Timestamp,
                                            camera_error, camera_monitor, read_frame)
from pipeline.service.forms import refuse_empty_or_repeated_fields

CONFIG_ENV = "AIRTWIN_DANGER_CONFIG"
MONITOR = "danger"  # its key in the service state's extras
router = APIRouter(prefix="/v1", tags=["danger"])


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


@router.post("/analyze", response_model=AnalyzeResponse, openapi_extra=FRAME_ENCODING,
             dependencies=[Depends(refuse_empty_or_repeated_fields)],
             responses=FRAME_RESPONSES)
async def analyze(request: Request, image: FrameImage, camera_id: CameraId,
                  timestamp: Timestamp, reset: Reset = False):
    """Analyse one CCTV frame: the camera's tracked people and objects, and any new alerts."""
    monitor = camera_monitor(request, MONITOR, "danger detection")
    metrics = getattr(request.app.state.service, "metrics", None)
    frame, decode_s = await read_frame(request, monitor, image, "danger_queue_full")
    decode_ms = decode_s * 1000
    t1 = time.perf_counter()
    try:
        res = await monitor.analyze(camera_id, frame, timestamp, reset)
    except CAMERA_ERRORS as exc:
        raise camera_error(exc) from None
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
