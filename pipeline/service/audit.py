"""Append-only, hash-chained audit log of 1:N searches (JSON lines).

Each line is one record holding ``prev`` (the hash of the line before; 64 zeros for the first)
and ``hash`` = SHA-256 of the record's canonical JSON without ``hash``. Changing, deleting or
reordering a line breaks the chain at that line, which :func:`verify_chain` reports. Cutting
lines off the end leaves a shorter chain that still verifies; to catch that, keep the head
(``seq:hash``, printed by ``airtwin audit-check``) somewhere the log's writer cannot reach and
pass it back as an anchor: the check then fails unless that record is still there unchanged. Records
name who was searched for what outcome (candidate ids and scores), never an image or a template.
The log reopens where it left off, and refuses to extend a chain that does not verify.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.service.asgi import ResponseStatus

GENESIS = "0" * 64


class AuditError(RuntimeError):
    """The audit log cannot be extended (its chain is broken, or it cannot be written)."""


def _canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_hash(record: dict) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    records: int  # lines that verified before the first bad one (all of them when ok)
    bad_line: int | None = None  # 1-based
    reason: str = ""
    last_hash: str = GENESIS

    @property
    def head(self) -> str:
        """The anchor to keep elsewhere: ``seq:hash`` of the last verified record."""
        return f"{self.records}:{self.last_hash}"

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.records} records, chain intact (head {self.head})"
        return f"BROKEN at line {self.bad_line}: {self.reason} ({self.records} records verified)"


def parse_anchor(anchor: str) -> tuple[int, str]:
    """``"SEQ:HASH"`` (as :attr:`ChainCheck.head` prints it) -> (seq, hash)."""
    seq, sep, digest = anchor.partition(":")
    if not sep or not seq.isdigit() or int(seq) < 1 or len(digest) != 64 \
            or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"anchor {anchor!r} is not SEQ:HASH (a record number >= 1, a colon and "
                         f"the record's 64 hex-digit SHA-256), as audit-check prints the head")
    return int(seq), digest


def verify_chain(path: Path, anchor: tuple[int, str] | None = None) -> ChainCheck:
    """Walk the whole log; the first line whose hash or link does not hold is reported. With an
    ``anchor`` (seq, hash) kept from an earlier check, the log must still hold that record."""
    check = _walk(path, anchor)
    if check.ok and anchor is not None and check.records < anchor[0]:
        return ChainCheck(False, check.records, check.records + 1,
                          f"the log ends at record {check.records} but the anchor names record "
                          f"{anchor[0]}: records were cut off its end", check.last_hash)
    return check


def _walk(path: Path, anchor: tuple[int, str] | None) -> ChainCheck:
    prev, n = GENESIS, 0
    if not Path(path).exists():
        return ChainCheck(True, 0)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.endswith("\n"):
                return ChainCheck(False, n, lineno, "last line is incomplete", prev)
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                return ChainCheck(False, n, lineno, f"not JSON ({exc.msg})", prev)
            if not isinstance(rec, dict) or "hash" not in rec or "prev" not in rec:
                return ChainCheck(False, n, lineno, "record lacks 'prev' or 'hash'", prev)
            if rec["prev"] != prev:
                return ChainCheck(False, n, lineno, "'prev' does not match the previous line's "
                                  "hash (a line was removed, inserted or reordered)", prev)
            if rec.get("seq") != n + 1:
                return ChainCheck(False, n, lineno, f"seq is {rec.get('seq')!r}, expected {n + 1}", prev)
            if record_hash(rec) != rec["hash"]:
                return ChainCheck(False, n, lineno, "content does not match its hash "
                                  "(the line was altered)", prev)
            if anchor is not None and anchor[0] == n + 1 and rec["hash"] != anchor[1]:
                return ChainCheck(False, n, lineno, "the record differs from the anchor kept "
                                  "for it (the log was rewritten from here on)", prev)
            prev, n = rec["hash"], n + 1
    return ChainCheck(True, n, last_hash=prev)


class AuditLog:
    """Appends records to a chained JSON-lines file; safe to call from several threads."""

    def __init__(self, path: Path, fsync: bool = True):
        self.path, self.fsync = Path(path), fsync
        check = verify_chain(self.path)
        if not check.ok:
            raise AuditError(f"{self.path}: audit chain broken at line {check.bad_line} "
                             f"({check.reason}); archive the file and start a new log")
        self._prev, self._seq = check.last_hash, check.records
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, event: str, **fields) -> dict:
        with self._lock:
            rec = {"seq": self._seq + 1, "ts": datetime.now(UTC).isoformat(timespec="microseconds"),
                   "event": event, **fields, "prev": self._prev}
            rec["hash"] = record_hash(rec)
            line = json.dumps(rec, sort_keys=True, ensure_ascii=True) + "\n"
            # O_APPEND: every write lands at the end, whatever else has the file open.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            self._prev, self._seq = rec["hash"], rec["seq"]
            return rec


class AuditBackstopMiddleware:
    """Writes a ``refused`` record for any call to an audited route that its handler did not
    record itself: requests refused before the handler runs (body too large, a missing form
    field) or that failed inside it. Handlers mark what they wrote with
    ``request.state.audited = True``."""

    def __init__(self, app, log: AuditLog, paths: tuple[str, ...], event: str = "identify"):
        self.app, self.log, self.paths, self.event = app, log, paths, event

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in self.paths:
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})
        sent = ResponseStatus(send)
        try:
            await self.app(scope, receive, sent)
        finally:
            if not scope["state"].get("audited"):
                client = scope.get("client")
                self.log.append(self.event, outcome="refused", status=sent.status,
                                client=client[0] if client else None)
