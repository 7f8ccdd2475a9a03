"""How close a person's captures come to dlib HOG's threshold, and how much of their named-
direction draw (:mod:`sim.faces.directions`) they can take without crossing it.

``sim`` calls no detector: the risk is predicted from the identity's own parameters by a
linear model fitted offline on tune seeds with the detector
(:mod:`experiments.direction_risk_fit`, through ``python -m experiments.face_directions
fit``). Its coefficients are data, ``detection_risk.json`` beside this module:

- ``margin``: the mean HOG score of the person's captures (photo and live) with no draw,
  from skin luminance, sex, the eyes' width and the brows' density (a weak predictor);
- ``change``: how a full draw moves the person's mean HOG score: ``change_intercept`` plus,
  per direction, a weight per face unit of its signed displacement (``coefficient x SD``).
  The sign matters: eyes further apart or higher, the nose tip up and wider cheeks lower
  HOG's score, the other way raises it (tune seed 5100: r 0.62; on 6100, not fitted, 0.49;
  fitting on ``|coefficient|`` gave 0.44 in-sample);
- ``floor``: the predicted mean score the draw may bring a person down to.

A person whose draw is predicted to cost HOG (``change`` < 0) keeps the share
``(margin - floor) / -change`` of it, between 0 and 1; any other keeps all of it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from sim.faces.identity import Identity

MODEL_FILE = Path(__file__).with_name("detection_risk.json")
# Parameters neither the years nor a new haircut change, so that the enrolment photo and the
# gate show the same person with the same draw: hair, facial hair, age and the features that
# drift with age (lids, brow height and thickness) are left out. (A first model that read
# hair, beard and age gave photo and gate different shares: genuine -0.018 on seed 6100,
# against -0.009 with this one.)
FEATURES: tuple[str, ...] = ("skin_luma", "male", "eye_width", "brow_density")


def features(idt: Identity) -> np.ndarray:
    """The identity's parameters the model reads, in ``FEATURES`` order."""
    b, g, r = idt.skin_bgr
    named = {"skin_luma": 0.114 * b + 0.587 * g + 0.299 * r,
             "male": float(idt.sex_presentation == "male")}
    return np.array([named[k] if k in named else getattr(idt, k) for k in FEATURES])


class RiskModel(BaseModel):
    """The fitted model (see the module docstring); ``fitted_on`` says where from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    margin_intercept: float
    margin_weights: tuple[float, ...]
    change_intercept: float
    change: dict[str, float]
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
        check({k: abs(v) for k, v in self.change.items()})
        return self

    def margin(self, idt: Identity) -> float:
        x = (features(idt) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(self.margin_intercept + x @ np.asarray(self.margin_weights))

    def draw_change(self, idt: Identity, sd: dict[str, float]) -> float:
        """The predicted change of the person's mean HOG score under their full draw."""
        from sim.faces.directions import NAMES, coefficients
        if not any(v > 0 for v in sd.values()):
            return 0.0
        z = coefficients(idt)
        return float(self.change_intercept + sum(
            self.change.get(n, 0.0) * sd.get(n, 0.0) * z[k] for k, n in enumerate(NAMES)))

    def share(self, idt: Identity, sd: dict[str, float]) -> float:
        change = self.draw_change(idt, sd)
        if change >= 0:
            return 1.0
        return float(np.clip((self.margin(idt) - self.floor) / -change, 0.0, 1.0))


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
