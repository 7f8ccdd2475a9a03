"""Service replicas on one PostgreSQL template store: verify throughput of 2 ``airtwin serve``
processes against 1, read at the same p99 (the method of :mod:`experiments.bench_service`).

Both replicas and the load generator share this machine's cores, so the ratio is bounded by
them: with dlib, one replica keeps about one core busy (one model thread), and the client needs
some too. The figure says what this machine allows, not what two machines would give.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from dataclasses import asdict
from pathlib import Path

from experiments.bench_service import (enrol_probes, http_load, synthetic_probes,
                                       throughput_at_p99)
from pipeline.gallery.crypto import new_key
from pipeline.service.launcher import ServiceProcess


def _sweep(urls: list[str], probes, levels, requests: int, progress) -> list:
    points = []
    for c in levels:
        progress(f"replicas: {len(urls)} replica(s), {c} client(s)")
        asyncio.run(http_load(urls, probes, c, min(c, 4)))  # warm-up
        points.append(asyncio.run(http_load(urls, probes, c, max(requests, 4 * c))))
    return points


def bench_replicas(dsn: str, concurrency=(1, 2, 4, 8), requests: int = 40,
                   progress=print) -> dict:
    probes = synthetic_probes()
    token = secrets.token_urlsafe(24)
    env = {"AIRTWIN_API_TOKEN": token, "AIRTWIN_TEMPLATE_KEY": new_key().decode(),
           "AIRTWIN_STORE_DSN": dsn}
    with tempfile.TemporaryDirectory(prefix="airtwin-bench-replicas-") as tmp:
        def replica(i: int) -> ServiceProcess:
            return ServiceProcess(["--backend", "dlib", "--audit-log", str(Path(tmp) / f"{i}.jsonl"),
                                   "--queue-size", str(max(64, 2 * max(concurrency)))], env=env)

        progress("replicas: starting replica 1 on PostgreSQL")
        with replica(0) as first:
            enrol_probes(first.url, token, probes)
            one = _sweep([first.url], probes, concurrency, requests, progress)
            progress("replicas: starting replica 2 (it loads the gallery from the store)")
            with replica(1) as second:
                two = _sweep([first.url, second.url], probes, concurrency, requests, progress)
    rows = []
    for p in one:
        x = throughput_at_p99(two, p.p99_ms)
        rows.append({"concurrency": p.concurrency, "p99_ms": p.p99_ms, "one_rps": p.throughput_rps,
                     "two_rps_at_same_p99": x, "ratio": None if x is None else x / p.throughput_rps})
    head = max(rows, key=lambda r: r["one_rps"])
    return {"cores": os.cpu_count(), "requests_per_level": requests,
            "one_replica": [asdict(p) for p in one], "two_replicas": [asdict(p) for p in two],
            "same_p99": rows, "ratio": head["ratio"], "ratio_at_p99_ms": head["p99_ms"],
            "target_ratio": 1.8}
