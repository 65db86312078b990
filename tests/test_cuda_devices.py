"""The "cuda" device through the public API: moving tensors and models, ops dispatching
through the registry's CUDA kernels, and whole training steps against the CPU.

Runs wherever ``engine.cuda.is_available()``: on a real GPU in the ordinary test run,
and under Numba's CUDA simulator in the subprocess ``tests/test_cuda.py`` starts with
``NUMBA_ENABLE_CUDASIM=1`` (so shapes stay tiny).  A training step is the same model,
data and optimizer built twice, once moved to "cuda": loss, every gradient and every
updated parameter must match to 1e-12 (float64) or 1e-5 (float32).
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import engine.cuda

if not engine.cuda.is_available():
    pytest.skip(f"CUDA kernels cannot run here: {engine.cuda.unavailable_reason()}",
                allow_module_level=True)
if engine.cuda.is_simulator():
    sys.setswitchinterval(5e-5)  # see tests/test_cuda_kernels.py

import engine.functional as F  # noqa: E402
from engine import Tensor, grad, nn, optim, tensor  # noqa: E402
from engine.cuda.array import DeviceArray  # noqa: E402

gpu_only = pytest.mark.skipif(engine.cuda.is_simulator(), reason="needs a real GPU")
TOL = {np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12),
       np.dtype(np.float32): dict(rtol=1e-5, atol=1e-5)}


def rand(seed: int, *shape, dtype=np.float64) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).normal(size=shape), dtype=dtype)


def close(got, want, dtype) -> None:
    got = np.asarray(got)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, np.asarray(want), **TOL[np.dtype(dtype)])


# -- moving tensors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_to_round_trips_keep_values_dtype_and_requires_grad(dtype):
    x = Tensor(rand(0, 3, 4, dtype=dtype), requires_grad=True, name="x")
    assert x.device == "cpu" and x.to("cpu") is x
    on = x.to("cuda")
    assert on.device == "cuda" and on.dtype == dtype and on.shape == (3, 4)
    assert on.requires_grad and on.is_leaf and on.name == "x"
    assert isinstance(on.data, DeviceArray) and on.to("cuda") is on and on.cuda() is on
    back = on.cpu()
    assert back.device == "cpu" and back.dtype == dtype
    np.testing.assert_array_equal(back.data, x.data)
    np.testing.assert_array_equal(on.numpy(), x.data)   # numpy() reads a host copy
    assert Tensor(2.5, device="cuda").item() == 2.5
    assert repr(on) == "Tensor(array[3, 4], name='x')"


def test_constructors_take_a_device():
    t = tensor([[1.0, 2.0]], device="cuda", dtype=np.float32)
    assert t.device == "cuda" and t.dtype == np.float32
    assert Tensor(np.arange(3), device="cuda:0").device == "cuda"
    np.testing.assert_array_equal(Tensor(np.arange(3), device="cuda").numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        Tensor([1.0], device="tpu")


def test_a_computed_tensor_moves_as_a_detached_copy():
    x = Tensor(rand(0, 3), requires_grad=True, device="cuda")
    y = (x * 2.0).to("cpu")
    assert y.device == "cpu" and y.is_leaf and not y.requires_grad
    np.testing.assert_allclose(y.data, 2 * x.numpy())


def test_module_to_moves_parameters_in_place_with_their_grads_and_buffers():
    model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.BatchNorm1d(2))
    weight = model[0].weight
    weight.grad = np.ones((2, 3))
    assert model.to("cuda") is model
    assert model[0].weight is weight        # an optimizer built before keeps its parameters
    assert {p.device for p in model.parameters()} == {"cuda"}
    assert isinstance(weight.grad, DeviceArray)
    assert all(isinstance(b, DeviceArray) for _, b in model.named_buffers())
    model.to("cpu")
    assert {p.device for p in model.parameters()} == {"cpu"}
    assert all(isinstance(b, np.ndarray) for _, b in model.named_buffers())
    np.testing.assert_array_equal(weight.grad, np.ones((2, 3)))


def test_batch_norm_updates_its_running_statistics_on_the_device():
    x = rand(0, 5, 3)
    cpu, gpu = nn.BatchNorm1d(3), nn.BatchNorm1d(3).to("cuda")
    close(gpu(Tensor(x, device="cuda")).numpy(), cpu(Tensor(x)).data, np.float64)
    for (name, want), (_, got) in zip(cpu.named_buffers(), gpu.named_buffers()):
        assert isinstance(got, DeviceArray), name
        close(got, want, np.float64)


# -- dispatch and its errors -------------------------------------------------------------------------
def test_ops_run_on_the_device_and_match_the_cpu():
    a, b = rand(0, 3, 4), rand(1, 4, 2)
    cpu = F.tanh(Tensor(a) @ Tensor(b)).sum(dim=0) * 3.0 - 1.0
    cuda = F.tanh(Tensor(a, device="cuda") @ Tensor(b, device="cuda")).sum(dim=0) * 3.0 - 1.0
    assert cuda.device == "cuda"
    close(cuda.numpy(), cpu.data, np.float64)


def test_mixing_devices_is_an_error_naming_the_op_and_both_devices():
    on, off = Tensor(rand(0, 3), device="cuda"), Tensor(rand(1, 3))
    with pytest.raises(TypeError, match=r"add: cannot mix devices cuda and cpu.*\(3,\)"):
        on + off
    with pytest.raises(TypeError, match="mul: cannot mix devices cuda and cpu"):
        off * on
    with pytest.raises(TypeError, match="matmul: cannot mix devices"):
        Tensor(rand(0, 2, 3), device="cuda") @ Tensor(rand(1, 3, 2))
    model = nn.Linear(3, 2, seed=0).to("cuda")
    with pytest.raises(TypeError, match="linear: cannot mix devices cuda and cpu"):
        model(Tensor(rand(0, 5, 3)))
    close((on * Tensor(2.0)).numpy(), 2 * on.numpy(), np.float64)   # a 0-d CPU tensor is a number


def test_an_op_without_a_cuda_kernel_says_so():
    x = Tensor(rand(0, 3), device="cuda")
    with pytest.raises(NotImplementedError, match="atan: no CUDA kernel"):
        F.atan(x)


def test_create_graph_runs_on_the_device():
    x = Tensor(rand(0, 4), requires_grad=True, device="cuda")
    (gx,) = grad((x * x * x).sum(), [x], create_graph=True)
    assert gx.device == "cuda"
    gx.sum().backward()
    close(x.grad, 6 * x.numpy(), np.float64)


# -- whole training steps ----------------------------------------------------------------------------
def check_training_step(build, inputs, loss_fn, make_opt, dtype, steps: int = 2) -> None:
    """The same model and data on the CPU and on "cuda": after ``steps`` optimizer steps the
    losses, the gradients (which live on "cuda") and the parameters agree."""
    runs = []
    for device in ("cpu", "cuda"):
        model = build().to(device, dtype)
        data = [Tensor(np.asarray(a, dtype), requires_grad=needs, device=device)
                for a, needs in inputs]
        opt = make_opt(list(model.parameters()))
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model, *data)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert {p.device for p in model.parameters()} == {device}
        runs.append((model, data, losses, opt))
    (cpu, cpu_data, cpu_losses, _), (gpu, gpu_data, gpu_losses, gpu_opt) = runs
    close(gpu_losses, cpu_losses, dtype)
    for p, q in zip(cpu.parameters(), gpu.parameters()):
        assert isinstance(q.grad, DeviceArray) and q.data.dtype == dtype
        close(q.grad, p.grad, dtype)
        close(q.numpy(), p.data, dtype)
    for a, b in zip(cpu_data, gpu_data):
        if a.requires_grad:
            close(b.grad, a.grad, dtype)
    state = [v for s in gpu_opt.state.values() for v in s.values() if hasattr(v, "shape")]
    assert all(isinstance(v, DeviceArray) for v in state)   # the optimizer's state stays there


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_mlp_training_step_on_cuda_matches_the_cpu(opt, dtype):
    make = {"sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
            "adam": lambda ps: optim.Adam(ps, lr=0.05)}[opt]
    check_training_step(lambda: nn.MLP([3, 5, 2], activation="tanh", seed=0),
                        [(rand(0, 6, 3), False), (rand(1, 6, 2), False)],
                        lambda m, x, y: F.mse_loss(m(x), y), make, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cnn_training_step_on_cuda_matches_the_cpu(dtype):
    def build():
        return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(2 * 3 * 3, 3, seed=1))
    target = np.array([2, 0])
    check_training_step(build, [(rand(0, 2, 1, 6, 7), True)],
                        lambda m, x: F.cross_entropy(m(x), target),
                        lambda ps: optim.SGD(ps, lr=0.1), dtype)


class LastStep(nn.Module):
    """An LSTM read out at its last step by a linear head."""

    def __init__(self):
        super().__init__()
        self.rnn, self.head = nn.LSTM(2, 3, seed=0), nn.Linear(3, 2, seed=1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][-1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lstm_training_step_on_cuda_matches_the_cpu(dtype):
    target = np.array([1, 0])
    check_training_step(LastStep, [(rand(0, 4, 2, 2), False)],
                        lambda m, x: F.cross_entropy(m(x), target),
                        lambda ps: optim.Adam(ps, lr=0.05), dtype)


def test_lstm_gates_and_hidden_gradients_read_back_for_the_lab():
    model = LastStep().to("cuda")
    F.cross_entropy(model(Tensor(rand(0, 3, 2, 2), device="cuda")), np.array([1, 0])).backward()
    assert model.rnn.last_gates["i"].shape == (3, 2, 3)
    assert isinstance(model.rnn.hidden_grads(), np.ndarray)


@pytest.mark.parametrize("cell, task", [("lstm", "first_bit"), ("gru", "adding")])
def test_the_sequence_lab_trainer_on_cuda_matches_the_cpu(cell, task):
    from engine.sequence_tasks import make_task
    from engine.sequence_training import SequenceTrainer, TrainConfig
    config = TrainConfig(hidden_size=3, batch_size=2)
    cpu, gpu = (SequenceTrainer(make_task(task, 3), cell, config, device=d) for d in ("cpu", "cuda"))
    want, got = cpu.train_step(), gpu.train_step()
    close(got.loss, want.loss, np.float64)
    close(got.grad_h, want.grad_h, np.float64)
    example = make_task(task, 3).batch(1, np.random.default_rng(5)).inputs[:, 0, :]
    for key, value in cpu.gate_trace(example).items():
        close(gpu.gate_trace(example)[key], value, np.float64)
    gpu.to("cpu")   # the lab's fallback: model and Adam's state come back, training goes on
    close(gpu.train_step().loss, cpu.train_step().loss, np.float64)


@pytest.mark.parametrize("name, hp", [("Adagrad", {"lr": 0.1}), ("LBFGS", {})])
def test_the_optimizer_lab_mlp_on_cuda_matches_the_cpu(name, hp):
    """A first-order optimizer updates on the device; L-BFGS's flat vectors are host copies."""
    from engine.datasets import moons
    from engine.optim.training import train_mlp
    data = moons(8, seed=0)
    close(train_mlp(name, hp, data, steps=2, hidden=3, device="cuda"),
          train_mlp(name, hp, data, steps=2, hidden=3), np.float64)


