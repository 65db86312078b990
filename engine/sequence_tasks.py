"""Toy sequence tasks for the sequence lab, each a question a lecture asks of an RNN.

Every task answers ``task.batch(batch_size, rng)`` with a :class:`Batch` of
``inputs`` shaped (T, B, F) like ``nn.LSTM`` expects, ``targets`` and the
``loss`` kind.  ``task.readout`` says where the answer is read: ``"last"``
(one answer after the whole sequence, so only the recurrence can carry the
early inputs to it: the vanishing-gradient test) or ``"all"`` (an answer at
every step).  Loss kinds: ``"bce"`` (targets (B, 1) in {0, 1}, logits in),
``"mse"`` (targets (B, 1) or (T, B, 1)) and ``"ce"`` (targets (T, B) class ids).
Data depend only on the ``numpy.random.Generator`` passed in, so a seed
reproduces a lecture's run exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from functools import lru_cache
from typing import Callable, ClassVar, Literal, NamedTuple

import numpy as np

LossKind = Literal["bce", "mse", "ce"]
Readout = Literal["last", "all"]


class Batch(NamedTuple):
    """One training batch: unpacks as ``inputs, targets, loss``."""

    inputs: np.ndarray
    targets: np.ndarray
    loss: LossKind


@dataclass(frozen=True)
class SequenceTask:
    """What every task shares: its name, sizes, readout and lecture description."""

    length: int = 20

    name: ClassVar[str] = "task"
    title: ClassVar[str] = "Task"
    description: ClassVar[str] = ""
    input_size: ClassVar[int] = 1
    output_size: ClassVar[int] = 1
    readout: ClassVar[Readout] = "last"
    loss: ClassVar[LossKind] = "mse"

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """A fresh batch of ``batch_size`` sequences drawn from ``rng``."""
        raise NotImplementedError

    def step_labels(self, inputs: np.ndarray) -> list[str]:
        """Short text for each time step of one sequence (T, F), written under the time axis."""
        return [f"{v:.2g}" for v in inputs[:, 0]]


@dataclass(frozen=True)
class RememberFirstBit(SequenceTask):
    """The first input is a bit to remember; the rest are distracting random bits."""

    name = "first_bit"
    title = "Remember the first bit"
    description = ("The first input is a bit; every later input is a random distracting bit. "
                   "After the whole sequence the network must say what the FIRST bit was. "
                   "Only memory carries it to the end: a plain RNN's gradient vanishes on the way "
                   "back; an LSTM keeps the bit in its cell, carried by an open forget gate.")
    readout = "last"
    loss = "bce"

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Bits as ±1 inputs (T, B, 1); the target is the first bit as 0/1 (B, 1)."""
        bits = rng.integers(0, 2, size=(self.length, batch_size, 1))
        return Batch(2.0 * bits - 1.0, bits[0].astype(np.float64), "bce")

    def step_labels(self, inputs: np.ndarray) -> list[str]:
        """Each step's bit as "0"/"1"."""
        return ["1" if v > 0 else "0" for v in inputs[:, 0]]


@dataclass(frozen=True)
class AddingProblem(SequenceTask):
    """Hochreiter & Schmidhuber's adding problem: add the two marked numbers."""

    name = "adding"
    title = "Adding problem"
    description = ("Each step shows a random number in [0, 1] and a marker. Exactly two steps are "
                   "marked, one in each half. At the end the network must output the SUM of the "
                   "two marked numbers: it has to write them into memory when it sees the marker "
                   "and keep them until the end.")
    input_size = 2
    readout = "last"
    loss = "mse"

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Inputs (T, B, 2) = (number, marker); target (B, 1) the sum of the marked numbers."""
        t = self.length
        values = rng.random((t, batch_size))
        first = rng.integers(0, t // 2, size=batch_size)
        second = rng.integers(t // 2, t, size=batch_size)
        markers = np.zeros((t, batch_size))
        cols = np.arange(batch_size)
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        target = (values[first, cols] + values[second, cols])[:, None]
        return Batch(np.stack([values, markers], axis=-1), target, "mse")

    def step_labels(self, inputs: np.ndarray) -> list[str]:
        """Each step's number, starred where marked."""
        return [f"{v:.1f}*" if m > 0.5 else f"{v:.1f}" for v, m in inputs]


