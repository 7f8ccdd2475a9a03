"""Exported frames blur every face that is not a confirmed watchlist match.

What is blurred: every detected face box, and the head region of every tracked body (the top
``HEAD_SHARE`` of its box) so a face the detector missed is blurred too, except the boxes of
confirmed watchlist matches. Blurring is on by default; ``blur=False`` (ground-truth
debugging only) returns the frame as is with a notice saying so, stamped on the frame itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["ExportedFrame", "UNBLURRED_NOTICE", "export_frame", "head_box"]

HEAD_SHARE = 0.2
UNBLURRED_NOTICE = "UNBLURRED EXPORT (ground-truth debugging): faces of non-matches are visible"


@dataclass(frozen=True)
class ExportedFrame:
    image: np.ndarray
    blurred: tuple[tuple[int, int, int, int], ...]
    notice: str  # '' when every non-match face is blurred


def head_box(body) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = body
    return (x1, y1, x2, y1 + HEAD_SHARE * (y2 - y1))


def _int_box(box, w: int, h: int, pad: float = 0.15) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    px, py = pad * (x2 - x1), pad * (y2 - y1)
    return (int(max(np.floor(x1 - px), 0)), int(max(np.floor(y1 - py), 0)),
            int(min(np.ceil(x2 + px), w)), int(min(np.ceil(y2 + py), h)))


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def export_frame(image: np.ndarray, face_boxes, body_boxes=(), match_boxes=(),
                 blur: bool = True) -> ExportedFrame:
    """A copy of ``image`` fit to leave the system. ``match_boxes``: the face (or body) boxes of
    confirmed watchlist matches, left sharp; everything else in ``face_boxes`` and the heads of
    ``body_boxes`` is pixelated (1/12 resolution, smoothed) beyond recognition."""
    out = image.copy()
    if not blur:
        cv2.putText(out, "UNBLURRED EXPORT", (10, out.shape[0] - 12), cv2.FONT_HERSHEY_SIMPLEX,
                    0.8, (0, 0, 255), 2, cv2.LINE_AA)
        return ExportedFrame(out, (), UNBLURRED_NOTICE)
    h, w = out.shape[:2]
    keep = [_int_box(b, w, h, 0.0) for b in match_boxes]
    regions = [_int_box(b, w, h) for b in face_boxes] + \
              [_int_box(head_box(b), w, h) for b in body_boxes]
    done = []
    for r in regions:
        if any(_overlaps(r, k) and _inside_centre(r, k) for k in keep):
            continue
        x1, y1, x2, y2 = r
        if x2 - x1 < 1 or y2 - y1 < 1:
            continue
        roi = out[y1:y2, x1:x2]
        small = cv2.resize(roi, (max((x2 - x1) // 12, 1), max((y2 - y1) // 12, 1)),
                           interpolation=cv2.INTER_AREA)
        out[y1:y2, x1:x2] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
        done.append(r)
    return ExportedFrame(out, tuple(done), "")


def _inside_centre(r, k) -> bool:
    """The region's centre lies in the kept match box: it is that match's face."""
    cx, cy = (r[0] + r[2]) / 2, (r[1] + r[3]) / 2
    return k[0] <= cx <= k[2] and k[1] <= cy <= k[3]
