"""Locust ``LoadTestShape`` classes whose profile is data (Locust's
``examples/custom_shape/stages.py``): the stages come from a :class:`~loadtests.plan.LoadPlan`.

Importing this module imports Locust (and with it gevent's monkey-patching): only the locustfile
does.
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.plan import Stage, stage_at


class StagesShape(LoadTestShape):
    """Runs ``stages`` (end time s, users, spawn rate users/s) in order; stops after the last."""

    abstract = True
    stages: tuple[Stage, ...] = ()

    def tick(self):
        return stage_at(self.stages, self.get_run_time())

