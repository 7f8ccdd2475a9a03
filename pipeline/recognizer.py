"""The recognition pipeline: detect -> align -> embed -> match, timed stage by stage.

An e-gate or enrolment capture holds one subject: the largest detected face is the one used.
No face (or none the embedder can use) is a *failure to acquire*, a normal outcome, not an error.
Templates live in memory only; nothing here writes them anywhere.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from pipeline.matching import NumpyGallery, score
from pipeline.registry import get_detector, get_embedder
from pipeline.types import AligningEmbedder, Candidate, Detection, FaceDetector, FaceEmbedder

MATCH, NO_MATCH, FTA = "match", "no_match", "fta"


@dataclass(frozen=True, slots=True)
class StageLatency:
    """Seconds spent per stage for one capture (NaN: the stage did not run)."""

    detect_s: float
    align_s: float = math.nan
    embed_s: float = math.nan
    match_s: float = math.nan

    @property
    def total_s(self) -> float:
        return float(np.nansum([self.detect_s, self.align_s, self.embed_s, self.match_s]))

    def with_match(self, match_s: float) -> "StageLatency":
        return StageLatency(self.detect_s, self.align_s, self.embed_s, match_s)


@dataclass(frozen=True, slots=True)
class FaceTemplate:
    """The template of a capture's subject, or ``vector is None`` on a failure to acquire."""

    vector: np.ndarray | None
    detection: Detection | None
    model: str
    latency: StageLatency
    n_faces: int = 0

    @property
    def acquired(self) -> bool:
        return self.vector is not None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    outcome: str  # MATCH | NO_MATCH | FTA
    score: float  # NaN on FTA
    threshold: float
    latency: StageLatency


@dataclass(frozen=True, slots=True)
class IdentifyResult:
    acquired: bool
    candidates: list[Candidate]
    latency: StageLatency


def largest(detections: list[Detection]) -> Detection | None:
    if not detections:
        return None
    return max(detections, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))


