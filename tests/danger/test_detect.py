"""Person detector backends: frame checks, the registry, the classical default on real pixels and
the ONNX backend loading a tiny graph built here with the onnx helper API."""

import numpy as np
import pytest

from danger_clips import FLOOR, SIZE, background, draw_box, PERSON_BOX
from pipeline.danger.detect import BackgroundSubtractionDetector, known_detectors, make_detector
from pipeline.vision.detections import DetectorError, FrameError, check_frame


@pytest.mark.parametrize("frame, message", [
    ("not an image", "expected a numpy array, got str"),
    (np.zeros((360, 640, 3), np.float32), "expected dtype uint8, got float32"),
    (np.zeros((360, 640), np.uint8), r"expected a colour \(H, W, 3\) BGR image"),
    (np.zeros((360, 640, 4), np.uint8), r"expected shape \(H, W, 3\), got \(360, 640, 4\)"),
    (np.zeros((8, 8, 3), np.uint8), "too small"),
])
def test_bad_frames_are_refused_with_the_reason(frame, message):
    with pytest.raises(FrameError, match=message):
        check_frame(frame)


def test_wrong_size_names_both_sizes():
    with pytest.raises(FrameError, match="size 320x240 does not match the camera's 640x360"):
        check_frame(np.zeros((240, 320, 3), np.uint8), SIZE)


def test_unknown_backend_and_option_list_the_known_ones():
    with pytest.raises(DetectorError, match=r"unknown person detector 'hog' \(known: knn, mog2, onnx\)"):
        make_detector("hog")
    with pytest.raises(DetectorError, match="unknown option.*histroy_s.*known:.*history_s"):
        make_detector("mog2", histroy_s=10)
    assert known_detectors() == ["knn", "mog2", "onnx"]


@pytest.mark.parametrize("name", ["mog2", "knn"])
def test_background_subtraction_finds_a_person_not_the_floor(name):
    det = make_detector(name, fps=5.0, ignore_boxes=[(0, 0, 100, 20)])
    det.prepare()
    bg = background()
    rng = np.random.default_rng(0)
    for _ in range(10):
        frame = np.clip(bg + rng.normal(0, 2, bg.shape), 0, 255).astype(np.uint8)
        frame[:20, :100] = rng.integers(0, 255, (20, 100, 3))  # a changing clock overlay
        assert det.detect(frame).blobs == ()
    draw_box(frame, (1.0, 6.0), PERSON_BOX, 0.0, (40, 60, 160))
    blobs = det.detect(frame).blobs
    assert len(blobs) == 1
    foot = FLOOR.floor_to_image([[1.0, 6.0]])[0]
    x1, y1, x2, y2 = blobs[0].box
    assert x1 - 6 <= foot[0] <= x2 + 6 and abs(y2 - foot[1]) < 12
    assert not blobs[0].clipped


def test_detector_options_are_checked():
    with pytest.raises(DetectorError, match="scale"):
        BackgroundSubtractionDetector(scale=0)
    with pytest.raises(DetectorError, match="ignore_boxes"):
        BackgroundSubtractionDetector(ignore_boxes=[(10, 10, 5, 20)])


def _tiny_model(path, fmt: str):
    """A person 'detector' whose score is the image's mean brightness: bright → a person."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    img = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])
    mean = helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=1)
    shape = helper.make_tensor("shape", TensorProto.INT64, [3], [1, 1, 1])
    score = helper.make_node("Reshape", ["m", "shape"], ["score"])
    nodes, inits = [mean, score], [shape]
    if fmt == "boxes":  # (1, 1, 6): x1, y1, x2, y2, score, class
        inits += [helper.make_tensor("box", TensorProto.FLOAT, [1, 1, 4], [8, 4, 24, 28]),
                  helper.make_tensor("cls", TensorProto.FLOAT, [1, 1, 1], [0])]
        nodes.append(helper.make_node("Concat", ["box", "score", "cls"], ["out"], axis=2))
        out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, 6])
    else:  # yolo (1, 5, 6): cx, cy, w, h, person score of six overlapping candidates
        cx = [16, 16.5, 16, 15.5, 16, 16.2]
        inits += [helper.make_tensor("xywh", TensorProto.FLOAT, [1, 4, 6],
                                     cx + [16] * 6 + [16] * 6 + [24] * 6)]
        nodes.append(helper.make_node("Concat", ["score"] * 6, ["s6"], axis=2))
        nodes.append(helper.make_node("Concat", ["xywh", "s6"], ["out"], axis=1))
        out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 5, 6])
    graph = helper.make_graph(nodes, "tiny_person", [img], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("fmt", ["boxes", "yolo"])
def test_onnx_backend_loads_and_runs_a_generated_graph(tmp_path, fmt):
    pytest.importorskip("onnxruntime")
    path = _tiny_model(tmp_path / "tiny.onnx", fmt)
    det = make_detector("onnx", model_path=path, output_format=fmt, score_threshold=0.5)
    det.prepare()
    bright = np.full((64, 128, 3), 230, np.uint8)  # letterboxed into 32x32: scale 0.25
    blobs = det.detect(bright).blobs
    assert len(blobs) == 1  # yolo: the overlapping candidates are suppressed to one
    x1, y1, x2, y2 = blobs[0].box
    assert blobs[0].score == pytest.approx((230 * 16 + 114 * 16) / 32 / 255, abs=0.02)
    assert 0 <= x1 < x2 <= 128 and 0 <= y1 < y2 <= 64
    assert det.detect(np.full((64, 128, 3), 10, np.uint8)).blobs == ()


def test_onnx_backend_names_a_missing_or_broken_model(tmp_path):
    with pytest.raises(DetectorError, match="no such file"):
        make_detector("onnx", model_path=tmp_path / "none.onnx").prepare()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(DetectorError, match="onnxruntime cannot load it"):
        make_detector("onnx", model_path=bad).prepare()
    with pytest.raises(DetectorError, match="before prepare"):
        make_detector("onnx", model_path=bad).detect(np.zeros((64, 64, 3), np.uint8))
