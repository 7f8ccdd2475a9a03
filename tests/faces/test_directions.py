"""sim.faces.directions: named per-person deformations, off by default."""

import dataclasses

import numpy as np
import pytest

from sim.faces import directions as dr
from sim.faces import layers, make_identity, relative
from sim.faces.geometry import Grid

PPU = 60.0


@pytest.fixture
def sd(monkeypatch):
    """Set ``directions.SD`` (and ``SPARE_DETECTION``) for one test; sprites re-rendered."""
    def set_(values: dict, spare: bool = False):
        monkeypatch.setattr(dr, "SD", dict(values))
        monkeypatch.setattr(dr, "SPARE_DETECTION", spare)
        layers.head_layers.cache_clear()
    yield set_
    layers.head_layers.cache_clear()


def test_off_by_default_no_field_and_the_same_sprite():
    idt = make_identity((31, 2))
    assert dr.SD == {} and not dr.SPARE_DETECTION
    assert dr.displacement(Grid.make(20.0), idt) is None


def test_a_zero_amplitude_renders_the_pixels_of_no_direction(sd):
    idt = make_identity((31, 3))
    sd({})
    off = layers.head_layers(idt, PPU).albedo.copy()
    sd({"eyes_apart": 0.0})
    assert np.array_equal(layers.head_layers(idt, PPU).albedo, off)
    sd({"eyes_apart": 0.06})
    assert not np.array_equal(layers.head_layers(idt, PPU).albedo, off)


def test_a_mistyped_direction_or_negative_amplitude_is_an_error(sd):
    sd({"eyes_apartt": 0.06})
    with pytest.raises(ValueError, match="eyes_apartt"):
        dr.displacement(Grid.make(20.0), make_identity((31, 4)))
    with pytest.raises(ValueError, match=">= 0"):
        dr.check({"eyes_up": -0.01})


def test_seventeen_named_directions_each_with_a_peak_of_one_face_unit():
    assert len(dr.NAMES) == 17 and set(dr.BEST) <= set(dr.NAMES)
    g, idt = Grid.make(100.0), make_identity((31, 5))
    for name in dr.NAMES:
        dx, dy = dr._one(g, idt, name)
        assert np.hypot(dx, dy).max() == pytest.approx(1.0, abs=0.03), name
        # Mirrored: the field on the left is the right one's mirror image.
        assert np.allclose(dx[:, ::-1], -dx, atol=2e-2) or name == "eye_skew", name


def test_coefficients_standard_normal_clipped_and_independent_of_which_are_on(sd):
    z = np.stack([dr.coefficients(make_identity((32, i))) for i in range(300)])
    assert z.shape == (300, 17)
    assert abs(z.mean()) < 0.05 and 0.9 < z.std() < 1.05
    assert np.abs(z).max() <= dr.BOUND
    idt = make_identity((32, 7))
    sd({"eye_tilt": 0.06})
    assert np.array_equal(dr.coefficients(idt), z[7])


def test_a_twin_shares_most_of_the_draw_and_ageing_keeps_it():
    pairs = []
    for i in range(60):
        a = make_identity((33, i))
        pairs.append((dr.coefficients(a), dr.coefficients(relative(a, (33, 1000 + i), "twin"))))
    a, b = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    assert np.corrcoef(a, b)[0, 1] > 0.8
    idt = make_identity((33, 1))
    older = dataclasses.replace(idt, drift=8.0)
    assert np.array_equal(dr.coefficients(idt), dr.coefficients(older))


def _landmarks(idt, sign: float, name: str, sd):
    """Sprite landmarks with ``name``'s draw forced to ``sign`` (coefficient +-1)."""
    k = dr.NAMES.index(name)
    z = dr.coefficients(idt)[k]
    sd({name: 0.05})
    lm_on = layers.head_layers(idt, PPU).landmarks[:, :2].copy()
    sd({})
    lm_off = layers.head_layers(idt, PPU).landmarks[:, :2]
    return (lm_on - lm_off) * np.sign(z) * sign / PPU, abs(z)


@pytest.mark.parametrize("name, point, axis, direction", [
    ("eyes_apart", 1, 0, 1), ("eyes_apart", 0, 0, -1), ("eyes_up", 0, 1, -1),
    ("nose_tip_up", 2, 1, -1), ("mouth_width", 4, 0, 1), ("mouth_up", 3, 1, -1)])
def test_each_direction_moves_its_feature_and_the_landmarks_follow(sd, name, point, axis,
                                                                  direction):
    idt = make_identity((34, 3))
    moved, z = _landmarks(idt, 1.0, name, sd)
    # Peak displacement 0.05 x |z| face units at the feature's centre; the random warp has
    # moved the feature a little off the bump's centre, where the bump is lower.
    assert 0.5 * 0.05 * z < direction * moved[point, axis] < 1.1 * 0.05 * z



def test_draw_scale_is_one_unless_detection_is_spared(sd):
    idt = make_identity((35, 1))
    assert dr.draw_scale(idt) == 1.0
    sd({"eyes_up": 0.06}, spare=True)
    assert 0.0 <= dr.draw_scale(idt) <= 1.0


@pytest.fixture
def mean(monkeypatch):
    """Set ``directions.MEAN`` (everyone's shared offset) for one test; sprites re-rendered."""
    def set_(values: dict):
        monkeypatch.setattr(dr, "MEAN", dict(values))
        layers.head_layers.cache_clear()
    yield set_
    layers.head_layers.cache_clear()


def test_no_shared_offset_by_default_and_a_mistyped_or_non_finite_one_is_an_error(mean):
    assert dr.MEAN == {}
    mean({"eyes_upp": -0.03})
    with pytest.raises(ValueError, match="MEAN: no direction 'eyes_upp'"):
        dr.displacement(Grid.make(20.0), make_identity((36, 1)))
    with pytest.raises(ValueError, match="finite"):
        dr.check({}, {"eyes_up": float("nan")})
    dr.check({}, dict(dr.HOG_FRIENDLY))  # signed: negative offsets are the point


def test_the_shared_offset_moves_everyone_the_same_way_whatever_their_draw(mean):
    # Eyes lower by 0.03 face units for everyone, people whose own coefficient points up
    # as well as down: the eye landmarks go down by about the offset.
    k = dr.NAMES.index("eyes_up")
    signs = set()
    for i in range(6):
        idt = make_identity((36, 10 + i))
        signs.add(np.sign(dr.coefficients(idt)[k]))
        mean({})
        off = layers.head_layers(idt, PPU).landmarks[:, :2].copy()
        mean({"eyes_up": -0.03})
        on = layers.head_layers(idt, PPU).landmarks[:, :2]
        down = (on - off)[:2, 1] / PPU  # both eyes, image y grows downwards
        assert np.all((0.5 * 0.03 < down) & (down < 1.1 * 0.03)), (i, down)
    assert signs == {-1.0, 1.0}


def test_the_draw_is_about_the_new_mean_and_sparing_never_scales_the_offset(sd, mean):
    g, idt = Grid.make(40.0), make_identity((36, 2))
    mean(dr.HOG_FRIENDLY)
    sd({})
    shared = dr.displacement(g, idt)
    assert shared is not None
    # A share of 0 (a person the sparing model protects) keeps the offset, drops the draw.
    sd(dr.BEST)
    for a, b in zip(dr.displacement(g, idt, scale=0.0), shared):
        assert np.array_equal(a, b)
    both = dr.displacement(g, idt)
    mean({})
    own = dr.displacement(g, idt)
    for total, s, o in zip(both, shared, own):
        assert np.allclose(total, s + o, atol=1e-12)
