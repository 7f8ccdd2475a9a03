"""Where a CCTV identification frame's time goes, stage by stage, on the frames a camera load
test sent: the service's own stream (:class:`pipeline.cctv.stream.CctvStream`, as
:class:`pipeline.cctv.monitor.CctvMonitor` runs it) in this process, on the service's backend,
with each stage timed from outside.

Stages, per frame: ``heads`` (the person detector: the CCTV head detector, one per camera as
the service keeps them; zero when the service implies person boxes from faces), ``detect`` (the
face detector on the whole frame), ``quality`` (the quality
gate on each face: IPD, pose, sharpness), ``track`` (person tracking), ``embed`` (faces that
pass, on a confirmed track), ``search`` (the 1:N searches of tracks that want one, against the
load test's enrolled templates), and ``other`` (the rest of the frame: clothing histograms,
aggregation per track, bookkeeping). The wrappers only time the Protocol calls they pass on;
the gate is a module function of the stream, so it is timed by swapping it for a timed one
while the profile runs (and put back after).

``airtwin loadtest`` runs this after the load when it sent cctv frames and writes the rows as
``cctv_stages.parquet`` into the load-test folder; the engineer page shows them.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pandas as pd

STAGES = ("heads", "detect", "quality", "track", "embed", "search")
COLUMNS = ("camera", "t", "faces", "searches", "frame_s", *(f"{s}_s" for s in STAGES),
           "other_s")


def backend_of(service: str) -> str | None:
    """The backend named in the service's /readyz detail ("backend dlib, model ...")."""
    m = re.search(r"backend (\w+)", service or "")
    return m.group(1) if m else None


def persons_of(service: str) -> str:
    """Where the service's CCTV person boxes come from, from its /readyz detail ("..., cctv
    persons heads"); a service that does not say is taken at the default, heads."""
    from pipeline.service.config import CCTV_PERSONS

    m = re.search(r"cctv persons (\w+)", service or "")
    return m.group(1) if m and m.group(1) in CCTV_PERSONS else "heads"


class _Clock:
    def __init__(self):
        self.spent = dict.fromkeys(STAGES, 0.0)

    def timed(self, stage: str, fn, *args, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            self.spent[stage] += time.perf_counter() - t0

    def take(self) -> dict[str, float]:
        out, self.spent = self.spent, dict.fromkeys(STAGES, 0.0)
        return out


class _Timed:
    """Passes every attribute through to ``inner``; times the one method named ``method``."""

    def __init__(self, inner, method: str, stage: str, clock: _Clock):
        self._inner, self._method, self._stage, self._clock = inner, method, stage, clock

    def __getattr__(self, name):
        attr = getattr(self._inner, name)  # AttributeError for a name the inner lacks
        if name != self._method:
            return attr
        return lambda *a, **kw: self._clock.timed(self._stage, attr, *a, **kw)


class _Templates:
    """The enrolled templates as the service's gallery searches them (EnrolledGallery's
    ``TemplateSearch``), timed."""

    def __init__(self, store, clock: _Clock):
        self.store, self.clock = store, clock

    def search(self, probe, model, k):
        found = self.clock.timed("search", self.store.search, probe, k)
        return found, len(self.store)


@contextmanager
def _timed_gate(clock: _Clock):
    import pipeline.cctv.stream as stream_module

    original = stream_module.measure_face
    stream_module.measure_face = lambda *a, **kw: clock.timed("quality", original, *a, **kw)
    try:
        yield
    finally:
        stream_module.measure_face = original


def profile_stages(frames: list[tuple[str, float, bytes]], cameras: list[str],
                   enrol: list[tuple[str, bytes]], backend: str = "dlib",
                   persons: str = "heads") -> pd.DataFrame:
    """One row per frame of ``cameras`` (COLUMNS; seconds), each camera's frames in time order
    through its own stream, searching the templates of the ``enrol`` photos. ``persons``:
    ``heads`` gives each camera's stream its own head detector, as the service does (``airtwin
    serve --cctv-persons``); ``faces`` implies person boxes from the faces found."""
    import cv2

    from pipeline.calibration import operating_point
    from pipeline.vision.heads import HeadDetector
    from pipeline.cctv.monitor import EnrolledGallery
    from pipeline.cctv.stream import CctvStream, StreamConfig
    from pipeline.matching import NumpyGallery
    from pipeline.registry import get_detector, get_embedder

    detector, embedder = get_detector(backend), get_embedder(backend)
    detector.prepare(), embedder.prepare()
    store = NumpyGallery(embedder.dim)
    for template_id, jpeg in enrol:
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        dets = detector.detect(image)
        if dets:
            store.add([template_id], np.stack([embedder.embed(image, dets[:1])[0].vector]))
    clock = _Clock()
    det = _Timed(detector, "detect", "detect", clock)
    emb = _Timed(embedder, "embed", "embed", clock)
    gallery = EnrolledGallery(_Templates(store, clock), embedder.name)
    config = StreamConfig(threshold=operating_point(backend, embedder.name).threshold)
    rows = []
    with _timed_gate(clock):
        for cam in cameras:
            clip = sorted((t, jpeg) for c, t, jpeg in frames if c == cam)
            if not clip:
                continue
            fps = 1.0 / (clip[1][0] - clip[0][0]) if len(clip) > 1 else 10.0
            cfg = replace(config, fps=fps)
            stream = None
            for t, jpeg in clip:
                image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                if stream is None:
                    size = (image.shape[1], image.shape[0])
                    heads = None
                    if persons == "heads":
                        heads = HeadDetector()
                        heads.prepare()
                        heads = _Timed(heads, "detect", "heads", clock)
                    stream = CctvStream(cam, size, det, emb, gallery, cfg,
                                        person_detector=heads)
                    # the tracker the stream made for itself (its options included), timed
                    stream.tracker = _Timed(stream.tracker, "update", "track", clock)
                clock.take()
                r = stream.process(image, t)
                spent = clock.take()
                rows.append((cam, t, len(r.faces), len(r.searches), r.seconds,
                             *(spent[s] for s in STAGES),
                             max(r.seconds - sum(spent.values()), 0.0)))
            stream.finish()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def stage_summary(rows: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per stage (and the whole frame): mean, p50 and p95 ms per frame."""
    out = {}
    for col in ("frame_s", *(f"{s}_s" for s in STAGES), "other_s"):
        ms = rows[col].to_numpy(float) * 1000
        out[col.removesuffix("_s")] = {"mean_ms": float(ms.mean()) if len(ms) else float("nan"),
                                       "p50_ms": float(np.percentile(ms, 50)) if len(ms) else
                                       float("nan"),
                                       "p95_ms": float(np.percentile(ms, 95)) if len(ms) else
                                       float("nan")}
    return out
