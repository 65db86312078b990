"""Small binary image sets for the RBM: bars-and-stripes, and the 8×8 digits binarised.

Both return images (N, H, W) of 0.0/1.0; an RBM sees them flattened to (N, H·W).
"""
from __future__ import annotations

import itertools

import numpy as np

from ..datasets import load_digits


def bars_and_stripes(size: int = 4) -> np.ndarray:
    """Every distinct size×size bars-and-stripes image: each row all on or all off
    (stripes), or each column (bars); 2·2^size − 2 images (blank and full counted once)."""
    if size < 1:
        raise ValueError(f"bars-and-stripes needs a size of at least 1, got {size}")
    images = []
    for bits in itertools.product((0.0, 1.0), repeat=size):
        stripes = np.repeat(np.array(bits)[:, None], size, axis=1)
        images += [stripes, stripes.T]
    unique = {img.tobytes(): img for img in images}
    return np.stack(list(unique.values()))


def binarized_digits(threshold: float = 0.5) -> np.ndarray:
    """The 8×8 digits of :func:`engine.datasets.load_digits` as 0/1 images (N, 8, 8):
    a pixel is on where its ink is above ``threshold`` of the brightest value."""
    images, _ = load_digits()  # (N, 1, 8, 8) in [0, 1]
    return (images[:, 0] > threshold * images.max()).astype(np.float64)


DATASETS = {"bars_and_stripes": bars_and_stripes, "digits": binarized_digits}
"""Every binary image set by name."""
