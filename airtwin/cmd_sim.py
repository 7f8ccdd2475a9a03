"""Commands for the terminal model: validate, run (placeholder until results land)."""

from pathlib import Path

import typer

from airtwin.app import app


@app.command()
def validate(scenario: Path) -> None:
    """Check a scenario file; print what it holds or the errors found."""
    from sim.loader import ScenarioError, load_scenario

    try:
        s = load_scenario(scenario)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    n = sum(f.passengers for f in s.flights.schedule)
    typer.echo(f"{scenario}: ok — {len(s.flights.schedule)} flights, {n} travelers")
