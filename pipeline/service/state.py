"""What one running service holds (config, models, batcher, templates, audit log, metrics) and
the helpers its routes share: readiness, the token check, image intake, stage timing."""

from __future__ import annotations

import hmac
import math
import time

import numpy as np
from fastapi import Request, UploadFile
from starlette.concurrency import run_in_threadpool

from pipeline.calibration import OperatingPoint, operating_point
from pipeline.gallery.crypto import KeyRing
from pipeline.recognizer import FaceTemplate, Recognizer
from pipeline.service.audit import AuditLog
from pipeline.service.batching import BatchInfo, MicroBatcher
from pipeline.service.config import TOKEN_ENV, ServiceConfig
from pipeline.service.errors import NotReadyError, QueueFullError, ServiceError
from pipeline.service.imaging import ImageLimits, decode_image
from pipeline.service.metrics import ServiceMetrics
from pipeline.service.schemas import FaceBox, StageLatencyOut
from pipeline.service.templates import TemplateStore


def current_fingerprint(recognizer) -> str | None:
    """The recognizer's pipeline fingerprint, or None where it cannot be taken before the
    models load (a missing pack is reported when they do) or the recognizer has none."""
    from pipeline.models import ModelPackError

    try:
        return recognizer.fingerprint()
    except (AttributeError, ModelPackError, OSError):
        return None


def service_threshold(config: ServiceConfig, model: str, pipeline: str | None = None
                      ) -> OperatingPoint:
    """``--threshold`` if given, else the backend's calibrated threshold at the target FMR, else
    the calibration module's marked fallback (its ``source`` says so)."""
    if config.threshold is not None:
        return OperatingPoint(config.threshold, math.nan, False, "--threshold")
    return operating_point(config.backend, model, config.target_fmr, config.calibration,
                           pipeline=pipeline)


_GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "ROCMExecutionProvider")


def recognizer_device(recognizer: Recognizer) -> str:
    """``gpu`` when a prepared recognizer's models run on a GPU (an onnxruntime GPU provider, or
    a dlib built with CUDA that sees a device), else ``cpu``."""
    for part in (recognizer.embedder, recognizer.detector):
        try:
            provider = getattr(part, "execution_provider", None)
        except Exception:  # not prepared: it has no session to ask
            provider = None
        if provider in _GPU_PROVIDERS:
            return "gpu"
    if recognizer.backend == "dlib":
        try:
            import dlib
            if dlib.DLIB_USE_CUDA and dlib.cuda.get_num_devices() > 0:
                return "gpu"
        except Exception:  # no dlib, or no CUDA runtime: the CPU build
            pass
    return "cpu"


class ServiceState:
    def __init__(self, config: ServiceConfig, recognizer: Recognizer, threshold: OperatingPoint,
                 metrics: ServiceMetrics | None = None):
        self.config, self.recognizer, self.threshold = config, recognizer, threshold
        self.metrics = metrics or ServiceMetrics()
        self.limits = ImageLimits(config.max_image_bytes, config.max_image_pixels)
        if config.store_location is None:
            self.store = TemplateStore(config.retention_s, on_purge=self._purged)
        else:
            keys = KeyRing(config.template_key, config.old_template_keys)
            self.store = TemplateStore.open(config.store_location, keys, config.retention_s,
                                            on_purge=self._purged)
            self.store.follow()  # a shared store: apply the other replicas' changes
        self.audit = AuditLog(config.audit_log)
        self.batcher: MicroBatcher[np.ndarray, FaceTemplate] = MicroBatcher(
            recognizer.extract_batch, max_batch=config.max_batch,
            max_wait_s=config.max_wait_ms / 1000, queue_size=config.queue_size,
            on_batch=self.metrics.batch_size.observe, on_depth=self.metrics.queue_depth.set)
        self.extras: dict = {}  # objects of other routes modules (see pipeline.service.app)
        self.ready = False
        self.not_ready_reason = "models are loading"
        self.metrics.templates.set(len(self.store))

    def _purged(self, n: int) -> None:
        self.metrics.purged.inc(n)
        store = getattr(self, "store", None)  # None while the store is still loading
        if store is not None:
            self.metrics.templates.set(len(store))

    def require_ready(self) -> None:
        if not self.ready:
            raise NotReadyError(self.not_ready_reason)

    def admit(self) -> None:
        """Refuse at once, before reading pixels, when the queue has no room."""
        self.require_ready()
        if self.batcher.depth >= self.batcher.queue_size:
            self.metrics.rejected.labels("queue_full").inc()
            raise QueueFullError(self.batcher.queue_size, self.batcher.retry_after_s())

    async def read_image(self, upload: UploadFile) -> tuple[np.ndarray, float]:
        """Decoded pixels of an upload, and the decode time; the bytes are not kept."""
        data = await upload.read()
        t0 = time.perf_counter()
        image = await run_in_threadpool(decode_image, data, self.limits, "image")
        return image, time.perf_counter() - t0

    async def recognize(self, image: np.ndarray) -> tuple[FaceTemplate, BatchInfo]:
        try:
            return await self.batcher.submit(image)
        except ServiceError as exc:
            if exc.status == 429:
                self.metrics.rejected.labels("queue_full").inc()
            raise

    def latency(self, started: float, decode_s: float, face: FaceTemplate, info: BatchInfo,
                match_s: float | None = None) -> StageLatencyOut:
        lat = face.latency
        stages = {"decode": decode_s, "queue": info.queue_s, "detect": lat.detect_s,
                  "align": lat.align_s, "embed": lat.embed_s, "match": match_s}
        ran = {k: v for k, v in stages.items() if v is not None and not math.isnan(v)}
        self.metrics.observe_stages(**ran)
        return StageLatencyOut(**{f"{k}_ms": (v * 1000.0 if k in ran else None)
                               for k, v in stages.items()},
                            batch_ms=info.run_s * 1000.0,
                            total_ms=(time.perf_counter() - started) * 1000.0)


def face_box(face: FaceTemplate) -> FaceBox | None:
    if face.detection is None:
        return None
    return FaceBox(box=face.detection.box, score=face.detection.score, faces_found=face.n_faces)


def service_state(request: Request) -> ServiceState:
    return request.app.state.service


def require_token(request: Request) -> None:
    """FastAPI dependency: ``Authorization: Bearer <token>`` must carry the configured token."""
    expected = service_state(request).config.api_token
    challenge = {"WWW-Authenticate": 'Bearer realm="airtwin"'}
    if expected is None:
        raise ServiceError(503, "enrolment_disabled", f"enrolment is disabled: the service has "
                           f"no API token (start it with --token-file FILE or ${TOKEN_ENV})")
    header = request.headers.get("authorization")
    if not header:
        raise ServiceError(401, "missing_token", "missing API token: send the header "
                           "'Authorization: Bearer <token>'", challenge)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(401, "malformed_token", f"Authorization header must be 'Bearer "
                           f"<token>', got scheme {scheme!r}", challenge)
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ServiceError(401, "invalid_token", "API token is not valid", challenge)


__all__ = ["ServiceState", "recognizer_device", "service_threshold", "face_box", "require_token",
           "service_state"]
