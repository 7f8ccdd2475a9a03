"""``airtwin bench sim``: how fast the terminal model runs a day, against bare SimPy.

The day (profile mode, one replication, one core) is timed from ``simulate`` call to records in
lists; turning them into DataFrames is timed apart. The comparison is a bare SimPy M/M/c
(``simpy.Resource``, exponential arrivals and services) sized to process the same number of
events, run under the same conditions (garbage collector paused, as in ``simulate``), so the
ratio of times per event says what the model's bookkeeping costs over SimPy's own loop.
Targets (issue 2, and issue 14 for walking with congestion on, the default): >= 10,000x real
time, <= 3x bare SimPy per event (issue 2 asked 2x before walking had congestion), <= 2 GB peak.
The same day with congestion off is timed in the same run, so the cost of the speed-density
relation (and its extra event per traveler, the walk's start) is measured, not guessed.
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import simpy

from sim.scenario import Scenario
from sim.terminal import env_event_count, simulate

DAY_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "icn_t1_full_day.yaml"
TARGET_RATIO = 10_000.0
TARGET_PER_EVENT = 3.0
TARGET_PEAK_MB = 2048.0
BARE_EVENTS_PER_CUSTOMER = 6  # source timeout, process start, request, service, release, end


def _timed_run(env: simpy.Environment) -> tuple[int, float, float]:
    """Run ``env`` to the end with the collector paused, as the terminal model runs.
    (events, wall s, CPU s)."""
    was = gc.isenabled()
    gc.disable()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        env.run()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        if was:
            gc.enable()
    return env_event_count(env), wall, cpu


def _run_arrivals(env: simpy.Environment, inter: list[float], work: list[float], customer
                  ) -> tuple[int, float, float]:
    """One arrival process starting ``customer(env, w)`` after each inter-arrival gap."""

    def source(env):
        for a, w in zip(inter, work):
            yield env.timeout(a)
            env.process(customer(env, w))

    env.process(source(env))
    return _timed_run(env)


def bare_mmc(events: int, servers: int = 20, seed: int = 1) -> tuple[int, float, float]:
    """A textbook SimPy M/M/c (one arrival per second, utilisation 0.8) with about ``events``
    events: (events, wall s, CPU s). About ``0.8 * servers`` customers are in service at once,
    so ``servers`` also sets how many events wait in SimPy's heap."""
    n = max(1, events // BARE_EVENTS_PER_CUSTOMER)
    rng = np.random.default_rng(seed)
    inter = rng.exponential(1.0, n).tolist()
    service = rng.exponential(servers * 0.8, n).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, servers)

    def customer(env, s):
        with desk.request() as req:
            yield req
            yield env.timeout(s)

    return _run_arrivals(env, inter, service, customer)


