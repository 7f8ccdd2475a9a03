"""``/v1/enroll``, ``/v1/verify``, ``/v1/identify``: the recognition API.

Transport: ``multipart/form-data`` with the picture in a file part named ``image`` (JPEG or
PNG) and the other fields as form fields. Example::

    curl -H "Authorization: Bearer $TOKEN" -F image=@face.jpg -F template_id=T1 \\
         -F consent=true http://127.0.0.1:8000/v1/enroll
    curl -F image=@live.jpg -F template_id=T1 http://127.0.0.1:8000/v1/verify
    curl -F image=@probe.jpg -F k=5 http://127.0.0.1:8000/v1/identify

No face in the picture is answered 200 with ``outcome: failure_to_acquire``: it is what a gate
sees every day, not a client error.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Security, UploadFile
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from pipeline import matching
from pipeline.service.errors import ServiceError, error_responses
from pipeline.service.forms import (BooleanText, IntegerText,
                                    refuse_empty_or_repeated_fields)
from pipeline.service.schemas import (TEMPLATE_ID_PATTERN, CandidateOut, EnrollResponse,
                                      IdentifyResponse, Outcome, VerifyResponse)
from pipeline.service.state import ServiceState, face_box, require_token, service_state

router = APIRouter(prefix="/v1", tags=["recognition"])

# An empty part is refused (422 empty_image, by decode_image); minLength says so in the document.
ImagePart = Annotated[UploadFile, File(description="JPEG or PNG picture of one traveler",
                                       json_schema_extra={"minLength": 1})]
TemplateId = Annotated[str, Form(pattern=TEMPLATE_ID_PATTERN,
                                 description="1-128 chars: letters, digits, . _ : -")]
State = Annotated[ServiceState, Depends(service_state)]
OneValuePerField = Depends(refuse_empty_or_repeated_fields)
# Declares the bearer scheme in the document; require_token does the checking (and says why).
_bearer = HTTPBearer(auto_error=False, scheme_name="apiToken",
                     description="the service's API token (--token-file or $AIRTWIN_API_TOKEN)")
# The image part's media types, so clients (and generated tests) send a picture, not any bytes.
_IMAGE_ENCODING = {"requestBody": {"content": {"multipart/form-data": {
    "encoding": {"image": {"contentType": "image/jpeg, image/png"}}}}}}
# Every recognition route reads an image: these statuses can answer any of them.
_IMAGE_ERRORS = (400, 413, 415, 422, 429, 503)


@router.post("/enroll", response_model=EnrollResponse,
             dependencies=[Security(_bearer), Depends(require_token), OneValuePerField],
             openapi_extra=_IMAGE_ENCODING,
             responses=error_responses(401, 403, *_IMAGE_ERRORS, described={
                 403: "consent is false: nothing processed or stored",
                 503: "models not ready (not_ready, with Retry-After), or enrolment disabled: "
                      "the service has no API token (enrolment_disabled)"}))
async def enroll(state: State, image: ImagePart, template_id: TemplateId,
                 consent: Annotated[bool, Form(description="the traveler consented to "
                                                           "enrolment"), BooleanText]):
    """Enrol the largest face in ``image`` as template ``template_id`` (needs the API token)."""
    if not consent:
        # Checked before the image is even decoded: a non-consenting traveler leaves no trace.
        raise ServiceError(403, "consent_required", f"consent is false for template "
                           f"{template_id!r}: travelers who have not consented are never enrolled; "
                           f"the image was not processed and nothing was stored")
    started = time.perf_counter()
    state.admit()
    pixels, decode_s = await state.read_image(image)
    face, info = await state.recognize(pixels)
    del pixels  # no image is kept past this point
    replaced = False
    if face.acquired:
        replaced = await run_in_threadpool(state.store.add, template_id, face.vector,
                                           face.model)
        state.metrics.templates.set(len(state.store))
    outcome = Outcome.enrolled if face.acquired else Outcome.failure_to_acquire
    state.metrics.outcomes.labels("enroll", outcome.value).inc()
    return EnrollResponse(template_id=template_id, outcome=outcome, enrolled=face.acquired,
                          replaced=replaced, model=state.recognizer.model, face=face_box(face),
                          expires_in_s=state.config.retention_s if face.acquired else None,
                          batch_size=info.size,
                          latency=state.latency(started, decode_s, face, info))


@router.post("/verify", response_model=VerifyResponse, openapi_extra=_IMAGE_ENCODING,
             dependencies=[OneValuePerField],
             responses=error_responses(404, 409, *_IMAGE_ERRORS, described={
                 404: "template_id is not enrolled (or was purged after the retention period)",
                 409: "the template was made by another model than the one this service runs"}))
async def verify(state: State, image: ImagePart, template_id: TemplateId):
    """1:1: is the largest face in ``image`` the person enrolled as ``template_id``?"""
    started = time.perf_counter()
    template = state.store.get(template_id)
    if template is None:
        raise ServiceError(404, "unknown_template", f"template_id {template_id!r} is not "
                           f"enrolled (never enrolled, or purged after the "
                           f"{state.config.retention_s:g} s retention period)")
    if template.model != state.recognizer.model:
        raise ServiceError(409, "model_mismatch", f"template {template_id!r} was made by model "
                           f"{template.model!r}; this service runs {state.recognizer.model!r}")
    state.admit()
    pixels, decode_s = await state.read_image(image)
    face, info = await state.recognize(pixels)
    th = state.threshold
    decision, score, match_s = False, None, None
    if face.acquired:
        t0 = time.perf_counter()
        decision, score = matching.verify(face.vector, template.vector, th.threshold)
        match_s = time.perf_counter() - t0
        outcome = Outcome.match if decision else Outcome.no_match
    else:
        outcome = Outcome.failure_to_acquire
    state.metrics.outcomes.labels("verify", outcome.value).inc()
    return VerifyResponse(template_id=template_id, outcome=outcome, decision=decision,
                          score=score, threshold=th.threshold, threshold_source=th.source,
                          model=state.recognizer.model, face=face_box(face), batch_size=info.size,
                          latency=state.latency(started, decode_s, face, info, match_s))


@router.post("/identify", response_model=IdentifyResponse, openapi_extra=_IMAGE_ENCODING,
             dependencies=[OneValuePerField], responses=error_responses(*_IMAGE_ERRORS))
async def identify(request: Request, state: State, image: ImagePart,
                   k: Annotated[int, Form(
                       ge=1, description="candidates to return, at most the service's max_top_k "
                                         "(the schema's maximum)"), IntegerText] = 5):
    """1:N: the top-k enrolled templates closest to the largest face in ``image``.

    Every call, refused ones included, is written to the hash-chained audit log (calls refused
    before they get here by :class:`~pipeline.service.audit.AuditBackstopMiddleware`).
    """
    started = time.perf_counter()
    request_id = uuid.uuid4().hex
    client = request.client.host if request.client else None
    th = state.threshold
    try:
        if k > state.config.max_top_k:
            raise ServiceError(422, "invalid_request",
                               f"k: must be <= {state.config.max_top_k}, got {k}")
        state.admit()
        pixels, decode_s = await state.read_image(image)
        face, info = await state.recognize(pixels)
    except ServiceError as exc:
        await run_in_threadpool(state.audit.append, "identify", request_id=request_id,
                                client=client, outcome="refused", error=exc.code, status=exc.status)
        request.state.audited = True
        raise
    candidates, gallery_size, match_s = [], len(state.store), None
    if face.acquired:
        t0 = time.perf_counter()
        found, gallery_size = await run_in_threadpool(state.store.search, face.vector,
                                                      face.model, k)
        match_s = time.perf_counter() - t0
        candidates = [CandidateOut(template_id=c.template_id, score=c.score, rank=c.rank,
                                   above_threshold=c.score >= th.threshold) for c in found]
        hit = bool(candidates) and candidates[0].above_threshold
        outcome = Outcome.hit if hit else Outcome.no_hit
    else:
        outcome = Outcome.failure_to_acquire
    rec = await run_in_threadpool(
        state.audit.append, "identify", request_id=request_id, client=client,
        outcome=outcome.value, k=k, threshold=th.threshold, gallery_size=gallery_size,
        model=state.recognizer.model, faces_found=face.n_faces,
        candidates=[{"template_id": c.template_id, "score": round(c.score, 6), "rank": c.rank}
                    for c in candidates])
    request.state.audited = True
    state.metrics.outcomes.labels("identify", outcome.value).inc()
    return IdentifyResponse(outcome=outcome, candidates=candidates, threshold=th.threshold,
                            threshold_source=th.source, gallery_size=gallery_size,
                            model=state.recognizer.model, audit_seq=rec["seq"],
                            face=face_box(face), batch_size=info.size,
                            latency=state.latency(started, decode_s, face, info, match_s))


def document(openapi: dict, state: ServiceState) -> None:
    """The limit on ``k`` is this service's setting, so the document is completed per app."""
    ref = (openapi["paths"]["/v1/identify"]["post"]["requestBody"]["content"]
           ["multipart/form-data"]["schema"]["$ref"])
    form = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    form["properties"]["k"]["maximum"] = state.config.max_top_k
