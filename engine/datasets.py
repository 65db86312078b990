"""Seeded data sets for training small networks in front of a class: the one home of them all.

The 2-D sets (XOR, circles, spirals, blobs, moons, ripple, linear regression)
draw points on the plane, so a decision boundary or a regression surface can be
shown under them; the same seed always gives the same points, so a lecture demo
is reproducible.  :func:`load_csv` reads a lecturer's own 2-D data and refuses a
malformed file with the line and the reason.  :func:`load_digits` returns the
8×8 handwritten digits that ship with the package (UCI, CC BY 4.0) for a CNN.
Splits and label noise work on any of them.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

MAX_CLASSES = 10
"""The most classes a classification set may have (one colour each in the lab)."""


@dataclass(frozen=True)
class Dataset:
    """Inputs ``X`` (n, features), targets ``y`` (n,), and whether ``y`` are class labels.

    Class labels are the floats 0, 1, …, K-1; ``class_names`` names them where the
    source had names of its own (a CSV file's labels), else it is empty.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    classification: bool = True
    class_names: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int:
        """Number of classes (labels 0..K-1), 0 for regression."""
        if not self.classification:
            return 0
        return max(int(self.y.max()) + 1 if len(self.y) else 0, len(self.class_names))

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: np.ndarray) -> "Dataset":
        """The rows ``index`` (an integer array or mask), same name and classes."""
        return replace(self, X=self.X[index], y=self.y[index])


# -- the 2-D generators -------------------------------------------------------------------------
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
    """Four equal clusters at (±0.7, ±0.7), labelled by whether the signs differ.

    Not linearly separable: a line gets at most three of the four clusters right,
    so a linear model stays at or below 75% accuracy.
    """
    rng = np.random.default_rng(seed)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    centers = corners[rng.permutation(np.arange(n) % 4)]
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


def blobs(n: int = 100, noise: float = 0.25, classes: int = 2, seed: int = 0) -> Dataset:
    """Gaussian clusters, one per class (2 to 5), centred evenly on the unit circle.

    ``noise`` is each cluster's standard deviation; classes get equal shares of ``n``.
    """
    if not 2 <= classes <= 5:
        raise ValueError(f"blobs has 2 to 5 classes, got {classes}")
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(classes) / classes + np.pi / 4
    y = np.arange(n) % classes
    centers = np.c_[np.cos(angles), np.sin(angles)][y]
    return Dataset("blobs", centers + noise * rng.standard_normal((n, 2)), y.astype(np.float64))


def ripple(n: int = 100, noise: float = 0.05, seed: int = 0) -> Dataset:
    """Regression: y = sin(πx₁)·cos(πx₂/2) + noise on the square [-1, 1]²."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1] / 2) + noise * rng.standard_normal(n)
    return Dataset("ripple", X, y, classification=False)


LINEAR_WEIGHTS = (1.0, -0.5)
LINEAR_BIAS = 0.3
"""The true line of :func:`linear_regression`: y = 1.0·x₁ − 0.5·x₂ + 0.3 (+ noise)."""


def linear_regression(n: int = 100, noise: float = 0.1, seed: int = 0, features: int = 2) -> Dataset:
    """Regression on a straight line (``features=1``) or a plane (2): y = w·x + b + noise.

    x is uniform on [-1, 1]; w = (1.0, -0.5)[:features], b = 0.3.  :func:`least_squares`
    gives the closed-form fit to show beside gradient descent.
    """
    if features not in (1, 2):
        raise ValueError(f"linear_regression has 1 or 2 features, got {features}")
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, features))
    y = X @ np.array(LINEAR_WEIGHTS[:features]) + LINEAR_BIAS + noise * rng.standard_normal(n)
    return Dataset("linear", X, y, classification=False)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": moons, "circles": circles, "xor": xor, "spirals": spirals, "blobs": blobs,
    "ripple": ripple, "linear": linear_regression}
"""Every 2-D generator by name; each takes ``n``, ``noise`` and ``seed`` and gives X (n, 2)."""


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The closed-form linear fit (w, b) = (XᵀX)⁻¹Xᵀy, with a column of ones for the bias.

    Solves the normal equations XᵀX θ = Xᵀy (the formula as the lecture writes it,
    without forming the inverse).  Raises ValueError when XᵀX is singular (fewer
    distinct points than unknowns, or a constant feature).
    """
    A = np.c_[np.asarray(X, dtype=np.float64).reshape(len(X), -1), np.ones(len(X))]
    try:
        theta = np.linalg.solve(A.T @ A, A.T @ np.asarray(y, dtype=np.float64))
    except np.linalg.LinAlgError:
        raise ValueError("XᵀX is singular: the points do not pin down a unique line "
                         f"({len(X)} points for {A.shape[1]} unknowns, or a feature is constant)"
                         ) from None
    return theta[:-1], float(theta[-1])


