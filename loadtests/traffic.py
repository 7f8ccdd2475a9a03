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
import zlib
from pathlib import Path

import gevent
import gevent.lock
from locust import HttpUser
from locust.runners import MasterRunner, WorkerRunner

from loadtests.payloads import PayloadPack, PayloadPicker
from outputs.atomic import write_parquet, write_with
from loadtests.plan import KINDS, LoadPlan, Schedule, arrival_schedule, camera_schedule

PATHS = {"verify": "/v1/verify", "identify": "/v1/identify", "analyze": "/v1/analyze",
         "cctv": "/v1/cctv/frame", "corrupt": "/v1/verify"}
NAMES = {**PATHS, "corrupt": "/v1/verify [corrupt jpeg]"}
LOG_COLUMNS = ("t_sched", "t_start", "latency_ms", "service_ms", "name", "endpoint",
               "expected_error", "ok", "status", "node")
LOG_KEY = "airtwin_requests"  # the key of the request rows in Locust's worker reports
DRAIN_MARGIN_S = 8.0  # past the client timeout: two worker report intervals (3 s) and some


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


class CameraClips:
    """The CCTV side: each camera is an ordered stream (the analyze endpoint tracks people
    across a camera's frames and refuses one older than the last), so this process sends each
    of its cameras' clip in order, looping, with timestamps that only grow, and keeps at most
    one frame of a camera in flight. An arrival for a busy camera waits, and in the open loop
    that wait is charged to its latency like any late start.

    With several load processes, worker w owns the cameras whose index modulo the worker count
    is w, so no camera gets frames from two processes.
    """

    def __init__(self, frames: list[tuple[str, float, bytes]], worker_index: int = 0,
                 workers: int = 0, only: frozenset[str] | None = None):
        by_camera: dict[str, list[tuple[float, bytes]]] = {}
        for cam, t, jpeg in frames:
            if only is None or cam in only:
                by_camera.setdefault(cam, []).append((t, jpeg))
        cams = sorted(by_camera)
        self.owned = [c for i, c in enumerate(cams) if workers <= 1 or i % workers == worker_index]
        self.clips = {c: sorted(by_camera[c], key=lambda f: f[0]) for c in self.owned}
        self.sent = {c: 0 for c in self.owned}
        self.locks = {c: gevent.lock.Semaphore() for c in self.owned}
        self._turn = itertools.cycle(self.owned) if self.owned else None

    @staticmethod
    def frame_step(clip: list[tuple[float, bytes]]) -> float:
        return clip[1][0] - clip[0][0] if len(clip) > 1 else 0.1

    def next_camera(self) -> str:
        if self._turn is None:
            raise RuntimeError("this load process owns no camera (more workers than cameras)")
        return next(self._turn)

    def next_frame(self, camera: str) -> tuple[float, bytes]:
        """The camera's next frame and its timestamp: the clip's start plus one frame step per
        frame sent (the runner primed the stream at the clip's start)."""
        clip, n = self.clips[camera], self.sent[camera]
        self.sent[camera] = n + 1
        return clip[0][0] + (n + 1) * self.frame_step(clip), clip[n % len(clip)][1]


class CameraStreams:
    """The open loop's face cameras: each camera's due frames (:func:`camera_schedule`), taken by
    the one :class:`CameraStream` user that claimed the camera."""

    def __init__(self, plan: LoadPlan, origin: float):
        self.origin = origin
        self.due = {c: camera_schedule(plan, c) for c in sorted(plan.cameras)}
        self.next = {c: 0 for c in self.due}
        self.unclaimed = list(self.due)

    def claim(self) -> str | None:
        return self.unclaimed.pop(0) if self.unclaimed else None

    def take(self, camera: str) -> float | None:
        i = self.next[camera]
        if i >= len(self.due[camera]):
            return None
        self.next[camera] = i + 1
        return self.origin + float(self.due[camera][i])

    def pending(self) -> int:
        return sum(len(d) - self.next[c] for c, d in self.due.items())


