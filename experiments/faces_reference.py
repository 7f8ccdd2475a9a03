"""What real faces give, with sources, and the targets `airtwin bench faces` holds the synthetic
faces to (issue 13); the histogram picture of synthetic against reference scores.

Reference curves are normal approximations of published figures, drawn only to show where real
scores lie; each entry says where its numbers come from.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

REFERENCES = {
    "dlib_euclidean": {
        "genuine_mean": 0.44, "genuine_sd": 0.07, "impostor_fmr_at_0.6": 0.01,
        "source": "dlib_face_recognition_resnet_model_v1: 99.38% on LFW at Euclidean distance 0.6 "
                  "(D. King, 'High Quality Face Recognition with Deep Metric Learning', "
                  "blog.dlib.net, 2017-02-12); genuine distances over 12,797 LFW-style images: "
                  "29% < 0.40, 59% < 0.45, 84% < 0.50, 96% < 0.55, 99% < 0.60 (J. Grimes, "
                  "jackgrimes.net/projects/face_recognition), a normal of mean 0.44, sd 0.07",
    },
    "arcface_cosine": {
        "genuine_mean": 0.65, "genuine_sd": 0.10, "impostor_mean": 0.05, "impostor_sd": 0.08,
        "source": "ArcFace angle distributions (Deng et al., 'ArcFace: Additive Angular Margin "
                  "Loss for Deep Face Recognition', CVPR 2019, Fig. 'angle distributions' on LFW, "
                  "AgeDB-30, CALFW): negative pairs centred near 87 deg (cos ~0.05), positive "
                  "pairs 30-55 deg, the larger angles on the age-gap sets (cos ~0.55-0.75); "
                  "issue 13: six people of insightface's sample group photo give cosine "
                  "0.01-0.25 with airtwin's insightface backend",
    },
    "ita": {
        "bands": {"I-II": (41.0, 90.0), "III-IV": (10.0, 41.0), "V-VI": (-90.0, 10.0)},
        "source": "ITA categories (Chardon, Cretois & Hourseau 1991; Del Bino & Bernerd 2013): "
                  "very light > 55, light 41-55, intermediate 28-41, tan 10-28, brown -30-10, "
                  "dark < -30",
    },
    "detection": {"source": "NIST FRVT/FRTE 1:1 visa-border results: failure to enrol below "
                            "1% for mature detectors on cooperative captures"},
}


def targets(res: dict) -> list[dict]:
    """Issue 13's targets against the measured values of a bench result (``res``)."""
    rows = []

    def add(name, value, ok, goal):
        rows.append({"target": name, "goal": goal, "measured": value,
                     "met": bool(ok) if value is not None and not _nan(value) else False})

    sep = res.get("separability", {})
    d = sep.get("dlib_resnet", {}).get("euclidean")
    if d:
        add("dlib FMR at L2 0.6", d["fmr"], d["fmr"] <= 0.01, "<= 1%")
        add("dlib FNMR at L2 0.6", d["fnmr"], d["fnmr"] <= 0.03, "<= 3%")
        add("dlib d' (L2)", d["d_prime"], d["d_prime"] >= 5, ">= 5")
    a = sep.get("arcface_w600k_mbf_int8")
    if a:
        add("ArcFace impostor mean", a["impostor_mean"], a["impostor_mean"] <= 0.15, "<= 0.15")
        add("ArcFace impostor sd", a["impostor_sd"], a["impostor_sd"] <= 0.12, "<= 0.12")
        add("ArcFace genuine mean (ageing on)", a["genuine_mean"],
            0.5 <= a["genuine_mean"] <= 0.8, "0.5-0.8")
        add("ArcFace d'", a["d_prime"], a["d_prime"] >= 5, ">= 5")
    for tone, r in res.get("skin_tone_ita", {}).items():
        lo, hi = REFERENCES["ita"]["bands"][tone]
        add(f"ITA mean {tone}", r["mean"], lo < r["mean"] < hi, f"{lo:g}..{hi:g}")
        if tone == "V-VI":
            add("V-VI share below -30 deg", r["share_below_minus_30"],
                r["share_below_minus_30"] >= 0.25, ">= 25%")
    for det, kinds in res.get("detection", {}).items():
        if det == "dlib_cnn":
            continue
        for kind, r in kinds.items():
            worst = min(r["by_skin_tone"].values()) if r["by_skin_tone"] else math.nan
            add(f"{det} {kind} detection, worst group", worst, worst >= 0.99, ">= 99%")
    rs = res.get("render_speed")
    if rs:
        v = rs["egate_captures_per_cpu_s"]
        add("e-gate captures per CPU-second", v, v >= 100, ">= 100")
    return rows


