"""An encoder-decoder (sequence to sequence) with optional attention, on Chainrule tensors.

The lecture's model: the **encoder** RNN reads x_1..x_n, h_t = f(h_{t-1}, x_t), and its
last state is the summary s of the whole input; the **decoder** RNN starts from s and
writes y_1..y_m, y_t = softmax(W_hy h_t), each step fed the previous output token
(``<s>`` first), until it writes ``</s>``.  With **attention** (Bahdanau et al.) every
decoder step also looks back at all encoder states: weights a_tj = softmax_j(score(h_{t-1},
h_j)), with a dot-product score h_{t-1}·h_j or the additive vᵀ tanh(W h_{t-1} + U h_j),
or the **location-aware** h_{t-1}·h_j + 10·wᵀ(a_{t-1,j-1}, a_{t-1,j}, a_{t-1,j+1}) (Chorowski et
al. 2015: the focus can move relative to where it last was, which carries over to inputs
longer than any trained on, where content alone does not), give a context ctx_t = Σ_j a_tj h_j that is fed to the decoder cell and to the readout.

Training feeds the true previous token (teacher forcing) with probability
``teacher_forcing`` per token, the model's own greedy choice otherwise; decoding is greedy.
Everything the lab draws is plain NumPy: :meth:`Seq2SeqTrainer.decode` (per-step top-k
probabilities, attention maps, encoder and decoder states) and
:meth:`Seq2SeqTrainer.unrolled` (one example as a named engine graph with collapsible cells).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .. import Tensor, nn, no_grad
from .. import functional as F
from ..optim import Adam
from ..sequence_training import clip_grad_norm
from .seq2seq_tasks import (EOS, PAD, SOS, Seq2SeqBatch, Seq2SeqTask, decode_ids, encode,
                            encode_batch, make_task)
from .training import SteppedTrainer

CELLS = ("gru", "lstm")
ATTENTIONS = ("none", "dot", "additive", "location")
_MASKED = -1e9  # score of a padding position: softmax gives it weight exactly 0


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Everything that defines one run; the same config gives the same run."""

    task: str = "reverse"
    length: int | None = None
    """Longest training input (the task's own default when None)."""
    cell: str = "gru"
    attention: str = "dot"
    embedding_dim: int = 16
    hidden_size: int = 48
    attention_size: int = 32
    """Width of the additive score's hidden layer (W, U: H → this; v: this → 1)."""
    teacher_forcing: float = 1.0
    """Probability of feeding the true previous token while training (0 = free running)."""
    batch_size: int = 32
    lr: float = 0.01
    clip_norm: float | None = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {self.attention!r}")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing is a probability in [0, 1], got {self.teacher_forcing}")


class Attention(nn.Module):
    """a_j = softmax_j(score(q, h_j)) over the encoder states and ctx = Σ_j a_j h_j."""

    def __init__(self, kind: str, hidden_size: int, attention_size: int, rng: np.random.Generator):
        super().__init__()
        self.kind = kind
        if kind == "location":
            self.shift = nn.Linear(3, 1, bias=False, seed=rng)
        if kind == "additive":
            self.W = nn.Linear(hidden_size, attention_size, bias=False, seed=rng)
            self.U = nn.Linear(hidden_size, attention_size, seed=rng)
            self.v = nn.Linear(attention_size, 1, bias=False, seed=rng)

    def keys(self, states):
        """What the scores compare the query with, computed once per input: h_j or U h_j."""
        return self.U(states) if self.kind == "additive" else states

    def forward(self, query, keys, states, mask_bias: np.ndarray, previous=None):
        """Weights (T_in, B) and context (B, H) for a query (B, H); states/keys (T_in, B, ·)."""
        t_in, batch = mask_bias.shape
        if self.kind in ("dot", "location"):
            scores = (keys * query).sum(axis=2)
            if self.kind == "location" and previous is not None:
                zero = Tensor(np.zeros((1, batch)))
                before = F.concat([zero, previous[:-1]], axis=0)
                after = F.concat([previous[1:], zero], axis=0)
                f = F.stack([before, previous, after], axis=2)
                scores = scores + 10.0 * self.shift(f).reshape(t_in, batch)
        else:
            scores = self.v(F.tanh(keys + self.W(query))).reshape(t_in, batch)
        weights = F.softmax(scores + mask_bias, axis=0)
        context = (weights.reshape(t_in, batch, 1) * states).sum(axis=0)
        return weights, context

    def extra_repr(self) -> str:
        return self.kind


