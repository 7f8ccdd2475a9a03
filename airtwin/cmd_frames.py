"""``airtwin frames``: watch a CCTV camera of a run — frames, an MP4 and their ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from airtwin.app import app, bench_app

FORMATS = ("jpg", "png")


@app.command()
def frames(
    scenario: Path = typer.Argument(..., help="scenario YAML"),
    camera: str = typer.Option(..., "--camera", help="a cctv camera id of the scenario"),
    t_from: float = typer.Option(..., "--from", help="start, seconds of simulated time"),
    t_to: float = typer.Option(..., "--to", help="end (exclusive), seconds of simulated time"),
    out: Path = typer.Option(..., "--out", help="output folder"),
    seed: int | None = typer.Option(None, "--seed", min=0, help="run seed (default: scenario's)"),
    replication: int | None = typer.Option(
        None, "--replication", min=0,
        help="render replication i of `airtwin run` (its seed derives from --seed)"),
    image_format: str = typer.Option("jpg", "--format", help="frame images: jpg or png"),
    video: bool = typer.Option(True, "--video/--no-video", help="also write an MP4"),
    faces: bool = typer.Option(True, "--faces/--no-faces", help="face patches on figures"),
) -> None:
    """Simulate the run, render the camera's frames in [--from, --to) with ground truth:
    frames/NNNNNN.jpg, CAMERA.mp4, persons.parquet, objects.parquet, incidents.parquet and
    ground_truth.json (camera model, floor homography, incidents in the window)."""
    from outputs.progress import steps
    from sim.feeds import CctvFeed, FeedError, check_window
    from sim.loader import ScenarioError, load_scenario
    from sim.cctv.export import FrameWriter

    if image_format not in FORMATS:
        typer.echo(f"--format: expected one of {', '.join(FORMATS)}, got {image_format!r}",
                   err=True)
        raise typer.Exit(2)
    try:
        s = load_scenario(scenario)
        check_window(s, t_from, t_to)
        run_seed = s.seed if seed is None else seed
        if replication is not None:
            from sim.replications import replication_seeds

            run_seed = replication_seeds(run_seed, replication + 1)[replication]
        feed = CctvFeed(s, camera, seed=run_seed, faces=faces)
    except (ScenarioError, FeedError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    n = feed.count(t_from, t_to)
    if n == 0:
        typer.echo(f"--from/--to: no frame of {camera} ({feed.fps:g} fps) falls in "
                   f"[{t_from}, {t_to})", err=True)
        raise typer.Exit(2)
    writer = FrameWriter(out, feed, t_from, t_to, image_format, video)
    with steps(f"{camera} {t_from:g}-{t_to:g} s", n, "frames", transient=False) as advance:
        for frame in feed.frames(t_from, t_to):
            writer.add(frame)
            advance()
    summary = writer.close()
    typer.echo(f"{out}: {summary['frames']} frames, {summary['persons']} person boxes, "
               f"{len(summary['incidents'])} incidents"
               + (f", video {summary['video']}" if summary.get("video") else ""))


@bench_app.command("face-camera")
def bench_face_camera(
    n: int = typer.Option(100, "--frames", min=1, help="frames to time"),
    camera: str = typer.Option("reclaim_exit", "--camera",
                               help="a face camera of scenarios/cctv_identification.yaml"),
    t_start: float = typer.Option(1100.0, "--from", help="first frame, s of simulated time"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Face-camera rendering speed on one core, faces on (own faces, pose, motion blur, JPEG)."""
    import json

    from sim.feeds import FeedError, bench_face_camera as bench

    try:
        res = bench(n, camera, t_start)
    except (FeedError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    typer.echo(f"{res['camera']} ({res['resolution']}, {res['persons_per_frame']:.0f} people and "
               f"{res['faces_per_frame']:.0f} faces in view): {res['frames_per_cpu_s']:.2f} "
               f"frames per CPU-second, {res['frames_per_s']:.2f} frames/s wall, p50 "
               f"{res['ms_p50']:.0f} ms, p95 {res['ms_p95']:.0f} ms (warm-up {res['warmup_s']:.1f} s); "
               f"target >= {res['target_frames_per_s']:.0f} frames/s per core")