# -- splits and noise ----------------------------------------------------------------------------
def train_test_split(data: Dataset, test_fraction: float = 0.5,
                     seed: int = 0) -> tuple[Dataset, Dataset]:
    """A seeded random split into (train, test); ``test_fraction`` of the rows go to test."""
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(data))
    n_test = int(round(test_fraction * len(data)))
    if len(data) - n_test < 1:
        raise ValueError(f"a split of {len(data)} rows with test_fraction {test_fraction} "
                         "leaves no training rows")
    return data.subset(np.sort(order[n_test:])), data.subset(np.sort(order[:n_test]))


def with_label_noise(data: Dataset, fraction: float, seed: int = 0) -> Dataset:
    """A copy with noisy targets: for classification, ``fraction`` of the labels flipped to a
    different class drawn at random; for regression, Gaussian noise of standard deviation
    ``fraction`` × std(y) added."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"label noise must be a fraction in [0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    y = data.y.astype(np.float64, copy=True)
    if not data.classification:
        return replace(data, y=y + fraction * (y.std() if len(y) else 0.0) * rng.standard_normal(len(y)))
    k = data.n_classes
    if k < 2 or fraction == 0.0:
        return replace(data, y=y)
    flip = rng.permutation(len(y))[:int(round(fraction * len(y)))]
    y[flip] = (y[flip] + rng.integers(1, k, size=len(flip))) % k  # never the label it had
    return replace(data, y=y)


# -- the lecturer's own data ---------------------------------------------------------------------
class CsvFormatError(ValueError):
    """A CSV file that cannot be read as 2-D data; ``line`` is its 1-based line, or None."""

    def __init__(self, source: str, reason: str, line: int | None = None):
        self.source, self.reason, self.line = source, reason, line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


_EXPECTED = "each row should hold three values: x₁, x₂ and a label (for example 0.5, -1.2, 1)"
_DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def load_csv(path: str | Path) -> Dataset:
    """The 2-D data set in a CSV file (see :func:`parse_csv`); CsvFormatError if malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFormatError(path.name, "is not a text file in UTF-8 encoding "
                             f"(byte {error.start} cannot be read); save it as CSV (UTF-8)") from None
    except OSError as error:
        raise CsvFormatError(path.name, f"cannot be opened: {error.strerror or error}") from None
    return parse_csv(text, name=path.stem, source=path.name)


