"""``POST /v1/analyze``: one CCTV frame in (picture, camera id, timestamp), the camera's tracked
people and objects and any new alerts out.

Each camera has one stateful :class:`~pipeline.danger.stream.CameraStream` on the server, so a
camera's frames must arrive in time order (an older timestamp is refused with 409; send
``reset=true`` to start the camera over). Cameras and their floor geometry come from the scenario
named by ``$AIRTWIN_DANGER_SCENARIO`` (default ``scenarios/incidents_demo.yaml``); rule settings
from ``$AIRTWIN_DANGER_CONFIG`` (a YAML file, optional).

Same rules as the recognition routes: bad input gets a 4xx naming the problem (``{"error": code,
"detail": message}``), and when more frames wait than ``queue_size`` a request is refused at once
with 429 and ``Retry-After``. Frames are analysed on one worker thread, in arrival order.

Mounted by the service's app factory through ``pipeline/service/routes_danger.py``
(``from pipeline.danger.router import prepare, router``).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from pipeline.danger.config import DangerConfig, load_danger_config
from pipeline.danger.detect import FrameError
from pipeline.danger.stream import CameraStream, FrameResult
from pipeline.service.errors import ServiceError
from pipeline.service.imaging import ImageLimits, decode_image

SCENARIO_ENV = "AIRTWIN_DANGER_SCENARIO"
CONFIG_ENV = "AIRTWIN_DANGER_CONFIG"
DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "incidents_demo.yaml"

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


class DangerService:
    """The streams of every camera the server knows, and the one worker that runs them."""

    def __init__(self, scenario, config: DangerConfig = DangerConfig(), queue_size: int = 16):
        if queue_size < 1:
            raise ValueError(f"queue_size: must be >= 1, got {queue_size}")
        self.scenario, self.config, self.queue_size = scenario, config, queue_size
        self.cameras = {c.id: c for c in scenario.cameras if c.kind == "cctv"}
        self.streams: dict[str, CameraStream] = {}
        self.pending = 0
        self._item_s = 0.05  # running mean of analysis time per frame, for Retry-After
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="airtwin-danger")

    @classmethod
    def from_environment(cls) -> "DangerService":
        from sim.loader import load_scenario

        scenario = load_scenario(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)
        return cls(scenario, load_danger_config(os.environ.get(CONFIG_ENV) or None))

    def stream(self, camera_id: str) -> CameraStream:
        if camera_id not in self.cameras:
            known = ", ".join(sorted(self.cameras)) or "none"
            raise ServiceError(404, "unknown_camera", f"camera_id: no cctv camera {camera_id!r} "
                               f"in scenario {self.scenario.name} (known: {known})")
        st = self.streams.get(camera_id)
        if st is None:
            st = CameraStream.from_scenario(self.scenario, camera_id, self.config)
            st.prepare()
            self.streams[camera_id] = st
        return st

    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.pending * self._item_s))

    def admit(self) -> None:
        if self.pending >= self.queue_size:
            s = self.retry_after_s()
            raise ServiceError(429, "queue_full", f"the danger-analysis queue is full "
                               f"({self.pending} frames waiting); retry after {s} s",
                               {"Retry-After": str(s)})

    def _run(self, camera_id: str, image, t: float, reset: bool) -> FrameResult:
        st = self.stream(camera_id)
        if reset:
            st.reset()
        w, h = st.size
        if image.shape[1] != w or image.shape[0] != h:
            raise ServiceError(422, "wrong_image_size", f"image: {image.shape[1]}x"
                               f"{image.shape[0]} does not match camera {camera_id}'s {w}x{h}")
        last = st.last_t
        if last is not None and t <= last:
            raise ServiceError(409, "out_of_order", f"timestamp: {t} is not after camera "
                               f"{camera_id}'s previous frame at {last}; frames of a camera must "
                               f"come in time order (send reset=true to start it over)")
        try:
            return st.process(image, t)
        except FrameError as exc:
            raise ServiceError(422, "bad_frame", f"image: {exc}") from None

    async def analyze(self, camera_id: str, image, t: float, reset: bool = False) -> FrameResult:
        self.admit()
        self.pending += 1
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._run, camera_id, image, t, reset)
        finally:
            self.pending -= 1
            self._item_s = 0.9 * self._item_s + 0.1 * (time.perf_counter() - started)


def prepare(state) -> None:
    """Run by the app factory on its model-loading thread: load the scenario and config."""
    state.danger = DangerService.from_environment()


def _service(request: Request) -> DangerService:
    state = request.app.state.service
    svc = getattr(state, "danger", None)
    if svc is None:
        raise ServiceError(503, "not_ready", "danger detection is not ready (scenario loading)",
                           {"Retry-After": "1"})
    return svc


@router.post("/analyze", response_model=AnalyzeResponse,
             responses={404: {}, 409: {}, 413: {}, 415: {}, 422: {}, 429: {}, 503: {}})
async def analyze(request: Request,
                  image: Annotated[UploadFile, File(description="JPEG or PNG CCTV frame")],
                  camera_id: Annotated[str, Form(min_length=1, max_length=64)],
                  timestamp: Annotated[float, Form(description="seconds on the camera's clock")],
                  reset: Annotated[bool, Form(description="start this camera's stream over")] = False):
    svc = _service(request)
    if not math.isfinite(timestamp):
        raise ServiceError(422, "invalid_request", f"timestamp: must be a finite number of "
                           f"seconds, got {timestamp}")
    metrics = getattr(request.app.state.service, "metrics", None)
    try:
        svc.admit()  # refuse before reading the picture when there is no room
    except ServiceError:
        if metrics is not None:
            metrics.rejected.labels("danger_queue_full").inc()
        raise
    limits = getattr(request.app.state.service, "limits", None) or ImageLimits()
    t0 = time.perf_counter()
    data = await image.read()
    frame = await asyncio.to_thread(decode_image, data, limits, "image")
    decode_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    res = await svc.analyze(camera_id, frame, timestamp, reset)
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
