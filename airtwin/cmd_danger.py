"""Danger detection commands: ``airtwin detect-danger`` (a sim run's CCTV through the pipeline,
alerts kept as records), ``airtwin evaluate-danger`` (alerts against ground truth) and
``airtwin bench danger`` (frames/s per core, latency)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer

from airtwin.app import app, bench_app


def _fmt(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _print_table(table, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    cols = [("kind", "kind"), ("incidents", "incidents"), ("detected", "detected"),
            ("alerts", "alerts"), ("false_alarms", "false"), ("near_miss_alarms", "near miss"),
            ("precision", "precision"), ("recall", "recall"), ("f1", "F1"),
            ("ttd_median_s", "TTD p50 s"), ("ttd_p95_s", "TTD p95 s"),
            ("false_alarms_per_camera_hour", "FA/cam-h"),
            ("baseline_false_alarms_per_camera_hour", "baseline FA/cam-h"),
            ("meets_target", "target")]
    for _, head in cols:
        t.add_column(head, justify="right")
    for row in table.to_dict("records"):
        t.add_row(*[_fmt(row[k], 1 if k.startswith("ttd") else 2) for k, _ in cols])
    Console().print(t)


def _windows(specs: list[str]):
    from experiments.danger_run import Window

    out = []
    for k, spec in enumerate(specs):
        try:
            a, b = (float(v) for v in spec.split(":"))
        except ValueError:
            typer.echo(f"--window: expected FROM:TO in seconds like 0:3600, got {spec!r}", err=True)
            raise typer.Exit(2)
        out.append(Window(f"w{k + 1}", a, b))
    return out or None


@app.command("detect-danger")
def detect_danger_cmd(
    scenario: Path = typer.Argument(..., help="scenario YAML with cctv cameras (and incidents)"),
    out: Path = typer.Option(..., help="run folder to write (replaced whole if it exists)"),
    config: Optional[Path] = typer.Option(None, help="danger-detection settings YAML"),
    camera: list[str] = typer.Option([], help="only this cctv camera (repeatable)"),
    window: list[str] = typer.Option([], help="analyse FROM:TO seconds (repeatable; default: "
                                              "every hour of the run)"),
    fps: Optional[float] = typer.Option(None, help="frames analysed per second (default 5)"),
    workers: int = typer.Option(1, min=1, help="cameras analysed in parallel processes"),
    split_windows: bool = typer.Option(False, help="one stream per camera and window (more "
                                                   "parallel work), each started early"),
    preroll: float = typer.Option(300.0, min=0, help="with --split-windows: seconds analysed "
                                                     "before a window to learn the scene"),
    seed: Optional[int] = typer.Option(None, help="run seed (default: the scenario's)"),
    evaluate: bool = typer.Option(True, help="score the alerts and write the report too"),
) -> None:
    """Simulate a scenario, render every CCTV camera's frames, run danger detection on them and
    write a run folder: the sim's record tables, danger_alerts, danger_truth, danger_incidents,
    danger_coverage (Parquet), then the evaluation (danger_metrics.parquet, danger_report.md)."""
    from pipeline.danger.config import DangerConfigError, load_danger_config
    from experiments.danger_run import detect_danger
    from sim.loader import ScenarioError, load_scenario
    from sim.results import write_scenario_run

    try:
        cfg = load_danger_config(config)
    except DangerConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    if fps is not None:
        if not 0 < fps <= 30:
            typer.echo(f"--fps: must be in (0, 30], got {fps}", err=True)
            raise typer.Exit(2)
        cfg = cfg.model_copy(update={"analysis_fps": fps})
    try:
        tables, meta = detect_danger(scenario, cfg, cameras=list(camera) or None,
                                     windows=_windows(window), seed=seed, workers=workers,
                                     split_windows=split_windows, preroll_s=preroll)
    except (ScenarioError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    records = meta.pop("records")
    s = load_scenario(scenario)
    path = write_scenario_run(out, s, {**records, **tables},
                              {"seed": meta["seed"], "horizon_s": s.horizon_s, "danger": meta},
                              str(scenario))
    n = len(tables["danger_alerts"])
    typer.echo(f"{path}: {n} alerts from {len(meta['cameras'])} cameras in "
               f"{meta['wall_time_s']:.0f} s (analysed at {cfg.analysis_fps:g} frames/s)")
    if evaluate:
        _evaluate(path, 30.0)


def _evaluate(run: Path, grace: float) -> None:
    from experiments.danger_evaluate import evaluate_run

    table, _ = evaluate_run(run, grace)
    _print_table(table, f"danger detection: {run}")
    typer.echo(f"report: {Path(run) / 'danger_report.md'}; table: "
               f"{Path(run) / 'danger_metrics.parquet'}")


@app.command("evaluate-danger")
def evaluate_danger_cmd(
    run: Path = typer.Argument(..., help="run folder written by airtwin detect-danger"),
    grace: float = typer.Option(30.0, min=0, help="seconds after an incident's end an alert "
                                                  "still counts for it"),
) -> None:
    """Per kind: precision, recall, F1, time to detect (median, p95), false alarms per
    camera-hour (all, and on incident-free windows); written as danger_metrics.parquet and
    danger_report.md in the run folder."""
    from outputs.run import RunFolderError

    try:
        _evaluate(run, grace)
    except RunFolderError as exc:
        typer.echo(f"{exc} (make one with: airtwin detect-danger SCENARIO --out {run})", err=True)
        raise typer.Exit(2)


@bench_app.command("danger")
def bench_danger_cmd(
    frames: int = typer.Option(200, min=1, help="frames timed (after 50 warm-up frames)"),
    scenario: Optional[Path] = typer.Option(None, help="scenario (default incidents_demo)"),
    camera: str = typer.Option("hall_south", help="cctv camera"),
    t_start: float = typer.Option(1440.0, help="run time of the first frame, s"),
    resolution: list[str] = typer.Option(["1080p", "720p"], help="frame sizes timed, the "
                                                                 "camera re-rendered at each"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Danger pipeline speed on rendered CCTV frames at 1920x1080 and 1280x720: frames/s per
    core (CPU time, one OpenCV thread) and per-frame latency p50/p99. Target: 25 frames/s per
    core at 1080p."""
    from rich.console import Console

    from experiments.bench_danger import bench_danger

    err = Console(stderr=True)
    results = []
    with err.status("rendering frames, then timing the pipeline"):
        try:
            for res in resolution:
                results.append(bench_danger(frames, scenario, camera, t_start, resolution=res))
        except (ValueError, KeyError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(results[0] if len(results) == 1 else {"runs": results}))
        return
    from rich.table import Table

    r = results[0]
    t = Table(title=f"airtwin bench danger — {r['scenario']} {r['camera']}, {r['frames']} "
                    f"frames from t={r['t_start']:.0f} s, detector {r['detector']}")
    for col in ("resolution", "scale", "frames/s per core (CPU)", "frames/s (wall)",
                "latency p50 ms", "latency p99 ms", "people in view", "tracked", "target", "met"):
        t.add_column(col, justify="right")
    for r in results:
        t.add_row(r["resolution"], str(r["scale"]), f"{r['frames_per_cpu_s']:.1f}",
                  f"{r['frames_per_wall_s']:.1f}", f"{r['latency_ms_p50']:.1f}",
                  f"{r['latency_ms_p99']:.1f}", f"{r['persons_in_view']:.0f}",
                  f"{r['tracked_objects']:.0f}", f"{r['target_frames_per_cpu_s']:.0f}",
                  "yes" if r["meets_target"] else "NO")
    Console().print(t)


