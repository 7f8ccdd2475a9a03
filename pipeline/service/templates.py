"""Enrolled templates: searched in memory, persisted one sealed row each, purged after retention.

Persisting is optional (``rows``, a :class:`~pipeline.gallery.store.TemplateRows`: SQLite in a
folder, or PostgreSQL shared by replicas). A write is committed to the store before the memory
changes, so an enrolment that returned survives a crash; the image it came with is dropped once
embedded. At startup every row is opened into one in-memory 1:N gallery per model
(:class:`~pipeline.matching.NumpyGallery`: exact search at the memory bound). With a shared store
(a :class:`~pipeline.gallery.store.ChangeFeed`), :meth:`TemplateStore.follow` keeps this replica's
galleries in step with the other replicas' enrolments, deletions and purges.

Retention: templates are kept in a heap by enrolment time, so the purge pops the expired ones
(O(log N) each) instead of scanning everything on every search, and the store deletes them by a
range on its ``enrolled_at`` index.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.gallery.crypto import KeyRing
from pipeline.gallery.location import open_rows
from pipeline.gallery.store import (Change, ChangeFeed, SealedRow, StoreError, Template,
                                    TemplateRows)
from pipeline.matching import NumpyGallery
from pipeline.types import Candidate

log = logging.getLogger("airtwin.templates")

LOAD_BATCH = 20_000  # rows opened per batch at startup
FOLLOW_POLL_S = 1.0  # a follower re-reads the change log at least this often (missed NOTIFYs)


@dataclass(frozen=True)
class LoadReport:
    templates: int
    seconds: float

    @property
    def rate(self) -> float:
        """Templates opened per second."""
        return self.templates / self.seconds if self.seconds > 0 else float("inf")

    def __str__(self) -> str:
        return (f"loaded {self.templates} templates in {self.seconds:.2f} s "
                f"({self.rate:,.0f} templates/s)")


class TemplateStore:
    def __init__(self, retention_s: float, rows: TemplateRows | None = None,
                 keys: KeyRing | None = None, clock: Callable[[], float] = time.time,
                 on_purge: Callable[[int], None] | None = None):
        if rows is not None and keys is None:
            raise StoreError(f"{rows.location}: refusing to persist templates without an "
                             f"encryption key")
        self.retention_s, self.rows, self.keys, self._clock = retention_s, rows, keys, clock
        self._on_purge = on_purge  # told how many templates each retention purge dropped
        self.purged = 0  # templates dropped for age since this store opened
        self.feed: ChangeFeed | None = rows if isinstance(rows, ChangeFeed) else None
        self._enrolled: dict[str, tuple[str, float]] = {}  # id -> (model, enrolled_at)
        self._by_age: list[tuple[float, str]] = []  # heap; entries of replaced ids are stale
        # One 1:N gallery per model: templates of different models are never compared.
        self._galleries: dict[str, NumpyGallery] = {}
        self._memory = threading.RLock()  # the galleries are not safe for concurrent add/search
        self._writing = threading.Lock()  # one write at a time: store commit, then memory
        self._following = threading.Lock()  # one change-log reader at a time
        self._seq = 0  # last change applied from the feed
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self.loaded = LoadReport(0, 0.0)
        if rows is not None:
            self._load()

    @classmethod
    def open(cls, location: str | Path, keys: KeyRing, retention_s: float,
             clock: Callable[[], float] = time.time,
             on_purge: Callable[[int], None] | None = None) -> "TemplateStore":
        """The store at ``location`` (a folder, or a ``postgresql://`` DSN), loaded."""
        return cls(retention_s, open_rows(location, keys), keys, clock, on_purge)

    def __len__(self) -> int:
        with self._memory:
            return len(self._enrolled)

    # --- the service's operations --------------------------------------------------------
    def add(self, template_id: str, vector: np.ndarray, model: str) -> bool:
        """Enrol (or replace) a template, committed when this returns; True when it replaced
        one."""
        vec = np.ascontiguousarray(vector, np.float32).reshape(-1)
        with self._writing:
            at = self._clock()
            if self.rows is not None:
                self.rows.put(self.keys.seal(Template(template_id, vec, model, at)))
            with self._memory:
                replaced = self._forget(template_id)
                self._remember(template_id, vec[None, :], model, at)
        return replaced

    def get(self, template_id: str) -> Template | None:
        t = self._lookup(template_id)
        if t is None and self.feed is not None:
            self.sync()  # enrolled on another replica a moment ago?
            t = self._lookup(template_id)
        if t is not None and self._clock() - t.enrolled_at >= self.retention_s:
            self.purge_expired()
            return None
        return t

    def remove(self, template_id: str) -> bool:
        with self._writing:
            if self.rows is not None:
                self.rows.delete(template_id)
            with self._memory:
                return self._forget(template_id)

    def purge_expired(self) -> int:
        cutoff = self._clock() - self.retention_s
        with self._writing:
            with self._memory:
                gone = 0
                while self._by_age and self._by_age[0][0] <= cutoff:
                    at, tid = heapq.heappop(self._by_age)
                    entry = self._enrolled.get(tid)
                    if entry is not None and entry[1] == at:  # not a re-enrolled id's old entry
                        self._forget(tid)
                        gone += 1
            if gone and self.rows is not None:
                self.rows.purge_before(cutoff)
        if gone:
            self.purged += gone
            if self._on_purge is not None:
                self._on_purge(gone)
        return gone

    def search(self, probe: np.ndarray, model: str, k: int) -> tuple[list[Candidate], int]:
        """1:N: the top ``k`` live templates of ``model`` by score, and the gallery size."""
        self.purge_expired()
        with self._memory:
            g = self._galleries.get(model)
            if g is None or len(g) == 0:
                return [], 0
            return g.search(probe, k), len(g)

    # --- memory ---------------------------------------------------------------------------
    def _lookup(self, template_id: str) -> Template | None:
        with self._memory:
            entry = self._enrolled.get(template_id)
            if entry is None:
                return None
            model, at = entry
            return Template(template_id, self._galleries[model].vector(template_id), model, at)

    def _remember(self, template_id: str, vectors: np.ndarray, model: str, at: float) -> None:
        g = self._galleries.get(model)
        if g is None:
            g = self._galleries[model] = NumpyGallery(vectors.shape[1])
        g.add([template_id], vectors)
        self._enrolled[template_id] = (model, at)
        heapq.heappush(self._by_age, (at, template_id))

    def _forget(self, template_id: str) -> bool:
        entry = self._enrolled.pop(template_id, None)
        if entry is None:
            return False
        self._galleries[entry[0]].remove(template_id)
        return True

    # --- startup --------------------------------------------------------------------------
    def _load(self) -> None:
        t0 = time.perf_counter()
        self._seq = self.feed.head() if self.feed is not None else 0  # before the snapshot
        n = 0
        for batch in self.rows.scan(LOAD_BATCH):
            by_model: dict[str, list[SealedRow]] = {}
            for row in batch:
                by_model.setdefault(row.model, []).append(row)
            for model, rows in by_model.items():
                dim = (len(rows[0].sealed) - 16) // 4  # the AES-GCM tag is 16 bytes
                vectors = self.keys.open_batch(rows, dim, self.rows.location)
                ids, ats = [r.template_id for r in rows], [r.enrolled_at for r in rows]
                with self._memory:
                    g = self._galleries.get(model)
                    if g is None:
                        g = self._galleries[model] = NumpyGallery(dim)
                    g.add(ids, vectors)
                    self._enrolled.update(zip(ids, zip([model] * len(ids), ats)))
                    self._by_age.extend(zip(ats, ids))
            n += len(batch)
        with self._memory:
            heapq.heapify(self._by_age)
        self.loaded = LoadReport(n, time.perf_counter() - t0)
        self.purge_expired()

    # --- following the other replicas -----------------------------------------------------
    def sync(self) -> int:
        """Apply what other writers committed since the last sync; returns how many changes."""
        if self.feed is None:
            return 0
        applied = 0
        with self._following:
            while True:
                changes = self.feed.changes_since(self._seq, 10_000)
                if changes is None:  # fell behind the trimmed log: start over
                    log.warning("%s: change log trimmed past %d, reloading", self.rows.location,
                                self._seq)
                    with self._memory:
                        self._enrolled.clear()
                        self._by_age.clear()
                        self._galleries.clear()
                    self._load()
                    continue
                if not changes:
                    return applied
                self._apply(changes)
                self._seq = changes[-1].seq
                applied += len(changes)

    def _apply(self, changes: list[Change]) -> None:
        cutoff = self._clock() - self.retention_s
        for ch in changes:
            t = None if ch.row is None else self.keys.open(ch.row, self.rows.location)
            with self._memory:
                self._forget(ch.template_id)
                if t is not None and t.enrolled_at > cutoff:
                    self._remember(t.template_id, t.vector[None, :], t.model, t.enrolled_at)

    def follow(self, poll_s: float = FOLLOW_POLL_S) -> None:
        """Start a background thread that applies other replicas' changes as they commit."""
        if self.feed is None or self._follower is not None:
            return

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.feed.wait_for_change(poll_s)
                    self.sync()
                except Exception:  # the database went away: keep trying, say so
                    log.exception("following %s failed; retrying", self.rows.location)
                    self._stop.wait(poll_s)

        self._follower = threading.Thread(target=run, name="airtwin-template-follower",
                                          daemon=True)
        self._follower.start()

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(FOLLOW_POLL_S * 3)
        if self.rows is not None:
            self.rows.close()
