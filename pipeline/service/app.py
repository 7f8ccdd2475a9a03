"""The service's app factory: ``create_app(config)`` builds a FastAPI app around one
:class:`~pipeline.service.state.ServiceState`.

Routers are found, not listed: every module ``pipeline/service/routes_*.py`` that defines
``router`` (a FastAPI ``APIRouter``) is included, one module per area (operations, recognition,
and whatever is added later, such as danger detection). A routes module may also define:

- ``prepare(state)``: runs on the model-loading thread after the recognizer is prepared;
  ``/readyz`` turns ready only once every one has returned (load your models here);
- ``async start(state)`` / ``async stop(state)``: run in the event loop when the server starts
  and stops (start a :class:`~pipeline.service.batching.MicroBatcher` of your own here);
- ``document(openapi, state)``: completes the OpenAPI document with what depends on this app's
  settings (a limit from the config), once, when ``/openapi.json`` is first asked for.

Routes declare their error statuses with :func:`~pipeline.service.errors.error_responses`; the
document never shows FastAPI's default validation error, since every 422 is an ``ErrorBody``.

Modules reach the shared state as ``request.app.state.service`` (config, metrics, image intake
with :meth:`ServiceState.read_image`, and ``extras``, a dict for their own objects).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import pipeline.service
from pipeline.calibration import OperatingPoint
from pipeline.recognizer import Recognizer
from pipeline.service.audit import AuditBackstopMiddleware
from pipeline.service.config import ServiceConfig
from pipeline.service.errors import install_error_handlers, replace_default_422
from pipeline.service.limits import BodyLimitMiddleware
from pipeline.service.metrics import RequestMetricsMiddleware
from pipeline.service.state import ServiceState, current_fingerprint, service_threshold

log = logging.getLogger("airtwin.service")

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and form fields around the image


def route_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(pipeline.service.__path__)
                   if m.name.startswith("routes_"))
    return [importlib.import_module(f"pipeline.service.{n}") for n in names]


def _prepare_all(state: ServiceState, modules: list[ModuleType]) -> None:
    state.recognizer.prepare()
    for mod in modules:
        hook = getattr(mod, "prepare", None)
        if hook is not None:
            hook(state)


async def _prepare(state: ServiceState, modules: list[ModuleType]) -> None:
    try:
        await asyncio.to_thread(_prepare_all, state, modules)
    except Exception as exc:  # the process stays up so /readyz can say why
        state.not_ready_reason = f"preparing models failed: {type(exc).__name__}: {exc}"
        log.error("%s", state.not_ready_reason)
        return
    state.ready, state.not_ready_reason = True, ""
    log.info("ready: backend %s, model %s, threshold %.4f (%s)", state.config.backend,
             state.recognizer.model, state.threshold.threshold, state.threshold.source)


async def _sweep(state: ServiceState) -> None:
    """Purge expired templates on a period tied to the retention (reads also purge)."""
    period = min(max(state.config.retention_s / 4, 0.25), 60.0)
    while True:
        await asyncio.sleep(period)
        try:
            if await asyncio.to_thread(state.store.purge_expired):
                state.metrics.templates.set(len(state.store))
        except Exception:  # a failed sweep must not end the sweeping
            log.exception("retention sweep failed")


def _document(app: FastAPI, state: ServiceState, modules: list[ModuleType]) -> dict:
    """The OpenAPI document as the service answers: FastAPI's default 422 body (a list of
    pydantic errors) replaced by ErrorBody wherever a route did not declare its own 422."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, summary=app.summary,
                          routes=app.routes)
        replace_default_422(doc)
        for mod in modules:
            if hasattr(mod, "document"):
                mod.document(doc, state)
        app.openapi_schema = doc
    return app.openapi_schema


def create_app(config: ServiceConfig, recognizer: Recognizer | None = None,
               threshold: OperatingPoint | None = None) -> FastAPI:
    """Build the app; models are prepared in the background once the server starts."""
    recognizer = recognizer or Recognizer.from_backend(
        config.backend, None if config.model_dir is None else str(config.model_dir),
        provider=config.provider)
    threshold = threshold or service_threshold(config, recognizer.model, current_fingerprint(recognizer))
    state = ServiceState(config, recognizer, threshold)
    modules = route_modules()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.batcher.start()
        for mod in modules:
            if hasattr(mod, "start"):
                await mod.start(state)
        tasks = [asyncio.create_task(_prepare(state, modules), name="airtwin-prepare"),
                 asyncio.create_task(_sweep(state), name="airtwin-retention")]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for mod in modules:
                if hasattr(mod, "stop"):
                    await mod.stop(state)
            await state.batcher.stop()

    app = FastAPI(title="airtwin recognition service", version="1",
                  summary="Face verification (1:1) and identification (1:N) on synthetic "
                          "travelers, with micro-batching, encrypted templates and an audit log.",
                  lifespan=lifespan)
    app.state.service = state
    app.openapi = lambda: _document(app, state, modules)
    install_error_handlers(app)
    for mod in modules:
        app.include_router(mod.router)
    # The last added wraps the rest: metrics count every reply, the size limit's 413s included.
    app.add_middleware(BodyLimitMiddleware, max_body=config.max_image_bytes + FORM_OVERHEAD)
    app.add_middleware(AuditBackstopMiddleware, log=state.audit, paths=("/v1/identify",))
    app.add_middleware(RequestMetricsMiddleware, metrics=state.metrics)
    return app