@dataclass
class Seq2SeqPass:
    """Every recorded node of one forward pass, per time step (what the views and graph use).

    States are (1, B, H) tensors: ``encoder_states[t]`` is h_{t+1} (frozen on padding, so the
    last one is the summary s), ``decoder_states[t]`` the decoder's h_{t+1}; the LSTM's
    memory cells are in ``*_cells``.  ``attention[t]`` (T_in, B) and ``contexts[t]`` (B, H)
    are empty without attention; ``logits[t]`` is (B, V); ``fed`` (T_out, B) the token ids
    fed to the decoder at each step.
    """

    source_embeddings: list = field(default_factory=list)
    encoder_states: list = field(default_factory=list)
    encoder_cells: list = field(default_factory=list)
    encoder_matrix: Tensor | None = None
    attention_keys: Tensor | None = None
    decoder_embeddings: list = field(default_factory=list)
    decoder_states: list = field(default_factory=list)
    decoder_cells: list = field(default_factory=list)
    attention: list = field(default_factory=list)
    contexts: list = field(default_factory=list)
    logits: list = field(default_factory=list)
    fed: np.ndarray | None = None


class Seq2Seq(nn.Module):
    """Embeddings, encoder and decoder cells (GRU or LSTM), attention and the readout W_hy."""

    def __init__(self, vocab_size: int, config: Seq2SeqConfig, *, fused: bool = True):
        super().__init__()
        rng = np.random.default_rng(config.seed)
        e, h = config.embedding_dim, config.hidden_size
        cell = nn.GRU if config.cell == "gru" else nn.LSTM
        context = 0 if config.attention == "none" else h
        self.source_embedding = nn.Embedding(vocab_size, e, padding_idx=PAD, seed=rng)
        self.target_embedding = nn.Embedding(vocab_size, e, padding_idx=PAD, seed=rng)
        self.encoder = cell(e, h, fused=fused, seed=rng)
        self.decoder = cell(e + context, h, fused=fused, seed=rng)
        if context:
            self.attention = Attention(config.attention, h, config.attention_size, rng)
        self.readout = nn.Linear(h + context, vocab_size, seed=rng)
        self.config, self.lstm = config, config.cell == "lstm"

    @property
    def has_attention(self) -> bool:
        return self.config.attention != "none"

    def _cell(self, cell, x, state: tuple) -> tuple:
        """One step of ``cell`` on x (B, F) from ``state`` (h,) or (h, c), each (1, B, H)."""
        _, new = cell(x.reshape(1, *x.shape), state if self.lstm else state[0])
        return new if self.lstm else (new,)

    def _record_state(self, states: list, cells: list, state: tuple) -> None:
        states.append(state[0])
        if self.lstm:
            cells.append(state[1])

    def forward(self, source: np.ndarray, source_mask: np.ndarray, target: np.ndarray | None = None,
                *, steps: int | None = None, teacher_forcing: float = 1.0,
                rng: np.random.Generator | None = None) -> Seq2SeqPass:
        """Encode ``source`` (T_in, B) ids and decode ``target``'s length (or ``steps``) tokens.

        Each decoder step is fed the true previous target token with probability
        ``teacher_forcing`` (drawn from ``rng`` per token), else its own greedy choice.
        """
        t_out = target.shape[0] if target is not None else steps
        if t_out is None:
            raise ValueError("give a target or a number of steps to decode")
        record = Seq2SeqPass()
        summary = self._encode(source, source_mask, record)
        self._decode(summary, np.where(source_mask, 0.0, _MASKED), t_out, target,
                     teacher_forcing, rng, record)
        return record

    def _encode(self, source: np.ndarray, source_mask: np.ndarray, record: Seq2SeqPass) -> tuple:
        """Run the encoder over the source; padding keeps the state, so the last is the summary s."""
        t_in, batch = source.shape
        state = (np.zeros((1, batch, self.config.hidden_size)),) * (2 if self.lstm else 1)
        for t in range(t_in):
            x = self.source_embedding(source[t])
            new = self._cell(self.encoder, x, state)
            if source_mask[t].all():
                state = new
            else:  # where a sequence has ended, its state stays as it was
                valid = source_mask[t].reshape(1, batch, 1)
                state = tuple(F.where(valid, n, old) for n, old in zip(new, state))
            record.source_embeddings.append(x)
            self._record_state(record.encoder_states, record.encoder_cells, state)
        if self.has_attention:
            record.encoder_matrix = F.concat(record.encoder_states, axis=0)
            record.attention_keys = self.attention.keys(record.encoder_matrix)
        return state

    def _decode(self, state: tuple, mask_bias: np.ndarray, t_out: int, target: np.ndarray | None,
                teacher_forcing: float, rng: np.random.Generator | None, record: Seq2SeqPass) -> None:
        """Decoder steps from the summary: attend (query h_{t-1}), step the cell, read out."""
        batch, h = mask_bias.shape[1], self.config.hidden_size
        record.fed = np.empty((t_out, batch), dtype=np.int64)
        previous = np.full(batch, SOS, dtype=np.int64)
        for t in range(t_out):
            record.fed[t] = previous
            x = self.target_embedding(previous)
            record.decoder_embeddings.append(x)
            inputs = [x]
            if self.has_attention:
                weights, context = self.attention(state[0].reshape(batch, h), record.attention_keys,
                                                  record.encoder_matrix, mask_bias,
                                                  record.attention[-1] if record.attention else None)
                record.attention.append(weights)
                record.contexts.append(context)
                inputs.append(context)
            state = self._cell(self.decoder, F.concat(inputs, axis=1) if len(inputs) > 1 else x, state)
            self._record_state(record.decoder_states, record.decoder_cells, state)
            features = [state[0].reshape(batch, h)] + inputs[1:]
            logits = self.readout(F.concat(features, axis=1) if len(features) > 1 else features[0])
            record.logits.append(logits)
            previous = np.argmax(logits.data, axis=1)
            if target is not None and teacher_forcing > 0.0:
                forced = (np.ones(batch, dtype=bool) if teacher_forcing >= 1.0
                          else rng.random(batch) < teacher_forcing)
                previous = np.where(forced, target[t], previous)


