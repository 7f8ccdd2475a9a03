"""End to end on composite 1080p frames: a face pasted at a known box, found by dlib HOG,
embedded by dlib's ResNet, aggregated and searched once, is identified as its own identity and
the identification lands in the audit log; the impostor-only track is not."""

import numpy as np
import pandas as pd
import pytest

from experiments.cctv_composite import Walker, composite_stream, enrolment_templates
from pipeline.calibration import operating_point
from pipeline.cctv.galleries import build_gallery
from pipeline.cctv.stream import CctvStream, StreamConfig
from pipeline.registry import available_backends, get_detector, get_embedder
from pipeline.service.audit import AuditLog, verify_chain

pytestmark = pytest.mark.skipif("dlib" not in available_backends(), reason="dlib not installed")


def test_a_pasted_face_is_identified_as_its_identity(tmp_path):
    det, emb = get_detector("dlib", model="hog"), get_embedder("dlib")
    det.prepare(), emb.prepare()
    keys = [(11, i) for i in range(6)]
    enr = pd.DataFrame({"template_id": [f"t{i}" for i in range(6)], "traveler_id": range(6),
                        "consent": True, "watchlist": [True] * 5 + [False]})
    gallery = build_gallery(enr, enrolment_templates(keys, det, emb))
    threshold = operating_point("dlib", emb.name, fmr=1e-4).threshold
    audit = AuditLog(tmp_path / "audit.jsonl", fsync=False)
    walkers = [Walker(2, keys[2], 50, 0.0, 900, 300, (40, 40, 200)),
               Walker(5, keys[5], 50, 0.0, 700, 650, (200, 60, 30))]  # not on the watchlist
    stream = CctvStream("cam", (1920, 1080), det, emb, gallery,
                        StreamConfig(threshold=threshold), audit=audit)
    searches = []
    for frame in composite_stream("cam", walkers, 0.0, 0.8):
        searches += stream.process(frame.image, frame.t).searches
    claims = {s.identity for s in stream.finish()}
    assert "t2" in claims and "t5" not in claims
    hits = [s for s in searches if s.matched]
    assert hits and all(s.candidates[0].template_id == "t2" for s in hits)
    assert verify_chain(audit.path).ok and verify_chain(audit.path).records == len(hits)
    assert "t5" not in audit.path.read_text()
