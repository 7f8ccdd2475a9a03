"""Decision thresholds from synthetic genuine and impostor scores, saved and used by default.

``calibrate`` runs the real pipeline on a set of identities' captures (an enrolment photo and
live e-gate captures each; :mod:`experiments.calibrate` renders airtwin's fixed-seed set) and
takes the threshold at each target FMR from the impostor scores (every live capture against every other identity's enrolment). The result
is a JSON file per backend and model under the user data folder
(``$AIRTWIN_CALIBRATION_DIR``, else ``$XDG_DATA_HOME/airtwin/calibration``, else
``~/.local/share/airtwin/calibration``). Verification uses the FMR 1e-3 threshold by default:
Frontex's e-gate best practice asks for FMR <= 0.1 % at FNMR <= 5 %.

Where no calibration was saved, the one shipped with airtwin (``pipeline/calibrations/``, made
with ``airtwin calibrate --ship`` on this renderer at the default seed) is used, so a fresh
install decides at a measured threshold; an explicit ``$AIRTWIN_CALIBRATION_DIR`` is the only
folder looked in. Each calibration records a fingerprint of the renderer (``sim/faces``) it was
measured on, and of the pipeline that made its templates (:func:`pipeline_fingerprint`:
alignment, the backends' code, their libraries' versions, the model files); given the current
fingerprints, :func:`operating_point` reports a calibration that no longer matches as STALE
(``OperatingPoint.stale``, ``source`` and a logged warning) rather than using it silently.
With no calibration at all,
:func:`operating_point` falls back to a documented per-model threshold and says so
(``calibrated=False``); no threshold is baked in anywhere else.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import math
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from outputs.atomic import write_json
from pipeline.metrics import score_summary, threshold_at_fmr

log = logging.getLogger(__name__)

TARGET_FMRS = (1e-3, 1e-4)
DEFAULT_FMR = 1e-3
CALIBRATION_SEED = 20_240_611  # first element of every calibration identity key
LIVES_PER_IDENTITY = 2

# Uncalibrated fallbacks (cosine on L2-normalised templates), used only when no calibration file
# exists, and reported as such. dlib: its documented Euclidean cut of 0.6 on unit vectors
# (d² = 2 - 2 cos → cos 0.82). ArcFace (insightface packs): 0.35, a cosine commonly used with
# buffalo models. Run `airtwin calibrate` for a measured one.
FALLBACK_THRESHOLDS = {"dlib": 0.82, "insightface": 0.35}


class CalibrationError(ValueError):
    """A calibration file that cannot be used, or a request it cannot answer."""


def calibration_dir() -> Path:
    if os.environ.get("AIRTWIN_CALIBRATION_DIR"):
        return Path(os.environ["AIRTWIN_CALIBRATION_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "airtwin" / "calibration"


SHIPPED_DIR = Path(__file__).with_name("calibrations")


def _file_name(backend: str, model: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_")
    return f"{backend}-{slug}.json"


def calibration_path(backend: str, model: str) -> Path:
    return calibration_dir() / _file_name(backend, model)


def shipped_path(backend: str, model: str) -> Path:
    return SHIPPED_DIR / _file_name(backend, model)


def fmr_key(fmr: float) -> str:
    return f"{fmr:.0e}"  # 1e-3 -> "1e-03"


@dataclass(frozen=True)
class Calibration:
    backend: str
    model: str  # the embedder's model name; thresholds never carry across models
    detector: str
    metric: str
    thresholds: dict[str, float]  # fmr_key -> threshold
    fnmr: dict[str, float]  # fmr_key -> genuine rejection rate at that threshold (FTA included)
    fmr_observed: dict[str, float]
    n_identities: int
    n_genuine: int
    n_impostor: int
    fta_rate: float
    seed: int
    summary: dict = field(default_factory=dict)  # d', EER, score means (pipeline.metrics)
    created: str = ""
    renderer: str = ""  # renderer_fingerprint() of the faces it was measured on
    pipeline: str = ""  # pipeline_fingerprint() of the recognizer that measured it

    def threshold(self, fmr: float = DEFAULT_FMR) -> float:
        try:
            return self.thresholds[fmr_key(fmr)]
        except KeyError:
            raise CalibrationError(f"calibration of {self.backend}/{self.model} has no threshold "
                                   f"for FMR {fmr:g} (has: {', '.join(self.thresholds)})") from None


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    threshold: float
    target_fmr: float
    calibrated: bool
    source: str  # the calibration file, or why the fallback was used; "STALE ..." if stale
    stale: bool = False  # measured on another pipeline or renderer than the one given


# Libraries whose version can change a template, besides each backend's own.
_LIBRARIES = ("numpy", "cv2", "dlib", "onnxruntime", "insightface")


@functools.lru_cache(maxsize=64)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _source(module_name: str) -> bytes:
    """A module's source, read from the file it was imported from."""
    return Path(importlib.import_module(module_name).__file__).read_bytes()


