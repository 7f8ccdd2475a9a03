"""Commands for synthetic faces: contact sheets of enrolment photos and live captures."""

from pathlib import Path

import typer

from airtwin.app import faces_app


@faces_app.command()
def sheet(
    out: Path = typer.Option(..., "--out", help="Image to write (.png or .jpg)."),
    n: int = typer.Option(24, "--n", min=1, max=500, help="Number of identities."),
    seed: int = typer.Option(0, "--seed", min=0, help="Replication seed of the identity keys."),
    live: int = typer.Option(2, "--live", min=0, max=8,
                             help="Live e-gate captures per identity beside the enrolment."),
) -> None:
    """Write a contact sheet: per identity its enrolment photo, live captures and demographics."""
    from outputs.progress import steps
    from sim.faces.sheet import contact_sheet, write_image

    if not out.parent.exists():
        typer.echo(f"{out}: folder {out.parent} does not exist", err=True)
        raise typer.Exit(2)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        typer.echo(f"{out}: unsupported image type {out.suffix or '(none)'}; use .png or .jpg",
                   err=True)
        raise typer.Exit(2)
    with steps("rendering identities", n) as advance:
        image = contact_sheet(n, seed=seed, live=live, progress=advance)
    write_image(out, image)
    typer.echo(f"{out}: {n} identities (seed {seed}), {image.shape[1]}x{image.shape[0]} px")
