"""``airtwin loadtest``: Locust, headless, against the recognition service on a loopback port;
a load-test folder with Locust's CSVs, per-endpoint and per-step latency, the capacity at the
SLO and, with a sim run, the replicas (CPU processes or GPUs, as measured) its peak hour
needs (see loadtests/results.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import typer

from airtwin.app import app


def _numbers(text: str | None, what: str, cast) -> tuple:
    if not text:
        return ()
    try:
        values = tuple(cast(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated numbers, got {text!r}",
                                 param_hint=what) from None
    if any(v <= 0 for v in values):
        raise typer.BadParameter(f"every value must be > 0, got {text!r}", param_hint=what)
    return values


def _mix(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    from loadtests.plan import KINDS

    mix = {}
    for part in text.split(","):
        kind, _, share = part.partition("=")
        kind = kind.strip()
        if kind not in KINDS:
            raise typer.BadParameter(f"unknown kind {kind!r} (known: {', '.join(KINDS)})",
                                     param_hint="--mix")
        try:
            mix[kind] = float(share)
        except ValueError:
            raise typer.BadParameter(f"{kind}: share must be a number, got {share!r}",
                                     param_hint="--mix") from None
    return mix


@app.command()
def loadtest(
    shape: str = typer.Option("sweep", help="sweep (step load), poisson (open loop at --rps), "
                              "replay (a sim run's day, time-compressed), cameras (the frames "
                              "scenario's face cameras streaming to /v1/cctv/frame at "
                              "--camera-load times their fps)"),
    host: str = typer.Option(..., help="service URL on this machine, e.g. http://127.0.0.1:8000;"
                             " several, comma-separated, for replicas on one template store"),
    run: Path = typer.Option(None, help="sim run folder: the mix, the replay curve, and the "
                             "peak hour the replica plan is sized for"),
    users: str = typer.Option("1,2,4,8", help="sweep: closed-loop user counts, one per step"),
    camera_load: str = typer.Option("1", help="cameras: each step's camera load, a share of "
                                    "every face camera's fps (e.g. 0.25,0.5,1: a quarter, half "
                                    "and full real time)"),
    rps: str = typer.Option(None, help="poisson: target req/s; sweep: open-loop rates, one per "
                            "step (instead of --users)"),
    duration: float = typer.Option(60.0, help="seconds of load (a sweep splits it among steps; "
                                   "a replay fits the day into it unless --compress)"),
    compress: float = typer.Option(None, help="replay: simulated seconds per second of load"),
    scale: float = typer.Option(1.0, help="replay: multiply every rate by this"),
    sim_from: float = typer.Option(None, help="replay: start at this simulated time (s)"),
    sim_to: float = typer.Option(None, help="replay: stop at this simulated time (s)"),
    bin_s: float = typer.Option(300.0, help="replay: curve resolution in simulated seconds "
                                "(coarsened so each step holds >= 5 s of load)"),
    mix: str = typer.Option(None, help="shares of requests, e.g. verify=0.6,identify=0.2,"
                            "analyze=0.2 (default: the run's, else that one); cctv=... sends "
                            "face-camera frames to /v1/cctv/frame"),
    endpoints: str = typer.Option(None, help="only these kinds, e.g. verify,identify"),
    bad_share: float = typer.Option(0.0, min=0.0, max=0.5, help="share of deliberately "
                                    "corrupt JPEG uploads (counted as errors, kept out of SLO)"),
    analyze_fps: float = typer.Option(None, help="CCTV frames/s per camera sent for analysis "
                                      "(default: the camera's fps)"),
    frames_scenario: Path = typer.Option(None, help="scenario whose CCTV cameras the analyze "
                                         "frames show; the service must run `airtwin serve "
                                         "--site` with its site file (`airtwin site export`) "
                                         "(default scenarios/incidents_demo.yaml; "
                                         "scenarios/cctv_identification.yaml when cctv frames "
                                         "are sent)"),
    slo_ms: float = typer.Option(200.0, help="p99 latency target (ms)"),
    max_error_rate: float = typer.Option(0.001, help="error-rate target (0.001 = 0.1%)"),
    min_step_requests: int = typer.Option(10, help="a step counts for the capacity only with "
                                          "this many valid requests"),
    headroom: float = typer.Option(0.3, help="replica plan: spare capacity at the peak hour"),
    out: Path = typer.Option(None, help="load-test folder (default: results/loadtest/"
                             "<shape>-<UTC time>)"),
    workers: int = typer.Option(0, help="local Locust worker processes (0: one process, no "
                                "master)"),
    remote_workers: int = typer.Option(0, help="also wait for this many workers from other "
                                       "machines (the command to run there is printed)"),
    master_port: int = typer.Option(None, help="port the master listens on for workers "
                                    "(default: free port; 5557 with --remote-workers)"),
    seed: int = typer.Option(0, help="seed of the arrival schedule and payload choice"),
    timeout: float = typer.Option(10.0, help="HTTP timeout per request (s)"),
    token_file: Path = typer.Option(None, help="API token file to enrol the pack's travelers "
                                    "(else $AIRTWIN_API_TOKEN)"),
    pack: Path = typer.Option(None, help="payload pack folder (built there if missing or "
                              "different; default: beside --out)"),
    identities: int = typer.Option(8, help="synthetic travelers in the payload pack"),
    stages: bool = typer.Option(True, help="after sending cctv frames, run them again in this "
                                "process through the service's CCTV stream on its backend, "
                                "each stage timed (cctv_stages.parquet)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON object"),
) -> None:
    """Load-test the recognition service with Locust; writes a load-test folder and prints the
    capacity (and, with --run, the replicas the simulated peak hour needs)."""
    from rich.console import Console

    from loadtests.payloads import PackError, PackSpec
    from loadtests.plan import PlanError
    from loadtests.runner import LoadTestError, LoadTestOptions, run_loadtest
    from outputs.loadtest import load_loadtest
    from outputs.progress import progress_bar
    from pipeline.service.config import ServiceConfigError, TOKEN_ENV, read_secret

    err = Console(stderr=True)
    try:
        token = read_secret(token_file, TOKEN_ENV, "API token")
        opts = LoadTestOptions(
            shape=shape, host=host, run=run,
            out=out or Path("results/loadtest") / f"{shape}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}",
            users=_numbers(users, "--users", int), rps=_numbers(rps, "--rps", float),
            camera_load=_numbers(camera_load, "--camera-load", float),
            duration_s=duration, compress=compress, scale=scale, sim_from=sim_from,
            sim_to=sim_to, bin_s=bin_s, min_step_requests=min_step_requests, mix=_mix(mix), bad_share=bad_share, analyze_fps=analyze_fps,
            frames_scenario=frames_scenario,
            endpoints=tuple(e.strip() for e in endpoints.split(",")) if endpoints else None,
            slo_ms=slo_ms, max_error_rate=max_error_rate, headroom=headroom, workers=workers,
            remote_workers=remote_workers, master_port=master_port,
            seed=seed, timeout_s=timeout, token=token, pack=pack,
            pack_spec=PackSpec(identities=identities), stages=stages)
        with progress_bar(console=err) as bar:
            task = bar.add_task("preparing", total=None)
            def say(msg: str) -> None:
                bar.update(task, description=msg)
                if not msg.startswith("rendering"):  # per-picture progress stays transient
                    bar.console.print(msg)

            folder = run_loadtest(
                opts, say=say,
                progress=lambda done, total: bar.update(task, description="load", completed=done,
                                                        total=total))
    except (PlanError, PackError, LoadTestError, ServiceConfigError, ValueError) as exc:
        typer.echo(f"airtwin loadtest: {exc}", err=True)
        raise typer.Exit(2)
    result = load_loadtest(folder)
    s = result.summary
    if as_json:
        typer.echo(json.dumps(s))
        return
    _print(Console(), s, result.tables["endpoints"], folder)


def _print(console, s: dict, endpoints, folder: Path) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"airtwin loadtest — {s['shape']} ({s['mode']} loop), {s['host']}")
    for col in ("endpoint", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "late"):
        t.add_column(col, justify="right")
    for r in endpoints.itertuples(index=False):
        t.add_row(escape(r.name), str(r.requests), str(r.failures), f"{r.rps:.2f}", f"{r.p50_ms:.0f}",
                  f"{r.p95_ms:.0f}", f"{r.p99_ms:.0f}", str(r.late_starts))
    console.print(t)
    cap = s["capacity"]
    console.print(f"capacity: {cap['capacity_rps']:.2f} req/s — {cap['detail']}"
                  if cap["capacity_rps"] is not None else f"capacity: none — {cap['detail']}")
    if s.get("gpu_plan"):
        g = s["gpu_plan"]
        from outputs.loadtest import replica_unit

        console.print(f"replica plan: {g['replicas']} {replica_unit(g)} for the peak hour — "
                      f"{g['detail']}")
    for note in s.get("notes", []):
        console.print(f"note: {note}")
    console.print(f"load-test folder: {folder} (report: {folder / 'report.md'})")
