"""engine.functional: layers, normalizations and losses against PyTorch and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.functional as F
from engine import Tensor, gradcheck


def rand(seed: int, *shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def leaves(*arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


def torch_leaves(torch, *arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def assert_grads(ours, theirs, atol=1e-10):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol, rtol=1e-8)


# -- convolution ----------------------------------------------------------------------------
def test_slide_convolution_example():
    """The lecture's 5x5 image and the 3x3 kernel that picks the pixel above the centre."""
    image = np.array([[35, 40, 41, 45, 50], [40, 40, 42, 46, 52], [42, 46, 50, 55, 55],
                      [48, 52, 56, 58, 60], [56, 60, 65, 70, 75]], dtype=float)
    kernel = np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=float)
    out = F.conv2d(image[None, None], kernel[None, None])[0, 0]
    assert out[1, 1] == 42.0  # the slide's highlighted output
    np.testing.assert_array_equal(out, [[40, 41, 45], [40, 42, 46], [46, 50, 55]])


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), ((2, 1), (0, 1), (1, 2))])
def test_conv2d_matches_torch(torch, stride, padding, dilation):
    x, w, b = rand(0, 2, 3, 7, 6), rand(1, 4, 3, 3, 2), rand(2, 4)
    ours, theirs = leaves(x, w, b), torch_leaves(torch, x, w, b)
    y = F.conv2d(*ours, stride=stride, padding=padding, dilation=dilation)
    ty = torch.nn.functional.conv2d(*theirs, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
    g = rand(3, *y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_grads(ours, theirs)


def test_conv2d_gradcheck_and_no_bias():
    x, w, b = rand(0, 1, 2, 4, 4), rand(1, 3, 2, 2, 2), rand(2, 3)
    assert gradcheck(lambda a, k, c: F.conv2d(a, k, c, stride=2, padding=1), [x, w, b])
    assert gradcheck(lambda a, k: F.conv2d(a, k, dilation=2), [x, w])


def test_conv2d_double_backward_matches_torch(torch):
    x, w = rand(0, 1, 2, 5, 5), rand(1, 2, 2, 3, 3)
    ours, theirs = leaves(x, w), torch_leaves(torch, x, w)
    gx, = engine.grad((F.conv2d(*ours, padding=1) ** 2).sum(), [ours[0]], create_graph=True)
    tgx, = torch.autograd.grad((torch.nn.functional.conv2d(*theirs, padding=1) ** 2).sum(),
                               [theirs[0]], create_graph=True)
    np.testing.assert_allclose(gx.data, tgx.detach().numpy(), atol=1e-10)
    (gx ** 2).sum().backward()
    (tgx ** 2).sum().backward()
    assert_grads(ours, theirs, atol=1e-8)


def test_conv1d_matches_torch(torch):
    x, w, b = rand(0, 2, 3, 9), rand(1, 4, 3, 3), rand(2, 4)
    ours, theirs = leaves(x, w, b), torch_leaves(torch, x, w, b)
    y = F.conv1d(*ours, stride=2, padding=1, dilation=2)
    ty = torch.nn.functional.conv1d(*theirs, stride=2, padding=1, dilation=2)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    assert_grads(ours, theirs)


def test_conv2d_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="does not match"):
        F.conv2d(np.zeros((1, 2, 4, 4)), np.zeros((1, 3, 2, 2)))


# -- pooling ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 1))])
def test_pools_match_torch(torch, kernel, stride, padding):
    x = rand(0, 2, 3, 7, 8)
    for ours_fn, theirs_fn in ((F.max_pool2d, torch.nn.functional.max_pool2d),
                               (F.avg_pool2d, torch.nn.functional.avg_pool2d)):
        (xt,), (tx,) = leaves(x), torch_leaves(torch, x)
        y, ty = ours_fn(xt, kernel, stride, padding), theirs_fn(tx, kernel, stride, padding)
        np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
        g = rand(1, *y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-12)


def test_max_pool_rejects_padding_over_half_the_kernel():
    with pytest.raises(ValueError, match="half the kernel"):
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2)


def test_max_pool_gradient_goes_to_the_first_maximum_like_torch(torch):
    x = np.zeros((1, 1, 2, 2))
    (xt,), (tx,) = leaves(x), torch_leaves(torch, x)
    F.max_pool2d(xt, 2).sum().backward()
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(xt.grad, tx.grad.numpy())


def test_pool_gradchecks_and_max_pool_double_backward(torch):
    x = rand(0, 1, 2, 4, 5)
    assert gradcheck(lambda a: F.max_pool2d(a, 2, 1, 1) ** 2, [x])
    assert gradcheck(lambda a: F.avg_pool2d(a, (2, 3), 1, (1, 0)) ** 2, [x])
    (xt,), (tx,) = leaves(x), torch_leaves(torch, x)
    gx, = engine.grad((F.max_pool2d(xt, 2) ** 3).sum(), [xt], create_graph=True)
    tgx, = torch.autograd.grad((torch.nn.functional.max_pool2d(tx, 2) ** 3).sum(), [tx], create_graph=True)
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-10)


# -- linear, dropout --------------------------------------------------------------------------
def test_linear_matches_torch_with_batch_axes(torch):
    x, w, b = rand(0, 2, 5, 3), rand(1, 4, 3), rand(2, 4)
    ours, theirs = leaves(x, w, b), torch_leaves(torch, x, w, b)
    y, ty = F.linear(*ours), torch.nn.functional.linear(*theirs)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    assert_grads(ours, theirs)
    assert gradcheck(lambda a, k: F.linear(a, k), [x, w])


