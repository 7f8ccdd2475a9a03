"""experiments.face_common: the shared-direction measure on vectors of known make-up."""

import numpy as np
import pytest

from experiments.face_common import common_component, region_mask


def _people(shared: float, n: int = 40, dim: int = 128, seed: int = 0):
    """Two captures of each of ``n`` people: a person vector plus a little capture noise, all
    offset by ``shared`` along one common axis."""
    rng = np.random.default_rng(seed)
    person = rng.normal(0, 1, (n, dim)) / np.sqrt(dim)
    axis = np.zeros(dim)
    axis[0] = 1
    emb = np.repeat(person, 2, axis=0) + rng.normal(0, 0.3, (2 * n, dim)) / np.sqrt(dim)
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True) + shared * axis
    return emb, np.repeat(np.arange(n), 2), np.tile([0, 1], n)


def test_a_shared_offset_shows_as_the_mean_and_its_removal_frees_impostors():
    res = common_component(*_people(shared=0.8))
    assert res["mean_norm_sq"] == pytest.approx(res["impostor_mean"], abs=0.05)
    assert res["impostor_mean"] > 0.3
    assert abs(res["direction"][0]) > 0.95  # found the common axis
    assert res["split_half_removed"]["impostor_mean"] < 0.05
    assert res["split_half_removed"]["d_prime"] > res["split_half_before"]["d_prime"]


def test_people_without_a_shared_part_have_a_small_mean():
    res = common_component(*_people(shared=0.0))
    assert res["mean_norm"] < 0.25 and abs(res["impostor_mean"]) < 0.05
    assert res["split_half_removed"]["impostor_mean"] == pytest.approx(
        res["split_half_before"]["impostor_mean"], abs=0.03)


def test_clear_errors():
    emb, owner, kind = _people(0.5, n=3)
    with pytest.raises(ValueError, match="at least 4 identities"):
        common_component(emb, owner, kind)
    with pytest.raises(ValueError, match="one owner and kind"):
        common_component(emb, owner[:-1], kind)
    with pytest.raises(ValueError, match="region"):
        region_mask("ears")
    assert region_mask("eyes").shape == (112, 112, 1)
