"""``/healthz`` (the process answers), ``/readyz`` (models prepared: send traffic), ``/metrics``
(Prometheus text format). These never touch the model thread, so they answer under any load."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from pipeline.service.schemas import Health
from pipeline.service.state import recognizer_device

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> Health:
    state = request.app.state.service
    return Health(status="ok", ready=state.ready)


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request):
    state = request.app.state.service
    if state.ready:
        return Health(status="ready", ready=True,
                      detail=f"backend {state.config.backend}, model {state.recognizer.model}, "
                             f"cctv persons {state.config.cctv_persons}",
                      device=recognizer_device(state.recognizer))
    return JSONResponse(Health(status="not_ready", ready=False,
                               detail=state.not_ready_reason).model_dump(), 503)


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"description": "Prometheus text exposition format"}})
async def metrics(request: Request) -> Response:
    body, content_type = request.app.state.service.metrics.exposition()
    return Response(body, media_type=content_type)
