"""The component every synthetic face shares in a recogniser's embedding space (issue 13).

With unit templates the impostor mean is about the squared norm of the population's mean
embedding. Real faces spread round the sphere (mean norm about 0.2-0.3, impostors about 0.05);
airtwin's faces share one direction: this tool measures it and which part of the aligned crop
carries it, so a renderer change can be judged by how far it moves faces off that direction.

``python -m experiments.face_common [--n 40] [--seed 4242]`` renders ``n`` travelers (enrolment
photo with change on, one live capture), aligns them as the ArcFace backend does (SCRFD's points,
ground truth where SCRFD misses) and prints:

- the mean embedding's norm and its square against the impostor mean;
- each capture's projection on the mean direction (mean, sd);
- split-half removal: the direction estimated on half the identities and projected out of the
  other half's templates, with impostor / genuine means and d' before and after;
- the projection after greying each region of the 112x112 crop, or blurring the inner face.

Measured (s21, seed 4242, 45 travelers, w600k_mbf_int8; notes in /work/notes/faces-s21.md):
mean norm 0.63 (square 0.39, impostor mean 0.38); projection 0.63 +- 0.06 on synthetic captures
and -0.06..0.07 on the six real people of insightface's sample photo; removing that one direction
(estimated on the other half) takes impostors 0.41 -> 0.03 (sd 0.13), genuine 0.80 -> 0.68 and
d' 4.7 -> 5.1. Pasting a real face's inner face (eyes, nose, mouth) into synthetic crops takes the
projection to 0.09, synthetic eyes alone into real crops raise it to 0.14; background, hair,
outline, contrast, colour, noise, JPEG, symmetry and alignment each move it by 0.05 or less.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from pipeline.metrics import d_prime

# Regions of the 112x112 ArcFace crop (x0, x1, y0, y1), around insightface's reference points
# (eyes at y 52, nose tip at y 72, mouth corners at y 92).
REGIONS = {
    "eyes": ((24, 52, 42, 61), (60, 88, 42, 61)),
    "brows": ((20, 92, 28, 44),),
    "nose": ((44, 68, 56, 82),),
    "mouth": ((32, 80, 82, 104),),
    "cheeks": ((12, 40, 62, 88), (72, 100, 62, 88)),
    "forehead_hair": ((0, 112, 0, 28),),
    "sides": ((0, 14, 0, 112), (98, 112, 0, 112)),
    "inner_face": ((20, 92, 28, 104),),
}
GREY = 128  # the model's input mean: a grey patch is zero input


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, in float64 (pipeline.matching.normalise casts to float32)."""
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def region_mask(name: str, size: int = 112) -> np.ndarray:
    """(size, size, 1) float mask of a named region, its edge softened by 1.5 px."""
    if name not in REGIONS:
        raise ValueError(f"region: expected one of {sorted(REGIONS)}, got {name!r}")
    m = np.zeros((size, size), np.float32)
    for x0, x1, y0, y1 in REGIONS[name]:
        m[y0:y1, x0:x1] = 1
    return cv2.GaussianBlur(m, (0, 0), 1.5)[..., None]


def _scores(e: np.ndarray, owner: np.ndarray, kind: np.ndarray) -> dict[str, float]:
    s = e @ e.T
    upper = np.triu(np.ones_like(s, bool), 1)
    imp = s[upper & (owner[:, None] != owner[None])]
    gen = s[(owner[:, None] == owner[None]) & (kind[:, None] == 0) & (kind[None] == 1)]
    out = {"impostor_mean": float(imp.mean()), "impostor_sd": float(imp.std())}
    if gen.size:
        out["genuine_mean"] = float(gen.mean())
    if gen.size > 1:
        out["d_prime"] = float(d_prime(gen, imp))
    return out


