"""How close a person's captures come to dlib HOG's threshold, and how much of their named-
direction draw (:mod:`sim.faces.directions`) they can take without crossing it.

``sim`` calls no detector: the risk is predicted from the identity's own parameters by a
linear model fitted offline on tune seeds with the detector
(:mod:`experiments.direction_risk_fit`, through ``python -m experiments.face_directions
fit``). Its coefficients are data, ``detection_risk.json`` beside this module:

- ``margin``: the mean HOG score of the person's captures (photo and live) with no draw,
  from skin luminance, sex, age, the eyes' and brows' shape, hair and facial hair (a weak
  predictor: leave-one-out r 0.32 on the fitting seed);
- ``cost``: how much a full draw lowers the person's HOG scores, per face unit of each
  direction's displacement (``|coefficient| x SD``);
- ``floor``: the predicted mean score the draw may bring a person down to.

A person keeps the share ``(margin - floor) / cost`` of their draw, between 0 and 1.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from sim.faces.identity import BEARD_STYLES, HAIR_STYLES, Identity

MODEL_FILE = Path(__file__).with_name("detection_risk.json")
FEATURES: tuple[str, ...] = (
    "skin_luma", "male", "age", "eye_open", "eye_width", "brow_gap", "brow_thickness",
    "brow_density", "hair_volume", "fringe", "hairline_v",
    *(f"hair_{s}" for s in HAIR_STYLES[1:]), *(f"beard_{s}" for s in BEARD_STYLES[1:]))


def features(idt: Identity) -> np.ndarray:
    """The identity's parameters the model reads, in ``FEATURES`` order."""
    b, g, r = idt.skin_bgr
    named = {"skin_luma": 0.114 * b + 0.587 * g + 0.299 * r,
             "male": float(idt.sex_presentation == "male"), "age": idt.age,
             **{f"hair_{s}": float(idt.hair_style == s) for s in HAIR_STYLES[1:]},
             **{f"beard_{s}": float(idt.beard_style == s) for s in BEARD_STYLES[1:]}}
    return np.array([named[k] if k in named else getattr(idt, k) for k in FEATURES])


class RiskModel(BaseModel):
    """The fitted model (see the module docstring); ``fitted_on`` says where from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    margin_intercept: float
    margin_weights: tuple[float, ...]
    cost: dict[str, float]
    floor: float
    fitted_on: str = ""

    @field_validator("features")
    @classmethod
    def _known(cls, v):
        if tuple(v) != FEATURES:
            raise ValueError(f"expected the features {FEATURES}, got {tuple(v)}")
        return v

    @model_validator(mode="after")
    def _shapes(self):
        n = len(self.features)
        for name in ("mean", "scale", "margin_weights"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name}: expected {n} values, got {len(getattr(self, name))}")
        if min(self.scale) <= 0:
            raise ValueError("scale: must be > 0")
        from sim.faces.directions import check
        check({k: abs(v) for k, v in self.cost.items()})
        return self

    def margin(self, idt: Identity) -> float:
        x = (features(idt) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(self.margin_intercept + x @ np.asarray(self.margin_weights))

    def draw_cost(self, idt: Identity, sd: dict[str, float]) -> float:
        from sim.faces.directions import NAMES, coefficients
        z = coefficients(idt)
        return float(sum(self.cost.get(n, 0.0) * sd.get(n, 0.0) * abs(z[k])
                         for k, n in enumerate(NAMES)))

    def share(self, idt: Identity, sd: dict[str, float]) -> float:
        cost = self.draw_cost(idt, sd)
        if cost <= 0:
            return 1.0
        return float(np.clip((self.margin(idt) - self.floor) / cost, 0.0, 1.0))


@lru_cache(maxsize=1)
def model() -> RiskModel:
    """The shipped model (``MODEL_FILE``), validated."""
    try:
        return RiskModel(**json.loads(MODEL_FILE.read_text()))
    except (OSError, ValueError) as e:
        raise ValueError(f"{MODEL_FILE}: {e}") from e


def allowed_share(idt: Identity) -> float:
    """The share of the identity's draw under the shipped amplitudes (``directions.SD``)."""
    from sim.faces import directions
    return model().share(idt, directions.SD)
