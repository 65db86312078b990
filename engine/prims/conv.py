"""Convolution and pooling on two adjoint primitives, ``im2col`` and ``col2im``.

``im2col`` copies every (kh, kw) window of a padded (N, C, H, W) image into a
column; a convolution is then one matrix product with the flattened kernels,
and average pooling a mean over each column.  ``col2im`` (overlapping windows
add) is the VJP of ``im2col`` and vice versa.  ``conv2d`` and ``max_pool2d`` are
single primitives for speed whose rules are written with these, so every
gradient here can be differentiated again.  The loops are Numba kernels
(:mod:`engine.kernels.conv`).
"""
from __future__ import annotations

import numpy as np

from ..kernels import lazy
from ..node import is_node
from ..registry import export, register
from . import core as C
from .dispatch import call

K = lazy("conv")  # Numba is imported on the first op that needs it


def _pair(v, name: str = "size") -> tuple[int, int]:
    """An int or a pair of ints as (h, w); any other length is refused (PyTorch refuses it too)."""
    if np.ndim(v) == 0:
        return int(v), int(v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints (height, width), got {tuple(v)}")
    return int(v[0]), int(v[1])


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a sliding window (PyTorch's formula, floor mode)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _geometry(shape, kernel, stride, padding, dilation):
    _, _, h, w = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    return out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)


def _im2col_forward(x, kernel, stride, padding, dilation, pad_value):
    (ph, pw) = padding
    oh, ow = _geometry(x.shape, kernel, stride, padding, dilation)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"input {x.shape[2:]} is smaller than the window {kernel} (dilation {dilation})")
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value) if ph or pw else x
    return K.im2col(np.ascontiguousarray(xp), *kernel, *stride, *dilation, oh, ow)


def _col2im_forward(cols, shape, kernel, stride, padding, dilation):
    n, c, h, w = shape
    (ph, pw) = padding
    oh, ow = _geometry(shape, kernel, stride, padding, dilation)
    xp = K.col2im(np.ascontiguousarray(cols), c, h + 2 * ph, w + 2 * pw, *kernel, *stride,
                  *dilation, oh, ow)
    return xp[:, :, ph:ph + h, pw:pw + w]


IM2COL = register(
    "im2col", "unfold", _im2col_forward,
    (lambda g, out, x, **p: col2im(g, x.shape, p),),
    (lambda t, out, x, **p: im2col(t, p),))
COL2IM = register(
    "col2im", "fold", _col2im_forward,
    (lambda g, out, cols, shape, **p: im2col(g, dict(p, pad_value=0.0)),),
    (lambda t, out, cols, shape, **p: col2im(t, shape, p),))


def im2col(x, geometry: dict):
    """(N, C, H, W) → (N, C·kh·kw, OH·OW) columns of windows (``torch.nn.functional.unfold``)."""
    return call("im2col", x, **geometry)


def col2im(cols, shape, geometry: dict):
    """Columns back to an (N, C, H, W) image, overlaps summed (``torch.nn.functional.fold``)."""
    p = {k: v for k, v in geometry.items() if k != "pad_value"}
    return call("col2im", cols, shape=tuple(shape), **p)


def _geometry_params(kernel, stride, padding, dilation, pad_value=0.0) -> dict:
    return dict(kernel=_pair(kernel, "kernel_size"), stride=_pair(stride, "stride"),
                padding=_pair(padding, "padding"), dilation=_pair(dilation, "dilation"),
                pad_value=pad_value)


def _flat_kernels(w):
    return C.reshape(w, (w.shape[0], int(np.prod(w.shape[1:]))))


def _conv_forward(x, w, b, **geo):
    n, o = x.shape[0], w.shape[0]
    oh, ow = _geometry(x.shape, geo["kernel"], geo["stride"], geo["padding"], geo["dilation"])
    out = np.matmul(_flat_kernels(w), _im2col_forward(x, pad_value=0.0, **geo))  # (N, O, L)
    out += np.reshape(b, (o, 1))
    return out.reshape(n, o, oh, ow)


def _rows(g):
    """(N, O, OH, OW) → (N, O, OH·OW): the gradient laid out like the matmul's output."""
    return C.reshape(g, (g.shape[0], g.shape[1], g.shape[2] * g.shape[3]))


def _conv_dx(g, out, x, w, b, **geo):
    return col2im(C.matmul(C.transpose(_flat_kernels(w)), _rows(g)), x.shape, geo)


def _conv_dw(g, out, x, w, b, **geo):
    cols = im2col(x, dict(geo, pad_value=0.0))
    dw = C.sum(C.matmul(_rows(g), C.transpose(cols, (0, 2, 1))), 0)
    return C.reshape(dw, w.shape)


def _zero_bias(w):
    return np.zeros(w.shape[0])


