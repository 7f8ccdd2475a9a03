"""Errors the service answers with: every one has an HTTP status, a stable code and a message
that names the problem (field, value, limit), rendered as ``{"error": code, "detail": message}``
(:class:`~pipeline.service.schemas.ErrorBody`).

Routes raise :class:`ServiceError`; the handlers installed by :func:`install_error_handlers` turn
it, FastAPI's own request validation errors and Starlette's HTTP errors (an unparsable body, an
unknown path, a method a route does not take) into that one JSON shape. Routes declare the
statuses they answer with :func:`error_responses`, so the OpenAPI document shows the real body::

    @router.post("/verify", response_model=VerifyResponse,
                 responses=error_responses(404, 409, 413, 415, 422, 429, 503))
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from pipeline.service.schemas import ErrorBody

# What each status means on this service; a route may say it more precisely for itself.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "the body could not be parsed (malformed multipart/form-data)",
    401: "missing or invalid API token: send 'Authorization: Bearer <token>'",
    403: "refused by policy; nothing was processed",
    404: "the resource the request names does not exist",
    409: "the request conflicts with what the service holds",
    413: "the request body or the image is over the size limit",
    415: "the image is not a JPEG or PNG",
    422: "a field or the image is invalid; detail names which and why",
    429: "the queue is full: retry after Retry-After seconds",
    503: "the models are not ready yet: retry after Retry-After seconds",
}

_RETRY_AFTER_SCHEMA = {"type": "integer", "minimum": 1}
# 429 always carries Retry-After; 503 carries it when the models are loading (not_ready).
_HEADERS: dict[int, dict] = {
    429: {"Retry-After": {"description": "seconds to wait before retrying", "required": True,
                          "schema": _RETRY_AFTER_SCHEMA}},
    503: {"Retry-After": {"description": "seconds to wait before retrying; sent with "
                          "not_ready", "required": False, "schema": _RETRY_AFTER_SCHEMA}},
}


def error_responses(*statuses: int, described: Mapping[int, str] | None = None) -> dict[int, dict]:
    """The ``responses=`` of a route for the error statuses it answers, each with the
    :class:`ErrorBody` model, a description (``described`` overrides the service-wide one) and
    the ``Retry-After`` header where it is sent."""
    described = described or {}
    unknown = sorted(set(statuses) - ERROR_DESCRIPTIONS.keys() - set(described))
    if unknown:
        raise ValueError(f"error_responses: no description for status {unknown}; pass "
                         f"described={{{unknown[0]}: '...'}}")
    out: dict[int, dict] = {}
    for status in statuses:
        out[status] = {"model": ErrorBody,
                       "description": described.get(status) or ERROR_DESCRIPTIONS[status]}
        if status in _HEADERS:
            out[status]["headers"] = _HEADERS[status]
    return out


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


def replace_default_422(openapi: dict) -> None:
    """Put ErrorBody where FastAPI documented its default 422 (``HTTPValidationError``, a list
    of pydantic errors this service never sends), in an OpenAPI document, in place."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            declared = operation.get("responses", {}).get("422", {})
            if "HTTPValidationError" in str(declared.get("content")):
                schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
                operation["responses"]["422"] = {
                    "description": ERROR_DESCRIPTIONS[422],
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def error_body(code: str, detail: str) -> dict:
    return {"error": code, "detail": detail}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        # loc is ("body", "template_id") or ("query", "k"): the field name is what a caller needs.
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "header", "path")]
        field = ".".join(loc) or "request"
        # pydantic prefixes the message of a ValueError raised in a validator; the field says it.
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        parts.append(f"{field}: {msg}"
                     + (f" (got {err['input']!r})" if _short(err.get("input")) else ""))
    return "; ".join(parts)


def _short(value) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 80


# Codes for the HTTP errors Starlette raises itself (see _http_error below).
_HTTP_CODES = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.detail), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _validation_message(exc)), 422)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Raised by Starlette before a route runs: an unparsable body (400), an unknown path
        # (404), a method the path does not take (405, with its Allow header).
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        detail = f"{request.method} {request.url.path}: {exc.detail}"
        return JSONResponse(error_body(code, detail), exc.status_code, headers=exc.headers)