def common_component(emb: np.ndarray, owner: np.ndarray, kind: np.ndarray | None = None
                     ) -> dict:
    """How much of a set of embeddings (rows; ``owner`` the identity of each, ``kind`` 0 for
    the enrolment photo and 1 for a live capture) is one shared direction. The split-half
    figures estimate the direction on the identities of one half and remove it from the other,
    so they show what the identity signal is worth without it, not a fit to itself."""
    emb, owner = unit(np.asarray(emb, np.float64)), np.asarray(owner)
    kind = np.zeros(len(emb), int) if kind is None else np.asarray(kind)
    if emb.ndim != 2 or len(emb) != len(owner) or len(kind) != len(emb):
        raise ValueError(f"emb {emb.shape}, owner {owner.shape}, kind {kind.shape}: need one "
                         "owner and kind per embedding row")
    ids = np.unique(owner)
    if len(ids) < 4:
        raise ValueError(f"owner: need at least 4 identities, got {len(ids)}")
    mean = emb.mean(0)
    direction = unit(mean)
    proj = emb @ direction
    first = np.isin(owner, ids[: len(ids) // 2])
    held = ~first
    d_half = unit(emb[first].mean(0))
    x = emb[held]
    removed = unit(x - np.outer(x @ d_half, d_half))
    return {"n": int(len(emb)), "identities": int(len(ids)),
            "mean_norm": float(np.linalg.norm(mean)),
            "mean_norm_sq": float(np.linalg.norm(mean) ** 2),
            **_scores(emb, owner, kind),
            "projection_mean": float(proj.mean()), "projection_sd": float(proj.std()),
            "direction": direction,
            "split_half_before": _scores(x, owner[held], kind[held]),
            "split_half_removed": _scores(removed, owner[held], kind[held])}


def ablations(embed, crops: np.ndarray, direction: np.ndarray) -> dict[str, float]:
    """Mean projection on ``direction`` of the crops (N, 112, 112, 3 uint8) as they are, with
    each region greyed, and with the inner face blurred (sigma 2, 4, 8 px); ``embed`` maps a
    list of crops to unit embeddings."""
    crops = np.asarray(crops, np.float32)

    def proj(x):
        return float((embed(list(np.clip(x, 0, 255).astype(np.uint8))) @ direction).mean())

    out = {"none": proj(crops)}
    for name in REGIONS:
        m = region_mask(name, crops.shape[1])
        out[f"grey_{name}"] = proj(crops * (1 - m) + GREY * m)
    inner = region_mask("inner_face", crops.shape[1])
    for s in (2.0, 4.0, 8.0):
        low = np.stack([cv2.GaussianBlur(c, (0, 0), s) for c in crops])
        out[f"blur_inner_{s:g}"] = proj(crops * (1 - inner) + low * inner)
    return out


def render_crops(n: int, seed: int, detector, embedder):
    """Aligned crops, owner and kind (0 enrolment, 1 live) of ``n`` travelers keyed (seed, i),
    skin tones in turn."""
    from experiments.bench_faces import _fallback
    from sim.faces import ChangeSettings, make_identity
    from sim.faces.render import render_traveler

    crops, owner, kind = [], [], []
    for i in range(n):
        idt = make_identity((seed, i), skin_tone=("I-II", "III-IV", "V-VI")[i % 3])
        enrol, lives, _ = render_traveler(idt, (seed, i), 1, ChangeSettings())
        for k, cap in enumerate([enrol, *lives]):
            det = _fallback(detector.detect(cap.image), cap)
            crops.append(embedder.align(cap.image, [det])[0])
            owner.append(i)
            kind.append(k)
    return np.stack(crops), np.array(owner), np.array(kind)


def main() -> None:
    from pathlib import Path

    from pipeline.registry import get_detector, get_embedder

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--seed", type=int, default=4242)
    p.add_argument("--model-dir", default=str(Path(__file__).resolve().parents[2] / "shared"
                                              / "models"))
    a = p.parse_args()
    det = get_detector("insightface", model_dir=a.model_dir)
    arc = get_embedder("insightface", provider="cpu", model_dir=a.model_dir)
    arc.prepare()

    def embed(crops):
        return np.stack([e.vector for e in arc.embed_aligned(crops)])

    crops, owner, kind = render_crops(a.n, a.seed, det, arc)
    res = common_component(embed(list(crops)), owner, kind)
    for k, v in res.items():
        if isinstance(v, dict):
            v = ", ".join(f"{kk} {vv:.3f}" for kk, vv in v.items())
        if k != "direction":
            print(f"{k:22s} {v if isinstance(v, (int, str)) else round(v, 4)}")
    enrol = crops[kind == 0]
    for k, v in ablations(embed, enrol, res["direction"]).items():
        print(f"projection {k:18s} {v:.3f}")


if __name__ == "__main__":
    main()
