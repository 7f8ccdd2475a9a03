"""Micro-batching in front of the model, as Triton's dynamic batcher does it.

Requests wait in a bounded asyncio queue. One worker takes the first waiting request, then
gathers more until the batch holds ``max_batch`` or ``max_wait_s`` has passed since it took the
first, and runs the whole batch in one call on a dedicated model thread, so the event loop keeps
answering health checks while the model works. The queue is bounded: when it is full a request
is refused at once (the caller answers 429 with Retry-After) instead of piling up in memory.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipeline.service.errors import NotReadyError, QueueFullError

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class BatchInfo:
    size: int  # requests in the batch this one ran in
    queue_s: float  # time from submit until its batch started
    run_s: float  # wall time of the batch's model call


@dataclass(slots=True)
class _Pending(Generic[Item]):
    item: Item
    future: asyncio.Future
    submitted: float


class MicroBatcher(Generic[Item, Result]):
    def __init__(self, run_batch: Callable[[list[Item]], list[Result]], *, max_batch: int,
                 max_wait_s: float, queue_size: int,
                 on_batch: Callable[[int], None] | None = None,
                 on_depth: Callable[[int], None] | None = None):
        self._run_batch = run_batch
        self.max_batch, self.max_wait_s, self.queue_size = max_batch, max_wait_s, queue_size
        self._on_batch = on_batch or (lambda n: None)
        self._on_depth = on_depth or (lambda n: None)
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task | None = None
        # One model thread: the backends are not promised to be thread-safe, and on a small CPU
        # two model calls at once only fight over the same cores.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="airtwin-model")
        self._item_s = 0.1  # running mean of model time per request, for Retry-After

    @property
    def depth(self) -> int:
        return self._queue.qsize() if self._queue is not None else 0

    def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._worker = asyncio.create_task(self._work(), name="airtwin-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        while self._queue is not None and not self._queue.empty():
            p = self._queue.get_nowait()
            if not p.future.done():
                p.future.set_exception(NotReadyError("the service is shutting down"))
        self._pool.shutdown(wait=False, cancel_futures=True)

    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.depth * self._item_s))

    async def submit(self, item: Item) -> tuple[Result, BatchInfo]:
        """Queue ``item`` and wait for its result; raise :class:`QueueFullError` at once if full."""
        if self._queue is None:
            raise NotReadyError("the batcher has not started")
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Pending(item, future, time.perf_counter()))
        except asyncio.QueueFull:
            raise QueueFullError(self.queue_size, self.retry_after_s()) from None
        self._on_depth(self.depth)
        return await future

    async def _gather(self) -> list[_Pending]:
        assert self._queue is not None
        batch = [await self._queue.get()]
        deadline = time.perf_counter() + self.max_wait_s
        while len(batch) < self.max_batch:
            # Take whatever is already waiting without yielding, then wait out the deadline.
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), left))
            except TimeoutError:
                break
        return batch

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather()
            self._on_depth(self.depth)
            live = [p for p in batch if not p.future.done()]  # a caller may have gone away
            if not live:
                continue
            started = time.perf_counter()
            try:
                results = await loop.run_in_executor(self._pool, self._run_batch,
                                                     [p.item for p in live])
                if len(results) != len(live):
                    raise RuntimeError(f"batch of {len(live)} returned {len(results)} results")
            except Exception as exc:  # the model failed: every caller in the batch hears why
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            run_s = time.perf_counter() - started
            self._item_s = 0.8 * self._item_s + 0.2 * run_s / len(live)
            self._on_batch(len(live))
            for p, r in zip(live, results):
                if not p.future.done():
                    p.future.set_result((r, BatchInfo(len(live), started - p.submitted, run_s)))
