"""engine.generative.seq2seq: the encoder-decoder learns its toy tasks, attention helps on long
inputs, and everything the lab draws (top-k, attention maps, the unrolled graph) is right."""
from __future__ import annotations

import numpy as np
import pytest

from viewmodel.groups import group_between
from engine import Graph, no_grad
from engine.generative import seq2seq_tasks as tasks
from engine.generative.scenarios import SCENARIOS
from engine.generative.seq2seq import (Seq2SeqConfig, Seq2SeqTrainer, sequence_loss,
                                       token_accuracy)
from engine.nonfinite import NonFiniteError


@pytest.fixture(scope="module")
def reverser() -> Seq2SeqTrainer:
    """The reversal scenario trained for its budget (dot attention, inputs of 2-6 digits)."""
    scenario = SCENARIOS["seq2seq-reverse"]
    trainer = scenario.trainers()[0]
    trainer.train(scenario.steps)
    return trainer


def test_reversal_reaches_95_percent_token_accuracy(reverser):
    score = reverser.evaluate(examples=300)
    assert score.token_accuracy >= 0.95, score
    assert reverser.history[-1].loss < 0.5 * reverser.history[0].loss


def test_attention_beats_no_attention_on_inputs_twice_as_long():
    """Both models see reversals of up to 12 digits (twice the default 6) for the same budget;
    on long inputs (7-12 digits) attention gets clearly more digits right."""
    scenario = SCENARIOS["seq2seq-attention-long"]
    with_attention, without = scenario.trainers()
    assert with_attention.config.length == 2 * tasks.Reverse().length
    for trainer in (with_attention, without):
        trainer.train(scenario.steps)
    a = with_attention.evaluate(examples=200, length=12)
    b = without.evaluate(examples=200, length=12)
    assert a.token_accuracy >= b.token_accuracy + 0.2, (a, b)


def test_location_attention_beats_no_attention_on_inputs_twice_the_training_length():
    """Both models train on reversals of at most 6 digits; tested on 7-12 digits (never seen),
    location-aware attention gets clearly more digits right than the summary s alone."""
    scenario = SCENARIOS["seq2seq-attention-twice"]
    located, without = scenario.trainers()
    for trainer in (located, without):
        assert trainer.task.length == tasks.Reverse().length
        trainer.train(scenario.steps)
    a = located.evaluate(examples=200, length=2 * located.task.length)
    b = without.evaluate(examples=200, length=2 * without.task.length)
    assert a.longest_input == 12 and a.token_accuracy >= b.token_accuracy + 0.2, (a, b)
    assert located.evaluate(examples=200).token_accuracy >= 0.95


def test_decode_shows_steps_top_k_attention_and_states(reverser):
    d = reverser.decode("31415", k=3)
    assert d.output == "51413" and d.output_tokens[-1] == "</s>"
    steps = len(d.output_tokens)
    vocab = len(reverser.vocabulary)
    assert d.probabilities.shape == (steps, vocab)
    np.testing.assert_allclose(d.probabilities.sum(axis=1), 1.0)
    assert d.top_probs.shape == (steps, 3) and np.all(np.diff(d.top_probs, axis=1) <= 0)
    assert [row[0] for row in d.top_tokens] == list(d.output_tokens)
    assert d.attention.shape == (steps, 5)
    np.testing.assert_allclose(d.attention.sum(axis=1), 1.0)
    # reversing: an anti-diagonal, from the last input at the first output to the first at </s>
    looked_at = d.attention.argmax(axis=1)
    assert looked_at[0] == 4 and looked_at[-1] == 0 and np.all(np.diff(looked_at) <= 0), looked_at
    h = reverser.config.hidden_size
    assert d.encoder_states.shape == (5, h) and d.decoder_states.shape == (steps, h)
    np.testing.assert_array_equal(d.summary, d.encoder_states[-1])


