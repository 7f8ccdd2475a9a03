"""The template store shared by service replicas: PostgreSQL (psycopg 3), the same sealed rows.

Vectors are never stored unencrypted, so the database cannot search them: each replica holds its
own in-memory index and follows the others through a change log. Every enrolment, deletion and
purge appends the changed template ids to ``airtwin_template_changes`` in the same transaction
and sends ``NOTIFY airtwin_templates``; a follower reads the log after the last sequence number it
applied, joined to the rows as they are now. Writers of the log take one transaction-scoped
advisory lock, so sequence numbers become visible in commit order and a follower can never
skip one that commits late. The log is trimmed after ``CHANGE_LOG_KEEP_S``; a follower that fell
further behind than that reloads everything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pipeline.gallery.crypto import StoreKeyError
from pipeline.gallery.store import (FORMAT_VERSION, REPLACE_ON_CONFLICT, ROW_COLUMNS, Change,
                                    KeyCheck, SealedRow, StoreError, upsert_sql)

CHANGE_CHANNEL = "airtwin_templates"
CHANGE_LOCK = 0x6169_7274_7769_6E  # pg_advisory_xact_lock key of the change log ("airtwin")
CHANGE_LOG_KEEP_S = 600.0
SCHEMA = [
    "CREATE TABLE airtwin_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE airtwin_template_keys (key_id TEXT PRIMARY KEY, nonce BYTEA NOT NULL, "
    "sealed BYTEA NOT NULL)",
    "CREATE TABLE airtwin_templates (template_id TEXT PRIMARY KEY, model TEXT NOT NULL, "
    "enrolled_at DOUBLE PRECISION NOT NULL, "
    "key_id TEXT NOT NULL REFERENCES airtwin_template_keys (key_id), "
    "nonce BYTEA NOT NULL, sealed BYTEA NOT NULL)",
    "CREATE INDEX airtwin_templates_by_age ON airtwin_templates (enrolled_at)",
    "CREATE INDEX airtwin_templates_by_key ON airtwin_templates (key_id)",
    "CREATE TABLE airtwin_template_changes (seq BIGSERIAL PRIMARY KEY, "
    "template_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL "
    "DEFAULT extract(epoch FROM clock_timestamp()))",
    "CREATE INDEX airtwin_template_changes_by_age ON airtwin_template_changes (at)",
]
COLUMNS = ROW_COLUMNS
UPSERT = upsert_sql("airtwin_templates", "%s")
LOG = "INSERT INTO airtwin_template_changes (template_id) VALUES (%s)"


def display_dsn(dsn: str) -> str:
    """The DSN for messages: no password."""
    try:
        parts = {k: v for k, v in conninfo_to_dict(dsn).items() if k != "password"}
    except psycopg.ProgrammingError:
        return "<unparseable PostgreSQL DSN>"
    return (f"postgresql://{parts.get('user', '')}@{parts.get('host', '')}:"
            f"{parts.get('port', 5432)}/{parts.get('dbname', '')}")



class PostgresTemplateRows:
    """``TemplateRows`` and ``ChangeFeed`` on one PostgreSQL database."""

    def __init__(self, dsn: str, readonly: bool = False):
        self.dsn, self.location = dsn, display_dsn(dsn)
        self._lock = threading.Lock()
        self._listener: psycopg.Connection | None = None
        self._db = self._connect()
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (CHANGE_LOCK,))
            exists = self._db.execute("SELECT to_regclass('airtwin_meta')").fetchone()[0]
            if exists is None and not readonly:
                for stmt in SCHEMA:
                    self._db.execute(stmt)
                self._db.execute("INSERT INTO airtwin_meta VALUES ('format', %s), "
                                 "('trimmed_through', '0')", (str(FORMAT_VERSION),))
            elif exists is None:
                raise StoreError(f"{self.location}: no airtwin template store in this database")
            fmt = self._db.execute("SELECT value FROM airtwin_meta WHERE name = 'format'").fetchone()
        if fmt is None or fmt[0] != str(FORMAT_VERSION):
            raise StoreError(f"{self.location}: template store format {fmt and fmt[0]!r}, this "
                             f"airtwin reads format {FORMAT_VERSION}")

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self.dsn, autocommit=True, application_name="airtwin")
        except psycopg.OperationalError as exc:
            raise StoreError(f"{self.location}: cannot connect ({str(exc).strip()})") from None

    @contextmanager
    def _session(self):
        """The shared connection, reconnected if the server dropped it."""
        with self._lock:
            if self._db.closed or self._db.broken:
                self._db = self._connect()
            yield self._db

    @contextmanager
    def _logged(self):
        """A transaction whose changes go into the change log (in commit order) and are
        announced to the followers when it commits."""
        with self._session() as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (CHANGE_LOCK,))
            yield db
            db.execute(f"NOTIFY {CHANGE_CHANNEL}")

    def _retired(self, exc: Exception, row: SealedRow) -> StoreKeyError:
        return StoreKeyError(f"{self.location}: cannot write template {row.template_id!r} under "
                             f"key {row.key_id}: that key is not registered with the store (it "
                             f"was retired by a key rotation; restart with the new --key-file) "
                             f"({str(exc).strip()})")

    # --- keys ----------------------------------------------------------------------------
    def keys(self) -> list[KeyCheck]:
        with self._session() as db:
            return [KeyCheck(r[0], bytes(r[1]), bytes(r[2])) for r in
                    db.execute("SELECT key_id, nonce, sealed FROM airtwin_template_keys")]

    def register_key(self, check: KeyCheck) -> None:
        with self._session() as db:
            db.execute("INSERT INTO airtwin_template_keys VALUES (%s, %s, %s) ON CONFLICT DO "
                       "NOTHING", (check.key_id, check.nonce, check.sealed))

    def retire_key(self, key_id: str) -> bool:
        with self._session() as db:
            return db.execute("DELETE FROM airtwin_template_keys WHERE key_id = %s AND NOT "
                              "EXISTS (SELECT 1 FROM airtwin_templates WHERE key_id = %s)",
                              (key_id, key_id)).rowcount > 0

    # --- rows ----------------------------------------------------------------------------
    def put(self, row: SealedRow) -> None:
        try:
            with self._logged() as db:
                db.execute(UPSERT, row.values())
                db.execute(LOG, (row.template_id,))
        except psycopg.errors.ForeignKeyViolation as exc:
            raise self._retired(exc, row) from None

    def put_many(self, rows: list[SealedRow]) -> None:
        if not rows:
            return
        try:
            with self._logged() as db:
                db.execute("CREATE TEMP TABLE incoming (LIKE airtwin_templates) ON COMMIT DROP")
                with db.cursor().copy(f"COPY incoming ({COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row.values())
                db.execute(f"INSERT INTO airtwin_templates SELECT {COLUMNS} FROM incoming "
                           f"{REPLACE_ON_CONFLICT}")
                db.execute("INSERT INTO airtwin_template_changes (template_id) "
                           "SELECT template_id FROM incoming")
        except psycopg.errors.ForeignKeyViolation as exc:
            raise self._retired(exc, rows[0]) from None

    def delete(self, template_id: str) -> bool:
        with self._logged() as db:
            gone = db.execute("DELETE FROM airtwin_templates WHERE template_id = %s",
                              (template_id,)).rowcount > 0
            if gone:
                db.execute(LOG, (template_id,))
            return gone

    def purge_before(self, cutoff: float) -> int:
        with self._logged() as db:
            n = db.execute("WITH gone AS (DELETE FROM airtwin_templates WHERE enrolled_at <= %s "
                           "RETURNING template_id) INSERT INTO airtwin_template_changes "
                           "(template_id) SELECT template_id FROM gone", (cutoff,)).rowcount
            trimmed = db.execute("WITH cut AS (DELETE FROM airtwin_template_changes WHERE at < "
                                 "extract(epoch FROM clock_timestamp()) - %s RETURNING seq) "
                                 "SELECT max(seq) FROM cut", (CHANGE_LOG_KEEP_S,)).fetchone()[0]
            if trimmed is not None:
                db.execute("UPDATE airtwin_meta SET value = %s WHERE name = 'trimmed_through' "
                           "AND value::bigint < %s", (str(trimmed), trimmed))
            return n

    def get(self, template_id: str) -> SealedRow | None:
        with self._session() as db:
            r = db.execute(f"SELECT {COLUMNS} FROM airtwin_templates WHERE template_id = %s",
                           (template_id,)).fetchone()
        return None if r is None else SealedRow(*r)

    def scan(self, batch: int = 10_000) -> Iterator[list[SealedRow]]:
        # A connection of its own with a server-side cursor: one snapshot, streamed.
        with self._connect() as conn, conn.transaction():
            with conn.cursor(name="airtwin_scan") as cur:
                cur.itersize = batch
                cur.execute(f"SELECT {COLUMNS} FROM airtwin_templates")
                while chunk := cur.fetchmany(batch):
                    yield [SealedRow(*r) for r in chunk]

    def count(self) -> int:
        with self._session() as db:
            return db.execute("SELECT count(*) FROM airtwin_templates").fetchone()[0]

    def under_key(self, key_id: str, limit: int) -> list[SealedRow]:
        with self._session() as db:
            return [SealedRow(*r) for r in db.execute(
                f"SELECT {COLUMNS} FROM airtwin_templates WHERE key_id = %s LIMIT %s",
                (key_id, limit))]

    def count_by_key(self) -> dict[str, int]:
        with self._session() as db:
            return dict(db.execute("SELECT k.key_id, count(t.key_id) FROM airtwin_template_keys "
                                   "k LEFT JOIN airtwin_templates t USING (key_id) "
                                   "GROUP BY k.key_id").fetchall())

    def reseal(self, pairs: list[tuple[SealedRow, SealedRow]]) -> int:
        # Not logged: the vector, model and enrolment time are unchanged, so followers have
        # nothing to apply.
        done = 0
        try:
            with self._session() as db, db.transaction():
                for old, new in pairs:
                    done += db.execute("UPDATE airtwin_templates SET key_id = %s, nonce = %s, "
                                       "sealed = %s WHERE template_id = %s AND nonce = %s",
                                       (new.key_id, new.nonce, new.sealed, old.template_id,
                                        old.nonce)).rowcount
        except psycopg.errors.ForeignKeyViolation as exc:
            raise self._retired(exc, pairs[0][1]) from None
        return done

    # --- change feed ---------------------------------------------------------------------
    def head(self) -> int:
        with self._session() as db:
            return db.execute("SELECT greatest(coalesce(max(seq), 0), (SELECT value::bigint FROM "
                              "airtwin_meta WHERE name = 'trimmed_through')) "
                              "FROM airtwin_template_changes").fetchone()[0]

    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change] | None:
        with self._session() as db:
            rows = db.execute(f"SELECT c.seq, c.template_id, t.model, t.enrolled_at, t.key_id, "
                              f"t.nonce, t.sealed FROM airtwin_template_changes c LEFT JOIN "
                              f"airtwin_templates t USING (template_id) WHERE c.seq > %s "
                              f"ORDER BY c.seq LIMIT %s", (seq, limit)).fetchall()
            # Read after the changes: a trim that ran in between is then seen here.
            trimmed = int(db.execute("SELECT value FROM airtwin_meta WHERE name = "
                                     "'trimmed_through'").fetchone()[0])
        if seq < trimmed:
            return None
        return [Change(r[0], r[1], None if r[2] is None else
                       SealedRow(r[1], r[2], r[3], r[4], bytes(r[5]), bytes(r[6])))
                for r in rows]

    def wait_for_change(self, timeout_s: float) -> bool:
        if self._listener is None or self._listener.closed or self._listener.broken:
            self._listener = self._connect()
            self._listener.execute(f"LISTEN {CHANGE_CHANNEL}")
        for _ in self._listener.notifies(timeout=timeout_s, stop_after=1):
            return True
        return False

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._listener is not None:
                self._listener.close()
