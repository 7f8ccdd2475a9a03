"""Renderer variants, paired on the same identities: does a change move the faces apart?

A variant is a set of overrides of module attributes under ``sim.faces`` (constants such as
``sim.faces.layers.WARP_FINE_UNITS``, or whole functions), applied, measured and restored in
turn on the same identities. Caches under ``sim.faces`` (sprites, traits) are cleared between
variants, so each one renders from scratch. A variants file is Python that defines::

    VARIANTS = {"base": {}, "fine warp": {"sim.faces.layers.WARP_FINE_UNITS": 0.04}}

``python -m experiments.face_variants --variants FILE [--n 30] [--seed 4300] [--only a,b]``
renders, per identity, the enrolment photo (standard studio) and one live capture, and prints
one JSON line per variant: ArcFace (SCRFD + shared int8 w600k_mbf, SCRFD's points, ground truth
where it misses) impostor mean/sd over enrolment pairs, genuine mean (live vs enrolment), the
population mean's squared norm, the projection on the *first* variant's mean direction (issue
13's shared component; real faces sit near 0), dlib's impostor L2 mean, FMR and FNMR at its
published 0.6, dlib HOG's best score on the face (all and V-VI) and HOG misses. About 40 s per
variant of 30 identities on one core.

``--hog-lives K`` measures dlib HOG alone, on ``bench faces``' own render path (enrolment photo
with appearance change, K live captures, look-alikes): per Fitzpatrick group and capture kind
the detection rate (the bench's rule), mean and 5th-percentile best score; ``--save DIR``
writes every capture's score so variants can be paired capture by capture. About 90 CPU-s per
variant of 150 identities x (1 + 4). With ``--arcface`` it also scores the same captures as
``bench faces`` does (SCRFD det_500m + int8 ArcFace, ground truth where SCRFD misses; live
against the aged enrolment photo): genuine with ageing, impostor mean and d' (this about
doubles the CPU time: ~240 CPU-s per variant of 200 identities x (1 + 4) on a loaded core).

Measured with it (s22, seed 4300 / 4400, 30 identities): notes in /work/notes/faces-s22.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from experiments.bench_faces import DLIB_PUBLISHED_DISTANCE as DLIB_L2

PACKAGE = "sim.faces"
TONES = ("I-II", "III-IV", "V-VI")


def _target(dotted: str):
    """(module, attribute) of an override key ``sim.faces.<module>.<ATTR>``; clear errors."""
    mod_name, _, attr = dotted.rpartition(".")
    if not mod_name.startswith(PACKAGE + ".") or not attr:
        raise ValueError(f"override {dotted!r}: expected '{PACKAGE}.<module>.<attribute>'")
    try:
        mod = importlib.import_module(mod_name)
    except ModuleNotFoundError as e:
        raise ValueError(f"override {dotted!r}: no module {mod_name!r}") from e
    if not hasattr(mod, attr):
        raise ValueError(f"override {dotted!r}: {mod_name} has no attribute {attr!r}")
    return mod, attr


def clear_caches() -> int:
    """Clear every ``functools`` cache found on the loaded ``sim.faces`` modules; how many."""
    n = 0
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == PACKAGE or name.startswith(PACKAGE + ".")):
            continue
        for obj in vars(mod).values():
            own = getattr(obj, "__module__", "") == name  # imported ones are cleared at home
            if own and callable(getattr(obj, "cache_clear", None)):
                obj.cache_clear()
                n += 1
    return n


@contextmanager
def applied(overrides: dict):
    """Set the overrides, clear the renderer's caches, and put everything back afterwards."""
    targets = [(_target(k), v) for k, v in overrides.items()]
    saved = [(mod, attr, getattr(mod, attr)) for (mod, attr), _ in targets]
    try:
        for (mod, attr), value in targets:
            setattr(mod, attr, value)
        clear_caches()
        yield
    finally:
        for mod, attr, value in saved:
            setattr(mod, attr, value)
        clear_caches()