def test_decode_refuses_unknown_symbols_and_empty_input(reverser):
    with pytest.raises(ValueError, match="character 'x' is not in this task's vocabulary"):
        reverser.decode("12x")
    with pytest.raises(ValueError, match="empty"):
        reverser.decode("")


def test_padding_changes_nothing_and_gets_no_attention(reverser):
    """A short input padded in a batch with a long one gives the same summary and outputs."""
    vocab = reverser.vocabulary
    batch = tasks.encode_batch([("12", "21"), ("345678", "876543")], vocab)
    alone = tasks.encode_batch([("12", "21")], vocab)
    with no_grad():
        both = reverser.model(batch.source, batch.source_mask, batch.target)
        single = reverser.model(alone.source, alone.source_mask, alone.target)
    np.testing.assert_allclose(both.encoder_states[-1].data[0, 0], single.encoder_states[-1].data[0, 0],
                               atol=1e-12)
    for t in range(3):
        np.testing.assert_allclose(both.logits[t].data[0], single.logits[t].data[0], atol=1e-12)
        assert np.all(both.attention[t].data[2:, 0] == 0.0)


def test_teacher_forcing_feeds_the_target_or_the_models_own_guess():
    trainer = Seq2SeqTrainer(Seq2SeqConfig(teacher_forcing=0.5, seed=3))
    batch = trainer.batch(64, np.random.default_rng(0))
    with no_grad():
        forced = trainer.model(batch.source, batch.source_mask, batch.target, teacher_forcing=1.0)
        free = trainer.model(batch.source, batch.source_mask, batch.target, teacher_forcing=0.0)
        mixed = trainer.model(batch.source, batch.source_mask, batch.target, teacher_forcing=0.5,
                              rng=np.random.default_rng(1))
    np.testing.assert_array_equal(forced.fed[0], tasks.SOS)
    np.testing.assert_array_equal(forced.fed[1:], batch.target[:-1])
    guesses = np.stack([z.data.argmax(axis=1) for z in free.logits])
    np.testing.assert_array_equal(free.fed[1:], guesses[:-1])
    from_target = mixed.fed[1:] == batch.target[:-1]
    assert 0.3 < from_target.mean() < 0.95  # about half forced, plus the guesses that were right
    with pytest.raises(ValueError, match="teacher_forcing is a probability"):
        Seq2SeqConfig(teacher_forcing=1.5)


@pytest.mark.parametrize("task", ["sort", "add", "date"])
def test_every_task_trains_a_few_steps_and_decodes(task):
    trainer = Seq2SeqTrainer(Seq2SeqConfig(task=task, attention="additive", cell="lstm"))
    first = trainer.train_step()
    for _ in range(4):
        last = trainer.train_step()
    assert np.isfinite(last.loss) and last.loss < first.loss
    source, target = trainer.task.pair(np.random.default_rng(0))
    assert trainer.task.answer(source) == target
    d = trainer.decode(source)
    assert d.attention.shape[1] == len(source)


def test_task_answers_and_batches():
    assert tasks.Reverse().answer("123") == "321"
    assert tasks.Sort().answer("3130") == "0133"
    assert tasks.Addition().answer("57+8") == "65"
    assert tasks.DateFormat().answer("3 March 2021") == "2021-03-03"
    with pytest.raises(ValueError, match="a date looks like 3 March 2021"):
        tasks.DateFormat().answer("March 3 2021")
    with pytest.raises(ValueError, match="an addition looks like"):
        tasks.Addition().answer("5-3")
    long = tasks.Reverse().with_length(12)
    lengths = [len(s) for s, _ in long.pairs(200, np.random.default_rng(0))]
    assert min(lengths) >= 7 and max(lengths) == 12
    b = tasks.encode_batch([("12", "21"), ("3", "3")], tasks.Reverse().vocabulary)
    assert b.source.shape == (2, 2) and b.target.shape == (3, 2)
    np.testing.assert_array_equal(b.target_mask[:, 1], [True, True, False])
    assert b.target[1, 1] == tasks.EOS
    assert tasks.decode_ids(b.target[:, 0], tasks.Reverse().vocabulary) == "21"
    with pytest.raises(KeyError, match="choose one of: reverse, sort, add, date"):
        tasks.make_task("copy")


