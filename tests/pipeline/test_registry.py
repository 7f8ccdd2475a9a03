"""Backends are looked up by name; typos are errors that list what is known."""

import numpy as np
import pytest

from pipeline.registry import (BackendError, available_backends, backend_info, get_detector,
                               get_embedder, known_backends)
from pipeline.types import AligningEmbedder, FaceDetector, FaceEmbedder


def test_known_backends_include_both_families():
    assert {"dlib", "insightface"} <= set(known_backends())
    assert "dlib" in available_backends()  # pip alone brings it


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(BackendError, match=r"unknown recognition backend 'dlb' \(known: dlib, insightface\)"):
        get_detector("dlb")
    with pytest.raises(BackendError, match="known: dlib"):
        get_embedder("")


def test_unknown_option_is_named():
    with pytest.raises(BackendError, match=r"unknown option\(s\) modle .*known: model, upsample"):
        get_detector("dlib", modle="cnn")


def test_bad_option_value():
    with pytest.raises(ValueError, match="'hog' or 'cnn'"):
        get_detector("dlib", model="mmod")


def test_construction_is_cheap_and_roles_match():
    det, emb = get_detector("dlib"), get_embedder("dlib")
    assert isinstance(det, FaceDetector) and isinstance(emb, FaceEmbedder)
    assert isinstance(emb, AligningEmbedder)
    assert emb.dim == 128 and backend_info("dlib").missing() == []


def test_dlib_finds_no_face_in_noise_and_embeds_unit_vectors():
    det, emb = get_detector("dlib"), get_embedder("dlib")
    det.prepare(); emb.prepare()
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert det.detect(noise) == []
    from pipeline.types import Detection
    out = emb.embed(noise, [Detection((40, 40, 200, 200), 1.0)])
    assert len(out) == 1 and out[0].vector.shape == (128,)
    assert abs(np.linalg.norm(out[0].vector) - 1) < 1e-5 and out[0].model == "dlib_resnet_v1"


def test_bad_image_is_named():
    from pipeline.align import ImageError
    det = get_detector("dlib")
    with pytest.raises(ImageError, match="uint8"):
        det.detect(np.zeros((100, 100, 3), np.float32))
    with pytest.raises(ImageError, match="H x W x 3"):
        det.detect(np.zeros((100, 100, 4), np.uint8))