class RequestLog:
    """One row per request (LOG_COLUMNS), times in s from this process's load origin.

    Workers ship their rows, and how many requests they have sent and still have in flight,
    inside Locust's own worker reports, so the master holds a row for exactly the requests
    whose statistics it holds. After the last step the shape keeps the users (sending nothing
    new) until :meth:`drained`: every request answered and reported. The master, or a lone
    process, then writes the rows and a final snapshot of Locust's stats CSVs (Locust's own
    writer runs once a second and can miss the last second).
    """

    def __init__(self, plan: LoadPlan, frames: list[tuple[str, float, bytes]] = ()):
        self.plan, self.frames = plan, list(frames)
        self.rows, self.origin, self.node = [], None, "local"
        self.sent = self.in_flight = 0
        self.arrivals: Arrivals | None = None
        self.cameras: CameraClips | None = None  # /v1/analyze: every camera of the pack
        self.face_clips: CameraClips | None = None  # /v1/cctv/frame: the plan's face cameras
        self.streams: CameraStreams | None = None  # open loop: each face camera's due frames
        self.workers: dict[str, dict] = {}  # master: the latest state each worker reported
        self.is_master = False

    def attach(self, environment) -> None:
        ev = environment.events
        ev.test_start.add_listener(self._on_test_start)
        ev.request.add_listener(self._on_request)
        ev.report_to_master.add_listener(self._ship)
        ev.worker_report.add_listener(self._receive)
        ev.quitting.add_listener(self._on_quitting)

    # --- this process ---------------------------------------------------------------------
    def _on_test_start(self, environment, **_):
        self.origin = time.time() + self.plan.lead_s
        runner = environment.runner
        self.is_master = isinstance(runner, MasterRunner)
        if isinstance(runner, WorkerRunner):
            self.node = f"worker-{runner.worker_index}"
        if self.is_master:
            return
        index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        self.cameras = CameraClips(self.frames, index, self.plan.workers)
        self.face_clips = CameraClips(self.frames, index, self.plan.workers,
                                      only=frozenset(self.plan.cameras))
        if self.plan.mode == "open":
            self.arrivals = Arrivals(arrival_schedule(self.plan, index, self.plan.workers),
                                     self.origin)
            if self.plan.camera_users:
                self.streams = CameraStreams(self.plan, self.origin)

    def past_end(self) -> bool:
        return self.origin is not None and time.time() >= self.origin + self.plan.duration_s

    def state(self) -> dict:
        pending = 0 if self.arrivals is None else len(self.arrivals.t) - self.arrivals.next
        pending += 0 if self.streams is None else self.streams.pending()
        return {"sent": self.sent, "in_flight": self.in_flight, "pending": pending,
                "past_end": self.past_end()}

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

    # --- workers to master ----------------------------------------------------------------
    def _ship(self, client_id, data):
        data[LOG_KEY], self.rows = self.rows, []
        data[LOG_KEY + "_state"] = self.state()

    def _receive(self, client_id, data):
        self.rows.extend(tuple(r) for r in data.get(LOG_KEY, ()))
        if LOG_KEY + "_state" in data:
            self.workers[client_id] = data[LOG_KEY + "_state"]

    def drained(self) -> bool:
        """Past the end everywhere, nothing due or in flight, every request's row here."""
        if not self.is_master:
            s = self.state()
            return s["past_end"] and not s["in_flight"] and not s["pending"] and \
                len(self.rows) == self.sent
        states = list(self.workers.values())
        return (len(states) >= self.plan.workers
                and all(s["past_end"] and not s["in_flight"] and not s["pending"] for s in states)
                and len(self.rows) == sum(s["sent"] for s in states))

    # --- the end --------------------------------------------------------------------------
    def _on_quitting(self, environment, **_):
        if isinstance(environment.runner, WorkerRunner) or not self.plan.log_path:
            return
        import pandas as pd

        df = pd.DataFrame.from_records(self.rows, columns=list(LOG_COLUMNS))
        write_parquet(Path(self.plan.log_path), df)
        prefix = getattr(environment.parsed_options, "csv_prefix", None)
        if prefix:
            write_final_csvs(environment, prefix)


def write_final_csvs(environment, prefix: str) -> None:
    """Locust's stats, failures and exceptions CSVs as they stand now (the test is over)."""
    import csv

    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, method in (("stats", writer.requests_csv), ("failures", writer.failures_csv),
                           ("exceptions", writer.exceptions_csv)):
        def write(tmp, method=method):
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                method(csv.writer(fh))
        write_with(Path(f"{prefix}_{suffix}.csv"), write)