def sequence_loss(logits: Sequence, target: np.ndarray, target_mask: np.ndarray):
    """Mean cross-entropy over the real (unpadded) target tokens, EOS included."""
    stacked = F.stack(list(logits), axis=0)
    t_out, batch, vocab = stacked.shape
    rows = F.cross_entropy(stacked.reshape(t_out * batch, vocab), target.reshape(-1), reduction="none")
    mask = target_mask.reshape(-1).astype(np.float64)
    return (rows * mask).sum() / max(mask.sum(), 1.0)


def token_accuracy(predicted: np.ndarray, target: np.ndarray, target_mask: np.ndarray) -> float:
    """Fraction of the target's symbols (EOS and padding not counted) predicted right."""
    symbols = target_mask & (target != EOS)
    return float(np.mean(predicted[symbols] == target[symbols])) if symbols.any() else 1.0


@dataclass(frozen=True)
class Seq2SeqReport:
    """One training step: its loss and the training batch's token accuracy (as fed)."""

    step: int
    loss: float
    accuracy: float


@dataclass(frozen=True)
class Seq2SeqScore:
    """Greedy decoding (no teacher forcing) on a fixed, seeded set of examples."""

    token_accuracy: float
    sequence_accuracy: float
    """Fraction of examples right in every token, EOS included."""
    longest_input: int
    examples: int


@dataclass(frozen=True)
class Decoding:
    """One input greedily decoded, with what the lab draws at every output step.

    ``probabilities`` (T_out, V) is each step's softmax; ``top_tokens``/``top_probs`` its
    k most likely tokens; ``attention`` (T_out, T_in) the weights a_tj (None without
    attention); ``encoder_states`` (T_in, H), ``summary`` (H,) the encoder's last state s,
    ``decoder_states`` (T_out, H).  Steps stop after the first ``</s>``.
    """

    source: str
    source_tokens: tuple[str, ...]
    output: str
    output_tokens: tuple[str, ...]
    probabilities: np.ndarray
    top_tokens: tuple[tuple[str, ...], ...]
    top_probs: np.ndarray
    attention: np.ndarray | None
    encoder_states: np.ndarray
    summary: np.ndarray
    decoder_states: np.ndarray


