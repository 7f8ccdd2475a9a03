"""Contact sheets: enrolment photos beside live e-gate captures, labelled, so people can look."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from outputs.atomic import write_bytes
from sim.faces.identity import make_identity
from sim.faces.render import render_enrolment, render_live

CELL_H = 180
ENROL_W = 144
LIVE_W = 240
LABEL_H = 22


def identity_tile(seed: int, traveler: int, live: int = 2) -> np.ndarray:
    """One identity: its enrolment photo, ``live`` e-gate captures and a label underneath."""
    idt = make_identity((seed, traveler))
    rng = np.random.default_rng([seed, traveler, 1])
    parts = [cv2.resize(render_enrolment(idt).image, (ENROL_W, CELL_H),
                        interpolation=cv2.INTER_AREA)]
    parts += [cv2.resize(render_live(idt, rng).image, (LIVE_W, CELL_H),
                         interpolation=cv2.INTER_AREA) for _ in range(live)]
    row = np.hstack(parts)
    label = np.full((LABEL_H, row.shape[1], 3), 245, np.uint8)
    text = (f"#{traveler}  {idt.skin_tone}  {idt.age_band}  {idt.sex_presentation}  "
            f"{idt.hair_style}" + (f", {idt.beard_style}" if idt.beard_style != "none" else ""))
    cv2.putText(label, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (30, 30, 30), 1,
                cv2.LINE_AA)
    return np.vstack([row, label])


def contact_sheet(n: int, seed: int = 0, live: int = 2, columns: int | None = None,
                  progress=None) -> np.ndarray:
    """A grid of ``n`` identities keyed (seed, 0..n-1); ``progress`` is called once per tile."""
    if n < 1:
        raise ValueError(f"n: expected at least 1 identity, got {n}")
    if not 0 <= live <= 8:
        raise ValueError(f"live: expected 0..8 live captures per identity, got {live}")
    columns = columns or (1 if n < 4 else 2 if live >= 2 else 3)
    tiles = []
    for i in range(n):
        tiles.append(identity_tile(seed, i, live))
        if progress:
            progress()
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % columns)
    gap = np.full((tiles[0].shape[0], 6, 3), 255, np.uint8)
    rows = []
    for r in range(0, len(tiles), columns):
        cells = []
        for t in tiles[r:r + columns]:
            cells += [t, gap]
        rows.append(np.hstack(cells[:-1]))
    return np.vstack(rows)


def write_image(path: Path, image: np.ndarray) -> None:
    """Write an image atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise ValueError(f"{path}: unsupported image type {suffix or '(none)'}; use .png or .jpg")
    if not path.parent.exists():
        raise FileNotFoundError(f"{path.parent}: folder does not exist")
    ok, buf = cv2.imencode(suffix, image)
    if not ok:
        raise RuntimeError(f"{path}: OpenCV could not encode the image")
    write_bytes(path, buf.tobytes())
