"""A flood past the queue bound is refused with 429 + Retry-After while health checks answer."""

from __future__ import annotations

import asyncio
import time

import httpx

from http_helpers import jpeg_part

FLOOD = 24  # concurrent identify calls against a queue of 2 and batches of 1


async def _flood(url: str, image: bytes):
    statuses, retry_after, health = [], [], []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=FLOOD + 4)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        async def one():
            r = await http.post(f"{url}/v1/identify", files=jpeg_part(image))
            statuses.append(r.status_code)
            if r.status_code == 429:
                retry_after.append(r.headers.get("retry-after"))

        async def probe_health():
            while not stop.is_set():
                t0 = time.perf_counter()
                r = await http.get(f"{url}/healthz", timeout=5)
                health.append((r.status_code, time.perf_counter() - t0))
                await asyncio.sleep(0.05)

        prober = asyncio.create_task(probe_health())
        await asyncio.gather(*(one() for _ in range(FLOOD)))
        stop.set()
        await prober
    return statuses, retry_after, health


def test_flood_gets_429_while_health_answers(tight_service, faces):
    statuses, retry_after, health = asyncio.run(_flood(tight_service.url, faces.live[0]))
    assert len(statuses) == FLOOD
    assert set(statuses) <= {200, 429}, statuses  # refused or served: never a 5xx
    assert statuses.count(429) >= FLOOD // 2, statuses
    assert statuses.count(200) >= 1, statuses
    assert all(v is not None and v.isdigit() and int(v) >= 1 for v in retry_after), retry_after
    # Every probe answered (each had 5 s, far less than the flood takes to drain).
    assert len(health) >= 2 and all(code == 200 for code, _ in health), health
    text = httpx.get(f"{tight_service.url}/metrics").text
    rejected = next(float(l.split()[-1]) for l in text.splitlines()
                    if l.startswith('airtwin_rejected_total{reason="queue_full"}'))
    assert rejected >= statuses.count(429)
    assert httpx.get(f"{tight_service.url}/readyz").status_code == 200