@pytest.mark.parametrize("data, task", [("xor", "binary"), ("blobs", "multiclass")])
def test_the_training_lab_trainer_on_cuda_matches_the_cpu(data, task):
    """Two steps on the device; the views (weights, predictions, metrics) read host arrays."""
    from engine.playground.spec import DataSpec, DenseSpec, Experiment, TrainSpec
    from engine.playground.trainer import Trainer
    from engine.playground.views import weights
    options = {"classes": 3} if data == "blobs" else {}
    experiment = Experiment(DataSpec(data, n=12, options=options), DenseSpec(hidden=(3,)), TrainSpec(batch_size=4))
    cpu, gpu = Trainer(experiment), Trainer(experiment, device="cuda")
    assert gpu.task.kind == task and {p.device for p in gpu.model.parameters()} == {"cuda"}
    for _ in range(2):
        want, got = cpu.step(), gpu.step()
        close(got.loss, want.loss, np.float64)
        close(got.grad_norms, want.grad_norms, np.float64)
    for w_gpu, w_cpu in zip(weights(gpu), weights(cpu)):
        assert isinstance(w_gpu.weight, np.ndarray)
        close(w_gpu.weight, w_cpu.weight, np.float64)
    close(gpu.predict(cpu.test_data.X), cpu.predict(cpu.test_data.X), np.float64)
    close(gpu.evaluate().test_loss, cpu.evaluate().test_loss, np.float64)
    assert {p.device for p in gpu.model.parameters()} == {"cuda"}   # back after evaluating
    gpu.to("cpu")   # the lab's fallback: model and Adam's state come back, training goes on
    close(gpu.step().loss, cpu.step().loss, np.float64)


