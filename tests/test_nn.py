"""engine.nn: the Module protocol, layers, initializers and recurrent networks vs PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import engine
import engine.functional as F
from engine import Tensor, gradcheck, nn
from engine.nn import init


def rand(seed: int, *shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# -- Module protocol ----------------------------------------------------------------------
def test_parameters_names_and_repr():
    m = nn.MLP([2, 4, 3, 1], activation="tanh", seed=0)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert sum(p.size for p in m.parameters()) == 2 * 4 + 4 + 4 * 3 + 3 + 3 + 1
    assert [type(c).__name__ for c in m.children()] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert "(0): Linear(in_features=2, out_features=4, bias=True)" in repr(m)
    assert isinstance(m[0].weight, nn.Parameter) and m[0].weight.requires_grad


def test_train_eval_and_zero_grad():
    m = nn.Sequential(nn.Linear(3, 2, seed=0), nn.Dropout(0.5), nn.BatchNorm1d(2))
    assert all(mod.training for mod in m.modules())
    m.eval()
    assert not any(mod.training for mod in m.modules())
    x = rand(0, 4, 3)
    np.testing.assert_allclose(m(Tensor(x)).data, F.linear(x, m[0].weight.data, m[0].bias.data)
                               / np.sqrt(1 + 1e-5))
    m.train()
    m(Tensor(x)).sum().backward()
    assert m[0].weight.grad is not None
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_round_trip_and_clear_errors():
    a, b = nn.Sequential(nn.Linear(3, 2, seed=0), nn.BatchNorm1d(2)), nn.Sequential(
        nn.Linear(3, 2, seed=1), nn.BatchNorm1d(2))
    a.train()(Tensor(rand(0, 5, 3)))  # moves running statistics
    state = a.state_dict()
    assert set(state) == {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"}
    b.load_state_dict(state)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    np.testing.assert_array_equal(b[1].running_mean, a[1].running_mean)
    state["0.weight"][...] = 0.0  # a copy: the model is untouched
    assert np.any(a[0].weight.data != 0)

    broken = dict(state)
    del broken["0.bias"]
    broken["extra"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys \['0.bias'\].*unexpected keys \['extra'\]"):
        b.load_state_dict(broken)
    with pytest.raises(ValueError, match=r"'0.weight'.*\(3, 3\).*\(2, 3\)"):
        b.load_state_dict(dict(state, **{"0.weight": np.zeros((3, 3))}))
    b.load_state_dict({"0.bias": np.ones(2)}, strict=False)
    np.testing.assert_array_equal(b[0].bias.data, 1.0)


def test_module_needs_super_init():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))
    with pytest.raises(AttributeError, match="super"):
        Broken()


# -- layers vs PyTorch ----------------------------------------------------------------------------
def copy_to_torch(ours, theirs, rename=lambda n: n):
    import torch
    params = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, p in ours.named_parameters():
            params[rename(name)].copy_(torch.from_numpy(p.data))


def test_cnn_layers_match_torch(torch):
    ours = nn.Sequential(nn.Conv2d(2, 4, 3, stride=1, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 3, 2, dilation=2, seed=1), nn.AvgPool2d(1), nn.Flatten(),
                         nn.Linear(3 * 1 * 2, 5, seed=2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Conv2d(4, 3, 2, dilation=2), torch.nn.AvgPool2d(1),
                                 torch.nn.Flatten(), torch.nn.Linear(6, 5)).double()
    copy_to_torch(ours, theirs)
    x, y = rand(0, 3, 2, 6, 8), np.array([0, 4, 2])
    loss = F.cross_entropy(ours(Tensor(x)), y)
    tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    assert loss.item() == pytest.approx(tloss.item(), abs=1e-12)
    loss.backward()
    tloss.backward()
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), atol=1e-12)


def test_batchnorm_and_layernorm_modules_match_torch(torch):
    bn, tbn = nn.BatchNorm1d(3, momentum=0.3), torch.nn.BatchNorm1d(3, momentum=0.3).double()
    ln, tln = nn.LayerNorm(3), torch.nn.LayerNorm(3).double()
    for step in range(3):
        x = rand(step, 8, 3) * 3 + 2
        np.testing.assert_allclose(bn(Tensor(x)).data, tbn(torch.tensor(x)).detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), atol=1e-12)
    bn.eval()
    tbn.eval()
    x = rand(9, 4, 3)
    np.testing.assert_allclose(bn(x).data,
                               tbn(torch.tensor(x)).detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(ln(Tensor(x)).data, tln(torch.tensor(x)).detach().numpy(), atol=1e-10)


def test_two_stacked_linear_layers_collapse_to_one():
    """Without an activation, W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)."""
    l1, l2 = nn.Linear(3, 4, seed=0), nn.Linear(4, 2, seed=1)
    x = rand(0, 5, 3)
    w, b = l2.weight.data @ l1.weight.data, l2.weight.data @ l1.bias.data + l2.bias.data
    np.testing.assert_allclose(nn.Sequential(l1, l2)(Tensor(x)).data, x @ w.T + b, atol=1e-12)


def test_layer_gradchecks():
    conv = nn.Conv2d(1, 2, 2, seed=0)
    assert gradcheck(lambda x, w: F.conv2d(x, w, conv.bias) ** 2, [rand(0, 1, 1, 3, 3), conv.weight.data])
    mlp = nn.MLP([3, 4, 2], activation="elu", seed=0)
    assert gradcheck(lambda x: mlp(x) ** 2, [rand(1, 2, 3)])


def test_mlp_training_reduces_the_loss():
    m = nn.MLP([2, 16, 1], seed=0)
    x = rand(0, 64, 2)
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)
    losses = []
    for _ in range(60):
        m.zero_grad()
        loss = F.binary_cross_entropy_with_logits(m(Tensor(x)), y)
        loss.backward()
        for p in m.parameters():
            p.data -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


# -- initialization ------------------------------------------------------------------------------
def test_default_init_bounds_and_seeds():
    a, b, c = nn.Linear(50, 40, seed=3), nn.Linear(50, 40, seed=3), nn.Linear(50, 40, seed=4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    bound = 1 / np.sqrt(50)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.9 * bound
    conv = nn.Conv2d(3, 8, 3, seed=0)
    assert np.abs(conv.weight.data).max() <= 1 / np.sqrt(27)
    lstm = nn.LSTM(5, 16, seed=0)
    assert all(np.abs(p.data).max() <= 0.25 for p in lstm.parameters())


def test_init_functions_follow_torch_formulas():
    w = nn.Parameter(np.empty((300, 200)))
    init.xavier_uniform_(w, generator=0)
    assert np.abs(w.data).max() <= np.sqrt(6 / 500) and w.data.std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)
    init.xavier_normal_(w, gain=2.0, generator=1)
    assert w.data.std() == pytest.approx(2 * np.sqrt(2 / 500), rel=0.05)
    init.kaiming_normal_(w, nonlinearity="relu", generator=2)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 200), rel=0.05)
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", generator=3)
    assert np.abs(w.data).max() <= np.sqrt(6 / 300)
    init.normal_(w, 1.0, 0.1, generator=np.random.default_rng(4))
    assert w.data.mean() == pytest.approx(1.0, abs=0.01)
    init.uniform_(w, -2, -1, generator=5)
    assert w.data.min() >= -2 and w.data.max() <= -1
    assert init.zeros_(w).data.sum() == 0 and init.ones_(w).data.sum() == w.size
    assert np.all(init.constant_(w, 0.5).data == 0.5)
    with pytest.raises(ValueError):
        init.xavier_uniform_(nn.Parameter(np.zeros(3)))


# -- recurrent networks ---------------------------------------------------------------------------
RECURRENT = [(nn.RNN, "RNN"), (nn.LSTM, "LSTM"), (nn.GRU, "GRU")]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("cls,torch_name", RECURRENT)
@pytest.mark.parametrize("state_shape", [None, "BH", "1BH"])
def test_recurrent_outputs_and_all_gradients_match_torch(torch, cls, torch_name, fused, state_shape):
    T, B, I, H = 6, 3, 4, 5
    ours = cls(I, H, fused=fused, seed=0)
    theirs = getattr(torch.nn, torch_name)(I, H).double()
    copy_to_torch(ours, theirs)
    x = rand(1, T, B, I)
    n_states = 2 if torch_name == "LSTM" else 1
    states = [rand(2 + k, 1, B, H) for k in range(n_states)]
    xt, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_s = [Tensor(s if state_shape == "1BH" else s[0], requires_grad=True) for s in states]
    theirs_s = [torch.tensor(s, requires_grad=True) for s in states]
    if state_shape is None:
        out, last = ours(xt)
        tout, tlast = theirs(tx)
    else:
        out, last = ours(xt, tuple(ours_s) if n_states == 2 else ours_s[0])
        tout, tlast = theirs(tx, tuple(theirs_s) if n_states == 2 else theirs_s[0])
    last, tlast = (last if n_states == 2 else (last,)), (tlast if n_states == 2 else (tlast,))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    for a, b in zip(last, tlast):
        assert a.shape == (1, B, H)
        np.testing.assert_allclose(a.data, b.detach().numpy(), atol=1e-12)
    w = rand(9, T, B, H)
    loss = (out * w).sum() + sum(((a * a).sum() for a in last), Tensor(0.0))
    tloss = (tout * torch.tensor(w)).sum() + sum((a * a).sum() for a in tlast)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-12)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), atol=1e-11)
    if state_shape is not None:
        for a, b in zip(ours_s, theirs_s):
            np.testing.assert_allclose(a.grad.reshape(1, B, H), b.grad.numpy(), atol=1e-12)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("fused", [True, False])
def test_lstm_gates_equal_a_recomputation_from_the_weights(fused):
    m = nn.LSTM(3, 4, fused=fused, seed=1)
    x = rand(0, 5, 2, 3)
    out, _ = m(Tensor(x))
    wi, wh, b = m.weight_ih.data, m.weight_hh.data, m.bias_ih.data + m.bias_hh.data
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    for t in range(5):
        i, f, g, o = np.split(x[t] @ wi.T + h @ wh.T + b, 4, axis=1)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c = f * c + i * g
        h = o * np.tanh(c)
        for key, value in dict(i=i, f=f, g=g, o=o, c=c, h=h).items():
            np.testing.assert_allclose(m.last_gates[key][t], value, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(out.data[-1], h, atol=1e-12)
    assert set(m.last_gates) == set("ifgoch")


@pytest.mark.parametrize("fused", [True, False])
def test_gru_gates_equal_a_recomputation_from_the_weights(fused):
    m = nn.GRU(3, 4, fused=fused, seed=2)
    x = rand(0, 5, 2, 3)
    m(Tensor(x))
    h = np.zeros((2, 4))
    for t in range(5):
        xi = x[t] @ m.weight_ih.data.T + m.bias_ih.data
        hh = h @ m.weight_hh.data.T + m.bias_hh.data
        r = _sigmoid(xi[:, :4] + hh[:, :4])
        z = _sigmoid(xi[:, 4:8] + hh[:, 4:8])
        n = np.tanh(xi[:, 8:] + r * hh[:, 8:])
        h = (1 - z) * n + z * h
        for key, value in dict(r=r, z=z, n=n, h=h).items():
            np.testing.assert_allclose(m.last_gates[key][t], value, atol=1e-12, err_msg=key)
    assert set(m.last_gates) == set("rznh")


@pytest.mark.parametrize("fused", [True, False])
def test_hidden_and_cell_grads_match_torch_per_step(torch, fused):
    """dL/dh_t and dL/dc_t for every t, against an unrolled torch.nn.LSTMCell with retain_grad."""
    T, B, I, H = 7, 2, 3, 4
    m = nn.LSTM(I, H, fused=fused, seed=3)
    cell = torch.nn.LSTMCell(I, H).double()
    copy_to_torch(m, cell, lambda n: n[:-len("_l0")])
    x = rand(0, T, B, I)
    out, (h_n, _) = m(Tensor(x))
    (out[-1] ** 2).sum().backward()
    h, c = torch.zeros(B, H, dtype=torch.float64), torch.zeros(B, H, dtype=torch.float64)
    hs, cs = [], []
    for t in range(T):
        h, c = cell(torch.tensor(x[t]), (h, c))
        h.retain_grad()
        c.retain_grad()
        hs.append(h)
        cs.append(c)
    (hs[-1] ** 2).sum().backward()
    np.testing.assert_allclose(m.hidden_grads(), np.stack([v.grad.numpy() for v in hs]), atol=1e-12)
    np.testing.assert_allclose(m.cell_grads(), np.stack([v.grad.numpy() for v in cs]), atol=1e-12)
    assert np.linalg.norm(m.hidden_grads()[0]) < np.linalg.norm(m.hidden_grads()[-1])


def test_rnn_hidden_grads_and_relu_option():
    m = nn.RNN(2, 3, nonlinearity="relu", seed=0)
    x = rand(0, 4, 1, 2)
    out, h_n = m(Tensor(x))
    h_n.sum().backward()
    grads = m.hidden_grads()
    assert grads.shape == (4, 1, 3)
    np.testing.assert_allclose(grads[-1], 1.0)
    with pytest.raises(ValueError):
        nn.RNN(2, 3, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_fused_cells_refuse_create_graph_and_unfused_support_it(torch, cls):
    x = rand(0, 3, 2, 2)
    fused = cls(2, 3, seed=0)
    out, _ = fused(Tensor(x))
    with pytest.raises(NotImplementedError, match="fused=False"):
        engine.grad((out ** 2).sum(), [fused.weight_hh], create_graph=True)
    slow = cls(2, 3, fused=False, seed=0)
    theirs = getattr(torch.nn, cls.__name__)(2, 3).double()
    copy_to_torch(slow, theirs)
    out, _ = slow(Tensor(x))
    tout, _ = theirs(torch.tensor(x))
    g, = engine.grad((out ** 2).sum(), [slow.weight_hh], create_graph=True)
    tg, = torch.autograd.grad((tout ** 2).sum(), [theirs.weight_hh_l0], create_graph=True)
    (g ** 2).sum().backward()
    (tg ** 2).sum().backward()
    np.testing.assert_allclose(slow.weight_ih.grad, theirs.weight_ih_l0.grad.numpy(), atol=1e-10)


def test_gradcheck_through_whole_fused_lstm_and_gru():
    x = rand(0, 3, 2, 2)
    for cls in (nn.LSTM, nn.GRU):
        m = cls(2, 2, seed=0)

        def run(wi, wh, bi):
            m._parameters.update(weight_ih_l0=wi, weight_hh_l0=wh, bias_ih_l0=bi)  # the gradcheck's leaves
            out, _ = m(x)
            return out ** 2
        assert gradcheck(run, [m.weight_ih.data, m.weight_hh.data, m.bias_ih.data])


def test_replacing_a_buffer_keeps_it_in_the_state():
    bn = nn.BatchNorm1d(2)
    bn.running_mean = np.array([1.0, 2.0])
    np.testing.assert_array_equal(bn.state_dict()["running_mean"], [1.0, 2.0])
    bn.eval()
    np.testing.assert_allclose(bn(np.array([[1.0, 2.0]])).data, 0.0, atol=1e-12)


def test_parameters_are_named_for_graph_drawings():
    m = nn.Linear(2, 1, seed=0)
    loss = m(Tensor(rand(0, 4, 2))).sum()
    names = {n.name for n in loss.graph().nodes if n.name}
    assert {"weight", "bias"} <= names


# -- Embedding ------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(ids_shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
       seed=st.integers(0, 2 ** 16), padding=st.sampled_from([None, 0, -1]))
def test_embedding_gradient_matches_finite_differences(ids_shape, seed, padding):
    """Shapes S → S + (dim,) for 0-d, size-1 and zero-size ids; repeated ids add up their rows'
    gradients and the padding row gets none."""
    rng = np.random.default_rng(seed)
    emb = nn.Embedding(4, 3, padding_idx=padding, seed=seed)
    ids = rng.integers(0, 4, size=ids_shape)
    coeff = rng.normal(size=ids_shape + (3,))
    out = emb(ids)
    assert out.shape == ids_shape + (3,)
    (out * coeff).sum().backward()
    w0 = emb.weight.data.copy()

    def loss(w):
        emb.weight.data = w
        return float(np.sum(emb(ids).data * coeff))
    numeric = np.zeros_like(w0)
    for idx in np.ndindex(w0.shape):
        step = np.zeros_like(w0)
        step[idx] = 1e-6
        numeric[idx] = (loss(w0 + step) - loss(w0 - step)) / 2e-6
    if padding is not None:
        numeric[padding % 4] = 0.0  # PyTorch's rule: the padding row is not trained
    np.testing.assert_allclose(emb.weight.grad, numeric, atol=1e-8)


def test_embedding_matches_torch(torch):
    ours = nn.Embedding(6, 4, padding_idx=2, seed=0)
    theirs = torch.nn.Embedding(6, 4, padding_idx=2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    assert np.all(ours.weight.data[2] == 0.0)
    ids = np.array([[0, 2, 5], [5, 5, 1]])
    coeff = rand(1, 2, 3, 4)
    out, tout = ours(ids), theirs(torch.tensor(ids))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=0)
    (out * coeff).sum().backward()
    (tout * torch.tensor(coeff)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=1e-12)
    assert repr(ours) == "Embedding(6, 4, padding_idx=2)"
    assert ours.weight.data.std() == pytest.approx(1.0, abs=0.5)  # N(0, 1) as PyTorch


def test_embedding_refuses_bad_ids_with_a_message():
    emb = nn.Embedding(3, 2, seed=0)
    with pytest.raises(IndexError, match="token id 3 is out of range for an Embedding of 3 rows"):
        emb(np.array([0, 3]))
    with pytest.raises(IndexError, match="token id -1"):
        emb(np.array([-1]))
    with pytest.raises(TypeError, match="integer token ids"):
        emb(np.array([0.5]))
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    np.testing.assert_array_equal(emb(Tensor([1.0, 0.0])).data, emb.weight.data[[1, 0]])


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("cls,torch_name", RECURRENT)
@pytest.mark.parametrize("layers,bidirectional,batch_first", [(2, False, False), (1, True, True),
                                                               (2, True, False)])
def test_recurrent_options_match_torch(torch, cls, torch_name, fused, layers, bidirectional,
                                       batch_first):
    """num_layers, bidirectional, batch_first and dropout (off in eval mode), with initial
    states: outputs, final states and every gradient as torch.nn; records per layer and direction."""
    T, B, I, H = 4, 3, 2, 3
    kw = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
              dropout=0.5 if layers > 1 else 0.0)
    ours = cls(I, H, **kw, fused=fused, seed=0).eval()
    theirs = getattr(torch.nn, torch_name)(I, H, **kw).double().eval()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    copy_to_torch(ours, theirs)
    x = rand(1, *((B, T, I) if batch_first else (T, B, I)))
    n = layers * (2 if bidirectional else 1)
    states = [rand(2 + k, n, B, H) for k in range(2 if torch_name == "LSTM" else 1)]
    xt, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_s = [Tensor(s, requires_grad=True) for s in states]
    theirs_s = [torch.tensor(s, requires_grad=True) for s in states]
    pack = (lambda s: tuple(s)) if torch_name == "LSTM" else (lambda s: s[0])
    out, last = ours(xt, pack(ours_s))
    tout, tlast = theirs(tx, pack(theirs_s))
    last, tlast = (last, tlast) if torch_name == "LSTM" else ((last,), (tlast,))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    for a, b in zip(last, tlast):
        np.testing.assert_allclose(a.data, b.detach().numpy(), atol=1e-12)
    w = rand(9, *out.shape)
    ((out * w).sum() + sum((a * a).sum() for a in last)).backward()
    ((tout * torch.tensor(w)).sum() + sum((a * a).sum() for a in tlast)).backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-12)
    for a, b in zip(ours_s, theirs_s):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=1e-12)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), atol=1e-11, err_msg=name)
    top = out.data if not batch_first else out.data.transpose(1, 0, 2)
    for d in range(2 if bidirectional else 1):
        np.testing.assert_allclose(ours.hidden_states(-1, d), top[:, :, d * H:(d + 1) * H], atol=1e-12)
        assert ours.hidden_grads(0, d).shape == (T, B, H)
        assert set(ours.gate_records(0, d)) == set(ours.last_gates)


def test_recurrent_dropout_between_layers_only_in_training():
    m = nn.GRU(2, 3, num_layers=2, dropout=0.5, seed=0)
    x = Tensor(rand(0, 5, 4, 2))
    train_out, _ = m(x)
    eval_out, _ = m.eval()(x)
    assert not np.allclose(train_out.data, eval_out.data)
    assert np.allclose(nn.GRU(2, 3, num_layers=2, dropout=0.5, seed=0)(x)[0].data.shape, (5, 4, 3))
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="num_layers"):
        nn.LSTM(2, 3, num_layers=0)
    with pytest.raises(ValueError, match=r"\(2, 4, 3\)"):
        nn.RNN(2, 3, num_layers=2)(x, Tensor(np.zeros((1, 4, 3))))
    with pytest.raises(ValueError, match="input_size"):
        nn.RNN(3, 3)(x)


@pytest.mark.parametrize("cls,torch_name", RECURRENT)
def test_float32_recurrent_layers_match_torch_float32(torch, cls, torch_name):
    ours = cls(3, 4, num_layers=2, bidirectional=True, seed=0, dtype=np.float32)
    theirs = getattr(torch.nn, torch_name)(3, 4, num_layers=2, bidirectional=True)
    copy_to_torch(ours, theirs)
    x = rand(0, 5, 2, 3).astype(np.float32)
    out, _ = ours(Tensor(x))
    tout, _ = theirs(torch.tensor(x))
    (out ** 2).sum().backward()
    (tout ** 2).sum().backward()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-5)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
