"""Face geometry shared by the backends: image checks, the ArcFace reference points, landmark
conversion between model families.

Landmarks everywhere in the pipeline are (5, 2) float32 in insightface's order: the eye with the
smaller x, the eye with the larger x, nose tip, mouth corner with the smaller x, then the larger.
"""

from __future__ import annotations

import numpy as np

# Where insightface's norm_crop puts the five points in a 112x112 crop (its ``arcface_dst``).
ARCFACE_REF = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)


class ImageError(ValueError):
    """An image the pipeline cannot take (wrong type, shape or size)."""


def check_image(image: np.ndarray, min_side: int = 16) -> np.ndarray:
    """Return ``image`` as a C-contiguous uint8 BGR (H, W, 3) array or raise :class:`ImageError`."""
    if not isinstance(image, np.ndarray):
        raise ImageError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ImageError(f"image must be H x W x 3 (BGR), got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ImageError(f"image must be uint8, got {image.dtype}")
    if min(image.shape[:2]) < min_side:
        raise ImageError(f"image is {image.shape[1]}x{image.shape[0]} px; "
                         f"need at least {min_side} px a side")
    return np.ascontiguousarray(image)


def apply_affine(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, np.float64)
    return (pts @ m[:, :2].T + m[:, 2]).astype(np.float32)


def five_from_dlib(parts: np.ndarray) -> np.ndarray:
    """Insightface-order 5 points from dlib's 5-point model (two corners per eye, subnasale).

    dlib's model has no mouth corners. They are placed by fitting the ArcFace reference face to
    the measured eyes and nose (a similarity transform) and mapping its mouth corners, so that a
    dlib detection can still drive an ArcFace alignment; the estimate is marked by this function's
    name, not by the data. The subnasale sits a little below the nose tip; the fit absorbs it.
    """
    parts = np.asarray(parts, np.float32).reshape(5, 2)
    eye_a, eye_b = parts[0:2].mean(0), parts[2:4].mean(0)
    left, right = (eye_a, eye_b) if eye_a[0] <= eye_b[0] else (eye_b, eye_a)
    nose = parts[4]
    m = umeyama_similarity(ARCFACE_REF[:3].astype(np.float64),
                           np.stack([left, right, nose]).astype(np.float64))
    mouth = apply_affine(m, ARCFACE_REF[3:])
    return np.vstack([left, right, nose, mouth]).astype(np.float32)


def order_five(points: np.ndarray) -> np.ndarray:
    """Put 5 landmarks in insightface order (by x within the eye pair and the mouth pair)."""
    p = np.asarray(points, np.float32).reshape(5, 2).copy()
    if p[0, 0] > p[1, 0]:
        p[[0, 1]] = p[[1, 0]]
    if p[3, 0] > p[4, 0]:
        p[[3, 4]] = p[[4, 3]]
    return p


def umeyama_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 similarity transform (scale, rotation, shift) taking ``src`` to ``dst`` in the
    least-squares sense, computed exactly as scikit-image's ``SimilarityTransform.estimate``
    (Umeyama 1991) does, in the points' own dtype: insightface's ``norm_crop`` uses that, and the
    int8 ArcFace recogniser moves by ~0.002 in cosine when one pixel of its crop is off by one,
    so a closed form that differs in the last bits is not close enough. All NaN when the points
    do not fix a transform.
    """
    src, dst = np.asarray(src), np.asarray(dst)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_demean, dst_demean = src - src_mean, dst - dst_mean
    a = dst_demean.T @ src_demean / src.shape[0]
    d = np.ones(2, dtype=np.float64)
    if np.linalg.det(a) < 0:
        d[1] = -1
    t = np.eye(3, dtype=np.float64)
    u, s, v = np.linalg.svd(a)
    rank = np.count_nonzero(s > s.max() * np.max(a.shape) * np.finfo(float).eps)
    if rank == 0:
        return np.full((2, 3), np.nan)
    if rank == 1 and np.linalg.det(u) * np.linalg.det(v) > 0:
        t[:2, :2] = u @ v
    elif rank == 1:
        t[:2, :2] = u @ np.diag([d[0], -1.0]) @ v
    else:
        t[:2, :2] = u @ np.diag(d) @ v
    scale = 1.0 / src_demean.var(axis=0).sum() * (s @ d)
    t[:2, 2] = dst_mean - scale * (t[:2, :2] @ src_mean.T)
    t[:2, :2] *= scale
    return t[:2]