@dataclass(frozen=True)
class SineWave(SequenceTask):
    """Predict the next sample of a sine wave of random phase and frequency."""

    name = "sine"
    title = "Sine wave: predict the next value"
    description = ("The input is a sine wave with a random phase and frequency, one sample per "
                   "step. At every step the network predicts the NEXT sample. One sample alone "
                   "does not say whether the wave is going up or down: the hidden state must "
                   "remember the recent past.")
    readout = "all"
    loss = "mse"

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Inputs x_t = sin(w t + p) (T, B, 1); targets x_{t+1} (T, B, 1)."""
        omega = rng.uniform(0.25, 0.6, size=batch_size)
        phase = rng.uniform(0.0, 2 * np.pi, size=batch_size)
        t = np.arange(self.length + 1)[:, None]
        wave = np.sin(omega * t + phase)[..., None]
        return Batch(wave[:-1], wave[1:], "mse")


@lru_cache(maxsize=None)
def _load_text(name: str) -> str:
    """A shipped text from resources/texts, lines joined by spaces."""
    raw = (resources.files("resources") / "texts" / name).read_text(encoding="utf-8")
    return " ".join(raw.split())


@dataclass(frozen=True)
class NextCharacter(SequenceTask):
    """Character-level language model on a short text about the chain rule."""

    text_file: str = "chain_rule.txt"

    name = "next_char"
    title = "Next character of a text"
    description = ("The network reads a short text about the chain rule one character at a time "
                   "(one-hot) and at every step predicts the next character. To guess the end "
                   "of a word it has to remember its beginning.")
    readout = "all"
    loss = "ce"

    @property
    def text(self) -> str:
        """The whole training text."""
        return _load_text(self.text_file)

    @property
    def alphabet(self) -> str:
        """Every character of the text, sorted: class id = position here."""
        return "".join(sorted(set(self.text)))

    @property
    def input_size(self) -> int:  # type: ignore[override]
        """One-hot width: the alphabet's size."""
        return len(self.alphabet)

    @property
    def output_size(self) -> int:  # type: ignore[override]
        """One class per character."""
        return self.input_size

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Random windows: one-hot characters (T, B, V) in, next-character ids (T, B) out."""
        ids = np.frombuffer(self.text.encode("ascii"), dtype=np.uint8)
        lookup = np.zeros(256, dtype=np.int64)
        lookup[np.frombuffer(self.alphabet.encode("ascii"), dtype=np.uint8)] = np.arange(self.input_size)
        codes = lookup[ids]
        starts = rng.integers(0, len(codes) - self.length - 1, size=batch_size)
        window = codes[starts[None, :] + np.arange(self.length + 1)[:, None]]
        inputs = np.eye(self.input_size)[window[:-1]]
        return Batch(inputs, window[1:], "ce")

    def step_labels(self, inputs: np.ndarray) -> list[str]:
        """Each step's character (spaces shown as ␣ so they are visible)."""
        return [self.alphabet[i].replace(" ", "␣") for i in inputs.argmax(axis=1)]


@dataclass(frozen=True)
class _SymbolTask(SequenceTask):
    """A task whose inputs are one-hot symbols of ``symbols`` and whose targets are class ids."""

    symbols: ClassVar[str] = ""
    readout = "all"
    loss = "ce"

    @property
    def input_size(self) -> int:  # type: ignore[override]
        """One-hot width: one column per symbol."""
        return len(self.symbols)

    def step_labels(self, inputs: np.ndarray) -> list[str]:
        """Each step's symbol."""
        return [self.symbols[i] for i in inputs.argmax(axis=1)]


@dataclass(frozen=True)
class CopyTask(_SymbolTask):
    """Echo: at every step, repeat the symbol seen ``delay`` steps earlier."""

    delay: ClassVar[int] = 3

    name = "copy"
    title = "Copy: repeat the symbol from 3 steps ago"
    description = ("The input is a stream of random symbols A, B, C, D. At every step the network "
                   "must write the symbol it read 3 steps EARLIER (and a blank '·' while there is "
                   "none yet). It has to hold the last few symbols in its hidden state, in order, "
                   "like a short queue: write the new one, read out the oldest.")
    symbols = "ABCD"
    output_size = len(symbols) + 1

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """One-hot symbols (T, B, 4) in; the symbol id from ``delay`` steps ago (T, B) out, 4 = blank."""
        ids = rng.integers(0, len(self.symbols), size=(self.length, batch_size))
        targets = np.full_like(ids, len(self.symbols))
        targets[self.delay:] = ids[:len(ids) - self.delay]
        return Batch(np.eye(len(self.symbols))[ids], targets, "ce")


@dataclass(frozen=True)
class Parentheses(_SymbolTask):
    """Count the nesting depth of a string of parentheses, one character at a time."""

    max_depth: ClassVar[int] = 4

    name = "parentheses"
    title = "Parentheses: how deep are we?"
    description = ("The input is a string of '(' and ')' that never closes more than it opened, "
                   "one character per step. At every step the network says how deeply nested "
                   "it is now (0 = balanced so far, up to 4). It must COUNT: add one for '(', take "
                   "one away for ')', and keep the count for as long as the string runs.")
    symbols = "()"
    output_size = max_depth + 1

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """One-hot '(' / ')' (T, B, 2) in; the depth after each character (T, B) out.

        A fair coin picks open or close, except that depth 0 must open and
        ``max_depth`` must close, so every prefix is valid and the depth stays in range.
        """
        coins = rng.random((self.length, batch_size)) < 0.5
        depth = np.zeros(batch_size, dtype=np.int64)
        opens = np.empty((self.length, batch_size), dtype=bool)
        depths = np.empty((self.length, batch_size), dtype=np.int64)
        for t in range(self.length):
            opens[t] = (depth == 0) | (coins[t] & (depth < self.max_depth))
            depth = depth + np.where(opens[t], 1, -1)
            depths[t] = depth
        return Batch(np.eye(2)[(~opens).astype(np.int64)], depths, "ce")


TASKS: dict[str, Callable[..., SequenceTask]] = {
    t.name: t for t in (RememberFirstBit, AddingProblem, SineWave, NextCharacter, CopyTask, Parentheses)}
"""Task classes by name; ``TASKS[name](length=...)`` builds one."""


def make_task(name: str, length: int = 20) -> SequenceTask:
    """The task called ``name`` with sequences of ``length`` steps."""
    try:
        return TASKS[name](length=length)
    except KeyError:
        raise KeyError(f"unknown task {name!r}; choose one of {sorted(TASKS)}") from None
