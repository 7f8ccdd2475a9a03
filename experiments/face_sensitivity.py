"""Which identity parameters move a recogniser's embedding: where face variety counts.

For each group of :class:`sim.faces.Identity` fields, a base identity takes that group's values
from a donor of the same skin tone and sex, and the embedding of its enrolment photo moves by
1 - cosine. A group that moves the embedding little is variety the recognisers do not see.

``python -m experiments.face_sensitivity [--n 8] [--seed 900]`` (dlib; ArcFace too where the
shared models are found). Measured on this renderer (8 pairs, seed 900; 1 - cosine, ArcFace /
dlib): whole identity 0.47 / 0.081; random warp and relief (``texture_seed``) 0.23 / 0.045;
mouth 0.18 / 0.032; eyes 0.15 / 0.051; nose 0.14 / 0.046; hair 0.10 / 0.006; outline
0.077 / 0.037; beard 0.058 / 0.027; brows 0.038 / 0.014; skin 0.014 / 0.008; ears, cheeks
about 0.01; clothes 0. Eye styling (lash line, sclera, socket shading)
moved neither. Widening the warp (its amplitude and fine scale) lowers ArcFace impostor cosine
most (0.40 -> 0.22 at 0.2 face units on 0.35-unit cells) but bends features into shapes no
one has, and dlib's HOG detector stops finding them: a HOG miss rate that climbs is the
renderer's realism alarm.

The per-person texture traits (:mod:`sim.faces.texture`) are swapped in groups (``tx_*``).
Measured with them (6 pairs, seed 900; ArcFace / dlib): whole identity 0.57 / 0.081;
``texture_seed`` (warp, relief and every trait) 0.28 / 0.043; eyes 0.19 / 0.031; mouth
0.18 / 0.024; nose 0.16 / 0.023; outline 0.075 / 0.009; uneven pigment (``tx_pigment``)
0.050 / 0.010, the trait group that moves both most; regional shade, brows and spots about
0.015 / 0.003-0.004; lips 0.012; painted nose and fold relief 0.007; lines, lids and beard
patches below 0.004.

Each correlated shape mode (:mod:`sim.faces.morph`) is measured as one standard deviation's
step of the base face along it (``mode_*``): how much variety a mode buys per unit of spread.

``--fields`` measures every numeric identity field on its own instead: one population standard
deviation's step (over 400 identities of seed + 1) towards the population mean, with dlib HOG's
best-score change on the enrolment photo as the detection cost (:func:`field_sensitivity`).
Measured (faces4, tune seed 5200, 8 identities; ArcFace / dlib 1 - cosine, HOG change):
another identity 0.589 / 0.083; ``mouth_v`` 0.102 / 0.015, -0.04; ``nose_v`` 0.101 / 0.028,
+0.10; ``eye_v`` 0.070 / 0.009, -0.10; ``eye_spacing`` 0.043 / 0.010, -0.01; ``chin_v``
0.034 / 0.007, +0.01; ``brow_gap`` 0.027; ``mouth_width`` 0.024; every other field below 0.021.
The vertical layout of the features moves ArcFace most, and it is what HOG's template is most
sensitive to: widening ``nose_v``, ``mouth_v`` and ``chin_v`` 1.4x lowered ArcFace impostors
0.398 -> 0.383 on seed 5100 but HOG's paired score by 0.09 (docs/faces.md, round 5).
"""

from __future__ import annotations

import argparse
import dataclasses
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from sim.faces.morph import SHAPE_MODES

