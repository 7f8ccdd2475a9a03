"""The service's parts on their own, without a server: image intake, the micro-batcher, the
template store, the audit chain, and the benchmark's same-p99 reading."""

from __future__ import annotations

import asyncio
import time

import cv2
import numpy as np
import pytest
from cryptography.fernet import Fernet

from pipeline.service.audit import AuditError, AuditLog, parse_anchor, verify_chain
from pipeline.service.batching import MicroBatcher
from experiments.bench_service import LoadPoint, throughput_at_p99
from pipeline.service.config import ServiceConfig, ServiceConfigError, read_template_key
from pipeline.service.errors import QueueFullError, ServiceError
from pipeline.service.imaging import ImageLimits, decode_image, encode_jpeg, jpeg_truncated
from pipeline.gallery.crypto import KeyRing, StoreKeyError
from pipeline.gallery.location import connect_rows, read_templates
from pipeline.gallery.store import StoreError
from pipeline.service.templates import TemplateStore


def _noise(h=120, w=160):
    return (np.random.default_rng(1).random((h, w, 3)) * 255).astype(np.uint8)


# --- image intake ------------------------------------------------------------------------
def test_decode_round_trip_and_refusals():
    jpeg = encode_jpeg(_noise())
    assert decode_image(jpeg).shape == (120, 160, 3)
    ok, png = cv2.imencode(".png", _noise())
    assert decode_image(png.tobytes()).shape == (120, 160, 3)
    cases = {b"": "empty_image", b"BM6\x00\x00": "not_an_image", jpeg[:-2]: "truncated_image",
             jpeg[:150]: "truncated_image"}
    for data, code in cases.items():
        with pytest.raises(ServiceError) as e:
            decode_image(data)
        assert e.value.code == code
    with pytest.raises(ServiceError) as e:
        decode_image(jpeg, ImageLimits(max_pixels=100 * 100))
    assert e.value.code == "too_many_pixels" and "160x120" in e.value.detail
    with pytest.raises(ServiceError) as e:
        decode_image(encode_jpeg(_noise(8, 8)))
    assert e.value.code == "image_too_small"


