"""2-D target distributions for the GAN: what the generator must learn to imitate.

Each :class:`Target` samples (n, 2) real points from a ``numpy.random.Generator``; a
target made of separate Gaussian modes (the ring) also knows their centres and width,
so how many modes the generator covers can be counted (:func:`mode_coverage`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..datasets import moons


@dataclass(frozen=True)
class Target:
    """A distribution of real 2-D points; ``centers``/``sigma`` when it is a mixture of modes."""

    name: str
    sample: Callable[[int, np.random.Generator], np.ndarray]
    centers: np.ndarray | None = None
    sigma: float | None = None


def ring(modes: int = 8, radius: float = 2.0, sigma: float = 0.1) -> Target:
    """``modes`` Gaussians of width ``sigma`` evenly spaced on a circle: the mode-collapse test."""
    angles = 2 * np.pi * np.arange(modes) / modes
    centers = radius * np.c_[np.cos(angles), np.sin(angles)]

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        return centers[rng.integers(0, modes, size=n)] + sigma * rng.standard_normal((n, 2))
    return Target("ring", sample, centers, sigma)


def two_moons(noise: float = 0.05) -> Target:
    """Two interleaving half circles (:func:`engine.datasets.moons`), centred on the origin."""
    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        points = moons(n, noise, seed=int(rng.integers(2 ** 31))).X
        return (points - [0.5, 0.25]) * 1.5
    return Target("moons", sample)


def line(start: Sequence[float] = (-1.5, -1.0), end: Sequence[float] = (1.5, 1.0),
         noise: float = 0.03) -> Target:
    """Points spread uniformly along a segment: a 1-D set the generator must squash its plane onto."""
    a, b = np.asarray(start, dtype=float), np.asarray(end, dtype=float)

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        return a + rng.random((n, 1)) * (b - a) + noise * rng.standard_normal((n, 2))
    return Target("line", sample)


def point_set(points: np.ndarray | Sequence[Sequence[float]], noise: float = 0.05) -> Target:
    """A user-drawn set: real samples are its points drawn with replacement, jittered by ``noise``."""
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise ValueError(f"a point set needs (n, 2) coordinates with n >= 1, got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("a point set's coordinates must be finite numbers")

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        return pts[rng.integers(0, len(pts), size=n)] + noise * rng.standard_normal((n, 2))
    return Target("points", sample)


TARGETS: dict[str, Callable[..., Target]] = {"ring": ring, "moons": two_moons, "line": line,
                                             "points": point_set}
"""Every target by name (``points`` needs the user's points)."""


@dataclass(frozen=True)
class ModeCoverage:
    """Generated samples per mode: ``counts[k]`` lie within 3σ (by default) of centre k.

    A mode is *covered* when it holds at least ``min_share`` of its fair share
    (n / modes) of the samples; ``quality`` is the fraction of samples near any mode;
    ``nearest[k]`` counts the samples closer to centre k than to any other, near or not.
    """

    counts: np.ndarray
    covered: np.ndarray
    quality: float
    nearest: np.ndarray
    samples: int

    @property
    def modes_covered(self) -> int:
        return int(self.covered.sum())

    def concentration(self, k: int = 3) -> float:
        """Share of the samples nearest to the k most popular modes: 1.0 when G has collapsed
        onto at most k of them (wherever exactly its points sit), k/modes when spread evenly."""
        return float(np.sort(self.nearest)[::-1][:k].sum() / self.samples)


def mode_coverage(points: np.ndarray, target: Target, radius_sigmas: float = 3.0,
                  min_share: float = 0.25) -> ModeCoverage:
    """Count generated ``points`` (n, 2) within ``radius_sigmas``·σ of each of the target's modes."""
    if target.centers is None:
        raise ValueError(f"the {target.name!r} target has no separate modes to count")
    d = np.linalg.norm(points[:, None, :] - target.centers[None, :, :], axis=2)
    nearest = d.argmin(axis=1)
    near = d[np.arange(len(points)), nearest] <= radius_sigmas * target.sigma
    counts = np.bincount(nearest[near], minlength=len(target.centers))
    fair = len(points) / len(target.centers)
    return ModeCoverage(counts, counts >= min_share * fair, float(near.mean()),
                        np.bincount(nearest, minlength=len(target.centers)), len(points))
