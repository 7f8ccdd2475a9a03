"""``airtwin bench gallery``: template store enrolment and startup at 1k-1M stored, an
approximate index at 10M, sharded search, and 2 service replicas on PostgreSQL against 1."""

from __future__ import annotations

import json
import time

import typer

from airtwin.app import bench_app


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(float(v)) for v in text.split(",") if v.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}",
                                 param_hint=what) from None
    if any(v < 1 for v in values):
        raise typer.BadParameter(f"every value must be >= 1, got {text!r}", param_hint=what)
    return values


@bench_app.command("gallery")
def bench_gallery_cmd(
    sizes: str = typer.Option("1000,10000,100000,1000000", help="templates stored when "
                              "enrolment is timed (the last is also the startup figure)"),
    backends: str = typer.Option("sqlite,postgresql", help="stores to time: sqlite, postgresql"),
    dim: int = typer.Option(128, help="template dimension (128: dlib)"),
    enrolments: int = typer.Option(1000, help="enrolments timed at each size"),
    ann_size: int = typer.Option(10_000_000, help="templates in the approximate-index test "
                                 "(0: skip); 10M x 128 float32 is 4.8 GiB"),
    ann_lists: int = typer.Option(1024, help="IVF cells"),
    ann_code_bytes: int = typer.Option(16, help="PQ bytes per template"),
    ann_probe_lists: str = typer.Option("32,64,128,256", help="cells read per probe, one row each"),
    ann_shortlist: int = typer.Option(256, help="PQ candidates re-scored exactly"),
    ann_intrinsic_dim: int = typer.Option(0, help="0: isotropic templates (worst case); N: "
                                          "templates near an N-dimensional subspace"),
    shard_size: int = typer.Option(1_000_000, help="templates in the sharded test (0: skip)"),
    replica_requests: int = typer.Option(40, help="verify requests per load level in the "
                                         "replica test (0: skip)"),
    replica_concurrency: str = typer.Option("1,2,4,8", help="client counts of the replica test"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Enrolment p50/p99 flat from 1k to 1M stored (target <= 5 ms), startup load rate
    (>= 50,000/s at 1M), IVF-PQ recall@1/@10 and speed against exact search at 10M (recall@1
    >= 0.99 at >= 10x), exact search sharded over Dask workers, 2 replicas against 1."""
    from pipeline.gallery.ann import IvfPqSettings

    from experiments.bench_gallery import bench_gallery

    chosen = tuple(b.strip() for b in backends.split(",") if b.strip())
    unknown = set(chosen) - {"sqlite", "postgresql"}
    if unknown:
        raise typer.BadParameter(f"unknown backend(s) {', '.join(sorted(unknown))} (known: "
                                 f"sqlite, postgresql)", param_hint="--backends")
    settings = IvfPqSettings(ann_lists, ann_code_bytes, max(_ints(ann_probe_lists, "--ann-probe-"
                                                                  "lists")), ann_shortlist)
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        typer.echo(f"[{time.perf_counter() - t0:7.1f} s] {msg}", err=True)

    result = bench_gallery(_ints(sizes, "--sizes"), chosen, dim, enrolments, ann_size, settings,
                           _ints(ann_probe_lists, "--ann-probe-lists"), ann_intrinsic_dim,
                           shard_size, replica_requests,
                           _ints(replica_concurrency, "--replica-concurrency"), progress)
    result["seconds"] = time.perf_counter() - t0
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print(result)


def _print(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    t = Table(title=f"Enrolment and startup ({result['dim']}-d templates; enrolment = seal + "
                    f"commit + in-memory add; target p99 <= 5 ms, load >= 50,000/s)")
    for col in ("store", "stored", "enrol p50 ms", "enrol p99 ms", "startup s", "templates/s"):
        t.add_column(col, justify="right")
    for p in result["enrolment"]:
        t.add_row(p["backend"], f"{p['stored']:,}", f"{p['enrol_p50_ms']:.2f}",
                  f"{p['enrol_p99_ms']:.2f}", f"{p['load_s']:.2f}", f"{p['load_rate']:,.0f}")
    out.print(t)
    ann = result["ann"]
    if ann:
        s = ann["settings"]
        t = Table(title=f"IVF{s['lists']},PQ{s['code_bytes']} at {ann['templates']:,} x "
                        f"{ann['dim']}-d ({'isotropic' if not ann['intrinsic_dim'] else 'intrinsic ' + str(ann['intrinsic_dim'])}"
                        f"; probes at cosine {ann['probe_cosine']}); exact scan "
                        f"{ann['exact_ms_per_probe']:.0f} ms/probe; build {ann['build_s']:.0f} s; "
                        f"{ann['index_bytes_per_template']} B/template in the index")
        for col in ("probe lists", "recall@1", "recall@10", "ms/probe", "x exact"):
            t.add_column(col, justify="right")
        for p in ann["points"]:
            t.add_row(str(p["probe_lists"]), f"{p['recall_at_1']:.3f}",
                      f"{p['recall_at_10']:.3f}", f"{p['ms_per_probe']:.1f}", f"{p['speedup']:.1f}")
        out.print(t)
    sh = result["shards"]
    if sh:
        out.print(f"Sharded exact search, {sh['templates']:,} x {sh['dim']}-d over {sh['workers']} "
                  f"Dask workers: {sh['sharded_ms_per_probe']:.1f} ms/probe (one process: "
                  f"{sh['one_process_ms_per_probe']:.1f} ms)")
    rep = result["replicas"]
    if rep:
        t = Table(title=f"Replicas on PostgreSQL: verify throughput, 2 against 1 at the same p99 "
                        f"({rep['cores']} cores for both replicas and the clients)")
        columns = [("clients", "concurrency", "d"), ("1 replica p99 ms", "p99_ms", ".0f"),
                   ("1 replica req/s", "one_rps", ".2f"),
                   ("2 replicas req/s", "two_rps_at_same_p99", ".2f"), ("ratio", "ratio", ".2f")]
        for title, _, _ in columns:
            t.add_column(title, justify="right")
        for r in rep["same_p99"]:  # None: the 2-replica curve never got down to that p99
            t.add_row(*("n/a" if r[key] is None else format(r[key], spec)
                        for _, key, spec in columns))
        out.print(t)
    out.print(f"done in {result['seconds']:.0f} s")
