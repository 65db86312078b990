"""Toy sequence-to-sequence tasks that train in seconds: reverse, sort, add, reformat a date.

A task draws (source, target) string pairs from a ``numpy.random.Generator``; the
characters are the tokens.  :func:`encode_batch` turns pairs into padded id arrays
(time-major, as the recurrent layers want), with ``<pad>``, ``<s>`` (start of the
decoder's input) and ``</s>`` (end of sequence, the lecture's ⟨EOS⟩) in front of the
task's symbols.  Source lengths vary within a batch; the padding is masked.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, ClassVar, NamedTuple, Sequence

import numpy as np

PAD, SOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")
DIGITS = "0123456789"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


class Seq2SeqBatch(NamedTuple):
    """Token ids of one batch, time-major and padded with PAD.

    ``source`` (T_in, B); ``target`` (T_out, B) ends every sequence with EOS;
    ``source_mask``/``target_mask`` are True on real tokens (EOS included).
    """

    source: np.ndarray
    target: np.ndarray
    source_mask: np.ndarray
    target_mask: np.ndarray


@dataclass(frozen=True)
class Seq2SeqTask:
    """A family of (source, target) string pairs; ``length`` caps the source's main part."""

    length: int = 6
    min_length: int = 2

    name: ClassVar[str] = "task"
    title: ClassVar[str] = "Task"
    description: ClassVar[str] = ""
    symbols: ClassVar[str] = DIGITS

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every token: the three special ones, then the task's symbols (id = position)."""
        return SPECIALS + tuple(self.symbols)

    def source(self, rng: np.random.Generator) -> str:
        """One random source string."""
        return self._digits(rng)

    def answer(self, source: str) -> str:
        """The target the task asks for, given a source (ValueError if it is not one)."""
        raise NotImplementedError

    def pair(self, rng: np.random.Generator) -> tuple[str, str]:
        """One (source, target) example."""
        s = self.source(rng)
        return s, self.answer(s)

    def pairs(self, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        """``n`` examples drawn from ``rng``."""
        return [self.pair(rng) for _ in range(n)]

    def with_length(self, length: int) -> "Seq2SeqTask":
        """The same task on longer (or shorter) inputs, e.g. twice the training length;
        the shortest inputs grow with it so the test really is about long inputs."""
        return dataclasses.replace(self, length=length, min_length=max(self.min_length, length // 2 + 1))

    def _digits(self, rng: np.random.Generator) -> str:
        """A random digit string of min_length..length characters."""
        n = int(rng.integers(self.min_length, self.length + 1))
        return "".join(DIGITS[d] for d in rng.integers(0, 10, size=n))


@dataclass(frozen=True)
class Reverse(Seq2SeqTask):
    """Write the digits backwards: the first output needs the last input."""

    name = "reverse"
    title = "Reverse a sequence"
    description = ("The encoder reads a string of digits; the decoder writes it backwards. "
                   "Without attention the whole string must squeeze through the encoder's last "
                   "state s; with attention each output step looks back at the input position "
                   "it needs, so the attention map is an anti-diagonal.")

    def answer(self, source: str) -> str:
        return source[::-1]


@dataclass(frozen=True)
class Sort(Seq2SeqTask):
    """Write the digits in increasing order."""

    name = "sort"
    title = "Sort digits"
    description = ("The decoder writes the input digits in increasing order: every output step "
                   "must know how many of each digit the encoder has seen.")

    def answer(self, source: str) -> str:
        return "".join(sorted(source))


@dataclass(frozen=True)
class Addition(Seq2SeqTask):
    """Add two numbers written as digits: "57+8" → "65"; ``length`` is the longest number
    (2 by default: with additive attention about 90% of the digits come out right in 800 steps)."""

    length: int = 2
    min_length: int = 1

    name = "add"
    title = "Add two numbers"
    description = ("The source is a sum written as characters, e.g. 57+8; the decoder writes "
                   "the result digit by digit. Carrying makes each output depend on several "
                   "input positions.")
    symbols = DIGITS + "+"

    def source(self, rng: np.random.Generator) -> str:
        a, b = (int(self._digits(rng)) for _ in range(2))
        return f"{a}+{b}"

    def answer(self, source: str) -> str:
        parts = source.split("+")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"an addition looks like 57+8, got {source!r}")
        return str(int(parts[0]) + int(parts[1]))


@dataclass(frozen=True)
class DateFormat(Seq2SeqTask):
    """Translate a written date into ISO form: "3 March 2021" → "2021-03-03".

    Days 1–28 of every month, years 1950–2049; ``length`` does not apply (dates have the
    lengths they have).
    """

    name = "date"
    title = "Translate a date"
    description = ("A tiny translation task: a date as people write it, 3 March 2021, becomes "
                   "2021-03-03. The decoder writes the year first, so it must look at the END of "
                   "the source first, then at the month's name, then at the day.")
    symbols = DIGITS + " -" + "".join(sorted(set("".join(MONTHS))))

    def source(self, rng: np.random.Generator) -> str:
        year, month = int(rng.integers(1950, 2050)), int(rng.integers(1, 13))
        return f"{int(rng.integers(1, 29))} {MONTHS[month - 1]} {year}"

    def answer(self, source: str) -> str:
        parts = source.split()
        if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in MONTHS or not parts[2].isdigit():
            raise ValueError(f"a date looks like 3 March 2021, got {source!r}")
        return f"{int(parts[2]):04d}-{MONTHS.index(parts[1]) + 1:02d}-{int(parts[0]):02d}"

    def with_length(self, length: int) -> "Seq2SeqTask":
        """Dates have the lengths they have: the same task."""
        return self


TASKS: dict[str, Callable[..., Seq2SeqTask]] = {
    cls.name: cls for cls in (Reverse, Sort, Addition, DateFormat)}
"""Every task class by name."""


def make_task(name: str, length: int | None = None) -> Seq2SeqTask:
    """The task called ``name``, with its default length unless one is given."""
    if name not in TASKS:
        raise KeyError(f"no seq2seq task {name!r}; choose one of: {', '.join(TASKS)}")
    return TASKS[name]() if length is None else TASKS[name](length=length)


def encode(text: str, vocabulary: Sequence[str]) -> list[int]:
    """Token ids of ``text`` (one per character); an unknown character is named."""
    index = {tok: i for i, tok in enumerate(vocabulary)}
    try:
        return [index[ch] for ch in text]
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in this task's vocabulary "
                         f"{''.join(vocabulary[len(SPECIALS):])!r}") from None


def decode_ids(ids: Sequence[int], vocabulary: Sequence[str]) -> str:
    """The text of ``ids`` up to the first EOS, special tokens left out."""
    out = []
    for i in ids:
        if i == EOS:
            break
        if i >= len(SPECIALS):
            out.append(vocabulary[i])
    return "".join(out)


def encode_batch(pairs: Sequence[tuple[str, str]], vocabulary: Sequence[str]) -> Seq2SeqBatch:
    """Pad the pairs' ids into one time-major batch; each target gets a final EOS."""
    sources = [encode(s, vocabulary) for s, _ in pairs]
    targets = [encode(t, vocabulary) + [EOS] for _, t in pairs]
    src, src_mask = _pad(sources)
    tgt, tgt_mask = _pad(targets)
    return Seq2SeqBatch(src, tgt, src_mask, tgt_mask)


def _pad(seqs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(T, B) ids padded with PAD after each sequence, and the mask of real tokens."""
    width = max(len(s) for s in seqs)
    ids = np.full((width, len(seqs)), PAD, dtype=np.int64)
    for b, s in enumerate(seqs):
        ids[:len(s), b] = s
    return ids, ids != PAD