danger_app = typer.Typer(no_args_is_help=True, help="The procedural danger benchmark (issue 12): "
                                                    "generated scenes, tune/test split.")
app.add_typer(danger_app, name="danger")


def _seed_list(spec: str) -> list[int]:
    out: list[int] = []
    try:
        for part in spec.split(","):
            a, _, b = part.strip().partition("-")
            out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    except ValueError:
        typer.echo(f"--seeds: expected numbers and ranges like 0-19,1000, got {spec!r}", err=True)
        raise typer.Exit(2)
    return out


@danger_app.command("generate")
def danger_generate_cmd(
    out: Path = typer.Option(..., help="folder for scene_<seed>.yaml and scenes.json"),
    seeds: str = typer.Option("0-19", help="seeds, e.g. 0-19 (tune) or 1000-1039 (test)"),
) -> None:
    """Write one scenario per seed: a hall, a camera and staged incidents plus a near miss,
    every incident inside the camera's view (deterministic by seed)."""
    from experiments.danger_scenes import generate

    paths = generate(_seed_list(seeds), out)
    typer.echo(f"{len(paths)} scenes in {out} (facts: {out / 'scenes.json'})")


def _split_of(seeds: list[int]) -> str:
    """The split a list of seeds belongs to: "tune", "test" or "custom" (both or neither)."""
    from experiments.danger_scenes import SPLITS

    for name, members in SPLITS.items():
        if set(seeds) <= set(members):
            return f"{name} (seeds chosen: {len(set(seeds))} of {len(members)})"
    return "custom"


@danger_app.command("benchmark")
def danger_benchmark_cmd(
    out: Path = typer.Option(..., help="benchmark folder (scenes/, runs/<seed>/, result/); "
                                       "scenes already run there are kept"),
    split: str = typer.Option("test", help="tune (seeds 0-19) or test (seeds 1000-1039)"),
    seeds: Optional[str] = typer.Option(None, help="these seeds instead of the split's"),
    limit: Optional[int] = typer.Option(None, min=1, help="only the split's first N seeds"),
    config: Optional[Path] = typer.Option(None, help="danger-detection settings YAML"),
    workers: int = typer.Option(1, min=1, help="scenes analysed in parallel processes"),
    boot: int = typer.Option(1000, min=10, help="bootstrap resamples for the 95% CIs"),
    score_only: bool = typer.Option(False, help="run nothing: score the chosen seeds that "
                                                "OUT/runs already holds (a split cut short)"),
) -> None:
    """Run a split's scenes through danger detection and score them: per kind recall and
    precision with bootstrap CIs, episodes and duplicates, near misses, natural crowding,
    TTD p50/p95, baseline false alarms per camera-hour, recall by camera distance and crowd.
    Writes OUT/result (Parquet + danger_bench.md)."""
    import sys

    from experiments.danger_bench import run_split, score_split, split_seeds
    from pipeline.danger.config import DangerConfigError, load_danger_config

    try:
        cfg = load_danger_config(config)
        chosen = _seed_list(seeds) if seeds else split_seeds(split, limit)
    except (DangerConfigError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    name = split if not seeds else _split_of(chosen)
    if score_only:
        done = [s for s in chosen if (out / "runs" / str(s) / "summary.json").is_file()]
        if not done:
            typer.echo(f"{out / 'runs'}: no scene of the chosen seeds has been run", err=True)
            raise typer.Exit(2)
        name = f"{name} (partial: {len(done)} of {len(chosen)} scenes)" if done != chosen else name
        chosen = done
    else:
        run_split(chosen, out, cfg, workers)
    command = "airtwin " + " ".join(sys.argv[1:])
    table, text, folder = score_split(out, chosen, name, command, n_boot=boot)
    typer.echo(text)
    typer.echo(f"result: {folder} (danger_bench.md, danger_bench_kinds.parquet)")
