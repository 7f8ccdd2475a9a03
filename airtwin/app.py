"""The typer apps every command module registers on. Commands import heavy modules lazily,
inside the command function, so ``airtwin --help`` stays fast."""

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="airtwin: a digital twin of an airport immigration hall and its CCTV.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print figures (--json for one object).")
faces_app = typer.Typer(no_args_is_help=True, help="Synthetic faces: contact sheets and captures.")
models_app = typer.Typer(no_args_is_help=True, help="Face model packs for the insightface backend.")
app.add_typer(bench_app, name="bench")
app.add_typer(faces_app, name="faces")
app.add_typer(models_app, name="models")