def test_dropout_scales_survivors_and_is_identity_in_eval():
    x = np.ones((200, 50))
    y = F.dropout(Tensor(x), 0.3, training=True, generator=np.random.default_rng(0)).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    assert F.dropout(x, 0.3, training=False) is x
    xt = Tensor(x[:2, :3], requires_grad=True)
    out = F.dropout(xt, 0.5, generator=np.random.default_rng(1))
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad, out.data)  # gradient = mask / (1-p) = output here
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)


# -- normalization ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 2)])
def test_batch_norm_train_and_eval_match_torch(torch, shape):
    x, w, b = rand(0, *shape) * 2 + 1, rand(1, 3), rand(2, 3)
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ours, theirs = leaves(x, w, b), torch_leaves(torch, x, w, b)
    y = F.batch_norm(ours[0], rm, rv, ours[1], ours[2], training=True, momentum=0.2)
    ty = torch.nn.functional.batch_norm(theirs[0], trm, trv, theirs[1], theirs[2], training=True,
                                        momentum=0.2)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(rm, trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(rv, trv.numpy(), atol=1e-12)  # unbiased running variance
    g = rand(3, *shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_grads(ours, theirs, atol=1e-9)
    e = F.batch_norm(x, rm, rv, w, b, training=False)
    te = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b))
    np.testing.assert_allclose(e, te.numpy(), atol=1e-10)


def test_batch_norm_and_layer_norm_gradchecks():
    x = rand(0, 4, 3)
    assert gradcheck(lambda a, w: F.batch_norm(a, None, None, w, training=True) ** 2, [x, rand(1, 3)])
    assert gradcheck(lambda a, w, b: F.layer_norm(a, 3, w, b) ** 2, [x, rand(1, 3), rand(2, 3)])


def test_layer_norm_matches_torch(torch):
    x, w, b = rand(0, 2, 3, 4), rand(1, 3, 4), rand(2, 3, 4)
    ours, theirs = leaves(x, w, b), torch_leaves(torch, x, w, b)
    y = F.layer_norm(*ours[:1], (3, 4), *ours[1:])
    ty = torch.nn.functional.layer_norm(theirs[0], (3, 4), *theirs[1:])
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
    (y ** 3).sum().backward()
    (ty ** 3).sum().backward()
    assert_grads(ours, theirs, atol=1e-9)


# -- losses -----------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(torch, reduction):
    tf = torch.nn.functional
    logits, target = rand(0, 5, 4), np.array([0, 3, 1, 1, 2])
    p, t01 = 1 / (1 + np.exp(-rand(1, 5, 4))), (rand(2, 5, 4) > 0).astype(float)
    probs_target = np.exp(rand(3, 5, 4))
    probs_target /= probs_target.sum(1, keepdims=True)
    cases = [
        (lambda a: F.cross_entropy(a, target, reduction=reduction), lambda a: tf.cross_entropy(a, torch.tensor(target), reduction=reduction), logits),
        (lambda a: F.cross_entropy(a, probs_target, reduction=reduction), lambda a: tf.cross_entropy(a, torch.tensor(probs_target), reduction=reduction), logits),
        (lambda a: F.nll_loss(F.log_softmax(a, 1), target, reduction=reduction), lambda a: tf.nll_loss(tf.log_softmax(a, 1), torch.tensor(target), reduction=reduction), logits),
        (lambda a: F.mse_loss(a, t01, reduction), lambda a: tf.mse_loss(a, torch.tensor(t01), reduction=reduction), logits),
        (lambda a: F.binary_cross_entropy(a, t01, reduction=reduction), lambda a: tf.binary_cross_entropy(a, torch.tensor(t01), reduction=reduction), p),
        (lambda a: F.binary_cross_entropy_with_logits(a, t01, reduction=reduction), lambda a: tf.binary_cross_entropy_with_logits(a, torch.tensor(t01), reduction=reduction), logits * 30),
    ]
    for ours, theirs, x in cases:
        (xt,), (tx,) = leaves(x), torch_leaves(torch, x)
        y, ty = ours(xt), theirs(tx)
        np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
        g = rand(4, *y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-10)


def test_cross_entropy_gradcheck_and_double_backward(torch):
    logits, target = rand(0, 3, 4), np.array([1, 0, 3])
    assert gradcheck(lambda a: F.cross_entropy(a, target), [logits])
    assert gradcheck(lambda a: F.cross_entropy(a, target, reduction="none") * np.arange(3.0), [logits])
    (xt,), (tx,) = leaves(logits), torch_leaves(torch, logits)
    g, = engine.grad(F.cross_entropy(xt, target), [xt], create_graph=True)
    tg, = torch.autograd.grad(torch.nn.functional.cross_entropy(tx, torch.tensor(target)), [tx],
                              create_graph=True)
    (g ** 2).sum().backward()
    (tg ** 2).sum().backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match=r"target \(2,\) does not match input \(3, 4\)"):
        F.cross_entropy(logits, np.array([0, 1]))


def test_binary_cross_entropy_clamps_logs_like_torch(torch):
    p, t = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(Tensor(p), t, reduction="none").data
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(ours, theirs.numpy())


def test_penalties():
    w1, w2 = Tensor([[1.0, -2.0]], requires_grad=True), Tensor([3.0], requires_grad=True)
    assert F.l1_penalty([w1, w2]).item() == 6.0
    assert F.l2_penalty([w1, w2], weight=0.5).item() == 7.0
    (F.l1_penalty([w1, w2], 0.1) + F.l2_penalty([w1, w2])).backward()
    np.testing.assert_allclose(w1.grad, [[2.1, -4.1]])
    np.testing.assert_allclose(w2.grad, [6.1])
    with pytest.raises(ValueError):
        F.l2_penalty([])