def bare_mminf(events: int, in_system: float, seed: int = 1) -> tuple[int, float, float]:
    """Bare SimPy processes at a given concurrency: an M/M/inf queue (one arrival per second,
    exponential stays of ``in_system`` s mean, so about that many customers at once; no
    resource, whose release is linear in the number of servers). (events, wall s, CPU s)."""
    n = max(1, events // 4)  # source timeout, process start, stay, process end
    rng = np.random.default_rng(seed)
    inter = rng.exponential(1.0, n).tolist()
    stay = rng.exponential(in_system, n).tolist()
    env = simpy.Environment()

    def customer(env, s):
        yield env.timeout(s)

    return _run_arrivals(env, inter, stay, customer)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB else


def bench_sim(s: Scenario, repeat: int = 1, seed: int = 1) -> dict:
    """Figures of the day's run and of the bare M/M/c, best of ``repeat`` each, alternating.

    Wall and CPU (process) time are both kept: on a shared machine the wall clock also counts
    other programs' turns, so the per-event comparison uses CPU time for both sides.
    """
    rss_before = _peak_rss_mb()
    runs, bares = [], []
    frames_s = rows = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        rec = simulate(s, np.random.default_rng(seed))
        runs.append((time.perf_counter() - t0, time.process_time() - c0, rec.events,
                     len(rec.travelers)))
        t1 = time.perf_counter()
        frames = rec.frames()
        frames_s = time.perf_counter() - t1
        rows = sum(len(df) for df in frames.values())
        tr = frames["travelers"]
        # Little's law: mean travelers inside = total time inside / horizon.
        inside = float((tr["exit_t"].fillna(s.horizon_s) - tr["arrive_t"]).sum() / s.horizon_s)
        del rec, frames, tr
        bares.append(bare_mmc(runs[-1][2]))
    peak = _peak_rss_mb()
    off = _without_congestion(s)
    free_runs = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        rec = simulate(off, np.random.default_rng(seed))
        free_runs.append((time.perf_counter() - t0, time.process_time() - c0, rec.events))
        del rec
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    events, travelers = runs[0][2], runs[0][3]
    matched = min((bare_mminf(events, inside) for _ in range(repeat)), key=lambda r: r[2])
    b_events = bares[0][0]
    b_wall = min(b[1] for b in bares)
    b_cpu = min(b[2] for b in bares)
    per_event = cpu / events * 1e6
    bare_per_event = b_cpu / b_events * 1e6
    ratio = s.horizon_s / wall
    return {
        "scenario": s.name,
        "travelers": travelers,
        "simulated_s": s.horizon_s,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "travelers_per_s": round(travelers / wall, 1),
        "sim_over_wall": round(ratio, 1),
        "sim_over_cpu": round(s.horizon_s / cpu, 1),
        "events": events,
        "us_per_event_cpu": round(per_event, 3),
        "us_per_event_wall": round(wall / events * 1e6, 3),
        "records_to_frames_s": round(frames_s, 3),
        "record_rows": rows,
        "peak_rss_mb": round(peak, 1),
        "rss_before_run_mb": round(rss_before, 1),
        "bare_simpy_events": b_events,
        "bare_simpy_wall_s": round(b_wall, 3),
        "bare_simpy_cpu_s": round(b_cpu, 3),
        "bare_simpy_us_per_event_cpu": round(bare_per_event, 3),
        "per_event_vs_bare": round(per_event / bare_per_event, 3),
        "mean_travelers_inside": round(inside, 1),
        "bare_at_scale_events": matched[0],
        "bare_at_scale_us_per_event_cpu": round(matched[2] / matched[0] * 1e6, 3),
        "per_event_vs_bare_at_scale": round(per_event / (matched[2] / matched[0] * 1e6), 3),
        "congestion": s.terminal.walking.congestion,
        "queue_space": s.terminal.walking.queue_space,
        "congestion_off_wall_s": round(min(r[0] for r in free_runs), 3),
        "congestion_off_cpu_s": round(min(r[1] for r in free_runs), 3),
        "congestion_off_events": free_runs[0][2],
        "congestion_cpu_cost": round(cpu / min(r[1] for r in free_runs), 3),
        "repeat": repeat,
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "cpu_count": os.cpu_count(),
        "targets": {"sim_over_wall_min": TARGET_RATIO, "per_event_vs_bare_max": TARGET_PER_EVENT,
                    "peak_rss_mb_max": TARGET_PEAK_MB},
        "meets": {"sim_over_wall": ratio >= TARGET_RATIO,
                  "per_event_vs_bare": per_event / bare_per_event <= TARGET_PER_EVENT,
                  "peak_rss": peak <= TARGET_PEAK_MB},
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "machine": platform.machine(),
    }


def _without_congestion(s: Scenario) -> Scenario:
    walking = s.terminal.walking.model_copy(update={"congestion": False})
    return s.model_copy(update={"terminal": s.terminal.model_copy(update={"walking": walking})})


def format_table(f: dict):
    from rich.table import Table

    ok = {True: "[green]yes[/]", False: "[red]no[/]"}
    t = Table(title=f"bench sim: {f['scenario']} ({f['travelers']:,} travelers, "
                    f"{f['simulated_s'] / 3600:.1f} h simulated, best of {f['repeat']}; "
                    f"load average {f['load_average_1min']} on {f['cpu_count']} CPUs)")
    for col in ("figure", "value", "target", "met"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    m, tg = f["meets"], f["targets"]
    t.add_row("wall time (CPU time)", f"{f['wall_s']:.2f} s ({f['cpu_s']:.2f} s)", "", "")
    t.add_row("travelers / s (wall)", f"{f['travelers_per_s']:,.0f}", "", "")
    t.add_row("simulated / wall time", f"{f['sim_over_wall']:,.0f}x",
              f">= {tg['sim_over_wall_min']:,.0f}x", ok[m["sim_over_wall"]])
    t.add_row("SimPy events", f"{f['events']:,}", "", "")
    t.add_row("CPU time per event", f"{f['us_per_event_cpu']:.2f} µs", "", "")
    t.add_row("bare SimPy M/M/c, CPU per event",
              f"{f['bare_simpy_us_per_event_cpu']:.2f} µs ({f['bare_simpy_events']:,} events, "
              f"{f['bare_simpy_cpu_s']:.2f} s)", "", "")
    t.add_row("per event vs bare SimPy", f"{f['per_event_vs_bare']:.2f}x",
              f"<= {tg['per_event_vs_bare_max']:.0f}x", ok[m["per_event_vs_bare"]])
    t.add_row(f"bare SimPy at the day's scale (M/M/inf, "
              f"{f['mean_travelers_inside']:,.0f} inside), CPU per event",
              f"{f['bare_at_scale_us_per_event_cpu']:.2f} µs: model "
              f"{f['per_event_vs_bare_at_scale']:.2f}x of it", "", "")
    t.add_row("congestion (Weidmann) on / queue space on",
              f"{'yes' if f['congestion'] else 'no'} / {'yes' if f['queue_space'] else 'no'}",
              "", "")
    t.add_row("same day, congestion off: CPU time (events)",
              f"{f['congestion_off_cpu_s']:.2f} s ({f['congestion_off_events']:,}): "
              f"congestion costs {f['congestion_cpu_cost']:.2f}x", "", "")
    t.add_row("peak memory (process RSS)", f"{f['peak_rss_mb']:,.0f} MB",
              f"<= {tg['peak_rss_mb_max']:,.0f} MB", ok[m["peak_rss"]])
    t.add_row("records → DataFrames", f"{f['records_to_frames_s']:.2f} s "
              f"({f['record_rows']:,} rows)", "", "")
    return t
