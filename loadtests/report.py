"""The readable report of a load test (report.md): setup, per-endpoint latency, the steps, the
capacity, the replica plan (CPU processes or GPUs, as measured), and how the figures were
kept honest."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from loadtests.plan import LoadPlan
from outputs.loadtest import replica_unit


def _cell(v: Any, fmt: str = "") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return format(v, fmt) if fmt else str(v)


def markdown_table(df: pd.DataFrame, formats: dict[str, str]) -> str:
    cols = list(formats)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df[cols].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v, formats[c]) for c, v in zip(cols, row)) + " |")
    return "\n".join(lines)


def _open_loop_note(plan: LoadPlan, totals: dict) -> str:
    if plan.mode == "closed":
        return ("Closed loop: each of the step's users sends its next request as soon as the last "
                "reply arrives, so the offered load follows the server (what a concurrency sweep "
                "measures: throughput and latency at N requests in flight). Latency is from "
                "the send.")
    if plan.shape == "cameras":
        return (f"Open loop, camera streams: each face camera is one Locust user that sends its "
                f"frames at its fps times the step's camera load, on a clock fixed before the run "
                f"(periodic, like a camera), in time order, one in flight. Latency is measured "
                f"from each frame's due time, so a frame that waited for its camera's previous "
                f"answer is charged that wait (no coordinated omission). Late starts (sent more "
                f"than 10 ms after due): {totals.get('late_starts', 0)} of "
                f"{totals.get('requests', 0)} frames. The replica plan's capacity is the highest "
                f"frame rate a step sustained within the SLO: raise --camera-load until a step "
                f"fails to find the limit.")
    return (f"Open loop: send times were drawn before the run from a Poisson process (seed "
            f"{plan.seed}), independent of any reply. A pool of {plan.pool_users} users (sized "
            f"by Little's law at the peak rate with every request taking up to the "
            f"{plan.timeout_s:g} s client timeout) takes due arrivals in order; latency is "
            f"measured from the due time, not from the send, so a request that waited for a "
            f"free user is charged that wait (no coordinated omission). Late starts (sent more "
            f"than 10 ms after due): {totals.get('late_starts', 0)} of "
            f"{totals.get('requests', 0)} valid requests.")


def render_report(summary: dict, endpoints: pd.DataFrame, steps: pd.DataFrame,
                  plan: LoadPlan, gpu_plan: dict | None) -> str:
    cap = summary["capacity"]
    t = summary["totals"]
    mix = ", ".join(f"{k} {v:.1%}" for k, v in summary["mix"].items() if v > 0)
    out = [f"# Load test: {summary['shape']} ({summary['mode']} loop)", "",
           f"- service: {summary['host']} ({summary.get('service', '')})",
           f"- created: {summary['created']}; load: {summary['duration_s']:.0f} s from "
           + (f"a Locust master and {summary['workers']} worker processes" if summary['workers']
              else "one Locust process"),
           f"- mix of sends: {mix}",
           f"- SLO: p99 <= {summary['slo_ms']:g} ms and errors <= "
           f"{summary['max_error_rate']:.2%} (valid requests)"]
    if summary.get("run"):
        out.append(f"- sim run: {summary['run']}"
                   + (f", replayed {plan.compress:g}x faster" if plan.compress else ""))
    for note in summary.get("notes", []):
        out.append(f"- note: {note}")
    cams = summary.get("cameras") or {}
    if cams:
        out.append(f"- face cameras streamed to /v1/cctv/frame (one Locust user each, frames "
                   f"in time order): " + ", ".join(
                       f"{c} {v.get('fps', 0):g} fps, {v.get('faces_per_frame', 0):.1f} faces "
                       f"per frame" for c, v in sorted(cams.items())))
    out += ["", "## Totals (valid requests)", "",
            f"{t['requests']} requests, {t['failures']} failed ({_cell(t['error_rate'], '.2%')}), "
            f"{_cell(t['rps'], '.2f')} req/s; latency p50 {_cell(t['p50_ms'], '.0f')} ms, "
            f"p95 {_cell(t['p95_ms'], '.0f')} ms, p99 {_cell(t['p99_ms'], '.0f')} ms."]
    if t.get("bad_requests"):
        out.append(f"Deliberately bad uploads: {t['bad_requests']} sent, {t['bad_rejected']} "
                   f"rejected with a 4xx (each counted as a failure in Locust's statistics).")
    out += ["", "## Per endpoint (Locust's statistics)", "",
            markdown_table(endpoints, {"name": "", "requests": "d", "failures": "d",
                                       "error_rate": ".2%", "rps": ".2f", "p50_ms": ".0f",
                                       "p95_ms": ".0f", "p99_ms": ".0f", "max_ms": ".0f",
                                       "late_starts": "d"}),
            "", "## Steps", "",
            markdown_table(steps[steps["endpoint"] == "all"],
                           {"step": "d", "users": ".0f", "target_rps": ".2f", "requests": "d",
                            "rps": ".2f", "error_rate": ".2%", "p50_ms": ".0f", "p95_ms": ".0f",
                            "p99_ms": ".0f", "late_starts": "d", "passes": ""}),
            "", "## Capacity", "",
            (f"**{cap['capacity_rps']:.2f} req/s** per service replica. " if
             cap["capacity_rps"] is not None else "**No capacity figure**: ") + cap["detail"],
            "", "## Replica plan for the simulated peak hour", ""]
    if gpu_plan:
        demand = ", ".join(f"{k} {v:.2f} req/s" for k, v in gpu_plan["demand_rps"].items())
        cost = ", ".join(f"{k} {v:.0f} ms" for k, v in gpu_plan["cost_ms"].items())
        out += [f"- peak hour of the run: {gpu_plan['peak_hour']['start_s']:.0f}–"
                f"{gpu_plan['peak_hour']['end_s']:.0f} s (simulated clock); demand: {demand}",
                f"- work per request (p50 at the lowest load): {cost}",
                f"- one replica ({gpu_plan['measured_on']}): {gpu_plan['capacity_rps']:.2f} "
                f"req/s at the measured mix",
                f"- **replicas needed: {gpu_plan['replicas']} {replica_unit(gpu_plan)}** "
                f"(utilisation {gpu_plan['utilisation']:.2f} x (1 + {gpu_plan['headroom']:.0%} "
                f"headroom))", f"- {gpu_plan['detail']}"]
        if gpu_plan.get("cameras_per_replica") is not None:
            out.append(f"- **CCTV identification: one replica holds "
                       f"{gpu_plan['cameras_per_replica']:.2f} face cameras in real time** "
                       f"({len(gpu_plan['cameras'])} cameras in the demand, "
                       f"{sum(gpu_plan['cameras'].values()):.0f} frames/s)")
        out.append("- model: endpoints are costed by their low-load service time and summed "
                   "as if they shared one processor; where the service runs them on separate "
                   "workers (CCTV analysis has its own thread) this over-counts, so read the "
                   "figure as an upper bound.")
    else:
        out.append("Not computed: " + summary.get("gpu_plan_note", "needs a capacity figure and "
                                                  "a sim run (--run)."))
    prof = summary.get("cctv_stages")
    if prof:
        out += ["", "## CCTV identification: where a frame's time goes", "",
                f"The load's face-camera frames ({prof['frames']}) run again after the load, one "
                f"camera at a time, through the service's own CCTV stream in the load-test "
                f"process on backend {prof['backend']}, person boxes from "
                f"{prof.get('persons', 'heads')} as the service takes them, each stage timed "
                f"(per frame; one thread, no queueing):", "",
                markdown_table(pd.DataFrame([{"stage": k, **v} for k, v in
                                             prof["stages"].items()]),
                               {"stage": "", "mean_ms": ".1f", "p50_ms": ".1f",
                                "p95_ms": ".1f"})]
    out += ["", "## How the numbers were kept honest", "", _open_loop_note(plan, t),
            "The load generator sends pictures rendered and JPEG-encoded before the run (the "
            "payload pack), so it only copies bytes. After the last step the users stay, "
            "sending nothing new, until every request is answered and reported (at most the "
            "client timeout plus a margin), so the slowest replies are not dropped. CCTV "
            "frames go to each camera in order, one in flight per camera (the analyze endpoint "
            "tracks across a camera's frames); an arrival for a busy camera waits, and that "
            "wait counts as a late start.",
            "", f"Files: Locust's CSVs and HTML report in locust/; every request in "
            f"requests.parquet; steps.parquet, endpoints.parquet, summary.json.", ""]
    return "\n".join(out)
