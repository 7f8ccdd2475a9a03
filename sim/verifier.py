"""The e-gate's recognition step, as the terminal model sees it.

The model asks a :class:`GateVerifier` whether the traveler standing in an e-gate is who their
passport says. ``profile`` mode (:class:`ProfileVerifier`) draws the outcome and the time from a
measured or configured profile; ``live`` mode, added by the pipeline, renders the capture and runs
the real recognizer behind the same Protocol. The model never imports the pipeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.distributions import UNIT, SampleStream
from sim.scenario import RecognizerProfile

if TYPE_CHECKING:
    from sim.travelers import Traveler


class GateOutcome(str, Enum):
    passed = "pass"
    rejected = "reject"  # face did not match the passport chip: referred to a desk
    failure_to_acquire = "fta"  # no usable face captured: referred to a desk


@dataclass(frozen=True, slots=True)
class GateDecision:
    outcome: GateOutcome
    duration_s: float  # time the recognition adds to the gate's mechanical transaction time
    score: float = math.nan  # similarity score, where a real matcher produced one


class GateVerifier(Protocol):
    def verify(self, traveler: "Traveler", capture_time: float) -> GateDecision: ...


class ProfileVerifier:
    """Outcomes and latencies drawn from a :class:`RecognizerProfile` (genuine travelers only)."""

    def __init__(self, profile: RecognizerProfile, rng: np.random.Generator):
        self._profile = profile
        self._latency = SampleStream(profile.latency, rng)
        self._u = SampleStream(UNIT, rng)

    def verify(self, traveler, capture_time: float) -> GateDecision:
        p = self._profile
        u = self._u()
        if u < p.fta_rate:
            outcome = GateOutcome.failure_to_acquire
        elif u < p.fta_rate + (1 - p.fta_rate) * p.fnmr:
            outcome = GateOutcome.rejected
        else:
            outcome = GateOutcome.passed
        return GateDecision(outcome, self._latency())
