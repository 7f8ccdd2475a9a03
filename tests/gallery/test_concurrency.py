"""Enrolment, verification, the retention purge and a key rotation all at once, on both backends:
no acknowledged write is lost, no stale vector is written back, nothing expired survives."""

from __future__ import annotations

import random
import threading

import numpy as np

from gallery_helpers import unit_vectors
from pipeline.gallery.crypto import KeyRing, new_key
from pipeline.gallery.location import open_rows, read_templates
from pipeline.gallery.rotation import rotate
from pipeline.service.templates import TemplateStore

RETENTION_S = 1000.0
BASE, REENROLLED, FRESH, ROUNDS = 100, 30, 30, 4


def test_concurrent_enrol_verify_purge_rotate(location):
    old_key, new_key_ = new_key(), new_key()
    now = [0.0]
    seed = TemplateStore.open(location, KeyRing(old_key), RETENTION_S, clock=lambda: now[0])
    base = unit_vectors(BASE, seed=1)
    for i in range(BASE):  # enrolled at t=0 under the old key: expire once t >= 1000
        seed.add(f"base{i}", base[i], "m")
    seed.close()

    now[0] = 500.0
    keys = KeyRing(new_key_, [old_key])  # the service, restarted for the rotation
    service = TemplateStore.open(location, keys, RETENTION_S, clock=lambda: now[0])
    service.follow()
    rotation_rows = open_rows(location, keys)
    written: dict[str, list[np.ndarray]] = {f"base{i}": [base[i]] for i in range(BASE)}
    acked: dict[str, np.ndarray] = {}
    lock, errors = threading.Lock(), []
    ids = [f"base{i}" for i in range(REENROLLED)] + [f"fresh{i}" for i in range(FRESH)]
    rng = np.random.default_rng(2)
    versions = {tid: [v for v in unit_vectors(ROUNDS, seed=int(rng.integers(1 << 30)))]
                for tid in ids}

    def enrol(mine: list[str]) -> None:
        for r in range(ROUNDS):
            for tid in mine:
                with lock:
                    written.setdefault(tid, []).append(versions[tid][r])
                service.add(tid, versions[tid][r], "m")
                acked[tid] = versions[tid][r]  # each id has one writer: the last ack is the truth

    def check_reads() -> None:
        pick = random.Random(3)
        for _ in range(400):
            tid = pick.choice(ids)
            t = service.get(tid)
            if t is not None:
                with lock:
                    seen = list(written[tid])
                if not any(np.allclose(t.vector, w, atol=1e-6) for w in seen):
                    errors.append(f"{tid}: a vector that was never written")

    def purge_midway() -> None:
        while len(acked) < len(ids) // 2:
            threading.Event().wait(0.005)
        now[0] = RETENTION_S + 0.5  # every template enrolled at t=0 is now expired
        service.purge_expired()

    threads = [threading.Thread(target=enrol, args=(ids[0::2],)),
               threading.Thread(target=enrol, args=(ids[1::2],)),
               threading.Thread(target=check_reads), threading.Thread(target=purge_midway)]
    for t in threads:
        t.start()
    result = rotate(rotation_rows, keys, KeyRing(old_key).current.key_id, batch=5)
    for t in threads:
        t.join()
    rotate(rotation_rows, keys, KeyRing(old_key).current.key_id)  # whatever the purge raced
    rotation_rows.close()
    service.purge_expired()
    in_memory = {tid: service.get(tid) for tid in written}
    service.close()

    assert not errors, errors[:3]
    on_disk = {t.template_id: t for t in read_templates(location, KeyRing(new_key_))}
    # Every id written during the storm holds exactly its last acknowledged vector...
    assert set(on_disk) == set(ids)
    for tid in ids:
        assert on_disk[tid].vector.tobytes() == acked[tid].tobytes(), tid
        assert np.allclose(in_memory[tid].vector, acked[tid], atol=1e-6), tid
    # ...and the untouched base templates, expired, are gone from disk and memory.
    assert all(in_memory[f"base{i}"] is None for i in range(REENROLLED, BASE))
    assert result.resealed <= BASE