def test_the_generative_lab_gan_on_cuda_matches_the_cpu():
    """A round (a D and a G update) on the device; what the lab draws comes back as host arrays."""
    from engine.generative.gan import GANConfig, GANTrainer
    config = GANConfig(generator_hidden=(3,), discriminator_hidden=(3,), batch_size=4)
    cpu, gpu = (GANTrainer(config, view_points=3, device=d) for d in ("cpu", "cuda"))
    assert {p.device for p in gpu.discriminator.parameters()} == {"cuda"}
    for _ in range(2):
        want, got = cpu.train_step(), gpu.train_step()
        for field in ("d_loss", "g_loss", "d_real", "d_fake"):
            close(getattr(got, field), getattr(want, field), np.float64)
    fake = cpu.generate(cpu.view_z)
    assert isinstance(gpu.generate(gpu.view_z), np.ndarray)
    close(gpu.generate(gpu.view_z), fake, np.float64)
    close(gpu.discriminate(fake), cpu.discriminate(fake), np.float64)
    gradient = gpu.point_gradients(fake)
    assert isinstance(gradient, np.ndarray)
    close(gradient, cpu.point_gradients(fake), np.float64)
    gpu.to("cpu")   # the lab's fallback
    close(gpu.train_step().d_loss, cpu.train_step().d_loss, np.float64)


def test_every_benchmark_case_runs_at_a_tiny_size():
    """bench.cuda is timed only on a GPU; here each case's CPU and CUDA sides run once."""
    from bench import cuda as bench
    rng = np.random.default_rng(0)
    cases = [bench.matmul_case(5, rng, None), bench.conv_case(rng, None, (1, 2, 4, 4), (2, 2, 3, 3)),
             bench.lstm_case(rng, None, batch=2, f=2, h=3), bench.cnn_case(rng, None, batch=2, side=4, channels=(2, 2))]
    for cpu, ours, theirs in cases:
        assert theirs is None
        cpu()
        ours()


# -- real hardware only --------------------------------------------------------------------------------
@gpu_only
def test_a_bigger_mlp_step_on_the_gpu_matches_the_cpu():
    check_training_step(lambda: nn.MLP([64, 256, 256, 10], activation="relu", seed=0),
                        [(rand(0, 128, 64), False), (rand(1, 128, 10), False)],
                        lambda m, x, y: F.mse_loss(m(x), y),
                        lambda ps: optim.Adam(ps, lr=1e-3), np.float64, steps=3)


@gpu_only
def test_the_gpu_has_a_name():
    assert engine.cuda.device_name() not in ("", "CUDA simulator")
