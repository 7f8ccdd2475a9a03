"""experiments.face_variants: overrides applied and undone, caches cleared, scores that can fail."""

import numpy as np
import pytest

import sim.faces.layers as layers
import sim.faces.texture as texture
from experiments.face_variants import applied, clear_caches, load_variants, scores
from sim.faces import make_identity


def test_overrides_are_applied_then_restored_and_caches_cleared():
    before = layers.WARP_FINE_UNITS
    texture.traits(make_identity((1, 0), skin_tone="I-II"))
    assert texture.traits.cache_info().currsize > 0
    with applied({"sim.faces.layers.WARP_FINE_UNITS": before + 0.5}):
        assert layers.WARP_FINE_UNITS == before + 0.5
        assert texture.traits.cache_info().currsize == 0
        texture.traits(make_identity((1, 1), skin_tone="V-VI"))
    assert layers.WARP_FINE_UNITS == before
    assert texture.traits.cache_info().currsize == 0
    assert clear_caches() >= 2  # sprites and traits at least


def test_a_failing_variant_still_restores():
    before = layers.WARP_UNITS
    with pytest.raises(RuntimeError):
        with applied({"sim.faces.layers.WARP_UNITS": 1.0}):
            raise RuntimeError("render failed")
    assert layers.WARP_UNITS == before


@pytest.mark.parametrize("key, message", [
    ("pipeline.matching.X", "expected 'sim.faces.<module>.<attribute>'"),
    ("sim.faces.nowhere.X", "no module 'sim.faces.nowhere'"),
    ("sim.faces.layers.NO_SUCH", "has no attribute 'NO_SUCH'"),
])
def test_bad_overrides_name_the_problem(key, message):
    with pytest.raises(ValueError, match=message):
        with applied({key: 1}):
            pass


def test_variants_file_is_checked(tmp_path):
    good = tmp_path / "v.py"
    good.write_text('VARIANTS = {"base": {}, "warp": {"sim.faces.layers.WARP_UNITS": 0.1}}\n')
    assert list(load_variants(good)) == ["base", "warp"]
    bad = tmp_path / "bad.py"
    bad.write_text('VARIANTS = {"x": {"sim.faces.layers.TYPO": 1}}\n')
    with pytest.raises(ValueError, match="TYPO"):
        load_variants(bad)
    (tmp_path / "empty.py").write_text("VARIANTS = {}\n")
    with pytest.raises(ValueError, match="non-empty dict"):
        load_variants(tmp_path / "empty.py")
    with pytest.raises(ValueError, match="no file"):
        load_variants(tmp_path / "missing.py")


def _population(shared: float, n: int = 30, dim: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    axis = np.eye(dim)[0]
    person = rng.normal(0, 1, (n, dim)) / np.sqrt(dim)
    person = person / np.linalg.norm(person, axis=1, keepdims=True) + shared * axis
    live = person + rng.normal(0, 0.2, (n, dim)) / np.sqrt(dim)
    return person, live


def test_scores_see_a_shared_offset_and_dlib_rule():
    e, l_ = _population(shared=1.0)
    s = scores(e, l_, e * 0.2, l_ * 0.2)  # dlib-like vectors: all within 0.6 of each other
    assert s["imp"] > 0.3 and s["mean2"] == pytest.approx(s["imp"], abs=0.05)
    assert s["gen"] > s["imp"] and s["proj"] > 0.5
    assert s["dlib_fmr"] == 1.0 and s["dlib_fnmr"] == 0.0
    e0, l0 = _population(shared=0.0)
    s0 = scores(e0, l0, e0 * 3, l0 * 3, reference=np.eye(64)[0])
    assert abs(s0["imp"]) < 0.05 and abs(s0["proj"]) < 0.1
    assert s0["dlib_fmr"] < 0.05
    with pytest.raises(ValueError, match=">= 3 identities"):
        scores(e0[:2], l0[:2], e0[:2], l0[:2])


def test_hog_scores_find_a_face_and_not_a_blank():
    import dataclasses

    import dlib

    from experiments.face_variants import hog_scores
    from sim.faces import render_enrolment

    hog = dlib.get_frontal_face_detector()
    cap = render_enrolment(make_identity((5300, 0), skin_tone="III-IV"))
    score, found = hog_scores(hog, cap)
    assert score > 0 and found
    blank = dataclasses.replace(cap, image=np.full_like(cap.image, 128))
    assert hog_scores(hog, blank) == (-2.0, False)


def test_hog_lives_with_arcface_scores_the_same_captures(monkeypatch, tmp_path):
    import dlib

    from experiments import face_variants as fv
    from pipeline.types import Embedding

    class NoFaces:  # every capture falls back to its ground truth, as the bench does
        def detect(self, image):
            return []

    class Thumbnail:  # a stand-in embedder: the capture's 8x8 grey thumbnail
        def embed(self, image, dets):
            import cv2
            v = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (8, 8)).ravel()
            return [Embedding(v.astype(np.float32) - v.mean(), "thumb") for _ in dets]

    out = fv.measure_hog(4, 5300, 1, dlib.get_frontal_face_detector(), (NoFaces(), Thumbnail()))
    assert out["captures"] == 8 and out["live_all"]["n"] == 4
    arc = out["arcface"]
    assert set(arc) == {"genuine_mean", "genuine_sd", "impostor_mean", "impostor_sd", "d_prime"}
    assert -1 <= arc["impostor_mean"] <= 1 and -1 <= arc["genuine_mean"] <= 1
    assert "arcface" not in fv.measure_hog(3, 5300, 1, dlib.get_frontal_face_detector())
    (tmp_path / "v.py").write_text('VARIANTS = {"base": {}}\n')
    monkeypatch.setattr("sys.argv", ["face_variants", "--variants", str(tmp_path / "v.py"),
                                     "--arcface"])
    with pytest.raises(SystemExit):  # --arcface asks for --hog-lives
        fv.main()
