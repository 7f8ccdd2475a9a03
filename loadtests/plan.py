"""Load profiles as data: a plan of steps and the open-loop arrival schedule it implies
(:mod:`loadtests.shapes` holds the Locust ``LoadTestShape`` that runs a plan).

Pure data and numpy: nothing here imports Locust, whose import monkey-patches the process
with gevent.

Four shapes, one :class:`LoadPlan` each:

- ``sweep``: steps of rising load. Given user counts it is a closed-loop concurrency sweep
  (Triton perf_analyzer's ``--concurrency-range``); given rates it is an open-loop rate sweep
  (MLPerf LoadGen's Server scenario, one rate per step).
- ``poisson``: open-loop Poisson arrivals at one target rate.
- ``replay``: open-loop arrivals following the request-rate curve of a simulated day
  (:mod:`loadtests.replay`), time-compressed.
- ``cameras``: a scenario's face cameras as CCTV identification streams
  (``POST /v1/cctv/frame``): every camera sends its frames at its own fps times the step's
  camera load (0.5, 1, 2: half, real time, twice), so the steps find how much camera demand one
  replica holds at the SLO.

Camera streams are periodic, not Poisson: in the open loop each face camera is one Locust user
(``CameraStream``) that sends its camera's frames in time order at ``fps x load`` frames/s, one
in flight; a frame due while the last is still out waits, and that wait counts as a late start
in its latency (:func:`camera_schedule`). The other kinds keep their Poisson arrivals.

Open loop, made real. Locust users are closed-loop: each sends, waits for the reply, sends again,
so a slow server slows the load and hides its own slowness (coordinated omission). Here the send
times are drawn before the run, independently of any reply (:func:`arrival_schedule`: a
non-homogeneous Poisson process, piecewise constant per step); a pool of users, much larger than
the requests in flight, takes the due arrivals in order, sleeps until each is due and sends it.
Latency is measured from the due time, not from the send, so a send that had to wait for a free
user is charged its wait; such late starts are counted. The pool is sized by Little's law with
room to spare (:func:`pool_size`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ENDPOINTS = ("verify", "identify", "analyze", "cctv")  # what the service is measured on
KINDS = (*ENDPOINTS, "corrupt")  # "corrupt": a deliberately bad payload (truncated JPEG)
SHAPES = ("sweep", "poisson", "replay", "cameras")
CAMERA_KIND = "cctv"  # the kind sent by per-camera streams (open loop: periodic, not Poisson)
LEAD_S = 2.0  # open loop: the pool spawns before the first arrival is due


class PlanError(ValueError):
    """A load plan that cannot run; the message names the setting and the rule."""


@dataclass(frozen=True)
class Step:
    """One window of the plan, on the load clock (s from the first due arrival).

    Closed loop: ``users`` users send back to back. Open loop: ``rates`` requests/s per kind.
    """

    start_s: float
    end_s: float
    users: int | None = None
    rates: dict[str, float] | None = None

    @property
    def target_rps(self) -> float | None:
        return None if self.rates is None else float(sum(self.rates.values()))


@dataclass(frozen=True)
class LoadPlan:
    shape: str
    mode: str  # "closed" | "open"
    steps: tuple[Step, ...]
    mix: dict[str, float]  # share of sends per kind (closed loop: the task weights)
    pack: str = ""  # payload pack folder (loadtests.payloads)
    seed: int = 0
    pool_users: int = 0  # open loop: users in the pool
    timeout_s: float = 10.0  # HTTP timeout of one request
    settle_s: float = 1.0  # the start of each step left out of its statistics
    workers: int = 0
    log_path: str = ""  # where the master (or the only process) writes requests.parquet
    compress: float | None = None  # replay: simulated seconds per load second
    top_k: int = 5
    # Replicas of one service (one shared template store): users are spread over these URLs,
    # each CCTV camera sticks to one. Empty: every user sends to Locust's --host.
    replicas: tuple[str, ...] = ()
    # Face cameras whose frames go to /v1/cctv/frame: camera id -> its fps (the share of a
    # step's cctv rate each camera sends). Open loop: one CameraStream user per camera.
    cameras: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise PlanError(f"shape: must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        if self.mode not in ("closed", "open"):
            raise PlanError(f"mode: must be closed or open, got {self.mode!r}")
        if not self.steps:
            raise PlanError("steps: the plan has no steps")
        unknown = set(self.mix) - set(KINDS)
        if unknown:
            raise PlanError(f"mix: unknown kinds {sorted(unknown)} (known: {', '.join(KINDS)})")
        if any(w < 0 for w in self.mix.values()) or sum(self.mix.values()) <= 0:
            raise PlanError(f"mix: shares must be >= 0 and not all 0, got {self.mix}")
        prev = 0.0
        for i, s in enumerate(self.steps):
            if not s.end_s > s.start_s >= prev - 1e-9:
                raise PlanError(f"steps[{i}]: windows must be in order and non-empty, got "
                                f"{s.start_s:g}..{s.end_s:g} after {prev:g}")
            if self.mode == "closed" and (s.users is None or s.users < 1):
                raise PlanError(f"steps[{i}].users: closed loop needs >= 1 user, got {s.users}")
            if self.mode == "open" and (s.rates is None or any(r < 0 for r in s.rates.values())):
                raise PlanError(f"steps[{i}].rates: open loop needs rates >= 0, got {s.rates}")
            prev = s.end_s
        if self.mode == "open" and self.pool_users < 1:
            raise PlanError(f"pool_users: open loop needs >= 1, got {self.pool_users}")
        bad = {c: f for c, f in self.cameras.items() if not f > 0}
        if bad:
            raise PlanError(f"cameras: every camera's fps must be > 0, got {bad}")
        if CAMERA_KIND in self.kinds() and not self.cameras:
            raise PlanError("cameras: the plan sends cctv frames but names no face camera "
                            "(the payload pack has no frames of a face camera)")
        if self.mode == "open" and self.cameras and self.workers > 1:
            raise PlanError(f"workers: camera streams run in one load process (each camera is "
                            f"one Locust user, frames in order); use --workers 0 or 1, got "
                            f"{self.workers}")

    @property
    def duration_s(self) -> float:
        return self.steps[-1].end_s

    @property
    def lead_s(self) -> float:
        return LEAD_S if self.mode == "open" else 0.0

    @property
    def camera_users(self) -> int:
        """Open loop: one CameraStream user per face camera that sends any frame."""
        if self.mode != "open" or CAMERA_KIND not in self.kinds():
            return 0
        return len(self.cameras)

    def kinds(self) -> list[str]:
        """Kinds that are sent at all."""
        if self.mode == "closed":
            return [k for k in KINDS if self.mix.get(k, 0) > 0]
        return [k for k in KINDS if any((s.rates or {}).get(k, 0) > 0 for s in self.steps)]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "LoadPlan":
        d = json.loads(text)
        d["steps"] = tuple(Step(**s) for s in d["steps"])
        d["replicas"] = tuple(d.get("replicas", ()))
        d["cameras"] = dict(d.get("cameras") or {})
        return cls(**d)

    @classmethod
    def read(cls, path: str | Path) -> "LoadPlan":
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise PlanError(f"{path}: cannot read the load plan ({exc.strerror})") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise PlanError(f"{path}: not a load plan ({exc})") from None


# --- building plans ----------------------------------------------------------------------------

def split_rate(rps: float, mix: dict[str, float]) -> dict[str, float]:
    total = sum(mix.values())
    return {k: rps * w / total for k, w in mix.items() if w > 0}


def pool_size(peak_rps: float, timeout_s: float, workers: int = 0, floor: int = 4,
              cap: int = 2000) -> int:
    """Users an open-loop pool needs: Little's law (in flight = rate x time in system) at the
    peak rate with every request taking up to the client timeout, so only a server slower than
    the timeout can exhaust it; at least ``floor`` per load process."""
    need = math.ceil(peak_rps * timeout_s * 1.25) + floor
    return int(min(max(need, floor * max(workers, 1)), cap))


def sweep_plan(mix: dict[str, float], step_s: float, users: list[int] | None = None,
               rps: list[float] | None = None, **kw) -> LoadPlan:
    if (users is None) == (rps is None):
        raise PlanError("sweep: give either user counts (closed loop) or rates (open loop)")
    levels = users if users is not None else rps
    if not levels or any(v <= 0 for v in levels):
        raise PlanError(f"sweep: levels must be > 0, got {levels}")
    if step_s <= 0:
        raise PlanError(f"step duration: must be > 0 s, got {step_s}")
    if users is not None:
        steps = tuple(Step(i * step_s, (i + 1) * step_s, users=int(u)) for i, u in enumerate(users))
        return LoadPlan("sweep", "closed", steps, dict(mix), **kw)
    steps = tuple(Step(i * step_s, (i + 1) * step_s, rates=split_rate(r, mix))
                  for i, r in enumerate(rps))
    kw.setdefault("pool_users", pool_size(max(rps), kw.get("timeout_s", 10.0), kw.get("workers", 0)))
    return LoadPlan("sweep", "open", steps, dict(mix), **kw)


def poisson_plan(mix: dict[str, float], rps: float, duration_s: float, **kw) -> LoadPlan:
    if rps <= 0 or duration_s <= 0:
        raise PlanError(f"poisson: rate and duration must be > 0, got {rps} req/s, {duration_s} s")
    kw.setdefault("pool_users", pool_size(rps, kw.get("timeout_s", 10.0), kw.get("workers", 0)))
    return LoadPlan("poisson", "open", (Step(0.0, duration_s, rates=split_rate(rps, mix)),),
                    dict(mix), **kw)


def camera_plan(cameras: dict[str, float], loads: list[float], step_s: float, **kw) -> LoadPlan:
    """Open loop: one step per camera load (1.0 = every face camera at its own fps)."""
    if not cameras:
        raise PlanError("cameras: no face camera to stream (the frames scenario needs cctv "
                        "cameras with `faces:`, e.g. scenarios/cctv_identification.yaml)")
    if not loads or any(v <= 0 for v in loads):
        raise PlanError(f"camera load: levels must be > 0, got {loads}")
    if step_s <= 0:
        raise PlanError(f"step duration: must be > 0 s, got {step_s}")
    fps = float(sum(cameras.values()))
    steps = tuple(Step(i * step_s, (i + 1) * step_s, rates={CAMERA_KIND: fps * v})
                  for i, v in enumerate(loads))
    kw.setdefault("pool_users", 1)  # nothing Poisson to send: the camera users do the work
    return LoadPlan("cameras", "open", steps, {CAMERA_KIND: 1.0}, cameras=dict(cameras), **kw)


# --- the open-loop schedule --------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    """Due times (s on the load clock, sorted) and the kind of each arrival."""

    t: np.ndarray
    kind: np.ndarray  # index into KINDS
    kinds: tuple[str, ...] = field(default=KINDS)

    def __len__(self) -> int:
        return len(self.t)


def arrival_schedule(plan: LoadPlan, worker_index: int = 0, workers: int = 0) -> Schedule:
    """The plan's arrivals: per step and kind, a Poisson count with uniform times (exactly a
    Poisson process with a piecewise-constant rate). Every load process draws the same global
    schedule from the plan's seed and keeps arrivals ``worker_index, worker_index + workers, ...``
    so that the processes together send exactly the global Poisson stream. CCTV camera frames
    are not in it: cameras send on their own clock (:func:`camera_schedule`)."""
    if plan.mode != "open":
        raise PlanError("arrival_schedule: only open-loop plans have a schedule")
    rng = np.random.default_rng(plan.seed)
    ts, ks = [], []
    for step in plan.steps:
        span = step.end_s - step.start_s
        for j, kind in enumerate(KINDS):
            rate = (step.rates or {}).get(kind, 0.0) if kind != CAMERA_KIND else 0.0
            n = rng.poisson(rate * span) if rate > 0 else 0
            ts.append(step.start_s + rng.uniform(0.0, span, n))
            ks.append(np.full(n, j, np.int8))
    t, k = np.concatenate(ts), np.concatenate(ks)
    order = np.argsort(t, kind="stable")
    t, k = t[order], k[order]
    if workers > 1:
        t, k = t[worker_index::workers], k[worker_index::workers]
    return Schedule(t, k)


def camera_schedule(plan: LoadPlan, camera: str) -> np.ndarray:
    """Due times (load clock) of one face camera's frames: per step, evenly spaced at the
    camera's share of the step's cctv rate (its fps over all cameras' fps). Cameras are offset
    from one another by a fraction of a frame interval, so they do not all fire at once."""
    if camera not in plan.cameras:
        raise PlanError(f"camera_schedule: {camera!r} is not a camera of the plan "
                        f"({', '.join(sorted(plan.cameras)) or 'none'})")
    share = plan.cameras[camera] / sum(plan.cameras.values())
    phase = sorted(plan.cameras).index(camera) / len(plan.cameras)
    out = []
    for step in plan.steps:
        rate = (step.rates or {}).get(CAMERA_KIND, 0.0) * share
        if rate <= 0:
            continue
        k = np.arange(int(np.ceil((step.end_s - step.start_s) * rate - phase)))
        t = step.start_s + (k + phase) / rate
        out.append(t[t < step.end_s])
    return np.concatenate(out) if out else np.empty(0)


def step_of(plan: LoadPlan, t: np.ndarray) -> np.ndarray:
    """Index of the step each load-clock time falls in (-1 outside every step)."""
    t = np.asarray(t, float)
    starts = np.array([s.start_s for s in plan.steps])
    ends = np.array([s.end_s for s in plan.steps])
    i = np.searchsorted(starts, t, side="right") - 1
    ok = (i >= 0) & (t < ends[np.clip(i, 0, None)])
    return np.where(ok, i, -1)


# --- the shape's stages -------------------------------------------------------------------------

Stage = tuple[float, int, float]  # (end time s on Locust's clock, users, spawn rate users/s)


def shape_stages(plan: LoadPlan) -> tuple[Stage, ...]:
    """Closed loop: one stage per step; open loop: the whole pool for the lead-in and the plan."""
    if plan.mode == "open":
        users = plan.pool_users + plan.camera_users
        return ((plan.lead_s + plan.duration_s, users, max(users / (plan.lead_s / 2), 1.0)),)
    return tuple((s.end_s, s.users, float(max(s.users * 4, 4))) for s in plan.steps)


def stage_at(stages: tuple[Stage, ...], t: float) -> tuple[int, float] | None:
    """(users, spawn rate) of the stage running at ``t``; None once the last has ended."""
    for end_s, users, spawn_rate in stages:
        if t < end_s:
            return users, spawn_rate
    return None


# --- where a plan comes from, and where its load may go ----------------------------------------

PLAN_ENV = "AIRTWIN_LOADTEST_PLAN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def plan_from_env() -> LoadPlan:
    """The plan the locustfile runs: the file named by $AIRTWIN_LOADTEST_PLAN."""
    import os

    path = os.environ.get(PLAN_ENV)
    if not path:
        raise PlanError(f"${PLAN_ENV} is not set: the locustfile runs a load plan (plan.json), "
                        f"which `airtwin loadtest` writes; set {PLAN_ENV}=PATH/plan.json")
    return LoadPlan.read(path)


def require_loopback(url: str | None) -> str:
    """``url`` if its host is this machine's loopback; load tests never leave the machine (to
    load a service elsewhere, tunnel it to a loopback port, e.g. ``ssh -L``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise PlanError(f"host: expected a URL like http://127.0.0.1:8000, got {url!r}")
    if host not in LOOPBACK and not host.startswith("127."):
        raise PlanError(f"host: {host} is not a loopback address: load tests send traffic only "
                        f"to this machine (127.0.0.1, ::1, localhost); forward a remote service "
                        f"to a local port first (ssh -L 8000:SERVICE:8000 ...)")
    return url
