"""Response bodies of the service (pydantic), so the OpenAPI schema documents every field.

Requests are multipart/form-data (an ``image`` file part plus form fields): see the routes.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field

TEMPLATE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class ErrorBody(BaseModel):
    """Every 4xx and 5xx reply of the service (see :mod:`pipeline.service.errors`)."""

    error: str = Field(description="stable machine-readable code, e.g. unknown_template, "
                       "queue_full, invalid_request", examples=["unknown_template"])
    detail: str = Field(description="what is wrong, naming the field, value or limit",
                        examples=["template_id 'T9' is not enrolled"])


class Outcome(str, Enum):
    match = "match"  # verify: score >= threshold
    no_match = "no_match"
    hit = "hit"  # identify: the best candidate is at or above the threshold
    no_hit = "no_hit"
    enrolled = "enrolled"
    failure_to_acquire = "failure_to_acquire"  # no face found: a normal outcome, not an error


class StageLatencyOut(BaseModel):
    """Milliseconds spent in each stage of this request; null where a stage did not run
    (no face: no align, embed or match)."""

    decode_ms: float
    queue_ms: float = Field(description="waiting for a batch to start")
    detect_ms: float | None
    align_ms: float | None
    embed_ms: float | None = Field(description="this face's share of the batch's embedding call")
    match_ms: float | None
    batch_ms: float = Field(description="the whole batch's model call (detect, align, embed)")
    total_ms: float = Field(description="from the body read to the reply, in the service")


class FaceBox(BaseModel):
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in pixels")
    score: float
    faces_found: int = Field(description="faces detected; the largest one is used")


class EnrollResponse(BaseModel):
    template_id: str
    outcome: Outcome
    enrolled: bool
    replaced: bool = Field(False, description="an earlier template with this id was replaced")
    model: str
    face: FaceBox | None = None
    expires_in_s: float | None = Field(None, description="purged after this retention period")
    batch_size: int
    latency: StageLatencyOut


class VerifyResponse(BaseModel):
    template_id: str
    outcome: Outcome
    decision: bool = Field(description="true = same person (score >= threshold)")
    score: float | None = Field(description="cosine similarity, higher = more alike; null on FTA")
    threshold: float
    threshold_source: str = Field(description="calibration file, --threshold, or the "
                                  "UNCALIBRATED fallback")
    model: str
    face: FaceBox | None = None
    batch_size: int
    latency: StageLatencyOut


class CandidateOut(BaseModel):
    template_id: str
    score: float
    rank: int
    above_threshold: bool


class IdentifyResponse(BaseModel):
    outcome: Outcome
    candidates: list[CandidateOut] = Field(description="top-k over the gallery, best first")
    threshold: float
    threshold_source: str
    gallery_size: int
    model: str
    audit_seq: int = Field(description="line of this search in the audit log")
    face: FaceBox | None = None
    batch_size: int
    latency: StageLatencyOut


class Health(BaseModel):
    status: str
    ready: bool
    detail: str = ""
    device: str | None = Field(None, description="where the recognizer runs once ready: cpu or "
                                                 "gpu (a load test sizes replicas in these)")
