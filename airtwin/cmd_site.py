"""``airtwin site``: site files, the floor plan (zones, processor rows, belts, doors, CCTV
cameras) that ``airtwin serve --site FILE`` runs danger detection on."""

from __future__ import annotations

from pathlib import Path

import typer

from airtwin.app import app

site_app = typer.Typer(no_args_is_help=True, help="Site files: the floor plan and CCTV cameras "
                       "the service's danger detection (/v1/analyze) watches.")
app.add_typer(site_app, name="site")


def _summary(plan) -> str:
    cams = ", ".join(c.id for c in plan.cameras) or "none"
    return (f"site {plan.name}: {len(plan.zones)} zones, {len(plan.rows)} processor rows, "
            f"{len(plan.belts)} belts, {len(plan.doors)} doors, CCTV cameras: {cams}")


@site_app.command("export")
def export(scenario: Path = typer.Argument(..., help="scenario YAML"),
           out: Path = typer.Option(..., "--out", help="site file to write (YAML)")) -> None:
    """Write a scenario's floor plan as a site file, for `airtwin serve --site FILE`."""
    from floorplan.camera import CameraError
    from floorplan.site import write_site
    from sim.layout import floor_plan
    from sim.loader import ScenarioError, load_scenario

    try:
        plan = floor_plan(load_scenario(scenario))
    except (ScenarioError, CameraError) as exc:
        typer.echo(f"airtwin site export: {exc}", err=True)
        raise typer.Exit(2)
    write_site(plan, out, header=f"airtwin site file: the floor plan of scenario {plan.name} "
               f"({scenario}),\nwritten by `airtwin site export`. Format: floorplan/site.py. "
               f"Use: airtwin serve --site {out}")
    typer.echo(f"{out}: {_summary(plan)}")


@site_app.command("check")
def check(site: Path = typer.Argument(..., help="site file (YAML)")) -> None:
    """Read a site file as the service would; exit 2 naming the file, field and value if it
    cannot be used."""
    from floorplan.site import SiteError, read_site

    try:
        plan = read_site(site)
    except SiteError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(f"{site}: {_summary(plan)}")