def test_truncation_ignores_an_exif_thumbnail_end_marker():
    jpeg = encode_jpeg(_noise())
    # An APP1 segment holding a thumbnail's own end marker, before the main image.
    app1 = b"\xff\xe1\x00\x06Ex\xff\xd9"
    with_thumb = jpeg[:2] + app1 + jpeg[2:]
    assert not jpeg_truncated(with_thumb)
    assert jpeg_truncated(with_thumb[: len(with_thumb) // 2])
    assert decode_image(with_thumb).shape == (120, 160, 3)


# --- micro-batcher -----------------------------------------------------------------------
def test_batcher_groups_waiting_requests_and_bounds_its_queue():
    sizes = []

    def run(items):  # stands in for the model: a unit test of the batcher
        sizes.append(len(items))
        time.sleep(0.05)
        return [x * 10 for x in items]

    async def main():
        b = MicroBatcher(run, max_batch=4, max_wait_s=0.02, queue_size=6)
        b.start()
        try:
            results = await asyncio.gather(*(b.submit(i) for i in range(6)),
                                           return_exceptions=True)
            # A burst larger than the queue: the overflow is refused at once, not queued.
            burst = await asyncio.gather(*(b.submit(i) for i in range(20)),
                                         return_exceptions=True)
        finally:
            await b.stop()
        return results, burst

    results, burst = asyncio.run(main())
    assert [r[0] for r in results] == [0, 10, 20, 30, 40, 50]
    assert sizes[:2] == [4, 2] and all(r[1].size in (4, 2) for r in results)
    refused = [r for r in burst if isinstance(r, QueueFullError)]
    served = [r for r in burst if isinstance(r, tuple)]
    assert len(refused) == 14 and len(served) == 6
    assert refused[0].status == 429 and int(refused[0].headers["Retry-After"]) >= 1


def test_batcher_reports_a_model_failure_to_every_caller():
    def run(items):
        raise RuntimeError("model exploded")

    async def main():
        b = MicroBatcher(run, max_batch=8, max_wait_s=0.01, queue_size=8)
        b.start()
        try:
            return await asyncio.gather(*(b.submit(i) for i in range(3)), return_exceptions=True)
        finally:
            await b.stop()

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(main()))


# --- template store ----------------------------------------------------------------------
def _unit(seed, d=16):
    v = np.random.default_rng(seed).normal(size=d).astype(np.float32)
    return v / np.linalg.norm(v)


def test_store_encrypts_persists_and_purges(tmp_path):
    key, now, purges = Fernet.generate_key(), [1000.0], []  # a Fernet key is a template key
    keys = KeyRing(key)
    store = TemplateStore.open(tmp_path, keys, 60, clock=lambda: now[0], on_purge=purges.append)
    store.add("a", _unit(1), "m")
    now[0] += 30
    store.add("b", _unit(2), "m")
    on_disk = b"".join(f.read_bytes() for f in tmp_path.iterdir())
    assert _unit(1).tobytes() not in on_disk and _unit(2).tobytes() not in on_disk
    assert sorted(t.template_id for t in read_templates(tmp_path, keys)) == ["a", "b"]
    cands, n = store.search(_unit(2), "m", 2)
    assert n == 2 and cands[0].template_id == "b" and cands[0].rank == 1
    now[0] += 31  # a is 61 s old, b 31 s
    assert store.get("a") is None and store.get("b") is not None
    assert [t.template_id for t in read_templates(tmp_path, keys)] == ["b"]
    assert purges == [1] and store.purged == 1  # what /metrics counts
    store.close()
    # A restart with the same key reads it back; another key cannot, and changes nothing.
    again = TemplateStore.open(tmp_path, keys, 60, clock=lambda: now[0])
    assert len(again) == 1 and np.allclose(again.get("b").vector, _unit(2))
    again.close()
    with pytest.raises(StoreKeyError, match="sealed with key id"):
        TemplateStore.open(tmp_path, KeyRing(Fernet.generate_key()), 60)
    with pytest.raises(StoreError, match="without an encryption key"):
        TemplateStore(60, connect_rows(tmp_path), None)


def test_config_refuses_to_persist_without_a_key(tmp_path, monkeypatch):
    with pytest.raises(ServiceConfigError, match="unencrypted"):
        ServiceConfig(store_dir=tmp_path)
    monkeypatch.setenv("AIRTWIN_TEMPLATE_KEY", "not-a-key")
    with pytest.raises(ServiceConfigError, match="not a Fernet key"):
        read_template_key(None)
    (tmp_path / "k").write_bytes(Fernet.generate_key())
    assert read_template_key(tmp_path / "k") is not None  # the file wins over the variable


# --- audit chain -------------------------------------------------------------------------
def test_audit_log_resumes_its_chain_and_refuses_a_broken_one(tmp_path):
    path = tmp_path / "audit.jsonl"
    AuditLog(path, fsync=False).append("identify", outcome="hit")
    log = AuditLog(path, fsync=False)  # reopened: continues the chain
    assert log.append("identify", outcome="no_hit")["seq"] == 2
    assert verify_chain(path).ok and verify_chain(path).records == 2
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[1] + lines[0])  # reordered
    assert verify_chain(path).bad_line == 1
    with pytest.raises(AuditError, match="chain broken at line 1"):
        AuditLog(path)
    path.write_text(lines[0] + lines[1][:-1])  # a last line cut short
    assert verify_chain(path).reason == "last line is incomplete"


def test_an_anchor_kept_elsewhere_catches_a_truncated_or_rewritten_tail(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, fsync=False)
    for outcome in ("hit", "no_hit", "hit"):
        log.append("identify", outcome=outcome)
    head = verify_chain(path).head
    anchor = parse_anchor(head)
    assert anchor[0] == 3 and verify_chain(path, anchor).ok
    log.append("identify", outcome="no_hit")  # the log grows past the anchor: still fine
    assert verify_chain(path, anchor).ok
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2]))  # the last two lines cut off: the chain alone holds
    assert verify_chain(path).ok
    cut = verify_chain(path, anchor)
    assert not cut.ok and "cut off its end" in cut.reason and cut.records == 2
    path.write_text("".join(lines[:2]))  # rewritten from record 3 on with a fresh chain
    AuditLog(path, fsync=False).append("identify", outcome="no_hit")
    forged = verify_chain(path, anchor)
    assert not forged.ok and forged.bad_line == 3 and "anchor" in forged.reason
    for bad in ("3", "x:" + "0" * 64, "3:abc", "0:" + "0" * 64):
        with pytest.raises(ValueError, match="SEQ:HASH"):
            parse_anchor(bad)


# --- benchmark ---------------------------------------------------------------------------
def test_throughput_at_p99_reads_the_curve():
    pts = [LoadPoint("http", c, 40, 0, x, 0, p99, 1) for c, x, p99 in
           [(1, 8.0, 130.0), (2, 9.0, 250.0), (4, 9.5, 480.0)]]
    assert throughput_at_p99(pts, 100.0) is None
    assert throughput_at_p99(pts, 130.0) == 8.0
    assert throughput_at_p99(pts, 190.0) == pytest.approx(8.5)
    assert throughput_at_p99(pts, 1000.0) == 9.5
