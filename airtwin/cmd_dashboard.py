"""``airtwin dashboard``: the Streamlit dashboards (planner, engineer, stakeholder) over a
results folder, served headless on the loopback interface."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from airtwin.app import app


def streamlit_argv(results: Path, port: int, address: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve ``dashboard/app.py`` on ``results``."""
    import dashboard
    from dashboard.folders import RESULTS_ENV

    script = Path(dashboard.__file__).resolve().parent / "app.py"
    argv = [sys.executable, "-m", "streamlit", "run", str(script),
            "--server.headless", "true", "--server.address", address,
            "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--global.developmentMode", "false", "--client.toolbarMode", "minimal"]
    return argv, {**os.environ, RESULTS_ENV: str(results)}


@app.command()
def dashboard(
    results: Path = typer.Option(Path("runs"), "--results",
                                 help="folder of run folders, sweeps, load tests, service logs"),
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="TCP port"),
    address: str = typer.Option("127.0.0.1", "--address", help="address to listen on"),
) -> None:
    """Serve the planner, engineer and stakeholder dashboards on a results folder."""
    results = results.expanduser().resolve()
    if not results.is_dir():
        typer.echo(f"--results {results}: folder not found (make one with `airtwin run "
                   f"SCENARIO --out {results}/NAME`)", err=True)
        raise typer.Exit(2)
    argv, env = streamlit_argv(results, port, address)
    typer.echo(f"airtwin dashboard on http://{address}:{port} (results: {results})", err=True)
    sys.stdout.flush()
    os.execve(argv[0], argv, env)  # Streamlit takes over this process: signals reach it
