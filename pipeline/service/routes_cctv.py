"""``POST /v1/cctv/frame``: one CCTV frame in (picture, camera id, timestamp), the camera's tracks
out, with the identity of each track identified so far and the identifications this frame made.

Each camera of the service's site (``airtwin serve --site FILE``) has one stateful stream
(:class:`~pipeline.cctv.monitor.CctvMonitor`): people are found by the CCTV head detector
(:class:`~pipeline.vision.heads.HeadDetector`, one per camera; ``airtwin serve --cctv-persons
faces``: bodies implied by the faces found) and tracked, their faces found by the service's own
detector, gated on quality, embedded by its embedder, aggregated per track and searched once
(1:N) against the service's enrolled templates, at the recogniser's CCTV threshold
(:func:`pipeline.cctv.operating.cctv_decision`: ``--threshold`` when given, else the CCTV
operating point chosen for the model, following the gallery's size, else the gate calibration,
marked "not CCTV" in every answer's ``threshold_source``). Only consenting travelers are ever
enrolled (``/v1/enroll`` refuses the others), so nobody else can be named. Without a site the
route answers 503 ``no_site``.

Privacy: every identification (a search whose best candidate reaches the threshold) is written to
the hash-chained audit log by the stream (camera, time, track, template id, score; never a face or
a template). A face that matches nothing is never stored or logged, nor named in the answer: its
template lives only as long as its track, in memory.

Same rules as the other routes: bad input gets a 4xx naming the problem, a camera's frames must
come in time order (an older timestamp is refused with 409; ``reset=true`` starts the camera
over), and when more frames wait than the queue holds a request is refused at once with 429 and
``Retry-After``. Frames are decoded on a thread and run on one worker thread, in arrival order.
"""

from __future__ import annotations

import math
import time

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from floorplan.site import read_site
from pipeline.cctv.monitor import CctvMonitor, EnrolledGallery
from pipeline.cctv.operating import cctv_decision, threshold_at
from pipeline.cctv.stream import StreamConfig
from pipeline.service.camera_routes import (CAMERA_ERRORS, FRAME_ENCODING, FRAME_RESPONSES,
                                            CameraId, FrameImage, Reset, Timestamp,
                                            camera_error, camera_monitor, read_frame)
from pipeline.service.forms import refuse_empty_or_repeated_fields
from pipeline.vision.heads import HeadDetector

MONITOR = "cctv"  # its key in the service state's extras
OPERATING = "cctv_operating"  # the CCTV threshold's rule and source, in the extras
PATH = "/v1/cctv/frame"

router = APIRouter(prefix="/v1", tags=["cctv"])


class CctvTrackOut(BaseModel):
    track_id: int
    box: tuple[float, float, float, float] = Field(description="body box x1, y1, x2, y2, pixels")
    identity: str | None = Field(description="the enrolled template id this track is identified "
                                             "as (its best match so far); null: not identified")
    score: float | None = Field(description="the identity's match score; null without one")


class CctvIdentificationOut(BaseModel):
    track_id: int
    t: float = Field(description="timestamp of the frame that made the search")
    first_face_t: float = Field(description="when the track's first usable face was seen")
    template_id: str
    score: float
    search: int = Field(description="1: the track's first search")
    faces: int = Field(description="faces aggregated into the searched template")
    audit_logged: bool = Field(description="written to the hash-chained audit log")


class CctvFrameResponse(BaseModel):
    camera_id: str
    timestamp: float
    tracks: list[CctvTrackOut]
    identifications: list[CctvIdentificationOut] = Field(
        description="identifications made on this frame (searches that matched nothing are "
                    "not named)")
    faces_found: int
    faces_usable: int = Field(description="faces that passed the quality gate")
    searches: int = Field(description="1:N searches run on this frame, matched or not")
    threshold: float = Field(description="the 1:N decision threshold at the gallery's size")
    threshold_source: str
    gallery_size: int = Field(description="enrolled templates of the service's model, at the "
                                          "last search")
    latency_ms: dict[str, float]