def parse_csv(text: str, name: str = "csv", source: str = "the CSV data") -> Dataset:
    """Rows ``x1, x2, label`` (commas, semicolons or tabs) as a Dataset.

    A first row of column names is skipped, as are blank lines and lines starting
    with ``#``.  Labels that are all whole numbers (at most 10 distinct) or any
    words make a classification set, the distinct labels in sorted order becoming
    classes 0, 1, …; other numeric labels make a regression set.  Anything else is
    refused with a :class:`CsvFormatError` naming the line and what is wrong.
    """
    rows = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise CsvFormatError(source, f"holds no data; {_EXPECTED}")
    delimiter = _delimiter(rows[0][1])
    features, labels, numbers = [], [], []
    for index, (number, line) in enumerate(rows):
        fields = [f.strip() for f in next(csv.reader(io.StringIO(line), delimiter=delimiter))]
        if len(fields) != 3:
            raise CsvFormatError(source, _wrong_count(fields, delimiter), number)
        point = [_number(f) for f in fields[:2]]
        if index == 0 and point == [None, None]:  # a header row: column names, not numbers
            continue
        for column, (field, value) in enumerate(zip(fields[:2], point), start=1):
            if value is None:
                raise CsvFormatError(source, f"x{_SUBSCRIPTS[column]} (column {column}) is "
                                     f"{field!r}, which is not a number", number)
            if not math.isfinite(value):
                raise CsvFormatError(source, f"x{_SUBSCRIPTS[column]} (column {column}) is "
                                     f"{field!r}; only finite numbers can be drawn", number)
        if not fields[2]:
            raise CsvFormatError(source, "the label (column 3) is empty", number)
        features.append(point)
        labels.append(fields[2])
        numbers.append(number)
    if not features:
        raise CsvFormatError(source, f"has a header row but no data below it; {_EXPECTED}")
    return _labelled(name, source, np.array(features, dtype=np.float64), labels, numbers)


_SUBSCRIPTS = {1: "₁", 2: "₂"}


def _delimiter(line: str) -> str:
    """The separator used in the first row (commas unless it has only semicolons or tabs)."""
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _wrong_count(fields: list[str], delimiter: str) -> str:
    found = "1 value" if len(fields) == 1 else f"{len(fields)} values"
    return f"found {found} separated by {_DELIMITERS[delimiter]}, but {_EXPECTED}"


def _number(field: str) -> float | None:
    try:
        return float(field)
    except ValueError:
        return None


def _labelled(name: str, source: str, X: np.ndarray, labels: list[str],
              numbers: list[int]) -> Dataset:
    """Turn the label column into class indices or regression targets, or refuse it."""
    values = [_number(label) for label in labels]
    if all(v is not None for v in values):
        bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
        if bad is not None:
            raise CsvFormatError(source, f"the label (column 3) is {labels[bad]!r}; "
                                 "labels must be finite numbers or words", numbers[bad])
        y = np.array(values)
        distinct = np.unique(y)
        if not (np.all(distinct == np.round(distinct)) and len(distinct) <= MAX_CLASSES):
            return Dataset(name, X, y, classification=False)
        names = tuple(format(v, "g") for v in distinct)
        return _classes(name, source, X, np.searchsorted(distinct, y), names)
    if any(v is not None for v in values):
        word = next(i for i, v in enumerate(values) if v is None)
        num = next(i for i, v in enumerate(values) if v is not None)
        raise CsvFormatError(source, f"the label (column 3) is the word {labels[word]!r}, but "
                             f"line {numbers[num]} has the number {labels[num]!r}; use either "
                             "numbers or names for the labels, not both", numbers[word])
    names = tuple(sorted(set(labels)))
    return _classes(name, source, X, np.searchsorted(names, labels), names)


def _classes(name: str, source: str, X: np.ndarray, index: np.ndarray,
             names: tuple[str, ...]) -> Dataset:
    if len(names) < 2:
        raise CsvFormatError(source, f"every row has the label {names[0]!r}; a classifier needs "
                             "at least two different labels")
    if len(names) > MAX_CLASSES:
        raise CsvFormatError(source, f"has {len(names)} different labels; the lab shows at most "
                             f"{MAX_CLASSES} classes")
    return Dataset(name, X, index.astype(np.float64), classification=True, class_names=names)


# -- images ---------------------------------------------------------------------------------------
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8×8 handwritten digits (UCI, CC BY 4.0): X (1797, 1, 8, 8) float64 in [0, 1]
    (the 0..16 pixel counts divided by 16) and y (1797,) int64 digit labels 0..9.

    Stored compressed in ``resources/data/digits.npz``; see the README there for the source.
    """
    with resources.files("resources.data").joinpath("digits.npz").open("rb") as handle:
        with np.load(handle) as archive:
            images, labels = archive["images"], archive["labels"]
    return (images[:, None, :, :].astype(np.float64) / 16.0), labels.astype(np.int64)