def test_loss_and_accuracy_ignore_padding():
    target = np.array([[3, 4], [2, 2], [2, 0]])
    mask = target != tasks.PAD
    logits = [np.eye(5)[row] * 20.0 for row in target]
    logits[2][1] = np.full(5, 7.0)  # junk where the target is padding
    assert sequence_loss(logits, target, mask).item() < 1e-6
    predicted = np.array([[3, 1], [2, 2], [2, 4]])
    assert token_accuracy(predicted, target, mask) == 0.5  # EOS and padding not counted


def test_unrolled_graph_names_cells_and_backprops_across_the_boundary(reverser):
    """The unrolled copy computes the trained model's loss and gradients; L's backward reaches
    the first encoder cell through the summary; the cells form disjoint collapsible groups."""
    unrolled = reverser.unrolled("123")
    graph = Graph(unrolled.loss)
    names = {n.name for n in graph.nodes if n.name}
    assert {"enc_x1", "enc_h1", "enc_h3", "dec_h1", "dec_h4", "a_2", "ctx_2", "y_1", "L"} <= names
    batch = tasks.encode_batch([("123", "321")], reverser.vocabulary)
    reverser.optimizer.zero_grad()
    run = reverser.model(batch.source, batch.source_mask, batch.target)
    fused = sequence_loss(run.logits, batch.target, batch.target_mask)
    fused.backward()
    assert unrolled.loss.item() == pytest.approx(fused.item(), abs=1e-12)
    unrolled.loss.backward()
    copies = {n.name: n for n in graph.nodes if n.prim is None and n.requires_grad}
    for name, p in reverser.model.named_parameters():
        np.testing.assert_allclose(copies[name].grad, p.grad, atol=1e-10, err_msg=name)
    reverser.optimizer.zero_grad()
    steps = graph.backward_trace()
    reached = {graph.nodes[s.index].name for s in steps}
    assert {"dec_h1", "enc_h3", "enc_h1", "enc_x1"} <= reached
    assert np.abs(graph.find("enc_h1").grad).sum() > 0
    kinds = [name.split(" ")[0] for name, _, _ in unrolled.groups]
    assert kinds.count("encoder") == 3 and kinds.count("decoder") == 4 and kinds.count("attention") == 4
    seen: set[int] = set()
    for name, output, boundary in unrolled.groups:
        group = group_between(name, output, boundary)
        assert id(output) in group.members and not seen & group.members, name
        seen |= group.members


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN arithmetic is the point here
def test_nan_in_training_names_the_step_and_the_model():
    trainer = Seq2SeqTrainer(Seq2SeqConfig(seed=1))
    trainer.train_step()
    trainer.model.readout.weight.data[0, 0] = np.nan
    before = trainer.model.encoder.weight_hh.data.copy()
    with pytest.raises(NonFiniteError, match="training step 1, seq2seq: the loss is not finite"):
        trainer.train_step()
    np.testing.assert_array_equal(trainer.model.encoder.weight_hh.data, before)  # no update


def test_training_stops_when_asked_between_steps():
    trainer = Seq2SeqTrainer(Seq2SeqConfig(seed=2))
    seen = []
    done = trainer.train(50, on_step=seen.append, should_stop=lambda: len(seen) >= 3)
    assert done == 3 and trainer.steps_done == 3 and [r.step for r in seen] == [0, 1, 2]


def test_config_errors_name_the_choices():
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2SeqConfig(attention="luong")
    with pytest.raises(ValueError, match="cell must be one of"):
        Seq2SeqConfig(cell="rnn")