def prepare(state) -> None:
    """Run by the app factory on its model-loading thread, after the recognizer is prepared."""
    if state.config.site is None:
        return
    rec = state.recognizer
    site = read_site(state.config.site)
    people = None
    if state.config.cctv_persons == "heads":  # one head detector per camera (it keeps state)
        heads = {c.id: HeadDetector() for c in site.cameras}
        for det in heads.values():
            det.prepare()  # a missing model stops the start, naming the file

        def people(cam):  # a camera's stream (re)starts: its detector starts afresh too
            heads[cam.id].reset()
            return heads[cam.id]
    op = state.extras[OPERATING] = cctv_decision(rec.model, state.config.threshold,
                                                 lambda: state.threshold)
    state.extras[MONITOR] = CctvMonitor(
        list(site.cameras), rec.detector, rec.embedder, EnrolledGallery(state.store, rec.model),
        StreamConfig(threshold=op.rule), audit=state.audit, site=site.name,
        queue_size=max(1, min(state.config.queue_size, 16)), person_detector=people)


async def stop(state) -> None:
    monitor = state.extras.get(MONITOR)
    if monitor is not None:
        monitor.close()


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


@router.post("/cctv/frame", response_model=CctvFrameResponse, openapi_extra=FRAME_ENCODING,
             dependencies=[Depends(refuse_empty_or_repeated_fields)],
             responses=FRAME_RESPONSES)
async def cctv_frame(request: Request, image: FrameImage, camera_id: CameraId,
                     timestamp: Timestamp, reset: Reset = False):
    """Identify the people in one CCTV frame: the camera's tracks, the identity of each track
    identified so far, and the identifications this frame made (each one audit-logged)."""
    monitor = camera_monitor(request, MONITOR, "CCTV identification")
    state = request.app.state.service
    metrics = state.metrics
    frame, decode_s = await read_frame(request, monitor, image, "cctv_queue_full")
    t1 = time.perf_counter()
    try:
        res = await monitor.identify(camera_id, frame, timestamp, reset)
    except CAMERA_ERRORS as exc:
        raise camera_error(exc) from None
    del frame  # no picture is kept past this point
    total_s = time.perf_counter() - t1
    hits = [s for s in res.searches if s.matched]
    metrics.observe_stages(cctv_decode=decode_s, cctv_frame=res.seconds)
    for s in res.searches:
        metrics.outcomes.labels("cctv", "hit" if s.matched else "no_hit").inc()
    tracks = []
    for tid, box in res.tracks:
        identity, score = monitor.live_identity(camera_id, tid)
        tracks.append(CctvTrackOut(track_id=tid, box=tuple(round(float(v), 1) for v in box),
                                   identity=identity, score=_finite(score)))
    op = state.extras[OPERATING]
    return CctvFrameResponse(
        camera_id=camera_id, timestamp=timestamp, tracks=tracks,
        identifications=[CctvIdentificationOut(
            track_id=s.track_id, t=s.t, first_face_t=s.first_face_t,
            template_id=s.candidates[0].template_id, score=round(s.candidates[0].score, 4),
            search=s.search, faces=s.faces, audit_logged=monitor.audit is not None)
            for s in hits],
        faces_found=len(res.faces), faces_usable=sum(f.quality.passed for f in res.faces),
        searches=len(res.searches), threshold=round(threshold_at(op.rule, monitor.gallery.size), 4),
        threshold_source=op.source,
        gallery_size=monitor.gallery.size,
        latency_ms={"decode": round(decode_s * 1000, 2), "frame": round(res.seconds * 1000, 2),
                    "queue_and_frame": round(total_s * 1000, 2)})


def document(openapi: dict, state) -> None:
    """The cameras are this service's site's: their ids are camera_id's examples, and the
    frame's size is each camera's resolution."""
    if state.config.site is None:
        return
    cameras = read_site(state.config.site).cameras  # checked when the service started
    ref = (openapi["paths"][PATH]["post"]["requestBody"]["content"]
           ["multipart/form-data"]["schema"]["$ref"])
    form = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
    form["camera_id"]["examples"] = [c.id for c in cameras]
    form["image"]["description"] += ": " + ", ".join(
        f"{c.id} {c.width}x{c.height}" for c in cameras)
