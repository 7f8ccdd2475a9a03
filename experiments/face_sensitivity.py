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


def main() -> None:
    from pipeline.registry import get_embedder

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--seed", type=int, default=900)
    a = p.parse_args()
    embedders = {"dlib": get_embedder("dlib")}
    models = Path(__file__).resolve().parents[2] / "shared" / "models"
    if (models / "w600k_mbf_int8.onnx").is_file():
        embedders["arcface"] = get_embedder("insightface", provider="cpu", model_dir=str(models))
    for e in embedders.values():
        e.prepare()
    res = sensitivity(embedders, a.n, a.seed)
    print(f"{'group':16s}" + "".join(f"{k:>10s}" for k in embedders))
    for g, r in sorted(res.items(), key=lambda kv: -next(iter(kv[1].values()))):
        print(f"{g:16s}" + "".join(f"{r[k]:10.4f}" for k in embedders))


if __name__ == "__main__":
    main()
