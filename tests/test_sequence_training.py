"""Side-by-side training: the LSTM remembers where the plain RNN forgets, NaNs pause with a place."""
import time

import numpy as np
import pytest

from engine.sequence_tasks import Batch, make_task
from engine.expr import parse
from engine.sequence_training import (NonFiniteError, SequenceTrainer, TrainConfig, clip_grad_norm,
                                      train_side_by_side, unrolled_program)


def test_lstm_beats_the_plain_rnn_at_remembering_the_first_bit():
    task = make_task("first_bit", 20)
    trainers = [SequenceTrainer(task, cell, TrainConfig(seed=0)) for cell in ("rnn", "lstm")]
    log = []
    start = time.perf_counter()
    assert train_side_by_side(trainers, 80, log.append) == 80
    elapsed = time.perf_counter() - start
    rnn, lstm = (np.mean([r[k].accuracy for r in log[-20:]]) for k in (0, 1))
    assert lstm >= 0.9 > 0.7 >= rnn, (lstm, rnn)
    assert elapsed < 20


def test_both_saw_the_same_batches():
    task = make_task("adding", 10)
    a, b = (SequenceTrainer(task, cell, TrainConfig(seed=3)) for cell in ("rnn", "gru"))
    assert np.array_equal(task.batch(4, a.data_rng).inputs, task.batch(4, b.data_rng).inputs)


@pytest.mark.parametrize("name", ["copy", "parentheses"])
def test_rnn_and_lstm_learn_copy_and_parentheses_in_a_lecture_budget(name):
    task = make_task(name, 20)
    trainers = [SequenceTrainer(task, cell, TrainConfig(seed=0)) for cell in ("rnn", "lstm")]
    log = []
    start = time.perf_counter()
    train_side_by_side(trainers, 100, log.append)
    learned = [np.mean([r[k].accuracy for r in log[-20:]]) for k in (0, 1)]
    assert min(learned) > 0.6 > max(r.accuracy for r in log[0]), learned
    assert time.perf_counter() - start < 20


@pytest.mark.parametrize("name", ["first_bit", "adding", "sine", "next_char", "copy", "parentheses"])
def test_measure_reports_one_gradient_norm_per_step(name):
    task = make_task(name, 12)
    for cell in ("rnn", "lstm", "gru"):
        trainer = SequenceTrainer(task, cell, TrainConfig(hidden_size=6, batch_size=4))
        report = trainer.measure(task.batch(4, np.random.default_rng(0)))
        assert report.grad_h.shape == (12,) and np.all(report.grad_h >= 0)
        assert (report.grad_c is not None) == (cell == "lstm")
        assert np.isfinite(report.loss)
        assert (report.accuracy is None) == (task.loss == "mse")
        assert trainer.steps_done == 0


def _fraction_surviving(scale: float, activation: str) -> float:
    task = make_task("first_bit", 20)
    config = TrainConfig(rnn_scale=scale, rnn_activation=activation, seed=1)
    report = SequenceTrainer(task, "rnn", config).measure(task.batch(32, np.random.default_rng(0)))
    return report.grad_h[0] / report.grad_h[-1]


def test_recurrent_weight_scale_makes_the_rnn_gradient_vanish_or_explode():
    assert _fraction_surviving(0.25, "tanh") < 1e-8
    assert _fraction_surviving(4.0, "relu") > 1e3


def test_lstm_cell_keeps_more_gradient_than_the_plain_rnn_at_init():
    task = make_task("first_bit", 20)
    batch = task.batch(32, np.random.default_rng(0))
    lstm = SequenceTrainer(task, "lstm").measure(batch)
    rnn = SequenceTrainer(task, "rnn").measure(batch)
    assert lstm.grad_c[0] / lstm.grad_c[-1] > 100 * rnn.grad_h[0] / rnn.grad_h[-1]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_the_forward_pass_names_step_model_and_tensor_and_skips_the_update():
    trainer = SequenceTrainer(make_task("first_bit", 8), "gru", TrainConfig(hidden_size=4))
    trainer.train_step()
    trainer.model.rnn.weight_ih.data[0, 0] = np.nan
    before = [p.data.copy() for p in trainer.parameters]
    with pytest.raises(NonFiniteError, match=r"step 1, GRU: hidden state h_t at t = 0") as info:
        trainer.train_step()
    assert (info.value.step, info.value.where) == (1, "GRU")
    for b, p in zip(before, trainer.parameters):
        np.testing.assert_array_equal(b, p.data)
    assert trainer.steps_done == 1


