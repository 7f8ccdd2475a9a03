"""The ``insightface`` backend: SCRFD detection and ArcFace embedding from an ONNX model pack,
run by insightface 2.1 on onnxruntime (CPU, CUDA or TensorRT providers).

Each role loads only its own file of the pack (see :mod:`pipeline.models` for how files are
found) with insightface's model_zoo, which also makes the ONNX sessions. The per-call work around
those sessions is done here rather than by insightface's wrappers, which cost about 15% over the
bare model calls on a CPU (issue 4): SCRFD's letterbox goes into a reused buffer through a lookup
table, only anchors above the threshold are decoded, and alignment is a closed-form similarity
fit of the 5 landmarks to the ArcFace reference (the arithmetic ``norm_crop`` runs through skimage).
Results match insightface's ``SCRFD.detect`` and ``norm_crop``; tests/pipeline checks that.
The recogniser's ONNX session runs all crops of a call in one batch, which is where a GPU earns
its keep.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from pipeline.align import ARCFACE_REF, check_image, umeyama_similarity
from pipeline.models import DEFAULT_PACK, choose_providers, find_pack
from pipeline.types import Detection, Embedding


def session_options(threads: int | None):
    """onnxruntime options for one model's session. ``threads`` None: onnxruntime's defaults
    (an intra-op pool as wide as the machine). An int: that many intra-op threads, one
    inter-op thread, operators run in sequence: ``threads=1`` is the one-stream-per-core setting
    (measured on one core, ``taskset -c 0``: SCRFD 640x384 15.8 -> 10.1 ms and ArcFace int8
    39 -> 20 ms CPU per call, as a second pool thread no longer spins on the same core).
    Threads change how the work is split, not the arithmetic: the templates are the same
    (tests/cctv_speed)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads is None:
        return opts
    if int(threads) != threads or threads < 1:
        raise ValueError(f"onnxruntime threads must be an integer >= 1 (or None for its "
                         f"default), got {threads!r}")
    opts.intra_op_num_threads, opts.inter_op_num_threads = int(threads), 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return opts


def _onnx_model(model, weights: bool = True):
    """An ONNX ModelProto: ``model`` itself, or the graph read from the path ``model``
    (``weights`` False: without external weight files, enough to read the graph's nodes)."""
    import onnx

    if isinstance(model, onnx.ModelProto):
        return model
    return onnx.load(str(model), load_external_data=weights)


def split_prelu(path) -> bytes | None:
    """The ONNX graph at ``path`` (or an already loaded ModelProto, which is rewritten in
    place) with each PRelu(x, slope) written as
    Relu(x) + Min(x, 0) * slope, serialised; None when it has no PRelu.

    The same numbers, bit for bit: for x > 0 it is x + 0 * slope = x, for x <= 0 it is
    0 + x * slope, the one product PRelu computes. onnxruntime's CPU PRelu broadcasts a
    per-channel slope element by element, while its Relu, Min and Mul run vectorised: on
    ArcFace w600k_mbf_int8 (34 PRelu) one face costs 21 -> 17 ms on one core. tests/cctv_speed
    checks the templates are identical."""
    from onnx import helper, numpy_helper

    model = _onnx_model(path)
    graph = model.graph
    if not any(n.op_type == "PRelu" for n in graph.node):
        return None
    zero = "airtwin_prelu_zero"
    graph.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero))
    nodes = []
    for k, n in enumerate(graph.node):
        if n.op_type != "PRelu":
            nodes.append(n)
            continue
        (x, slope), y, p = n.input, n.output[0], f"airtwin_prelu{k}"
        nodes += [helper.make_node("Relu", [x], [p + "_pos"]),
                  helper.make_node("Min", [x, zero], [p + "_neg"]),
                  helper.make_node("Mul", [p + "_neg", slope], [p + "_negs"]),
                  helper.make_node("Add", [p + "_pos", p + "_negs"], [y])]
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString()


def _load(path, providers: list[str], task: str, threads: int | None = None):
    import onnxruntime as ort
    from insightface.model_zoo import model_zoo

    # The int8 recogniser declares a fixed (1, 512) output yet runs batches; ORT would log a
    # shape warning per batch. Keep its log to errors.
    ort.set_default_logger_severity(3)
    model = model_zoo.get_model(str(path), providers=providers,
                                sess_options=session_options(threads))
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


