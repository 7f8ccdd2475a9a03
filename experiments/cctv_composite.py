"""Composite CCTV frames with real synthetic faces at known boxes, until face-capable cameras
render them (issue 11 part 1): each person's live capture (``sim.faces.render_live``) is cut
around the face, scaled to a chosen inter-pupil distance and pasted on a plain hall backdrop
above a block of clothing colour, walking across the frame. Ground truth follows the agreed
frame interface: ``.image``, ``.t``, ``.persons`` (traveler_id, track_id, x1..y2, face_x1..face_y2,
ipd_px, yaw_deg, pitch_deg)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from sim.faces import make_identity, render_enrolment, render_live

PERSON_COLUMNS = ["traveler_id", "track_id", "x1", "y1", "x2", "y2", "face_x1", "face_y1",
                  "face_x2", "face_y2", "ipd_px", "yaw_deg", "pitch_deg"]


@dataclass(frozen=True)
class CompositeFrame:
    camera_id: str
    t: float
    image: np.ndarray
    persons: pd.DataFrame


@dataclass(frozen=True)
class Walker:
    traveler_id: int
    key: tuple[int, int]  # synthetic identity key
    ipd_px: float
    t0: float  # enters at the left edge
    speed_px: float  # px/s across the frame
    y_face: float  # top of the face, px
    clothing_bgr: tuple[int, int, int]


def face_sprite(key: tuple[int, int], rng: np.random.Generator):
    """(crop, eye landmarks relative to the crop, ipd of the crop, yaw, pitch) of one frontal-ish
    live capture, cut generously around the face."""
    cap = render_live(make_identity(key), rng)
    x1, y1, x2, y2 = cap.box
    w, h = x2 - x1, y2 - y1
    X1, Y1 = int(max(x1 - 0.35 * w, 0)), int(max(y1 - 0.45 * h, 0))
    X2 = int(min(x2 + 0.35 * w, cap.image.shape[1]))
    Y2 = int(min(y2 + 0.2 * h, cap.image.shape[0]))
    lm = cap.landmarks - [X1, Y1]
    ipd = float(np.linalg.norm(lm[1] - lm[0]))
    return (cap.image[Y1:Y2, X1:X2].copy(), lm, ipd, float(cap.meta.get("yaw", 0.0)),
            float(cap.meta.get("pitch", 0.0)), (x1 - X1, y1 - Y1, x2 - X1, y2 - Y1))


def composite_stream(camera_id: str, walkers: list[Walker], t_from: float, t_to: float,
                     fps: float = 10.0, size: tuple[int, int] = (1920, 1080), seed: int = 0):
    """Frames of one camera over [t_from, t_to) with the walkers pasted in."""
    rng = np.random.default_rng(seed)
    sprites = {w.traveler_id: face_sprite(w.key, rng) for w in walkers}
    W, H = size
    back = np.full((H, W, 3), (150, 158, 162), np.uint8)
    back[int(H * 0.8):] = (110, 116, 120)
    for k in range(int(np.ceil((t_to - t_from) * fps))):
        t = t_from + k / fps
        img = back.copy()
        rows = []
        for w in walkers:
            crop, lm, ipd, yaw, pitch, fbox = sprites[w.traveler_id]
            s = w.ipd_px / ipd
            ch, cw = int(round(crop.shape[0] * s)), int(round(crop.shape[1] * s))
            x = -cw + (t - w.t0) * w.speed_px
            if x + cw <= 0 or x >= W:
                continue
            fx1, fy1, fx2, fy2 = (v * s for v in fbox)
            ox, oy = int(round(x)), int(round(w.y_face - fy1))
            face_w = fx2 - fx1
            body = (ox + (fx1 + fx2) / 2 - 1.3 * face_w, oy + fy1, ox + (fx1 + fx2) / 2
                    + 1.3 * face_w, oy + fy1 + 7.5 * (fy2 - fy1))
            bx1, by1, bx2, by2 = (int(round(v)) for v in body)
            cv2.rectangle(img, (bx1, oy + int(fy2)), (bx2, min(by2, H - 1)), w.clothing_bgr, -1)
            _paste(img, cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_AREA), ox, oy)
            rows.append((w.traveler_id, w.traveler_id, *np.clip(body, 0, [W, H, W, H]),
                         ox + fx1, oy + fy1, ox + fx2, oy + fy2, w.ipd_px, yaw, pitch))
        persons = pd.DataFrame(rows, columns=PERSON_COLUMNS)
        persons = persons[(persons.face_x1 >= 0) & (persons.face_x2 <= W)].reset_index(drop=True)
        yield CompositeFrame(camera_id, round(t, 6), img, persons)


def _paste(img: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    H, W = img.shape[:2]
    h, w = sprite.shape[:2]
    xa, ya, xb, yb = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if xb > xa and yb > ya:
        img[ya:yb, xa:xb] = sprite[ya - y:yb - y, xa - x:xb - x]


def enrolment_templates(keys, detector, embedder, photo=None) -> np.ndarray:
    """Templates of the identities' enrolment photos (the gallery side), one row per key.
    ``photo(key)`` gives a key's enrolment image (default: ``make_identity(key)``'s)."""
    out = []
    for key in keys:
        image = photo(key) if photo is not None else render_enrolment(make_identity(key)).image
        dets = detector.detect(image)
        if not dets:
            raise RuntimeError(f"no face found in the enrolment photo of identity {key}")
        out.append(embedder.embed(image, dets[:1])[0].vector)
    return np.stack(out)