GROUPS = {
    "outline": ["skull_width", "temple_width", "jaw_width", "chin_width", "crown_v", "jaw_v",
                "chin_v", "face_depth"],
    "eyes": ["eye_spacing", "eye_v", "eye_width", "eye_open", "eye_tilt", "eye_socket",
             "lid_curve", "lid_skew", "lower_lid", "iris_bgr"],
    "brows": ["brow_gap", "brow_thickness", "brow_arch", "brow_tilt", "brow_length",
              "brow_density"],
    "nose": ["nose_v", "nose_width", "nose_projection", "nose_bridge", "nose_tip", "nostril",
             "alar_spread"],
    "mouth": ["mouth_v", "mouth_width", "upper_lip", "lower_lip", "lip_bow", "lip_bgr",
              "upper_lip_taper", "lower_lip_taper", "mouth_corner"],
    "cheeks": ["cheekbone", "cheek_fullness", "chin_prominence"],
    "ears": ["ear_size", "ear_v", "ear_out"],
    "skin": ["skin_bgr", "mottle", "blush", "freckles", "wrinkles"],
    "hair": ["hair_style", "hair_bgr", "grey", "hairline_v", "hair_recession", "hair_volume",
             "hair_length", "fringe", "part"],
    "beard": ["beard_style", "beard_density"],
    "clothes": ["clothes_bgr", "collar"],
    "texture_seed": ["texture_seed"],
}
# Groups of per-person texture traits (sim.faces.texture.TRAIT_RANGES), swapped between base
# and donor without touching the rest of the texture seed.
TRAIT_GROUPS = {
    "tx_pigment": ["pigment", "pigment_cells", "cheek_patch", "forehead"],
    "tx_regions": ["periorbital", "perioral", "tear_trough"],
    "tx_spots": ["moles", "blemishes", "pores"],
    "tx_relief": ["nose_light", "nose_side", "fold"],
    "tx_brows": ["brow_shade", "brow_peak", "brow_head", "brow_sparse"],
    "tx_eyes": ["lid_shade", "iris_ring"],
    "tx_lips": ["lip_dark", "lip_border", "lip_two_tone"],
    "tx_lines": ["forehead_lines", "line_wave", "glabella"],
    "tx_beard": ["beard_patchy", "beard_line"],
}


def mode_step(idt, loadings: dict[str, float]) -> dict[str, float]:
    """The fields of ``idt`` one standard deviation along a shape mode (``eye_open_share``
    moves the lid opening as a share of the eye's width)."""
    out = {k: getattr(idt, k) + v for k, v in loadings.items() if hasattr(idt, k)}
    if "eye_open_share" in loadings:
        out["eye_open"] = idt.eye_open + idt.eye_width * loadings["eye_open_share"]
    return out


@contextmanager
def swapped_traits(base, donor, names):
    """Within the block, ``base`` renders with ``donor``'s texture traits ``names``."""
    from sim.faces import texture
    from sim.faces.layers import head_layers

    own = texture.traits

    def patched(idt):
        t = own(idt)
        return {**t, **{k: own(donor)[k] for k in names}} if idt == base else t

    texture.traits = patched
    head_layers.cache_clear()
    try:
        yield
    finally:
        texture.traits = own
        head_layers.cache_clear()


def sensitivity(embedders: dict, n: int = 8, seed: int = 900) -> dict[str, dict[str, float]]:
    """Mean 1 - cosine per parameter group (and for a whole other identity), per embedder."""
    from pipeline.types import Detection
    from sim.faces import make_identity, render_enrolment

    def embed(idt):
        cap = render_enrolment(idt)
        det = Detection(tuple(cap.box), 1.0, cap.landmarks)
        return {k: e.embed(cap.image, [det])[0].vector for k, e in embedders.items()}

    base = [make_identity((seed, i)) for i in range(n)]
    donor = [make_identity((seed + 1, i), skin_tone=b.skin_tone,
                           sex_presentation=b.sex_presentation) for i, b in enumerate(base)]
    be, de = [embed(b) for b in base], [embed(d) for d in donor]
    def mean_move(embeds) -> dict[str, float]:  # mean cosine distance from each base's own
        return {k: float(np.mean([1 - be[i][k] @ e[k] for i, e in enumerate(embeds)]))
                for k in embedders}

    def swapped(b, d, names):
        with swapped_traits(b, d, names):
            return embed(b)

    out = {"whole_identity": mean_move(de)}
    for group, names in GROUPS.items():
        out[group] = mean_move([embed(dataclasses.replace(b, **{f: getattr(d, f) for f in names}))
                                for b, d in zip(base, donor)])
    for mode, loadings in SHAPE_MODES.items():  # one sd of each shape mode (sim.faces.morph)
        out[f"mode_{mode}"] = mean_move([embed(dataclasses.replace(b, **mode_step(b, loadings)))
                                         for b in base])
    for group, names in TRAIT_GROUPS.items():
        out[group] = mean_move([swapped(b, d, names) for b, d in zip(base, donor)])
    return out


