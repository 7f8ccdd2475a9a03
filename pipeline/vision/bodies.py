"""A person's body box implied by a part of it (a face, a head), in measured proportions."""

from __future__ import annotations

import numpy as np

__all__ = ["implied_bodies"]


def implied_bodies(parts: np.ndarray, unit: np.ndarray, frame_size: tuple[int, int] | None,
                   heights: float, widths: float, top_above: float,
                   unit_w: np.ndarray | None = None) -> np.ndarray:
    """Body boxes (N, 4) centred on ``parts`` (N, 4: a face or a head box), ``heights`` units
    tall (``unit`` (N,): the part's height in pixels) and ``widths`` units wide (``unit_w``:
    the part's width, default ``unit``), the body's top ``top_above`` units above the part's;
    clipped to the frame (``frame_size`` = width, height; None: not clipped). The one rule behind
    :func:`pipeline.cctv.persons.body_boxes_from_faces` and
    :func:`pipeline.vision.heads.body_boxes_from_heads`."""
    p = np.asarray(parts, np.float64).reshape(-1, 4)
    u = np.asarray(unit, np.float64).reshape(-1)
    uw = u if unit_w is None else np.asarray(unit_w, np.float64).reshape(-1)
    cx = (p[:, 0] + p[:, 2]) / 2
    top = p[:, 1] - top_above * u
    out = np.column_stack([cx - widths * uw / 2, top, cx + widths * uw / 2, top + heights * u])
    if frame_size is None:
        return out
    w, h = frame_size
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, w - 1)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, h - 1)
    return out
