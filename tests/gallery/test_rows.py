"""The template store against real SQLite files and a real PostgreSQL server: sealed rows round
trip, never hold a vector in the clear, are bound to their id, purge by time, refuse the wrong
key without changing anything, rotate online, and take over today's ``templates.fernet``."""

from __future__ import annotations

import base64
import json
import threading
import time

import numpy as np
import pytest
from cryptography.fernet import Fernet

from gallery_helpers import unit_vectors
from pipeline.gallery.crypto import KeyRing, StoreKeyError, new_key
from pipeline.gallery.legacy import LEGACY_FILE
from pipeline.gallery.location import SQLITE_FILE, connect_rows, open_rows, read_templates
from pipeline.gallery.rotation import rotate
from pipeline.gallery.store import SealedRow, StoreError
from pipeline.service.templates import TemplateStore


def _enrol(location, keys, vectors, clock=None, prefix="t") -> None:
    store = TemplateStore.open(location, keys, 3600, **({"clock": clock} if clock else {}))
    for i, v in enumerate(vectors):
        store.add(f"{prefix}{i}", v, "m")
    store.close()


def test_sealed_rows_round_trip(location, keys):
    v = unit_vectors(5)
    _enrol(location, keys, v)
    back = {t.template_id: t for t in read_templates(location, keys)}
    assert sorted(back) == [f"t{i}" for i in range(5)]
    assert all(back[f"t{i}"].vector.tobytes() == v[i].tobytes() for i in range(5))
    store = TemplateStore.open(location, keys, 3600)
    assert len(store) == 5 and store.loaded.templates == 5
    assert store.search(v[3], "m", 1)[0][0].template_id == "t3"
    assert np.allclose(store.get("t2").vector, v[2])
    assert store.remove("t2") and store.get("t2") is None
    store.close()
    assert sorted(t.template_id for t in read_templates(location, keys)) == ["t0", "t1", "t3",
                                                                             "t4"]


def test_a_sealed_vector_is_bound_to_its_template_id(location, keys):
    _enrol(location, keys, unit_vectors(2))
    rows = connect_rows(location)
    a = rows.get("t0")
    rows.put(SealedRow("t1", a.model, a.enrolled_at, a.key_id, a.nonce, a.sealed))  # copy t0 onto t1
    rows.close()
    with pytest.raises(StoreError, match="'t1' does not authenticate"):
        read_templates(location, keys)


def _files_under(folder) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file())


def test_no_vector_is_in_the_clear_in_the_sqlite_files(tmp_path, keys):
    v = unit_vectors(200, dim=128, seed=7)
    _enrol(tmp_path, keys, v)
    store = TemplateStore.open(tmp_path, keys, 3600)  # open and keep open: the WAL is there too
    store.add("late", v[0] * -1, "m")
    raw = _files_under(tmp_path)
    assert (tmp_path / SQLITE_FILE).stat().st_size > 200 * 128 * 4  # the rows are in there
    for vec in [*v, v[0] * -1]:
        assert vec.tobytes() not in raw
        assert vec[:2].tobytes() not in raw  # not even two floats of it
    store.close()


def test_no_vector_is_in_the_clear_in_postgresql_files(pg_server, pg_dsn, keys):
    import psycopg

    started = time.time() - 1
    v = unit_vectors(200, dim=128, seed=8)
    _enrol(pg_dsn, keys, v)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # the heap pages on disk, not only in the WAL
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()"
                           ).fetchone()[0]
    # This test's database, and the WAL segments written while it ran.
    raw = _files_under(pg_server.data / "base" / str(oid)) + b"".join(
        f.read_bytes() for f in (pg_server.data / "pg_wal").iterdir()
        if f.is_file() and f.stat().st_mtime >= started)
    assert raw.count(b"t199") >= 2  # the rows did reach these files (table and WAL)
    for vec in v:
        assert vec.tobytes() not in raw
    for vec in v[:20]:
        assert vec[:2].tobytes() not in raw  # not even two floats of it


def test_purge_deletes_by_enrolment_time(location, keys):
    now = [1000.0]
    store = TemplateStore.open(location, keys, 15, clock=lambda: now[0])
    for i, v in enumerate(unit_vectors(3)):
        store.add(f"t{i}", v, "m")
        now[0] += 10  # enrolled at 1000, 1010, 1020
    now[0] = 1025.0  # t0 is 25 s old, t1 15 s (expired at exactly the retention), t2 5 s
    assert store.purge_expired() == 2 and store.purged == 2
    assert len(store) == 1 and store.get("t1") is None
    assert [t.template_id for t in read_templates(location, keys)] == ["t2"]
    store.close()
    # Rows nobody holds in memory go too: the store deletes by a range of enrolment times.
    rows = connect_rows(location)
    assert rows.purge_before(1020.0) == 1 and rows.count() == 0
    rows.close()


