"""CCTV speed work (issue 11) changes the cost of a frame, never what the pipeline decides:
onnxruntime's thread count and the split PRelu give the same detections and the same templates,
bit for bit; the head detector's colour copy gives the same heads; the bench splits a frame's
CPU time into stages that add up, and times the old settings beside the new on the same frames.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.backends.insightface_backend import (ArcFaceEmbedder, ScrfdDetector,
                                                   session_options, split_prelu)
from pipeline.cctv.operating import detection_input


@pytest.fixture(scope="module")
def frame(small_cctv_scenario, small_cctv_window):
    """A tune-seed frame of the small scenario with people walking towards the camera."""
    from sim.feeds import CctvFeed

    feed = CctvFeed(small_cctv_scenario, "corridor_near", seed=1)
    return feed.render(small_cctv_window[0])


@pytest.fixture(scope="module")
def faces_frame():
    """A 1080p composite frame (the bench's) with six real synthetic faces at 30-70 px IPD."""
    from experiments.bench_cctv import _walkers
    from experiments.cctv_composite import composite_stream

    rng = np.random.default_rng(20261205)
    walkers = _walkers(6, [(99, i) for i in range(6)], rng)
    return next(iter(composite_stream("test", walkers, 1.0, 1.1, 10.0, (1920, 1080), seed=5)))


@pytest.fixture(scope="module")
def recognisers(shared_models):
    """(before, after): onnxruntime's default pool and the PRelu as shipped; one thread per
    session and the PRelu split, as the CCTV pipeline runs them."""
    size = detection_input((1920, 1080))
    out = []
    for opts in ({"threads": None}, {"threads": 1}):
        det = ScrfdDetector(str(shared_models), det_size=size, provider="cpu", **opts)
        emb = ArcFaceEmbedder(str(shared_models), provider="cpu",
                              fast_prelu=opts["threads"] == 1, **opts)
        det.prepare(), emb.prepare()
        out.append((det, emb))
    return out


def test_one_thread_and_split_prelu_give_the_same_faces_and_templates(faces_frame,
                                                                      recognisers):
    (det0, emb0), (det1, emb1) = recognisers
    assert emb1.fast_prelu and emb1._model.session.get_session_options().intra_op_num_threads == 1
    image = faces_frame.image
    faces0, faces1 = det0.detect(image), det1.detect(image)
    assert len(faces0) >= 4
    assert [d.box for d in faces0] == [d.box for d in faces1]
    assert all(np.array_equal(a.landmarks, b.landmarks) for a, b in zip(faces0, faces1))
    v0 = np.stack([e.vector for e in emb0.embed(image, faces0)])
    v1 = np.stack([e.vector for e in emb1.embed(image, faces1)])
    assert np.array_equal(v0, v1)  # bit for bit, not merely close
    # the faces differ from each other, so equal templates are not a constant output
    assert np.abs(v0[0] - v0[1]).max() > 1e-3


def _prelu_graph(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    slope = numpy_helper.from_array(np.array([0.25, -0.5, 2.0], np.float32).reshape(3, 1, 1),
                                    "slope")
    graph = helper.make_graph(
        [helper.make_node("PRelu", ["x", "slope"], ["h"]),
         helper.make_node("Mul", ["h", "h"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 5])], [slope])
    path = tmp_path / "prelu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_split_prelu_computes_prelu_exactly_and_leaves_other_graphs(tmp_path, shared_models):
    import onnx
    import onnxruntime as ort

    path = _prelu_graph(tmp_path)
    split = split_prelu(path)
    ops = [n.op_type for n in onnx.load_from_string(split).graph.node]
    assert "PRelu" not in ops and ops.count("Relu") == 1 and ops[-1] == "Mul"
    x = np.random.default_rng(0).normal(size=(1, 3, 4, 5)).astype(np.float32)
    x[0, :, 0, :2] = 0.0  # zeros and both signs, every channel's slope
    before = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    after = ort.InferenceSession(split, providers=["CPUExecutionProvider"])
    y0, y1 = before.run(None, {"x": x})[0], after.run(None, {"x": x})[0]
    assert np.array_equal(y0, y1)
    slope = np.array([0.25, -0.5, 2.0], np.float32).reshape(3, 1, 1)
    assert np.array_equal(y0, np.where(x > 0, x, x * slope) ** 2)
    assert split_prelu(shared_models / "det_500m.onnx") is None  # SCRFD has no PRelu


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2"])
def test_a_bad_thread_count_is_refused_when_the_backend_is_built(threads):
    with pytest.raises(ValueError, match="threads"):
        session_options(threads)
    with pytest.raises(ValueError, match="threads"):
        ArcFaceEmbedder(threads=threads)
    with pytest.raises(ValueError, match="threads"):
        ScrfdDetector(threads=threads)


def test_session_options_pin_one_thread_or_keep_the_defaults():
    import onnxruntime as ort

    one = session_options(1)
    assert (one.intra_op_num_threads, one.inter_op_num_threads) == (1, 1)
    assert one.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert session_options(None).intra_op_num_threads == ort.SessionOptions().intra_op_num_threads


def test_head_detector_finds_the_same_heads_as_from_a_numpy_colour_flip(frame):
    import cv2

    from pipeline.vision.heads import HeadDetector, heads_from_shoulder_boxes

    det = HeadDetector(twins=False)  # the raw HOG below drops no half-window twin
    heads, scores = det.heads(frame.image)
    assert len(heads) >= 3
    # what heads() did before: numpy's reversed channels, made contiguous
    k = det.height / frame.image.shape[0]
    small = cv2.resize(frame.image, (int(round(frame.image.shape[1] * k)), det.height),
                       interpolation=cv2.INTER_AREA)
    rects, svm, _ = det._det.run(np.ascontiguousarray(small[..., ::-1]), 0, det.adjust)
    old = heads_from_shoulder_boxes(np.array(
        [[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects], np.float64) / k)
    assert np.array_equal(heads, old) and len(svm) == len(scores)


def test_bench_times_the_baseline_beside_the_defaults_with_stages_that_add_up(shared_models,
                                                                              monkeypatch):
    from experiments.bench_cctv import STAGES, bench_cctv

    monkeypatch.setenv("AIRTWIN_MODEL_DIR", str(shared_models))
    r = bench_cctv("insightface", n_frames=3, people=3, search_size=50, warmup=1, quiet=True,
                   baseline=True)
    new, old = r["variants"]
    assert (new["variant"], old["variant"]) == ("default", "baseline")
    assert new["settings"] == {"ort_threads": 1, "fast_prelu": True}
    assert old["settings"] == {"ort_threads": "default", "fast_prelu": False}
    assert r["frames_per_core_s"] == new["frames_per_core_s"]
    for v in (new, old):
        ms = v["stage_cpu_ms"]
        assert set(ms) == set(STAGES) and ms["heads"] > 0 and ms["faces"] > 0
        # the stages share out the frame's CPU time ("other" is what no stage took)
        assert sum(ms.values()) == pytest.approx(1000 / v["frames_per_core_s"], rel=1e-6)
        assert ms["other"] >= -1e-3  # the timed stages fit inside the frame's CPU time
    assert new["faces_passed"] == old["faces_passed"] > 0  # the same faces pass either way


def test_bench_baseline_needs_insightface():
    from experiments.bench_cctv import bench_cctv

    with pytest.raises(ValueError, match="insightface"):
        bench_cctv("dlib", n_frames=1, people=1, search_size=1, baseline=True, quiet=True)


def _face(value_ipd: float, sharp: float = 400.0):
    from pipeline.cctv.quality import FaceQuality

    return FaceQuality(value_ipd, 0.0, 0.0, sharp, 0.9)


def test_a_track_whose_search_no_face_can_beat_embeds_nothing_more():
    from pipeline.cctv.aggregate import AggregationConfig, TrackFace, TrackFaces
    from pipeline.cctv.quality import MAX_VALUE

    best = _face(200.0)  # as big, frontal and sharp as a face gets
    assert best.value == MAX_VALUE
    cfg = AggregationConfig()
    for ipd, again in ((60.0 / cfg.research_gain, False), (60.0 / cfg.research_gain - 0.5, True)):
        tf = TrackFaces(1, cfg)
        assert tf.can_search_again()  # never searched
        tf.add(TrackFace(0.0, _face(ipd), np.ones(4, np.float32) / 2))
        assert tf.wants_search()
        tf.mark_searched()
        # the rule agrees with wants_search: only if the best possible face triggers a search
        # may a new template still matter
        assert tf.can_search_again() is again
        tf.add(TrackFace(1.0, best, np.ones(4, np.float32) / 2))
        assert tf.wants_search() is again
    tf = TrackFaces(2, AggregationConfig(max_searches=1))
    tf.add(TrackFace(0.0, _face(20.0), np.ones(4, np.float32) / 2))
    tf.mark_searched()
    assert not tf.can_search_again()  # out of searches


def test_the_embedding_skip_leaves_every_search_as_it_was(recognisers, monkeypatch):
    """Six walkers with 30-70 px faces: the stream with and without the skip makes the same
    searches (same faces aggregated, same candidates and scores), the skip with fewer
    embeddings."""
    import pandas as pd

    import pipeline.cctv.stream as stream_mod
    from experiments.bench_cctv import _walkers
    from pipeline.cctv.aggregate import TrackFaces
    from experiments.cctv_composite import composite_stream, enrolment_templates
    from pipeline.cctv.galleries import build_gallery

    det, emb = recognisers[1]
    people = 6
    keys = [(99, i) for i in range(people)]
    rng = np.random.default_rng(20261205)
    frames = list(composite_stream("test", _walkers(people, keys, rng), 0.0, 2.5, 10.0,
                                   (1920, 1080), seed=5))
    templates = enrolment_templates(keys, det, emb)
    enr = pd.DataFrame({"template_id": [f"e{i}" for i in range(people)],
                        "traveler_id": range(people), "consent": True, "watchlist": True})
    gallery = build_gallery(enr, templates, "manifest")

    class Counting:
        def __init__(self):
            self.n = 0

        def embed(self, image, dets):
            self.n += len(dets)
            return emb.embed(image, dets)

    runs = {}
    for skip in (False, True):
        if not skip:
            monkeypatch.setattr(TrackFaces, "can_search_again", lambda faces: True)
        else:
            monkeypatch.undo()
        counting = Counting()
        s = stream_mod.CctvStream("test", (1920, 1080), det, counting, gallery,
                                  stream_mod.StreamConfig(fps=10.0, threshold=0.5))
        searches = [(i.track_id, i.t, i.search, i.faces, i.best_ipd_px,
                     tuple((c.template_id, c.score) for c in i.candidates))
                    for f in frames for i in s.process(f.image, f.t).searches]
        runs[skip] = (counting.n, searches)
    assert len(runs[False][1]) >= people and runs[True][1] == runs[False][1]
    assert runs[True][0] < runs[False][0]


def test_bench_cli_says_why_baseline_needs_insightface():
    from typer.testing import CliRunner

    from airtwin.cli import app

    r = CliRunner().invoke(app, ["bench", "cctv", "--baseline", "--frames", "1"])
    assert r.exit_code == 2 and "insightface" in r.output


def test_cheaper_head_inputs_are_options_off_by_default(frame):
    from pipeline.vision.heads import HeadDetector

    default = HeadDetector()
    assert (default.grey, default.resize) == (False, "area")
    with pytest.raises(ValueError, match="resize"):
        HeadDetector(resize="cubic")
    base, _ = default.heads(frame.image)
    grey, _ = HeadDetector(grey=True).heads(frame.image)
    linear, _ = HeadDetector(resize="linear").heads(frame.image)
    # each finds this frame's people, from other pixels than the default's
    assert len(grey) >= 3 and len(linear) >= 3
    assert not (grey.shape == base.shape and np.array_equal(grey, base))
