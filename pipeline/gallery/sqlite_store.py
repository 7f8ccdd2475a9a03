"""The default template store: one SQLite file (stdlib), WAL mode, one sealed row per template.

Every write is one statement or one short transaction, committed (and, with ``synchronous=FULL``,
on disk) before it returns: an enrolment answered 200 survives a ``kill -9`` and a power cut,
and a half-done write is rolled back by SQLite's journal on the next open. Enrolment and
deletion touch one primary-key entry and two small indexes (O(log N)); the retention purge is
a range delete on the ``enrolled_at`` index. Rows reference their key, so a key cannot be
retired while a row is still sealed under it, and a row cannot be written under a retired key.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.gallery.crypto import StoreKeyError
from pipeline.gallery.store import (FORMAT_VERSION, ROW_COLUMNS, KeyCheck, SealedRow, StoreError,
                                    upsert_sql)

SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE template_keys (key_id TEXT PRIMARY KEY, nonce BLOB NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE templates (
    template_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    enrolled_at REAL NOT NULL,
    key_id TEXT NOT NULL REFERENCES template_keys (key_id),
    nonce BLOB NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX templates_by_age ON templates (enrolled_at);
CREATE INDEX templates_by_key ON templates (key_id);
"""
COLUMNS = ROW_COLUMNS
UPSERT = upsert_sql("templates", "?")


class SqliteTemplateRows:
    """``TemplateRows`` on one SQLite file. Opening an existing file writes nothing, so a store
    opened with the wrong key (checked by the caller) is left exactly as it was."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.location = str(self.path)
        if readonly and not self.path.is_file():
            raise StoreError(f"{self.path}: no such template store")
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._uri_ro = self.path.resolve().as_uri() + "?mode=ro"
        uri = self._uri_ro if readonly else self.path.resolve().as_uri()
        try:
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0,
                                       check_same_thread=False)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 30000")
            tables = {r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables and not readonly:
                self._create()
            elif "meta" not in tables:
                raise StoreError(f"{self.path}: not an airtwin template store (no meta table)")
            if not readonly:
                # WAL: readers never block the writer; FULL: a commit is on disk when it returns.
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = FULL")
            fmt = self._db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open as a SQLite template store ({exc})") from None
        if fmt is None or fmt[0] != str(FORMAT_VERSION):
            raise StoreError(f"{self.path}: template store format {fmt and fmt[0]!r}, this "
                             f"airtwin reads format {FORMAT_VERSION}")
        self._lock = threading.Lock()

    def _create(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                self._db.execute(stmt)
        self._db.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT_VERSION),))
        self._db.execute("COMMIT")

    @contextmanager
    def _transaction(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _retired(self, exc: sqlite3.IntegrityError, row: SealedRow) -> StoreKeyError:
        return StoreKeyError(f"{self.path}: cannot write template {row.template_id!r} under key "
                             f"{row.key_id}: that key is not registered with the store (it was "
                             f"retired by a key rotation; restart with the new --key-file) ({exc})")

    # --- keys ----------------------------------------------------------------------------
    def keys(self) -> list[KeyCheck]:
        with self._lock:
            return [KeyCheck(r[0], bytes(r[1]), bytes(r[2])) for r in
                    self._db.execute("SELECT key_id, nonce, sealed FROM template_keys")]

    def register_key(self, check: KeyCheck) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO template_keys VALUES (?, ?, ?)",
                       (check.key_id, check.nonce, check.sealed))

    def retire_key(self, key_id: str) -> bool:
        with self._transaction() as db:
            cur = db.execute("DELETE FROM template_keys WHERE key_id = ? AND NOT EXISTS "
                             "(SELECT 1 FROM templates WHERE key_id = ?)", (key_id, key_id))
            return cur.rowcount > 0

    # --- rows ----------------------------------------------------------------------------
    def put(self, row: SealedRow) -> None:
        with self._lock:
            try:
                self._db.execute(UPSERT, row.values())  # autocommit: one atomic transaction
            except sqlite3.IntegrityError as exc:
                raise self._retired(exc, row) from None

    def put_many(self, rows: list[SealedRow]) -> None:
        try:
            with self._transaction() as db:
                db.executemany(UPSERT, [r.values() for r in rows])
        except sqlite3.IntegrityError as exc:
            raise self._retired(exc, rows[0]) from None

    def delete(self, template_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM templates WHERE template_id = ?",
                                    (template_id,)).rowcount > 0

    def purge_before(self, cutoff: float) -> int:
        with self._lock:
            return self._db.execute("DELETE FROM templates WHERE enrolled_at <= ?",
                                    (cutoff,)).rowcount

    def get(self, template_id: str) -> SealedRow | None:
        with self._lock:
            r = self._db.execute(f"SELECT {COLUMNS} FROM templates WHERE template_id = ?",
                                 (template_id,)).fetchone()
        return None if r is None else SealedRow(*r)

    def scan(self, batch: int = 10_000) -> Iterator[list[SealedRow]]:
        # A connection of its own, in one read transaction: a consistent snapshot that neither
        # blocks the writer (WAL) nor holds a transaction open on the writer's connection.
        reader = sqlite3.connect(self._uri_ro, uri=True, isolation_level=None, timeout=30.0)
        try:
            reader.execute("BEGIN")
            cur = reader.execute(f"SELECT {COLUMNS} FROM templates")
            while chunk := cur.fetchmany(batch):
                yield [SealedRow(*r) for r in chunk]
            reader.execute("COMMIT")
        finally:
            reader.close()

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM templates").fetchone()[0]

    def under_key(self, key_id: str, limit: int) -> list[SealedRow]:
        with self._lock:
            return [SealedRow(*r) for r in self._db.execute(
                f"SELECT {COLUMNS} FROM templates WHERE key_id = ? LIMIT ?", (key_id, limit))]

    def count_by_key(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT k.key_id, count(t.key_id) FROM template_keys k "
                                         "LEFT JOIN templates t USING (key_id) GROUP BY k.key_id"))

    def reseal(self, pairs: list[tuple[SealedRow, SealedRow]]) -> int:
        done = 0
        try:
            with self._transaction() as db:
                for old, new in pairs:
                    done += db.execute("UPDATE templates SET key_id = ?, nonce = ?, sealed = ? "
                                       "WHERE template_id = ? AND nonce = ?",
                                       (new.key_id, new.nonce, new.sealed, old.template_id,
                                        old.nonce)).rowcount
        except sqlite3.IntegrityError as exc:
            raise self._retired(exc, pairs[0][1]) from None
        return done

    def integrity(self) -> str:
        """SQLite's own check of the file ("ok" when every page and index is sound)."""
        with self._lock:
            return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
