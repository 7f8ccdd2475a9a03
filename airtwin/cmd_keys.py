"""``airtwin keys``: make a template key, see which keys a store's rows are under, and rotate to a
new key while the service stays online."""

from __future__ import annotations

from pathlib import Path

import typer

from airtwin.app import app

keys_app = typer.Typer(no_args_is_help=True, help="Template keys: new, status, rotate (online).")
app.add_typer(keys_app, name="keys")

STORE_HELP = ("the template store: the --store-dir folder of `airtwin serve`, or a "
              "postgresql:// DSN (default: $AIRTWIN_STORE_DSN)")


def _store(store: str | None) -> str:
    from pipeline.service.config import DSN_ENV, read_secret

    location = store or read_secret(None, DSN_ENV, "store DSN")
    if not location:
        typer.echo(f"--store: give the store folder or a postgresql:// DSN (or set ${DSN_ENV})",
                   err=True)
        raise typer.Exit(2)
    return location


def _key(file: Path, option: str) -> bytes:
    from pipeline.service.config import ServiceConfigError, read_template_key

    try:
        key = read_template_key(file, env=None)
    except ServiceConfigError as exc:
        typer.echo(f"{option}: {exc}", err=True)
        raise typer.Exit(2)
    if key is None:
        typer.echo(f"{option}: required", err=True)
        raise typer.Exit(2)
    return key


@keys_app.command("new")
def keys_new() -> None:
    """Print a new random template key (save it to a file: `airtwin keys new > template.key`)."""
    from pipeline.gallery.crypto import RowKey, new_key

    key = new_key()
    typer.echo(key.decode("ascii"))
    typer.echo(f"key id {RowKey(key).key_id}", err=True)


@keys_app.command("status")
def keys_status(store: str = typer.Option(None, help=STORE_HELP)) -> None:
    """The keys a store has registered and how many templates are sealed under each (needs no
    key: ids and counts are not secret)."""
    from pipeline.gallery.location import connect_rows
    from pipeline.gallery.store import StoreError

    try:
        rows = connect_rows(_store(store), readonly=True)
    except StoreError as exc:
        typer.echo(f"airtwin keys status: {exc}", err=True)
        raise typer.Exit(2)
    try:
        for key_id, n in sorted(rows.count_by_key().items()):
            typer.echo(f"{rows.location}: key {key_id}: {n} templates")
    finally:
        rows.close()


@keys_app.command("rotate")
def keys_rotate(
    store: str = typer.Option(None, help=STORE_HELP),
    old_key_file: Path = typer.Option(..., help="the key the rows are sealed with now"),
    new_key_file: Path = typer.Option(..., help="the key to re-seal them with"),
    batch: int = typer.Option(1000, min=1, help="rows re-sealed per transaction"),
) -> None:
    """Re-encrypt every template under the old key with the new one, in short batches, while
    the service keeps serving. Restart the service with --key-file NEW --old-key-file OLD
    first (so it seals new enrolments with the new key); afterwards the old key is retired and
    --old-key-file can go."""
    from pipeline.gallery.crypto import KeyRing
    from pipeline.gallery.location import open_rows
    from pipeline.gallery.rotation import rotate
    from pipeline.gallery.store import StoreError

    keys = KeyRing(_key(new_key_file, "--new-key-file"), [_key(old_key_file, "--old-key-file")])
    old_id = next(i for i in keys.ids if i != keys.current.key_id) if len(keys.ids) > 1 else None
    if old_id is None:
        typer.echo("--old-key-file and --new-key-file hold the same key", err=True)
        raise typer.Exit(2)
    try:
        rows = open_rows(_store(store), keys)
    except StoreError as exc:
        typer.echo(f"airtwin keys rotate: {exc}", err=True)
        raise typer.Exit(2)
    try:
        result = rotate(rows, keys, old_id, batch,
                        progress=lambda n: typer.echo(f"  re-sealed {n} templates", err=True))
    except StoreError as exc:
        typer.echo(f"airtwin keys rotate: {exc}", err=True)
        raise typer.Exit(1)
    finally:
        rows.close()
    typer.echo(f"{rows.location}: re-sealed {result.resealed} templates from key {old_id} to "
               f"{result.new_key_id} in {result.seconds:.2f} s ({result.rate:,.0f}/s)")
    if result.retired:
        typer.echo(f"key {old_id} is retired: no template is sealed under it any more")
    else:
        typer.echo(f"key {old_id} is still in use (a service still seals with it?): restart "
                   f"every service with --key-file {new_key_file} and run this again", err=True)
        raise typer.Exit(1)
