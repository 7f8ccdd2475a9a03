"""sim.faces.dark_skin: the T-zone's sheen and the lash line for dark skin, off by default."""

import numpy as np
import pytest

from sim.faces import dark_skin, layers, make_identity

PPU = 24.0


@pytest.fixture
def lever(monkeypatch):
    """Set one of ``dark_skin``'s levers for one test; sprites re-rendered."""
    def set_(name: str, value: float):
        monkeypatch.setattr(dark_skin, name, value)
        layers.head_layers.cache_clear()
    layers.head_layers.cache_clear()
    yield set_
    layers.head_layers.cache_clear()


def _darkest_and_lightest(n: int = 12):
    dark = [make_identity((41, i), skin_tone="V-VI") for i in range(n)]
    light = [make_identity((41, i), skin_tone="I-II") for i in range(n)]
    return max(dark, key=dark_skin.darkness), light


def test_off_by_default_and_darkness_only_for_dark_skin():
    assert dark_skin.SHEEN == 0.0 and dark_skin.LASH == 0.0
    dark, light = _darkest_and_lightest()
    assert dark_skin.darkness(dark) > 0.5
    assert all(dark_skin.darkness(i) == 0.0 for i in light)
    mid = [make_identity((41, i), skin_tone="III-IV") for i in range(12)]
    assert all(dark_skin.darkness(i) == 0.0 for i in mid)
    assert dark_skin.sheen_gain(dark) == dark_skin.lash_gain(dark) == 1.0


@pytest.mark.parametrize("name, field", [("SHEEN", "spec"), ("LASH", "albedo")])
def test_a_lever_changes_a_dark_face_and_leaves_a_light_one(lever, name, field):
    dark, light = _darkest_and_lightest(4)
    light = light[0]
    lever(name, 0.0)
    off_dark = getattr(layers.head_layers(dark, PPU), field).copy()
    off_light = getattr(layers.head_layers(light, PPU), field).copy()
    lever(name, 2.0)
    assert not np.array_equal(getattr(layers.head_layers(dark, PPU), field), off_dark)
    assert np.array_equal(getattr(layers.head_layers(light, PPU), field), off_light)


def test_the_sheen_leaves_the_cheeks_alone(lever):
    dark, _ = _darkest_and_lightest(4)
    lever("SHEEN", 0.0)
    g = layers.head_layers(dark, PPU).grid
    off = layers.head_layers(dark, PPU).spec.copy()
    lever("SHEEN", 3.0)
    on = layers.head_layers(dark, PPU).spec
    x, y = g.to_px(0.0, -0.6)  # the forehead
    assert on[int(y), int(x)] > off[int(y), int(x)] + 0.1
    x, y = g.to_px(0.55, dark.nose_v)  # a cheek, beside the nose
    assert abs(on[int(y), int(x)] - off[int(y), int(x)]) < 0.02


def test_a_negative_factor_is_an_error(lever):
    dark, _ = _darkest_and_lightest(4)
    lever("LASH", -1.5)  # -1 is the least: no lash line on the darkest skin
    with pytest.raises(ValueError, match="LASH"):
        dark_skin.lash_gain(dark)
