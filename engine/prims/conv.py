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
from .layout import pad
from .shape import concat, getitem

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


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D cross-correlation as PyTorch: x (N, C, H, W), weight (O, C/groups, kh, kw) → (N, O, OH, OW).

    One node: the forward unfolds windows (im2col) and runs one matrix product;
    the VJPs are written with im2col/col2im/matmul, so they also record a graph
    under ``create_graph=True``.  An unbatched (C, H, W) input gives (O, OH, OW);
    ``padding='same'`` pads as PyTorch (the odd pixel on the right and bottom),
    ``'valid'`` not at all; ``groups`` convolves channel groups separately.
    """
    if len(x.shape) == 3 and len(weight.shape) == 4:
        out = conv2d(C.reshape(x, (1,) + tuple(x.shape)), weight, bias, stride, padding, dilation, groups)
        return C.reshape(out, tuple(out.shape[1:]))
    groups = int(groups)
    if (len(x.shape) != 4 or len(weight.shape) != 4 or groups < 1 or x.shape[1] != weight.shape[1] * groups
            or weight.shape[0] % groups):
        raise ValueError(f"conv2d: input {tuple(x.shape)} (N, C, H, W) does not match "
                         f"weight {tuple(weight.shape)} (O, C/groups, kh, kw) with groups={groups}")
    if isinstance(padding, str):
        x, padding = _string_padding(x, weight.shape[2:], stride, dilation, padding)
    if groups > 1:
        cg, og = weight.shape[1], weight.shape[0] // groups
        parts = [conv2d(getitem(x, (slice(None), slice(i * cg, (i + 1) * cg))),
                        getitem(weight, slice(i * og, (i + 1) * og)),
                        None if bias is None else getitem(bias, slice(i * og, (i + 1) * og)),
                        stride, padding, dilation) for i in range(groups)]
        return concat(parts, 1)
    geo = _geometry_params(weight.shape[2:], stride, padding, dilation)
    return conv2d_raw(x, weight, _zero_bias(weight) if bias is None else bias, geo)


def _string_padding(x, kernel, stride, dilation, padding: str):
    """``'valid'``: none; ``'same'``: d·(k − 1) in all, the larger half after (stride 1 only)."""
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise ValueError(f"conv2d: padding must be a number, a pair, 'same' or 'valid', got {padding!r}")
    if _pair(stride, "stride") != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got stride={stride}")
    widths = []
    for k, d in zip(reversed(tuple(kernel)), reversed(_pair(dilation, "dilation"))):
        total = d * (k - 1)
        widths += [total // 2, total - total // 2]
    return pad(x, tuple(widths)), 0


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1):
    """The adjoint of conv2d (``torch.nn.functional.conv_transpose2d``): x (N, C_in, H, W),
    weight (C_in, C_out/groups, kh, kw) → (N, C_out, (H − 1)·s − 2p + d·(k − 1) + output_padding + 1, ...).

    Written as conv2d's input gradient (columns, then col2im), so it is differentiable again.
    """
    if len(x.shape) == 3 and len(weight.shape) == 4:
        out = conv_transpose2d(C.reshape(x, (1,) + tuple(x.shape)), weight, bias, stride, padding,
                               output_padding, groups, dilation)
        return C.reshape(out, tuple(out.shape[1:]))
    groups = int(groups)
    if (len(x.shape) != 4 or len(weight.shape) != 4 or groups < 1 or x.shape[1] != weight.shape[0]
            or weight.shape[0] % groups):
        raise ValueError(f"conv_transpose2d: input {tuple(x.shape)} (N, C_in, H, W) does not match "
                         f"weight {tuple(weight.shape)} (C_in, C_out/groups, kh, kw) with groups={groups}")
    geo = _geometry_params(weight.shape[2:], stride, padding, dilation)
    extra = _pair(output_padding, "output_padding")
    if any(e >= max(s, d) for e, s, d in zip(extra, geo["stride"], geo["dilation"])):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than stride "
                         f"{geo['stride']} or dilation {geo['dilation']}")
    if groups > 1:
        cg = x.shape[1] // groups
        parts = [conv_transpose2d(getitem(x, (slice(None), slice(i * cg, (i + 1) * cg))),
                                  getitem(weight, slice(i * cg, (i + 1) * cg)), None, stride, padding,
                                  output_padding, 1, dilation) for i in range(groups)]
        out = concat(parts, 1)
    else:
        n, c_in, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geo["kernel"], geo["stride"], geo["padding"], geo["dilation"]
        size = ((h - 1) * sh - 2 * ph + dh * (kh - 1) + extra[0] + 1,
                (w - 1) * sw - 2 * pw + dw * (kw - 1) + extra[1] + 1)
        if size[0] <= 0 or size[1] <= 0:
            raise ValueError(f"conv_transpose2d: input {tuple(x.shape)} gives an empty output {size}")
        c_out = weight.shape[1]
        cols = C.matmul(C.transpose(_flat_kernels(weight)), C.reshape(x, (n, c_in, h * w)))
        out = col2im(cols, (n, c_out) + size, geo)
    if bias is not None:
        out = out + C.reshape(bias, (1, -1, 1, 1))
    return out


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


def _pool_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length: floor or ceil, a last window starting in the padding dropped."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(op: str, x, kernel_size, stride, padding, dilation=1):
    if len(x.shape) not in (3, 4):
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    kernel, pad_ = _pair(kernel_size, "kernel_size"), _pair(padding, "padding")
    stride = _pair(kernel_size if stride is None or stride == () else stride, "stride")
    dil = _pair(dilation, "dilation")
    if min(kernel + stride + dil) <= 0:
        raise ValueError(f"{op}: kernel_size {kernel}, stride {stride} and dilation {dil} must be positive")
    for p, k, d in zip(pad_, kernel, dil):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {pad_} must be at most half the kernel {kernel}")
    return kernel, stride, pad_, dil


def _windows(op: str, x, kernel, stride, padding, dilation, ceil_mode: bool, fill: float):
    """(N·C, kh·kw, OH·OW) columns of every pooling window, extra bottom/right padding for
    ceil_mode filled with ``fill``; with the output size (OH, OW)."""
    n, c, h, w = x.shape
    out = tuple(_pool_size(size, k, s, p, d, ceil_mode)
                for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation))
    if out[0] <= 0 or out[1] <= 0:
        raise ValueError(f"{op}: input {tuple(x.shape)} is smaller than the window {kernel}")
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
             for o, size, k, s, p, d in zip(out, (h, w), kernel, stride, padding, dilation)]
    flat = C.reshape(x, (n * c, 1, h, w))
    if any(extra):
        flat = pad(flat, (0, extra[1], 0, extra[0]), value=fill)
    geo = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation, pad_value=fill)
    return im2col(flat, geo), out


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
    """Largest value of each window (padding counts as -inf); the gradient goes to the
    first largest element, as PyTorch.  One Numba pass forward and backward (dilation and
    ceil_mode take the general path: windows as columns, the first maximum picked)."""
    if len(x.shape) == 3:
        out = max_pool2d(C.reshape(x, (1,) + tuple(x.shape)), kernel_size, stride, padding, dilation, ceil_mode)
        return C.reshape(out, tuple(out.shape[1:]))
    kernel, stride, pad_, dil = _pool_args("max_pool2d", x, kernel_size, stride, padding, dilation)
    if dil == (1, 1) and not ceil_mode:
        return call("max_pool2d", x, kernel=kernel, stride=stride, padding=pad_)
    cols, (oh, ow) = _windows("max_pool2d", x, kernel, stride, pad_, dil, ceil_mode, -np.inf)
    raw_cols = cols.data if is_node(cols) else cols
    first = np.argmax(raw_cols, axis=1)  # the first maximum of each window, as PyTorch
    rows, cells = np.ogrid[:first.shape[0], :first.shape[1]]
    picked = getitem(cols, (rows, first, cells))
    return C.reshape(picked, (x.shape[0], x.shape[1], oh, ow))


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None):
    """Mean of each window, as PyTorch: zero padding counted unless ``count_include_pad=False``,
    ceil_mode's extra windows divided by the part inside the padded input."""
    if len(x.shape) == 3:
        out = avg_pool2d(C.reshape(x, (1,) + tuple(x.shape)), kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override)
        return C.reshape(out, tuple(out.shape[1:]))
    kernel, stride, pad_, dil = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    cols, (oh, ow) = _windows("avg_pool2d", x, kernel, stride, pad_, dil, ceil_mode, 0.0)
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise ValueError("avg_pool2d: divisor_override must be nonzero")
        divisor = np.full(oh * ow, float(divisor_override))
    else:
        divisor = _avg_divisor(x.shape[2:], (oh, ow), kernel, stride, pad_, count_include_pad)
    out = C.sum(cols, 1) / divisor.astype(x.dtype)
    return C.reshape(out, (x.shape[0], x.shape[1], oh, ow))


def _avg_divisor(size, out, kernel, stride, padding, count_include_pad: bool) -> np.ndarray:
    """Each window's divisor, PyTorch's rule: the window clipped to the padded input, or
    (count_include_pad=False) to the input itself."""
    per_axis = []
    for n, o, k, s, p in zip(size, out, kernel, stride, padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            per_axis.append(end - start)
        else:
            per_axis.append(np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(per_axis[0], per_axis[1]).reshape(-1).astype(np.float64)


export(conv2d, functional=("conv2d",))
export(conv_transpose2d, functional=("conv_transpose2d",))
export(max_pool2d, functional=("max_pool2d",))
export(avg_pool2d, functional=("avg_pool2d",))