def pipeline_fingerprint(recognizer) -> str:
    """SHA-256 (first 16 hex digits) of everything in ``recognizer`` that turns an image into a
    template: the alignment code (``pipeline/align.py``), the detector's and embedder's backend
    modules, their names and the metric, the versions of the libraries they run on, and the
    model files they load (``model_files``). A calibration holds only while this holds."""
    h = hashlib.sha256()
    parts = [recognizer.detector, recognizer.embedder]
    modules = sorted({"pipeline.align", *(type(p).__module__ for p in parts)})
    for name in modules:
        h.update(name.encode() + b"\0" + _source(name))
    h.update(f"{recognizer.detector.name}|{recognizer.embedder.name}|{recognizer.metric}".encode())
    for lib in _LIBRARIES:
        try:
            version = getattr(importlib.import_module(lib), "__version__", "?")
        except ImportError:
            version = "absent"
        h.update(f"{lib}={version}".encode())
    for p in parts:
        for f in getattr(p, "model_files", ()):
            st = Path(f).stat()
            h.update(Path(f).name.encode() + _file_digest(str(f), st.st_size, st.st_mtime_ns)
                     .encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class ScoreSet:
    """Scores of a synthetic run: live captures against enrolments."""

    genuine: np.ndarray  # one per acquired live capture
    impostor: np.ndarray  # every acquired live capture against every other enrolment
    n_identities: int
    n_live: int
    n_fta: int  # live or enrolment captures without a usable face
    latencies: list = field(default_factory=list)  # StageLatency per capture


def synthetic_scores(recognizer, captures: list[list],
                     progress: Callable[[int], None] | None = None) -> ScoreSet:
    """Score every live capture against its own enrolment (genuine) and every other
    identity's (impostor). ``captures`` as :func:`calibrate` takes them."""
    enrol, live_vecs, live_owner, lat = [], [], [], []
    n_fta = n_live = 0
    for i, caps in enumerate(captures):
        temps = recognizer.extract_batch([c.image for c in caps])
        lat.extend(t.latency for t in temps)
        n_fta += sum(not t.acquired for t in temps)
        n_live += len(temps) - 1
        enrol.append(temps[0].vector)
        for t in temps[1:]:
            if t.acquired:
                live_vecs.append(t.vector)
                live_owner.append(i)
        if progress:
            progress(1)
    dim = next((v.shape[0] for v in enrol if v is not None), 1)
    have = np.array([v is not None for v in enrol])
    E = np.stack([v if v is not None else np.zeros(dim, np.float32) for v in enrol])
    L = np.stack(live_vecs) if live_vecs else np.zeros((0, dim), np.float32)
    owner = np.array(live_owner, int)
    S = (L @ E.T).astype(np.float32)  # templates are unit vectors: cosine
    own = np.zeros_like(S, bool)
    own[np.arange(len(owner)), owner] = True
    valid = np.broadcast_to(have[None, :], S.shape)  # no enrolment template: no comparison
    return ScoreSet(S[own & valid], S[~own & valid], len(captures), n_live, n_fta, lat)


def calibrate(recognizer, backend: str, captures: list[list], seed: int = CALIBRATION_SEED,
              fmrs=TARGET_FMRS, progress: Callable[[int], None] | None = None,
              renderer: str = "") -> Calibration:
    """Measure thresholds at each target FMR for a prepared :class:`Recognizer` on ``captures``:
    per identity, its enrolment photo then its live captures (each with ``.image``).
    ``renderer`` is the fingerprint of whatever made the captures
    (:func:`experiments.calibrate.renderer_fingerprint` for airtwin's faces)."""
    n_identities = len(captures)
    s = synthetic_scores(recognizer, captures, progress)
    if len(s.genuine) < 2 or len(s.impostor) < 2:
        raise CalibrationError(f"too few usable captures to calibrate ({len(s.genuine)} genuine, "
                               f"{len(s.impostor)} impostor scores from {n_identities} identities)")
    n_captures = sum(len(c) for c in captures)
    live_fta = s.n_live - len(s.genuine)
    thresholds, fnmr, fmr_obs = {}, {}, {}
    for fmr in fmrs:
        t = threshold_at_fmr(s.impostor, fmr)
        k = fmr_key(fmr)
        thresholds[k] = t
        fmr_obs[k] = float((s.impostor >= t).mean())
        # FTA counted as a non-match (NIST convention), over all live attempts.
        fnmr[k] = float(((s.genuine < t).sum() + live_fta) / max(s.n_live, 1))
    summary = score_summary(s.genuine, s.impostor, far=min(fmrs))
    summary["min_resolvable_fmr"] = 1.0 / len(s.impostor)
    return Calibration(
        backend=backend, model=recognizer.model, detector=recognizer.detector.name,
        metric=recognizer.metric, thresholds=thresholds, fnmr=fnmr, fmr_observed=fmr_obs,
        n_identities=n_identities, n_genuine=int(len(s.genuine)),
        n_impostor=int(len(s.impostor)), fta_rate=s.n_fta / n_captures, seed=seed,
        summary=summary, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        renderer=renderer, pipeline=pipeline_fingerprint(recognizer))


def save_calibration(cal: Calibration, path: str | Path | None = None) -> Path:
    path = Path(path) if path else calibration_path(cal.backend, cal.model)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json(path, {"calibration": asdict(cal)})


def read_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    try:
        data = json.loads(path.read_text())["calibration"]
        return Calibration(**data)
    except FileNotFoundError:
        raise CalibrationError(f"{path}: calibration file not found") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(f"{path}: not an airtwin calibration file ({exc})") from None


def operating_point(backend: str, model: str, fmr: float = DEFAULT_FMR,
                    path: str | Path | None = None, pipeline: str | None = None,
                    renderer: str | None = None) -> OperatingPoint:
    """The threshold to decide with: the given or saved calibration's, else the shipped one's
    (only while ``$AIRTWIN_CALIBRATION_DIR`` is unset), else the marked fallback.

    ``pipeline`` (:func:`pipeline_fingerprint` of the recognizer that will decide) and
    ``renderer`` (the synthetic faces' fingerprint, where they are what is decided on) are
    checked against the calibration's: a mismatch is reported, never silently used."""
    path = Path(path) if path else calibration_path(backend, model)
    source = str(path)
    if not path.is_file() and not os.environ.get("AIRTWIN_CALIBRATION_DIR") \
            and shipped_path(backend, model).is_file():
        source = f"{shipped_path(backend, model)} (shipped; `airtwin calibrate` saves your own to {path})"
        path = shipped_path(backend, model)
    if path.is_file():
        cal = read_calibration(path)
        if cal.model != model:
            raise CalibrationError(f"{path}: calibrated for model {cal.model!r}, not {model!r}; "
                                   f"run `airtwin calibrate --backend {backend}` for this model")
        changed = [f"{what} {was or 'unrecorded'} -> {now}"
                   for what, was, now in (("pipeline", cal.pipeline, pipeline),
                                          ("renderer", cal.renderer, renderer))
                   if now is not None and was != now]
        if changed:
            source = (f"STALE calibration {source} ({'; '.join(changed)}): run `airtwin "
                      f"calibrate --backend {backend}`")
            log.warning("%s", source)
            return OperatingPoint(cal.threshold(fmr), fmr, True, source, stale=True)
        return OperatingPoint(cal.threshold(fmr), fmr, True, source)
    if backend not in FALLBACK_THRESHOLDS:
        raise CalibrationError(f"no calibration for {backend}/{model} at {path} and no fallback "
                               f"for backend {backend!r}: run `airtwin calibrate --backend {backend}`")
    return OperatingPoint(FALLBACK_THRESHOLDS[backend], math.nan, False,
                          f"UNCALIBRATED fallback (no {path}; run `airtwin calibrate "
                          f"--backend {backend}`)")