def load_variants(path: str | Path) -> dict[str, dict]:
    """``VARIANTS`` from a variants file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"variants: no file {str(path)!r}")
    ns: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    v = ns.get("VARIANTS")
    if not isinstance(v, dict) or not v or not all(isinstance(o, dict) for o in v.values()):
        raise ValueError(f"{path}: VARIANTS: expected a non-empty dict of name -> overrides dict")
    for name, overrides in v.items():
        for key in overrides:
            _target(key)
    return v


def scores(arc_enrol: np.ndarray, arc_live: np.ndarray, dlib_enrol: np.ndarray,
           dlib_live: np.ndarray, reference: np.ndarray | None = None) -> dict[str, float]:
    """The variant's figures from per-identity templates (rows in identity order)."""
    n = len(arc_enrol)
    if n < 3 or not (len(arc_live) == len(dlib_enrol) == len(dlib_live) == n):
        raise ValueError(f"templates: expected >= 3 identities with one row each, got "
                         f"{len(arc_enrol)}/{len(arc_live)}/{len(dlib_enrol)}/{len(dlib_live)}")
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)  # noqa: E731
    e, l_ = unit(np.asarray(arc_enrol, np.float64)), unit(np.asarray(arc_live, np.float64))
    iu = np.triu_indices(n, 1)
    imp = (e @ e.T)[iu]
    mean = e.mean(0)
    ref = unit(mean) if reference is None else unit(np.asarray(reference, np.float64))
    d_imp = np.linalg.norm(dlib_enrol[:, None] - dlib_enrol[None], axis=-1)[iu]
    d_gen = np.linalg.norm(dlib_enrol - dlib_live, axis=1)
    return {"imp": float(imp.mean()), "imp_sd": float(imp.std()),
            "gen": float((e * l_).sum(1).mean()), "mean2": float(mean @ mean),
            "proj": float((e @ ref).mean()), "dlib_imp_l2": float(d_imp.mean()),
            "dlib_fmr": float((d_imp < DLIB_L2).mean()),
            "dlib_fnmr": float((d_gen >= DLIB_L2).mean())}


def measure(n: int, seed: int, models) -> dict:
    """Render ``n`` identities with the renderer as it now stands and take their templates."""
    import cv2
    from experiments import bench_faces as bf
    from sim.faces import make_identity
    from sim.faces.render import render_enrolment, render_live

    det, arc, hog, hog_det, dle = models
    arc_t, dlib_t, hog_s, miss = [[], []], [[], []], [], 0
    for i in range(n):
        tone = TONES[i % 3]
        idt = make_identity((seed, i), skin_tone=tone)
        caps = (render_enrolment(idt), render_live(idt, np.random.default_rng([seed, i])))
        for j, c in enumerate(caps):
            arc_t[j].append(arc.embed(c.image, [bf._fallback(det.detect(c.image), c)])[0].vector)
            hits = hog_det.detect(c.image)
            dlib_t[j].append(dle.embed(c.image, [bf._fallback(hits, c)])[0].vector)
            miss += not bf.detected(hits, c)
            rects, sc, _ = hog.run(cv2.cvtColor(c.image, cv2.COLOR_BGR2RGB), 0, -1.5)
            nx, ny = c.landmarks[2]
            on = [s for r, s in zip(rects, sc)
                  if r.left() <= nx <= r.right() and r.top() <= ny <= r.bottom()]
            hog_s.append((tone, max(on) if on else -2.0))
    h = np.array([s for _, s in hog_s])
    hv = np.array([s for t, s in hog_s if t == "V-VI"])
    return {"arc": [np.stack(a) for a in arc_t], "dlib": [np.stack(d) for d in dlib_t],
            "hog": float(h.mean()), "hog_VVI": float(hv.mean()), "hog_miss": miss,
            "captures": 2 * n}


def hog_scores(hog, cap) -> tuple[float, bool]:
    """dlib HOG's best score on the capture's face (a box holding the nose tip; -2 when none
    scores above -1.5) and whether the pipeline's HOG detector, at its defaults (upsample and
    threshold of :class:`DlibDetector`), counts it found."""
    from experiments import bench_faces as bf

    score, found = hog_detections(hog, cap)
    return score, bf.detected(found, cap)


def hog_detections(hog, cap) -> tuple[float, list]:
    """:func:`hog_scores`' best score on the face, and the detections the pipeline's HOG
    detector returns at its defaults (boxes clipped to the frame), from one pass of ``hog``."""
    import cv2

    from pipeline.backends.dlib_backend import DlibDetector
    from pipeline.types import Detection

    det = DlibDetector()
    rects, sc, _ = hog.run(cv2.cvtColor(cap.image, cv2.COLOR_BGR2RGB), det.upsample, -1.5)
    nx, ny = cap.landmarks[2]
    on = [s for r, s in zip(rects, sc)
          if r.left() <= nx <= r.right() and r.top() <= ny <= r.bottom()]
    h, w = cap.image.shape[:2]  # boxes clipped to the frame, as the pipeline's detector does
    found = [Detection((max(r.left(), 0), max(r.top(), 0), min(r.right(), w - 1),
                        min(r.bottom(), h - 1)), s, None) for r, s in zip(rects, sc)
             if s >= det.min_score]
    return (max(on) if on else -2.0), found


