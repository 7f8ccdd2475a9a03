"""Run a load test end to end: check the service (:mod:`loadtests.service_under_test`), build
the plan and the payload pack, enrol the pack's travelers, run Locust headless (alone, or as
``--master`` with local ``--worker``s), then summarise into a load-test folder
(:mod:`outputs.loadtest`).

Workers on other machines: ``airtwin loadtest ... --remote-workers M --master-port 5557`` makes
the master listen on every interface and wait (up to ``REMOTE_WAIT_S``) for M more workers
beside its ``--workers`` local ones; it prints the command. On each other machine: the same
repository and payload pack (same path, or edit ``pack`` in the copied plan.json), the service
forwarded to a loopback port there (``ssh -L 8000:127.0.0.1:8000 service-host``: load never
goes to a non-loopback address), then::

    AIRTWIN_LOADTEST_PLAN=plan.json locust -f loadtests/locustfile.py --worker \
        --master-host MASTER --master-port 5557 --host http://127.0.0.1:8000 ScheduledTraveler

(``ClosedLoopTraveler`` for a closed-loop sweep; the master's plan.json is in its working
folder, named in its output.) Each worker keeps the share of the open-loop schedule (and the
cameras) that its worker index gives it, so the plan's ``workers`` counts them all.

Replicas: ``--host URL1,URL2`` (``airtwin serve`` processes on one PostgreSQL template store)
spreads the users over them, each camera's frames to one, and the GPU plan counts replicas by
the capacity each carried.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from loadtests import capacity as cap
from loadtests.payloads import PackSpec, PayloadPack, ensure_pack
from loadtests.plan import (ENDPOINTS, PLAN_ENV, LoadPlan, PlanError, poisson_plan,
                            require_loopback, sweep_plan)
from loadtests.report import render_report
from loadtests.results import (LOCUST_PREFIX, endpoint_summary, prepare_log, read_locust_stats,
                               step_summary, totals)
from loadtests.service_under_test import (CAMERA_PATHS, LoadTestError, enrol_pack,
                                          prime_cameras, service_endpoints)
from outputs.atomic import staged_folder
from outputs.header import header
from outputs.loadtest import KIND, write_loadtest
from outputs.run import load_run

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_DURATION_S = 3600.0  # a load test is bounded in time...
MAX_REQUESTS = 2_000_000  # ...and in the requests its plan may send
MAX_USERS = 2000
MIN_REPLAY_STEP_S = 5.0  # seconds of load per replay step, at least
REMOTE_WAIT_S = 600.0  # how long a master waits for remote workers to connect
DEFAULT_MIX = {"verify": 0.6, "identify": 0.2, "analyze": 0.2}
# The scenario the analyze frames come from unless --frames-scenario says otherwise. The service
# must watch the same floor: `airtwin site export SCENARIO --out site.yaml`, then
# `airtwin serve --site site.yaml`.
FRAMES_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "incidents_demo.yaml"
# ...and the one whose face cameras stream to /v1/cctv/frame when the test sends cctv frames.
CCTV_SCENARIO = FRAMES_SCENARIO.with_name("cctv_identification.yaml")


@dataclass(frozen=True)
class LoadTestOptions:
    shape: str
    host: str
    out: Path
    run: Path | None = None
    users: tuple[int, ...] = (1, 2, 4, 8)
    rps: tuple[float, ...] = ()
    camera_load: tuple[float, ...] = (1.0,)  # cameras: each step's share of real-time fps
    duration_s: float = 60.0
    compress: float | None = None
    scale: float = 1.0
    sim_from: float | None = None
    sim_to: float | None = None
    bin_s: float = 300.0
    mix: dict[str, float] | None = None
    endpoints: tuple[str, ...] | None = None  # kinds to send (default: all the service has)
    bad_share: float = 0.0  # share of deliberately corrupt uploads
    analyze_fps: float | None = None
    frames_scenario: Path | None = None  # default: FRAMES_SCENARIO
    slo_ms: float = 200.0
    max_error_rate: float = 0.001
    headroom: float = 0.3
    workers: int = 0  # local Locust worker processes (0 and no remote ones: a single process)
    remote_workers: int = 0  # workers the master waits for from other machines
    master_port: int | None = None  # default: a free port (local workers only) or 5557
    seed: int = 0
    timeout_s: float = 10.0
    settle_s: float = 1.0
    min_step_requests: int = cap.MIN_STEP_REQUESTS
    token: str | None = field(default=None, repr=False)
    pack: Path | None = None
    pack_spec: PackSpec = field(default_factory=PackSpec)
    stages: bool = True  # after cctv load: profile the frames' stages in-process (cctv_stages)


# --- the plan ------------------------------------------------------------------------------

def choose_mix(opts: LoadTestOptions, served: set[str], notes: list[str]) -> dict[str, float]:
    if opts.mix is not None:
        mix = dict(opts.mix)
    elif opts.shape == "cameras":
        mix = {"cctv": 1.0}
    elif opts.run is not None:
        from loadtests.replay import mix_from_run

        mix = mix_from_run(load_run(opts.run, tables=["egate_transactions"]), opts.analyze_fps)
    else:
        mix = dict(DEFAULT_MIX)
    wanted = set(opts.endpoints) if opts.endpoints else set(ENDPOINTS)
    for kind in list(mix):
        if kind not in wanted:
            mix.pop(kind)
        elif kind not in served and mix[kind] > 0:
            notes.append(f"the service does not serve {CAMERA_PATHS.get(kind, '/v1/' + kind)} "
                         f"(analyze and cctv need `airtwin serve --site FILE`): {kind} "
                         f"requests left out of the mix")
            mix.pop(kind)
    if opts.bad_share > 0:
        total = sum(mix.values())
        mix["corrupt"] = total * opts.bad_share / (1.0 - opts.bad_share)
    if sum(mix.values()) <= 0:
        raise LoadTestError(f"nothing to send: the mix {opts.mix or 'of the run'} has no kind "
                            f"that the service serves ({', '.join(sorted(served)) or 'none'})")
    total = sum(mix.values())
    return {k: v / total for k, v in mix.items() if v > 0}


def face_cameras_of(scenario: str | Path | None) -> dict[str, float]:
    """The face cameras (cctv cameras with ``faces:``) of a scenario file and their fps."""
    if not scenario:
        return {}
    from sim.loader import load_scenario

    return {c.id: float(c.fps) for c in load_scenario(scenario).cameras
            if c.kind == "cctv" and getattr(c, "faces", None) is not None}


def build_plan(opts: LoadTestOptions, mix: dict[str, float], pack: Path, log_path: Path,
               cameras: dict[str, float] | None = None):
    """The plan, and for replays the curve as sent. ``cameras``: the face cameras whose frames
    go to /v1/cctv/frame (and their fps)."""
    kw = dict(pack=str(pack), seed=opts.seed, timeout_s=opts.timeout_s, settle_s=opts.settle_s,
              workers=opts.workers + opts.remote_workers, log_path=str(log_path),
              cameras=dict(cameras or {}) if "cctv" in mix else {})
    curve = None
    if opts.shape == "cameras":
        from loadtests.plan import camera_plan

        loads = list(opts.camera_load)
        plan = camera_plan(kw.pop("cameras"), loads, opts.duration_s / len(loads), **kw)
    elif opts.shape == "sweep":
        levels = opts.rps or opts.users
        plan = sweep_plan(mix, opts.duration_s / len(levels), users=None if opts.rps else
                          list(opts.users), rps=list(opts.rps) or None, **kw)
    elif opts.shape == "poisson":
        if len(opts.rps) != 1:
            raise PlanError(f"poisson: give one target rate (--rps R), got {list(opts.rps)}")
        plan = poisson_plan(mix, opts.rps[0], opts.duration_s, **kw)
    elif opts.shape == "replay":
        from loadtests.replay import compressed_curve, demand_curve, replay_plan

        if opts.run is None:
            raise PlanError("replay: needs a sim run folder (--run DIR)")
        run = load_run(opts.run, tables=["egate_transactions"])
        horizon = float(run.summary.get("horizon_s") or run.scenario["horizon_s"])
        span = (opts.sim_to or horizon) - (opts.sim_from or 0.0)
        compress = opts.compress or span / opts.duration_s
        # Each step is a statistics window too: keep it long enough to say something.
        day = demand_curve(run, max(opts.bin_s, compress * MIN_REPLAY_STEP_S), opts.analyze_fps)
        kinds = tuple(k for k in ENDPOINTS if k in mix)
        plan = replay_plan(day, compress, opts.scale, opts.sim_from, opts.sim_to, kinds,
                           mix.get("corrupt", 0.0), **kw)
        curve = compressed_curve(plan, day, opts.sim_from)
    else:
        raise PlanError(f"shape: must be sweep, poisson, replay or cameras, got {opts.shape!r}")
    check_bounds(plan)
    return plan, curve


def check_bounds(plan: LoadPlan) -> None:
    if plan.duration_s > MAX_DURATION_S:
        raise PlanError(f"duration: {plan.duration_s:g} s is over the {MAX_DURATION_S:g} s bound "
                        f"of one load test (use a larger --compress or a shorter --duration)")
    users = plan.pool_users + plan.camera_users if plan.mode == "open" else \
        max(s.users for s in plan.steps)
    if users > MAX_USERS:
        raise PlanError(f"users: {users} is over the bound of {MAX_USERS}")
    expected = sum((s.target_rps or 0) * (s.end_s - s.start_s) for s in plan.steps)
    if expected > MAX_REQUESTS:
        raise PlanError(f"the plan would send about {expected:.0f} requests, over the bound of "
                        f"{MAX_REQUESTS} (lower --rps, --scale or --duration)")


# --- Locust ----------------------------------------------------------------------------------

def locust_commands(plan: LoadPlan, host: str, work: Path, port: int,
                    local_workers: int | None = None) -> list[list[str]]:
    """The master's command (or the only one), then one per local worker."""
    local = plan.workers if local_workers is None else local_workers
    users = user_classes(plan)
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", host]
    master = [*base, "--headless", "--only-summary", "--csv", str(work / "locust" / LOCUST_PREFIX),
              "--html", str(work / "locust" / "report.html"), "--exit-code-on-error", "0",
              "--stop-timeout", "3", "--logfile",
              str(work / "locust" / "locust.log"), "--loglevel", "WARNING"]
    if plan.workers == 0:
        return [[*master, *users]]
    master += ["--master", "--expect-workers", str(plan.workers), "--master-bind-host",
               "127.0.0.1" if local == plan.workers else "*", "--master-bind-port", str(port)]
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
              "--loglevel", "WARNING", *users]
    return [[*master, *users]] + [worker] * local


