"""A person detector from an ONNX model file the user supplies, on onnxruntime.

airtwin ships no person-detector weights (the classical backend needs none). Bring a model
exported to ONNX and say how its output reads:

- ``boxes``: one output (1, N, 6) or (N, 6) of rows x1, y1, x2, y2, score, class in the model's
  input pixels, non-maximum suppression already applied (an "end-to-end" export);
- ``yolo``: the raw YOLOv8-style head (1, 4 + C, N), or (1, N, 4 + C), of cx, cy, w, h and per
  class scores (told apart by N > 4 + C, as with any real head's thousands of candidates);
  suppression is done here with OpenCV's NMSBoxes.

The input is one letterboxed RGB image scaled to [0, 1], NCHW float32, at the model's fixed input
size (or ``input_size`` when the model's is dynamic). Only ``person_class`` rows are kept.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.vision.detections import Blob, DetectorError, Detections, check_frame

FORMATS = ("boxes", "yolo")


class OnnxPersonDetector:
    name = "onnx"

    def __init__(self, model_path: str | Path, output_format: str = "boxes", person_class: int = 0,
                 score_threshold: float = 0.4, nms_iou: float = 0.5,
                 input_size: tuple[int, int] | None = None, providers: list[str] | None = None):
        if output_format not in FORMATS:
            raise DetectorError(f"output_format: must be one of {', '.join(FORMATS)}, "
                                f"got {output_format!r}")
        if not 0 <= score_threshold <= 1:
            raise DetectorError(f"score_threshold: must be in [0, 1], got {score_threshold}")
        self.model_path = Path(model_path)
        self.output_format, self.person_class = output_format, person_class
        self.score_threshold, self.nms_iou = score_threshold, nms_iou
        self.input_size = input_size  # (width, height)
        self.providers = providers or ["CPUExecutionProvider"]
        self._session = None

    def prepare(self) -> None:
        import onnxruntime as ort

        if not self.model_path.is_file():
            raise DetectorError(f"person detector model {self.model_path}: no such file")
        try:
            self._session = ort.InferenceSession(str(self.model_path), providers=self.providers)
        except Exception as exc:  # onnxruntime raises its own classes for every parse failure
            raise DetectorError(f"person detector model {self.model_path}: onnxruntime cannot "
                                f"load it ({type(exc).__name__}: {exc})") from None
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            shapes = [i.shape for i in inputs]
            raise DetectorError(f"person detector model {self.model_path}: needs one NCHW image "
                                f"input, has {len(inputs)} input(s) shaped {shapes}")
        self._input = inputs[0].name
        _, c, h, w = inputs[0].shape
        if c not in (3, "3") and isinstance(c, int):
            raise DetectorError(f"person detector model {self.model_path}: input has {c} "
                                f"channels, need 3")
        if isinstance(h, int) and isinstance(w, int):
            self.input_size = (w, h)
        elif self.input_size is None:
            raise DetectorError(f"person detector model {self.model_path}: input size is dynamic "
                                f"({inputs[0].shape}); pass input_size=(width, height)")

    def reset(self) -> None:
        """Stateless: nothing to forget."""

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float, tuple[float, float]]:
        w_in, h_in = self.input_size
        h, w = image.shape[:2]
        r = min(w_in / w, h_in / h)
        nw, nh = int(round(w * r)), int(round(h * r))
        canvas = np.full((h_in, w_in, 3), 114, np.uint8)
        dx, dy = (w_in - nw) // 2, (h_in - nh) // 2
        canvas[dy:dy + nh, dx:dx + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        blob = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32)
        return blob / 255.0, r, (dx, dy)

    def detect(self, image: np.ndarray) -> Detections:
        if self._session is None:
            raise DetectorError("OnnxPersonDetector.detect before prepare()")
        check_frame(image)
        blob, r, (dx, dy) = self._letterbox(image)
        out = np.asarray(self._session.run(None, {self._input: blob})[0], dtype=np.float32)
        rows = self._rows(out)
        h, w = image.shape[:2]
        blobs = []
        for x1, y1, x2, y2, score in rows:
            x1, x2 = np.clip([(x1 - dx) / r, (x2 - dx) / r], 0, w)
            y1, y2 = np.clip([(y1 - dy) / r, (y2 - dy) / r], 0, h)
            if x2 - x1 >= 1 and y2 - y1 >= 1:
                clipped = x1 <= 1 or y1 <= 1 or x2 >= w - 1 or y2 >= h - 1
                blobs.append(Blob((float(x1), float(y1), float(x2), float(y2)),
                                  float((x2 - x1) * (y2 - y1)), float(score), bool(clipped)))
        return Detections(tuple(blobs))

    def _rows(self, out: np.ndarray) -> np.ndarray:
        """(K, 5) rows x1, y1, x2, y2, score of kept persons, in letterboxed input pixels."""
        if self.output_format == "boxes":
            out = out.reshape(-1, out.shape[-1])
            if out.shape[-1] != 6:
                raise DetectorError(f"person detector model {self.model_path}: 'boxes' output "
                                    f"needs rows of 6 values, got shape {out.shape}")
            keep = (out[:, 4] >= self.score_threshold) & (np.round(out[:, 5]) == self.person_class)
            return out[keep, :5]
        out = out[0] if out.ndim == 3 else out
        if out.shape[0] < out.shape[1]:  # (4 + C, N) → (N, 4 + C)
            out = out.T
        if out.shape[1] < 5 or self.person_class >= out.shape[1] - 4:
            raise DetectorError(f"person detector model {self.model_path}: 'yolo' output of shape "
                                f"{out.shape} has no score column for class {self.person_class}")
        scores = out[:, 4 + self.person_class]
        keep = scores >= self.score_threshold
        cx, cy, bw, bh = out[keep, :4].T
        boxes = np.column_stack([cx - bw / 2, cy - bh / 2, bw, bh])
        if not len(boxes):
            return np.zeros((0, 5), np.float32)
        idx = cv2.dnn.NMSBoxes(boxes.tolist(), scores[keep].tolist(), self.score_threshold,
                               self.nms_iou)
        idx = np.asarray(idx, int).reshape(-1)
        b = boxes[idx]
        return np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3],
                                scores[keep][idx]])
