"""The store under real ``airtwin serve`` processes: a ``kill -9`` in the middle of an enrolment
storm loses no acknowledged enrolment and half-writes nothing, and two replicas on one
PostgreSQL store see each other's enrolments (in process too: deletions and purges)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from gallery_helpers import SERVE_ENV, enrol, identify, serve_args, unit_vectors, verify
from pipeline.gallery.crypto import KeyRing, new_key
from pipeline.gallery.location import SQLITE_FILE, read_templates
from pipeline.gallery.sqlite_store import SqliteTemplateRows
from pipeline.service.launcher import ServiceProcess
from pipeline.service.templates import TemplateStore

STORM_CLIENTS = 4
ACKED_BEFORE_KILL = 12


def _audit_check(log) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "airtwin.cli", "audit-check", str(log)],
                          capture_output=True, text=True)


def test_kill_9_during_an_enrolment_storm_loses_no_acknowledged_enrolment(
        tmp_path, secrets_dir, face_jpegs):
    store, audit = tmp_path / "store", tmp_path / "audit.jsonl"
    args = serve_args(secrets_dir, audit, "--store-dir", str(store))
    svc = ServiceProcess(args, env=SERVE_ENV).start()
    acked: list[str] = []
    stop = threading.Event()

    def storm(worker: int) -> None:
        with httpx.Client() as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    r = enrol(http, svc.url, f"w{worker}-{i}", face_jpegs[worker % 3])
                    if worker == 0:
                        identify(http, svc.url, face_jpegs[1])  # audit records, mid-storm too
                except httpx.TransportError:
                    return  # the server is gone: this one was never acknowledged
                if r.status_code == 200 and r.json()["enrolled"]:
                    acked.append(f"w{worker}-{i}")

    clients = [threading.Thread(target=storm, args=(w,)) for w in range(STORM_CLIENTS)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + 120
    while len(acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(svc.proc.pid, signal.SIGKILL)  # with requests in flight
    stop.set()
    for c in clients:
        c.join()
    svc.proc.wait(10)
    svc.stop()
    assert len(acked) >= ACKED_BEFORE_KILL, svc.output()[-2000:]

    # Every acknowledged enrolment is on disk; every row there is whole (it decrypts).
    rows = SqliteTemplateRows(store / SQLITE_FILE)
    assert rows.integrity() == "ok"
    rows.close()
    keys = KeyRing((secrets_dir / "key").read_bytes())
    held = {t.template_id for t in read_templates(store, keys)}
    assert set(acked) <= held, sorted(set(acked) - held)
    check = _audit_check(audit)
    assert check.returncode == 0 and "chain intact" in check.stdout, check.stdout + check.stderr

    # The restarted service serves them, and extends the same audit chain.
    with ServiceProcess(args, env=SERVE_ENV) as again, httpx.Client() as http:
        assert "loaded" in again.output() and "templates/s" in again.output()
        r = verify(http, again.url, acked[0], face_jpegs[int(acked[0][1]) % 3])
        assert r.status_code == 200 and r.json()["decision"], r.text
        assert identify(http, again.url, face_jpegs[0]).json()["gallery_size"] >= len(acked)
    assert _audit_check(audit).returncode == 0


def test_serve_refuses_a_store_of_another_key(tmp_path, secrets_dir):
    store = tmp_path / "store"
    TemplateStore.open(store, KeyRing(new_key()), 3600).close()  # made with some other key
    before = (store / SQLITE_FILE).read_bytes()
    r = subprocess.run([sys.executable, "-m", "airtwin.cli", "serve",
                        *serve_args(secrets_dir, tmp_path / "audit.jsonl", "--store-dir",
                                    str(store))],
                       capture_output=True, text=True, timeout=120,
                       env={k: v for k, v in os.environ.items() if not k.startswith("AIRTWIN_")})
    assert r.returncode == 2 and "sealed with key id" in r.stderr, r.stderr[-2000:]
    assert "--old-key-file" in r.stderr  # the message says what to do
    assert (store / SQLITE_FILE).read_bytes() == before


def test_two_replicas_on_postgresql_see_each_other(tmp_path, secrets_dir, pg_dsn, face_jpegs):
    env = {**SERVE_ENV, "AIRTWIN_STORE_DSN": pg_dsn}  # the DSN never on a command line
    a = ServiceProcess(serve_args(secrets_dir, tmp_path / "a.jsonl"), env=env).start()
    b = ServiceProcess(serve_args(secrets_dir, tmp_path / "b.jsonl"), env=env).start()
    try:
        with httpx.Client() as http:
            assert enrol(http, a.url, "rep-0", face_jpegs[0]).status_code == 200
            r = verify(http, b.url, "rep-0", face_jpegs[0])  # at once: a miss syncs first
            assert r.status_code == 200 and r.json()["decision"], r.text
            assert enrol(http, b.url, "rep-1", face_jpegs[1]).status_code == 200
            found = []
            for _ in range(50):  # a's follower applies b's enrolment within a moment
                found = [c["template_id"] for c in identify(http, a.url, face_jpegs[1]).json()
                         ["candidates"]]
                if found and found[0] == "rep-1":
                    break
                time.sleep(0.1)
            assert found[:1] == ["rep-1"], found
    finally:
        a.stop()
        b.stop()


def test_replicas_follow_enrolments_deletions_and_purges(pg_dsn, keys):
    now = [1000.0]
    a = TemplateStore.open(pg_dsn, keys, 60, clock=lambda: now[0])
    b = TemplateStore.open(pg_dsn, keys, 60, clock=lambda: 1000.0)  # b's clock never moves
    b.follow(poll_s=0.2)
    v = unit_vectors(3, dim=32)

    def b_holds(expected: set[str]) -> bool:
        """What b's in-memory gallery holds (search never reads the store) reaches this."""
        for _ in range(100):
            if {c.template_id for c in b.search(v[0], "m", 10)[0]} == expected:
                return True
            time.sleep(0.05)
        return False

    try:
        for i in range(3):
            a.add(f"x{i}", v[i], "m")
            now[0] += 20  # x0 at 1000, x1 at 1020, x2 at 1040
        assert b_holds({"x0", "x1", "x2"})
        assert b.search(v[1], "m", 1)[0][0].template_id == "x1"
        a.remove("x2")
        assert b_holds({"x0", "x1"})
        now[0] = 1070.0  # a purges x0 (70 s old, x1 is 50 s); b's own clock never would
        assert a.purge_expired() == 1
        assert b_holds({"x1"})
    finally:
        a.close()
        b.close()
