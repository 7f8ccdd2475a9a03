"""Commands for the terminal model: validate, run, sweep, compare, bench sim."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Optional

import typer

from airtwin.app import app, bench_app

DEFAULT_REPLICATIONS = 5


def _load(scenario: Path):
    from sim.loader import ScenarioError, load_scenario

    try:
        return load_scenario(scenario)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _num(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"


@app.command()
def validate(scenario: Path) -> None:
    """Check a scenario file; print what it holds or the errors found."""
    s = _load(scenario)
    n = sum(f.passengers for f in s.flights.schedule)
    typer.echo(f"{scenario}: ok — {len(s.flights.schedule)} flights, {n} travelers")


def _verifier_factory(s, backend: str, model_dir: Optional[Path]):
    """The live recognizer's factory, imported only when the scenario asks for it."""
    if s.immigration.recognizer.mode != "live":
        return None
    try:
        from experiments.live_egate import live_verifier_factory
    except ImportError as exc:
        typer.echo(f"scenario {s.name}: immigration.recognizer.mode is 'live' but the live "
                   f"recognizer cannot be imported (experiments.live_egate: {exc})", err=True)
        raise typer.Exit(2) from None
    return live_verifier_factory(s, backend=backend,
                                 model_dir=str(model_dir) if model_dir else None)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    seed: Optional[int] = typer.Option(None, help="master seed (default: the scenario's)"),
    replications: int = typer.Option(DEFAULT_REPLICATIONS, "--replications", "-n", min=1,
                                     help="independent replications"),
    out: Optional[Path] = typer.Option(None, help="run folder (default: runs/<scenario name>)"),
    horizon: Optional[float] = typer.Option(None, help="simulated seconds (default: scenario's)"),
    backend: str = typer.Option("dlib", help="face backend when the recognizer mode is live"),
    model_dir: Optional[Path] = typer.Option(None, help="model folder for the live backend"),
    plan: bool = typer.Option(True, "--plan/--no-plan", help="add the animated plan's and the "
                              "density tables (replication 0, sampled every 10 s)"),
    mode: Optional[str] = typer.Option(None, help="fast | pedestrian (JuPedSim walks the "
                                       "immigration hall of replication 0); default: the "
                                       "scenario's mode"),
) -> None:
    """Run a scenario: replications, KPIs with 95% CIs, a run folder with Parquet tables,
    summary.json, scenario.json and report.html (and, with --plan, plan_* and density_*
    tables: sim.plan_tables)."""
    from rich.console import Console

    from outputs.progress import progress_bar
    from sim.replications import run_replications, with_horizon
    from sim.results import save_run

    console = Console()
    s = _load(scenario)
    try:
        s = with_horizon(s, horizon)
    except ValueError as exc:
        typer.echo(f"--horizon: {exc}", err=True)
        raise typer.Exit(2) from None
    mode = mode or s.mode
    if mode not in ("fast", "pedestrian"):
        typer.echo(f"--mode: must be fast or pedestrian, got {mode!r}", err=True)
        raise typer.Exit(2)
    factory = _verifier_factory(s, backend, model_dir)
    out = out or Path("runs") / s.name
    with progress_bar(console=console) as bar:
        task = bar.add_task(f"{s.name}: replications", total=replications)
        result = run_replications(s, replications, seed, factory,
                                  progress=lambda rep: bar.advance(task))
        bar.update(task, description="writing run folder")
        path = save_run(result, out, str(scenario))
        if plan or mode == "pedestrian":
            from outputs.run import add_tables
            from sim.plan_tables import plan_tables

            bar.update(task, description="positions and density over the plan")
            add_tables(path, plan_tables(result.tables, s) if mode == "fast" else
                       _pedestrian(result.tables, s, bar))
    _print_summary(console, result, path)


def _pedestrian(tables, s, bar) -> dict:
    """Replication 0's hall walked by JuPedSim; plan tables from the merged positions."""
    from sim.layout import floor_plan
    from sim.pedestrian.run import merged_positions, pedestrian_tables
    from sim.plan_tables import fast_positions, plan_tables

    walk = bar.add_task("pedestrian hall (JuPedSim)", total=s.horizon_s)
    ped, _ = pedestrian_tables(tables, s, progress=lambda t, h: bar.update(walk, completed=t))
    bar.update(walk, completed=s.horizon_s)
    fast = fast_positions(tables, s)
    hall = next(z for z in floor_plan(s).zones if z.kind == "immigration_hall")
    positions = merged_positions(fast, ped["ped_trajectories"], hall.polygon)
    return {**ped, **plan_tables(tables, s, positions=positions)}


def _print_summary(console, result, path: Path) -> None:
    from rich.table import Table

    t = Table(title=f"{result.scenario.name}: {len(result.seeds)} replications, "
                    f"seed {result.seed}, {result.wall_s:.1f} s")
    for col in ("metric", "mean", "95% CI", "unit"):
        t.add_column(col, justify="left" if col == "metric" else "right")
    for r in result.summary.itertuples():
        t.add_row(r.metric, _num(r.mean), f"{_num(r.ci_low)} – {_num(r.ci_high)}", r.unit)
    console.print(t)
    console.print(f"run folder: {path} (report: {path / 'report.html'})")


