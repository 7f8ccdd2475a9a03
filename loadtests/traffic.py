"""What the locustfile's users share: the requests each kind sends, the open-loop arrival
dispatcher, and the per-request log that the summary is computed from.

Every send goes through :meth:`AirtwinUser.send`: Locust's own client with ``name=`` and
``catch_response``; the time Locust records is stretched back to when the request was DUE (the
open-loop schedule), so Locust's statistics and ours both carry the wait of a late start.

Importing this module imports Locust (gevent monkey-patching): only the locustfile does.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import gevent
from locust import HttpUser
from locust.runners import MasterRunner, WorkerRunner

from loadtests.payloads import PayloadPack, PayloadPicker
from loadtests.plan import KINDS, LoadPlan, Schedule, arrival_schedule

PATHS = {"verify": "/v1/verify", "identify": "/v1/identify", "analyze": "/v1/analyze",
         "corrupt": "/v1/verify"}
NAMES = {"verify": "/v1/verify", "identify": "/v1/identify", "analyze": "/v1/analyze",
         "corrupt": "/v1/verify [corrupt jpeg]"}
LOG_COLUMNS = ("t_sched", "t_start", "latency_ms", "service_ms", "name", "endpoint",
               "expected_error", "ok", "status", "node")
LOG_KEY = "airtwin_requests"  # the key of the request rows in Locust's worker reports


def task_weights(plan: LoadPlan, scale: int = 1000) -> dict[str, int]:
    """Integer @task weights from the plan's mix (a kind with any share gets at least 1)."""
    total = sum(plan.mix.values())
    return {k: (max(1, round(scale * plan.mix.get(k, 0) / total)) if plan.mix.get(k, 0) > 0
                else 0) for k in KINDS}


class Arrivals:
    """The open-loop schedule of this load process, handed out in order to whichever user is
    free. gevent is cooperative, so taking the next index needs no lock."""

    def __init__(self, schedule: Schedule, origin: float):
        self.t, self.kind, self.origin, self.next = schedule.t, schedule.kind, origin, 0

    def take(self) -> tuple[float, str] | None:
        if self.next >= len(self.t):
            return None
        i, self.next = self.next, self.next + 1
        return self.origin + float(self.t[i]), KINDS[int(self.kind[i])]


class RequestLog:
    """One row per request (LOG_COLUMNS), times in s from this process's load origin. Workers
    ship their rows with each stats report; the master, or a lone process, writes them all."""

    def __init__(self, plan: LoadPlan):
        self.plan, self.rows, self.origin, self.node = plan, [], None, "local"

    def attach(self, environment) -> None:
        ev = environment.events
        ev.test_start.add_listener(self._on_test_start)
        ev.request.add_listener(self._on_request)
        ev.report_to_master.add_listener(self._ship)
        ev.worker_report.add_listener(self._receive)
        ev.quitting.add_listener(self._on_quitting)

    def _on_test_start(self, environment, **_):
        self.origin = time.time() + self.plan.lead_s
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            self.node = f"worker-{runner.worker_index}"
        if self.plan.mode == "open" and not isinstance(runner, MasterRunner):
            schedule = arrival_schedule(self.plan, max(runner.worker_index, 0)
                                        if isinstance(runner, WorkerRunner) else 0,
                                        self.plan.workers)
            environment.airtwin_arrivals = Arrivals(schedule, self.origin)

    def _on_request(self, name, response_time, exception, context=None, response=None, **_):
        ctx = context or {}
        if "kind" not in ctx or self.origin is None:
            return  # not one of ours (or before the test started)
        status = int(getattr(response, "status_code", 0) or 0)
        late_ms = (ctx["t_start"] - ctx["due"]) * 1000.0
        self.rows.append((ctx["due"] - self.origin, ctx["t_start"] - self.origin,
                          float(response_time), float(response_time) - late_ms, name,
                          ctx["kind"], ctx["kind"] == "corrupt", exception is None, status,
                          self.node))

    def _ship(self, client_id, data):
        data[LOG_KEY], self.rows = self.rows, []

    def _receive(self, client_id, data):
        self.rows.extend(tuple(r) for r in data.get(LOG_KEY, ()))

    def _on_quitting(self, environment, **_):
        if isinstance(environment.runner, WorkerRunner) or not self.plan.log_path:
            return
        import pandas as pd

        df = pd.DataFrame.from_records(self.rows, columns=list(LOG_COLUMNS))
        path = Path(self.plan.log_path)
        tmp = path.with_name(f".{path.name}.tmp")
        df.to_parquet(tmp, index=False)
        tmp.replace(path)


