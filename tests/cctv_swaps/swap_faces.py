"""What the swap tests share: a unit face template for person ``who`` (8-d; two people's cosine
is 0.01, one person's 1)."""

import numpy as np


def vector(who: int) -> np.ndarray:
    v = np.zeros(8, np.float32)
    v[who], v[7] = 1.0, 0.1
    return v / np.linalg.norm(v)