@app.command()
def sweep(
    scenario: Path = typer.Argument(..., help="base scenario YAML file"),
    set_: list[str] = typer.Option(..., "--set", help="PATH=V1,V2,... (repeatable), e.g. "
                                   "immigration.egate_banks.0.count=6,10,14"),
    out: Path = typer.Option(..., help="sweep folder (rerun with the same one to resume)"),
    replications: int = typer.Option(3, "--replications", "-n", min=1),
    seed: Optional[int] = typer.Option(None, help="master seed (default: the scenario's)"),
    scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address; default: "
                                            "a local cluster"),
    workers: int = typer.Option(2, min=1, help="local cluster workers (1 thread each)"),
) -> None:
    """Run a grid of scenario variants × replications on Dask; write one comparison table."""
    from rich.console import Console

    from outputs.progress import progress_bar
    from sim.sweep import SweepError, check, parse_set, run_sweep

    console = Console()
    base = _load(scenario)
    try:
        sets = [parse_set(x) for x in set_]
        points = check(base, sets, replications, base.seed if seed is None else seed,
                       str(scenario))
    except SweepError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    console.print(f"{len(points)} points × {replications} replications")
    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        with client, progress_bar(console=console) as bar:
            task = bar.add_task("sweep", total=None)

            def progress(event, done, total):
                if event == "start":
                    console.print(f"{done} of {total} points already finished in {out}")
                else:
                    bar.update(task, completed=done, total=total)

            table = run_sweep(base, sets, replications, out, client, seed, progress,
                              str(scenario))
    except SweepError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        if cluster is not None:
            cluster.close()
    _print_comparison(console, table, [p for p, _ in sets], out)


def _print_comparison(console, table, paths: list[str], out: Path) -> None:
    from rich.table import Table

    metrics = {"desk_wait_p95_s": "desk p95 wait s", "egate_wait_p95_s": "e-gate p95 wait s",
               "los_share_desk": "desk LoS share", "time_in_system_mean_s": "time in system s"}
    t = Table(title=f"sweep: {len(table)} points (mean ± 95% CI half-width)")
    t.add_column("point")
    for p in paths:
        t.add_column(p.split(".")[-1] if len(paths) == 1 else ".".join(p.split(".")[-2:]),
                     justify="right")
    for label in metrics.values():
        t.add_column(label, justify="right")
    for _, row in table.iterrows():
        cells = []
        for m in metrics:
            mean, hi = row[m], row[m + "_ci_high"]
            ok = mean is not None and math.isfinite(mean)
            half = hi - mean if ok and hi is not None and math.isfinite(hi) else None
            cells.append(f"{_num(mean)} ± {_num(half)}" if ok else "–")
        t.add_row(row["point"], *(str(row[p]) for p in paths), *cells)
    console.print(t)
    console.print(f"comparison: {out / 'comparison.parquet'} and {out / 'comparison.csv'}")


@bench_app.command("sim")
def bench_sim(
    scenario: Optional[Path] = typer.Option(None, help="the day to simulate (profile mode); "
                                            "default: scenarios/icn_t1_full_day.yaml"),
    repeat: int = typer.Option(1, min=1, help="runs of each; the fastest counts"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """A 24-hour day of ~100,000 travelers against a bare SimPy M/M/c of the same event count."""
    from sim.bench import DAY_SCENARIO, bench_sim as run_bench, format_table

    figures = run_bench(_load(scenario or DAY_SCENARIO), repeat)
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        from rich.console import Console

        Console().print(format_table(figures))


@app.command()
def compare(
    scenarios: list[Path] = typer.Argument(..., help="two or more scenario YAML files with the "
                                           "same demand (e.g. the scenarios/layout_*.yaml pair)"),
    replications: int = typer.Option(1, "--replications", "-n", min=1),
    seed: Optional[int] = typer.Option(None, help="master seed (default: the first scenario's)"),
    as_json: bool = typer.Option(False, "--json", help="print the table as JSON records"),
) -> None:
    """Layouts side by side on the same seeds: waits, m² per traveler, walking times, spillback."""
    if len(scenarios) < 2:
        typer.echo("compare: give at least two scenario files", err=True)
        raise typer.Exit(2)
    from rich.console import Console
    from rich.table import Table

    from sim.compare import compare_layouts

    loaded = [_load(p) for p in scenarios]
    console = Console(stderr=as_json)
    if not as_json and console.width < 160:  # scenario names as column headers need room
        console = Console(width=160)
    with console.status("simulating") as status:
        table, runs = compare_layouts(loaded, replications, seed, lambda name, i: status.update(
            f"{name}: replication {i + 1} of {replications} done"))
    if as_json:
        typer.echo(table.to_json(orient="records"))
        return
    t = Table(title=f"compare: {len(runs)} layouts, {replications} replication(s) each, "
                    "same seeds")
    for col in table.columns:
        if col != "meaning":
            t.add_column(col, justify="left" if col in ("figure", "unit") else "right",
                         no_wrap=col == "figure")
    for row in table.itertuples(index=False):
        cells = [row.figure, row.unit] + [_num(v) for v in row[3:]]
        t.add_row(*cells)
    console.print(t)
    w = Table(title="mean walking time per walk (s) and its distance (m; routed or typed)")
    for col in ("from", "to", *(r.scenario.name for r in runs)):
        w.add_column(col, justify="left" if col in ("from", "to") else "right")
    keys = list(dict.fromkeys(k for r in runs for k in zip(r.walks["from_zone"],
                                                            r.walks["to_zone"])))
    for a, b in keys:
        cells = []
        for r in runs:
            m = r.walks[(r.walks["from_zone"] == a) & (r.walks["to_zone"] == b)]
            cells.append("–" if m.empty else
                         f"{_num(m['walk_mean_s'].iloc[0])} s / {_num(m['distance_m'].iloc[0])} m")
        w.add_row(a, b, *cells)
    console.print(w)
