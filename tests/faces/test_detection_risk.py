"""sim.faces.detection_risk and its fitting script (experiments.direction_risk_fit)."""

import numpy as np
import pytest

from experiments.direction_risk_fit import fit
from sim.faces import directions as dr
from sim.faces import make_identity
from sim.faces.detection_risk import FEATURES, RiskModel, features, model

SD = {"eyes_up": 0.06, "cheek_width": 0.06}


def _model(**kw) -> RiskModel:
    n = len(FEATURES)
    base = dict(features=FEATURES, mean=[0.0] * n, scale=[1.0] * n, margin_intercept=1.0,
                margin_weights=[0.0] * n, change_intercept=0.0, change={"eyes_up": -2.0},
                floor=0.2)
    return RiskModel(**{**base, **kw})


def test_the_shipped_model_loads_and_reads_every_feature():
    m = model()
    assert m.features == FEATURES and len(m.margin_weights) == len(FEATURES)
    x = features(make_identity((41, 1)))
    assert x.shape == (len(FEATURES),) and np.isfinite(x).all()


def test_share_is_margin_above_the_floor_over_what_the_draw_costs():
    ids = [make_identity((41, i)) for i in range(40)]
    z = np.array([dr.coefficients(i)[dr.NAMES.index("eyes_up")] for i in ids])
    m = _model()
    up = ids[int(np.argmax(z))]  # eyes up: HOG's score falls
    down = ids[int(np.argmin(z))]  # eyes down: it rises, the draw is kept whole
    assert m.draw_change(up, SD) == pytest.approx(-2.0 * 0.06 * z.max())
    assert m.share(up, SD) == pytest.approx(min(1.0, 0.8 / (0.12 * z.max())))
    assert m.share(down, SD) == 1.0
    assert _model(margin_intercept=0.1).share(up, SD) == 0.0  # below the floor: no draw
    assert _model(change={}).share(up, SD) == 1.0  # a free draw is kept whole
    assert m.draw_change(up, {}) == 0.0


def test_the_share_is_the_same_on_the_photo_and_at_the_gate():
    from sim.faces import ChangeSettings, draw_change, enrolment_identity

    for i in range(20):
        idt = make_identity((43, i))
        then = enrolment_identity(idt, draw_change(np.random.default_rng(i), idt,
                                                   ChangeSettings(hairstyle_p=1.0, facial_hair_p=1.0)))
        assert np.array_equal(features(then), features(idt))


def test_a_model_for_other_features_or_directions_is_refused():
    with pytest.raises(ValueError, match="features"):
        _model(features=FEATURES[:-1])
    with pytest.raises(ValueError, match="no direction"):
        _model(change={"eyes_upp": 1.0})
    with pytest.raises(ValueError, match="scale"):
        _model(scale=[0.0] * len(FEATURES))


def _runs(n: int, rng):
    """A base and a full-draw run whose HOG margins follow skin luminance and whose draw's
    change follows the eyes' height only (up: lower scores)."""
    ids = [make_identity((42, i)) for i in range(n)]
    params = np.stack([features(i) for i in ids])
    coef = np.stack([dr.coefficients(i) for i in ids])
    luma = params[:, FEATURES.index("skin_luma")]
    ident = np.repeat(np.arange(n), 5)
    base_hog = (2.0 * luma)[ident] + rng.normal(0, 0.01, len(ident))
    lost = (3.0 * 0.06 * coef[:, dr.NAMES.index("eyes_up")])[ident]
    common = {"ident": ident, "kin_of": -np.ones(n, int), "params": params, "coef": coef}
    return {**common, "hog": base_hog}, {**common, "hog": base_hog - lost}


def test_the_fit_finds_which_parameter_sets_the_margin_and_which_direction_costs():
    base, full = _runs(120, np.random.default_rng(0))
    m = RiskModel(**fit([(base, full)], SD))
    w = np.abs(np.asarray(m.margin_weights))
    assert np.argmax(w) == FEATURES.index("skin_luma")
    assert m.change["eyes_up"] == pytest.approx(-3.0, rel=0.05)
    assert abs(m.change["cheek_width"]) < 0.1 and abs(m.change_intercept) < 0.01
    # The floor keeps KEEP of the draw on average.
    ids = [make_identity((42, i)) for i in range(120)]
    assert np.mean([m.share(i, SD) for i in ids]) == pytest.approx(0.75, abs=0.02)