def test_nan_loss_is_reported_as_the_loss():
    task = make_task("sine", 6)
    trainer = SequenceTrainer(task, "rnn", TrainConfig(hidden_size=3))
    trainer.task = _NanTargets(task)
    with pytest.raises(NonFiniteError, match="the loss"):
        trainer.train_step()


class _NanTargets:
    """A task whose targets are NaN, so the forward pass is fine but the loss is not."""

    def __init__(self, task):
        self.task = task

    def batch(self, batch_size, rng):
        inputs, targets, loss = self.task.batch(batch_size, rng)
        return Batch(inputs, targets * np.nan, loss)


def test_cancel_flag_stops_between_rounds():
    trainer = SequenceTrainer(make_task("first_bit", 5), "rnn", TrainConfig(hidden_size=3))
    seen = []
    done = train_side_by_side([trainer], 100, seen.append, should_stop=lambda: len(seen) >= 3)
    assert done == 3 == trainer.steps_done


def test_gate_trace_is_the_models_record_for_one_sequence():
    task = make_task("first_bit", 9)
    config = TrainConfig(hidden_size=5, memory_bias=2.0)
    trainer = SequenceTrainer(task, "lstm", config)
    example = task.batch(3, np.random.default_rng(2)).inputs
    trace = trainer.gate_trace(example[:, 1])
    trainer.model(example)
    for key, value in trace.items():
        assert value.shape == (9, 5)
        np.testing.assert_allclose(value, trainer.model.rnn.last_gates[key][:, 1], atol=1e-12)
    rnn, h = trainer.model.rnn, 5
    pre_f = (rnn.weight_ih.data[h:2 * h] @ example[0, 1] + rnn.bias_ih.data[h:2 * h]
             + rnn.bias_hh.data[h:2 * h])  # h_{-1} = 0: only input and biases
    np.testing.assert_allclose(trace["f"][0], 1 / (1 + np.exp(-pre_f)), atol=1e-12)
    for cell in ("lstm", "gru"):  # forget gate f, update gate z: both start keeping memory
        kept, plain = (SequenceTrainer(task, cell, TrainConfig(hidden_size=5, memory_bias=b)).model.rnn
                       .bias_hh.data for b in (2.0, 0.0))
        shift = np.zeros_like(kept)
        shift[h:2 * h] = 2.0
        np.testing.assert_allclose(kept - plain, shift)
    assert set(SequenceTrainer(task, "gru", config).gate_trace(example[:, 0])) == set("rznh")


def test_clip_grad_norm_scales_all_gradients_together():
    trainer = SequenceTrainer(make_task("first_bit", 5), "rnn", TrainConfig(hidden_size=3))
    trainer.measure(trainer.task.batch(4, np.random.default_rng(0)))
    total = clip_grad_norm(trainer.parameters, 1e-3)
    after = np.sqrt(sum(np.sum(p.grad ** 2) for p in trainer.parameters))
    assert total > 1e-3 and after == pytest.approx(1e-3)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceTrainer(make_task("first_bit", 5), "transformer")


def test_unrolled_gru_is_torchs_gru_on_the_same_weights(torch):
    task = make_task("adding", 6)
    trainer = SequenceTrainer(task, "gru", TrainConfig(hidden_size=5, seed=4))
    trainer.train_step()  # trained weights, not the symmetric start
    example = task.batch(1, np.random.default_rng(9)).inputs[:, 0]
    source, values = unrolled_program(trainer, example)
    program = parse(source)
    assert {"r2", "z2", "n2", "h2"} <= {name for name, _ in program.statements}
    assert set(program.inputs) == set(values) >= {"W_hn", "b_n", "b_hn"}
    h3 = parse(source + "\nh3").build(values).data[:, 0]
    reference = torch.nn.GRU(2, 5).double()
    with torch.no_grad():
        for name, p in trainer.model.rnn.named_parameters():
            getattr(reference, name).copy_(torch.from_numpy(p.data))
        out, _ = reference(torch.from_numpy(example[:3, None, :]))
    np.testing.assert_allclose(h3, out[-1, 0].numpy(), atol=1e-12)
    ours, _ = trainer.model.rnn(example[:3, None, :])
    np.testing.assert_allclose(h3, ours.data[-1, 0], atol=1e-12)
    assert program.build(values).data == pytest.approx(h3.sum())