@dataclass(frozen=True)
class UnrolledGraph:
    """One example as an engine graph: ``loss`` (named "L") is the root; ``groups`` are
    (name, output node, boundary nodes) per cell, for the explorer to collapse."""

    loss: Tensor
    groups: list[tuple[str, Tensor, list]]


class Seq2SeqTrainer(SteppedTrainer):
    """Trains one :class:`Seq2Seq` on its task with Adam; seeded data and teacher forcing."""

    label = "seq2seq"

    def __init__(self, config: Seq2SeqConfig = Seq2SeqConfig()):
        super().__init__()
        self.config = config
        self.task: Seq2SeqTask = make_task(config.task, config.length)
        self.vocabulary = self.task.vocabulary
        self.model = Seq2Seq(len(self.vocabulary), config)
        self.parameters = list(self.model.parameters())
        self.optimizer = Adam(self.parameters, lr=config.lr)
        self.data_rng = np.random.default_rng(config.seed + 1)
        self.forcing_rng = np.random.default_rng(config.seed + 2)

    # -- training ------------------------------------------------------------------------
    def batch(self, n: int, rng: np.random.Generator, task: Seq2SeqTask | None = None) -> Seq2SeqBatch:
        """``n`` fresh examples of the task (or of ``task``, e.g. a longer version) as ids."""
        return encode_batch((task or self.task).pairs(n, rng), self.vocabulary)

    def train_step(self) -> Seq2SeqReport:
        """One batch, one backward pass, one Adam update; NonFiniteError instead of a bad update."""
        batch = self.batch(self.config.batch_size, self.data_rng)
        self.optimizer.zero_grad()
        run = self.model(batch.source, batch.source_mask, batch.target,
                         teacher_forcing=self.config.teacher_forcing, rng=self.forcing_rng)
        loss = sequence_loss(run.logits, batch.target, batch.target_mask)
        loss.backward()
        self._check_finite(self.label, {"the loss": loss.item()}, self.model)
        if self.config.clip_norm is not None:
            clip_grad_norm(self.parameters, self.config.clip_norm)
        self.optimizer.step()
        predicted = np.stack([np.argmax(z.data, axis=1) for z in run.logits])
        return self._finish(Seq2SeqReport(self.steps_done, loss.item(),
                                          token_accuracy(predicted, batch.target, batch.target_mask)))

    # -- what the lab shows --------------------------------------------------------------
    def evaluate(self, examples: int = 200, length: int | None = None, seed: int = 12345) -> Seq2SeqScore:
        """Greedy decoding accuracy on ``examples`` seeded inputs (of up to ``length`` symbols)."""
        task = self.task if length is None else self.task.with_length(length)
        batch = self.batch(examples, np.random.default_rng(seed), task)
        with no_grad():
            run = self.model(batch.source, batch.source_mask, batch.target, teacher_forcing=0.0)
        predicted = np.stack([np.argmax(z.data, axis=1) for z in run.logits])
        right = (predicted == batch.target) | ~batch.target_mask
        return Seq2SeqScore(token_accuracy(predicted, batch.target, batch.target_mask),
                            float(np.mean(right.all(axis=0))), batch.source.shape[0], examples)

    def decode(self, source: str, k: int = 3, max_steps: int | None = None) -> Decoding:
        """Greedy decoding of one source string, with every step's top-``k`` tokens."""
        ids = np.array(encode(source, self.vocabulary), dtype=np.int64)[:, None]
        if len(ids) == 0:
            raise ValueError("the source is empty: type at least one symbol")
        steps = max_steps or len(source) + 3
        with no_grad():
            run = self.model(ids, ids != PAD, steps=steps)
        logits = np.stack([z.data[0] for z in run.logits])
        out_ids = logits.argmax(axis=1)
        ends = np.flatnonzero(out_ids == EOS)
        n = int(ends[0]) + 1 if len(ends) else steps
        probs = F.softmax(logits[:n], axis=1)
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        vocab = self.vocabulary
        attention = (np.stack([a.data[:, 0] for a in run.attention[:n]])
                     if run.attention else None)
        encoder = np.stack([s.data[0, 0] for s in run.encoder_states])
        return Decoding(
            source=source, source_tokens=tuple(source),
            output=decode_ids(out_ids[:n], vocab),
            output_tokens=tuple(vocab[i] for i in out_ids[:n]),
            probabilities=probs,
            top_tokens=tuple(tuple(vocab[i] for i in row) for row in order),
            top_probs=np.take_along_axis(probs, order, axis=1),
            attention=attention, encoder_states=encoder, summary=encoder[-1],
            decoder_states=np.stack([s.data[0, 0] for s in run.decoder_states[:n]]))

    def unrolled(self, source: str, target: str | None = None) -> UnrolledGraph:
        """One example (target: the task's answer) unrolled through encoder and decoder.

        Built on a copy of the trained weights with unfused cells, so every gate is a node
        and backward steps from L through the decoder, across the summary s = enc_h{n}
        (the decoder's initial state), back through the encoder.  Node names: enc_x{t},
        enc_h{t} (LSTM: enc_c{t}), dec_x{t}, a_{t}, ctx_{t}, dec_h{t}, y_{t} (logits), L.
        """
        target = self.task.answer(source) if target is None else target
        batch = encode_batch([(source, target)], self.vocabulary)
        model = Seq2Seq(len(self.vocabulary), self.config, fused=False)
        model.load_state_dict(self.model.state_dict())
        params = []
        for name, p in model.named_parameters():
            p.name = name
            params.append(p)
        run = model(batch.source, batch.source_mask, batch.target)
        loss = sequence_loss(run.logits, batch.target, batch.target_mask)
        loss.name = "L"
        reads_previous = model.has_attention and model.attention.kind == "location"
        return UnrolledGraph(loss, _name_and_group(run, params, reads_previous))