def _nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _normal(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


_COLOURS = {"genuine": (60, 160, 60), "impostor": (60, 60, 200), "look-alike": (0, 140, 255),
            "real genuine (ref.)": (20, 90, 20), "real impostor (ref.)": (20, 20, 120)}
PANEL = (560, 380)  # width, height of one panel, pixels


def _panel(block: dict, title: str, xlabel: str, lo: float, hi: float,
           refs: list[tuple[float, float, str]], lines: tuple[float, ...] = ()) -> np.ndarray:
    """One panel (BGR uint8): synthetic densities as filled steps, references as dashed curves."""
    import cv2

    w, h = PANEL
    x0, x1, y0, y1 = 50, w - 15, h - 45, 40  # plot area: x left/right, y bottom/top
    img = np.full((h, w, 3), 255, np.uint8)
    edges = np.asarray(block["hist_edges"], float)
    lo, hi = min(lo, edges[0]), max(hi, edges[-1])
    xs = np.linspace(lo, hi, 400)
    dens = {}
    for key, name in (("genuine_hist", "genuine"), ("impostor_hist", "impostor"),
                      ("look_alike_hist", "look-alike")):
        c = np.asarray(block.get(key, []), float)
        if c.sum() > 0:
            dens[name] = c / (c.sum() * np.diff(edges))
    curves = {name: _normal(xs, m, sd) for m, sd, name in refs}
    top = max([d.max() for d in dens.values()] + [c.max() for c in curves.values()] + [1e-6])
    px = lambda v: int(round(x0 + (v - lo) / (hi - lo) * (x1 - x0)))
    py = lambda d: int(round(y0 - d / (1.1 * top) * (y0 - y1)))
    for name, d in dens.items():
        layer = img.copy()
        fill = -1 if name != "look-alike" else 1  # look-alikes outlined, over the others
        for a, b, v in zip(edges[:-1], edges[1:], d):
            cv2.rectangle(layer, (px(a), py(v)), (px(b), y0), _COLOURS[name], fill)
        img = cv2.addWeighted(layer, 0.45 if fill < 0 else 1.0, img, 0.55 if fill < 0 else 0.0,
                              0)
    for name, c in curves.items():
        pts = np.stack([[px(x), py(v)] for x, v in zip(xs, c)]).astype(np.int32)
        for k in range(0, len(pts) - 4, 8):  # dashed
            cv2.polylines(img, [pts[k:k + 5]], False, _COLOURS[name], 2, cv2.LINE_AA)
    for t in lines:
        cv2.line(img, (px(t), y1), (px(t), y0), (0, 0, 0), 1)
        cv2.putText(img, f"{t:g}", (px(t) + 3, y1 + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (0, 0, 0), 1, cv2.LINE_AA)
    cv2.line(img, (x0, y0), (x1, y0), (0, 0, 0), 1)
    for v in np.linspace(lo, hi, 6):
        cv2.putText(img, f"{v:.2f}", (px(v) - 14, y0 + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, xlabel, (x0, h - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                cv2.LINE_AA)
    cv2.putText(img, title, (10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for k, name in enumerate([*dens, *curves]):
        y = y1 + 14 + 16 * k
        cv2.rectangle(img, (x1 - 170, y - 9), (x1 - 158, y + 1), _COLOURS[name], -1)
        cv2.putText(img, name, (x1 - 152, y), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return img


def write_histograms(res: dict, path: Path) -> Path:
    """A PNG with, per recogniser, the synthetic score histograms (filled, normalised to
    densities) beside the reference for real faces (dashed normals of the published figures in
    :data:`REFERENCES`); dlib's published distance 0.6 as a vertical line."""
    from sim.faces.sheet import write_image

    sep = res["separability"]
    panels = []
    a = sep.get("arcface_w600k_mbf_int8")
    if a:
        ra = REFERENCES["arcface_cosine"]
        panels.append(_panel(a, "ArcFace w600k_mbf_int8 (cosine)", "cosine similarity", -0.3,
                             1.0, [(ra["genuine_mean"], ra["genuine_sd"], "real genuine (ref.)"),
                                   (ra["impostor_mean"], ra["impostor_sd"],
                                    "real impostor (ref.)")]))
    d = sep.get("dlib_resnet", {}).get("euclidean")
    if d:
        rd = REFERENCES["dlib_euclidean"]
        panels.append(_panel(d, "dlib ResNet (Euclidean distance, raw)", "distance (lower: "
                             "more alike)", 0.0, 1.2,
                             [(rd["genuine_mean"], rd["genuine_sd"], "real genuine (ref.)")],
                             lines=(0.6,)))
    if not panels:
        raise ValueError("no separability results to draw")
    return write_image(Path(path), np.hstack(panels)) or Path(path)
