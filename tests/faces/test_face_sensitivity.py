"""experiments.face_sensitivity --fields: one population sd per identity field, HOG's cost."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from experiments.face_sensitivity import field_sensitivity, field_stats, field_step
from sim.faces import make_identity


class PixelEmbedder:
    """A stand-in embedder (the tool's bookkeeping is under test, not a recogniser): the
    photo's face region shrunk to 16 x 16 grey, as a unit vector."""

    def embed(self, image, dets):
        x0, y0, x1, y1 = (int(v) for v in dets[0].box)
        g = cv2.resize(cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), (16, 16))
        v = g.astype(np.float64).ravel() - g.mean()
        return [SimpleNamespace(vector=v / np.linalg.norm(v))]


@pytest.fixture(scope="module")
def stats():
    return field_stats(n=60, seed=77)


def test_stats_cover_varying_numeric_fields_only(stats):
    assert {"nose_v", "mouth_v", "eye_spacing", "chin_v"} <= set(stats)
    assert not {"age", "drift", "kin_share", "texture_seed", "skin_tone"} & set(stats)
    assert all(sd > 0 for _, sd in stats.values())


def test_a_step_is_one_sd_towards_the_mean(stats):
    mean, sd = stats["nose_v"]
    for i in range(6):
        idt = make_identity((78, i))
        moved = field_step(idt, "nose_v", stats)
        assert abs(abs(moved.nose_v - idt.nose_v) - sd) < 1e-12
        assert abs(moved.nose_v - mean) < abs(idt.nose_v - mean) + sd - 1e-12
        assert moved.mouth_v == idt.mouth_v


def test_field_sensitivity_reports_each_field_and_other_identity():
    res = field_sensitivity({"px": PixelEmbedder()}, n=1, seed=79, fields=["nose_v"])
    assert set(res) == {"other_identity", "nose_v"}
    assert res["nose_v"]["sd"] > 0
    assert 0 < res["nose_v"]["px"] < res["other_identity"]["px"]


def test_unknown_field_is_named():
    with pytest.raises(ValueError, match="no_such_field"):
        field_sensitivity({"px": PixelEmbedder()}, n=1, seed=79, fields=["no_such_field"])
