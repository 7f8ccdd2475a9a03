"""``airtwin bench pedestrian``: the pedestrian mode's speed with 50-1,500 people in the hall,
and what that makes of the 3 h arrivals peak."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from airtwin.app import bench_app

PEAK_SCENARIO = Path("scenarios/icn_t1_arrivals_peak.yaml")


@bench_app.command("pedestrian")
def bench_pedestrian(
    scenario: Path = typer.Option(PEAK_SCENARIO, help="whose immigration hall and crowd"),
    people: str = typer.Option("50,200,800,1500", help="people in the hall, comma-separated"),
    sim_s: float = typer.Option(20.0, help="simulated seconds per point"),
    seed: int = typer.Option(5, help="placement and speed seed"),
    coupled: bool = typer.Option(True, "--coupled/--no-coupled", help="also run the coupled "
                                 "hall (SimPy + JuPedSim) over the scenario's horizon and time "
                                 "it (minutes for the 4 h peak)"),
    horizon: Optional[float] = typer.Option(None, help="simulated seconds of the coupled run "
                                            "(default: the scenario's)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Real-time factor of JuPedSim (one core, dt 0.05 s, trajectories recorded) with N people
    walking through the scenario's immigration hall; the fast mode's hall occupancy of one
    replication prices the whole run (an estimate, labelled so); then the coupled hall is run
    and timed (measured)."""
    from airtwin.cmd_sim import _load
    from sim.layout import floor_plan
    from sim.pedestrian.bench import bench_hall, hall_polygon, peak_estimate
    from sim.replications import run_one, with_horizon

    s = _load(scenario)
    if horizon is not None:
        s = with_horizon(s, horizon)
    plan = floor_plan(s)
    hall = hall_polygon(plan)
    try:
        counts = [int(x) for x in people.split(",") if x.strip()]
    except ValueError:
        typer.echo(f"--people: comma-separated whole numbers, got {people!r}", err=True)
        raise typer.Exit(2) from None
    points = []
    for n in counts:
        typer.echo(f"{n} people in the hall ...", err=True)
        points.append(bench_hall(n, hall, sim_s=sim_s, seed=seed))
    rep = run_one(s, 0, s.seed)
    occ = rep.records["occupancy"]
    hall_id = next(z.id for z in plan.zones if z.kind == "immigration_hall")
    occ = occ[occ["zone"] == hall_id].sort_values("t")
    est = peak_estimate(points, occ["t"].to_numpy(float), occ["count"].to_numpy(float),
                        s.horizon_s)
    figures = {"scenario": s.name, "hall_m2": hall.area, "points": points,
               "peak": est, "target_realtime_factor": 5.0}
    if coupled:
        from sim.pedestrian.run import pedestrian_tables

        typer.echo(f"coupled hall over {s.horizon_s:,.0f} s ...", err=True)
        tables = {k: v.assign(replication=0) for k, v in rep.records.items()}
        ped, _ = pedestrian_tables(tables, s)
        figures["coupled"] = {k: (float(v) if k != "replication" else int(v))
                              for k, v in ped["ped_summary"].iloc[0].items()}
    if as_json:
        typer.echo(json.dumps(figures))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"pedestrian mode, {s.name} hall ({hall.area:,.0f} m²), one core")
    for col in ("people in hall", "simulated s", "wall s", "ms per step", "× real time",
                "CPU s", "× real time (CPU)"):
        t.add_column(col, justify="right")
    for p in points:
        t.add_row(str(p["people"]), f"{p['sim_s']:.0f}", f"{p['wall_s']:.2f}",
                  f"{p['ms_per_step']:.2f}", f"{p['realtime_factor']:.1f}",
                  f"{p['cpu_s']:.2f}", f"{p['realtime_factor_cpu']:.1f}")
    c = Console()
    c.print(t)
    c.print(f"{s.name}: hall holds up to {est['hall_people_max']:.0f} people (mean "
            f"{est['hall_people_mean']:.0f}) over {s.horizon_s / 3600:.1f} h; estimated "
            f"{est['realtime_factor_estimated']:.1f}× real time (target ≥ 5×)")
    if coupled:
        cp = figures["coupled"]
        c.print(f"coupled hall, measured: {cp['travelers']:.0f} travelers, up to "
                f"{cp['max_in_hall']:.0f} on the floor, {cp['wall_s']:.1f} s wall "
                f"({cp['cpu_s']:.1f} s CPU) for {s.horizon_s:,.0f} s: "
                f"{cp['realtime_factor']:.1f}× real time ({cp['realtime_factor_cpu']:.1f}× per "
                "CPU second; target ≥ 5×); "
                f"hall wait mean {cp['hall_wait_mean_s']:.0f} s, p95 "
                f"{cp['hall_wait_p95_s']:.0f} s (fast mode: {cp['fast_wait_mean_s']:.0f} s, "
                f"{cp['fast_wait_p95_s']:.0f} s)")
