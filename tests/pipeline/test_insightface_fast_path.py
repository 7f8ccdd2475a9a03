"""The insightface backend's own hot path (letterbox, decoding, NMS, alignment) against what
insightface 2.1 computes for the same model files: the same faces, boxes, landmarks and crops."""

import threading
import types
import warnings

import cv2
import numpy as np
import pytest

from pipeline.align import ARCFACE_REF, umeyama_similarity
from pipeline.backends.insightface_backend import _nms
from sim.faces import make_identity, render_live

SEED = 5150


@pytest.fixture(scope="module")
def captures():
    """E-gate captures (640x480) and the same faces letterboxed the other ways: portrait,
    wide, and small enough to be scaled up."""
    ims = [render_live(make_identity((SEED, i)), np.random.default_rng([SEED, i])).image
           for i in range(6)]
    return ims + [cv2.resize(ims[0], (360, 600)), cv2.resize(ims[1], (1000, 500)),
                  cv2.resize(ims[2], (240, 200))]


def _insightface_detect(detector, image):
    boxes, kpss = detector._model.detect(image, max_num=0)
    return boxes, kpss


def _as_arrays(dets):
    boxes = np.array([[*d.box, d.score] for d in dets], np.float32).reshape(-1, 5)
    kpss = np.array([d.landmarks for d in dets], np.float32).reshape(-1, 5, 2)
    return boxes, kpss


def _norm_crop(image, landmarks):
    from insightface.utils.face_align import norm_crop

    with warnings.catch_warnings():  # skimage's deprecated estimate, inside insightface 2.1
        warnings.simplefilter("ignore", FutureWarning)
        return norm_crop(image, landmark=landmarks, image_size=112)


def test_detections_match_insightface(insightface_recognizer, captures):
    det = insightface_recognizer.detector
    found = 0
    for im in captures:
        want_boxes, want_kps = _insightface_detect(det, im)
        boxes, kpss = _as_arrays(det.detect(im))
        assert boxes.shape == want_boxes.shape
        np.testing.assert_allclose(boxes, want_boxes, rtol=0, atol=1e-3)
        np.testing.assert_allclose(kpss, want_kps, rtol=0, atol=1e-3)
        found += len(boxes)
    assert found >= len(captures) - 2  # the comparison is not vacuous


def test_letterbox_is_scrfds_input(insightface_recognizer, captures):
    """The reused buffer holds exactly what SCRFD.forward feeds its session, also after a call
    with another geometry left a different border in it."""
    det = insightface_recognizer.detector
    m, size = det._model, det.det_size
    for im in captures[-3:] + captures[:1] + captures[-1:]:
        h, w = im.shape[:2]
        ratio = h / w  # SCRFD._detect_candidates' rounding
        nw, nh = (size, int(size * ratio)) if ratio <= 1 else (int(size / ratio), size)
        pad = np.zeros((size, size, 3), np.uint8)
        pad[:nh, :nw] = cv2.resize(im, (nw, nh))
        want = cv2.dnn.blobFromImage(pad, 1.0 / m.input_std, (size, size),
                                     (m.input_mean,) * 3, swapRB=True)
        blob, scale = det.letterbox(im)
        assert np.array_equal(blob, want)
        assert scale == pytest.approx(nh / h)


def test_no_face_no_detection(insightface_recognizer):
    det = insightface_recognizer.detector
    grey = np.full((480, 640, 3), 128, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    for im in (grey, noise):
        assert det.detect(im) == []
        assert len(_insightface_detect(det, im)[0]) == 0


def test_aligned_crops_and_embeddings_match_norm_crop(insightface_recognizer, captures):
    rec = insightface_recognizer
    model = rec.embedder._model
    n = 0
    for im in captures:
        for d in rec.detector.detect(im):
            crop = rec.embedder.align(im, [d])[0]
            want = _norm_crop(im, d.landmarks)
            diff = np.abs(crop.astype(int) - want)
            assert diff.max() <= 1 and np.count_nonzero(diff) <= 0.001 * diff.size
            # insightface's own recogniser call on its own crop
            theirs = model.get_feat(want).ravel()
            theirs /= np.linalg.norm(theirs)
            ours = rec.embedder.embed_aligned([crop])[0].vector
            assert float(ours @ theirs) >= 0.999
            n += 1
    assert n >= len(captures) - 2


def test_detection_from_many_threads_is_the_same(insightface_recognizer, captures):
    """Threads letterbox into their own buffers: concurrent calls on images of different
    shapes give each thread its own image's faces."""
    det = insightface_recognizer.detector
    want = [_as_arrays(det.detect(im))[0] for im in captures]
    got, errors = {}, []

    def work(k):
        try:
            for r in range(3):
                i = (k + r) % len(captures)
                got[(k, r)] = (i, _as_arrays(det.detect(captures[i]))[0])
        except Exception as e:  # noqa: BLE001 - reported by the assert below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(got) == 12
    for i, boxes in got.values():
        np.testing.assert_array_equal(boxes, want[i])


def _reference_nms(dets, thresh):
    from insightface.model_zoo.scrfd import SCRFD

    return SCRFD.nms(types.SimpleNamespace(nms_thresh=thresh), dets)


@pytest.mark.parametrize("n", [0, 1, 2, 40, 300, 1500])
def test_nms_keeps_what_insightface_keeps(n):
    rng = np.random.default_rng(n)
    xy = rng.uniform(0, 200, (n, 2))
    wh = rng.uniform(5, 60, (n, 2))
    score = np.sort(rng.uniform(0.5, 1, n))[::-1]
    dets = np.hstack([xy, xy + wh, score[:, None]]).astype(np.float32)
    keep = _nms(dets, 0.4)
    assert list(keep) == list(_reference_nms(dets, 0.4))
    if n >= 40:
        assert 0 < len(keep) < n  # overlaps were there to suppress


def test_umeyama_is_skimages_similarity_estimate():
    from skimage.transform import SimilarityTransform

    rng = np.random.default_rng(7)
    for k in range(50):
        ang, s = rng.uniform(-0.6, 0.6), rng.uniform(0.3, 4)
        rot = s * np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        src = (ARCFACE_REF @ rot.T + rng.uniform(0, 500, 2)
               + rng.normal(0, 2, (5, 2))).astype(np.float32)
        if k % 10 == 0:
            src = src[:, ::-1].copy()  # mirrored points: the reflection branch
        t = SimilarityTransform()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            t.estimate(src, ARCFACE_REF)
        np.testing.assert_array_equal(umeyama_similarity(src, ARCFACE_REF), t.params[:2])


def test_a_template_does_not_depend_on_its_batch_mates(insightface_recognizer, captures):
    """The int8 recogniser quantises activations per call: batched, a face's template would
    move with the other faces in the batch. The backend runs such a model one face a call."""
    from pipeline.backends.insightface_backend import dynamically_quantised

    emb = insightface_recognizer.embedder
    crops = [emb.align(im, [insightface_recognizer.detector.detect(im)[0]])[0]
             for im in captures[:5]]
    alone = np.stack([emb.embed_aligned([c])[0].vector for c in crops])
    together = np.stack([e.vector for e in emb.embed_aligned(crops)])
    reversed_ = np.stack([e.vector for e in emb.embed_aligned(crops[::-1])])[::-1]
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(reversed_, alone, atol=1e-6)
    assert dynamically_quantised(emb._model.model_file) == (emb.batch_limit == 1)
