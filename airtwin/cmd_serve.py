"""``airtwin serve``: the recognition service (FastAPI on uvicorn); ``airtwin audit-check``:
verify the hash chain of its audit log."""

from __future__ import annotations

from pathlib import Path

import typer

from airtwin.app import app


@app.command()
def serve(
    backend: str = typer.Option("dlib", help="recognition backend (dlib, insightface)"),
    model_dir: Path = typer.Option(None, help="model pack folder (insightface backend)"),
    provider: str = typer.Option("auto", help="onnxruntime provider for insightface: auto, "
                                 "cpu, cuda, tensorrt"),
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="TCP port"),
    max_batch: int = typer.Option(16, help="most requests embedded in one model call"),
    max_wait_ms: float = typer.Option(5.0, help="how long a batch waits to fill (ms)"),
    queue_size: int = typer.Option(64, help="requests that may wait; one more gets 429"),
    token_file: Path = typer.Option(None, help="file holding the API token that enrolment "
                                    "needs (else $AIRTWIN_API_TOKEN)"),
    key_file: Path = typer.Option(None, help="file holding the key that encrypts templates at "
                                  "rest (else $AIRTWIN_TEMPLATE_KEY; make one with `airtwin keys "
                                  "new`)"),
    old_key_file: Path = typer.Option(None, help="during a key rotation: the previous key, so "
                                      "rows not yet re-encrypted still open"),
    retention_s: float = typer.Option(86_400.0, help="templates are purged this long after "
                                      "enrolment (s)"),
    store_dir: Path = typer.Option(None, help="persist templates here, encrypted, in SQLite "
                                   "(needs a key); default: memory only"),
    store_dsn: str = typer.Option(None, envvar="AIRTWIN_STORE_DSN", show_envvar=True,
                                  help="or persist them in PostgreSQL, shared by replicas: "
                                  "postgresql://... (prefer the variable: a password on the "
                                  "command line shows in ps)"),
    audit_log: Path = typer.Option(None, help="hash-chained audit log of identify calls "
                                   "(default: STORE_DIR/audit.jsonl or "
                                   "results/service/audit.jsonl)"),
    threshold: float = typer.Option(None, help="verify/identify threshold (default: the "
                                    "backend's calibrated one)"),
    target_fmr: float = typer.Option(1e-3, help="use the calibrated threshold at this FMR"),
    calibration: Path = typer.Option(None, help="calibration file (default: where `airtwin "
                                     "calibrate` saves it)"),
    max_image_mb: float = typer.Option(10.0, help="largest upload accepted (MiB)"),
    site: Path = typer.Option(None, help="site file of the CCTV cameras /v1/analyze watches "
                              "(make one: `airtwin site export SCENARIO --out FILE`); "
                              "without it /v1/analyze answers 503 no_site"),
    cctv_persons: str = typer.Option("heads", help="person boxes of /v1/cctv/frame: heads (the "
                                     "CCTV head detector) or faces (implied by the faces found)"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Run the recognition service: enroll, verify, identify, health, metrics (see /docs)."""
    import uvicorn

    from floorplan.site import read_site
    from pipeline.calibration import CalibrationError
    from pipeline.gallery.store import StoreError
    from pipeline.registry import BackendError
    from pipeline.service.app import create_app
    from pipeline.service.audit import AuditError
    from pipeline.service.config import (TOKEN_ENV, ServiceConfig, ServiceConfigError,
                                         read_secret, read_template_key)

    if audit_log is None:
        audit_log = (store_dir / "audit.jsonl") if store_dir else Path("results/service/audit.jsonl")
    try:
        config = ServiceConfig(
            backend=backend, model_dir=model_dir, provider=provider, max_batch=max_batch,
            max_wait_ms=max_wait_ms, queue_size=queue_size,
            api_token=read_secret(token_file, TOKEN_ENV, "API token"),
            template_key=read_template_key(key_file),
            old_template_keys=tuple(k for k in [read_template_key(old_key_file, env=None)] if k),
            retention_s=retention_s, store_dir=store_dir, store_dsn=store_dsn,
            audit_log=audit_log, threshold=threshold,
            target_fmr=target_fmr, calibration=calibration,
            max_image_bytes=int(max_image_mb * 1024 * 1024), site=site,
            cctv_persons=cctv_persons)
        if site is not None:
            read_site(site)  # a bad site file stops the start here, naming file and field
        application = create_app(config)
    except (ServiceConfigError, BackendError, CalibrationError, StoreError, AuditError,
            ValueError) as exc:
        typer.echo(f"airtwin serve: {exc}", err=True)
        raise typer.Exit(2)
    if config.api_token is None:
        typer.echo(f"airtwin serve: no API token ({TOKEN_ENV} or --token-file): /v1/enroll is "
                   f"disabled", err=True)
    if site is None:
        typer.echo("airtwin serve: no --site: /v1/analyze answers 503 no_site", err=True)
    th = application.state.service.threshold
    if config.store_location is not None:
        typer.echo(f"airtwin serve: template store {application.state.service.store.rows.location}"
                   f": {application.state.service.store.loaded}", err=True)
    typer.echo(f"airtwin serve: {backend} on http://{host}:{port} (OpenAPI at /docs); threshold "
               f"{th.threshold:.4f} from {th.source}", err=True)
    uvicorn.run(application, host=host, port=port, log_level=log_level, workers=1)


@app.command("audit-check")
def audit_check(log: Path = typer.Argument(..., help="audit log (JSON lines)"),
                anchor: str = typer.Option(None, help="SEQ:HASH head printed by an earlier check "
                                           "and kept elsewhere: also fail if that record is "
                                           "gone or changed (catches lines cut off the end)")
                ) -> None:
    """Verify an audit log's hash chain; exit 1 naming the first bad line if it is broken. It
    prints the head (SEQ:HASH): keep it outside the log's machine and pass it as --anchor."""
    from pipeline.service.audit import parse_anchor, verify_chain

    if not log.is_file():
        typer.echo(f"{log}: no such file", err=True)
        raise typer.Exit(2)
    try:
        kept = None if anchor is None else parse_anchor(anchor)
    except ValueError as exc:
        typer.echo(f"--anchor: {exc}", err=True)
        raise typer.Exit(2)
    check = verify_chain(log, kept)
    typer.echo(f"{log}: {check}")
    if not check.ok:
        raise typer.Exit(1)
