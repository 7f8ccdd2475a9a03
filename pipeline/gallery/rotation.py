"""Key rotation while the service stays online: re-seal the rows of the old key in small
batches, each its own short transaction, so enrolments wait at most one batch.

A batch replaces a row only if it is still the row that was read (same nonce): an enrolment or
deletion that happened meanwhile wins, and the rotation never writes a stale vector back. When
no row is left under the old key it is retired from the store, after which a service that still
seals with it is refused (restart it with the new key first; see the README's key rotation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.gallery.crypto import KeyRing
from pipeline.gallery.store import TemplateRows


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    resealed: int
    batches: int
    seconds: float
    retired: bool  # the old key is gone from the store: no row is under it any more

    @property
    def rate(self) -> float:
        return self.resealed / self.seconds if self.seconds > 0 else float("inf")


def rotate(rows: TemplateRows, keys: KeyRing, old_key_id: str, batch: int = 1000,
           progress: Callable[[int], None] = lambda n: None, max_rounds: int = 10_000) -> Rotation:
    """Re-seal every row under ``old_key_id`` with ``keys.current``; retire the old key."""
    t0, done, batches = time.perf_counter(), 0, 0
    for _ in range(max_rounds):
        old = rows.under_key(old_key_id, batch)
        if not old:
            break
        done += rows.reseal([(r, keys.seal(keys.open(r, rows.location))) for r in old])
        batches += 1
        progress(done)
    rows.retire_key(old_key_id)
    retired = old_key_id not in {c.key_id for c in rows.keys()}
    return Rotation(old_key_id, keys.current.key_id, done, batches, time.perf_counter() - t0,
                    retired)