def user_classes(plan: LoadPlan) -> list[str]:
    """The locustfile's user classes a plan runs (CameraStream: one per face camera)."""
    if plan.mode == "closed":
        return ["ClosedLoopTraveler"]
    return ["ScheduledTraveler"] + (["CameraStream"] if plan.camera_users else [])


def run_locust(plan: LoadPlan, host: str, work: Path,
               progress: Callable[[float, float], None] = lambda done, total: None,
               local_workers: int | None = None, port: int | None = None) -> str:
    """Run Locust to the end of the plan; returns its console output. Killed if it overruns."""
    from pipeline.service.launcher import free_port

    local = plan.workers if local_workers is None else local_workers
    env = {**os.environ, PLAN_ENV: str(work / "plan.json")}
    budget = plan.lead_s + plan.duration_s + plan.timeout_s + 60.0 + 15.0 * plan.workers
    budget += REMOTE_WAIT_S if local < plan.workers else 0.0
    procs, logs = [], []
    for cmd in locust_commands(plan, host, work, port or free_port(), local):
        log = tempfile.TemporaryFile("w+")
        procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True))
        logs.append(log)
    start, master = time.monotonic(), procs[0]
    try:
        while master.poll() is None:
            elapsed = time.monotonic() - start
            progress(min(elapsed, plan.lead_s + plan.duration_s), plan.lead_s + plan.duration_s)
            if elapsed > budget:
                raise LoadTestError(f"Locust did not finish within {budget:.0f} s; stopped it")
            time.sleep(0.25)
        for p in procs[1:]:
            try:  # workers leave when the master tells them; one that lingers is stopped below
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
    logs[0].seek(0)
    output = logs[0].read()
    for log in logs:
        log.close()
    if master.returncode != 0:
        raise LoadTestError(f"Locust exited with {master.returncode}:\n{output[-4000:]}")
    return output


