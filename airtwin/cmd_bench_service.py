"""``airtwin bench service``: HTTP (micro-batched) throughput over in-process throughput at the
same p99."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from airtwin.app import bench_app


@bench_app.command("service")
def bench_service_cmd(
    backend: str = typer.Option("dlib", help="recognition backend"),
    model_dir: Path = typer.Option(None, help="model pack folder (insightface backend)"),
    concurrency: str = typer.Option("1,2,4,8", help="client counts to load with, comma-separated"),
    requests: int = typer.Option(40, help="requests per load level (at least 4 per client)"),
    max_batch: int = typer.Option(16, help="service --max-batch"),
    max_wait_ms: float = typer.Option(5.0, help="service --max-wait-ms"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Service throughput through HTTP vs the same pipeline in process, at the same p99."""
    from rich.console import Console
    from rich.table import Table

    from experiments.bench_service import bench_service

    try:
        levels = tuple(sorted({int(c) for c in concurrency.split(",") if c.strip()}))
    except ValueError:
        typer.echo(f"--concurrency: expected integers like 1,2,4,8, got {concurrency!r}", err=True)
        raise typer.Exit(2)
    if not levels or levels[0] < 1 or requests < 1:
        typer.echo("--concurrency and --requests must be >= 1", err=True)
        raise typer.Exit(2)
    err = Console(stderr=True)
    with err.status("starting") as status:
        result = bench_service(backend, levels, requests, max_batch, max_wait_ms, model_dir,
                               progress=lambda s: status.update(s))
    if as_json:
        typer.echo(json.dumps(result))
        return
    out = Console()
    t = Table(title=f"airtwin bench service — {backend}, verify (decode+detect+align+embed+match),"
                    f" max batch {max_batch}, max wait {max_wait_ms:g} ms")
    for col in ("mode", "clients", "requests", "errors", "req/s", "p50 ms", "p99 ms", "mean batch"):
        t.add_column(col, justify="right")
    for p in result["points"]:
        t.add_row(p["mode"], str(p["concurrency"]), str(p["requests"]), str(p["errors"]),
                  f"{p['throughput_rps']:.2f}", f"{p['p50_ms']:.0f}", f"{p['p99_ms']:.0f}",
                  f"{p['mean_batch']:.1f}")
    out.print(t)
    s = Table(title="HTTP throughput at the in-process p99")
    for col in ("clients", "in-process p99 ms", "in-process req/s", "HTTP req/s", "ratio"):
        s.add_column(col, justify="right")
    for r in result["same_p99"]:
        s.add_row(str(r["concurrency"]), f"{r['p99_ms']:.0f}", f"{r['in_process_rps']:.2f}",
                  "n/a" if r["http_rps_at_same_p99"] is None else f"{r['http_rps_at_same_p99']:.2f}",
                  "n/a" if r["ratio"] is None else f"{r['ratio']:.3f}")
    out.print(s)
    ratio = result["ratio"]
    verdict = "n/a" if ratio is None else (f"{ratio:.3f} ({'meets' if ratio >= 0.85 else 'MISSES'}"
                                           f" the >= 0.85 target)")
    out.print(f"HTTP / in-process throughput at p99 {result['ratio_at_p99_ms']:.0f} ms: {verdict}")