def measure_hog(n: int, seed: int, lives: int, hog, arcface=None) -> dict:
    """HOG, on ``bench faces``' own render path (appearance change and look-alikes on):
    per Fitzpatrick group, photo and live detection rate and mean best score, and every
    capture's score (for pairing variants capture by capture). With ``arcface`` (a detector
    and an embedder) also the bench's ArcFace separability of the same captures."""
    from experiments import bench_faces as bf

    data = bf.render_set(n, lives, seed)
    rows, who = [], []  # (group, kind, score, found); (identity, hair, beard) of each
    for i, s in enumerate(data):
        idt = s.identity
        for kind, cap in [("photo", s.enrolment)] + [("live", c) for c in s.lives]:
            rows.append((idt.skin_tone, kind, *hog_scores(hog, cap)))
            who.append((i, idt.hair_style, idt.beard_style))
    out = {"captures": len(rows), "scores": [round(float(r[2]), 4) for r in rows],
           "rows": [[*w, r[0], r[1], int(r[3])] for w, r in zip(who, rows)]}
    for kind in ("photo", "live"):
        for tone in TONES + ("all",):
            sel = [r for r in rows if r[1] == kind and tone in (r[0], "all")]
            if sel:
                sc = np.array([r[2] for r in sel])
                out[f"{kind}_{tone}"] = {"n": len(sel), "miss": int(sum(not r[3] for r in sel)),
                                         "rate": round(float(np.mean([r[3] for r in sel])), 4),
                                         "mean": round(float(sc.mean()), 4),
                                         "p5": round(float(np.percentile(sc, 5)), 4)}
    if arcface is not None:
        sep = bf.separability(*arcface, "arcface", data)
        out["arcface"] = {k: round(float(sep[k]), 4) for k in (
            "genuine_mean", "genuine_sd", "impostor_mean", "impostor_sd", "d_prime")}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variants", required=True, help="Python file defining VARIANTS")
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--seed", type=int, default=4300)
    p.add_argument("--only", default="", help="comma-separated variant names")
    p.add_argument("--hog-lives", type=int, default=0,
                   help="HOG only, on bench faces' render path with this many live captures "
                        "per identity (per-group detection and scores; no embeddings)")
    p.add_argument("--arcface", action="store_true",
                   help="with --hog-lives: also ArcFace genuine (with ageing) and impostor "
                        "scores of the same captures, as bench faces takes them")
    p.add_argument("--save", default="", help="with --hog-lives: write each variant's "
                                              "per-capture scores to DIR/<variant>.json")
    p.add_argument("--model-dir", default=str(Path(__file__).resolve().parents[2] / "shared"
                                              / "models"))
    a = p.parse_args()
    variants = load_variants(a.variants)
    only = [s for s in a.only.split(",") if s]
    unknown = sorted(set(only) - set(variants))
    if unknown:
        p.error(f"--only: no variant(s) {unknown} in {a.variants}")
    if a.n < 3:
        p.error(f"--n: expected >= 3, got {a.n}")
    if a.save and not a.hog_lives:
        p.error("--save: only with --hog-lives (per-capture HOG scores)")
    if a.arcface and not a.hog_lives:
        p.error("--arcface: only with --hog-lives (without it ArcFace is always measured)")
    import dlib

    from pipeline.registry import get_detector, get_embedder

    if a.hog_lives:
        hog = dlib.get_frontal_face_detector()
        arcface = None
        if a.arcface:
            emb = get_embedder("insightface", provider="cpu", model_dir=a.model_dir)
            emb.prepare()
            arcface = (get_detector("insightface", model_dir=a.model_dir, provider="cpu"), emb)
        for name, overrides in variants.items():
            if only and name not in only:
                continue
            t0 = time.process_time()
            with applied(overrides):
                m = measure_hog(a.n, a.seed, a.hog_lives, hog, arcface)
            scores_, rows = m.pop("scores"), m.pop("rows")
            if a.save:
                Path(a.save).mkdir(parents=True, exist_ok=True)
                (Path(a.save) / f"{name}.json").write_text(json.dumps(
                    {"variant": name, "n": a.n, "seed": a.seed, "lives": a.hog_lives,
                     "scores": scores_, "rows": rows, **m}))
            print(json.dumps({"variant": name, "n": a.n, "seed": a.seed, **m,
                              "cpu_s": round(time.process_time() - t0)}), flush=True)
        return
    arc = get_embedder("insightface", provider="cpu", model_dir=a.model_dir)
    arc.prepare()
    models = (get_detector("insightface", model_dir=a.model_dir), arc,
              dlib.get_frontal_face_detector(), get_detector("dlib", model="hog"),
              get_embedder("dlib"))
    reference = None
    for k, (name, overrides) in enumerate(variants.items()):
        if only and name not in only:
            continue
        t0 = time.time()
        with applied(overrides):
            m = measure(a.n, a.seed, models)
        rec = scores(*m["arc"], *m["dlib"], reference=reference)
        if reference is None:
            e = m["arc"][0]
            reference = (e / np.linalg.norm(e, axis=1, keepdims=True)).mean(0)
        rec = {"variant": name, "n": a.n, "seed": a.seed, **rec,
               **{k: m[k] for k in ("hog", "hog_VVI", "hog_miss", "captures")},
               "seconds": round(time.time() - t0)}
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                          for k, v in rec.items()}), flush=True)


if __name__ == "__main__":
    main()