def field_stats(n: int = 400, seed: int = 901) -> dict[str, tuple[float, float]]:
    """Population mean and standard deviation of every numeric :class:`sim.faces.Identity`
    field that varies between identities (age and the change-over-time fields excluded)."""
    from sim.faces import make_identity
    from sim.faces.identity import Identity

    pop = [make_identity((seed, i)) for i in range(n)]
    out = {}
    for f in dataclasses.fields(Identity):
        vals = [getattr(p, f.name) for p in pop]
        if f.name in ("age", "drift", "kin_share") or not isinstance(vals[0], float):
            continue
        if (sd := float(np.std(vals))) > 0:
            out[f.name] = (float(np.mean(vals)), sd)
    return out


def field_step(idt, name: str, stats: dict[str, tuple[float, float]]):
    """``idt`` with field ``name`` moved one population sd towards the population mean."""
    mean, sd = stats[name]
    x = getattr(idt, name)
    return dataclasses.replace(idt, **{name: x + (sd if x <= mean else -sd)})


def field_sensitivity(embedders: dict, n: int = 8, seed: int = 900, hog=None,
                      fields: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Per field, mean 1 - cosine per embedder of the enrolment photo after a one-sd step
    (:func:`field_step`), and with ``hog`` (a dlib frontal face detector) the mean change of
    HOG's best score on it (``hog``); ``other_identity`` is the same for a whole other face."""
    from experiments.face_variants import hog_scores
    from pipeline.types import Detection
    from sim.faces import make_identity, render_enrolment

    stats = field_stats(seed=seed + 1)
    if fields is not None and (bad := sorted(set(fields) - set(stats))):
        raise ValueError(f"fields: {bad} are not numeric identity fields that vary "
                         f"(expected some of {sorted(stats)})")

    def measure(idt):
        cap = render_enrolment(idt)
        det = Detection(tuple(cap.box), 1.0, cap.landmarks)
        vecs = {k: e.embed(cap.image, [det])[0].vector for k, e in embedders.items()}
        return vecs, (hog_scores(hog, cap)[0] if hog is not None else 0.0)

    base = [make_identity((seed, i)) for i in range(n)]
    ref = [measure(b) for b in base]

    def moved(variants) -> dict[str, float]:
        got = [measure(v) for v in variants]
        out = {k: float(np.mean([1 - r[0][k] @ g[0][k] for r, g in zip(ref, got)]))
               for k in embedders}
        if hog is not None:
            out["hog"] = float(np.mean([g[1] - r[1] for r, g in zip(ref, got)]))
        return out

    res = {"other_identity": moved([make_identity((seed + 2, i), skin_tone=b.skin_tone,
                                                  sex_presentation=b.sex_presentation)
                                    for i, b in enumerate(base)])}
    for name in fields if fields is not None else stats:
        res[name] = {"sd": stats[name][1], **moved([field_step(b, name, stats) for b in base])}
    return res


def main() -> None:
    from pipeline.registry import get_embedder

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--seed", type=int, default=900)
    p.add_argument("--fields", action="store_true",
                   help="one population sd of each numeric identity field, with HOG's cost")
    a = p.parse_args()
    embedders = {"dlib": get_embedder("dlib")}
    models = Path(__file__).resolve().parents[2] / "shared" / "models"
    if (models / "w600k_mbf_int8.onnx").is_file():
        embedders["arcface"] = get_embedder("insightface", provider="cpu", model_dir=str(models))
    for e in embedders.values():
        e.prepare()
    if a.fields:
        import dlib

        res = field_sensitivity(embedders, a.n, a.seed, hog=dlib.get_frontal_face_detector())
        cols = ["sd", *embedders, "hog"]
        print(f"{'field':16s}" + "".join(f"{k:>10s}" for k in cols))
        for g, r in sorted(res.items(), key=lambda kv: -kv[1][next(iter(embedders))]):
            print(f"{g:16s}" + "".join(f"{r.get(k, 0.0):10.4f}" for k in cols))
        return
    res = sensitivity(embedders, a.n, a.seed)
    print(f"{'group':16s}" + "".join(f"{k:>10s}" for k in embedders))
    for g, r in sorted(res.items(), key=lambda kv: -next(iter(kv[1].values()))):
        print(f"{g:16s}" + "".join(f"{r[k]:10.4f}" for k in embedders))


if __name__ == "__main__":
    main()