def test_wrong_key_is_refused_and_changes_nothing(location, keys):
    _enrol(location, keys, unit_vectors(3))
    sqlite_file = None if isinstance(location, str) else location / SQLITE_FILE
    before = sqlite_file.read_bytes() if sqlite_file else None
    wrong = KeyRing(new_key())
    with pytest.raises(StoreKeyError, match=f"sealed with key id.*{keys.current.key_id}.*"
                                            f"{wrong.current.key_id}.*Nothing was read or changed"):
        TemplateStore.open(location, wrong, 3600)
    with pytest.raises(StoreKeyError):
        read_templates(location, wrong)
    if sqlite_file:
        assert sqlite_file.read_bytes() == before
    rows = connect_rows(location, readonly=True)
    assert [c.key_id for c in rows.keys()] == [keys.current.key_id]  # the wrong key not added
    rows.close()
    assert len(read_templates(location, keys)) == 3


def test_rotation_runs_while_enrolments_go_on(location):
    old_key, new_key_ = new_key(), new_key()
    old = KeyRing(old_key)
    _enrol(location, old, unit_vectors(60, seed=1), prefix="before")
    serving = KeyRing(new_key_, [old_key])  # the service, restarted for the rotation
    service = TemplateStore.open(location, serving, 3600)
    rows = open_rows(location, serving)
    late = unit_vectors(40, seed=2)
    enrolling = threading.Thread(target=lambda: [service.add(f"during{i}", late[i], "m")
                                                 for i in range(40)])
    enrolling.start()
    result = rotate(rows, serving, old.current.key_id, batch=7)
    enrolling.join()
    assert result.retired and result.resealed == 60 and result.batches >= 9
    assert rows.count_by_key() == {serving.current.key_id: 100}
    rows.close()
    service.close()
    back = {t.template_id: t for t in read_templates(location, KeyRing(new_key_))}  # new key alone
    assert len(back) == 100 and back["during39"].vector.tobytes() == late[39].tobytes()
    with pytest.raises(StoreKeyError, match="sealed with key id"):
        read_templates(location, old)


def test_a_rotation_batch_never_writes_back_over_a_newer_enrolment(location):
    old_key = new_key()
    _enrol(location, KeyRing(old_key), unit_vectors(3))
    keys = KeyRing(new_key(), [old_key])
    service, rows = TemplateStore.open(location, keys, 3600), open_rows(location, keys)
    batch = rows.under_key(KeyRing(old_key).current.key_id, 10)  # the rotation reads t0..t2
    newer = unit_vectors(1, seed=9)[0]
    service.add("t1", newer, "m")  # ...a re-enrolment lands before it writes them back
    resealed = [(r, keys.seal(keys.open(r))) for r in batch]
    assert rows.reseal(resealed) == 2  # t0 and t2 only: t1 is no longer the row that was read
    rows.close()
    service.close()
    back = {t.template_id: t for t in read_templates(location, keys)}
    assert back["t1"].vector.tobytes() == newer.tobytes()


def test_a_service_left_on_the_retired_key_is_refused(location):
    old_key = new_key()
    _enrol(location, KeyRing(old_key), unit_vectors(2))
    stale = TemplateStore.open(location, KeyRing(old_key), 3600)  # never restarted
    both = KeyRing(new_key(), [old_key])
    rows = open_rows(location, both)
    assert rotate(rows, both, KeyRing(old_key).current.key_id).retired
    rows.close()
    with pytest.raises(StoreKeyError, match="retired by a key rotation"):
        stale.add("x", unit_vectors(1)[0], "m")
    assert stale.get("x") is None  # not acknowledged, not held
    stale.close()


def _write_format_1(folder, key: bytes, vectors, at: float) -> None:
    doc = {"format": 1, "templates": [
        {"id": f"old{i}", "model": "m", "enrolled_at": at + i,
         "vector": base64.b64encode(v.tobytes()).decode("ascii")} for i, v in enumerate(vectors)]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LEGACY_FILE).write_bytes(Fernet(key).encrypt(json.dumps(doc).encode()))


def test_format_1_store_is_migrated_with_its_key(tmp_path):
    key, v = Fernet.generate_key(), unit_vectors(4, dim=128)
    _write_format_1(tmp_path, key, v, at=5000.0)
    keys = KeyRing(key)
    store = TemplateStore.open(tmp_path, keys, 3600, clock=lambda: 6000.0)
    assert len(store) == 4 and store.get("old3").enrolled_at == 5003.0  # retention from enrolment
    store.close()
    assert not (tmp_path / LEGACY_FILE).exists()  # gone once its rows were committed
    back = {t.template_id: t for t in read_templates(tmp_path, keys)}
    assert back["old2"].vector.tobytes() == v[2].tobytes()


def test_format_1_store_with_the_wrong_key_is_refused_untouched(tmp_path):
    _write_format_1(tmp_path, Fernet.generate_key(), unit_vectors(2), at=5000.0)
    before = (tmp_path / LEGACY_FILE).read_bytes()
    with pytest.raises(StoreKeyError, match="format-1.*nothing was migrated or changed.*--key-file"):
        TemplateStore.open(tmp_path, KeyRing(new_key()), 3600)
    assert (tmp_path / LEGACY_FILE).read_bytes() == before
    assert not (tmp_path / SQLITE_FILE).exists()