CONV2D = register(
    "conv2d", "conv", _conv_forward,
    (_conv_dx, _conv_dw, lambda g, out, x, w, b, **geo: C.sum(g, (0, 2, 3))),
    (lambda t, out, x, w, b, **geo: conv2d_raw(t, w, _zero_bias(w), geo),
     lambda t, out, x, w, b, **geo: conv2d_raw(x, t, _zero_bias(w), geo),
     lambda t, out, x, w, b, **geo: C.broadcast_to(C.reshape(t, (1, -1, 1, 1)), out.shape)),
    local_text=("Wᵀ ⋆ (·)", "(·) ⋆ x", "1"))


def conv2d_raw(x, w, b, geo: dict):
    """The conv2d primitive with a geometry dict (kernel, stride, padding, dilation)."""
    return call("conv2d", x, w, b, **{k: v for k, v in geo.items() if k != "pad_value"})


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation as PyTorch: x (N, C, H, W), weight (O, C, kh, kw) → (N, O, OH, OW).

    One node: the forward unfolds windows (im2col) and runs one matrix product;
    the VJPs are written with im2col/col2im/matmul, so they also record a graph
    under ``create_graph=True``.  An unbatched (C, H, W) input gives (O, OH, OW).
    """
    if len(x.shape) == 3 and len(weight.shape) == 4:
        out = conv2d(C.reshape(x, (1,) + tuple(x.shape)), weight, bias, stride, padding, dilation)
        return C.reshape(out, tuple(out.shape[1:]))
    if len(x.shape) != 4 or len(weight.shape) != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: input {tuple(x.shape)} (N, C, H, W) does not match "
                         f"weight {tuple(weight.shape)} (O, C, kh, kw)")
    geo = _geometry_params(weight.shape[2:], stride, padding, dilation)
    return conv2d_raw(x, weight, _zero_bias(weight) if bias is None else bias, geo)


# -- pooling ------------------------------------------------------------------------------
def _pool_geo(params: dict) -> dict:
    return dict(params, dilation=(1, 1), pad_value=-np.inf)


def _max_pool_forward(x, kernel, stride, padding):
    oh, ow = _geometry(x.shape, kernel, stride, padding, (1, 1))
    return K.max_pool2d(np.ascontiguousarray(x), *kernel, *stride, *padding, oh, ow)


def _argmax_mask(x, params: dict):
    """Constant one-hot (N·C, kh·kw, L) marking each window's first maximum (as PyTorch)."""
    xd = x.data if is_node(x) else x
    n, c, h, w = xd.shape
    cols = _im2col_forward(xd.reshape(n * c, 1, h, w), **_pool_geo(params))
    mask = np.zeros_like(cols)
    np.put_along_axis(mask, np.argmax(cols, axis=1)[:, None, :], 1.0, axis=1)
    return x._kind.const(mask) if is_node(x) else mask


def _max_pool_vjp(g, out, x, **params):
    if not is_node(g):
        return K.max_pool2d_grad(np.ascontiguousarray(g), np.ascontiguousarray(x),
                                 *params["kernel"], *params["stride"], *params["padding"])
    n, c, h, w = x.shape
    spread = _argmax_mask(x, params) * C.reshape(g, (n * c, 1, g.shape[2] * g.shape[3]))
    return C.reshape(col2im(spread, (n * c, 1, h, w), _pool_geo(params)), x.shape)


def _max_pool_jvp(t, out, x, **params):
    n, c, h, w = x.shape
    cols = im2col(C.reshape(t, (n * c, 1, h, w)), _pool_geo(params))
    return C.reshape(C.sum(_argmax_mask(x, params) * cols, 1), out.shape)


MAX_POOL2D = register("max_pool2d", "maxpool", _max_pool_forward, (_max_pool_vjp,), (_max_pool_jvp,),
                      local_text=("[x is the window's max]",))


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Largest value of each window (padding counts as -inf); the gradient goes to the
    first largest element, as PyTorch.  One Numba pass forward and backward."""
    kernel, pad = _pair(kernel_size, "kernel_size"), _pair(padding, "padding")
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(f"max_pool2d: padding {pad} must be at most half the kernel {kernel}")
    return call("max_pool2d", x, kernel=kernel,
                stride=_pair(kernel_size if stride is None else stride, "stride"), padding=pad)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean of each window (zero padding counted, PyTorch's ``count_include_pad=True``)."""
    n, c, h, w = x.shape
    geo = _geometry_params(kernel_size, kernel_size if stride is None else stride, padding, 1)
    oh, ow = _geometry(x.shape, geo["kernel"], geo["stride"], geo["padding"], geo["dilation"])
    cols = im2col(C.reshape(x, (n * c, 1, h, w)), geo)     # (N·C, kh·kw, L)
    return C.reshape(C.mean(cols, 1), (n, c, oh, ow))


export(conv2d, functional=("conv2d",))
export(max_pool2d, functional=("max_pool2d",))
export(avg_pool2d, functional=("avg_pool2d",))
