"""sim.faces.layers.NECK_SHADE: the jaw's shadow on the neck, which outlines the chin."""

import numpy as np
import pytest

from sim.faces import layers, make_identity

PPU = 24.0


@pytest.fixture
def neck(monkeypatch):
    def set_(value: float):
        monkeypatch.setattr(layers, "NECK_SHADE", value)
        layers.head_layers.cache_clear()
    layers.head_layers.cache_clear()
    yield set_
    layers.head_layers.cache_clear()


def test_a_deeper_shade_darkens_the_neck_under_the_chin_and_not_the_face(neck):
    assert layers.NECK_SHADE == 0.55
    idt = make_identity((43, 1))
    neck(0.55)
    lay = layers.head_layers(idt, PPU)
    g, shipped = lay.grid, lay.albedo.copy()
    neck(0.15)
    deeper = layers.head_layers(idt, PPU).albedo
    x, y = g.to_px(0.0, idt.chin_v + 0.12)  # the neck, just under the chin
    assert deeper[int(y), int(x)].sum() < 0.8 * shipped[int(y), int(x)].sum()
    x, y = g.to_px(0.0, idt.nose_v)  # the face
    assert np.array_equal(deeper[int(y), int(x)], shipped[int(y), int(x)])
