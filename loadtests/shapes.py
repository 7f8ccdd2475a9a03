"""Locust ``LoadTestShape`` classes whose profile is data (Locust's
``examples/custom_shape/stages.py``): the stages come from a :class:`~loadtests.plan.LoadPlan`.

Importing this module imports Locust (and with it gevent's monkey-patching): only the locustfile
does.
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.plan import Stage, stage_at


class StagesShape(LoadTestShape):
    """Runs ``stages`` (end time s, users, spawn rate users/s) in order. After the last, holds
    its users (they send nothing new) until :meth:`drained` says every request is answered and
    reported, for at most ``drain_s``; then stops the test."""

    abstract = True
    stages: tuple[Stage, ...] = ()
    drain_s: float = 0.0

    def drained(self) -> bool:
        return True

    def tick(self):
        t = self.get_run_time()
        now = stage_at(self.stages, t)
        if now is not None or not self.stages:
            return now
        end, users, spawn_rate = self.stages[-1]
        if t < end + self.drain_s and not self.drained():
            return users, spawn_rate
        return None