def _name_and_group(run: Seq2SeqPass, params: list, reads_previous: bool) -> list[tuple[str, Tensor, list]]:
    """Name the pass's nodes for the explorer and return its cells as (name, output, boundary);
    ``reads_previous``: the attention scores read the previous step's weights (location-aware)."""
    groups: list[tuple[str, Tensor, list]] = []
    prev: list = []
    for t, (x, h) in enumerate(zip(run.source_embeddings, run.encoder_states), start=1):
        x.name, h.name = f"enc_x{t}", f"enc_h{t}"
        state = [h]
        if run.encoder_cells:
            run.encoder_cells[t - 1].name = f"enc_c{t}"
            state.append(run.encoder_cells[t - 1])
        groups.append((f"embed x{t}", x, params))
        groups.append((f"encoder t={t}", h, prev + [x] + params))
        prev = state
    if run.encoder_matrix is not None:
        run.encoder_matrix.name = "enc_H"
        if run.attention_keys is not run.encoder_matrix:
            run.attention_keys.name = "U enc_H"
    for t, (x, h) in enumerate(zip(run.decoder_embeddings, run.decoder_states), start=1):
        x.name, h.name = f"dec_x{t}", f"dec_h{t}"
        run.logits[t - 1].name = f"y_{t}"
        groups.append((f"embed y{t - 1}", x, params))
        inputs = [x]
        if run.attention:
            run.attention[t - 1].name, run.contexts[t - 1].name = f"a_{t}", f"ctx_{t}"
            keys = [run.encoder_matrix, run.attention_keys]
            if reads_previous and t > 1:  # the previous weights: a boundary of this cell
                keys.append(run.attention[t - 2])
            groups.append((f"attention t={t}", run.contexts[t - 1], prev + keys + params))
            inputs.append(run.contexts[t - 1])
        state = [h]
        if run.decoder_cells:
            run.decoder_cells[t - 1].name = f"dec_c{t}"
            state.append(run.decoder_cells[t - 1])
        groups.append((f"decoder t={t}", h, prev + inputs + params))
        prev = state
    return groups
