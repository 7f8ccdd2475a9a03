"""Small validated distributions used by scenarios (times in seconds, speeds in m/s).

Each is a frozen pydantic model with ``dist`` as its tag, a ``mean`` and
``sample(rng, size=None)``. Lognormal and gamma are parametrised by the mean and standard
deviation of the variable itself (what a planner reads off a time study), not of its log.

YAML form: ``{dist: lognormal, mean: 13, sd: 3}``; a bare number means ``fixed``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Triangular",
    "Uniform",
    "SampleStream",
    "UNIT",
]


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | None = None):
        raise NotImplementedError  # pragma: no cover


class Fixed(_Dist):
    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng, size=None):
        return self.value if size is None else np.full(size, self.value)


class _ByMean(_Dist):
    """A distribution given by its mean (YAML key ``mean``)."""

    mean_: float = Field(gt=0, alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_


class Exponential(_ByMean):
    dist: Literal["exponential"]

    def sample(self, rng, size=None):
        return rng.exponential(self.mean_, size)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError(f"high must be >= low, got low={self.low}, high={self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng, size=None):
        return rng.uniform(self.low, self.high, size)


class Lognormal(_ByMean):
    dist: Literal["lognormal"]
    sd: float = Field(ge=0)

    def _log_params(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng, size=None):
        mu, sigma = self._log_params()
        return rng.lognormal(mu, sigma, size)


class Gamma(_ByMean):
    dist: Literal["gamma"]
    sd: float = Field(gt=0)

    def sample(self, rng, size=None):
        shape = (self.mean_ / self.sd) ** 2
        return rng.gamma(shape, self.sd**2 / self.mean_, size)


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(
                f"need low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng, size=None):
        return rng.triangular(self.low, self.mode, self.high, size)


class Empirical(_Dist):
    """Draws one of ``values`` with probability proportional to ``weights`` (equal if omitted)."""

    dist: Literal["empirical"]
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self):
        if any(v < 0 for v in self.values):
            raise ValueError("values must be >= 0")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries, values has {len(self.values)}"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 with a positive sum")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self._p(), self.values))

    def sample(self, rng, size=None):
        return rng.choice(np.asarray(self.values, float), size=size, p=self._p())


def _number_is_fixed(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Union[Fixed, Exponential, Uniform, Lognormal, Gamma, Triangular, Empirical],
    BeforeValidator(_number_is_fixed),
    Field(discriminator="dist"),
]


UNIT = Uniform(dist="uniform", low=0.0, high=1.0)


class SampleStream:
    """Hands out scalar draws of one distribution, sampled in vectorised blocks.

    A per-call ``rng.lognormal()`` costs about a microsecond of Python overhead; the terminal
    model draws several values per traveler, so blocks keep sampling off the event hot path.
    """

    __slots__ = ("_dist", "_rng", "_block", "_buf", "_i")

    def __init__(self, dist: _Dist, rng: np.random.Generator, block: int = 4096):
        self._dist, self._rng, self._block = dist, rng, block
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = np.asarray(self._dist.sample(self._rng, self._block), float).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value