# --- the whole test ----------------------------------------------------------------------------

def run_loadtest(opts: LoadTestOptions, say: Callable[[str], None] = print,
                 progress: Callable[[float, float], None] = lambda d, t: None) -> Path:
    # Several comma-separated URLs: replicas of one service sharing one template store.
    hosts = [require_loopback(h.strip()).rstrip("/") for h in opts.host.split(",") if h.strip()]
    host = hosts[0]
    if opts.workers < 0 or opts.remote_workers < 0:
        raise PlanError(f"workers: must be >= 0, got {opts.workers} local and "
                        f"{opts.remote_workers} remote")
    served, service, device = service_endpoints(host)
    for replica in hosts[1:]:
        service_endpoints(replica)  # every replica ready before the load starts
    notes: list[str] = []
    mix = choose_mix(opts, served, notes)
    out = Path(opts.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = pack_spec(opts, mix)
    digest = hashlib.sha1(repr(spec).encode()).hexdigest()[:12]
    pack_dir = opts.pack or out.parent / "packs" / f"pack-{digest}"
    cameras = face_cameras_of(spec.scenario) if "cctv" in mix else {}
    if spec.camera_ids:  # the pack renders only these cameras: only they can stream
        cameras = {c: f for c, f in cameras.items() if c in spec.camera_ids.split(",")}
    if "cctv" in mix and not cameras:
        raise LoadTestError(f"{spec.scenario}: no face camera (a cctv camera with `faces:`) to "
                            f"stream to /v1/cctv/frame; use --frames-scenario "
                            f"{CCTV_SCENARIO.relative_to(CCTV_SCENARIO.parents[1])}")
    with staged_folder(out) as work:  # swapped in whole once summarised; removed on a failure
        (work / "locust").mkdir()
        plan, curve = build_plan(opts, mix, pack_dir.resolve(), work / "requests.raw.parquet",
                                 cameras)
        if len(hosts) > 1:
            plan = dataclasses.replace(plan, replicas=tuple(hosts))
        say(f"payload pack: {pack_dir}")
        ensure_pack(pack_dir, spec, say)
        pack = PayloadPack.load(pack_dir)
        if {"verify", "identify", "corrupt"} & set(mix):
            # On each replica: harmless on a shared store, needed on replicas that hold their own.
            enrolled = [enrol_pack(h, pack, opts.token) for h in hosts]
            say(f"enrolled {enrolled[0]} synthetic travelers"
                + (f" on each of {len(hosts)} replicas" if len(hosts) > 1 else ""))
        for kind in ("analyze", "cctv"):
            if kind not in mix:
                continue
            cams = [prime_cameras(h, pack, kind) for h in hosts][0]  # every replica's streams
            if plan.workers > len(cams):
                raise PlanError(f"workers: {plan.workers} load processes but {len(cams)} cameras: "
                                f"each camera's frames must come from one process (in order), "
                                f"so {kind} load needs at most {len(cams)} workers")
        (work / "plan.json").write_text(plan.to_json(), encoding="utf-8")
        say(f"{opts.shape}: {plan.mode} loop, {len(plan.steps)} step(s), {plan.duration_s:.0f} s"
            f" of load" + (f", {plan.workers} workers" if plan.workers else ""))
        port = None
        if opts.remote_workers:
            port = opts.master_port or 5557
            say(f"waiting for {opts.remote_workers} remote workers: on each, run "
                f"AIRTWIN_LOADTEST_PLAN=<copy of {work / 'plan.json'}> locust -f "
                f"loadtests/locustfile.py --worker --master-host <this machine> --master-port "
                f"{port} --host http://127.0.0.1:<forwarded port> "
                f"{' '.join(user_classes(plan))}")
        run_locust(plan, host, work, progress, opts.workers, port or opts.master_port)
        summarise(opts, plan, curve, work, ",".join(hosts), service, mix, notes, len(hosts),
                  device, pack)
    return out


def pack_spec(opts: LoadTestOptions, mix: dict[str, float]) -> PackSpec:
    """The pack this test needs: CCTV clips only when it sends analyze requests, of the
    scenario whose site file the service watches."""
    if not {"analyze", "cctv"} & set(mix):
        return dataclasses.replace(opts.pack_spec, frames_per_camera=0, scenario="")
    default = CCTV_SCENARIO if "cctv" in mix else FRAMES_SCENARIO
    scenario = Path(opts.frames_scenario or default).resolve()
    return dataclasses.replace(opts.pack_spec, scenario=str(scenario))


def summarise(opts: LoadTestOptions, plan: LoadPlan, curve, work: Path, host: str,
              service: str, mix: dict, notes: list[str], replicas: int = 1,
              device: str | None = None, pack: PayloadPack | None = None) -> None:
    """Locust's output in the staging folder ``work`` → the load-test folder's files. With
    several replicas loaded together, the replica plan counts replicas by what each one carried;
    ``device`` (the service's /readyz: cpu or gpu) says what a replica is."""
    raw = work / "requests.raw.parquet"
    if not raw.is_file():
        raise LoadTestError(f"Locust wrote no request log ({raw}); see {work}/locust/locust.log")
    log = prepare_log(pd.read_parquet(raw), plan)
    raw.unlink()
    stats = read_locust_stats(work / "locust" / f"{LOCUST_PREFIX}_stats.csv")
    counted = int(stats.loc[stats["Name"] == "Aggregated", "Request Count"].sum())
    if counted != len(log):
        notes.append(f"Locust counted {counted} requests, the request log holds {len(log)}: "
                     f"the load stopped before every reply was in (the drain hit its bound)")
    steps = step_summary(log, plan, opts.slo_ms, opts.max_error_rate)
    found = cap.find_capacity(steps, opts.slo_ms, opts.max_error_rate, opts.min_step_requests)
    summary = {**header(KIND), "shape": plan.shape, "mode": plan.mode, "host": host,
        "replicas": replicas,
        "service": service, "duration_s": plan.duration_s, "workers": plan.workers,
        "seed": plan.seed, "run": str(opts.run) if opts.run else None, "mix": mix,
        "slo_ms": opts.slo_ms, "max_error_rate": opts.max_error_rate,
        "totals": totals(log, plan.duration_s), "capacity": found.to_dict(), "notes": notes}
    face = {c: v for c, v in ((pack.cameras or {}) if pack else {}).items() if c in plan.cameras}
    if face:
        summary["cameras"] = face  # the face cameras streamed: fps, faces per frame of the clip
    gpu, peak = None, None
    if found.capacity_rps and opts.run is not None:
        from loadtests.replay import peak_hour

        peak = peak_hour(load_run(opts.run, tables=["egate_transactions"]), opts.analyze_fps)
    elif found.capacity_rps and plan.cameras and set(mix) <= {"cctv", "corrupt"}:
        from loadtests.replay import PeakHour

        # No sim run: the demand is the frames scenario's face cameras, which never rest.
        demand = face_cameras_of(pack_spec(opts, mix).scenario) or dict(plan.cameras)
        peak = PeakHour(0.0, 3600.0, {"cctv": float(sum(demand.values()))}, demand)
    if peak is not None:
        measured_on = service or "this service"
        if replicas > 1:
            measured_on += (f"; {replicas} replicas measured together, "
                            f"{found.capacity_rps:.2f} req/s in all")
        faces = [v["faces_per_frame"] for v in face.values()]
        gpu = cap.plan_replicas(found.capacity_rps / replicas, cap.endpoint_costs(log),
                                cap.measured_mix(log, found.step), peak.demand_rps,
                                opts.headroom, (peak.start_s, peak.end_s),
                                measured_on=measured_on,
                                replica_kind=device if device in ("cpu", "gpu") else None,
                                cameras=peak.cameras or None,
                                faces_per_frame=float(np.mean(faces)) if faces else None
                                ).to_dict()
    else:
        summary["gpu_plan_note"] = ("no step met the SLO, so there is no measured capacity "
                                    "to plan with" if not found.capacity_rps else
                                    "needs a sim run (--run DIR) for the peak demand")
    tables = {"endpoints": endpoint_summary(stats, log), "steps": steps, "requests": log}
    if curve is not None:
        tables["curve"] = curve
    if face and opts.stages:
        from loadtests.cctv_stages import backend_of, persons_of, profile_stages, stage_summary

        backend = backend_of(service)
        if backend is None:
            notes.append(f"CCTV stage latencies not profiled: the service ({service!r}) does "
                         f"not name its backend")
        else:
            persons = persons_of(service)
            rows = profile_stages(pack.frames, sorted(face), pack.enrol, backend, persons)
            tables["cctv_stages"] = rows
            summary["cctv_stages"] = {"backend": backend, "persons": persons, "frames": len(rows),
                                      "stages": stage_summary(rows)}
    report = render_report(summary, tables["endpoints"], steps, plan, gpu)
    write_loadtest(work, summary, tables, report, gpu)