class Recognizer:
    """One detector and one embedder, used together; ``metric`` scores their templates."""

    def __init__(self, detector: FaceDetector, embedder: FaceEmbedder, metric: str = "cosine"):
        self.detector, self.embedder, self.metric = detector, embedder, metric
        self.backend = ""

    @classmethod
    def from_backend(cls, backend: str, model_dir: str | None = None, provider: str = "auto",
                     detector: str | None = None, **detector_opts) -> "Recognizer":
        """Build from registered backends. ``detector`` swaps in another backend's detector
        (e.g. dlib's CNN); insightface options (``model_dir``, ``provider``) go where they apply."""
        def opts(name: str) -> dict:
            return {"model_dir": model_dir, "provider": provider} if name == "insightface" else {}

        det_backend = detector or backend
        rec = cls(get_detector(det_backend, **opts(det_backend), **detector_opts),
                  get_embedder(backend, **opts(backend)))
        rec.backend = backend
        return rec

    def prepare(self) -> "Recognizer":
        self.detector.prepare()
        self.embedder.prepare()
        return self

    @property
    def model(self) -> str:
        return self.embedder.name

    def fingerprint(self) -> str:
        """:func:`pipeline.calibration.pipeline_fingerprint` of this recognizer (cached: the
        code and model files it hashes do not change while it runs)."""
        if getattr(self, "_fingerprint", None) is None:
            from pipeline.calibration import pipeline_fingerprint

            self._fingerprint = pipeline_fingerprint(self)
        return self._fingerprint

    # --- stages --------------------------------------------------------------------------
    def _detect(self, image: np.ndarray) -> tuple[list[Detection], Detection | None, float]:
        t0 = time.perf_counter()
        dets = self.detector.detect(image)
        return dets, largest(dets), time.perf_counter() - t0

    def _align(self, image: np.ndarray, det: Detection) -> tuple[list[np.ndarray], float]:
        t0 = time.perf_counter()
        crops = self.embedder.align(image, [det])
        return crops, time.perf_counter() - t0

    def extract(self, image: np.ndarray) -> FaceTemplate:
        """Template of the capture's subject (largest face)."""
        dets, det, t_det = self._detect(image)
        if det is None:
            return FaceTemplate(None, None, self.model, StageLatency(t_det), 0)
        if isinstance(self.embedder, AligningEmbedder):
            crops, t_align = self._align(image, det)
            t0 = time.perf_counter()
            emb = self.embedder.embed_aligned(crops)
            t_emb = time.perf_counter() - t0
        else:  # an embedder that aligns inside: its alignment is part of "embed"
            t_align, t0 = math.nan, time.perf_counter()
            emb = self.embedder.embed(image, [det])
            t_emb = time.perf_counter() - t0
        return FaceTemplate(emb[0].vector, det, self.model,
                            StageLatency(t_det, t_align, t_emb), len(dets))

    def extract_batch(self, images: list[np.ndarray]) -> list[FaceTemplate]:
        """Templates of many captures, the embedder run once over all aligned faces.

        Each template's ``embed_s`` is the batch's time divided by the faces in it.
        """
        if not isinstance(self.embedder, AligningEmbedder):
            return [self.extract(im) for im in images]
        found, crops = [], []
        for im in images:
            dets, det, t_det = self._detect(im)
            if det is None:
                found.append((dets, None, t_det, math.nan))
                continue
            c, t_align = self._align(im, det)
            crops.extend(c)
            found.append((dets, det, t_det, t_align))
        t0 = time.perf_counter()
        embs = self.embedder.embed_aligned(crops)
        t_each = (time.perf_counter() - t0) / max(len(crops), 1)
        out, j = [], 0
        for dets, det, t_det, t_align in found:
            if det is None:
                out.append(FaceTemplate(None, None, self.model, StageLatency(t_det), 0))
            else:
                out.append(FaceTemplate(embs[j].vector, det, self.model,
                                        StageLatency(t_det, t_align, t_each), len(dets)))
                j += 1
        return out

    # --- decisions -----------------------------------------------------------------------
    def compare(self, probe: FaceTemplate, reference: np.ndarray, threshold: float) -> VerifyResult:
        """1:1 decision for an extracted probe against a reference template."""
        if not probe.acquired:
            return VerifyResult(FTA, math.nan, threshold, probe.latency)
        t0 = time.perf_counter()
        s = score(probe.vector, reference, self.metric)
        lat = probe.latency.with_match(time.perf_counter() - t0)
        return VerifyResult(MATCH if s >= threshold else NO_MATCH, s, threshold, lat)

    def default_threshold(self) -> float:
        """The saved calibration's FMR 1e-3 threshold (or the marked fallback, see
        :func:`pipeline.calibration.operating_point`)."""
        from pipeline.calibration import operating_point

        if not self.backend:
            raise ValueError("no threshold given and the recognizer was not built by backend "
                             "name (Recognizer.from_backend), so no calibration applies")
        return operating_point(self.backend, self.model, pipeline=self.fingerprint()).threshold

    def verify(self, image: np.ndarray, reference: np.ndarray,
               threshold: float | None = None) -> VerifyResult:
        """1:1: is the subject of ``image`` the owner of ``reference``? Without a threshold,
        the calibrated one."""
        if threshold is None:
            threshold = self.default_threshold()
        return self.compare(self.extract(image), reference, threshold)

    def identify(self, image: np.ndarray, gallery: NumpyGallery, k: int = 5,
                 threshold: float | None = None) -> IdentifyResult:
        """1:N: the gallery's best candidates for the subject of ``image``."""
        probe = self.extract(image)
        if not probe.acquired:
            return IdentifyResult(False, [], probe.latency)
        t0 = time.perf_counter()
        cands = gallery.search(probe.vector, k, threshold)
        return IdentifyResult(True, cands, probe.latency.with_match(time.perf_counter() - t0))
