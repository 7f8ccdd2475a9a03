"""One CCTV identification run: a source's frames through the pipeline under one gallery
policy, as record tables for a run folder (``airtwin identify-cctv``).

    tables, meta = identify_cctv(composite_source(seed=1), policy="manifest", backend="dlib")

The gallery is built from the travelers' enrolment photos (detected and embedded by the same
backend) under the policy's rules (:func:`pipeline.cctv.galleries.build_gallery`). The
population policy's extra identities are drawn from a Gaussian fitted to the enrolment
templates of :data:`POOL_SIZE` other synthetic identities, never the run's own travelers (mean
and the templates' spread, plus a little of every direction; fitted on the run's travelers the
draws would mix in each traveler's own template and pass for them): face-like templates, so they score against a probe as unknown faces do, at 100,000+ without rendering
100,000 faces. (Random unit vectors would score near 0 against every probe and hide the growth
of false identifications with N.)

Gallery size is also swept inside the run: :class:`SizeSweepStore` records, for each search, the
listed part's top candidates and the best score among the first ``n`` extras for each size in
``sizes``: scores only, never a template, so the evaluation can show how false identifications
grow with N from one pass.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from experiments.cctv_run import run_cameras
from experiments.cctv_sources import CctvSource
from outputs.progress import steps
from pipeline.cctv.aggregate import AggregationConfig
from pipeline.cctv.galleries import POPULATION_MIN_EXTRA, build_gallery, check_policy
from pipeline.cctv.gaps import MAX_GAP_S
from pipeline.cctv.operating import SizedThreshold, threshold_at
from pipeline.cctv.stitch import StitchConfig
from pipeline.cctv.stream import StreamConfig
from pipeline.matching import top_k
from pipeline.types import Candidate

SWEEP_SIZES = (0, 1_000, 10_000, 100_000, 1_000_000)
POOL_SIZE = 48  # identities the population's extras are modelled on
POOL_SEED_OFFSET = 1_000_003  # their identity keys' seed: nobody in the run


def face_like_templates(n: int, real: np.ndarray, rng: np.random.Generator,
                        chunk: int = 65_536) -> np.ndarray:
    """(n, dim) unit templates from a Gaussian fitted to ``real`` (rows, L2-normalised): its
    mean, its centred rows as the covariance's square root, and isotropic noise at the
    residual's scale. ``n`` 0 gives an empty array."""
    real = np.atleast_2d(np.asarray(real, np.float32))
    if len(real) < 2:
        raise ValueError(f"face-like templates need >= 2 real templates to fit, got {len(real)}")
    mean = real.mean(0)
    centred = (real - mean) / np.sqrt(len(real) - 1)
    noise = 0.25 * float(np.sqrt((centred ** 2).sum() / real.shape[1] / len(real)))
    out = np.empty((n, real.shape[1]), np.float32)
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        block = mean + rng.standard_normal((m, len(real)), dtype=np.float32) @ centred
        block += noise * rng.standard_normal(block.shape, dtype=np.float32)
        out[lo:lo + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


class SizeSweepStore:
    """Wraps a gallery's store whose first ``n_listed`` rows are the listed (manifest or
    watchlist) identities and the rest the population's extras, in order. ``search`` answers as
    the store does and records the sweep (:attr:`records`, one dict per search, in order)."""

    def __init__(self, store, n_listed: int, sizes, k: int = 5):
        self.store, self.n_listed, self.k = store, int(n_listed), k
        n_extra = len(store) - self.n_listed
        self.sizes = tuple(sorted({s for s in sizes if s <= n_extra} | {n_extra}))
        self.records: list[dict] = []
        self._ids = store.ids  # a copy; the gallery does not change during a run

    def __len__(self) -> int:
        return len(self.store)

    def search(self, probe: np.ndarray, k: int = 1, threshold=None) -> list[Candidate]:
        row = self.store.score_matrix(np.atleast_2d(probe))[0]
        ids = self._ids
        listed = row[:self.n_listed]
        top = top_k(listed, min(self.k, len(listed))) if len(listed) else []
        extra = row[self.n_listed:]
        cummax = np.maximum.accumulate(extra) if len(extra) else extra
        self.records.append({
            "listed_ids": [ids[i] for i in top], "listed_scores": [float(listed[i]) for i in top],
            "extra_max": [float(cummax[s - 1]) if s else float("-inf") for s in self.sizes]})
        return [c for c in (Candidate(ids[i], float(row[i]), r + 1)
                            for r, i in enumerate(top_k(row, k)))
                if threshold is None or c.score >= threshold]


@dataclass(frozen=True)
class BackendParts:
    name: str
    detector: object
    embedder: object
    threshold: float | SizedThreshold  # SizedThreshold: set for the gallery's size N
    threshold_source: str
    # frame size -> a detector sized for it (insightface); empty: ``detector`` for every size
    camera_detectors: dict = field(default_factory=dict)

    def detector_for(self, frame_size: tuple[int, int]):
        return self.camera_detectors.get(tuple(frame_size), self.detector)


def prepare_backend(backend: str, fmr: float = 1e-4, frame_sizes=(),
                    threshold: float | None = None, threads: int | None = 1,
                    fast_prelu: bool = True, follow_size: bool | None = None) -> BackendParts:
    """Detector, embedder and the CCTV threshold of ``backend``: ``threshold`` when given, else
    the recogniser's CCTV operating point (:mod:`pipeline.cctv.operating`), else its gate
    calibration at ``fmr`` (marked as such). The insightface detector gets one SCRFD per frame
    size in ``frame_sizes``, at :func:`pipeline.cctv.operating.detection_input`. ``threads``:
    onnxruntime intra-op threads per insightface session (1: a camera stream per core, the
    cheapest CPU time per frame; None: onnxruntime's default pool); ``fast_prelu``: the
    insightface recogniser runs its graph with PRelu split (the same templates, bit for bit,
    less CPU); ``follow_size``: the CCTV operating point follows the gallery's size
    (:data:`pipeline.cctv.operating.FOLLOW_GALLERY_SIZE` when None)."""
    from pipeline.calibration import operating_point
    from pipeline.cctv.operating import cctv_decision, detection_input
    from pipeline.registry import get_detector, get_embedder

    ort = {"threads": threads} if backend == "insightface" else {}
    det = get_detector(backend, model="hog") if backend == "dlib" else get_detector(backend,
                                                                                    **ort)
    emb = get_embedder(backend, **ort, **({"fast_prelu": fast_prelu} if ort else {}))
    det.prepare(), emb.prepare()
    per_size = {}
    if backend == "insightface":
        for size in {tuple(int(v) for v in s) for s in frame_sizes}:
            per_size[size] = get_detector(backend, det_size=detection_input(size), **ort)
            per_size[size].prepare()
    op = cctv_decision(emb.name, threshold, lambda: operating_point(backend, emb.name, fmr=fmr),
                       follow_size)
    return BackendParts(backend, det, emb, op.rule, op.source, per_size)


PERSON_SOURCES = ("faces", "mog2", "knn", "onnx", "heads")


def person_detectors(source: CctvSource, persons: str = "heads",
                     options: dict | None = None,
                     camera_options: dict[str, dict] | None = None) -> dict:
    """Camera id -> a prepared person detector (:mod:`pipeline.danger.detect`, by name) for
    ``persons`` other than ``faces`` (empty: every camera tracks the bodies its faces imply).
    A background-subtraction detector starts from the camera's clean plate where the source has
    one; ``options`` go to the detector (``onnx``: model_path, output_format, ...).
    ``persons`` heads: each camera's head detector takes ``options``, then the source's
    camera spec's :attr:`CameraSpec.head_options` (the scenario's ``faces.head_band``), then
    ``camera_options`` of that camera (``--head-band``)."""
    from pipeline.danger.detect import make_detector

    if persons not in PERSON_SOURCES:
        raise ValueError(f"--persons: must be one of {', '.join(PERSON_SOURCES)}, got "
                         f"{persons!r}")
    camera_options = camera_options or {}
    unknown = sorted(set(camera_options) - set(source.cameras))
    if unknown:
        raise ValueError(f"--head-band: no face camera {', '.join(unknown)} in this source "
                         f"(cameras: {', '.join(source.cameras)})")
    if camera_options and persons != "heads":
        raise ValueError(f"--head-band sets the head detector; --persons {persons} does not run "
                         f"it")
    if persons == "faces":
        return {}
    out = {}
    if persons == "heads":  # the CCTV head-and-shoulders detector (pipeline.vision.heads)
        from pipeline.vision.heads import HeadDetector

        for cid, cam in source.cameras.items():
            out[cid] = HeadDetector(**{**(options or {}), **cam.head_options,
                                       **camera_options.get(cid, {})})
            out[cid].prepare()  # HeadModelError (a ValueError) names a missing model file
        return out
    for cid, cam in source.cameras.items():
        opts = dict(options or {})
        if persons in ("mog2", "knn"):
            opts.setdefault("fps", cam.fps)
            opts.setdefault("ignore_boxes", list(source.overlay_boxes))
        det = make_detector(persons, **opts)
        det.prepare()
        plate = source.clean_plate(cid) if source.clean_plate is not None else None
        if plate is not None and hasattr(det, "seed"):
            det.seed(plate)
        out[cid] = det
    return out


def hold_out(enr: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """``enr`` without a random ``share`` of its non-watchlist travelers (seeded): their CCTV
    searches become non-mated, which a manifest run needs to measure FPIR (everyone seen is on
    a manifest otherwise)."""
    if not 0 <= share < 1:
        raise ValueError(f"--holdout must be in [0, 1), got {share}")
    if share == 0:
        return enr
    rng = np.random.default_rng([seed, 11_011])
    pool = enr.index[~enr["watchlist"].astype(bool)]
    out = rng.choice(pool, size=int(round(share * len(pool))), replace=False)
    return enr.drop(index=out).reset_index(drop=True)


def enrolments(source: CctvSource) -> pd.DataFrame:
    """Enrolment records (template_id, traveler_id, consent, watchlist) of everyone on a
    manifest or the watchlist; travelers on neither have no enrolment photo to search."""
    return enrolments_of(source.travelers)


def enrolments_of(travelers: pd.DataFrame) -> pd.DataFrame:
    """:func:`enrolments` from a travelers table (a source's, or a run's ``cctv_travelers``),
    in the same row order, so :func:`hold_out` draws the same travelers from either."""
    t = travelers
    t = t[t["on_manifest"].astype(bool) | t["watchlist"].astype(bool)]
    return pd.DataFrame({"template_id": [f"e{int(i):06d}" for i in t["traveler_id"]],
                         "traveler_id": t["traveler_id"].astype(int).to_numpy(),
                         "consent": t["consent"].astype(bool).to_numpy(),
                         "watchlist": t["watchlist"].astype(bool).to_numpy(),
                         "key_seed": t["key_seed"].to_numpy(), "key_id": t["key_id"].to_numpy()})


def _embed_enrolments(keys, parts: BackendParts, label: str, quiet: bool,
                      photo=None) -> tuple[np.ndarray, np.ndarray]:
    """Templates of the enrolment photos the detector finds a face in, and which keys those
    are (a photo without a detectable face is a failure to enrol: that person is not searchable)."""
    from experiments.cctv_composite import enrolment_templates

    rows, ok = [], []
    with steps(label, len(keys), "faces", quiet=quiet) as advance:
        for key in keys:
            try:
                rows.append(enrolment_templates([key], parts.detector, parts.embedder,
                                                photo)[0])
                ok.append(True)
            except RuntimeError:  # no face found
                ok.append(False)
            advance()
    if not rows:
        raise ValueError(f"{label}: no face found in any of {len(keys)} enrolment photos")
    return np.stack(rows), np.array(ok, bool)


def identify_cctv(source: CctvSource, policy: str = "watchlist", backend: str | BackendParts = "dlib",
                  extra: int = 0, seed: int = 0, audit=None, quiet: bool = False,
                  sizes=SWEEP_SIZES, holdout: float = 0.0, threshold: float | None = None,
                  persons: str = "heads", person_options: dict | None = None,
                  aggregation: AggregationConfig | None = None, swaps: bool = True,
                  person_camera_options: dict[str, dict] | None = None,
                  max_gap_s: float = MAX_GAP_S, stitching: StitchConfig | None = None,
                  follow_size: bool | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Run every camera of ``source`` and return the record tables and the run's metadata.
    ``swaps``: the stream's swap guard (:mod:`pipeline.cctv.swaps`) and its links on
    probation (:attr:`AggregationConfig.link_min_cosine`) on, at their settings.
    ``person_camera_options``: per camera id, person-detector options over ``person_options``
    and the source's camera specs (e.g. ``{"hall_exit": {"band": 300}}``, the head detector's
    far band there only); the metadata records each camera's options as run. ``max_gap_s``:
    each track's gaps up to this long filled after the run (:mod:`pipeline.cctv.gaps`);
    ``stitching``: each camera's fragments then stitched (:mod:`pipeline.cctv.stitch`; None:
    off). ``follow_size``: the CCTV threshold follows the gallery's size (None: the shipped
    :data:`pipeline.cctv.operating.FOLLOW_GALLERY_SIZE`; a ``BackendParts`` brings its own);
    the metadata records the threshold used and the N it was set for."""
    check_policy(policy)
    if not np.isfinite(max_gap_s) or max_gap_s < 0:
        raise ValueError(f"--fill-gaps: a gap in seconds >= 0 (0: off), got {max_gap_s}")
    if policy == "population" and extra < POPULATION_MIN_EXTRA:
        raise ValueError(f"--extra: the population policy needs at least "
                         f"{POPULATION_MIN_EXTRA:,} extra enrolled identities, got {extra:,}")
    if policy != "population" and extra:
        raise ValueError(f"--extra: extra identities belong to the population policy only, "
                         f"not {policy!r} (got {extra:,})")
    started = time.perf_counter()
    people = person_detectors(source, persons, person_options, person_camera_options)
    parts = backend if isinstance(backend, BackendParts) else prepare_backend(
        backend, frame_sizes=[c.size for c in source.cameras.values()], threshold=threshold,
        follow_size=follow_size)
    enr = hold_out(enrolments(source), holdout, seed)
    keys = list(zip(enr["key_seed"].astype(int), enr["key_id"].astype(int)))
    templates, enrolled = _embed_enrolments(keys, parts, "enrolment photos", quiet,
                                            source.enrolment_photo)
    failed = enr.loc[~enrolled, "traveler_id"].astype(int).tolist()
    enr = enr[enrolled].reset_index(drop=True)
    extras = None
    if policy == "population":  # fitted on other people, never on the run's own travelers
        pool, _ = _embed_enrolments([(seed + POOL_SEED_OFFSET, i) for i in range(POOL_SIZE)],
                                 parts, "population model", quiet)
        extras = face_like_templates(extra, pool, np.random.default_rng(seed + 7))
    gallery = build_gallery(enr.drop(columns=["key_seed", "key_id"]), templates, policy, extras)
    n_listed = gallery.size - (0 if extras is None else len(extras))
    sweep = SizeSweepStore(gallery.store, n_listed, sizes)
    config = StreamConfig(fps=max(c.fps for c in source.cameras.values()),
                          threshold=parts.threshold)
    if aggregation is not None:
        config = replace(config, aggregation=aggregation)
    if not swaps:  # the code before pipeline.cctv.swaps: no guard, no link on probation
        config = replace(config, swaps=None,
                         aggregation=replace(config.aggregation, link_min_cosine=None))
    frames = {cid: source.frames(cid) for cid in source.cameras}
    centres = {cid: c.centre for cid, c in source.cameras.items()}
    sizes = {cid: c.size for cid, c in source.cameras.items()}
    detectors = {cid: parts.detector_for(c.size) for cid, c in source.cameras.items()}
    tables = run_cameras(frames, replace(gallery, store=sweep), detectors, parts.embedder,
                         centres, config, audit, sizes, quiet=quiet,
                         fps={cid: c.fps for cid, c in source.cameras.items()},
                         person_detectors=people,
                         views={cid: c.view for cid, c in source.cameras.items() if c.view}
                         or None,
                         models={cid: c.model for cid, c in source.cameras.items()},
                         max_gap_s=max_gap_s, stitching=stitching,
                         tracker_options={cid: c.tracker_options
                                          for cid, c in source.cameras.items()})
    s = tables["cctv_searches"]
    recs = pd.DataFrame(sweep.records, index=s.index) if len(s) else \
        pd.DataFrame(columns=["listed_ids", "listed_scores", "extra_max"])
    tables["cctv_searches"] = pd.concat([s, recs], axis=1)
    tables["cctv_gallery"] = pd.DataFrame(
        {"template_id": list(gallery.traveler_of)[:n_listed],
         "traveler_id": list(gallery.traveler_of.values())[:n_listed]}).assign(
        watchlist=lambda d: d["template_id"].isin(gallery.watchlist_ids))
    tables["cctv_travelers"] = source.travelers.copy()
    tables["cctv_cameras"] = source.camera_table()
    meta = {"policy": policy, "marked": gallery.marked, "gallery_label": gallery.label(),
            "gallery_size": gallery.size, "listed": n_listed,
            "extra": 0 if extras is None else len(extras), "sweep_sizes": list(sweep.sizes),
            "excluded_no_consent": gallery.n_excluded_no_consent,
            "failed_to_enrol": failed, "backend": parts.name,
            "embedder": parts.embedder.name,
            "threshold": threshold_at(parts.threshold, gallery.size),
            "threshold_rule": (asdict(parts.threshold)
                               if isinstance(parts.threshold, SizedThreshold) else None),
            "threshold_n": gallery.size, "holdout": holdout,
            "persons": persons, "person_camera_options": {
                cid: opts for cid, cam in source.cameras.items()
                if persons == "heads" and (opts := {**cam.head_options,
                                                    **(person_camera_options or {}).get(cid, {})})},
            "tracker": config.tracker,
            "tracker_options": dict(config.tracker_options),
            "tracker_camera_options": {cid: dict(c.tracker_options)
                                       for cid, c in source.cameras.items() if c.tracker_options},
            "relink": None if config.relink is None else asdict(config.relink),
            "swaps": None if config.swaps is None else asdict(config.swaps),
            "aggregation": asdict(config.aggregation), "max_gap_s": float(max_gap_s),
            "stitch": None if stitching is None else asdict(stitching),
            "detector_input": {cid: list(getattr(d, "input_wh", ())) for cid, d in
                               detectors.items()},
            "threshold_source": _threshold_source(parts, gallery.size), "source": source.kind,
            "source_name": source.name, "cameras": list(source.cameras), "seed": seed,
            "audit": None if audit is None else str(audit.path),
            "wall_time_s": time.perf_counter() - started}
    return tables, meta


def _threshold_source(parts: BackendParts, n: int) -> str:
    """Where the run's threshold came from, and for which gallery size it was set."""
    if isinstance(parts.threshold, SizedThreshold):
        return (f"{threshold_at(parts.threshold, n):.3f} for this gallery's N={n:,}: "
                f"{parts.threshold_source}")
    return f"{parts.threshold_source}; fixed, whatever the gallery's size (here N={n:,})"
