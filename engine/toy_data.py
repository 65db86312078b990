"""Seeded 2-D toy data sets for training small networks in front of a class.

Classification sets have labels 0/1; the regression set a real target.  The
same seed always gives the same points, so a lecture demo is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Inputs ``X`` (n, 2), targets ``y`` (n,), and whether ``y`` are class labels."""

    name: str
    X: np.ndarray
    y: np.ndarray
    classification: bool = True


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles (as scikit-learn's make_moons)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out, t_in = np.linspace(0, np.pi, half), np.linspace(0, np.pi, n - half)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)],
                        np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[np.zeros(half), np.ones(n - half)]
    return Dataset("moons", X + noise * rng.standard_normal(X.shape), y)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A small circle inside a large one (as make_circles)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out = np.linspace(0, 2 * np.pi, half, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n - half, endpoint=False)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)],
                        factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    y = np.r_[np.zeros(half), np.ones(n - half)]
    return Dataset("circles", X + noise * rng.standard_normal(X.shape), y)


def xor(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Four clusters at (±1, ±1), labelled by whether the signs differ: not linearly separable."""
    rng = np.random.default_rng(seed)
    centers = rng.choice([-1.0, 1.0], size=(n, 2))
    y = (centers[:, 0] != centers[:, 1]).astype(np.float64)
    return Dataset("xor", centers * 0.7 + noise * rng.standard_normal((n, 2)), y)


def spirals(n: int = 100, noise: float = 0.05, turns: float = 1.5, seed: int = 0) -> Dataset:
    """Two interleaved spirals: hard for a small network, a classic optimizer stress test."""
    rng = np.random.default_rng(seed)
    half = n // 2
    sizes = (half, n - half)
    parts, labels = [], []
    for label, size in enumerate(sizes):
        r = np.linspace(0.15, 1.0, size)
        theta = 2 * np.pi * turns * r + label * np.pi
        parts.append(np.c_[r * np.cos(theta), r * np.sin(theta)])
        labels.append(np.full(size, float(label)))
    X = np.concatenate(parts)
    return Dataset("spirals", X + noise * rng.standard_normal(X.shape), np.concatenate(labels))


def ripple(n: int = 100, noise: float = 0.05, seed: int = 0) -> Dataset:
    """Regression: y = sin(πx₁)·cos(πx₂/2) + noise on the square [-1, 1]²."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1] / 2) + noise * rng.standard_normal(n)
    return Dataset("ripple", X, y, classification=False)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": moons, "circles": circles, "xor": xor, "spirals": spirals, "ripple": ripple}
"""Every generator by name; each takes ``n``, ``noise`` and ``seed``."""
