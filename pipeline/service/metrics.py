"""Prometheus metrics of one service instance, in its own registry (so several apps in one
process, as in tests, never collide), and the ASGI middleware that counts every request.

Stage names: ``decode`` (bytes to pixels), ``queue`` (waiting for a batch), ``detect``,
``align``, ``embed`` (the batch's model call), ``match`` (scoring against templates).
Other routers (danger detection) add their own stages to the same histogram.
"""

from __future__ import annotations

import time

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)

from pipeline.service.asgi import ResponseStatus

# Latency buckets from 1 ms to 10 s: a dlib face takes ~0.1 s, a queued burst several seconds.
_LATENCY_BUCKETS = (.001, .0025, .005, .01, .025, .05, .075, .1, .15, .2, .3, .5, .75, 1.0,
                    1.5, 2.5, 5.0, 10.0)


class ServiceMetrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("airtwin_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.request_seconds = Histogram("airtwin_request_seconds", "HTTP request latency",
                                         ["route"], buckets=_LATENCY_BUCKETS, registry=r)
        self.stage_seconds = Histogram("airtwin_stage_seconds", "Latency per pipeline stage",
                                       ["stage"], buckets=_LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram("airtwin_batch_size", "Requests per model batch",
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=r)
        self.queue_depth = Gauge("airtwin_queue_depth", "Requests waiting for the model",
                                 registry=r)
        self.rejected = Counter("airtwin_rejected", "Requests refused before the model",
                                ["reason"], registry=r)
        self.templates = Gauge("airtwin_templates", "Enrolled templates held", registry=r)
        self.purged = Counter("airtwin_templates_purged",
                              "Templates dropped after the retention period", registry=r)
        self.outcomes = Counter("airtwin_outcomes", "Recognition outcomes by route",
                                ["route", "outcome"], registry=r)

    def observe_stages(self, **seconds: float) -> None:
        for stage, s in seconds.items():
            self.stage_seconds.labels(stage).observe(s)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RequestMetricsMiddleware:
    """Counts requests by route template (``/v1/verify``, not the raw path, so ids and probes
    of unknown URLs do not blow up label cardinality) and status."""

    def __init__(self, app, metrics: ServiceMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        sent = ResponseStatus(send)
        try:
            await self.app(scope, receive, sent)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(name, scope["method"], str(sent.status)).inc()
            self.metrics.request_seconds.labels(name).observe(time.perf_counter() - start)
