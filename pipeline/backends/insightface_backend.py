"""The ``insightface`` backend: SCRFD detection and ArcFace embedding from an ONNX model pack,
run by insightface 2.1 on onnxruntime (CPU, CUDA or TensorRT providers).

Each role loads only its own file of the pack (see :mod:`pipeline.models` for how files are
found). Alignment is insightface's ``norm_crop`` (a similarity transform of the 5 landmarks to
the ArcFace reference, 112x112); the recogniser's ONNX session then runs all crops of a call in
one batch, which is where a GPU earns its keep.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np

from pipeline.align import check_image
from pipeline.models import DEFAULT_PACK, choose_providers, find_pack
from pipeline.types import Detection, Embedding

# insightface 2.1's norm_crop calls skimage's deprecated ``SimilarityTransform.estimate``
# (works until skimage 2.2, which pyproject excludes); silence just that message.
warnings.filterwarnings("ignore", message=r"`estimate` is deprecated", category=FutureWarning)


def _load(path, providers: list[str], task: str):
    import onnxruntime as ort
    from insightface.model_zoo import model_zoo

    # The int8 recogniser declares a fixed (1, 512) output yet runs batches; ORT would log a
    # shape warning per batch. Keep its log to errors.
    ort.set_default_logger_severity(3)
    model = model_zoo.get_model(str(path), providers=providers)
    if model is None or model.taskname != task:
        got = "nothing" if model is None else model.taskname
        raise RuntimeError(f"{path}: insightface loads it as {got}, expected a {task} model")
    got = _active_provider(model)
    if got != providers[0]:
        # onnxruntime quietly falls back to the CPU when the GPU libraries fail to load.
        from pipeline.models import ModelPackError
        raise ModelPackError(f"{path}: asked onnxruntime for {providers[0]} but the session runs "
                             f"on {got}; check the CUDA/cuDNN (and TensorRT) libraries that "
                             f"onnxruntime-gpu needs (onnxruntime's log says which failed to load)")
    # ctx_id < 0 makes insightface pin the session to the CPU provider.
    model.prepare(-1 if providers[0] == "CPUExecutionProvider" else 0)
    return model


def _active_provider(model) -> str:
    return model.session.get_providers()[0]


class ScrfdDetector:
    """SCRFD face detector with 5 keypoints (the pack's det_*.onnx)."""

    def __init__(self, model_dir: str | None = None, pack: str = DEFAULT_PACK,
                 provider: str = "auto", det_size: int = 640, det_thresh: float = 0.5):
        if det_size % 32:
            raise ValueError(f"det_size must be a multiple of 32, got {det_size}")
        if not 0 < det_thresh < 1:
            raise ValueError(f"det_thresh must be in (0, 1), got {det_thresh}")
        self.model_dir, self.pack, self.provider = model_dir, pack, provider
        self.det_size, self.det_thresh = int(det_size), float(det_thresh)
        self.name = "scrfd"
        self._model = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        if self._model is not None:
            return
        pack = find_pack(self.model_dir, self.pack)
        model = _load(pack.detector, choose_providers(self.provider), "detection")
        # One explicit size: insightface 2.1 otherwise detects at two sizes (about 2x the time).
        model.prepare(-1 if _active_provider(model) == "CPUExecutionProvider" else 0,
                      input_size=(self.det_size, self.det_size), det_thresh=self.det_thresh)
        self.name = f"scrfd:{pack.detector.stem}"
        self._model = model

    @property
    def execution_provider(self) -> str:
        self.prepare()
        return _active_provider(self._model)

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.prepare()
        image = check_image(image)
        # SCRFD keeps per-call state (its resolution session pool): one call at a time.
        with self._lock:
            boxes, kpss = self._model.detect(image, max_num=0)
        out = []
        for i in np.argsort(-boxes[:, 4]) if len(boxes) else []:
            x1, y1, x2, y2, score = (float(v) for v in boxes[i])
            lm = None if kpss is None else np.asarray(kpss[i], np.float32)
            out.append(Detection(box=(x1, y1, x2, y2), score=score, landmarks=lm))
        return out


class ArcFaceEmbedder:
    """ArcFace recogniser (the pack's w600k_*.onnx), 512-d, L2-normalised, batched."""

    def __init__(self, model_dir: str | None = None, pack: str = DEFAULT_PACK,
                 provider: str = "auto", max_batch: int = 64):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.model_dir, self.pack, self.provider = model_dir, pack, provider
        self.max_batch = int(max_batch)
        self.name = "arcface"
        self.dim = 512
        self._model = None

    def prepare(self) -> None:
        if self._model is not None:
            return
        pack = find_pack(self.model_dir, self.pack)
        model = _load(pack.recogniser, choose_providers(self.provider), "recognition")
        self.name = f"arcface:{pack.recogniser_name}"
        dim = model.output_shape[-1]
        self.dim = int(dim) if isinstance(dim, int) else 512
        self._model = model

    @property
    def execution_provider(self) -> str:
        self.prepare()
        return _active_provider(self._model)

    @property
    def input_size(self) -> int:
        self.prepare()
        return int(self._model.input_size[0])

    def align(self, image: np.ndarray, detections: list[Detection]) -> list[np.ndarray]:
        from insightface.utils.face_align import norm_crop

        image = check_image(image)
        size = self.input_size
        crops = []
        for d in detections:
            if d.landmarks is None:
                raise ValueError("the ArcFace embedder aligns by 5 landmarks; this detection "
                                 "has none (use a detector that returns them)")
            with warnings.catch_warnings():  # see the filter at the top (pytest resets it)
                warnings.simplefilter("ignore", FutureWarning)
                crops.append(norm_crop(image, landmark=np.asarray(d.landmarks, np.float32),
                                       image_size=size))
        return crops

    def forward(self, blob: np.ndarray) -> np.ndarray:
        """The bare model call: (N, 3, S, S) float32 preprocessed input -> (N, D) raw output."""
        m = self._model
        return m.session.run(m.output_names, {m.input_name: blob})[0]

    def preprocess(self, crops: list[np.ndarray]) -> np.ndarray:
        import cv2

        m = self._model
        return cv2.dnn.blobFromImages(list(crops), 1.0 / m.input_std, m.input_size,
                                      (m.input_mean,) * 3, swapRB=True).astype(np.float32)

    def embed_aligned(self, crops: list[np.ndarray]) -> list[Embedding]:
        self.prepare()
        if not crops:
            return []
        parts = [self.forward(self.preprocess(crops[i:i + self.max_batch]))
                 for i in range(0, len(crops), self.max_batch)]
        vecs = np.concatenate(parts).astype(np.float32).reshape(len(crops), -1)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return [Embedding(vector=v, model=self.name) for v in vecs]

    def embed(self, image: np.ndarray, detections: list[Detection]) -> list[Embedding]:
        self.prepare()
        return self.embed_aligned(self.align(image, detections))
