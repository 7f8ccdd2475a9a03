"""Training commands: ``airtwin train heads`` (the CCTV head-and-shoulders detector, dlib HOG,
on frames the simulator renders from tune seeds only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from airtwin.app import app

train_app = typer.Typer(no_args_is_help=True, help="Train detectors on synthetic frames.")
app.add_typer(train_app, name="train")


@train_app.command("heads")
def train_heads_cmd(
    seeds: str = typer.Option("1,2,3", help="scenario seeds to render training frames from "
                              "(tune seeds; keep 101-103 for the held-out evaluation)"),
    out: Path = typer.Option(..., help="model file to write (.svm; its provenance beside it as "
                             ".json)"),
    data: Optional[Path] = typer.Option(None, help="dataset folder to render into (or reuse "
                                        "when it holds labels.parquet); default "
                                        "runs/heads-data-SEEDS"),
    c: float = typer.Option(5.0, "--C", min=1e-6, help="SVM C (dlib)"),
    step: float = typer.Option(194.0, min=1.0, help="seconds between sampled frames (every "
                               "third on reclaim_exit)"),
) -> None:
    """Render scenarios/cctv_identification.yaml's face cameras for SEEDS, label every head at
    least half visible from the ground truth, and train dlib's HOG detector on them."""
    from experiments.cctv_heads_train import build_dataset, train

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        typer.echo(f"--seeds: expected comma-separated integers, got {seeds!r}", err=True)
        raise typer.Exit(2)
    if not seed_list or min(seed_list) < 0:
        typer.echo(f"--seeds: expected seeds >= 0, got {seeds!r}", err=True)
        raise typer.Exit(2)
    folder = data or Path("runs") / f"heads-data-{'-'.join(map(str, seed_list))}"
    if not (folder / "labels.parquet").is_file():
        build_dataset(folder, seed_list, step=step)
    command = (f"airtwin train heads --seeds {','.join(map(str, seed_list))} --out {out} "
               f"--C {c:g} --step {step:g}")
    typer.echo(json.dumps(train(folder, out, seed_list, C=c, command=command), indent=2))
