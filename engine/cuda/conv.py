"""Convolution and pooling on the GPU: im2col on the device plus the tiled product.

``im2col`` writes every window of an (N, C, H, W) image into a column, padding
read as ``pad_value`` without a padded copy; a convolution is then one batched
product with the flattened kernels (:mod:`.matmul`).  ``col2im`` (its adjoint)
and the pooling gradients *gather*: one thread per input pixel sums the windows
that cover it, in the CPU's order, so there are no atomics and results are
deterministic.  Geometry follows the registry (:mod:`engine.prims.conv`):
``kernel``, ``stride``, ``padding``, ``dilation`` as (height, width) pairs.
"""
from __future__ import annotations

from numba import cuda

from ..prims.conv import out_size
from . import device as D
from . import elementwise as E
from . import matmul as M
from . import reduce as R


@cuda.jit(device=True)
def _unravel(t, c, h, w):
    """(image, channel, row, column) of flat index ``t`` in a C-ordered (N, c, h, w) array."""
    return t // (w * h * c), (t // (w * h)) % c, (t // w) % h, t % w


@cuda.jit(device=True)
def _windows(pos, pad, k, s, count):
    """The window indices [first, stop) whose span [o*s - pad, o*s - pad + k) covers ``pos``."""
    num = pos + pad - k + 1
    return (0 if num <= 0 else (num + s - 1) // s), min(count, (pos + pad) // s + 1)


@cuda.jit(cache=True)
def _im2col_kernel(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, ow, pad_value):
    h, w = x.shape[2], x.shape[3]
    ck, length = cols.shape[1], cols.shape[2]
    pv = cols.dtype.type(pad_value)
    for t in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        col = t % length
        rest = t // length
        row = rest % ck
        b = rest // ck
        j = row % kw
        i = (row // kw) % kh
        ch = row // (kh * kw)
        y = col // ow
        yy = y * sh + i * dh - ph
        xx = (col - y * ow) * sw + j * dw - pw
        cols[b, row, col] = x[b, ch, yy, xx] if (0 <= yy < h and 0 <= xx < w) else pv


@cuda.jit(cache=True)
def _col2im_kernel(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    zero = x.dtype.type(0)
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        b, ch, yy, xx = _unravel(t, c, h, w)
        acc = zero
        for i in range(kh):
            ty = yy + ph - i * dh
            if ty < 0 or ty % sh != 0 or ty // sh >= oh:
                continue
            for j in range(kw):
                tx = xx + pw - j * dw
                if tx < 0 or tx % sw != 0 or tx // sw >= ow:
                    continue
                acc += cols[b, (ch * kh + i) * kw + j, (ty // sh) * ow + tx // sw]
        x[b, ch, yy, xx] = acc


@cuda.jit(device=True)
def _window_argmax(x, b, ch, y0, x0, kh, kw):
    """Row and column of the first largest element of the window at (y0, x0); outside
    the image counts as -inf (padding), as the CPU kernel."""
    h, w = x.shape[2], x.shape[3]
    i0, i1 = max(0, -y0), min(kh, h - y0)
    j0, j1 = max(0, -x0), min(kw, w - x0)
    bi, bj = y0 + i0, x0 + j0
    best = x[b, ch, bi, bj]
    for i in range(i0, i1):
        for j in range(j0, j1):
            v = x[b, ch, y0 + i, x0 + j]
            if v > best:
                best = v
                bi, bj = y0 + i, x0 + j
    return bi, bj


@cuda.jit(cache=True)
def _max_pool_kernel(x, out, kh, kw, sh, sw, ph, pw):
    c, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        b, ch, y, xo = _unravel(t, c, oh, ow)
        i, j = _window_argmax(x, b, ch, y * sh - ph, xo * sw - pw, kh, kw)
        out[b, ch, y, xo] = x[b, ch, i, j]


@cuda.jit(cache=True)
def _max_pool_grad_kernel(g, x, dx, kh, kw, sh, sw, ph, pw):
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    oh, ow = g.shape[2], g.shape[3]
    zero = dx.dtype.type(0)
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        b, ch, yy, xx = _unravel(t, c, h, w)
        y0, y1 = _windows(yy, ph, kh, sh, oh)
        x0, x1 = _windows(xx, pw, kw, sw, ow)
        acc = zero
        for y in range(y0, y1):
            for xo in range(x0, x1):
                i, j = _window_argmax(x, b, ch, y * sh - ph, xo * sw - pw, kh, kw)
                if i == yy and j == xx:
                    acc += g[b, ch, y, xo]
        dx[b, ch, yy, xx] = acc


@cuda.jit(cache=True)
def _avg_pool_kernel(x, out, kh, kw, sh, sw, ph, pw):
    c, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    h, w = x.shape[2], x.shape[3]
    zero = out.dtype.type(0)
    count = out.dtype.type(kh * kw)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        b, ch, y, xo = _unravel(t, c, oh, ow)
        acc = zero
        for i in range(kh):
            yy = y * sh - ph + i
            for j in range(kw):
                xx = xo * sw - pw + j
                if 0 <= yy < h and 0 <= xx < w:
                    acc += x[b, ch, yy, xx]
        out[b, ch, y, xo] = acc / count


@cuda.jit(cache=True)
def _avg_pool_grad_kernel(g, dx, kh, kw, sh, sw, ph, pw):
    c, h, w = dx.shape[1], dx.shape[2], dx.shape[3]
    oh, ow = g.shape[2], g.shape[3]
    zero = dx.dtype.type(0)
    count = dx.dtype.type(kh * kw)
    for t in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        b, ch, yy, xx = _unravel(t, c, h, w)
        y0, y1 = _windows(yy, ph, kh, sh, oh)
        x0, x1 = _windows(xx, pw, kw, sw, ow)
        acc = zero
        for y in range(y0, y1):
            for xo in range(x0, x1):
                acc += g[b, ch, y, xo] / count
        dx[b, ch, yy, xx] = acc


# -- host side -----------------------------------------------------------------------------------
def _geometry(shape, kernel, stride, padding, dilation) -> tuple[int, int]:
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh, ow = out_size(shape[2], kh, sh, ph, dh), out_size(shape[3], kw, sw, pw, dw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"input {tuple(shape[2:])} is smaller than the window {tuple(kernel)} "
                         f"(padding {tuple(padding)}, dilation {tuple(dilation)})")
    return oh, ow


def _image(x, what: str):
    if x.ndim != 4:
        raise ValueError(f"{what} wants an (N, C, H, W) input, got {tuple(x.shape)}")
    D.float_dtype(x)
    return D.contiguous(x)


def im2col(x, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value: float = 0.0):
    """(N, C, H, W) → (N, C·kh·kw, OH·OW) columns of windows, as the ``im2col`` primitive."""
    x = _image(x, "im2col")
    n, c = x.shape[0], x.shape[1]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh, ow = _geometry(x.shape, kernel, stride, padding, dilation)
    cols = D.empty((n, c * kh * kw, oh * ow), x.dtype)
    if cols.size:
        _im2col_kernel[D.launch(cols.size)](x, cols, kh, kw, sh, sw, ph, pw, dh, dw, ow,
                                            float(pad_value))
    return cols


def col2im(cols, shape, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """Columns back to an (N, C, H, W) image of ``shape``, overlapping windows summed."""
    D.float_dtype(cols)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh, ow = _geometry(shape, kernel, stride, padding, dilation)
    n, c = int(shape[0]), int(shape[1])
    if tuple(cols.shape) != (n, c * kh * kw, oh * ow):
        raise ValueError(f"col2im: columns {tuple(cols.shape)} do not fit image {tuple(shape)} "
                         f"with window {tuple(kernel)}")
    x = D.empty(tuple(shape), cols.dtype)
    if x.size:
        _col2im_kernel[D.launch(x.size)](D.contiguous(cols), x, kh, kw, sh, sw, ph, pw, dh, dw,
                                         oh, ow)
    return x


def _flat_kernels(w):
    return E.reshape(w, (w.shape[0], w.size // max(w.shape[0], 1)))


def conv2d(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """x (N, C, H, W) ⋆ w (O, C, kh, kw) + b (O,) → (N, O, OH, OW), as the ``conv2d`` primitive."""
    D.float_dtype(x, w, b)
    if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[1]:
        raise ValueError(f"conv2d: input {tuple(x.shape)} (N, C, H, W) does not match "
                         f"weight {tuple(w.shape)} (O, C, kh, kw)")
    kernel = (w.shape[2], w.shape[3])
    oh, ow = _geometry(x.shape, kernel, stride, padding, dilation)
    out = M.matmul(_flat_kernels(w), im2col(x, kernel, stride, padding, dilation))  # (N, O, L)
    E.binary("add", out, E.reshape(b, (w.shape[0], 1)), out=out)
    return E.reshape(out, (x.shape[0], w.shape[0], oh, ow))


def _rows(g):
    return E.reshape(g, (g.shape[0], g.shape[1], g.shape[2] * g.shape[3]))


def conv2d_grad_input(g, x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """dL/dx of :func:`conv2d`: col2im(Wᵀ @ g)."""
    kernel = (w.shape[2], w.shape[3])
    cols = M.matmul(_flat_kernels(w), _rows(g), trans_a=True)
    return col2im(cols, tuple(x.shape), kernel, stride, padding, dilation)


def conv2d_grad_weight(g, x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """dL/dw of :func:`conv2d`: Σ over the batch of g @ im2col(x)ᵀ."""
    cols = im2col(x, (w.shape[2], w.shape[3]), stride, padding, dilation)
    per_image = M.matmul(_rows(g), cols, trans_b=True)       # (N, O, C·kh·kw)
    return E.reshape(R.reduce("sum", per_image, 0), tuple(w.shape))


def conv2d_grad_bias(g):
    """dL/db of :func:`conv2d`: g summed over batch and positions."""
    return R.reduce("sum", g, (0, 2, 3))


def _pool(window_kernel, what: str, x, kernel, stride, padding):
    """One output per window of ``x``, computed by ``window_kernel``."""
    x = _image(x, what)
    (kh, kw), (ph, pw) = kernel, padding
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{what}: padding {tuple(padding)} must be at most half the kernel "
                         f"{tuple(kernel)}")
    oh, ow = _geometry(x.shape, kernel, stride, padding, (1, 1))
    out = D.empty((x.shape[0], x.shape[1], oh, ow), x.dtype)
    if out.size:
        window_kernel[D.launch(out.size)](x, out, *kernel, *stride, *padding)
    return out


def max_pool2d(x, kernel, stride, padding=(0, 0)):
    """Largest value of every window (padding counts as -inf), as the ``max_pool2d`` primitive."""
    return _pool(_max_pool_kernel, "max_pool2d", x, kernel, stride, padding)


def max_pool2d_grad(g, x, kernel, stride, padding=(0, 0)):
    """Each window's gradient routed to its first largest element (as PyTorch), shaped like x."""
    x = _image(x, "max_pool2d")
    D.float_dtype(g, x)
    dx = D.empty(x.shape, x.dtype)
    if dx.size:
        _max_pool_grad_kernel[D.launch(dx.size)](D.contiguous(g), x, dx, *kernel, *stride, *padding)
    return dx


def avg_pool2d(x, kernel, stride, padding=(0, 0)):
    """Mean of every window, zero padding counted (PyTorch's ``count_include_pad=True``)."""
    return _pool(_avg_pool_kernel, "avg_pool2d", x, kernel, stride, padding)


def avg_pool2d_grad(g, x_shape, kernel, stride, padding=(0, 0)):
    """The VJP of :func:`avg_pool2d`: each window's gradient spread evenly over it."""
    D.float_dtype(g)
    dx = D.empty(tuple(x_shape), g.dtype)
    if dx.size:
        _avg_pool_grad_kernel[D.launch(dx.size)](D.contiguous(g), dx, *kernel, *stride, *padding)
    return dx
