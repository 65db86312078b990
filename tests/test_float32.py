"""float32 end to end: a float32 model computes, stores and returns float32 everywhere
(outputs, intermediate and leaf gradients, engine.grad, optimizer state), matching torch's
float32 to its precision; float64 stays the default."""
import numpy as np
import pytest

import engine
import engine.functional as F
from engine import Tensor, nn, optim

F32 = np.dtype(np.float32)


def test_default_is_float64_and_float_double_cast_in_place():
    m = nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm1d(4), nn.LayerNorm(4))
    assert {p.dtype for p in m.parameters()} == {np.dtype(np.float64)}
    weight = m[0].weight
    assert m.float() is m and weight is m[0].weight  # same Parameter objects, new dtype
    assert {p.dtype for p in m.parameters()} == {F32}
    assert {b.dtype for _, b in m.named_buffers()} == {F32}
    assert {p.dtype for p in m.double().parameters()} == {np.dtype(np.float64)}
    assert nn.Conv2d(1, 2, 3, dtype=np.float32).weight.dtype == F32
    assert nn.MLP([2, 3, 1], dtype="float32")[2].bias.dtype == F32
    with pytest.raises(TypeError, match="float32 or float64"):
        m.to(np.int64)


@pytest.mark.parametrize("op", ["relu", "clip", "maximum", "minimum", "bce", "sigmoid", "var", "std",
                                "layer_norm"])
def test_intermediate_grads_and_engine_grad_stay_float32(op):
    rng = np.random.default_rng(0)
    fn = {"relu": F.relu, "clip": lambda a: engine.clip(a, -0.5, 0.5),
          "maximum": lambda a: F.maximum(a, 0.1), "minimum": lambda a: F.minimum(a, 0.1),
          "bce": lambda a: F.binary_cross_entropy(F.sigmoid(a), np.ones((3, 4), np.float32)),
          "sigmoid": F.sigmoid, "var": lambda a: a.var(1), "std": lambda a: a.std(0),
          "layer_norm": lambda a: F.layer_norm(a, (4,))}[op]
    x = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = x * 2.0
    z = fn(y)
    z.sum().backward()
    assert z.dtype == F32 and y.grad.dtype == F32 and x.grad.dtype == F32
    assert [g.dtype for g in engine.grad(fn(x * 2.0).sum(), [x])] == [F32]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_float32_training_step_matches_torch_and_updates_in_place(torch, name):
    """A float32 MLP trained three steps: same numbers as torch in float32; parameters keep
    their arrays (updated in place) and the optimizer state is float32."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 5)).astype(np.float32), rng.standard_normal((16, 1)).astype(np.float32)
    ours = nn.MLP([5, 8, 1], seed=0, dtype=np.float32)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.data))
    hp = dict(lr=0.01, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.01)
    opt, topt = getattr(optim, name)(ours.parameters(), **hp), getattr(torch.optim, name)(theirs.parameters(), **hp)
    arrays = [p.data for p in ours.parameters()]
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(ours(Tensor(x)), Tensor(y)).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for p, q, a in zip(ours.parameters(), theirs.parameters(), arrays):
        assert p.data is a and p.dtype == F32 and p.grad.dtype == F32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-4, atol=1e-5)
    states = [v for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray)]
    assert states and {v.dtype for v in states} == {F32}


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_float32_recurrent_layers(cls):
    m = getattr(nn, cls)(3, 4, seed=0, dtype=np.float32)
    x = Tensor(np.random.default_rng(2).standard_normal((5, 2, 3)).astype(np.float32))
    out, _ = m(x)
    out.sum().backward()
    assert out.dtype == F32 and {p.grad.dtype for p in m.parameters()} == {F32}
    assert m.hidden_grads().dtype == F32