def _blob_lut(mean: float, std: float) -> np.ndarray:
    """Float32 input value per uint8 pixel value, computed as cv2.dnn.blobFromImage does."""
    return (np.arange(256, dtype=np.float32) - np.float32(mean)) * np.float32(1.0 / std)


def _anchor_centres(height: int, width: int, stride: int, num_anchors: int) -> np.ndarray:
    """SCRFD's anchor centres for one feature map, in its order (row-major, anchors innermost)."""
    xy = np.stack(np.mgrid[:height, :width][::-1], axis=-1).astype(np.float32)
    xy = (xy * stride).reshape(-1, 2)
    return np.repeat(xy, num_anchors, axis=0) if num_anchors > 1 else xy


def _nms(dets: np.ndarray, thresh: float) -> np.ndarray:
    """insightface's greedy NMS on score-sorted ``dets`` (x1, y1, x2, y2, score): its +1 pixel
    box areas, a box suppressed when its IoU with a kept one is above ``thresh``."""
    x1, y1, x2, y2 = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    keep, order = [], np.arange(len(dets))
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter) <= thresh]
    return np.asarray(keep, dtype=np.intp)


class ScrfdDetector:
    """SCRFD face detector with 5 keypoints (the pack's det_*.onnx)."""

    def __init__(self, model_dir: str | None = None, pack: str = DEFAULT_PACK,
                 provider: str = "auto", det_size: int | tuple[int, int] = 640,
                 det_thresh: float = 0.5, threads: int | None = None):
        # An int is a square input; (width, height) fits a wide frame without letterbox
        # padding (a 16:9 camera at 640x384 costs 60 % of 640x640 for the same face pixels).
        wh = (det_size, det_size) if isinstance(det_size, int) else tuple(det_size)
        if len(wh) != 2 or any(int(v) != v or v <= 0 or v % 32 for v in wh):
            raise ValueError(f"det_size must be a positive multiple of 32 or a (width, height) "
                             f"pair of them, got {det_size!r}")
        if not 0 < det_thresh < 1:
            raise ValueError(f"det_thresh must be in (0, 1), got {det_thresh}")
        self.model_dir, self.pack, self.provider = model_dir, pack, provider
        self.det_size, self.det_thresh = int(max(wh)), float(det_thresh)
        session_options(threads)  # a bad thread count fails here, not at prepare
        self.threads = threads  # onnxruntime intra-op threads (None: its default)
        self.name = "scrfd"
        self._model = None
        self.session = None  # the ONNX session detect runs
        self.input_wh = (int(wh[0]), int(wh[1]))
        # Each thread letterboxes into its own input buffer, so detection needs no lock.
        self._buffers = threading.local()

    def prepare(self) -> None:
        if self._model is not None:
            return
        pack = find_pack(self.model_dir, self.pack)
        model = _load(pack.detector, choose_providers(self.provider), "detection",
                      self.threads)
        # One explicit size: insightface 2.1 otherwise detects at two sizes (about 2x the time).
        model.prepare(-1 if _active_provider(model) == "CPUExecutionProvider" else 0,
                      input_size=self.input_wh, det_thresh=self.det_thresh)
        # A graph with a fixed input size keeps it (insightface ignores input_size then).
        width, height = self.input_wh = tuple(int(v) for v in model.input_size)
        # The model's own session. (insightface 2.1's detect would build and run a fixed-shape
        # copy of a dynamic-shape graph per input size, for CoreML; on the providers used here
        # it runs no faster, and a second copy of the network is not loaded.)
        self.session = model.session
        self._lut = _blob_lut(model.input_mean, model.input_std)
        self._centres = [_anchor_centres(height // s, width // s, s, model._num_anchors)
                         for s in model._feat_stride_fpn]
        self.name = f"scrfd:{pack.detector.stem}"
        self._model = model

    @property
    def execution_provider(self) -> str:
        self.prepare()
        return _active_provider(self._model)

    @property
    def model_files(self) -> tuple[str, ...]:
        return (str(find_pack(self.model_dir, self.pack).detector),)

    def letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """SCRFD's input for ``image``: resized keeping its aspect ratio into the top left of the
        network input, the rest zero pixels, as a (1, 3, H, W) float32 RGB blob; and the scale.

        The array is this thread's buffer, overwritten by its next call.
        """
        self.prepare()
        width, height = self.input_wh
        h, w = image.shape[:2]
        # SCRFD._detect_candidates' rounding: the side that fills is exact, the other truncated.
        if h / w > height / width:
            nh, nw = height, int(height / (h / w))
        else:
            nw, nh = width, int(width * (h / w))
        buf = getattr(self._buffers, "blob", None)
        if buf is None:
            buf = self._buffers.blob = np.empty((1, 3, height, width), np.float32)
            self._buffers.filled = None
        if self._buffers.filled != (nh, nw):  # another letterbox than last time: new border
            buf.fill(self._lut[0])
            self._buffers.filled = (nh, nw)
        resized = image if (nh, nw) == (h, w) else cv2.resize(image, (nw, nh))
        for c, plane in enumerate(reversed(cv2.split(resized))):  # BGR -> RGB planes
            cv2.LUT(plane, self._lut, dst=buf[0, c, :nh, :nw])
        return buf, nh / h

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.prepare()
        image = check_image(image)
        m = self._model
        blob, scale = self.letterbox(image)
        outs = self.session.run(m.output_names, {m.input_name: blob})
        dets, kpss = self._decode(outs, scale)
        out = []
        for i in range(len(dets)):
            x1, y1, x2, y2, score = (float(v) for v in dets[i])
            lm = None if kpss is None else kpss[i]
            out.append(Detection(box=(x1, y1, x2, y2), score=score, landmarks=lm))
        return out

    def _decode(self, outs: list[np.ndarray], scale: float):
        """Boxes (x1, y1, x2, y2, score) and (5, 2) keypoints in image pixels, best first, after
        NMS: insightface's SCRFD.forward + detect, decoding only anchors above the threshold."""
        m = self._model
        fmc, scores, boxes, kpss = m.fmc, [], [], []
        for idx, stride in enumerate(m._feat_stride_fpn):
            heads = [outs[idx], outs[idx + fmc]] + ([outs[idx + 2 * fmc]] if m.use_kps else [])
            if m.batched:
                heads = [o[0] for o in heads]
            score = heads[0].reshape(len(heads[0]), -1)[:, 0]
            pos = np.flatnonzero(score >= self.det_thresh)
            if not pos.size:
                continue
            centre = self._centres[idx][pos]
            dist = heads[1][pos] * stride
            scores.append(score[pos])
            boxes.append(np.hstack([centre - dist[:, :2], centre + dist[:, 2:]]))
            if m.use_kps:
                kpss.append(centre[:, None, :] + (heads[2][pos] * stride).reshape(len(pos), -1, 2))
        if not scores:
            return np.empty((0, 5), np.float32), None
        score = np.concatenate(scores)
        order = np.argsort(-score, kind="stable")
        dets = np.hstack([np.concatenate(boxes) / scale, score[:, None]])[order]
        keep = _nms(dets, m.nms_thresh)
        kps = (np.concatenate(kpss) / scale)[order][keep] if kpss else None
        return dets[keep], kps


def _arcface_reference(size: int) -> np.ndarray:
    """The 5 reference points in a ``size`` crop, as insightface's ``estimate_norm`` places them."""
    if size % 112 == 0:
        return ARCFACE_REF * (size / 112.0)
    if size % 128 == 0:
        ref = ARCFACE_REF * (size / 128.0)
        ref[:, 0] += 8.0 * size / 128.0
        return ref
    raise ValueError(f"ArcFace crops are a multiple of 112 or 128 px, got {size}")


def dynamically_quantised(path) -> bool:
    """Whether an ONNX graph (a path or a loaded ModelProto) quantises its activations at run
    time (DynamicQuantizeLinear): its scale then comes from the whole batch, so a face's
    template would depend on the other faces it shares a batch with."""
    graph = _onnx_model(path, weights=False).graph
    return any(n.op_type == "DynamicQuantizeLinear" for n in graph.node)


class ArcFaceEmbedder:
    """ArcFace recogniser (the pack's w600k_*.onnx), 512-d, L2-normalised, batched.

    A dynamically quantised recogniser (such as w600k_mbf_int8) runs one face per call: with
    batches, a traveler's template would change with whoever else was in the batch (cosine
    0.986-0.995 to the same face alone, measured), which no border system may allow.

    ``threads``: onnxruntime intra-op threads (:func:`session_options`); ``fast_prelu``: on
    the CPU provider, run the graph with its PRelu written as Relu + Min * slope
    (:func:`split_prelu`: the same templates, bit for bit, about 20 % less CPU per face on the
    int8 recogniser).
    """

    def __init__(self, model_dir: str | None = None, pack: str = DEFAULT_PACK,
                 provider: str = "auto", max_batch: int = 64, threads: int | None = None,
                 fast_prelu: bool = False):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        session_options(threads)  # a bad thread count fails here, not at prepare
        self.threads = threads  # onnxruntime intra-op threads (None: its default)
        self.fast_prelu = bool(fast_prelu)
        self.model_dir, self.pack, self.provider = model_dir, pack, provider
        self.max_batch = int(max_batch)
        self.batch_limit = self.max_batch  # 1 for a dynamically quantised model (prepare)
        self.name = "arcface"
        self.dim = 512
        self._model = None

    def prepare(self) -> None:
        if self._model is not None:
            return
        pack = find_pack(self.model_dir, self.pack)
        model = _load(pack.recogniser, choose_providers(self.provider), "recognition",
                      self.threads)
        # a CPU-side gain: a GPU session keeps its graph (and its provider options)
        cpu = _active_provider(model) == "CPUExecutionProvider"
        rewrite = self.fast_prelu and cpu
        # read once when it is rewritten (checked first: the rewrite changes the proto)
        source = _onnx_model(pack.recogniser) if rewrite else pack.recogniser
        self.batch_limit = 1 if dynamically_quantised(source) else self.max_batch
        graph = split_prelu(source) if rewrite else None
        if graph is not None:  # insightface read the file's metadata; run the rewritten graph
            import onnxruntime as ort

            model.session = ort.InferenceSession(graph, sess_options=session_options(
                self.threads), providers=model.session.get_providers())
        self.name = f"arcface:{pack.recogniser_name}"
        dim = model.output_shape[-1]
        self.dim = int(dim) if isinstance(dim, int) else 512
        self._model = model

    @property
    def execution_provider(self) -> str:
        self.prepare()
        return _active_provider(self._model)

    @property
    def model_files(self) -> tuple[str, ...]:
        return (str(find_pack(self.model_dir, self.pack).recogniser),)

    @property
    def input_size(self) -> int:
        self.prepare()
        return int(self._model.input_size[0])

    def align(self, image: np.ndarray, detections: list[Detection]) -> list[np.ndarray]:
        """insightface's ``norm_crop`` without its skimage object: the least-squares similarity
        transform of the 5 landmarks to the ArcFace reference, then a bilinear warp."""
        image = check_image(image)
        size = self.input_size
        ref = _arcface_reference(size)
        crops = []
        for d in detections:
            if d.landmarks is None:
                raise ValueError("the ArcFace embedder aligns by 5 landmarks; this detection "
                                 "has none (use a detector that returns them)")
            m = umeyama_similarity(np.asarray(d.landmarks, np.float32), ref)
            crops.append(cv2.warpAffine(image, m, (size, size), borderValue=0.0))
        return crops

    def forward(self, blob: np.ndarray) -> np.ndarray:
        """The bare model call: (N, 3, S, S) float32 preprocessed input -> (N, D) raw output."""
        m = self._model
        return m.session.run(m.output_names, {m.input_name: blob})[0]

    def preprocess(self, crops: list[np.ndarray]) -> np.ndarray:
        m = self._model
        return cv2.dnn.blobFromImages(list(crops), 1.0 / m.input_std, m.input_size,
                                      (m.input_mean,) * 3, swapRB=True).astype(np.float32)

    def embed_aligned(self, crops: list[np.ndarray]) -> list[Embedding]:
        self.prepare()
        if not crops:
            return []
        step = self.batch_limit
        parts = [self.forward(self.preprocess(crops[i:i + step]))
                 for i in range(0, len(crops), step)]
        vecs = np.concatenate(parts).astype(np.float32).reshape(len(crops), -1)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return [Embedding(vector=v, model=self.name) for v in vecs]

    def embed(self, image: np.ndarray, detections: list[Detection]) -> list[Embedding]:
        self.prepare()
        return self.embed_aligned(self.align(image, detections))
