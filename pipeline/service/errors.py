"""Errors the service answers with: every one has an HTTP status, a stable code and a message
that names the problem (field, value, limit), rendered as ``{"error": code, "detail": message}``.

Routes raise :class:`ServiceError`; the handlers installed by :func:`install_error_handlers` turn
it, and FastAPI's own request validation errors, into that one JSON shape.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class ServiceError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


class QueueFullError(ServiceError):
    def __init__(self, queue_size: int, retry_after_s: int):
        super().__init__(429, "queue_full",
                         f"the recognition queue is full ({queue_size} requests waiting); "
                         f"retry after {retry_after_s} s",
                         {"Retry-After": str(retry_after_s)})


class NotReadyError(ServiceError):
    def __init__(self, why: str):
        super().__init__(503, "not_ready", f"models are not ready: {why}", {"Retry-After": "1"})


def error_body(code: str, detail: str) -> dict:
    return {"error": code, "detail": detail}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        # loc is ("body", "template_id") or ("query", "k"): the field name is what a caller needs.
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "header", "path")]
        field = ".".join(loc) or "request"
        parts.append(f"{field}: {err.get('msg', 'invalid')}"
                     + (f" (got {err['input']!r})" if _short(err.get("input")) else ""))
    return "; ".join(parts)


def _short(value) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 80


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.detail), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _validation_message(exc)), 422)