class AirtwinUser(HttpUser):
    """A user of the recognition service; subclasses say when it sends (closed or open loop)."""

    abstract = True
    plan: LoadPlan
    pack: PayloadPack
    _serial = itertools.count()

    def on_start(self):
        self.pick = PayloadPicker(self.pack, seed=self.plan.seed * 100_003 + next(self._serial))

    # --- one method per kind of request -----------------------------------------------------
    def egate_verify(self, due: float | None = None):
        template_id, jpeg = self.pick.verify()
        self.send("verify", {"template_id": template_id}, jpeg, due)

    def watchlist_identify(self, due: float | None = None):
        self.send("identify", {"k": str(self.plan.top_k)}, self.pick.identify(), due)

    def cctv_analyze(self, due: float | None = None):
        camera_id, t, jpeg = self.pick.analyze()
        self.send("analyze", {"camera_id": camera_id, "t": f"{t:.3f}"}, jpeg, due)

    def corrupt_verify(self, due: float | None = None):
        template_id, bad = self.pick.corrupt()
        self.send("corrupt", {"template_id": template_id}, bad, due)

    def send_kind(self, kind: str, due: float | None = None):
        {"verify": self.egate_verify, "identify": self.watchlist_identify,
         "analyze": self.cctv_analyze, "corrupt": self.corrupt_verify}[kind](due)

    # --- open loop ----------------------------------------------------------------------------
    def next_arrival(self):
        """Take the next due arrival, sleep until it is due, send it. Past the schedule's end,
        idle until the shape stops the test."""
        arrivals: Arrivals = self.environment.airtwin_arrivals
        arrival = arrivals.take()
        if arrival is None:
            gevent.sleep(max(arrivals.origin + self.plan.duration_s - time.time(), 0.5))
            return
        due, kind = arrival
        wait = due - time.time()
        if wait > 0:
            gevent.sleep(wait)
        self.send_kind(kind, due)

    # --- the one place a request is sent ------------------------------------------------------
    def send(self, kind: str, form: dict[str, str], jpeg: bytes, due: float | None):
        start = time.time()
        due = start if due is None else due
        ctx = {"kind": kind, "due": due, "t_start": start}
        with self.client.post(PATHS[kind], name=NAMES[kind], data=form, context=ctx,
                              files={"image": ("capture.jpg", jpeg, "image/jpeg")},
                              timeout=self.plan.timeout_s, catch_response=True) as resp:
            # Charge the wait of a late start: latency runs from when the request was due.
            resp.request_meta["response_time"] += (start - due) * 1000.0
            status = resp.status_code or 0
            if kind == "corrupt":
                # Deliberately bad: a 4xx is the right answer, and still an error to count.
                resp.failure(f"rejected as expected (HTTP {status})" if 400 <= status < 500
                             else f"expected a 4xx for a corrupt JPEG, got HTTP {status}")
            elif status == 200:
                resp.success()
            elif status == 0:
                resp.failure(f"no reply: {type(resp.error).__name__}")
            else:
                resp.failure(f"HTTP {status} {_error_code(resp)}")


def _error_code(resp) -> str:
    try:
        return str(resp.json().get("error", ""))
    except Exception:  # not JSON: the status says enough
        return ""