class AirtwinUser(HttpUser):
    """A user of the recognition service; subclasses say when it sends (closed or open loop)."""

    abstract = True
    plan: LoadPlan
    pack: PayloadPack
    log: RequestLog
    _serial = itertools.count()

    def on_start(self):
        serial = next(self._serial)
        self.pick = PayloadPicker(self.pack, seed=self.plan.seed * 100_003 + serial)
        if self.plan.replicas:  # spread the users over the replicas, round robin
            self.client.base_url = self.plan.replicas[serial % len(self.plan.replicas)]

    def camera_replica(self, camera_id: str) -> str:
        """The replica a camera's frames all go to (each replica tracks its own cameras); ""
        sends to this user's own host."""
        replicas = self.plan.replicas
        return replicas[zlib.crc32(camera_id.encode()) % len(replicas)] if replicas else ""

    # --- one method per kind of request -----------------------------------------------------
    def egate_verify(self, due: float | None = None):
        template_id, jpeg = self.pick.verify()
        self.send("verify", {"template_id": template_id}, jpeg, due)

    def watchlist_identify(self, due: float | None = None):
        self.send("identify", {"k": str(self.plan.top_k)}, self.pick.identify(), due)

    def cctv_analyze(self, due: float | None = None):
        cams = self.log.cameras
        camera_id = cams.next_camera()
        with cams.locks[camera_id]:  # one frame of a camera in flight: frames stay in order
            timestamp, jpeg = cams.next_frame(camera_id)
            self.send("analyze", {"camera_id": camera_id, "timestamp": f"{timestamp:.3f}"},
                      jpeg, due, self.camera_replica(camera_id))

    def cctv_frame(self, due: float | None = None, camera_id: str | None = None):
        """A face camera's next frame to the identification route (its tracks live in the
        service, so the camera's frames go in time order, one in flight)."""
        clips = self.log.face_clips
        camera_id = camera_id or clips.next_camera()
        with clips.locks[camera_id]:
            timestamp, jpeg = clips.next_frame(camera_id)
            self.send("cctv", {"camera_id": camera_id, "timestamp": f"{timestamp:.3f}"},
                      jpeg, due, self.camera_replica(camera_id))

    def corrupt_verify(self, due: float | None = None):
        template_id, bad = self.pick.corrupt()
        self.send("corrupt", {"template_id": template_id}, bad, due)

    def send_kind(self, kind: str, due: float | None = None):
        {"verify": self.egate_verify, "identify": self.watchlist_identify,
         "analyze": self.cctv_analyze, "cctv": self.cctv_frame,
         "corrupt": self.corrupt_verify}[kind](due)

    # --- open loop ----------------------------------------------------------------------------
    def next_arrival(self):
        """Take the next due arrival, sleep until it is due, send it. Past the schedule's end,
        idle until the shape stops the test."""
        arrival = self.log.arrivals.take()
        if arrival is None:
            gevent.sleep(0.25)  # the schedule is spent: idle until the shape stops the test
            return
        due, kind = arrival
        wait = due - time.time()
        if wait > 0:
            gevent.sleep(wait)
        self.send_kind(kind, due)

    def next_camera_frame(self):
        """A CameraStream user: claim one face camera (once), sleep until its next frame is
        due, send it. Frames go in order and one at a time, so a slow answer delays the next
        frame, and that delay is charged to it (latency from the due time)."""
        streams = self.log.streams
        if getattr(self, "camera", None) is None and streams is not None:
            self.camera = streams.claim()
        due = streams.take(self.camera) if getattr(self, "camera", None) else None
        if due is None:
            gevent.sleep(0.25)  # no camera left to claim, or its frames are spent
            return
        wait = due - time.time()
        if wait > 0:
            gevent.sleep(wait)
        self.cctv_frame(due, self.camera)

    # --- the one place a request is sent ------------------------------------------------------
    def send(self, kind: str, form: dict[str, str], jpeg: bytes, due: float | None,
             base: str = ""):
        if due is None and self.log.past_end():
            gevent.sleep(0.25)  # closed loop past its last step: send nothing new
            return
        start = time.time()
        due = start if due is None else due
        ctx = {"kind": kind, "due": due, "t_start": start}
        self.log.sent += 1
        self.log.in_flight += 1
        try:
            self._post(kind, form, jpeg, due, start, ctx, base)
        finally:
            self.log.in_flight -= 1

    def _post(self, kind, form, jpeg, due, start, ctx, base=""):
        # An absolute URL (base) overrides the user's host: Locust's session sends it as is.
        with self.client.post(base + PATHS[kind], name=NAMES[kind], data=form, context=ctx,
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
                problem = _cctv_problem(resp) if kind == "cctv" else None
                resp.failure(problem) if problem else resp.success()
            elif status == 0:
                resp.failure(f"no reply: {type(resp.error).__name__}")
            else:
                resp.failure(f"HTTP {status} {_error_code(resp)}")


def _cctv_problem(resp) -> str | None:
    """What is wrong with a 200 answer of /v1/cctv/frame, if anything: it must name the camera
    and carry its tracks, and every track named as someone must carry a score."""
    try:
        body = resp.json()
        tracks = body["tracks"]
        if not isinstance(tracks, list):
            return "cctv answer: tracks is not a list"
        if any(t.get("identity") is not None and t.get("score") is None for t in tracks):
            return "cctv answer: a named track without a score"
        if not {"faces_found", "searches", "latency_ms"} <= set(body):
            return "cctv answer: missing faces_found/searches/latency_ms"
    except Exception as exc:  # not the documented answer
        return f"cctv answer is not the documented JSON ({type(exc).__name__})"
    return None


def _error_code(resp) -> str:
    try:
        return str(resp.json().get("error", ""))
    except Exception:  # not JSON: the status says enough
        return ""
